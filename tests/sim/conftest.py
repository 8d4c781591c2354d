"""Fixtures for the simulator tests: a running Simulator, a raw ESL client, a scripted IVR.

The raw client and the scripted IVR are deliberately tiny and independent of fs_conf.esl:
they read frames exactly as bytes arrive, so tests can assert on the wire format.
"""

from __future__ import annotations

import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import pytest
from gevent import socket
from gevent.queue import Queue
from gevent.server import StreamServer

from fs_conf.sim import SimConfig, Simulator

DATA = Path(__file__).parent / "data"
RECORDINGS = Path("/work/shared/freeswitch/recordings")


@dataclass
class TFrame:
    """A frame as received: raw header block, parsed headers (ordered), body."""

    raw: bytes
    headers: list[tuple[str, str]]
    body: str

    def get(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.get("Content-Type") or ""

    @property
    def event(self) -> dict[str, str]:
        """A plain event body as a dict (first occurrence wins, values url-decoded)."""
        head = self.body.split("\n\n", 1)[0]
        out: dict[str, str] = {}
        for line in head.split("\n"):
            key, sep, value = line.partition(": ")
            if sep:
                out.setdefault(key, urllib.parse.unquote(value))
        return out

    @property
    def event_names(self) -> list[str]:
        head = self.body.split("\n\n", 1)[0]
        return [line.partition(": ")[0] for line in head.split("\n") if ": " in line]


class FrameSocket:
    """Reads FreeSWITCH frames (headers, blank line, Content-Length body) from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def read_frame(self, timeout: float = 5.0) -> TFrame | None:
        with gevent.Timeout(timeout, TimeoutError("no frame within timeout")):
            while b"\n\n" not in self.buf:
                if not self._fill():
                    return None
            head, self.buf = self.buf.split(b"\n\n", 1)
            headers = []
            for line in head.decode().split("\n"):
                key, _, value = line.partition(": ")
                headers.append((key, value))
            frame = TFrame(head, headers, "")
            length = frame.get("Content-Length")
            if length:
                size = int(length)
                while len(self.buf) < size:
                    if not self._fill():
                        return None
                frame.body, self.buf = self.buf[:size].decode(), self.buf[size:]
            return frame

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def close(self) -> None:
        self.sock.close()


class EslTestClient(FrameSocket):
    """An inbound ESL client for tests."""

    @classmethod
    def connect(cls, address: tuple[str, int], password: str | None = "ClueCon") -> EslTestClient:
        client = cls(socket.create_connection(address))
        greeting = client.read_frame()
        assert greeting is not None and greeting.content_type == "auth/request"
        if password is not None:
            reply = client.command(f"auth {password}")
            assert reply.get("Reply-Text") == "+OK accepted"
        return client

    def command(self, text: str) -> TFrame:
        self.send(text + "\n\n")
        frame = self.read_frame()
        assert frame is not None
        return frame

    def api(self, text: str) -> str:
        frame = self.command(f"api {text}")
        assert frame.content_type == "api/response", frame
        return frame.body

    def next_event(self, timeout: float = 5.0) -> TFrame:
        while True:
            frame = self.read_frame(timeout)
            assert frame is not None, "connection closed"
            if frame.content_type.startswith("text/event"):
                return frame

    def wait_event(
        self, predicate: Callable[[dict[str, str]], bool], timeout: float = 5.0
    ) -> dict[str, str]:
        deadline = gevent.get_hub().loop.now() + timeout
        while True:
            remaining = deadline - gevent.get_hub().loop.now()
            if remaining <= 0:
                raise TimeoutError("expected event did not arrive")
            event = self.next_event(remaining).event
            if predicate(event):
                return event


@dataclass
class IvrCall:
    """One outbound connection the simulator made to the scripted IVR."""

    conn: FrameSocket
    frames: list[TFrame] = field(default_factory=list)

    def command(self, text: str) -> TFrame:
        """Send a command; return its command/reply (events seen meanwhile are kept)."""
        self.conn.send(text + "\n\n")
        while True:
            frame = self.read()
            if frame.content_type in ("command/reply", "api/response"):
                return frame

    def read(self, timeout: float = 5.0) -> TFrame:
        frame = self.conn.read_frame(timeout)
        assert frame is not None, "simulator closed the socket"
        self.frames.append(frame)
        return frame

    def execute(self, app: str, arg: str = "", event_uuid: str | None = None) -> TFrame:
        lines = ["sendmsg", "call-command: execute", f"execute-app-name: {app}"]
        if arg:
            lines.append(f"execute-app-arg: {arg}")
        if event_uuid:
            lines.append(f"Event-UUID: {event_uuid}")
        return self.command("\n".join(lines))

    def wait_event(self, name: str, timeout: float = 5.0, **match: str) -> dict[str, str]:
        while True:
            frame = self.read(timeout)
            if not frame.content_type.startswith("text/event"):
                continue
            event = frame.event
            if event.get("Event-Name") == name and all(
                event.get(k.replace("_", "-")) == v for k, v in match.items()
            ):
                return event

    def run_app(self, app: str, arg: str = "", event_uuid: str = "") -> dict[str, str]:
        """execute and wait for its CHANNEL_EXECUTE_COMPLETE (matched by Application-UUID)."""
        uuid = event_uuid or f"{app}-{len(self.frames)}"
        self.execute(app, arg, uuid)
        return self.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=uuid)


class ScriptedIvr:
    """A TCP server standing in for the IVR: each connection runs `script(IvrCall)`."""

    def __init__(self, script: Callable[[IvrCall], None]) -> None:
        self.script = script
        self.calls: Queue = Queue()
        self.errors: list[BaseException] = []
        self.server = StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.address[1]}"

    def _handle(self, sock: socket.socket, address: tuple[str, int]) -> None:
        call = IvrCall(FrameSocket(sock))
        self.calls.put(call)
        try:
            self.script(call)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test via .errors
            self.errors.append(exc)

    def stop(self) -> None:
        self.server.stop(timeout=1)


@contextmanager
def greenlet_crashes() -> Iterator[list[str]]:
    """Collect every exception that ends a greenlet (or a hub callback) while the block runs.

    gevent reports those through Hub.handle_error -> Hub.print_exception, which only prints
    to stderr; a test that must not crash anywhere asserts the list is empty afterwards."""
    hub = gevent.get_hub()
    crashes: list[str] = []

    def record(context: object, kind: type, value: BaseException, tb: object) -> None:
        crashes.append(f"{context!r}: " + "".join(traceback.format_exception(kind, value, tb)))

    hub.print_exception = record  # type: ignore[method-assign]
    try:
        yield crashes
    finally:
        del hub.print_exception


def make_config(**overrides: object) -> SimConfig:
    values: dict[str, object] = {
        "dialplan": DATA / "dialplan.xml",
        "conference_config": DATA / "conference.conf.xml",
        "time_scale": 0.01,
        "default_sound_seconds": 1.0,
        "hostname": "simhost",
    }
    values.update(overrides)
    return SimConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(make_config()) as simulator:
        yield simulator


@pytest.fixture
def ivr_sim() -> Iterator[Callable[[Callable[[IvrCall], None]], tuple[Simulator, ScriptedIvr]]]:
    """Start a scripted IVR and a simulator whose 3000 goes to it."""
    started: list[tuple[Simulator, ScriptedIvr]] = []

    def start(
        script: Callable[[IvrCall], None], **overrides: object
    ) -> tuple[Simulator, ScriptedIvr]:
        ivr = ScriptedIvr(script)
        config = make_config(global_vars={"ivr_socket": ivr.address}, **overrides)
        simulator = Simulator(config).start()
        started.append((simulator, ivr))
        return simulator, ivr

    yield start
    for simulator, ivr in started:
        simulator.stop()
        ivr.stop()
