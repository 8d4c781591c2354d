"""A channel's session: the one greenlet that routes it, runs its applications and ends it.

`Session.execute` models switch_core_session_exec() (src/switch_core_session.c); `sendmsg`
messages are parsed as switch_ivr.c switch_ivr_parse_event() does, and CF_EVENT_LOCK holds
later ones. The details: docs/simulator.md#sessions-and-applications
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Empty

from fs_conf.sim.channel import Channel, ChannelGone, Inbox, Interrupted, new_uuid
from fs_conf.sim.expand import expand_variables
from fs_conf.sim.headers import Event, channel_basic_headers
from fs_conf.sim.truth import switch_true
from fs_conf.sim.wire import Frame

if TYPE_CHECKING:
    from fs_conf.sim.context import SimContext

log = logging.getLogger(__name__)

AppFunction = Callable[["Session", str], None]


@dataclass
class PlayResult:
    status: str  # done | break | missing
    digit: str = ""
    played_ms: int = 0


class Session:
    """Runs one channel. `apps` maps application names to functions (see apps.py)."""

    def __init__(self, ctx: SimContext, channel: Channel, apps: dict[str, AppFunction]) -> None:
        self.ctx = ctx
        self.channel = channel
        self.apps = apps
        # Messages taken from the inbox while CF_EVENT_LOCK held them back, in arrival order.
        self.deferred: deque[Frame] = deque()
        # CF_EVENT_LOCK is set recursively (switch_channel_set_flag_recursive): a count.
        self.event_locks = 0
        self.pending_dtmf: deque[tuple[str, str]] = deque()
        self.transfer_to: tuple[str, str] | None = None
        self.greenlet: gevent.Greenlet | None = None

    # -- greenlet entry points -----------------------------------------------------------
    def start_routing(self) -> None:
        self.greenlet = gevent.spawn(self._guard, self._route_and_run)

    def start_apps(self, plan: list[tuple[str, str]]) -> None:
        """Run a fixed application list (an originate's `&app(...)`) instead of the dialplan."""
        self.greenlet = gevent.spawn(self._guard, self._run_plan_then_end, plan)

    def _guard(self, func: Callable[..., None], *args: object) -> None:
        try:
            func(*args)
        except Exception:
            log.exception("session %s failed", self.channel.uuid)
            self.channel.hangup("NORMAL_TEMPORARY_FAILURE")
        finally:
            if not self.channel.finished.is_set():
                if self.channel.alive:
                    self.channel.hangup("NORMAL_CLEARING")
                self.channel.report()

    def _route_and_run(self) -> None:
        while self.channel.alive:
            plan = self._route()
            if plan is None:
                self.channel.hangup("NO_ROUTE_DESTINATION")
                return
            self._run_plan(plan)
            if self.transfer_to is None:
                break
        if self.channel.alive:
            self.channel.hangup("NORMAL_CLEARING")

    def _route(self) -> list[tuple[str, str]] | None:
        channel = self.channel
        destination, context = self.transfer_to or (
            channel.profile.destination_number,
            channel.profile.context,
        )
        self.transfer_to = None
        channel.profile.destination_number = destination
        channel.profile.context = context
        channel.set_state("CS_ROUTING")
        if channel.call_state == "DOWN" and channel.direction == "inbound":
            channel.set_call_state("RINGING")
        dialplan = self.ctx.dialplan
        plan = dialplan.route(channel) if dialplan is not None else None
        channel.set_var("call_uuid", channel.uuid)
        if plan is None:
            return None
        channel.hit_dialplan = True
        channel.set_state("CS_EXECUTE")
        return plan

    def _run_plan_then_end(self, plan: list[tuple[str, str]]) -> None:
        self.channel.hit_dialplan = True
        self.channel.set_state("CS_EXECUTE")
        self._run_plan(plan)
        while self.transfer_to is not None and self.channel.alive:
            next_plan = self._route()
            if next_plan is None:
                self.channel.hangup("NO_ROUTE_DESTINATION")
                return
            self._run_plan(next_plan)
        if self.channel.alive:
            self.channel.hangup("NORMAL_CLEARING")

    def _run_plan(self, plan: list[tuple[str, str]]) -> None:
        for app, arg in plan:
            if not self.channel.alive or self.transfer_to is not None:
                return
            if not self.execute(app, arg):
                return
            self.run_deferred()

    # -- applications ----------------------------------------------------------------------
    def execute(
        self,
        app: str,
        arg: str,
        app_uuid: str | None = None,
        uuid_name: str | None = None,
    ) -> bool:
        """switch_core_session_execute_application(); False for an unknown application."""
        channel = self.channel
        func = self.apps.get(app.lower())
        if func is None:
            log.error("Invalid Application %s", app)
            channel.hangup("DESTINATION_OUT_OF_ORDER")
            return False
        if not channel.alive:
            return True
        name = app.lower()
        expanded = expand_variables(arg or "", channel.variables, self.ctx.global_vars)
        # switch_core_session_execute_application() consumes app_uuid(_name) set by sendmsg.
        queued_uuid = channel.get_var("app_uuid")
        queued_name = channel.get_var("app_uuid_name")
        channel.set_var("app_uuid", None)
        channel.set_var("app_uuid_name", None)
        app_uuid = app_uuid or queued_uuid or new_uuid()
        uuid_name = uuid_name or queued_name
        channel.set_var("current_application", name)
        channel.set_var("current_application_data", expanded)
        channel.set_var("current_application_response", None)
        tail = [("Application", name), ("Application-Data", expanded)]
        channel.fire(
            "CHANNEL_EXECUTE",
            post=tail
            + [("Application-UUID", app_uuid), ("Application-UUID-Name", uuid_name or "")],
        )
        channel.set_var("current_application_data", expanded)
        channel.set_var("current_application", name)
        channel.last_app, channel.last_arg = name, expanded
        channel.app_running = True
        try:
            func(self, expanded)
        except (ChannelGone, Interrupted):
            pass
        finally:
            channel.app_running = False
        response = channel.get_var("current_application_response") or "_none_"
        channel.fire(
            "CHANNEL_EXECUTE_COMPLETE",
            post=tail
            + [
                ("Application-Response", response),
                ("Application-UUID", app_uuid),
                ("Application-UUID-Name", uuid_name or ""),
            ],
        )
        return True

    # -- messages (sendmsg) --------------------------------------------------------------
    def run_deferred(self) -> None:
        """Parse the messages held back, oldest first, unless a running one still locks."""
        while self.deferred and self.channel.alive and not self.event_locks:
            self.handle_message(self.deferred.popleft())

    def handle_message(self, frame: Frame) -> None:
        """switch_ivr_parse_next_event(): parse the message, then fire it as PRIVATE_COMMAND.

        The recordings (scenario2 case8) show no PRIVATE_COMMAND for a message parsed while
        the channel was not yet answered, so none is fired then.
        """
        channel = self.channel
        was_answered = channel.answered
        self._parse_message(frame)
        if not was_answered:
            return
        headers = [("Command", frame.raw or frame.command)] + list(frame.headers)

        def build(event: Event) -> None:
            event.headers[:0] = [(k, v) for k, v in headers if v != ""]
            event.extend(channel_basic_headers(channel))

        self.ctx.bus.fire(
            "PRIVATE_COMMAND",
            build,
            uuid=channel.uuid,
            origin=("switch_ivr.c", "switch_ivr_parse_next_event", 804),
        )

    def _parse_message(self, frame: Frame) -> None:
        """switch_ivr_parse_event(): call-command execute (with loops) or hangup.

        `event-lock` locks the queue for as long as this message is parsed. `event-lock-pri`
        only locks the priority queue, which mod_event_socket never fills (its sendmsg
        queues with priority SWITCH_FALSE; only mod_sofia's hold music uses it), so it holds
        no sendmsg back and is not modelled further.
        """
        locked = switch_true(frame.header("event-lock"))
        if locked:
            self.event_locks += 1
        try:
            self._run_message(frame)
        finally:
            if locked:
                self.event_locks -= 1

    def _run_message(self, frame: Frame) -> None:
        command = (frame.header("call-command") or "").lower()
        channel = self.channel
        if command == "hangup":
            channel.hangup(frame.header("hangup-cause") or "NORMAL_CLEARING")
        elif command == "execute":
            app = frame.header("execute-app-name")
            if not app:
                return
            arg = frame.header("execute-app-arg")
            if arg is None:
                arg = frame.body
            self._execute_loops(frame, app, arg)

    def _execute_loops(self, frame: Frame, app: str, arg: str) -> None:
        """`loops` runs the application again while each run lasts at least 0.5 s."""
        channel = self.channel
        try:
            loops = int(frame.header("loops") or "1")
        except ValueError:
            loops = 1
        app_uuid = frame.header("Event-UUID")
        uuid_name = frame.header("event-uuid-name")
        count = 0
        while (count < loops or loops < 0) and channel.alive:
            count += 1
            channel.set_var("app_uuid", app_uuid)
            channel.set_var("app_uuid_name", uuid_name)
            channel.set_var("current_loop", count)
            channel.set_var("total_loops", loops)
            started = time.monotonic()
            if not self.execute(app, arg):
                break
            if time.monotonic() - started < self.ctx.clock.real(0.5):
                break
        channel.set_var("current_loop", None)
        channel.set_var("total_loops", None)

    def _take_command(self, frame: Frame) -> None:
        """A message that arrived while an application waits: parsed now, nested in it, as
        switch_ivr_parse_all_events() does, unless a locked message holds the queue."""
        if self.event_locks:
            self.deferred.append(frame)
        else:
            self.handle_message(frame)

    # -- waiting for input --------------------------------------------------------------
    def next_input(self, call_seconds: float | None) -> tuple[str, str] | None:
        """The next key (digit, source) within `call_seconds` (None: no limit) or None.

        Raises ChannelGone when the channel hangs up and Interrupted on uuid_break. The DTMF
        event fires here, when the key is taken, as in switch_channel_dequeue_dtmf().
        """
        if not self.channel.alive:
            raise ChannelGone()
        key = self.pending_dtmf.popleft() if self.pending_dtmf else self._await_key(call_seconds)
        if key is not None:
            self.channel.fire_dtmf(*key)
        return key

    def wait_key_or_time(self, call_seconds: float | None) -> bool:
        """Sleep, ending early (True) when a key arrives; the key stays for the next reader."""
        if not self.channel.alive:
            raise ChannelGone()
        if self.pending_dtmf:
            return True
        key = self._await_key(call_seconds)
        if key is None:
            return False
        self.pending_dtmf.append(key)
        return True

    def _await_key(self, call_seconds: float | None) -> tuple[str, str] | None:
        """Take the channel's inbox until a key arrives (None after `call_seconds`), running
        the commands and calls queued before it; a hangup or uuid_break raises."""
        channel = self.channel
        deadline = (
            None if call_seconds is None else time.monotonic() + self.ctx.clock.real(call_seconds)
        )
        while True:
            self.run_deferred()
            if not channel.alive:
                raise ChannelGone()
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                item: Inbox = channel.inbox.get(timeout=timeout)
            except Empty:
                return None
            if item.kind == "hangup" or not channel.alive:
                raise ChannelGone()
            if item.kind == "break":
                raise Interrupted()
            if item.kind == "dtmf":
                return item.value  # type: ignore[return-value]
            if item.kind == "cmd":
                self._take_command(item.value)  # type: ignore[arg-type]
                if not channel.alive:
                    raise ChannelGone()
            if item.kind == "call":
                item.value()  # type: ignore[operator]

    # -- playing sounds -------------------------------------------------------------------
    def play(
        self,
        target: str,
        on_key: Callable[[str], bool] | None = None,
    ) -> PlayResult:
        """switch_ivr_play_file(): plays for the sound's length; `on_key` True stops it.

        Keys are consumed while playing (mod_dptools on_dtmf); without `on_key` they stop
        nothing unless the playback_terminators variable names them.
        """
        channel = self.channel
        sound = self.ctx.sounds.resolve(target)
        if not sound.exists:
            return PlayResult("missing")
        channel.hear(target[4:] if target.startswith("say:") else target)
        channel.fire("PLAYBACK_START", post=[("Playback-File-Path", sound.path)])
        started = time.monotonic()
        status = "done"
        digit = ""
        try:
            remaining = sound.seconds
            while True:
                key = self.next_input(remaining)
                if key is None:
                    break
                digit = key[0]
                if on_key is not None:
                    if on_key(digit):
                        status = "break"
                        break
                elif self._is_playback_terminator(digit):
                    channel.set_var("playback_terminator_used", digit)
                    status = "break"
                    break
                if remaining is not None:
                    elapsed = self.ctx.clock.call_seconds_since(started)
                    remaining = max(sound.seconds - elapsed, 0.0)  # type: ignore[operator]
        finally:
            played_ms = int(self.ctx.clock.call_seconds_since(started) * 1000)
            if sound.seconds is not None and status == "done" and channel.alive:
                played_ms = int(sound.seconds * 1000)
            self._set_playback_variables(played_ms)
            if channel.alive:
                channel.fire(
                    "PLAYBACK_STOP",
                    post=[
                        ("Playback-File-Path", sound.path),
                        ("Playback-Status", status),
                    ],
                )
        return PlayResult(status, digit, played_ms)

    def _is_playback_terminator(self, digit: str) -> bool:
        terminators = self.channel.get_var("playback_terminators") or ""
        if terminators.lower() == "any":
            terminators = "1234567890*#"
        elif terminators.lower() == "none":
            terminators = ""
        return digit in terminators

    def _set_playback_variables(self, played_ms: int) -> None:
        samples = played_ms * 8
        self.channel.set_var("playback_last_offset_pos", samples)
        self.channel.set_var("playback_seconds", played_ms // 1000)
        self.channel.set_var("playback_ms", played_ms)
        self.channel.set_var("playback_samples", samples)

    # -- park -------------------------------------------------------------------------------
    def park(self, until: Callable[[], bool] | None = None) -> None:
        """switch_ivr_park(): take keys and queued messages until hangup (or `until()`)."""
        channel = self.channel
        channel.fire("CHANNEL_PARK")
        try:
            while channel.alive and self.transfer_to is None:
                if until is not None and until():
                    break
                self.run_deferred()
                if not channel.alive or self.transfer_to is not None:
                    break
                if until is not None and until():
                    break
                if self.pending_dtmf:
                    digit, source = self.pending_dtmf.popleft()
                    channel.fire_dtmf(digit, source)
                    continue
                item: Inbox = channel.inbox.get()
                if item.kind == "hangup":
                    break
                if item.kind == "dtmf":
                    digit, source = item.value  # type: ignore[misc]
                    channel.fire_dtmf(digit, source)
                elif item.kind == "cmd":
                    self._take_command(item.value)  # type: ignore[arg-type]
                elif item.kind == "call":
                    item.value()  # type: ignore[operator]
        finally:
            channel.fire("CHANNEL_UNPARK")

    def wake(self) -> None:
        """Make a parked session re-check its `until` condition."""
        self.channel.inbox.put(Inbox("call", lambda: None))
