"""The wake datagram: a change made by `fs-conf` in another process wakes a sleeping scheduler
at once, without polling; the socket next to the database comes and goes with the loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import gevent
import gevent.event
import pytest

from fs_conf.config import load_config
from fs_conf.esl import InboundESL
from fs_conf.mail.transport import FolderTransport
from fs_conf.scheduler import Scheduler
from fs_conf.scheduler.wake import WakeListener, notify, wake_path
from fs_conf.store import OutboxStatus, open_store

REPO = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        gevent.sleep(0.01)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "fs_conf.sqlite3"


@pytest.fixture
def listener(database: Path) -> Iterator[tuple[WakeListener, list[int]]]:
    woken: list[int] = []
    listening = WakeListener(database, lambda: woken.append(1))
    yield listening, woken
    listening.stop()


def test_the_socket_sits_next_to_the_database(
    tmp_path: Path, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert wake_path(database) == tmp_path / "fs_conf.sqlite3.wake"
    monkeypatch.chdir(tmp_path)
    assert wake_path("fs_conf.sqlite3") == tmp_path / "fs_conf.sqlite3.wake"


def test_a_datagram_wakes_the_listener_and_stop_removes_the_socket(
    database: Path, listener: tuple[WakeListener, list[int]]
) -> None:
    listening, woken = listener
    database.write_bytes(b"")
    os.chmod(database, 0o640)
    assert listening.start()
    assert wake_path(database).is_socket()
    assert os.stat(wake_path(database)).st_mode & 0o777 == 0o640
    notify(database)
    notify(database)
    wait_until(lambda: len(woken) == 2)
    listening.stop()
    assert not wake_path(database).exists()
    notify(database)  # nobody listens: no error


def test_a_socket_left_by_a_killed_serve_is_replaced(
    database: Path, listener: tuple[WakeListener, list[int]]
) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(wake_path(database)))
    stale.close()  # the file stays, nobody reads it
    listening, woken = listener
    assert listening.start()
    notify(database)
    wait_until(lambda: woken == [1])


def test_a_second_scheduler_on_the_same_database_does_not_take_the_socket(
    database: Path, listener: tuple[WakeListener, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    first, woken = listener
    assert first.start()
    second = WakeListener(database, lambda: None)
    assert not second.start()
    assert "another scheduler listens there" in caplog.text
    second.stop()
    assert wake_path(database).is_socket()  # the first one's socket stays
    notify(database)
    wait_until(lambda: len(woken) >= 2)  # the probe and the notification


def test_a_path_too_long_for_a_socket_falls_back_to_the_safety_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    deep = tmp_path / ("d" * 100)
    listening = WakeListener(deep / "fs_conf.sqlite3", lambda: None)
    assert not listening.start()
    assert "too long for a Unix socket" in caplog.text


def test_a_cli_change_in_another_process_wakes_a_sleeping_scheduler_promptly(
    tmp_path: Path,
) -> None:
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(
        f"database: {tmp_path / 'fs_conf.sqlite3'}\nmail: {{folder: {tmp_path / 'mail'}}}\n",
        encoding="utf-8",
    )
    config = load_config(config_file)
    naps: list[float] = []

    def wait(event: gevent.event.Event, seconds: float) -> object:
        naps.append(seconds)
        return event.wait(seconds)

    store = open_store(config.database)
    esl = InboundESL("127.0.0.1", 9, "ClueCon")
    scheduler = Scheduler(config, store, esl, FolderTransport(config.mail.folder), wait=wait)
    runner = gevent.spawn(scheduler.run)
    try:
        wait_until(lambda: naps and wake_path(config.database).is_socket())
        assert naps == [60.0]  # asleep for the whole safety interval: no polling
        command = subprocess.Popen(
            [
                sys.executable, "-m", "fs_conf", "--config", str(config_file),
                "conference", "create", "--title", "Planning", "--start", "2099-03-04T10:00",
                "--duration", "60", "--participant", "Ann <ann@example.org>",
                "--participant", "Bob <bob@example.org>",
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: command.poll() is not None, timeout=30.0)
        assert command.returncode == 0
        committed = time.monotonic()
        wait_until(lambda: len(store.outbox_list(OutboxStatus.SENT)) == 2, timeout=5.0)
        assert time.monotonic() - committed < 2.0
        assert len(list((tmp_path / "mail").glob("*.eml"))) == 2
    finally:
        scheduler.stop()
        runner.join(timeout=5.0)
        esl.stop()
        store.close()
    assert not wake_path(config.database).exists()
