"""Issue 10, item 10: another program holds the database's write lock.

A second process (here: Python's sqlite3 in a subprocess, as `sqlite3 fs_conf.sqlite3 'BEGIN
IMMEDIATE;'` or a backup tool would) takes SQLite's write lock and keeps it. fs_conf waits for
it without stopping the gevent hub, so every other call goes on meanwhile; a command line gives
up after a bounded wait with one line and exit status 2; a caller waits, or hears goodbye.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import gevent
import pytest

from fs_conf.store import open_store
from tests.ivr.conftest import GUEST_PIN, START, Bridge
from tests.reliability.sample import a_conference

REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    connection.execute("PRAGMA locking_mode = EXCLUSIVE")
    connection.execute("BEGIN EXCLUSIVE")
    connection.execute("CREATE TABLE held (x)")
else:
    connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""
"""Takes the write lock (with `exclusive`, in `locking_mode=EXCLUSIVE`, which keeps readers
out too), says so, and keeps it until its stdin ends."""

ALONE = "conference/conf-alone.wav"
PIN = "conference/conf-pin.wav"
GOODBYE = "conference/conf-goodbye.wav"


@contextmanager
def write_lock_held(database: Path, mode: str = "immediate") -> Iterator[Callable[[], None]]:
    """Another process holds the write lock on `database`; call the yielded function to let
    it go (it is let go at the end in any case)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    stdin = holder.stdin

    def release() -> None:
        if not stdin.closed:
            stdin.close()

    try:
        assert holder.stdout.readline() == "locked\n"
        yield release
    finally:
        release()
        holder.wait(timeout=10)
        holder.stdout.close()


def test_the_command_line_says_the_database_is_busy_and_writes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "fs_conf.sqlite3"
    open_store(database).close()
    config = tmp_path / "fs_conf.yaml"
    config.write_text(f"database: {database}\nmail: {{folder: {tmp_path / 'mail'}}}\n")
    command = [
        sys.executable, "-m", "fs_conf", "--config", str(config), "conference", "create",
        "--title", "Planning", "--start", "2099-03-04T10:00", "--duration", "60",
    ]  # fmt: skip
    with write_lock_held(database):
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("fs-conf: database: busy (locked by another program")
    assert str(database) in lines[0]
    with open_store(database) as store:
        assert store.list_conferences(include_cancelled=True) == []


def test_other_greenlets_run_while_a_write_waits_for_the_lock(tmp_path: Path) -> None:
    database = tmp_path / "fs_conf.sqlite3"
    with open_store(database) as store, write_lock_held(database) as release:
        writer = gevent.spawn(store.add_conference, a_conference())
        ticks = 0
        while ticks < 20:  # this greenlet ticks while the writer waits for the lock
            gevent.sleep(0.01)
            ticks += 1
        assert not writer.ready(), writer.exception
        release()
        stored = writer.get(timeout=30)
        assert [c.id for c in store.list_conferences()] == [stored.id]


def test_opening_waits_for_a_program_that_keeps_readers_out_too(tmp_path: Path) -> None:
    database = tmp_path / "fs_conf.sqlite3"
    open_store(database).close()
    with write_lock_held(database, "exclusive") as release:
        opening = gevent.spawn(open_store, database)
        gevent.sleep(0.2)
        assert not opening.ready(), opening.exception
        release()
        with opening.get(timeout=30) as store:
            assert store.list_conferences() == []


def test_a_caller_waits_for_the_lock_while_other_calls_go_on(bridge: Bridge) -> None:
    conference = bridge.conference()
    with write_lock_held(Path(bridge.config.database)) as release:
        waiting = bridge.enter(GUEST_PIN)
        waiting.wait_heard(ALONE)
        other = bridge.call(caller_id="1002")
        other.wait_heard(PIN)
        assert waiting.alive and waiting.member is None
        release()
        bridge.member(waiting, timeout=15)
    assert waiting.heard[-1] == ALONE
    attendance = bridge.store.attendance_for(conference.stored_id, START)
    assert [record.call_uuid for record in attendance] == [waiting.uuid]


def test_a_caller_hears_goodbye_when_the_lock_outlasts_the_wait(
    bridge: Bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    bridge.conference()
    impatient = open_store(bridge.config.database, clock=bridge.clock, busy_wait=1.0)
    monkeypatch.setattr(bridge.ivr.services, "store", impatient)
    try:
        with write_lock_held(Path(bridge.config.database)):
            call = bridge.enter(GUEST_PIN)
            call.wait_heard(ALONE)
            call.wait_hangup(timeout=15)
            other = bridge.call(caller_id="1002")
            other.wait_heard(PIN)
    finally:
        impatient.close()
    assert call.heard[-1] == GOODBYE
    assert call.member is None


def test_a_leave_that_cannot_be_recorded_is_one_error_line(
    bridge: Bridge, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    conference = bridge.conference()
    impatient = open_store(bridge.config.database, clock=bridge.clock, busy_wait=1.0)
    monkeypatch.setattr(bridge.ivr.services, "store", impatient)
    try:
        call = bridge.enter(GUEST_PIN)
        bridge.member(call)
        with write_lock_held(Path(bridge.config.database)):
            call.hangup()
            bridge.wait_calls_gone(timeout=15)
    finally:
        impatient.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.getMessage().split(": database: busy")[0], r.exc_info) for r in errors] == [
        (f"call {call.uuid!r}: its leave is not recorded", None)
    ]
    [stay] = bridge.store.attendance_for(conference.stored_id, START)
    assert stay.left_at is None
