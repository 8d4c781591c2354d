"""The scheduler delivers while it renders, gives way to other greenlets after every
recipient, and with several SMTP sessions still leaves at most one mail accepted and not
yet marked (so a crash repeats at most one)."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
import pytest

from fs_conf.clock import SettableClock
from fs_conf.config import Config, MailConfig, SmtpConfig
from fs_conf.esl import InboundESL
from fs_conf.mail import compose
from fs_conf.mail.compose import build_mails
from fs_conf.mail.transport import transport_from_config
from fs_conf.model import Participant, Role
from fs_conf.scheduler import Scheduler
from fs_conf.store import OutboxStatus, OutgoingMail, Store, open_store
from tests.ivr.conftest import wait_until
from tests.mail.conftest import SmtpServer

from .conftest import conference

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def offline_esl() -> Iterator[InboundESL]:
    esl = InboundESL("127.0.0.1", 9, "ClueCon")
    yield esl
    esl.stop()


def smtp_config(tmp_path: Path, port: int, connections: int = 2) -> Config:
    smtp = SmtpConfig(host="127.0.0.1", port=port, timeout=5.0, connections=connections)
    return dataclasses.replace(
        Config(),
        database=str(tmp_path / "fs_conf.sqlite3"),
        mail=MailConfig(transport="smtp", sender="bridge@pbx.example.com", smtp=smtp),
    )


def add_conferences(store: Store, count: int, people: int) -> None:
    for number in range(count):
        participants = [
            Participant(f"P {number}-{n}", f"p{number}-{n}@example.org", None, Role.PARTICIPANT)
            for n in range(people)
        ]
        store.add_conference(
            conference(uid=f"c{number}@test", participants=participants, title=f"Call {number}")
        )


@dataclasses.dataclass
class ServerCountAtRender:
    """An offload that notes how many mails the server had when each rendering began."""

    server: SmtpServer
    counts: list[int] = dataclasses.field(default_factory=list)

    def __call__(
        self, func: Callable[..., Any], args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        if func is build_mails:
            self.counts.append(self.server.count())
        return func(*args, **(kwargs or {}))


def test_mails_go_out_while_the_next_conferences_are_still_rendered(
    tmp_path: Path,
    smtp_server: SmtpServer,
    offline_esl: InboundESL,
    store: Store,
    clock: SettableClock,
) -> None:
    config = smtp_config(tmp_path, smtp_server.port)
    add_conferences(store, count=4, people=3)
    renders = ServerCountAtRender(smtp_server)
    transport = transport_from_config(config.mail)
    scheduler = Scheduler(config, store, offline_esl, transport, clock, offload=renders)
    scheduler.tick()
    # Each conference's invitations were at the server before the next conference rendered.
    assert renders.counts == [0, 3, 6, 9]
    assert smtp_server.count() == 12
    assert {e.status for e in store.outbox_list()} == {OutboxStatus.SENT}


def test_other_greenlets_run_between_every_two_recipients_even_when_never_idle(
    tmp_path: Path,
    smtp_server: SmtpServer,
    offline_esl: InboundESL,
    store: Store,
    clock: SettableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = smtp_config(tmp_path, smtp_server.port)
    add_conferences(store, count=2, people=5)
    turns = 0
    stop = False

    def busy() -> None:
        """A greenlet that is always ready: the hub is never idle while it runs."""
        nonlocal turns
        while not stop:
            turns += 1
            gevent.sleep(0)

    seen: list[int] = []
    personal = compose._Composer.personal

    def noting(self: Any, participant: Participant) -> OutgoingMail:
        seen.append(turns)
        return personal(self, participant)

    monkeypatch.setattr(compose._Composer, "personal", noting)
    other = gevent.spawn(busy)
    scheduler = Scheduler(config, store, offline_esl, transport_from_config(config.mail), clock)
    try:
        gevent.with_timeout(30, scheduler.tick)
    finally:
        stop = True
        other.join()
    assert len(seen) == 10
    assert all(later > earlier for earlier, later in zip(seen, seen[1:], strict=False)), seen
    assert smtp_server.count() == 10


def test_a_backlog_goes_out_one_batch_per_turn_and_the_loop_does_not_sleep_meanwhile(
    tmp_path: Path,
    smtp_server: SmtpServer,
    offline_esl: InboundESL,
    store: Store,
    clock: SettableClock,
) -> None:
    config = smtp_config(tmp_path, smtp_server.port)
    mails = [
        OutgoingMail(None, f"r{n}@example.org", "invitation", 0, b"Subject: x\r\n\r\nhello\r\n")
        for n in range(250)
    ]
    store.outbox_add(mails, clock())
    scheduler = Scheduler(config, store, offline_esl, transport_from_config(config.mail), clock)
    sleeps, sent = [], []
    for _ in range(3):
        sleeps.append(scheduler.tick())
        sent.append(len(store.outbox_list(OutboxStatus.SENT)))
    assert sent == [100, 200, 250]
    assert sleeps[:2] == [0.0, 0.0] and sleeps[2] > 0
    assert smtp_server.count() == 250


CHILD = """
from gevent import monkey
monkey.patch_all()
import sys
from tests.scheduler.scheduler_child import child_config
from fs_conf.esl import InboundESL
from fs_conf.mail.transport import transport_from_config
from fs_conf.scheduler import Scheduler
from fs_conf.store import open_store
config = child_config(sys.argv[1], int(sys.argv[2]))
Scheduler(config, open_store(config.database), InboundESL("127.0.0.1", 9, "x"),
          transport_from_config(config.mail)).run()
"""


@dataclasses.dataclass
class MarkedWhenEnded:
    """Notes, as each message's data ends at the server (before its 250 goes back), how
    many messages the server had taken before and how many the store had marked sent."""

    database: Path
    seen: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def __call__(self, envelope: Any) -> None:
        connection = sqlite3.connect(self.database)
        try:
            marked = connection.execute(
                "SELECT count(*) FROM outbox WHERE status = 'sent'"
            ).fetchone()[0]
        finally:
            connection.close()
        with self.lock:
            self.seen.append((len(self.seen), marked))


def test_two_sessions_deliver_side_by_side_and_one_mail_at_most_is_unmarked(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """`fs-conf serve`'s scheduler (gevent-patched, in a process of its own, the default
    `mail.smtp.connections`)."""
    database = tmp_path / "fs_conf.sqlite3"
    with open_store(database) as store:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        for number in range(10):
            store.add_conference(
                dataclasses.replace(conference(), uid=f"c{number}@test", start=start)
            )
    marks = MarkedWhenEnded(database)
    smtp_server.handler.on_data = marks
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(database), str(smtp_server.port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        with open_store(database) as store:
            wait_until(lambda: len(store.outbox_list(OutboxStatus.SENT)) == 30, timeout=30.0)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert SmtpConfig().connections == 2
    assert smtp_server.count() == 30
    # Every message ended only once all the messages before it had been marked sent.
    assert marks.seen == [(taken, taken) for taken in range(30)]
    sessions = [m.session for m in smtp_server.handler.messages]
    assert len(set(sessions)) >= 2
    # side by side: the messages of a batch alternate between the sessions
    assert sum(1 for a, b in zip(sessions, sessions[1:], strict=False) if a != b) > len(
        set(sessions)
    )
