"""Outbound Event Socket: FreeSWITCH's `socket` app connects to us, one session per call.

Every `execute` is matched to its CHANNEL_EXECUTE_COMPLETE by the Event-UUID it sends
(docs/esl.md); a hangup or a closed socket fails every pending execution at once.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, ParamSpec, TypeVar, overload

import gevent
import gevent.event
import gevent.pool
from gevent import socket

from fs_conf.esl.async_result import AsyncResult
from fs_conf.esl.connection import Connection
from fs_conf.esl.errors import CommandError, ESLTimeout, OutboundSessionHasGoneAway, ProtocolError
from fs_conf.esl.events import (
    EVENT_CONTENT_TYPES,
    Event,
    event_from_frame,
    plain_event_name,
    plain_header,
)
from fs_conf.esl.frames import Frame

log = logging.getLogger(__name__)

DEFAULT_EXECUTE_TIMEOUT = 300.0
CALL_MAX_HEADER_BYTES = 256 * 1024
"""The longest header block read on a call's socket: the `connect` reply, the whole channel
data (3.5 KiB recorded), is one (why this bound: docs/esl.md#bounds-on-a-calls-socket)."""
CALL_MAX_BODY_BYTES = 512 * 1024
"""The longest body: an event with the channel data, or a `conference list` of a full room."""
_VAR_NAME = re.compile(r"[A-Za-z0-9_.]+")

_Params = ParamSpec("_Params")
_Returned = TypeVar("_Returned")


@dataclass(frozen=True)
class DigitsResult:
    """What play_and_get_digits left behind, read from its CHANNEL_EXECUTE_COMPLETE.

    As recorded on FreeSWITCH 1.10: no digits gives read_result `failure`; a regex mismatch
    leaves `digits` empty, sets `invalid` and still says `success`; too few digits says
    `failure` with the digits set; an inter-digit timeout says `timeout` with them accepted.
    """

    digits: str
    read_result: str
    invalid: str | None = None

    @property
    def accepted(self) -> bool:
        return bool(self.digits) and self.read_result in ("success", "timeout")


class Execution:
    """One `sendmsg execute` in flight; `wait()` returns its own CHANNEL_EXECUTE_COMPLETE."""

    def __init__(self, session: OutboundSession, app: str, arg: str | None) -> None:
        self.app = app
        self.arg = arg
        self.event_uuid = str(uuid.uuid4())
        self._session = session
        self._result: AsyncResult[Event] = gevent.event.AsyncResult()

    def __repr__(self) -> str:
        # No argument here: it can carry caller data (a `set` of a PIN) into log lines.
        return f"Execution({self.app}, {self.event_uuid})"

    @property
    def done(self) -> bool:
        return self._result.ready()

    def wait(self, timeout: float | None = DEFAULT_EXECUTE_TIMEOUT) -> Event:
        """The completion event; ESLTimeout after `timeout` s (None: until done or hangup)."""
        try:
            return self._result.get(timeout=timeout)
        except gevent.Timeout:
            raise ESLTimeout(f"{self!r} did not complete within {timeout}s") from None

    def cancel(self) -> None:
        """Stop waiting for this completion (the application keeps running in FreeSWITCH)."""
        self._session._executions.pop(self.event_uuid, None)


class OutboundSession:
    """One call's socket. `command_timeout` bounds each command's reply; the last
    `event_buffer` events received stay buffered for `next_event` / `next_dtmf` (0: none are,
    for applications that only wait for their executions: with `myevents` every event carries
    the whole channel data, some 10 KiB, and a call sees dozens of them)."""

    def __init__(
        self,
        sock: socket.socket,
        address: object = None,
        *,
        command_timeout: float = 10.0,
        event_buffer: int = 1000,
    ) -> None:
        self.address = address
        self.command_timeout = command_timeout
        self.session_data: dict[str, str] | None = None
        self.hangup_cause: str | None = None
        self._gone_reason: str | None = None
        self._executions: dict[str, Execution] = {}
        self._events: deque[Event] = deque(maxlen=event_buffer)
        self._arrived = gevent.event.Event()
        self._var_counter = itertools.count(1)
        self._connection = Connection(
            sock,
            on_frame=self._on_frame,
            on_close=self._on_close,
            lost_error=OutboundSessionHasGoneAway,
            closed_error=OutboundSessionHasGoneAway,
            label=f"call {address}",
            max_header_bytes=CALL_MAX_HEADER_BYTES,
            max_body_bytes=CALL_MAX_BODY_BYTES,
        )
        self._connection.start()

    # -- channel data -------------------------------------------------------------------
    def _data(self, name: str) -> str | None:
        return None if self.session_data is None else self.session_data.get(name)

    @property
    def uuid(self) -> str | None:
        return self._data("Unique-ID")

    @property
    def caller_id_number(self) -> str | None:
        return self._data("Caller-Caller-ID-Number")

    @property
    def caller_id_name(self) -> str | None:
        return self._data("Caller-Caller-ID-Name")

    @property
    def destination_number(self) -> str | None:
        return self._data("Caller-Destination-Number")

    # -- state --------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """False once the caller hung up or the socket closed."""
        return self._gone_reason is None and self._connection.connected

    @property
    def lingering(self) -> bool:
        return self._connection.lingering

    @property
    def pending_executions(self) -> int:
        return len(self._executions)

    def raise_if_disconnected(self) -> None:
        if not self.connected:
            raise OutboundSessionHasGoneAway(self._gone_reason or self._connection.close_reason)

    def while_connected(self) -> _WhileConnected:
        """Context manager and decorator: raises OutboundSessionHasGoneAway on entry and exit
        when the call is gone (greenswitch's API)."""
        return _WhileConnected(self)

    # -- socket commands ----------------------------------------------------------------
    def connect(self, timeout: float | None = None) -> dict[str, str]:
        """Send `connect` once; returns the channel data (url-decoded headers)."""
        if self.session_data is None:
            reply = self._request("connect", timeout=timeout)
            if not reply.reply_text.startswith("+OK"):
                raise CommandError(f"connect: {reply.reply_text}")
            self.session_data = dict(reply.headers)
        return self.session_data

    def myevents(self) -> str:
        return self._checked("myevents")

    def linger(self, seconds: int | None = None) -> str:
        """Keep the socket after hangup (forever, or `seconds`) so the last events arrive."""
        if seconds is not None and (not isinstance(seconds, int) or seconds < 1):
            raise ValueError(f"linger seconds must be a positive integer (got {seconds!r})")
        return self._checked("linger" if seconds is None else f"linger {seconds}")

    def api(self, command: str, timeout: float | None = None) -> str:
        """`api COMMAND` on the call socket; still works while lingering after hangup."""
        return self._request(f"api {command}", timeout=timeout).text

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """Hang the call up (no-op when it is already gone)."""
        _word("hangup cause", cause)
        if self.connected:
            self._request("sendmsg", {"call-command": "hangup", "hangup-cause": cause})

    def stop(self, timeout: float = 1.0) -> None:
        """Say `exit` and close the socket, waiting at most `timeout` seconds for the peer."""
        self._connection.close(timeout)

    def abort(self, reason: str) -> None:
        """Close the socket now, without `exit` (a peer that is not FreeSWITCH gets no reply)."""
        self._connection.shutdown(reason)

    # -- applications -------------------------------------------------------------------
    @overload
    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        timeout: float | None = ...,
        wait: Literal[True] = ...,
        event_lock: bool = ...,
    ) -> Event: ...

    @overload
    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        timeout: float | None = ...,
        wait: Literal[False],
        event_lock: bool = ...,
    ) -> Execution: ...

    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        timeout: float | None = DEFAULT_EXECUTE_TIMEOUT,
        wait: bool = True,
        event_lock: bool = True,
    ) -> Event | Execution:
        """Run a dialplan application on the call.

        wait=True returns the CHANNEL_EXECUTE_COMPLETE Event whose Application-UUID is ours
        (ESLTimeout after `timeout` s, None = until it completes or the call ends);
        wait=False returns the Execution handle at once.
        """
        _word("application", app)
        self.raise_if_disconnected()
        execution = Execution(self, app, arg)
        headers = {"call-command": "execute", "execute-app-name": app}
        if arg is not None:
            headers["execute-app-arg"] = str(arg)
        if event_lock:
            headers["event-lock"] = "true"
        # FreeSWITCH copies it into the completion's Application-UUID (recordings, scenario2
        # case1): that is how the completion finds this execution.
        headers["Event-UUID"] = execution.event_uuid
        self._executions[execution.event_uuid] = execution
        try:
            reply = self._request("sendmsg", headers)
            if not reply.reply_text.startswith("+OK"):
                raise CommandError(f"execute {app}: {reply.reply_text}")
        except BaseException:
            execution.cancel()
            raise
        if not wait:
            return execution
        try:
            return execution.wait(timeout)
        except ESLTimeout:
            execution.cancel()
            raise

    def answer(self, timeout: float | None = DEFAULT_EXECUTE_TIMEOUT) -> Event:
        return self.execute("answer", timeout=timeout)

    def playback(self, path: str, timeout: float | None = DEFAULT_EXECUTE_TIMEOUT) -> Event:
        """Play a file; the event's Application-Response says FILE PLAYED or why not."""
        _word("playback file", path)
        return self.execute("playback", path, timeout=timeout)

    def sleep(self, ms: int, timeout: float | None = DEFAULT_EXECUTE_TIMEOUT) -> Event:
        if not isinstance(ms, int) or ms < 0:
            raise ValueError(f"sleep milliseconds must be a non-negative integer (got {ms!r})")
        return self.execute("sleep", str(ms), timeout=timeout)

    def set(self, var: str, value: str, timeout: float | None = DEFAULT_EXECUTE_TIMEOUT) -> Event:
        if not _VAR_NAME.fullmatch(var):
            raise ValueError(f"channel variable name {var!r} is not [A-Za-z0-9_.]+")
        return self.execute("set", f"{var}={value}", timeout=timeout)

    def multiset(
        self,
        variables: Mapping[str, str],
        *,
        delimiter: str = "|",
        timeout: float | None = DEFAULT_EXECUTE_TIMEOUT,
    ) -> Event:
        """Set several channel variables with one application (mod_dptools multiset, its
        `^^<delimiter>` form): one round trip instead of one `set` each."""
        if not variables:
            raise ValueError("multiset needs at least one variable")
        if len(delimiter) != 1 or delimiter.isspace() or delimiter in "^'\\":
            raise ValueError(f"multiset delimiter must be one plain character (got {delimiter!r})")
        for var, value in variables.items():
            if not _VAR_NAME.fullmatch(var):
                raise ValueError(f"channel variable name {var!r} is not [A-Za-z0-9_.]+")
            # switch_separate_string() would split there, or take a quote or a backslash
            # as quoting, and a line break would end the command.
            if any(char in value for char in (delimiter, "'", "\\", "\n", "\r")):
                raise ValueError(
                    f"multiset value of {var!r} must not contain {delimiter!r}, a quote, a "
                    f"backslash or a line break (got {value!r})"
                )
        pairs = delimiter.join(f"{var}={value}" for var, value in variables.items())
        return self.execute("multiset", f"^^{delimiter}{pairs}", timeout=timeout)

    def say(
        self,
        text: str,
        *,
        module: str = "en",
        say_type: str = "NUMBER",
        method: str = "pronounced",
        gender: str | None = None,
        timeout: float | None = DEFAULT_EXECUTE_TIMEOUT,
    ) -> Event:
        """`say` as mod_dptools reads it: `<module> <type> <method> [<gender>] <text>`."""
        words = [module, say_type, method] + ([gender] if gender else [])
        for field_name, value in zip(
            ("module", "say_type", "method", "gender"), words, strict=False
        ):
            _word(f"say {field_name}", value)
        _word("say text", text)
        return self.execute("say", " ".join([*words, text]), timeout=timeout)

    def play_and_get_digits(
        self,
        min_digits: int,
        max_digits: int,
        tries: int,
        timeout_ms: int,
        terminators: str,
        file: str,
        invalid_file: str | None = None,
        var: str | None = None,
        regex: str = r"\d+",
        digit_timeout_ms: int | None = None,
        *,
        timeout: float | None = DEFAULT_EXECUTE_TIMEOUT,
    ) -> DigitsResult:
        """Prompt and collect digits (mod_dptools play_and_get_digits argument order).

        Without `var` a fresh variable name is used per call, so no value left on the channel
        by an earlier prompt can be mistaken for this one's.
        """
        if not 0 <= min_digits <= max_digits or max_digits < 1:
            raise ValueError(
                f"digits: need 0 <= min <= max, max >= 1 (got {min_digits}, {max_digits})"
            )
        for field_name, number in (("tries", tries), ("timeout_ms", timeout_ms)):
            if not isinstance(number, int) or number < 1:
                raise ValueError(f"play_and_get_digits {field_name} must be >= 1 (got {number!r})")
        var = var or f"fs_conf_digits_{next(self._var_counter)}"
        if not _VAR_NAME.fullmatch(var):
            raise ValueError(f"channel variable name {var!r} is not [A-Za-z0-9_.]+")
        args = [
            str(min_digits),
            str(max_digits),
            str(tries),
            str(timeout_ms),
            terminators,
            file,
            invalid_file or "silence_stream://250",
            var,
            regex,
        ]
        if digit_timeout_ms is not None:
            args.append(str(int(digit_timeout_ms)))
        for field_name, value in (
            ("terminators", terminators),
            ("file", file),
            ("invalid_file", args[6]),
            ("regex", regex),
        ):
            _word(f"play_and_get_digits {field_name}", value)
        event = self.execute("play_and_get_digits", " ".join(args), timeout=timeout)
        return DigitsResult(
            digits=event.get(f"variable_{var}") or "",
            read_result=event.get("variable_read_result") or "",
            invalid=event.get(f"variable_{var}_invalid"),
        )

    # -- events -------------------------------------------------------------------------
    def next_event(
        self, names: str | Iterable[str] | None = None, timeout: float = 1.0
    ) -> Event | None:
        """The oldest buffered event among `names` (Event-Names or CUSTOM subclasses; None: any),
        waiting up to `timeout` s; None on timeout. Events of other names stay buffered."""
        return self._next_event(names, timeout, stop_on_hangup=False)

    def next_dtmf(self, timeout: float = 1.0) -> str | None:
        """The next key pressed (also while `conference` runs); None on timeout;
        OutboundSessionHasGoneAway once the call is gone and no key is left."""
        event = self._next_event("DTMF", timeout, stop_on_hangup=True)
        return None if event is None else event.get("DTMF-Digit")

    def flush_events(self, names: str | Iterable[str] | None = None) -> int:
        """Drop buffered events (of `names`, or all); returns how many."""
        wanted = _name_set(names)
        kept = [e for e in self._events if wanted is not None and not _matches(e, wanted)]
        dropped = len(self._events) - len(kept)
        self._events.clear()
        self._events.extend(kept)
        return dropped

    def _next_event(
        self, names: str | Iterable[str] | None, timeout: float, *, stop_on_hangup: bool
    ) -> Event | None:
        if self._events.maxlen == 0:
            raise ValueError("this session buffers no events (event_buffer=0)")
        wanted = _name_set(names)
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self._events):
                if wanted is None or _matches(event, wanted):
                    del self._events[index]
                    return event
            if not self._connection.connected or (stop_on_hangup and not self.connected):
                raise OutboundSessionHasGoneAway(self._gone_reason or self._connection.close_reason)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._arrived.clear()
            self._arrived.wait(remaining)

    # -- reader side (runs in the connection's reader greenlet) --------------------------
    def _on_frame(self, frame: Frame) -> None:
        if frame.content_type == "text/disconnect-notice":
            disposition = frame.get("Content-Disposition") or "disconnect"
            self._gone(f"disconnect notice ({disposition})")
        elif frame.content_type in EVENT_CONTENT_TYPES:
            if self._events.maxlen == 0 and not self._acts_on(frame):
                return
            try:
                event = event_from_frame(frame)
            except ProtocolError as exc:
                log.error("call %s: unreadable event dropped: %r", self.address, exc)
                return
            self._route(event)

    def _route(self, event: Event) -> None:
        execution = self._executions.get(event.get("Application-UUID") or "")
        if event.name == "CHANNEL_EXECUTE_COMPLETE" and execution is not None:
            del self._executions[execution.event_uuid]
            execution._result.set(event)
        elif event.name == "CHANNEL_HANGUP" and self._is_own(event):
            self.hangup_cause = event.get("Hangup-Cause")
            self._gone(f"caller hung up ({self.hangup_cause})")
        self._events.append(event)
        self._arrived.set()

    def _acts_on(self, frame: Frame) -> bool:
        """Whether `_route` may act on this event frame, read without parsing it (each event
        carries the whole channel data, and a call sees dozens): a hangup, a completion of an
        execution still waited for (not `socket`'s, nor `conference`'s after the hangup), or
        an event whose name it cannot tell. A session that buffers no events parses no others."""
        name = plain_event_name(frame)
        if name is None or name == "CHANNEL_HANGUP":
            return True
        if name != "CHANNEL_EXECUTE_COMPLETE":
            return False
        application_uuid = plain_header(frame, "Application-UUID")
        return application_uuid is None or application_uuid in self._executions

    def _is_own(self, event: Event) -> bool:
        # Before `connect` has returned, the channel's uuid is not known yet; only our own
        # channel's events reach an outbound socket then.
        return self.uuid is None or event.get("Unique-ID", self.uuid) == self.uuid

    def _gone(self, reason: str) -> None:
        if self._gone_reason is None:
            self._gone_reason = reason
        pending = list(self._executions.values())
        self._executions.clear()
        for execution in pending:
            execution._result.set_exception(OutboundSessionHasGoneAway(f"{execution!r}: {reason}"))
        self._arrived.set()

    def _on_close(self, reason: str) -> None:
        self._gone(f"socket closed: {reason}")

    def _request(
        self, command: str, headers: dict[str, str] | None = None, *, timeout: float | None = None
    ) -> Frame:
        limit = self.command_timeout if timeout is None else timeout
        return self._connection.request(command, headers, timeout=limit)

    def _checked(self, command: str) -> str:
        text = self._request(command).reply_text
        if not text.startswith("+OK"):
            raise CommandError(f"{command}: {text}")
        return text


class _WhileConnected:
    def __init__(self, session: OutboundSession) -> None:
        self._session = session

    def __enter__(self) -> _WhileConnected:
        self._session.raise_if_disconnected()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._session.raise_if_disconnected()

    def __call__(self, func: Callable[_Params, _Returned]) -> Callable[_Params, _Returned]:
        @functools.wraps(func)
        def wrapper(*args: _Params.args, **kwargs: _Params.kwargs) -> _Returned:
            with self:
                return func(*args, **kwargs)

        return wrapper


def _word(field_name: str, value: str) -> None:
    if value.split() != [value]:  # empty, or whitespace anywhere (str.isspace's)
        raise ValueError(f"{field_name} must be one word without spaces (got {value!r})")


def _name_set(names: str | Iterable[str] | None) -> frozenset[str] | None:
    if names is None:
        return None
    return frozenset([names] if isinstance(names, str) else names)


def _matches(event: Event, wanted: frozenset[str]) -> bool:
    return event.name in wanted or event.key in wanted
