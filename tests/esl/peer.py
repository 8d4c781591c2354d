"""A raw-socket peer on 127.0.0.1 that plays FreeSWITCH's side of the Event Socket in tests.

It is deliberately independent of fs_conf.esl: frames are built and split here by hand, and
`ReplayPeer` replays a recorded FreeSWITCH -> handler stream against the code under test.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import gevent
import gevent.event
import gevent.lock
import gevent.pool
from gevent import socket

RECORDINGS = Path("/work/shared/freeswitch/recordings")
AUTH_REQUEST = b"Content-Type: auth/request\n\n"
GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Wait (yielding to other greenlets) until `condition()` holds; False after `timeout`."""
    with gevent.Timeout(timeout, False):
        while not condition():
            gevent.sleep(0.01)
        return True
    return False


def reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


def api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(data), data)


def disconnect_notice(linger: bool = False) -> bytes:
    if linger:
        return (
            b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: u\n"
            b"Content-Disposition: linger\nChannel-Name: loopback/3000-b\nLinger-Time: -1\n"
            b"Content-Length: 0\n\n"
        )
    return (
        b"Content-Type: text/disconnect-notice\nContent-Disposition: disconnect\n"
        b"Content-Length: %d\n\n%s" % (len(GOODBYE), GOODBYE)
    )


def event_plain(headers: dict[str, str], body: str = "") -> bytes:
    """A text/event-plain frame serialized the way switch_event_serialize does."""
    lines = "".join(f"{name}: {quote(value, safe='')}\n" for name, value in headers.items())
    inner = lines.encode()
    if body:
        data = body.encode()
        inner += b"Content-Length: %d\n\n%s" % (len(data), data)
    else:
        inner += b"\n"
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n%s" % (len(inner), inner)


def outer_headers(raw: bytes) -> dict[str, str]:
    head = raw.split(b"\n\n", 1)[0].decode("latin-1")
    return dict(line.split(": ", 1) for line in head.split("\n") if ": " in line)


def split_frames(data: bytes) -> list[bytes]:
    """Cut a recorded stream into whole frames (header block plus Content-Length body)."""
    frames = []
    while data:
        end = data.index(b"\n\n") + 2
        length = int(outer_headers(data[:end]).get("Content-Length", "0"))
        frames.append(data[: end + length])
        data = data[end + length :]
    return frames


def split_commands(data: bytes) -> list[bytes]:
    return [part + b"\n\n" for part in data.split(b"\n\n") if part]


def command_headers(command: bytes) -> dict[str, str]:
    lines = command.decode().strip("\n").split("\n")[1:]
    return dict(line.split(": ", 1) for line in lines)


class Peer:
    """One TCP connection seen from FreeSWITCH's side."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""

    @classmethod
    def connect(cls, port: int) -> Peer:
        return cls(socket.create_connection(("127.0.0.1", port), timeout=2))

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_command(self, timeout: float = 2.0) -> bytes | None:
        """The next command (through its empty line and any body); None once the socket closed."""
        with gevent.Timeout(timeout):
            while b"\n\n" not in self._buf:
                data = self.sock.recv(65536)
                if not data:
                    return None
                self._buf += data
            end = self._buf.index(b"\n\n") + 2
            match = re.search(rb"\nContent-Length: (\d+)\n", self._buf[:end])
            need = end + (int(match.group(1)) if match else 0)
            while len(self._buf) < need:
                data = self.sock.recv(65536)
                if not data:
                    return None
                self._buf += data
            command, self._buf = self._buf[:need], self._buf[need:]
            return command

    def wait_closed(self, timeout: float = 2.0) -> bool:
        """True when the other side closed (anything it still sends is discarded)."""
        with gevent.Timeout(timeout, False):
            while self.sock.recv(65536):
                pass
            return True
        return False

    def close(self) -> None:
        self.sock.close()


class Listener:
    """A listening socket on a free port that hands out Peers (plays FreeSWITCH on 8021)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def accept(self, timeout: float = 2.0) -> Peer:
        with gevent.Timeout(timeout):
            sock, _ = self.sock.accept()
        return Peer(sock)

    def close(self) -> None:
        self.sock.close()


Script = Callable[[int, Peer], None]
"""Plays FreeSWITCH's side of the n-th connection (counted from 1) a Front accepted."""


