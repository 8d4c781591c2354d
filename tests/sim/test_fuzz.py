"""Random frames thrown at both directions: the simulator answers or drops only that
connection, never crashes, and keeps serving other clients and calls."""

from __future__ import annotations

import logging

import gevent
from gevent import socket
from gevent.queue import Queue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fs_conf.sim import Simulator
from tests.sim.conftest import EslTestClient, IvrCall, ScriptedIvr, make_config

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
    catcher = ErrorCatcher()
    logging.getLogger("fs_conf.sim").addHandler(catcher)
    try:
        with Simulator(make_config()) as sim:
            sock = socket.create_connection(sim.esl_address)
            if authenticate:
                sock.sendall(b"auth ClueCon\n\n")
            for chunk in payload:
                try:
                    sock.sendall(chunk)
                except OSError:
                    break
            gevent.sleep(0.02)
            sock.close()
            _healthy(sim)
    finally:
        logging.getLogger("fs_conf.sim").removeHandler(catcher)
    assert not catcher.records, catcher.records[0].getMessage()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(frames(), min_size=1, max_size=6))
def test_outbound_survives_random_frames(payload: list[bytes]) -> None:
    done: Queue = Queue()

    def script(call: IvrCall) -> None:
        call.command("connect")
        for chunk in payload:
            try:
                call.conn.sock.sendall(chunk)
            except OSError:
                break
        gevent.sleep(0.02)
        call.conn.close()
        done.put(True)

    catcher = ErrorCatcher()
    logging.getLogger("fs_conf.sim").addHandler(catcher)
    ivr = ScriptedIvr(script)
    try:
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
        logging.getLogger("fs_conf.sim").removeHandler(catcher)
    assert not catcher.records, catcher.records[0].getMessage()
