"""A scheduler killed with SIGKILL at random moments of its work, and started again, loses no
mail and repeats only the mail that was in flight at a kill.

Each trial queues and delivers the invitations of many conferences over SMTP to a real
server in this process, killing the scheduler process several times: first while it queues,
then while it delivers, then anywhere. Every queued mail is queued once (outbox keys,
queued with the mailing mark) and arrives. A mail arrives twice only when a kill fell in
the one window that cannot be closed, between the server's 250 and the local commit of
`sent` (fs_conf.mail.delivery), and then as the same bytes with the same Message-ID. The
accounting is exact: per kill, at most one mail the server took is left unmarked, and each
mail's copies are one plus the kills that left it so. Half the trials hold that window open
(the process waits after each 250) so that kills land in it and the duplicates are seen.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest

from fs_conf.store import OutboxStatus, Store, open_store
from tests.mail.conftest import SmtpServer

from .conftest import conference, people

REPO = Path(__file__).resolve().parents[2]
CONFERENCES = 20
MAILS = CONFERENCES * len(people())
KILLS = 6
HOLD_MS = 10
TRIALS = [(seed, 0) for seed in range(2)] + [(seed, HOLD_MS) for seed in range(2, 4)]


class Child:
    """The scheduler process; killed and started again by the test."""

    def __init__(self, database: Path, port: int, hold_ms: int) -> None:
        self.database = database
        self.arguments = [str(database), str(port), str(hold_ms)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.scheduler.scheduler_child", *self.arguments],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "fs_conf.sqlite3"


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the scheduler process did not get there in time"
        time.sleep(0.002)


def sent_ids(store: Store) -> set[str]:
    return {message_id(e.message) for e in store.outbox_list(OutboxStatus.SENT)}


def message_id(message: bytes) -> str:
    return str(message_from_bytes(message)["Message-ID"])


@dataclasses.dataclass
class Kill:
    queued: int
    sent: int
    unmarked: list[str]
    """Message-IDs the server took from this run of the process that the store had not
    marked sent when it was killed: the mail in the window, if any."""


def run_and_kill(
    child: Child, store: Store, smtp_server: SmtpServer, rng: random.Random, queueing: bool
) -> Kill:
    """Start the process, let it make progress (queue a conference's mails, or have the
    server take a mail), kill it a random moment later, and note what it left."""
    received_before, queued_before = smtp_server.count(), len(store.outbox_list())
    child.start()
    if queueing:
        wait_for(lambda: len(store.outbox_list()) > queued_before)
        time.sleep(rng.uniform(0, 0.005))
    else:
        wait_for(lambda: smtp_server.count() > received_before)
        time.sleep(rng.uniform(0, 0.03))
    child.kill()
    smtp_server.settle()
    marked = sent_ids(store)
    taken = smtp_server.message_ids(since=received_before)
    return Kill(
        queued=len(store.outbox_list()),
        sent=len(marked),
        unmarked=[mid for mid in taken if mid not in marked],
    )


@pytest.mark.parametrize(("seed", "hold_ms"), TRIALS)
def test_kills_at_random_moments_lose_nothing_and_repeat_only_the_mail_in_flight(
    seed: int, hold_ms: int, smtp_server: SmtpServer, database: Path
) -> None:
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    child = Child(database, smtp_server.port, hold_ms)
    store = open_store(database)
    kills: list[Kill] = []
    try:
        for number in range(CONFERENCES):
            store.add_conference(
                dataclasses.replace(conference(), uid=f"c{number}@test", start=start)
            )
        for round_ in range(KILLS):
            if len(store.outbox_list(OutboxStatus.SENT)) == MAILS:
                break
            # First while queueing, then while delivering, then at either while both go on.
            unqueued = len(store.outbox_list()) < MAILS
            queueing = unqueued and (round_ == 0 or (round_ > 1 and rng.random() < 0.3))
            kills.append(run_and_kill(child, store, smtp_server, rng, queueing))
        child.start()
        wait_for(lambda: len(store.outbox_list(OutboxStatus.SENT)) == MAILS)
        child.kill()
        smtp_server.settle()
        entries = store.outbox_list()
        marks = store.mailings()
        mailed = [c.mailed for c in store.list_conferences()]
    finally:
        if child.process is not None:
            child.kill()
        store.close()

    # Queued once each, all delivered, all conferences marked as mailed.
    assert 0 < kills[0].queued < MAILS, "the first kill was meant to land while mails were queued"
    assert len(entries) == MAILS == len({e.key for e in entries})
    assert {e.status for e in entries} == {OutboxStatus.SENT}
    assert len(marks) == CONFERENCES and all(m.sequence == 0 for m in marks.values())
    assert all(mailed)
    stored = {message_id(e.message): e.message for e in entries}
    copies = collections.Counter(smtp_server.message_ids())
    assert set(copies) == set(stored), "every mail arrives"
    # Repeated: only the one mail in the window of each kill, as often as kills caught it.
    assert all(len(kill.unmarked) <= 1 for kill in kills), kills
    caught = collections.Counter(mid for kill in kills for mid in kill.unmarked)
    assert {mid: count - 1 for mid, count in copies.items() if count > 1} == dict(caught)
    with smtp_server.handler.lock:
        for received in smtp_server.handler.messages:
            original = stored[message_id(received.data)]
            assert received.data.replace(b"\r\n", b"\n") == original.replace(b"\r\n", b"\n")
    if hold_ms:
        assert caught, "with the window held open, some kill should have landed in it"
