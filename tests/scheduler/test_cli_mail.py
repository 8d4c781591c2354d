"""`fs-conf conference invite` and `fs-conf outbox`, through `main()`; the reason of a mail that
failed to render is shown in test_render_failures."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from fs_conf.cli.main import main
from fs_conf.config import SmtpConfig, load_config
from fs_conf.mail.delivery import deliver_due
from fs_conf.mail.transport import FolderTransport, transport_from_config
from fs_conf.store import open_store
from tests.mail.conftest import RecordingHandler, free_port

CREATE = [
    "conference", "create", "--title", "Planning", "--start", "2099-03-04T10:00",
    "--timezone", "Europe/Berlin", "--duration", "60",
    "--participant", "Ann Admin <ann@example.org>;phone=1001;moderator",
    "--participant", "Bob <bob@example.org>;phone=1002", "--json",
]  # fmt: skip


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "fs_conf.yaml"
    path.write_text(
        f"database: {tmp_path / 'db.sqlite3'}\nmail: {{folder: {tmp_path / 'mail'}}}\n",
        encoding="utf-8",
    )
    return path


def invoke(
    capsys: pytest.CaptureFixture[str], config_file: Path, *args: str
) -> tuple[int, str, str]:
    status = main(["--config", str(config_file), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def created(capsys: pytest.CaptureFixture[str], config_file: Path) -> int:
    status, out, _ = invoke(capsys, config_file, *CREATE)
    assert status == 0
    return int(json.loads(out)["id"])


def test_invite_queues_invitations_and_the_outbox_lists_them(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    conference_id = created(capsys, config_file)
    status, out, _ = invoke(
        capsys, config_file, "conference", "invite", str(conference_id), "--json"
    )
    assert status == 0 and json.loads(out) == {"id": conference_id, "queued": 2, "sequence": 0}
    status, out, _ = invoke(capsys, config_file, "outbox", "--json")
    rows = json.loads(out)
    assert status == 0
    assert sorted((r["kind"], r["recipient"], r["status"], r["sequence"]) for r in rows) == [
        ("invitation", "ann@example.org", "pending", 0),
        ("invitation", "bob@example.org", "pending", 0),
    ]
    status, out, _ = invoke(capsys, config_file, "outbox")
    assert status == 0 and len(out.splitlines()) == 2 and "bob@example.org" in out


def test_inviting_again_raises_the_sequence_and_delivered_mails_leave_the_list(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    conference_id = created(capsys, config_file)
    invoke(capsys, config_file, "conference", "invite", str(conference_id))
    config = load_config(config_file)
    with open_store(config.database) as store:
        deliver_due(store, FolderTransport(config.mail.folder), datetime.now(UTC), config)
    status, out, _ = invoke(capsys, config_file, "conference", "invite", str(conference_id))
    assert status == 0 and "Queued 2 invitations" in out and "sequence 1" in out
    _, out, _ = invoke(capsys, config_file, "outbox", "--json")
    assert sorted((r["status"], r["sequence"]) for r in json.loads(out)) == [("pending", 1)] * 2
    _, out, _ = invoke(capsys, config_file, "outbox", "--all", "--json")
    assert sorted((r["status"], r["sequence"]) for r in json.loads(out)) == [
        ("pending", 1),
        ("pending", 1),
        ("sent", 0),
        ("sent", 0),
    ]


def test_invite_names_what_is_wrong(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    status, _, err = invoke(capsys, config_file, "conference", "invite", "42")
    assert status == 1 and "conference 42" in err
    conference_id = created(capsys, config_file)
    invoke(capsys, config_file, "conference", "cancel", str(conference_id))
    status, _, err = invoke(capsys, config_file, "conference", "invite", str(conference_id))
    assert status == 2 and "cancelled" in err and err.count("\n") == 1


def test_an_empty_outbox_says_so(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    status, out, _ = invoke(capsys, config_file, "outbox")
    assert status == 0 and out.strip() == "No mails waiting or failed."


def test_the_outbox_shows_why_a_mail_failed(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    conference_id = created(capsys, config_file)
    invoke(capsys, config_file, "conference", "invite", str(conference_id))
    refusal = "550 5.1.1 <bob@example.org>: no such user"
    handler = RecordingHandler(reject={"bob@example.org": refusal})
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        config = load_config(config_file)
        config = dataclasses.replace(
            config,
            mail=dataclasses.replace(
                config.mail, transport="smtp", smtp=SmtpConfig(host="127.0.0.1", port=port)
            ),
        )
        with open_store(config.database) as store:
            deliver_due(store, transport_from_config(config.mail), datetime.now(UTC), config)
    finally:
        server.stop()
    status, out, _ = invoke(capsys, config_file, "outbox")
    (line,) = out.splitlines()
    assert status == 0 and "failed" in line and "bob@example.org" in line
    assert line.endswith(
        "error: recipient bob@example.org refused: 550 5.1.1 <bob@example.org>: no such user"
    )
    _, out, _ = invoke(capsys, config_file, "outbox", "--all", "--json")
    rows = {row["recipient"]: row for row in json.loads(out)}
    assert rows["ann@example.org"]["status"] == "sent"
    assert rows["bob@example.org"]["status"] == "failed"
    assert "550 5.1.1" in rows["bob@example.org"]["last_error"]
