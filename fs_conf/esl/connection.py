"""One Event Socket TCP connection on gevent: a reader greenlet, ordered replies, bounded waits.

Replies are matched to commands in the order sent; every other frame goes to the owner's
`on_frame`, which runs in the reader greenlet and must not block (docs/esl.md).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping

import gevent
import gevent.event
import gevent.lock
from gevent import socket

from fs_conf.esl.async_result import AsyncResult
from fs_conf.esl.errors import (
    ConnectionLost,
    ESLError,
    ESLTimeout,
    NotConnectedError,
    ProtocolError,
)
from fs_conf.esl.frames import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    Frame,
    FrameParser,
    encode_command,
)

log = logging.getLogger(__name__)

# FreeSWITCH answers every command with exactly one of these, in the order the commands came.
REPLY_TYPES = ("command/reply", "api/response")
RECV_BYTES = 65536


class _Waiter:
    __slots__ = ("command", "result", "abandoned")

    def __init__(self, command: str) -> None:
        self.command = command
        self.result: AsyncResult[Frame] = gevent.event.AsyncResult()
        self.abandoned = False


class Connection:
    """A started connection; `request()` sends a command and returns its reply frame.

    A frame whose header block or body is longer than `max_header_bytes` / `max_body_bytes`
    closes the connection (a protocol error)."""

    def __init__(
        self,
        sock: socket.socket,
        *,
        on_frame: Callable[[Frame], None],
        on_close: Callable[[str], None] | None = None,
        lost_error: type[ConnectionLost] = ConnectionLost,
        closed_error: type[ConnectionLost] = NotConnectedError,
        label: str = "esl",
        max_header_bytes: int = MAX_HEADER_BYTES,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.label = label
        self.lingering = False
        self.closed = gevent.event.Event()
        self.close_reason = ""
        self._sock = sock
        self._on_frame = on_frame
        self._on_close = on_close
        self._lost_error = lost_error
        self._closed_error = closed_error
        self._parser = FrameParser(max_header_bytes, max_body_bytes)
        self._waiters: deque[_Waiter] = deque()
        self._send_lock = gevent.lock.Semaphore()
        self._reader: gevent.Greenlet | None = None
        self._closing = False

    def start(self) -> None:
        self._reader = gevent.spawn(self._read_loop)

    @property
    def connected(self) -> bool:
        return not self.closed.is_set()

    @property
    def pending_replies(self) -> int:
        """Commands still owed a reply, including timed-out ones whose reply is to be dropped."""
        return len(self._waiters)

    def request(
        self,
        command: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        *,
        timeout: float,
    ) -> Frame:
        """Send one command and wait up to `timeout` seconds for its reply frame."""
        word = command.split(" ", 1)[0]
        data = encode_command(command, headers, body)
        if self.closed.is_set():
            raise self._closed_error(f"{self.label}: cannot send {word!r}: {self.close_reason}")
        deadline = time.monotonic() + timeout
        if not self._send_lock.acquire(timeout=timeout):
            raise ESLTimeout(f"{self.label}: {word!r} not sent within {timeout}s (send blocked)")
        waiter = _Waiter(word)
        try:
            self._waiters.append(waiter)
            self._send(data, word, deadline, timeout)
        finally:
            self._send_lock.release()
        try:
            return waiter.result.get(timeout=max(0.0, deadline - time.monotonic()))
        except gevent.Timeout:
            # The reply may still come; it must then be consumed in its place in the FIFO,
            # so the waiter stays queued but marked, and is dropped when its reply arrives.
            waiter.abandoned = True
            raise ESLTimeout(f"{self.label}: no reply to {word!r} within {timeout}s") from None

    def _send(self, data: bytes, word: str, deadline: float, timeout: float) -> None:
        timer = gevent.Timeout(max(0.0, deadline - time.monotonic()))
        timer.start()
        try:
            self._sock.sendall(data)
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            # Part of the command may be on the wire: the stream is unusable from here.
            self.shutdown(f"sending {word!r} did not finish within {timeout}s")
            raise ESLTimeout(f"{self.label}: sending {word!r} timed out after {timeout}s") from None
        except OSError as exc:
            self.shutdown(f"send failed: {exc}")
            raise self._lost_error(f"{self.label}: send of {word!r} failed: {exc}") from exc
        finally:
            timer.close()

    def close(self, timeout: float = 1.0) -> None:
        """Say `exit`, wait up to `timeout` seconds for `+OK bye`, then close either way."""
        if self.closed.is_set():
            return
        if self._closing:
            self.closed.wait(timeout)
            return
        self._closing = True
        try:
            self.request("exit", timeout=timeout)
        except ESLError as exc:
            log.debug("%s: exit not acknowledged: %r", self.label, exc)
        finally:
            self.shutdown("closed by us")

    def shutdown(self, reason: str) -> None:
        """Close the socket now and fail every waiter; the first reason given is kept."""
        if self.closed.is_set():
            return
        self.close_reason = reason
        self.closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.abandoned:
                waiter.result.set_exception(
                    self._lost_error(
                        f"{self.label}: {reason} (while waiting for {waiter.command!r})"
                    )
                )
        if self._reader is not None and self._reader is not gevent.getcurrent():
            self._reader.kill(block=False)
        if self._on_close is not None:
            self._on_close(reason)

    def _read_loop(self) -> None:
        reason = "closed by peer"
        try:
            while self._read_some():
                pass
            if self._parser.mid_frame:
                reason = (
                    f"closed by peer in the middle of a frame ({self._parser.describe_pending()})"
                )
                log.warning("%s: %r", self.label, reason)
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
            log.error("%s: %r", self.label, reason)
        except OSError as exc:
            reason = f"socket error: {exc}"
        finally:
            self.shutdown(reason)

    def _read_some(self) -> bool:
        """Read what has arrived and dispatch the frames it completes; False at end of stream.

        A method of its own so that the chunk and the last frame (an event with the whole
        channel data) are not kept alive by the loop while it waits for the next bytes.
        """
        data = self._sock.recv(RECV_BYTES)
        if not data:
            return False
        for frame in self._parser.feed(data):
            self._dispatch(frame)
        return True

    def _dispatch(self, frame: Frame) -> None:
        if frame.content_type in REPLY_TYPES:
            self._resolve(frame)
            return
        if frame.content_type == "text/disconnect-notice":
            self.lingering = self.lingering or frame.get("Content-Disposition") == "linger"
        try:
            self._on_frame(frame)
        except Exception:
            log.exception("%s: handling a %r frame failed", self.label, frame.content_type)

    def _resolve(self, frame: Frame) -> None:
        if not self._waiters:
            log.warning("%s: %r with no command waiting, dropped", self.label, frame.content_type)
            return
        waiter = self._waiters.popleft()
        if waiter.abandoned:
            log.debug("%s: late reply to %r dropped", self.label, waiter.command)
        else:
            waiter.result.set(frame)