class Front:
    """A port in front of a real Event Socket server (the simulator) that plays faults.

    Each connection is handed to `script(n, peer)`; the script may play a faulty server, or
    hand it on with `pipe()`. Without a script every connection is piped."""

    def __init__(self, upstream: tuple[str, int], script: Script | None = None) -> None:
        self.upstream = upstream
        self.accepted = 0
        self._listener = Listener()
        self.port = self._listener.port
        self._script = script or (lambda number, peer: self.pipe(peer))
        self._peers: list[Peer] = []
        self._greenlets = gevent.pool.Group()
        self._acceptor = gevent.spawn(self._accept)

    def _accept(self) -> None:
        while True:
            sock, _ = self._listener.sock.accept()
            self.accepted += 1
            peer = Peer(sock)
            self._peers.append(peer)
            self._greenlets.spawn(self._script, self.accepted, peer)

    def pipe(self, peer: Peer, greeting_delay: float = 0.0) -> None:
        """Join `peer` to the server; the server's first bytes (its auth/request greeting)
        and all after them reach the peer `greeting_delay` seconds late."""
        server = Peer(socket.create_connection(self.upstream, timeout=2))
        self._peers.append(server)
        server.sock.settimeout(None)
        peer.sock.settimeout(None)
        onward = self._greenlets.spawn(_copy, peer, server)
        gevent.sleep(greeting_delay)
        _copy(server, peer)
        onward.join()

    def close(self) -> None:
        self._acceptor.kill()
        self._listener.close()
        for peer in self._peers:
            peer.close()
        self._greenlets.kill(timeout=2)


def _copy(source: Peer, target: Peer) -> None:
    """Copy until either side closes; then close both."""
    try:
        while data := source.sock.recv(65536):
            target.send(data)
    except OSError:
        pass
    finally:
        source.close()
        target.close()


class ReplayPeer:
    """Replays a recorded outbound-socket stream (FreeSWITCH -> handler) to the handler.

    Replies are sent one per command received, in recorded order. Events keep their recorded
    order, but an event of the k-th recorded execution waits until the handler has sent its
    k-th execute, and its Application-UUID is rewritten to the Event-UUID the handler chose.
    A final `disconnect` notice waits for `exit` when the recording has one; the socket closes
    after the last frame.
    """

    def __init__(self, peer: Peer, recording: Path) -> None:
        self.peer = peer
        self.commands: list[bytes] = []
        recorded = split_commands(recording.with_suffix(".s2c.bin").read_bytes())
        frames = split_frames(recording.with_suffix(".c2s.bin").read_bytes())
        kinds = [outer_headers(f).get("Content-Type") for f in frames]
        self._replies = deque(
            f for f, k in zip(frames, kinds, strict=True) if k.endswith(("reply", "response"))
        )
        self._events = [
            f for f, k in zip(frames, kinds, strict=True) if not k.endswith(("reply", "response"))
        ]
        self._exec_uuids = self._recorded_exec_uuids(recorded, self._events)
        self._waits_for_exit = b"exit\n\n" in recorded
        self._mapping: dict[bytes, bytes] = {}
        self._execs_seen = 0
        self._exit_seen = False
        self._progress = gevent.event.Event()
        self._lock = gevent.lock.Semaphore()
        self.done = gevent.event.Event()

    @staticmethod
    def _recorded_exec_uuids(recorded: list[bytes], events: list[bytes]) -> list[bytes]:
        sent = [
            command_headers(c).get("Event-UUID") for c in recorded if b"call-command: execute" in c
        ]
        if sent and all(sent):
            return [u.encode() for u in sent]
        uuids = []
        for frame in events:
            if (
                b"Event-Name: CHANNEL_EXECUTE\n" in frame
                and b"\nApplication: socket\n" not in frame
            ):
                uuids.append(re.search(rb"\nApplication-UUID: (\S+)\n", frame).group(1))
        return uuids

    def start(self) -> ReplayPeer:
        gevent.spawn(self._serve_commands)
        gevent.spawn(self._send_events)
        return self

    def _gate(self, frame: bytes) -> bool:
        found = re.search(rb"\nApplication-UUID: (\S+)\n", frame)
        if found and found.group(1) in self._exec_uuids:
            return self._execs_seen > self._exec_uuids.index(found.group(1))
        if self._waits_for_exit and b"Content-Disposition: disconnect" in frame:
            return self._exit_seen
        return True

    def _serve_commands(self) -> None:
        try:
            self._answer_commands()
        except (OSError, gevent.Timeout):
            return

    def _answer_commands(self) -> None:
        while (command := self.peer.read_command(timeout=10)) is not None:
            self.commands.append(command)
            headers = command_headers(command)
            if headers.get("call-command") == "execute":
                if self._execs_seen < len(self._exec_uuids) and "Event-UUID" in headers:
                    self._mapping[self._exec_uuids[self._execs_seen]] = headers[
                        "Event-UUID"
                    ].encode()
                self._execs_seen += 1
            self._exit_seen = self._exit_seen or command == b"exit\n\n"
            answer = self._replies.popleft() if self._replies else reply("+OK")
            with self._lock:
                self.peer.send(answer)
            self._progress.set()

    def _send_events(self) -> None:
        for frame in self._events:
            while not self._gate(frame):
                self._progress.clear()
                if not self._progress.wait(10):
                    self.peer.close()
                    self.done.set()
                    return
            for old, new in self._mapping.items():
                frame = frame.replace(old, new)
            with self._lock:
                self.peer.send(frame)
        if self._events and b"Content-Disposition: disconnect" in self._events[-1]:
            self.peer.close()
        self.done.set()
