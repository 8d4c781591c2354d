"""PINs: how long they are, how they are made, checked, compared, and kept unique.

PINs are digit strings (a leading zero is part of the PIN) drawn with `secrets`. A PIN that is
set is never changed here: once mailed it must keep working, so `assign_pins` only fills empty
PINs. Trivial PINs are never generated and are refused when set by hand. PINs are unique among
conferences whose join windows can overlap. Lengths, arithmetic and the overlap rule: docs/pins.md
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fs_conf.config import MAX_PIN_LENGTH, MIN_PIN_LENGTH, PinsConfig
from fs_conf.errors import ValidationError
from fs_conf.model import Conference, ConferenceStatus, Participant, Role
from fs_conf.timetable import ConferenceSchedule

MIN_LENGTH = MIN_PIN_LENGTH
MAX_LENGTH = MAX_PIN_LENGTH
DESIGN_VALID_PINS = 200
"""PINs of one length valid at once on one dialed number that the default lengths are made for."""
_DIGITS = re.compile(r"[0-9]+")
_GENERATE_ATTEMPTS = 10_000
HIDDEN = "***"
"""What errors show instead of a PIN."""


@dataclass(frozen=True)
class PinPolicy:
    """PIN lengths and the IVR's limits on guessing.

    The IVR allows `max_tries_per_call` wrong PINs per call, and after `lockout_failures`
    wrong PINs from one caller ID, or on one dialed number, within `lockout_window` it
    refuses calls from that caller ID, or to that number, for the rest of the window.
    """

    guest_length: int = 9
    personal_length: int = 9
    moderator_length: int = 10
    max_tries_per_call: int = 3
    lockout_failures: int = 10
    lockout_window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        for name in ("guest_length", "personal_length", "moderator_length"):
            value = getattr(self, name)
            if not MIN_LENGTH <= value <= MAX_LENGTH:
                raise ValidationError(
                    f"pins.{name}", value, f"must be between {MIN_LENGTH} and {MAX_LENGTH} digits"
                )
        for name in ("max_tries_per_call", "lockout_failures"):
            if getattr(self, name) < 1:
                raise ValidationError(f"pins.{name}", getattr(self, name), "must be at least 1")
        if self.lockout_window <= timedelta(0):
            minutes = self.lockout_window.total_seconds() / 60
            raise ValidationError("pins.lockout_window", minutes, "must be longer than 0 minutes")

    @classmethod
    def from_config(cls, pins: PinsConfig) -> PinPolicy:
        return cls(
            guest_length=pins.guest_length,
            personal_length=pins.personal_length,
            moderator_length=pins.moderator_length,
            max_tries_per_call=pins.tries_per_call,
            lockout_failures=pins.lockout_failures,
            lockout_window=timedelta(minutes=pins.lockout_window_minutes),
        )

    @property
    def shortest(self) -> int:
        """The fewest digits any PIN has (for the IVR's digit collection)."""
        return min(self.guest_length, self.personal_length, self.moderator_length)

    @property
    def longest(self) -> int:
        return max(self.guest_length, self.personal_length, self.moderator_length)

    def personal_length_for(self, role: Role) -> int:
        """A moderator's personal PIN grants moderator rights, so it is as long as the
        moderator PIN."""
        return self.moderator_length if role is Role.MODERATOR else self.personal_length

    def calls_to_guess(self, valid_pins: int, length: int) -> float:
        """Expected calls until a guesser hits one of `valid_pins` PINs of `length` digits."""
        return 10**length / (max(valid_pins, 1) * self.max_tries_per_call)

    def time_to_guess(self, valid_pins: int, length: int) -> timedelta:
        """Expected time to the first hit when the lockout on the dialed number is the limit:
        at most `lockout_failures` wrong PINs per `lockout_window`, whatever the caller ID."""
        windows = 10**length / max(valid_pins, 1) / self.lockout_failures
        return timedelta(
            seconds=min(
                windows * self.lockout_window.total_seconds(), timedelta.max.total_seconds()
            )
        )


def is_trivial(pin: str) -> bool:
    """All one digit, counting up or down by one (wrapping 9-0), or two digits repeated."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        return True
    return len(pin) > 2 and pin == (pin[:2] * len(pin))[: len(pin)]


def generate_pin(length: int, taken: Container[str] = frozenset()) -> str:
    """A random, non-trivial PIN of `length` digits that is not in `taken`."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValidationError(
            "pins", length, f"PIN length must be between {MIN_LENGTH} and {MAX_LENGTH} digits"
        )
    for _ in range(_GENERATE_ATTEMPTS):
        pin = f"{secrets.randbelow(10**length):0{length}d}"
        if pin not in taken and not is_trivial(pin):
            return pin
    raise ValidationError(
        "pins",
        length,
        f"no free PIN of this length found in {_GENERATE_ATTEMPTS} tries; use longer PINs",
    )


def validate_pin(text: str, length: int, field: str = "--pin") -> str:
    """Return `text` (surrounding blanks removed) if it is a PIN of exactly `length` digits
    that is not trivial. Errors never show the PIN."""
    pin = text.strip() if isinstance(text, str) else ""
    if not pin:
        raise ValidationError(field, HIDDEN, "PIN is empty")
    if not _DIGITS.fullmatch(pin):
        raise ValidationError(field, HIDDEN, "a PIN has only the digits 0-9")
    if len(pin) != length:
        raise ValidationError(field, HIDDEN, f"must be {length} digits, not {len(pin)}")
    if is_trivial(pin):
        raise ValidationError(
            field,
            HIDDEN,
            "too easy to guess (one digit repeated, a run like 1234, or a pattern like 1212)",
        )
    return pin


