"""Message-IDs are unique to the conference (issue 10, item 5): a re-created database or a
second installation never reissues the ID of an older mail, while the same outbox row keeps
its ID, also when `fs-conf outbox --retry` renders it again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from fs_conf.cli.main import main
from fs_conf.config import load_config
from fs_conf.mail.compose import build_mails
from fs_conf.store import OutboxStatus, open_store

CREATE = [
    "conference", "create", "--title", "Planning", "--start", "2099-03-04T10:00",
    "--duration", "60", "--participant", "Ann <ann@example.org>;moderator",
    "--participant", "Bob <bob@example.org>", "--json",
]  # fmt: skip


def message_id(message: bytes) -> str:
    return str(message_from_bytes(message, policy=policy.default)["Message-ID"])


class Installation:
    """An fs_conf database and configuration of its own, driven through `main()`."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str], **extra: str) -> None:
        folder.mkdir()
        self.config_file = folder / "fs_conf.yaml"
        lines = [f"database: {folder / 'db.sqlite3'}", f"mail: {{folder: {folder / 'mail'}}}"]
        lines += [f"{key}: {value}" for key, value in extra.items()]
        self.config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.capsys = capsys

    def run(self, *args: str) -> str:
        status = main(["--config", str(self.config_file), *args])
        out = self.capsys.readouterr().out
        assert status == 0, out
        return out

    def message_ids(self) -> dict[str, str]:
        """Outbox key -> Message-ID of every rendered mail."""
        with open_store(load_config(self.config_file).database) as store:
            return {e.key: message_id(e.message) for e in store.outbox_list() if e.message}


def test_two_installations_never_share_a_message_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = Installation(tmp_path / "first", capsys)
    second = Installation(tmp_path / "second", capsys)  # or the first, re-created
    for installation in (first, second):
        conference_id = json.loads(installation.run(*CREATE))["id"]
        installation.run("conference", "invite", str(conference_id))
    assert first.message_ids().keys() == second.message_ids().keys()  # same id, kind, sequence
    assert len(first.message_ids()) == 2
    assert not set(first.message_ids().values()) & set(second.message_ids().values())


def test_a_mail_rendered_again_by_outbox_retry_keeps_its_message_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    installation = Installation(tmp_path / "site", capsys, templates_dir=str(templates))
    conference_id = json.loads(installation.run(*CREATE))["id"]
    config = load_config(installation.config_file)
    now = datetime.now(UTC)
    with open_store(config.database) as store:
        conference = store.get_conference(conference_id)
        expected = {
            mail.key: message_id(mail.message)
            for mail in build_mails(conference, "invitation", config, now)
        }
        (templates / "invitation.html").write_text("{{ nope }}\n", encoding="utf-8")
        failed = build_mails(conference, "invitation", config, now, keep_failures=True)
        assert all(mail.error for mail in failed)
        store.outbox_add(failed, now)  # as the scheduler's mailing queues them
    (templates / "invitation.html").unlink()

    assert installation.run("outbox", "--retry").startswith("Rendered again and queued 2 mails.")
    with open_store(config.database) as store:
        assert {e.status for e in store.outbox_list()} == {OutboxStatus.PENDING}
    assert installation.message_ids() == expected
