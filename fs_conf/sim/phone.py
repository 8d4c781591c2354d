"""Phones for tests: place calls, press keys, hear prompts, answer or refuse calls.

`Call` is one call seen from the phone; a `Phone` registered by number answers, rejects or
ignores the calls sent to it. How: docs/simulator.md#using-it-from-python
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Queue

from fs_conf.sim.channel import Channel

if TYPE_CHECKING:
    from fs_conf.sim.conference_member import Member
    from fs_conf.sim.context import SimContext
    from fs_conf.sim.session import Session


class Call:
    """One call from the phone's side."""

    def __init__(self, ctx: SimContext, channel: Channel, session: Session | None = None) -> None:
        self.ctx = ctx
        self.channel = channel
        self.session = session
        self._cursor = 0
        self.dtmf_received: list[str] = []

    def __repr__(self) -> str:
        return f"<Call {self.uuid} {self.channel.name} alive={self.alive}>"

    @property
    def uuid(self) -> str:
        return self.channel.uuid

    @property
    def heard(self) -> list[str]:
        return list(self.channel.heard)

    @property
    def alive(self) -> bool:
        return self.channel.alive

    @property
    def answered(self) -> bool:
        return self.channel.answered

    @property
    def hangup_cause(self) -> str:
        return self.channel.hangup_cause

    @property
    def variables(self) -> dict[str, str]:
        return dict(self.channel.variables)

    def var(self, name: str) -> str | None:
        return self.channel.get_var(name)

    @property
    def member(self) -> Member | None:
        """The conference member this call is, while it is in a room."""
        member = self.channel.conference_member
        if member is not None and member in member.room.members:
            return member
        return None

    def press(self, keys: str, key_gap: float = 0.1) -> None:
        """Send keys one by one, `key_gap` call-seconds apart ('w' waits 0.5 s, 'W' 1 s)."""
        for index, key in enumerate(keys):
            if key == "w":
                self.ctx.clock.sleep(0.5)
                continue
            if key == "W":
                self.ctx.clock.sleep(1.0)
                continue
            if not self.channel.alive:
                return
            self.channel.queue_dtmf(key, self.channel.dtmf_source)
            if index < len(keys) - 1:
                self.ctx.clock.sleep(key_gap)

    def wait_heard(self, pattern: str, timeout: float = 5.0) -> str:
        """The next prompt (after the last one matched) containing `pattern` or matching it
        as a regular expression; raises TimeoutError (listing what was heard) after
        `timeout` real seconds."""
        deadline = time.monotonic() + timeout
        regex = _compile(pattern)
        while True:
            heard = self.channel.heard
            for index in range(self._cursor, len(heard)):
                item = heard[index]
                if pattern in item or (regex is not None and regex.search(item)):
                    self._cursor = index + 1
                    return item
            changed = self.channel.heard_changed()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (not self.channel.alive and not changed.is_set()):
                raise TimeoutError(
                    f"{self.channel.name}: nothing matching {pattern!r} was heard; heard "
                    f"{heard[self._cursor :]!r} (alive={self.channel.alive})"
                )
            changed.wait(min(remaining, 0.5))

    def wait_answered(self, timeout: float = 5.0) -> bool:
        return bool(self.channel.answered_ev.wait(timeout))

    def wait_hangup(self, timeout: float = 5.0) -> str:
        """Wait for the call to end; returns the hangup cause (TimeoutError if it does not)."""
        if not self.channel.finished.wait(timeout):
            raise TimeoutError(f"{self.channel.name}: still up after {timeout}s")
        return self.channel.hangup_cause

    def wait_member(self, timeout: float = 5.0) -> Member:
        """Wait until this call is a member of a conference room; returns the member."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            member = self.member
            if member is not None:
                return member
            if not self.channel.alive:
                break
            gevent.sleep(0.005)
        raise TimeoutError(f"{self.channel.name}: not in a conference room after {timeout}s")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self.channel.hangup(cause)

    def dtmf_from_switch(self, digits: str) -> None:
        self.dtmf_received.append(digits)


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


@dataclass
class Phone:
    """A simulated phone registered by number."""

    ctx: SimContext
    number: str
    answer: bool | str | None = True
    keys_after_answer: str = ""
    answer_delay: float = 0.2
    calls: list[Call] = field(default_factory=list)
    _incoming: Queue = field(default_factory=Queue)

    def ring(self, leg: Channel) -> None:
        """Called by the switch when a call for this phone rings."""
        call = Call(self.ctx, leg)
        self.calls.append(call)
        self._incoming.put(call)
        gevent.spawn(self._respond, call)

    def _respond(self, call: Call) -> None:
        leg = call.channel
        leg.set_call_state("RINGING")
        self.ctx.clock.sleep(self.answer_delay)
        if not leg.alive:
            return
        if self.answer is True:
            leg.answer()
            leg.set_var("endpoint_disposition", "ANSWER")
            if self.keys_after_answer:
                self.ctx.clock.sleep(1.0)
                call.press(self.keys_after_answer)
        elif self.answer == "busy":
            leg.hangup("USER_BUSY")
        elif self.answer is False:
            leg.hangup("CALL_REJECTED")

    def attach(self, leg: Channel, session: Session) -> None:
        for call in self.calls:
            if call.channel is leg:
                call.session = session

    def dtmf_from_switch(self, leg: Channel, digits: str) -> None:
        for call in self.calls:
            if call.channel is leg:
                call.dtmf_from_switch(digits)

    def wait_call(self, timeout: float = 5.0) -> Call:
        """The next call that rang this phone."""
        try:
            return self._incoming.get(timeout=timeout)
        except gevent.queue.Empty:
            raise TimeoutError(f"phone {self.number}: no call within {timeout}s") from None


class PhoneBook:
    """Registered phones by number."""

    def __init__(self) -> None:
        self.phones: dict[str, Phone] = {}

    def add(self, phone: Phone) -> Phone:
        self.phones[phone.number] = phone
        return phone

    def get(self, number: str) -> Phone | None:
        return self.phones.get(number) or self.phones.get(number.lstrip("+"))
