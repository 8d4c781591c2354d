"""Random frames thrown at both directions: the simulator answers or drops only that
connection, never crashes, and keeps serving other clients and calls.

"Never crashes" covers every greenlet: an exception logged by the simulator, and one that
ends a separately spawned greenlet (a bgapi job, the outbound socket's after-call step, a
phone answering, a room's file player), which gevent would only print, both fail a test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import gevent
import pytest
from gevent import socket
from gevent.queue import Queue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fs_conf.sim import Simulator
from tests.sim.conftest import EslTestClient, IvrCall, ScriptedIvr, greenlet_crashes, make_config

WORDS = [
    "api",
    "bgapi",
    "event",
    "event plain",
    "event json ALL",
    "filter",
    "filter delete",
    "nixevent",
    "noevents",
    "sendmsg",
    "sendevent",
    "myevents",
    "linger",
    "linger 2",
    "nolinger",
    "log",
    "nolog",
    "divert_events",
    "resume",
    "getvar",
    "connect",
    "exit",
    "auth",
    "api conference",
    "api originate",
    "api uuid_kill",
    "api show",
    "frob",
]
HEADERS = [
    "call-command",
    "execute-app-name",
    "execute-app-arg",
    "Event-UUID",
    "loops",
    "Content-Length",
    "Job-UUID",
    "event-lock",
    "hangup-cause",
    "Event-Subclass",
]
APPS = [
    "answer",
    "playback",
    "play_and_get_digits",
    "sleep",
    "set",
    "hangup",
    "conference",
    "nosuchapp",
    "park",
    "transfer",
    "bridge",
    "export",
]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    command = draw(st.sampled_from(WORDS)) + draw(st.text(max_size=20))
    lines = [command]
    for _ in range(draw(st.integers(0, 5))):
        name = draw(st.sampled_from(HEADERS + [""]))
        if name == "execute-app-name":
            value = draw(st.sampled_from(APPS))
        elif name == "Content-Length":
            value = str(draw(st.integers(-10, 300)))
        else:
            value = draw(st.text(max_size=30).filter(lambda t: "\n" not in t))
        lines.append(f"{name}: {value}" if name else value)
    raw = ("\n".join(lines) + "\n\n").encode("utf-8", "replace")
    return raw + draw(st.binary(max_size=50))


class ErrorCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is not None:
            self.records.append(record)


def _healthy(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert client.api("global_getvar domain") == "127.0.0.1"
    client.close()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(frames(), min_size=1, max_size=6), st.booleans())
def test_inbound_survives_random_frames(payload: list[bytes], authenticate: bool) -> None:
    with no_crash():
        with Simulator(make_config()) as sim:
            sock = socket.create_connection(sim.esl_address)
            if authenticate:
                sock.sendall(b"auth ClueCon\n\n")
            send_all(sock, payload)
            gevent.sleep(0.02)
            sock.close()
            _healthy(sim)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(frames(), min_size=1, max_size=6))
def test_outbound_survives_random_frames(payload: list[bytes]) -> None:
    _outbound_fuzz(payload, connect_first=True)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(frames(), min_size=1, max_size=6))
def test_outbound_survives_random_frames_before_connect(payload: list[bytes]) -> None:
    """The call socket's first frames need not be `connect`."""
    _outbound_fuzz(payload, connect_first=False)


def _outbound_fuzz(payload: list[bytes], connect_first: bool) -> None:
    done: Queue = Queue()

    def script(call: IvrCall) -> None:
        if connect_first:
            call.command("connect")
        send_all(call.conn.sock, payload)
        gevent.sleep(0.02)
        call.conn.close()
        done.put(True)

    ivr = ScriptedIvr(script)
    try:
        with no_crash():
            with Simulator(make_config(global_vars={"ivr_socket": ivr.address})) as sim:
                first = sim.call("3000")
                other = sim.call("3003")
                done.get(timeout=5)
                first.hangup()
                first.wait_hangup(timeout=5)
                assert other.alive
                _healthy(sim)
    finally:
        ivr.stop()
    assert not ivr.errors, ivr.errors[0]


def send_all(sock: socket.socket, payload: list[bytes]) -> None:
    for chunk in payload:
        try:
            sock.sendall(chunk)
        except OSError:
            return


@contextmanager
def no_crash() -> Iterator[None]:
    """Fail on an exception the simulator logged or one that ended any greenlet."""
    catcher = ErrorCatcher()
    logger = logging.getLogger("fs_conf.sim")
    logger.addHandler(catcher)
    try:
        with greenlet_crashes() as crashes:
            yield
            gevent.sleep(0.05)  # let greenlets spawned by the last frames run to their end
    finally:
        logger.removeHandler(catcher)
    assert not catcher.records, catcher.records[0].getMessage()
    assert not crashes, crashes[0]


def test_no_crash_fails_on_a_crash_in_a_spawned_greenlet() -> None:
    """The guard itself: a greenlet dying of an exception (which gevent only prints) fails."""

    def job() -> None:
        raise RuntimeError("job crashed")

    with pytest.raises(AssertionError, match="job crashed"):
        with no_crash():
            gevent.spawn(job)
