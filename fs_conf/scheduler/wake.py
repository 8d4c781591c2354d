"""Wake the scheduler of `fs-conf serve` at once when another process changed the database.

The scheduler listens on a Unix datagram socket at the database path plus `.wake`; `notify`
sends it one empty datagram after a command's last commit. The datagram is only a hint: the
database stays the truth. Why: docs/scheduler.md#waking-the-scheduler
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import gevent
from gevent import socket as gsocket

log = logging.getLogger(__name__)

SUFFIX = ".wake"
MAX_PATH_BYTES = 107
"""Longest path a Unix socket address holds on Linux (sun_path is 108 bytes with the NUL)."""
_DATAGRAM = b"wake"


def wake_path(database: str | os.PathLike[str]) -> Path:
    """Where the scheduler for `database` listens: the absolute database path plus `.wake`."""
    return Path(os.path.abspath(os.fspath(database)) + SUFFIX)


def notify(database: str | os.PathLike[str]) -> None:
    """Wake the scheduler serving `database`, if one listens; never raises."""
    target = wake_path(database)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            sender.sendto(_DATAGRAM, os.fspath(target))
    except OSError as error:
        # Nobody listens, or its queue is full (then it wakes anyway).
        log.debug("no scheduler woken at %s: %s", target, error)


class WakeListener:
    """The scheduler's end: binds `wake_path(database)` and calls `on_wake` from a greenlet
    for every datagram that arrives, until `stop()`."""

    def __init__(self, database: str | os.PathLike[str], on_wake: Callable[[], None]) -> None:
        self.database = Path(database)
        self.path = wake_path(database)
        self._on_wake = on_wake
        self._socket: gsocket.socket | None = None
        self._inode: int | None = None
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> bool:
        """Listen; False (with a warning saying why) when this scheduler cannot, which leaves
        it to notice other processes' changes at its safety re-check."""
        bound = self._bind()
        if bound is None:
            return False
        self._socket = bound
        self._inode = os.stat(self.path).st_ino
        self._greenlet = gevent.spawn(self._receive, bound)
        log.info("scheduler wakes on datagrams at %s", self.path)
        return True

    def stop(self) -> None:
        """Stop listening and remove the socket file (unless another process replaced it)."""
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            try:
                if os.stat(self.path).st_ino == self._inode:
                    self.path.unlink()
            except FileNotFoundError:
                pass

    def _bind(self) -> gsocket.socket | None:
        if len(os.fsencode(self.path)) > MAX_PATH_BYTES:
            log.warning(
                "wake socket %s: the path is too long for a Unix socket; changes by other "
                "processes are seen within scheduler.safety_check_seconds",
                self.path,
            )
            return None
        listener = gsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._bind_replacing_stale(listener)
        except OSError as error:
            listener.close()
            log.warning(
                "wake socket %s: %s; changes by other processes are seen within "
                "scheduler.safety_check_seconds",
                self.path,
                error,
            )
            return None
        os.chmod(self.path, self._mode())
        return listener

    def _bind_replacing_stale(self, listener: gsocket.socket) -> None:
        try:
            listener.bind(os.fspath(self.path))
            return
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
        if _answers(self.path):
            raise OSError(errno.EADDRINUSE, "another scheduler listens there (a second serve?)")
        # Left behind by a serve that was killed: nobody reads it any more.
        self.path.unlink()
        listener.bind(os.fspath(self.path))

    def _mode(self) -> int:
        try:
            return stat.S_IMODE(os.stat(self.database).st_mode) & 0o666
        except OSError:
            return 0o600

    def _receive(self, listener: gsocket.socket) -> None:
        while True:
            listener.recv(64)
            self._on_wake()


def _answers(path: Path) -> bool:
    """Whether a live process has `path` bound (a stale socket file refuses the datagram)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
            probe.setblocking(False)
            probe.sendto(_DATAGRAM, os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except BlockingIOError:
        return True  # queue full: someone is there, just busy
    return True
