"""Who a caller is and whether they may join: dialed number + PIN -> admission or refusal.

Pure logic, no I/O. Every PIN of every candidate is compared in constant time, and a refusal
for a wrong PIN carries no conference, so callers with a wrong PIN learn nothing.
The rules: docs/ivr.md#who-a-caller-is
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fs_conf.model import Conference, ConferenceStatus, Occurrence, Participant, Role
from fs_conf.pins import pins_equal
from fs_conf.timetable import JoinKind, JoinState, join_state

EndedOccurrences = Collection[tuple[int, datetime]]
"""(conference id, occurrence start) of occurrences a moderator ended early (`*9`)."""


class Refusal(StrEnum):
    BAD_PIN = "bad_pin"
    TOO_EARLY = "too_early"
    ENDED = "ended"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Admission:
    """The caller may join `conference` now, with `role`; `participant` None is a guest."""

    conference: Conference
    role: Role
    participant: Participant | None
    occurrence: Occurrence


@dataclass(frozen=True)
class Refused:
    """The caller may not join. `conference` is set only when the PIN was right."""

    reason: Refusal
    conference: Conference | None = None
    opens_at: datetime | None = None


Resolution = Admission | Refused


@dataclass(frozen=True)
class _Match:
    conference: Conference
    role: Role
    participant: Participant | None


@dataclass(frozen=True)
class Window:
    """A conference's dial-in state at one moment, ended-early occurrences applied."""

    kind: Refusal | None
    state: JoinState

    @property
    def rank(self) -> tuple[int, float]:
        """Sort key: open first (earliest start), then too early (soonest opening), then
        ended, then cancelled."""
        if self.kind is None:
            assert self.state.occurrence is not None
            return (0, self.state.occurrence.start.timestamp())
        if self.kind is Refusal.TOO_EARLY:
            assert self.state.opens_at is not None
            return (1, self.state.opens_at.timestamp())
        return (2, 0.0) if self.kind is Refusal.ENDED else (3, 0.0)


def same_number(a: str, b: str) -> bool:
    """Conference numbers compare without a leading `+` (trunks deliver either form)."""
    return bool(a) and bool(b) and a.removeprefix("+") == b.removeprefix("+")


def reachable(number: str, conferences: Sequence[Conference]) -> list[Conference]:
    """The conferences whose internal or external number is `number`."""
    return [
        c
        for c in conferences
        if same_number(c.number, number) or same_number(c.external_number, number)
    ]


def resolve(
    number: str,
    pin: str,
    conferences: Sequence[Conference],
    now: datetime,
    grace: timedelta,
    *,
    conference_id: int | None = None,
    ended: EndedOccurrences = (),
) -> Resolution:
    """Decide about a caller who dialed `number` and typed `pin` (and `conference_id`,
    where the IVR asks for one) at `now`."""
    candidates = reachable(number, conferences)
    if conference_id is not None:
        candidates = [c for c in candidates if c.id == conference_id]
    found = [_match_pin(c, pin) for c in candidates]
    matches = [m for m in found if m is not None]
    if not matches:
        return Refused(Refusal.BAD_PIN)
    windows = {id(m): window(m.conference, now, grace, ended) for m in matches}
    best = min(matches, key=lambda m: windows[id(m)].rank)
    return _decide(best, windows[id(best)])


def resolve_by_caller_id(
    number: str,
    caller_id: str,
    conferences: Sequence[Conference],
    now: datetime,
    grace: timedelta,
    *,
    ended: EndedOccurrences = (),
) -> Admission | None:
    """A moderator recognised by caller ID alone (only where the admin turned that on).

    Admits only into a conference open now, and only when exactly one open conference on
    `number` lists the caller's number as a moderator's phone; otherwise the caller is
    asked for a PIN as usual.
    """
    wanted = phone_digits(caller_id)
    if not wanted:
        return None
    found: list[Admission] = []
    for conference in reachable(number, conferences):
        current = window(conference, now, grace, ended)
        if current.kind is not None or current.state.occurrence is None:
            continue
        for moderator in conference.moderators:
            if moderator.phone and phone_digits(moderator.phone) == wanted:
                found.append(
                    Admission(conference, Role.MODERATOR, moderator, current.state.occurrence)
                )
                break
    return found[0] if len(found) == 1 else None


def window(
    conference: Conference, now: datetime, grace: timedelta, ended: EndedOccurrences = ()
) -> Window:
    """The dial-in state of `conference` at `now`: None (open) or the refusal it means."""
    if conference.status is ConferenceStatus.CANCELLED:
        return Window(Refusal.CANCELLED, JoinState(JoinKind.ENDED))
    state = join_state(conference, now, grace)
    if state.kind is JoinKind.CANCELLED:  # this sitting alone was cancelled
        return Window(Refusal.CANCELLED, state)
    if state.kind is JoinKind.TOO_EARLY:
        return Window(Refusal.TOO_EARLY, state)
    if state.kind is JoinKind.ENDED:
        return Window(Refusal.ENDED, state)
    assert state.occurrence is not None
    if (conference.id, state.occurrence.start) in ended:
        return Window(Refusal.ENDED, state)
    return Window(None, state)


def phone_digits(number: str) -> str:
    """A phone number reduced to its digits, for comparing caller IDs with stored numbers."""
    return "".join(ch for ch in number if ch.isdigit())


def _decide(match: _Match, current: Window) -> Resolution:
    if current.kind is None:
        assert current.state.occurrence is not None
        return Admission(match.conference, match.role, match.participant, current.state.occurrence)
    return Refused(current.kind, match.conference, current.state.opens_at)


def _match_pin(conference: Conference, pin: str) -> _Match | None:
    """The role `pin` gives in `conference`; every PIN is compared, moderators' first."""
    found: _Match | None = None
    for candidate, role, participant in _pins(conference):
        # An empty stored PIN (a participant without one) must never match an empty entry.
        if pins_equal(candidate, pin) and candidate and found is None:
            found = _Match(conference, role, participant)
    return found


def _pins(conference: Conference) -> Iterator[tuple[str, Role, Participant | None]]:
    for moderator in conference.moderators:
        yield moderator.pin, Role.MODERATOR, moderator
    yield conference.moderator_pin, Role.MODERATOR, None
    for participant in conference.participants:
        if participant.role is Role.PARTICIPANT:
            yield participant.pin, Role.PARTICIPANT, participant
    yield conference.guest_pin, Role.PARTICIPANT, None
