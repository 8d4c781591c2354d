"""Changing one sitting of a series on its own: cancelling it, or moving it (new start and/or
duration), the way calendar clients keep exceptions of a recurring meeting.

Pure rules, no I/O; `fs_conf.conferences` applies them in a store transaction and
`ConferenceSchedule` honours the resulting `Conference.overrides`. What is refused, and why,
is in docs/timetable.md.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from fs_conf.errors import ValidationError
from fs_conf.model import Conference, Occurrence, OccurrenceOverride, OverrideStatus
from fs_conf.timetable.conference_schedule import (
    ConferenceSchedule,
    next_occurrence,
    occurrences,
    sitting,
)
from fs_conf.timetable.rules import PAST_SLACK

_NEAR = timedelta(seconds=1)
"""Half the width of the window searched for a sitting starting at a typed time."""


def find_sitting(conf: Conference, moment: datetime, field: str, typed: str) -> datetime:
    """The original start of the sitting of series `conf` named by `moment`: the time it takes
    place now (a moved one at its new time), or where the series puts it (its original start,
    which stays its name: iCalendar's RECURRENCE-ID). `field` and `typed` are what errors
    name."""
    if not conf.rrule:
        raise ValidationError(
            field,
            typed,
            "only a recurring conference has sittings to change one by one"
            " (change a one-off conference with --start and --duration)",
        )
    instant = moment.astimezone(UTC)
    for occurrence in occurrences(conf, instant - _NEAR, instant + _NEAR):
        if occurrence.start == instant:
            return occurrence.original_start or occurrence.start
    series = dataclasses.replace(conf, overrides=[])
    for occurrence in occurrences(series, instant - _NEAR, instant + _NEAR):
        if occurrence.start == instant:
            return occurrence.start
    upcoming = next_occurrence(conf, moment)
    hint = "" if upcoming is None else f" (the next one starts {_when(upcoming.start)})"
    raise ValidationError(field, typed, f"not the start of a sitting of this series{hint}")


def cancel_sitting(
    conf: Conference, original: datetime, now: datetime, field: str, typed: str
) -> Conference:
    """`conf` with the sitting at `original` cancelled (unchanged when it already is)."""
    existing = override_at(conf, original)
    if existing is not None and existing.status is OverrideStatus.CANCELLED:
        return conf
    _check_not_begun(conf, sitting(conf, original), now, field, typed)
    return _with_override(conf, OccurrenceOverride(original, OverrideStatus.CANCELLED))


@dataclasses.dataclass(frozen=True)
class Move:
    """Where a sitting goes: a new start and/or duration (None: as it is), with the flags'
    values as typed for errors."""

    start: datetime | None = None
    duration: timedelta | None = None
    start_typed: str = ""
    duration_typed: object = None


def move_sitting(
    conf: Conference, original: datetime, move: Move, now: datetime, typed: str
) -> Conference:
    """`conf` with the sitting at `original` moved as `move` says; `typed` is how the sitting
    was named (`--occurrence`)."""
    existing = override_at(conf, original)
    if existing is not None and existing.status is OverrideStatus.CANCELLED:
        raise ValidationError(
            "occurrence", typed, "this sitting is cancelled; a cancelled sitting stays cancelled"
        )
    current = sitting(conf, original)
    _check_not_begun(conf, current, now, "occurrence", typed)
    start = move.start if move.start is not None else current.start
    duration = move.duration
    if duration is None:
        kept = existing.duration if existing is not None else None
        duration = conf.duration if kept is None else kept
    field, value = (
        ("start", move.start_typed) if move.start is not None else ("duration", move.duration_typed)
    )
    if start < now - PAST_SLACK:
        raise ValidationError(field, value, "puts the sitting in the past")
    _check_neighbours(conf, original, start, start + duration, field, value)
    return _with_override(conf, OccurrenceOverride(original, OverrideStatus.MOVED, start, duration))


def override_at(conf: Conference, original: datetime) -> OccurrenceOverride | None:
    """The override of the sitting whose original start is `original`, if any."""
    instant = original.astimezone(UTC)
    return next((o for o in conf.overrides if o.original_start.astimezone(UTC) == instant), None)


def stamped(before: Conference, after: Conference) -> list[OccurrenceOverride]:
    """`after`'s overrides, those new or changed since `before` marked with `after`'s
    SEQUENCE (the scheduler announces the sittings changed since it last mailed)."""
    old = {_view(o): o for o in before.overrides}
    return [
        old.get(_view(o)) or dataclasses.replace(o, sequence=after.sequence)
        for o in after.overrides
    ]


def overrides_view(conf: Conference) -> tuple[object, ...]:
    """The overrides as mails and calendars show them (their SEQUENCE aside)."""
    return tuple(_view(o) for o in conf.overrides)


def _view(override: OccurrenceOverride) -> tuple[object, ...]:
    start = None if override.start is None else override.start.astimezone(UTC)
    return (override.original_start.astimezone(UTC), override.status, start, override.duration)


def _with_override(conf: Conference, override: OccurrenceOverride) -> Conference:
    instant = override.original_start.astimezone(UTC)
    others = [o for o in conf.overrides if o.original_start.astimezone(UTC) != instant]
    ordered = sorted([*others, override], key=lambda o: o.original_start.astimezone(UTC))
    return dataclasses.replace(conf, overrides=ordered)


def _check_not_begun(
    conf: Conference, sitting: Occurrence, now: datetime, field: str, typed: str
) -> None:
    """Callers may be in the room from the opening of the join window: changing the sitting
    then would leave them in a room nothing ends."""
    if now >= sitting.end:
        raise ValidationError(field, typed, "this sitting is over")
    opens = sitting.start - conf.lead
    if now >= opens:
        raise ValidationError(
            field,
            typed,
            f"this sitting can be joined already (since {_when(opens)});"
            " it can no longer be cancelled or moved",
        )


def _check_neighbours(
    conf: Conference, original: datetime, start: datetime, end: datetime, field: str, value: object
) -> None:
    """The sitting put at [start, end) stays between its neighbours in the series' order (the
    sittings before and after its original start, where they take place now) and overlaps
    no other sitting."""
    for neighbour, later in (
        (_neighbour(conf, original, False), False),
        (_neighbour(conf, original, True), True),
    ):
        if neighbour is None or (neighbour.start >= end if later else neighbour.end <= start):
            continue
        passed = start > neighbour.start if later else start < neighbour.start
        if passed:
            raise ValidationError(
                field,
                value,
                f"the sitting would pass the one of {_when(neighbour.start)}: a sitting moves no"
                " further than its neighbours (calendars such as Outlook keep a series in order)",
            )
        _refuse_overlap(neighbour, field, value)
    others = _with_override(conf, OccurrenceOverride(original, OverrideStatus.CANCELLED))
    for other in occurrences(others, start, end):
        _refuse_overlap(other, field, value)


def _refuse_overlap(other: Occurrence, field: str, value: object) -> None:
    raise ValidationError(
        field, value, f"the sitting would overlap the one of {_when(other.start)}"
    )


def _neighbour(conf: Conference, original: datetime, later: bool) -> Occurrence | None:
    """The sitting right before (or after) the one at `original` in the series' order, as it
    takes place now; cancelled sittings are skipped."""
    series = ConferenceSchedule(dataclasses.replace(conf, overrides=[]))
    cancelled = {
        o.original_start.astimezone(UTC)
        for o in conf.overrides
        if o.status is OverrideStatus.CANCELLED
    }
    found: datetime | None = original
    while found is not None:
        found = series.next_start(found) if later else series.previous_start(found)
        if found is not None and found not in cancelled:
            return sitting(conf, found)
    return None


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")
