"""Inbound Event Socket client: we connect to FreeSWITCH (port 8021) for api, bgapi and events.

Each handler registered with `register_handle` runs in its own greenlet, fed the events in
arrival order, so a slow one delays only itself (docs/esl.md).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping

import gevent
import gevent.event
import gevent.queue
from gevent import socket

from fs_conf.esl.async_result import AsyncResult
from fs_conf.esl.connection import Connection
from fs_conf.esl.errors import (
    AuthenticationError,
    CommandError,
    ConnectionLost,
    ESLTimeout,
    NotConnectedError,
    OriginateError,
    ProtocolError,
)
from fs_conf.esl.events import EVENT_CONTENT_TYPES, Event, event_from_frame
from fs_conf.esl.frames import Frame

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], object]
EVENT_FORMATS = ("plain", "json", "xml")


class _HandlerWorker:
    """One handler, its queue and the greenlet that feeds it events in order."""

    def __init__(self, name: str, handler: EventHandler) -> None:
        self.handler = handler
        self.queue: gevent.queue.Queue = gevent.queue.Queue()
        self.greenlet = gevent.spawn(self._run, name)

    def _run(self, name: str) -> None:
        while (event := self.queue.get()) is not None:
            try:
                self.handler(event)
            except Exception:
                log.exception("ESL handler %r for %r failed on %r", self.handler, name, event.key)

    def stop(self) -> None:
        self.queue.put(None)


class BackgroundJob:
    """A `bgapi` command FreeSWITCH accepted; `result()` waits for its BACKGROUND_JOB."""

    def __init__(
        self, job_uuid: str, event: AsyncResult[Event], jobs: dict[str, AsyncResult[Event]]
    ) -> None:
        self.job_uuid = job_uuid
        self._event = event
        self._jobs = jobs

    def __repr__(self) -> str:
        return f"BackgroundJob({self.job_uuid})"

    def result(self, timeout: float) -> str:
        """The job's output (its event's body); ESLTimeout after `timeout` s, ConnectionLost
        when the connection ends first. The job is forgotten either way."""
        try:
            return self._event.get(timeout=timeout).body
        except gevent.Timeout:
            raise ESLTimeout(f"no BACKGROUND_JOB {self.job_uuid} within {timeout}s") from None
        finally:
            self._jobs.pop(self.job_uuid, None)


class InboundESL:
    """A client connection to FreeSWITCH's event socket; `timeout` bounds every wait."""

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        timeout: float = 5.0,
        *,
        job_timeout: float = 120.0,
        on_disconnect: Callable[[str], None] | None = None,
    ) -> None:
        if "\n" in password or "\r" in password:
            raise ValueError("ESL password must not contain a line break")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.job_timeout = job_timeout
        self.disconnected = gevent.event.Event()
        self.reached = False
        """Whether the last `connect()` reached a server (it took the TCP connection),
        whatever became of the login: a caller retries a closed port and a failing login
        at different paces."""
        self._password = password
        self._on_disconnect = on_disconnect
        self._connection: Connection | None = None
        self._auth_request = gevent.event.Event()
        self._logged_in = False
        self._refusal = ""
        self._handlers: dict[str, list[_HandlerWorker]] = {}
        self._jobs: dict[str, AsyncResult[Event]] = {}
        self._subscribed: set[str] = set()
        self._format = "plain"
        self._filters: set[tuple[str, str]] = set()

    def __repr__(self) -> str:
        return f"InboundESL({self.host}:{self.port})"

    @property
    def connected(self) -> bool:
        """True from FreeSWITCH's `+OK accepted` until the connection ends."""
        return self._logged_in and self._connection is not None and self._connection.connected

    def connect(self) -> None:
        """Open the TCP connection, wait for auth/request, authenticate; all within `timeout`.

        May be called again after a disconnect; subscriptions and filters belong to a
        connection and must then be made again (registered handlers stay). A connection
        whose login failed is closed, never reused."""
        if self.connected:
            return
        if self._connection is not None:
            self._connection.shutdown("replaced by a new connection")
        deadline = time.monotonic() + self.timeout
        self.reached = False
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except TimeoutError:
            raise ESLTimeout(f"{self!r}: TCP connect timed out after {self.timeout}s") from None
        except OSError as exc:
            raise NotConnectedError(f"{self!r}: TCP connect failed: {exc}") from exc
        self.reached = True
        sock.settimeout(None)
        self.disconnected.clear()
        self._auth_request.clear()
        self._logged_in = False
        self._refusal = ""
        self._subscribed.clear()
        self._filters.clear()
        self._format = "plain"
        connection = Connection(
            sock, on_frame=self._on_frame, on_close=self._on_close, label=repr(self)
        )
        self._connection = connection
        connection.start()
        try:
            self._log_in(connection, deadline)
        finally:
            if not self._logged_in:
                connection.shutdown("login failed")

    def _log_in(self, connection: Connection, deadline: float) -> None:
        if not self._auth_request.wait(max(0.0, deadline - time.monotonic())):
            raise ESLTimeout(f"{self!r}: no auth/request within {self.timeout}s")
        if not connection.connected:
            detail = self._refusal or connection.close_reason
            raise NotConnectedError(f"{self!r}: closed before authentication: {detail}")
        reply = connection.request(
            f"auth {self._password}", timeout=max(0.0, deadline - time.monotonic())
        )
        if reply.reply_text != "+OK accepted":
            raise AuthenticationError(f"{self!r}: ESL password refused ({reply.reply_text})")
        self._logged_in = True

    def stop(self, timeout: float = 1.0) -> None:
        """Say `exit` and close (waiting at most `timeout` s for the peer); ends the handlers."""
        if self._connection is not None:
            self._connection.close(timeout)
        for workers in self._handlers.values():
            for worker in workers:
                worker.stop()
        self._handlers.clear()

    def __enter__(self) -> InboundESL:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def send(
        self, command: str, headers: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> Frame:
        """Send a raw command; returns the reply frame (greenswitch's `send`)."""
        return self._request(command, headers, timeout=timeout)

    def api(self, command: str, timeout: float | None = None) -> str:
        """`api COMMAND`: its output text, `-ERR ...` included (the caller decides)."""
        return self._request(f"api {command}", timeout=timeout).text

    def bgapi(self, command: str, timeout: float | None = None) -> str:
        """`bgapi COMMAND` with our own Job-UUID; returns the body of its BACKGROUND_JOB."""
        limit = self.job_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        job = self.bgapi_job(command, timeout=limit)
        return job.result(max(0.0, deadline - time.monotonic()))

    def bgapi_job(self, command: str, timeout: float | None = None) -> BackgroundJob:
        """`bgapi COMMAND`, returning as soon as FreeSWITCH accepted the job (`+OK Job-UUID`);
        CommandError when it refused it. `timeout` bounds the wait for that reply."""
        self._ensure_job_events()
        job_uuid = str(uuid.uuid4())
        result: AsyncResult[Event] = gevent.event.AsyncResult()
        self._jobs[job_uuid] = result
        try:
            reply = self._request(f"bgapi {command}", {"Job-UUID": job_uuid}, timeout=timeout)
            if not reply.reply_text.startswith("+OK"):
                raise CommandError(f"bgapi {command.split(' ', 1)[0]}: {reply.reply_text}")
        except BaseException:
            self._jobs.pop(job_uuid, None)
            raise
        return BackgroundJob(job_uuid, result, self._jobs)

    def originate(
        self,
        endpoint: str,
        application: str = "&park()",
        variables: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> str:
        """Originate through bgapi; returns the new channel's UUID or raises OriginateError."""
        for name, text in (("endpoint", endpoint), ("application", application)):
            if not text or any(ch.isspace() for ch in text):
                raise ValueError(
                    f"originate {name} must be non-empty without spaces (got {text!r})"
                )
        channel_vars = dict(variables or {})
        channel_vars.setdefault("origination_uuid", str(uuid.uuid4()))
        result = self.bgapi(
            f"originate {_channel_vars(channel_vars)}{endpoint} {application}", timeout
        )
        text = result.strip()
        if text.startswith("+OK"):
            return text[3:].strip() or channel_vars["origination_uuid"]
        raise OriginateError(text.removeprefix("-ERR").strip() or "no reply")

    def subscribe(self, *names: str, fmt: str = "plain") -> str:
        """`event FMT NAMES...`; names are Event-Names, `CUSTOM` plus subclasses, or `ALL`."""
        if fmt not in EVENT_FORMATS:
            raise ValueError(f"event format must be one of {EVENT_FORMATS} (got {fmt!r})")
        if not names or any(not n or any(ch.isspace() for ch in n) for n in names):
            raise ValueError(f"event names must be non-empty words (got {names!r})")
        text = self._checked(f"event {fmt} {' '.join(names)}")
        self._format = fmt
        self._subscribed.update(n.upper() for n in names)
        return text

    def filter(self, header: str, value: str) -> str:
        """`filter HEADER VALUE`: only events matching one of the filters are delivered."""
        text = self._checked(f"filter {header} {value}")
        self._filters.add((header, value))
        return text

    def filter_delete(self, header: str, value: str) -> str:
        text = self._checked(f"filter delete {header} {value}")
        self._filters.discard((header, value))
        return text

    def register_handle(self, name: str, handler: EventHandler) -> None:
        """Call `handler(event)` for events whose Event-Name (or CUSTOM subclass) is `name`;
        `*` means every event."""
        workers = self._handlers.setdefault(name, [])
        if all(worker.handler != handler for worker in workers):
            workers.append(_HandlerWorker(name, handler))

    def unregister_handle(self, name: str, handler: EventHandler) -> None:
        workers = self._handlers.get(name, [])
        for worker in [w for w in workers if w.handler == handler]:
            worker.stop()
            workers.remove(worker)
        if not workers:
            self._handlers.pop(name, None)

    def _ensure_job_events(self) -> None:
        if not self._subscribed & {"ALL", "BACKGROUND_JOB"}:
            self.subscribe("BACKGROUND_JOB", fmt=self._format)
        if self._filters and ("Event-Name", "BACKGROUND_JOB") not in self._filters:
            self.filter("Event-Name", "BACKGROUND_JOB")

    def _checked(self, command: str) -> str:
        text = self._request(command).reply_text
        if not text.startswith("+OK"):
            raise CommandError(f"{command.split(' ', 1)[0]}: {text}")
        return text

    def _request(
        self,
        command: str,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,
    ) -> Frame:
        if self._connection is None:
            raise NotConnectedError(f"{self!r}: connect() first")
        if not self._logged_in:
            # FreeSWITCH would answer `-ERR command not found` before the password.
            raise NotConnectedError(f"{self!r}: not logged in yet")
        limit = self.timeout if timeout is None else timeout
        return self._connection.request(command, headers, timeout=limit)

    def _on_frame(self, frame: Frame) -> None:
        if frame.content_type == "auth/request":
            self._auth_request.set()
        elif frame.content_type in ("text/rude-rejection", "text/disconnect-notice"):
            self._refusal = frame.text.strip() or frame.content_type
        elif frame.content_type in EVENT_CONTENT_TYPES:
            try:
                event = event_from_frame(frame)
            except ProtocolError as exc:
                log.error("%r: unreadable event dropped: %r", self, exc)
                return
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        if event.name == "BACKGROUND_JOB":
            job = self._jobs.get(event.get("Job-UUID", ""))
            if job is not None:
                job.set(event)
        for name in (event.key, "*"):
            for worker in self._handlers.get(name, ()):
                worker.queue.put(event)

    def _on_close(self, reason: str) -> None:
        for job in self._jobs.values():
            job.set_exception(ConnectionLost(f"{self!r}: {reason}"))
        self.disconnected.set()
        self._auth_request.set()
        if self._on_disconnect is not None:
            gevent.spawn(self._on_disconnect, reason)


def _channel_vars(variables: Mapping[str, str]) -> str:
    """`{a=1,b='x y'}` as originate reads it: commas escaped, spaces quoted."""
    parts = []
    for name, raw in variables.items():
        value = str(raw)
        if any(ch in value for ch in "'{}\n\r") or not name.isidentifier():
            raise ValueError(f"originate variable {name!r} has an unusable value {value!r}")
        value = value.replace(",", "\\,")
        parts.append(f"{name}='{value}'" if " " in value else f"{name}={value}")
    return "{" + ",".join(parts) + "}" if parts else ""
