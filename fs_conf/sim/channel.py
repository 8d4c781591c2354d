"""A simulated call leg: identity, caller profile, variables, states and its input queue.

State names and their order follow switch_channel.c; variables keep FreeSWITCH's order.
Everything that reaches a running application goes through one inbox queue.
The details: docs/simulator.md#events-and-channels
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gevent.event import Event as GEvent
from gevent.queue import Queue

from fs_conf.sim.headers import (
    Event,
    Headers,
    channel_basic_headers,
    channel_variable_headers,
)

if TYPE_CHECKING:
    from fs_conf.sim.conference_member import Member
    from fs_conf.sim.context import SimContext
    from fs_conf.sim.phone import Phone

# Hangup causes and their Q.850 codes (switch_channel.c CAUSE_CHART).
Q850 = {
    "UNSPECIFIED": 0,
    "UNALLOCATED_NUMBER": 1,
    "NO_ROUTE_DESTINATION": 3,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "CALL_REJECTED": 21,
    "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28,
    "NORMAL_UNSPECIFIED": 31,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42,
    "REQUESTED_CHAN_UNAVAIL": 44,
    "INCOMPATIBLE_DESTINATION": 88,
    "RECOVERY_ON_TIMER_EXPIRE": 102,
    "ORIGINATOR_CANCEL": 487,
    "MANAGER_REQUEST": 503,
    "LOSE_RACE": 502,
    "ALLOTTED_TIMEOUT": 602,
}


# switch_channel_callstate_t numbers, shown as Channel-Call-State-Number.
CALL_STATE_NUMBERS = {
    "DOWN": 0,
    "DIALING": 1,
    "RINGING": 2,
    "EARLY": 3,
    "ACTIVE": 4,
    "HELD": 5,
    "RING_WAIT": 6,
    "HANGUP": 7,
    "UNHELD": 8,
}


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def now_us() -> int:
    return int(time.time() * 1_000_000)


@dataclass(slots=True)
class CallerProfile:
    """switch_caller_profile_t fields that appear in events (times in microseconds)."""

    direction: str
    destination_number: str
    uuid: str
    channel_name: str
    source: str
    caller_id_name: str = ""
    caller_id_number: str = ""
    orig_caller_id_name: str = ""
    orig_caller_id_number: str = ""
    callee_id_name: str = ""
    callee_id_number: str = ""
    username: str = ""
    network_addr: str = ""
    ani: str = ""
    dialplan: str = "XML"
    context: str = "default"
    created_us: int = field(default_factory=now_us)
    answered_us: int = 0
    progress_us: int = 0
    progress_media_us: int = 0
    hangup_us: int = 0
    transfer_us: int = 0
    bridged_us: int = 0


class ChannelGone(Exception):
    """The channel hung up while an application waited on it."""


class Interrupted(Exception):
    """uuid_break (or a conference kick) stopped the running application."""


@dataclass(slots=True)
class Inbox:
    """One item for the session: a key, a queued command, a break or the hangup wake-up."""

    kind: str
    value: object = None


class Channel:
    """One leg. Its session greenlet (see session.py) is the only one that runs its apps."""

    __slots__ = (
        "ctx",
        "uuid",
        "name",
        "direction",
        "profile",
        "variables",
        "state",
        "call_state",
        "answer_state",
        "hit_dialplan",
        "hangup_cause",
        "codec",
        "dtmf_source",
        "inbox",
        "hungup",
        "answered_ev",
        "finished",
        "heard",
        "_heard_changed",
        "peer",
        "hangup_hooks",
        "outbound_call",
        "app_running",
        "digits_dialed",
        "last_app",
        "last_arg",
        "created",
        "session_id",
        "phone",
        "conference_member",
        "db_callee_direction",
        "db_call_uuid",
    )

    def __init__(
        self,
        ctx: SimContext,
        name: str,
        profile: CallerProfile,
        *,
        codec: tuple[str, int, int] = ("L16", 8000, 128000),
        dtmf_source: str = "UNKNOWN",
    ) -> None:
        self.ctx = ctx
        self.uuid = profile.uuid
        self.name = name
        self.direction = profile.direction
        self.profile = profile
        self.variables: dict[str, str] = {}
        self.state = "CS_NEW"
        self.call_state = "DOWN"
        self.answer_state = "ringing"
        self.hit_dialplan = False
        self.hangup_cause = ""
        self.codec = codec
        self.dtmf_source = dtmf_source
        self.inbox: Queue = Queue()
        self.hungup = GEvent()
        self.answered_ev = GEvent()
        self.finished = GEvent()
        self.heard: list[str] = []
        self._heard_changed = GEvent()
        self.peer: Channel | None = None
        self.hangup_hooks: list[Callable[[Channel], None]] = []
        self.outbound_call = False
        self.app_running = False
        self.digits_dialed = ""
        self.last_app = ""
        self.last_arg = ""
        self.created = time.time()
        self.session_id = ctx.next_session_id()
        self.phone: Phone | None = None
        self.conference_member: Member | None = None
        # Columns of the core database's channels table that only events set (see show.py).
        self.db_callee_direction = ""
        self.db_call_uuid = ""

    # -- variables -------------------------------------------------------------------------
    def set_var(self, name: str, value: object | None) -> None:
        """switch_channel_set_variable(): re-setting moves to the end, empty deletes."""
        self.variables.pop(name, None)
        if value is not None and str(value) != "":
            self.variables[name] = str(value)

    def get_var(self, name: str) -> str | None:
        return self.variables.get(name)

    def codec_headers(self) -> Headers:
        name, rate, bits = self.codec
        rows: Headers = []
        for side in ("Read", "Write"):
            rows.append((f"Channel-{side}-Codec-Name", name))
            rows.append((f"Channel-{side}-Codec-Rate", str(rate)))
            rows.append((f"Channel-{side}-Codec-Bit-Rate", str(bits)))
        return rows

    # -- events ----------------------------------------------------------------------------
    def fire(
        self,
        name: str,
        *,
        pre: Iterable[tuple[str, str]] = (),
        post: Iterable[tuple[str, str]] = (),
        extended: bool = True,
    ) -> Event | None:
        """Fire a channel event: `pre` headers, channel data, variables if extended, `post`."""

        def build(event: Event) -> None:
            event.extend(list(pre))
            event.extend(channel_basic_headers(self))
            if extended:
                event.extend(channel_variable_headers(self))
            event.extend(list(post))

        return self.ctx.bus.fire(name, build, uuid=self.uuid)

    def data_headers(self) -> Headers:
        """Channel data as the connect reply and conference events carry it."""
        return channel_basic_headers(self) + channel_variable_headers(self)

    def set_state(self, state: str, *, announce: bool = True) -> None:
        self.state = state
        if announce:
            self.fire("CHANNEL_STATE", extended=False)

    def set_call_state(self, call_state: str) -> None:
        old = self.call_state
        if old == call_state:
            return
        self.call_state = call_state
        self.fire(
            "CHANNEL_CALLSTATE",
            pre=[
                ("Original-Channel-Call-State", old),
                ("Channel-Call-State-Number", str(CALL_STATE_NUMBERS[call_state])),
            ],
            extended=False,
        )

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return not self.hungup.is_set()

    @property
    def answered(self) -> bool:
        return self.profile.answered_us != 0

    def pre_answer(self) -> None:
        if self.answered or self.profile.progress_media_us or not self.alive:
            return
        stamp = now_us()
        self.profile.progress_us = self.profile.progress_us or stamp
        self.profile.progress_media_us = stamp
        self.answer_state = "early"
        self.fire("CHANNEL_PROGRESS_MEDIA")
        self.set_call_state("EARLY")

    def answer(self) -> None:
        """switch_channel_perform_mark_answered(): ANSWER event, then call state ACTIVE."""
        if self.answered or not self.alive:
            return
        self.profile.answered_us = now_us()
        self.answer_state = "answered"
        self.fire("CHANNEL_ANSWER")
        self.set_call_state("ACTIVE")
        self.answered_ev.set()
        if self.peer is not None and self.outbound_call is False:
            self.peer.answer_from_peer()

    def answer_from_peer(self) -> None:
        """The originating loopback leg answers when the other one does (mod_loopback)."""
        if self.answered or not self.alive:
            return
        self.profile.answered_us = now_us()
        self.answer_state = "answered"
        self.fire("CHANNEL_ANSWER")
        self.set_var("endpoint_disposition", "ANSWER")
        self.answered_ev.set()

    def flip_caller_id(self) -> None:
        """After a successful originate the A leg shows the far end as its caller ID
        (switch_ivr_originate.c; recorded: caller = Outbound Call/<context>, callee = the
        original caller, pre_transfer_* and channel_cid_flipped set)."""
        p = self.profile
        original_name, original = p.caller_id_name, p.caller_id_number
        p.caller_id_name, p.callee_id_name = p.callee_id_name, p.caller_id_name
        p.caller_id_number, p.callee_id_number = p.callee_id_number, p.caller_id_number
        self.set_var("pre_transfer_caller_id_name", original_name)
        self.set_var("pre_transfer_caller_id_number", original)
        self.set_var("channel_cid_flipped", "yes")
        self.set_var("call_uuid", self.uuid)
        # The flip's CALL_UPDATE (Direction: RECV) sets callee_direction in the core database.
        self.db_callee_direction = "RECV"
        self.set_call_state("ACTIVE")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> bool:
        """switch_channel_perform_hangup(); True if this call ended the channel."""
        if not self.alive:
            return False
        self.hangup_cause = cause if cause in Q850 else "NORMAL_CLEARING"
        self.profile.hangup_us = now_us()
        self.answer_state = "hangup"
        self.fire("CHANNEL_HANGUP")
        self.hungup.set()
        self.inbox.put(Inbox("hangup"))
        for hook in list(self.hangup_hooks):
            hook(self)
        return True

    def report(self) -> None:
        """The end of the state machine: CS_HANGUP, CS_REPORTING, HANGUP_COMPLETE."""
        self.set_state("CS_HANGUP")
        self.call_state = "HANGUP"
        self.set_state("CS_REPORTING")
        self.set_cdr_variables()
        self.fire("CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", self.hangup_cause)])
        self.state = "CS_DESTROY"
        self.ctx.channels.pop(self.uuid, None)
        self.finished.set()

    def set_cdr_variables(self) -> None:
        """switch_channel.c switch_channel_set_timestamps() and the hangup variables."""
        p = self.profile
        end = p.hangup_us or now_us()
        self.set_var("hangup_cause", self.hangup_cause)
        self.set_var("hangup_cause_q850", Q850.get(self.hangup_cause, 0))
        self.set_var("digits_dialed", self.digits_dialed or "none")
        start_s = _stamp(p.created_us)
        self.set_var("start_stamp", start_s)
        self.set_var("profile_start_stamp", start_s)
        if p.answered_us:
            self.set_var("answer_stamp", _stamp(p.answered_us))
        self.set_var("end_stamp", _stamp(end))
        epochs = [
            ("start", p.created_us),
            ("profile_start", p.created_us),
            ("answer", p.answered_us),
            ("bridge", p.bridged_us),
            ("last_hold", 0),
        ]
        for label, value in epochs:
            self.set_var(f"{label}_epoch", value // 1_000_000)
            self.set_var(f"{label}_uepoch", value)
        self.set_var("hold_accum_seconds", 0)
        self.set_var("hold_accum_usec", 0)
        self.set_var("hold_accum_ms", 0)
        for label, value in (
            ("resurrect", 0),
            ("progress", p.progress_us),
            ("progress_media", p.progress_media_us),
            ("end", end),
        ):
            self.set_var(f"{label}_epoch", value // 1_000_000)
            self.set_var(f"{label}_uepoch", value)
        if self.last_app:
            self.set_var("last_app", self.last_app)
            self.set_var("last_arg", self.last_arg)
        if p.caller_id_name:
            self.set_var("caller_id", f'"{p.caller_id_name}" <{p.caller_id_number}>')
        else:
            self.set_var("caller_id", p.caller_id_number)
        self._set_durations(end)

    def _set_durations(self, end: int) -> None:
        """Durations in s (from whole epoch seconds), ms and us, in FreeSWITCH's order."""
        p = self.profile
        spans = [
            ("", p.created_us, end),
            ("bill", p.answered_us, end if p.answered_us else 0),
            ("progress", p.created_us, p.progress_us),
            ("answer", p.created_us, p.answered_us),
            ("wait", p.created_us, p.bridged_us),
            ("progress_media", p.created_us, p.progress_media_us),
            ("flow_bill", p.created_us, end),
        ]
        for unit in ("sec", "msec", "usec"):
            for label, begin, finish in spans:
                if not label:
                    key = {"sec": "duration", "msec": "mduration", "usec": "uduration"}[unit]
                else:
                    key = label + unit
                if not begin or not finish:
                    value = 0
                elif unit == "sec":
                    value = finish // 1_000_000 - begin // 1_000_000
                elif unit == "msec":
                    value = (finish - begin) // 1_000
                else:
                    value = finish - begin
                self.set_var(key, value)
        if self.name.startswith("loopback/"):
            self.set_var("is_loopback", 1)

    # -- input -----------------------------------------------------------------------------
    def queue_dtmf(self, digits: str, source: str | None = None) -> None:
        for digit in digits:
            if digit in "0123456789*#ABCDabcd":
                self.inbox.put(Inbox("dtmf", (digit.upper(), source or self.dtmf_source)))

    def queue_command(self, kind: str, payload: object) -> None:
        self.inbox.put(Inbox(kind, payload))

    def interrupt(self) -> None:
        if self.app_running:
            self.inbox.put(Inbox("break"))

    def fire_dtmf(self, digit: str, source: str) -> None:
        """switch_channel_dequeue_dtmf(): the DTMF event fires when a reader takes the key."""
        self.digits_dialed += digit
        self.fire(
            "DTMF",
            post=[("DTMF-Digit", digit), ("DTMF-Duration", "2000"), ("DTMF-Source", source)],
            extended=False,
        )

    # -- what the caller heard ---------------------------------------------------------------
    def hear(self, item: str) -> None:
        self.heard.append(item)
        changed, self._heard_changed = self._heard_changed, GEvent()
        changed.set()

    def heard_changed(self) -> GEvent:
        return self._heard_changed


def _stamp(micro: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(micro / 1_000_000))
