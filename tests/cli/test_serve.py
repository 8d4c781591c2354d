"""`fs-conf serve`: calls, mails and the schedule in one process, until SIGTERM."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
import pytest

from fs_conf.cli.serve import serve
from fs_conf.config import SocketConfig
from fs_conf.model import Conference
from fs_conf.scheduler import Scheduler
from fs_conf.sim import SimConfig, Simulator
from fs_conf.store import open_store
from tests.ivr.conftest import (
    GUEST_PIN,
    MODERATOR_PIN,
    SHIPPED_CONFERENCE,
    TIME_SCALE,
    test_config,
    wait_until,
    write_dialplan,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    """True once something listens on `port` (binding it then fails), without connecting,
    which the IVR would take for a call."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


@contextmanager
def serving(tmp_path: Path) -> Iterator[tuple[Simulator, gevent.Greenlet]]:
    """`serve` in this process (a greenlet) against a simulator, with one conference open
    now on 3400; the test ends it with SIGTERM and the greenlet must end successfully."""
    port = free_port()
    dialplan = write_dialplan(tmp_path / "dialplan", port)
    sim = Simulator(
        SimConfig(dialplan=dialplan, conference_config=SHIPPED_CONFERENCE, time_scale=TIME_SCALE)
    ).start()
    try:
        config = test_config(
            tmp_path,
            sim.esl_address,
            sim.password,
            freeswitch={"socket": SocketConfig("127.0.0.1", port)},
        )
        with open_store(config.database) as store:
            store.add_conference(
                Conference(
                    title="Now",
                    start=datetime.now(UTC),
                    timezone="UTC",
                    duration=timedelta(hours=1),
                    number="3400",
                    guest_pin=GUEST_PIN,
                    moderator_pin=MODERATOR_PIN,
                    uid="now@test",
                )
            )
        server = gevent.spawn(serve, config)
        wait_until(lambda: listening(port))
        # What start-up made is out of the collector's sight (settle_heap).
        assert gc.get_freeze_count() > 0
        yield sim, server
        os.kill(os.getpid(), signal.SIGTERM)
        server.join(timeout=10)
        assert server.successful()
    finally:
        gc.unfreeze()
        sim.stop()


def test_serve_takes_calls_until_sigterm(tmp_path: Path) -> None:
    with serving(tmp_path) as (sim, _):
        call = sim.call("3400", caller_id="1001")
        call.wait_heard("conference/conf-pin.wav")
        call.press(GUEST_PIN + "#")
        call.wait_member()
    call.wait_hangup()


def test_fs_conf_serve_mails_invitations_and_takes_calls(tmp_path: Path) -> None:
    """The console command in its own process: the scheduler mails the invitations of a
    conference made with `fs-conf conference create`, and a caller gets into the room."""
    port = free_port()
    dialplan = write_dialplan(tmp_path / "dialplan", port)
    sim = Simulator(
        SimConfig(dialplan=dialplan, conference_config=SHIPPED_CONFERENCE, time_scale=TIME_SCALE)
    ).start()
    mail = tmp_path / "mail"
    config_file = tmp_path / "fs_conf.yaml"
    host, esl_port = sim.esl_address
    config_file.write_text(
        f"database: {tmp_path / 'fs_conf.sqlite3'}\n"
        f"freeswitch:\n  esl: {{host: {host}, port: {esl_port}, password: {sim.password}}}\n"
        f"  socket: {{host: 127.0.0.1, port: {port}}}\n"
        f"mail: {{transport: folder, folder: {mail}}}\n",
        encoding="utf-8",
    )
    fs_conf = [sys.executable, "-m", "fs_conf", "--config", str(config_file)]
    created = subprocess.run(
        [
            *fs_conf,
            "conference",
            "create",
            "--title",
            "Now",
            "--start",
            "now",
            "--duration",
            "30",
            "--participant",
            "Mia <mia@example.org>;moderator",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pin = json.loads(created.stdout)["participants"][0]["pin"]
    process = subprocess.Popen([*fs_conf, "serve"], stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: listening(port), timeout=20)
        wait_until(lambda: len(list(mail.glob("*.eml"))) == 1, timeout=20)
        call = sim.call("3400", caller_id="1001")
        call.wait_heard("conference/conf-pin.wav", timeout=10)
        call.press(pin + "#")
        assert call.wait_member(10).moderator  # type: ignore[attr-defined]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        # FreeSWITCH keeps a caller in the room when the IVR's socket closes (a restart of
        # fs_conf adopts them: tests/reliability/test_serve_restart.py).
        assert call.alive and call.member is not None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        sim.stop()
    assert pin not in (process.stderr.read() if process.stderr else "")


def test_serve_wakes_its_scheduler_when_a_moderator_extends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`*6` moves the end: the scheduler in the same process must plan again at once (it
    warns before the new end), not at its next safety check."""
    woken: list[bool] = []
    monkeypatch.setattr(Scheduler, "wake", lambda self: woken.append(True))
    with serving(tmp_path) as (sim, _):
        call = sim.call("3400", caller_id="1001")
        call.wait_heard("conference/conf-pin.wav")
        call.press(MODERATOR_PIN + "#")
        call.wait_member()
        woken.clear()
        call.press("*6")
        wait_until(lambda: woken == [True])
