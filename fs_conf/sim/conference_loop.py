"""A member's time in a room: reading keys and running the caller controls bound to them.

Mirrors src/mod/applications/mod_conference/conference_loop.c: conference_loop_output() and
the actions of its control_mappings[] (conference_loop_mute_toggle, ...); keys are matched
as switch_ivr_dmachine (src/switch_ivr_async.c) matches them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fs_conf.sim.channel import ChannelGone, Interrupted

if TYPE_CHECKING:
    from fs_conf.sim.conference_config import Control
    from fs_conf.sim.conference_member import Member

log = logging.getLogger(__name__)


def member_loop(member: Member) -> None:
    """conference_loop_output(): read the member's keys until the member leaves or hangs up."""
    session = member.session
    matcher = KeyMatcher(member.controls)
    timeout_ms = member.room.profile.get_int("ivr-dtmf-timeout", 500)
    try:
        while member.running and member.channel.alive:
            wait = timeout_ms / 1000.0 if matcher.pending else None
            try:
                key = session.next_input(wait)
            except Interrupted:
                continue
            if key is None:
                control = matcher.flush()
            else:
                control = matcher.feed(key[0])
            if control is not None:
                _apply_control(member, control)
    except ChannelGone:
        pass


def _apply_control(member: Member, control: Control) -> None:
    member.channel.set_var("conference_last_matching_digits", control.digits)
    handler = CONTROL_ACTIONS.get(control.action)
    if handler is not None:
        handler(member, control)
    else:
        log.info("conference: caller control %r has no effect here", control.action)


def _toggle_mute(member: Member, control: Control) -> None:
    if member.can_speak:
        member.room.mute(member)
    else:
        member.room.unmute(member)


def _deaf_mute(member: Member, control: Control) -> None:
    room = member.room
    if member.can_speak:
        room.mute(member)
        if member.can_hear:
            room.deaf(member)
    else:
        room.unmute(member)
        if not member.can_hear:
            room.undeaf(member)


def _event(member: Member, control: Control) -> None:
    member.room.fire(
        "dtmf",
        ("conference_loop.c", "conference_loop_event", 619),
        member=member,
        post=[("DTMF-Key", control.digits), ("Data", control.data)],
    )


def _execute_application(member: Member, control: Control) -> None:
    member.room.fire(
        "execute_app",
        ("conference_loop.c", "conference_loop_exec_app", 688),
        member=member,
        post=[("Application", control.data)],
    )
    app, _, arg = control.data.strip().partition(" ")
    if app:
        # conference_loop_exec_app() hands the read codec back to the channel first.
        channel = member.channel
        channel.set_var("read_codec", channel.codec[0])
        channel.set_var("read_rate", channel.codec[1])
        member.session.execute(app, arg.strip())
        channel.set_var("read_codec", channel.codec[0])
        channel.set_var("read_rate", channel.codec[1])


def _hangup(member: Member, control: Control) -> None:
    member.running = False


def _lock(member: Member, control: Control) -> None:
    room = member.room
    if room.wait_mod and not member.moderator:
        return
    room.set_lock(not room.locked)


def _transfer(member: Member, control: Control) -> None:
    parts = control.data.split()
    if parts:
        member.session.transfer_to = (parts[0], parts[2] if len(parts) > 2 else "default")
        member.running = False


def _energy(member: Member, control: Control) -> None:
    step = {"energy up": 200, "energy dn": -200}.get(control.action)
    member.energy = 100 if step is None else min(max(member.energy + step, 0), 1800)


def _volume(member: Member, control: Control) -> None:
    words = control.action.split()
    attr = "volume_in" if words[1] == "talk" else "volume_out"
    value = getattr(member, attr)
    value = {"up": min(value + 1, 4), "dn": max(value - 1, -4), "zero": 0}[words[2]]
    setattr(member, attr, value)


def _mute_set(member: Member, control: Control) -> None:
    want_muted = control.action.endswith("on")
    if want_muted and member.can_speak:
        member.room.mute(member)
    elif not want_muted and not member.can_speak:
        member.room.unmute(member)


def _deaf_set(member: Member, control: Control) -> None:
    if control.action == "deaf":
        if member.can_hear:
            member.room.deaf(member)
        else:
            member.room.undeaf(member)
    elif control.action.endswith("on") and member.can_hear:
        member.room.deaf(member)
    elif control.action.endswith("off") and not member.can_hear:
        member.room.undeaf(member)


CONTROL_ACTIONS: dict[str, Callable[[Member, Control], None]] = {
    "mute": _toggle_mute,
    "mute on": _mute_set,
    "mute off": _mute_set,
    "deaf mute": _deaf_mute,
    "deaf": _deaf_set,
    "deaf on": _deaf_set,
    "deaf off": _deaf_set,
    "event": _event,
    "execute_application": _execute_application,
    "hangup": _hangup,
    "lock": _lock,
    "transfer": _transfer,
    "energy up": _energy,
    "energy equ": _energy,
    "energy dn": _energy,
    "vol talk up": _volume,
    "vol talk zero": _volume,
    "vol talk dn": _volume,
    "vol listen up": _volume,
    "vol listen zero": _volume,
    "vol listen dn": _volume,
}


class KeyMatcher:
    """switch_ivr_dmachine matching for caller controls, including multi-digit bindings.

    A key sequence that exactly matches a binding and starts no longer binding fires at once;
    one that is also a prefix waits for more keys (the caller of `feed` then waits the
    ivr-dtmf-timeout and calls `flush`); a sequence that matches nothing is dropped.
    """

    def __init__(self, controls: list[Control]) -> None:
        self.controls = {c.digits: c for c in controls}
        self.pending = ""

    def feed(self, digit: str) -> Control | None:
        self.pending += digit
        exact = self.controls.get(self.pending)
        longer = any(d.startswith(self.pending) and d != self.pending for d in self.controls)
        if exact is not None and not longer:
            self.pending = ""
            return exact
        if not longer:
            self.pending = ""
        return None

    def flush(self) -> Control | None:
        exact = self.controls.get(self.pending)
        self.pending = ""
        return exact
