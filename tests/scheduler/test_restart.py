"""A scheduler killed with SIGKILL in the middle of its work and started again neither loses
nor repeats mails: each is queued once (outbox keys, queued with the mailing mark) and
delivered once, but for the single message whose delivery a kill may cut off before it is
marked sent."""

from __future__ import annotations

import collections
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fs_conf.store import OutboxStatus, Store, open_store

from .conftest import conference, people

REPO = Path(__file__).resolve().parents[2]
CONFERENCES = 60
MAILS = CONFERENCES * len(people())


class Child:
    """The scheduler process; killed and started again by the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.database = tmp_path / "fs_conf.sqlite3"
        self.folder = tmp_path / "mail"
        self.log = tmp_path / "deliveries.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.scheduler.scheduler_child",
                str(self.database),
                str(self.folder),
                str(self.log),
            ],
            cwd=REPO,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def deliveries(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


@pytest.fixture
def child(tmp_path: Path) -> Iterator[Child]:
    running = Child(tmp_path)
    yield running
    if running.process is not None:
        running.kill()


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the scheduler process did not get there in time"
        time.sleep(0.005)


def queued(store: Store) -> int:
    return len(store.outbox_list())


def test_kills_while_queueing_and_while_delivering_lose_and_repeat_nothing(child: Child) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    store = open_store(child.database)
    try:
        for number in range(CONFERENCES):
            store.add_conference(
                dataclasses.replace(conference(), uid=f"c{number}@test", start=start)
            )
        child.start()
        wait_for(lambda: queued(store) > 0)
        child.kill()
        halfway = queued(store)
        child.start()
        wait_for(lambda: len(child.deliveries()) > 0)
        child.kill()
        child.start()
        wait_for(lambda: len(store.outbox_list(OutboxStatus.SENT)) == MAILS)
        child.kill()
        entries = store.outbox_list()
        marks = store.mailings()
        mailed = [c.mailed for c in store.list_conferences()]
    finally:
        store.close()
    assert 0 < halfway < MAILS, "the first kill was meant to land while mails were queued"
    assert len(entries) == MAILS == len({e.key for e in entries})
    assert {e.status for e in entries} == {OutboxStatus.SENT}
    assert len(marks) == CONFERENCES and all(m.sequence == 0 for m in marks.values())
    assert all(mailed)
    delivered = collections.Counter(child.deliveries())
    assert set(delivered) == {e.key for e in entries}
    assert sum(count - 1 for count in delivered.values()) <= 1
    assert len(list(child.folder.glob("*.eml"))) == MAILS
