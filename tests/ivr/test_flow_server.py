"""`run_server(config)`, what `fs-conf serve` runs: it serves calls until SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent

from fs_conf.config import SocketConfig
from fs_conf.ivr.server import run_server
from fs_conf.model import Conference
from fs_conf.sim import SimConfig, Simulator
from fs_conf.store import open_store

from .conftest import (
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


def test_run_server_serves_calls_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    dialplan = write_dialplan(tmp_path / "dialplan", port)
    sim = Simulator(
        SimConfig(dialplan=dialplan, conference_config=SHIPPED_CONFERENCE, time_scale=TIME_SCALE)
    ).start()
    try:
        config = test_config(
            tmp_path, sim.esl_address, sim.password,
            freeswitch={"socket": SocketConfig("127.0.0.1", port)},
        )
        with open_store(config.database) as store:
            store.add_conference(Conference(
                title="Now", start=datetime.now(UTC), timezone="UTC",
                duration=timedelta(hours=1), number="3000", guest_pin=GUEST_PIN,
                moderator_pin=MODERATOR_PIN, uid="now@test",
            ))
        server = gevent.spawn(run_server, config)
        wait_until(lambda: listening(port))
        call = sim.call("3000", caller_id="1001")
        call.wait_heard("conference/conf-pin.wav")
        call.press(GUEST_PIN + "#")
        call.wait_member()
        os.kill(os.getpid(), signal.SIGTERM)
        server.join(timeout=10)
        assert server.successful()
        call.wait_hangup()
    finally:
        sim.stop()
