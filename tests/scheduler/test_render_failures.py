"""A template that breaks at send time: the mails stay in the outbox as failed with the file
and line, the scheduler does not try again and again, and once the template is fixed
`fs-conf conference invite` or `fs-conf outbox --retry` sends them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fs_conf.cli.main import main
from fs_conf.clock import SettableClock
from fs_conf.config import Config
from fs_conf.esl import InboundESL
from fs_conf.mail.compose import build_mails
from fs_conf.mail.transport import FolderTransport
from fs_conf.model import Conference
from fs_conf.scheduler import Scheduler
from fs_conf.scheduler.rerender import rerender_failed
from fs_conf.store import OutboxStatus, Store

from .conftest import START, conference, make_config

BROKEN = "Hello {{ participant.name }},\n{{ conference.titel }}\n"


@dataclasses.dataclass
class Renders:
    """An offload that counts how often invitations or cancellations were rendered."""

    calls: int = 0

    def __call__(
        self, func: Callable[..., Any], args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        if func is build_mails:
            self.calls += 1
        return func(*args, **(kwargs or {}))


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    return folder


@pytest.fixture
def config(tmp_path: Path, templates: Path) -> Config:
    return dataclasses.replace(make_config(tmp_path), templates_dir=str(templates))


@pytest.fixture
def config_file(tmp_path: Path, config: Config) -> Path:
    path = tmp_path / "fs_conf.yaml"
    path.write_text(
        f"database: {config.database}\nmail: {{folder: {config.mail.folder}}}\n"
        f"templates_dir: {config.templates_dir}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def offline_esl() -> Iterator[InboundESL]:
    esl = InboundESL("127.0.0.1", 9, "ClueCon")
    yield esl
    esl.stop()


NewScheduler = Callable[[Renders], Scheduler]
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def new_scheduler(
    config: Config, store: Store, offline_esl: InboundESL, clock: SettableClock
) -> NewScheduler:
    """A scheduler without FreeSWITCH that mails to the folder, counting renders."""

    def make(renders: Renders) -> Scheduler:
        transport = FolderTransport(config.mail.folder)
        return Scheduler(config, store, offline_esl, transport, clock, offload=renders)

    return make


@pytest.fixture
def fs_conf(capsys: pytest.CaptureFixture[str], config_file: Path) -> Cli:
    """`fs-conf ARGS` with this test's configuration: exit status, stdout, stderr."""

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["--config", str(config_file), *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def delivered(config: Config) -> list[Path]:
    return sorted(Path(config.mail.folder).glob("*.eml"))


def stored(store: Store) -> Conference:
    created = store.add_conference(conference())
    assert created.id is not None
    return created


def test_a_broken_template_fails_each_mail_with_file_and_line_and_is_not_retried(
    config: Config,
    templates: Path,
    store: Store,
    clock: SettableClock,
    new_scheduler: NewScheduler,
    fs_conf: Cli,
) -> None:
    (templates / "invitation.txt").write_text(BROKEN, encoding="utf-8")
    conf = stored(store)
    renders = Renders()
    scheduler = new_scheduler(renders)
    for _ in range(5):
        scheduler.tick()
        clock.advance(minutes=10)
    assert renders.calls == 1  # rendered once: the mailing is done, not retried
    assert [t.kind.value for t in scheduler.tasks if t.kind.value == "mailing"] == []
    entries = store.outbox_list()
    where = f"{templates / 'invitation.txt'}:2"
    assert [(e.kind, e.status, e.message) for e in entries] == [
        ("invitation", OutboxStatus.FAILED, b"")
    ] * 3
    assert all(e.last_error.startswith(where) and "titel" in e.last_error for e in entries)
    assert {e.key for e in entries} == {
        f"{conf.id}/{p.email}/invitation/0" for p in conf.participants
    }
    assert delivered(config) == []  # nothing half-sent
    assert not store.get_conference(conf.id).mailed  # no PIN went out

    status, out, _ = fs_conf("outbox")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 3
    assert all("failed" in line and "invitation" in line for line in lines)
    assert all(f"error: {where}: template error:" in line for line in lines)
    assert "mia@example.org" in out and "{{ conference.titel }}" in out
    status, out, _ = fs_conf("outbox", "--json")
    assert {(row["status"], row["last_error"].split(": ")[0]) for row in json.loads(out)} == {
        ("failed", where)
    }


def test_after_the_fix_invite_sends_the_invitations_in_place_of_the_failed_ones(
    config: Config,
    templates: Path,
    store: Store,
    new_scheduler: NewScheduler,
    fs_conf: Cli,
) -> None:
    (templates / "invitation.txt").write_text(BROKEN, encoding="utf-8")
    conf = stored(store)
    scheduler = new_scheduler(Renders())
    scheduler.tick()
    failed_keys = {e.key for e in store.outbox_list(OutboxStatus.FAILED)}

    status, _, err = fs_conf("conference", "invite", str(conf.id))
    assert status == 2 and f"{templates / 'invitation.txt'}:2" in err  # still broken: refused
    assert {e.key for e in store.outbox_list(OutboxStatus.FAILED)} == failed_keys

    (templates / "invitation.txt").unlink()
    status, out, _ = fs_conf("conference", "invite", str(conf.id))
    assert status == 0 and "Queued 3 invitations" in out and "(sequence 0)" in out
    scheduler.tick()
    entries = store.outbox_list()
    assert {e.key for e in entries} == failed_keys  # the same mails, not new ones
    assert {e.status for e in entries} == {OutboxStatus.SENT}
    assert len(delivered(config)) == 3
    status, out, _ = fs_conf("outbox")
    assert out.strip() == "No mails waiting or failed."


def test_after_a_retry_a_change_is_mailed_as_an_update(
    templates: Path,
    store: Store,
    new_scheduler: NewScheduler,
    fs_conf: Cli,
) -> None:
    (templates / "invitation.html").write_text("{{ nope }}\n", encoding="utf-8")
    conf = stored(store)
    scheduler = new_scheduler(Renders())
    scheduler.tick()
    (templates / "invitation.html").unlink()
    status, out, _ = fs_conf("outbox", "--retry")
    assert out.splitlines()[0] == "Rendered again and queued 3 mails."
    assert store.get_conference(conf.id).mailed  # the invitations are on their way
    assert fs_conf("conference", "update", str(conf.id), "--title", "New")[0] == 0
    scheduler.tick()
    assert (
        sorted((e.kind, e.sequence, e.status.value) for e in store.outbox_list())
        == [("invitation", 0, "sent")] * 3 + [("update", 1, "sent")] * 3
    )


def test_outbox_retry_renders_exactly_the_failed_mails_again(
    config: Config,
    templates: Path,
    store: Store,
    new_scheduler: NewScheduler,
    fs_conf: Cli,
) -> None:
    # Only the moderator block is broken: participants get their invitations at once.
    (templates / "_dialin.txt").write_text(
        "PIN {{ participant.pin }}\n{% if moderator %}\n{{ moderator.pn }}\n{% endif %}\n",
        encoding="utf-8",
    )
    conf = stored(store)
    scheduler = new_scheduler(Renders())
    scheduler.tick()
    by_recipient = {e.recipient: e for e in store.outbox_list()}
    assert by_recipient["mia@example.org"].status is OutboxStatus.FAILED
    assert f"{templates / '_dialin.txt'}:3" in by_recipient["mia@example.org"].last_error
    assert by_recipient["paul@example.org"].status is OutboxStatus.SENT
    assert store.get_conference(conf.id).mailed

    status, out, _ = fs_conf("outbox", "--retry")
    assert status == 0 and out.splitlines()[0] == "Rendered again and queued 0 mails."
    assert "still failing: mia@example.org" in out

    (templates / "_dialin.txt").unlink()
    status, out, _ = fs_conf("outbox", "--retry")
    assert status == 0 and out.splitlines()[0] == "Rendered again and queued 1 mails."
    scheduler.tick()
    mia = {e.recipient: e for e in store.outbox_list()}["mia@example.org"]
    assert mia.status is OutboxStatus.SENT and mia.key == by_recipient["mia@example.org"].key
    assert b"4234567890" in mia.message  # the moderator PIN, now rendered
    assert len(delivered(config)) == 3


def test_a_failed_cancellation_is_sent_by_retry_and_a_stale_one_is_left(
    templates: Path,
    store: Store,
    new_scheduler: NewScheduler,
    fs_conf: Cli,
) -> None:
    conf = stored(store)
    scheduler = new_scheduler(Renders())
    scheduler.tick()
    (templates / "cancellation.subject.txt").write_text("{{ nope }}\n", encoding="utf-8")
    status, _, _ = fs_conf("conference", "cancel", str(conf.id))
    assert status == 0
    scheduler.tick()
    cancellations = [e for e in store.outbox_list() if e.kind == "cancellation"]
    assert [e.status for e in cancellations] == [OutboxStatus.FAILED] * 3
    assert all("cancellation.subject.txt:1" in e.last_error for e in cancellations)

    (templates / "cancellation.subject.txt").unlink()
    status, out, _ = fs_conf("outbox", "--retry")
    assert status == 0 and out.splitlines()[0] == "Rendered again and queued 3 mails."
    scheduler.tick()
    cancellations = [e for e in store.outbox_list() if e.kind == "cancellation"]
    assert [e.status for e in cancellations] == [OutboxStatus.SENT] * 3
    assert all(
        b"METHOD:CANCEL" in e.message and b"223456789" not in e.message for e in cancellations
    )


def test_retry_leaves_mails_a_later_sequence_replaced(
    templates: Path,
    store: Store,
    new_scheduler: NewScheduler,
    fs_conf: Cli,
) -> None:
    conf = stored(store)
    scheduler = new_scheduler(Renders())
    scheduler.tick()
    (templates / "update.html").write_text("<p>{{ nope }}</p>\n", encoding="utf-8")
    assert fs_conf("conference", "update", str(conf.id), "--title", "A")[0] == 0
    scheduler.tick()
    assert fs_conf("conference", "update", str(conf.id), "--title", "B")[0] == 0
    (templates / "update.html").unlink()
    scheduler.tick()  # the second update (sequence 2) renders fine
    status, out, _ = fs_conf("outbox", "--retry")
    assert out.splitlines()[0] == "Rendered again and queued 0 mails."
    assert out.count("left as it is:") == 3 and "replaced by the mails of sequence 2" in out
    updates = sorted((e.sequence, e.status) for e in store.outbox_list() if e.kind == "update")
    assert updates == [(1, OutboxStatus.FAILED)] * 3 + [(2, OutboxStatus.SENT)] * 3


def test_a_failed_reminder_is_sent_by_retry_only_before_its_sitting(
    config: Config, templates: Path, store: Store, clock: SettableClock, new_scheduler: NewScheduler
) -> None:
    (templates / "reminder.txt").write_text("{{ nope }}\n", encoding="utf-8")
    stored(store)
    scheduler = new_scheduler(Renders())
    scheduler.tick()
    clock.at(START - timedelta(minutes=15))
    scheduler.tick()
    reminders = [e for e in store.outbox_list() if e.kind == "reminder"]
    assert [e.status for e in reminders] == [OutboxStatus.FAILED] * 3
    (templates / "reminder.txt").unlink()

    late = rerender_failed(store, config, START + timedelta(minutes=1))
    assert late.queued == 0 and len(late.skipped) == 3
    assert all(line.endswith(": the sitting has begun") for line in late.skipped)
    early = rerender_failed(store, config, START - timedelta(minutes=5))
    assert early.queued == 3 and early.failed == early.skipped == []
    reminders = [e for e in store.outbox_list() if e.kind == "reminder"]
    assert [e.status for e in reminders] == [OutboxStatus.PENDING] * 3
    assert all(b"Reminder: Weekly sync at 10:00" in e.message for e in reminders)
