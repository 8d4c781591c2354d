"""The outbound Event Socket server: FreeSWITCH's `socket` app connects, one session per call.

Each call runs `application(session).run()` in its own greenlet (`esl/outbound.py` is the
session); one call's failure ends that call only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import gevent
import gevent.event
import gevent.pool
from gevent import socket
from gevent.server import StreamServer

from fs_conf.esl.errors import ESLError, OutboundSessionHasGoneAway
from fs_conf.esl.outbound import OutboundSession

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
"""Seconds a new connection may take to send the channel data; FreeSWITCH needs milliseconds."""


class CallApplication(Protocol):
    def run(self) -> object: ...


class OutboundESLServer:
    """Accepts FreeSWITCH's socket connections; runs `application(session).run()` per call.

    `connect_timeout` bounds the wait for the channel data (the reply to `connect`);
    `command_timeout` each later command's reply, `exit_timeout` how long a finished call
    waits for `+OK bye` before its socket is closed anyway, `event_buffer` how many events
    each session keeps for `next_event` (see OutboundSession). At most `max_connections`
    calls run at once, and as many connections may wait for their channel data beside them:
    the oldest waiting one is closed for a new one (docs/esl.md#the-call-socket-under-attack).

    Built on gevent's StreamServer (accepting on a read watcher, no polling). bind_port=0
    picks a free port, readable as `bound_port` after `start()`.
    """

    def __init__(
        self,
        bind_address: str = "127.0.0.1",
        bind_port: int = 8084,
        application: Callable[[OutboundSession], CallApplication] | None = None,
        max_connections: int = 100,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        command_timeout: float = 10.0,
        exit_timeout: float = 1.0,
        event_buffer: int = 1000,
    ) -> None:
        if application is None or not callable(application):
            raise ValueError(
                f"application must be a callable taking a session (got {application!r})"
            )
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1 (got {max_connections})")
        self.bind_address = bind_address
        self.bind_port = bind_port
        self.application = application
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self.exit_timeout = exit_timeout
        self.event_buffer = event_buffer
        self._sessions: set[OutboundSession] = set()
        # Waiting for their channel data, oldest first (a dict keeps the order of arrival).
        self._connecting: dict[OutboundSession, None] = {}
        self._pool = gevent.pool.Pool()
        self._server: StreamServer | None = None
        self._stopped = gevent.event.Event()

    @property
    def bound_port(self) -> int | None:
        return None if self._server is None else self._server.server_port

    @property
    def connection_count(self) -> int:
        """Calls running (connections that sent their channel data)."""
        return len(self._sessions)

    @property
    def connecting_count(self) -> int:
        """Connections still waiting for their channel data."""
        return len(self._connecting)

    def start(self) -> None:
        """Bind and start accepting; an address in use raises OSError."""
        self._stopped.clear()
        # A listen backlog as deep as the calls we take: FreeSWITCH connects a burst of calls
        # at once, and gevent's default (128) overflows; the kernel then drops the SYNs and
        # the calls wait seconds for the retries (bench/sim_load.py shows it).
        self._server = StreamServer(
            (self.bind_address, self.bind_port),
            self._handle,
            backlog=max(self.max_connections, 128),
            spawn=self._pool,
        )
        self._server.start()
        log.info("outbound ESL server listening on %s:%s", self.bind_address, self.bound_port)

    def listen(self) -> None:
        """Start (if needed) and block until `stop()` (greenswitch's API)."""
        if self._server is None:
            self.start()
        self._stopped.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listener, end live sessions, wait up to `timeout` s for call greenlets."""
        deadline = time.monotonic() + timeout
        if self._server is not None:
            self._server.close()
        for waiting in list(self._connecting):
            waiting.abort("server stopping")
        stoppers = [
            gevent.spawn(session.stop, min(self.exit_timeout, timeout))
            for session in list(self._sessions)
        ]
        gevent.joinall(stoppers, timeout=timeout)
        self._pool.join(timeout=max(0.0, deadline - time.monotonic()))
        self._pool.kill(timeout=1.0)
        self._server = None
        self._stopped.set()

    def _handle(self, sock: socket.socket, address: object) -> None:
        session = OutboundSession(
            sock, address, command_timeout=self.command_timeout, event_buffer=self.event_buffer
        )
        if not self._handshake(session):
            return
        try:
            if len(self._sessions) >= self.max_connections:
                log.warning("call from %s refused: %d calls already", address, len(self._sessions))
                return
            self._sessions.add(session)
            self.application(session).run()
        except OutboundSessionHasGoneAway as exc:
            log.info("call %r (%r) ended: %r", session.uuid, session.caller_id_number, exc)
        except Exception:
            log.exception("call %r (%r) failed", session.uuid, session.caller_id_number)
        finally:
            self._sessions.discard(session)
            session.stop(self.exit_timeout)

    def _handshake(self, session: OutboundSession) -> bool:
        """Wait for the channel data; False (the socket closed) when it does not come in
        time or a newer connection needed the place of this one."""
        if len(self._connecting) >= self.max_connections:
            oldest = next(iter(self._connecting))
            del self._connecting[oldest]
            log.warning(
                "connection from %s closed: %d more wait for their channel data",
                oldest.address,
                len(self._connecting),
            )
            oldest.abort("closed for a newer connection")
        self._connecting[session] = None
        try:
            session.connect(timeout=self.connect_timeout)
            return True
        except OutboundSessionHasGoneAway as exc:
            # A caller who hangs up at once closes the socket before the channel data.
            log.info("connection from %s ended before its channel data: %r", session.address, exc)
        except ESLError as exc:
            log.warning("connection from %s sent no channel data, closed: %r", session.address, exc)
        finally:
            self._connecting.pop(session, None)
        session.abort("no channel data")
        return False