def pins_equal(a: str, b: str) -> bool:
    """Compare an entered PIN with a stored one in constant time."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def conference_pins(conf: Conference) -> list[tuple[str, str]]:
    """(field, PIN) for every PIN the conference has set: guest, moderator, personal."""
    found = [("guest_pin", conf.guest_pin), ("moderator_pin", conf.moderator_pin)]
    found += [(_participant_field(p), p.pin) for p in conf.participants]
    return [(field, pin) for field, pin in found if pin]


def _participant_field(participant: Participant) -> str:
    return f"participant {participant.name!r} pin"


@dataclass(frozen=True)
class OverlapRule:
    """When two conferences' join windows count as overlapping (see the module docstring)."""

    now: datetime
    horizon: timedelta = timedelta(days=731)
    grace: timedelta = timedelta(0)
    margin: timedelta = timedelta(hours=1)


def join_windows(conf: Conference, rule: OverlapRule) -> list[tuple[datetime, datetime]]:
    """The conference's join windows (widened by the margin) from `now` to the horizon."""
    schedule = ConferenceSchedule(conf)
    widen = rule.grace + rule.margin
    return [
        (occurrence.start - conf.lead, occurrence.end + widen)
        for occurrence in schedule.occurrences(rule.now - widen, rule.now + rule.horizon)
    ]


def windows_can_overlap(a: Conference, b: Conference, rule: OverlapRule) -> bool:
    """Whether a caller could find both conferences open at the same time."""
    if ConferenceStatus.CANCELLED in (a.status, b.status):
        return False
    first, second = join_windows(a, rule), join_windows(b, rule)
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i][0] < second[j][1] and second[j][0] < first[i][1]:
            return True
        if first[i][1] <= second[j][1]:
            i += 1
        else:
            j += 1
    horizon_end = rule.now + rule.horizon
    return all(
        ConferenceSchedule(c).next_start(horizon_end, inclusive=True) is not None for c in (a, b)
    )


class PinClash(ValidationError):
    """A PIN of a conference is also a PIN of `other`, which can be joined at the same time."""

    def __init__(self, field: str, other: Conference) -> None:
        super().__init__(
            field,
            HIDDEN,
            f"PIN already used by conference {describe(other)!r}, which can be joined at the same time",
        )
        self.other = other


def describe(conf: Conference) -> str:
    """A conference as errors name it: its title, and its id once it has one."""
    return conf.title if conf.id is None else f"{conf.title} (id {conf.id})"


def check_unique(conf: Conference, others: Iterable[Conference], rule: OverlapRule) -> None:
    """Raise ValidationError if two of the conference's PINs are equal, or PinClash if one of
    them is used by another conference whose join windows can overlap this one's."""
    own = conference_pins(conf)
    _check_within(own)
    fields_by_pin = {pin: field for field, pin in own}
    for other in _others(conf, others):
        shared = fields_by_pin.keys() & {pin for _, pin in conference_pins(other)}
        if shared and windows_can_overlap(conf, other, rule):
            raise PinClash(fields_by_pin[min(shared)], other)


def _others(conf: Conference, conferences: Iterable[Conference]) -> list[Conference]:
    """`conferences` without `conf` itself (also not its stored copy)."""
    return [c for c in conferences if c is not conf and (conf.id is None or c.id != conf.id)]


class _TakenPins:
    """The PINs a new PIN of `conf` must avoid: its own, and those of the other conferences
    that can overlap it. Overlap is only worked out for a conference whose PIN was drawn,
    which with PINs of nine digits is almost never, so drawing stays cheap with many
    conferences stored."""

    def __init__(self, conf: Conference, others: Sequence[Conference], rule: OverlapRule) -> None:
        self._conf = conf
        self._rule = rule
        self._own = {pin for _, pin in conference_pins(conf)}
        self._owners: dict[str, list[Conference]] = {}
        for other in others:
            for _, pin in conference_pins(other):
                self._owners.setdefault(pin, []).append(other)
        self._overlaps: dict[int, bool] = {}

    def __contains__(self, pin: object) -> bool:
        if pin in self._own:
            return True
        return any(self._can_overlap(other) for other in self._owners.get(str(pin), ()))

    def add(self, pin: str) -> None:
        self._own.add(pin)

    def _can_overlap(self, other: Conference) -> bool:
        if id(other) not in self._overlaps:
            self._overlaps[id(other)] = windows_can_overlap(self._conf, other, self._rule)
        return self._overlaps[id(other)]


def _check_within(pins: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for field, pin in pins:
        if pin in seen:
            raise ValidationError(
                field, HIDDEN, f"same PIN as {seen[pin]}: each PIN of a conference must differ"
            )
        seen[pin] = field


def assign_pins(
    conf: Conference, policy: PinPolicy, others: Iterable[Conference], rule: OverlapRule
) -> Conference:
    """A copy of `conf` whose empty guest, moderator and personal PINs are filled.

    PINs already set are kept as they are; they must differ from each other and from the
    PINs of every conference of `others` whose windows can overlap (else ValidationError,
    PinClash). New PINs avoid those too. Pass every conference that is not cancelled
    (`conf`'s own stored copy among them does no harm).
    """
    rivals = _others(conf, others)
    check_unique(conf, rivals, rule)
    taken = _TakenPins(conf, rivals, rule)

    def fill(pin: str, length: int) -> str:
        if pin:
            return pin
        new = generate_pin(length, taken)
        taken.add(new)
        return new

    guest_pin = fill(conf.guest_pin, policy.guest_length)
    moderator_pin = fill(conf.moderator_pin, policy.moderator_length)
    participants = [
        p if p.pin else dataclasses.replace(p, pin=fill("", policy.personal_length_for(p.role)))
        for p in conf.participants
    ]
    return dataclasses.replace(
        conf, guest_pin=guest_pin, moderator_pin=moderator_pin, participants=participants
    )
