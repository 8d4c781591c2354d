"""One conference's occurrences: its rule expanded in its time zone, with EXDATEs, extensions
and the sittings cancelled or moved on their own applied.

`ConferenceSchedule` parses the rule once; the functions below answer one question each.
The rules it follows (DTSTART, COUNT, UNTIL, DST gaps, overrides) are in docs/timetable.md.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta, tzinfo
from typing import TypeAlias
from zoneinfo import ZoneInfo

from fs_conf.errors import ValidationError
from fs_conf.model import (
    Conference,
    ConferenceStatus,
    Occurrence,
    OccurrenceOverride,
    OverrideStatus,
)
from fs_conf.timetable.expansion import CompiledRule, compile_rule, until_instant
from fs_conf.timetable.rules import parse_rrule, validate_timezone
from fs_conf.timetable.wall_time import (
    EPOCH,
    EPOCH_UTC,
    in_zone,
    instant,
    localize,
    shift,
    utc,
    utc_offset,
    wall,
)

# A naive wall time and its instant differ by the UTC offset, and the offset can change by a
# gap inside a window: searching a day wider on both sides covers every zone's transitions.
_SLACK = timedelta(days=1)
# Questions about less than this are answered from this much expansion, kept.
_KEEP = timedelta(days=1)
_ZERO = timedelta(0)
# Searching for the next occurrence stops after a full Gregorian cycle.
_SEARCH_LIMIT = timedelta(days=146097)

Walls: TypeAlias = dict[tuple[tzinfo, datetime, datetime], tuple[datetime, datetime]]
"""Wall-time search bounds per (zone, low, high), shared by the series of one question."""


class ConferenceSchedule:
    """One conference's occurrences, with its rule parsed once.

    A snapshot: after the conference changes, make a new one. Query bounds must be aware
    datetimes; returned occurrences are in the conference's zone. Short questions (up to a
    day) are answered from a day of starts kept from the previous question, which is what
    makes the scheduler's minute-by-minute questions cheap.
    """

    def __init__(self, conference: Conference) -> None:
        zone = ZoneInfo(validate_timezone(conference.timezone, "timezone"))
        self.conference = conference
        self.zone = zone
        self._zone_epoch = EPOCH.replace(tzinfo=zone)
        self.cancelled = conference.status is ConferenceStatus.CANCELLED
        self.lead = conference.lead
        self._duration = conference.duration
        overrides = conference.overrides if conference.rrule else []
        self._cancelled_starts = sorted(
            instant(o.original_start, zone)
            for o in overrides
            if o.status is OverrideStatus.CANCELLED
        )
        self._moved = _moved_sittings(overrides, zone)
        """New UTC start -> (duration, original UTC start) of each moved sitting."""
        self._moved_starts = sorted(self._moved)
        self.skipped = frozenset(
            [
                *(instant(moment, zone) for moment in conference.exdates),
                *(instant(o.original_start, zone) for o in overrides),
            ]
        )
        """Rule starts left out: EXDATEs, and the original places of cancelled and moved
        sittings."""
        self._extensions = {
            instant(key, zone): value for key, value in conference.extensions.items()
        }
        longest = max((value for value in self._extensions.values()), default=timedelta(0))
        lengths = [conference.duration, *(length for length, _ in self._moved.values())]
        self.span = max(lengths) + max(longest, timedelta(0))
        """The longest any occurrence lasts (duration plus the largest extension)."""
        self._rule: CompiledRule | None = None
        self._until: datetime | None = None
        self._dtstart: datetime | None = None
        self._kept: tuple[datetime, datetime, list[datetime]] | None = None
        self._last_start: list[datetime | None] = []
        if conference.rrule is None:
            self.first = instant(conference.start, zone)
        else:
            parts = parse_rrule(conference.rrule, "rrule")
            self._dtstart = wall(conference.start, zone).replace(microsecond=0)
            self._rule = compile_rule(parts, self._dtstart)
            self._until = until_instant(parts.get("UNTIL"), zone)
            self.first = localize(self._dtstart, zone)
        self._earliest = min([self.first, *self._moved_starts[:1]])
        """No occurrence starts before this instant (a sitting may be moved before DTSTART)."""

    @property
    def is_recurring(self) -> bool:
        return self._rule is not None

    def check_repeats(self, field: str, typed: object) -> None:
        """Refuse a series that does not repeat from its start: UNTIL before the start, or a
        rule that never comes round again (every other month from December, BYMONTH=1);
        `field` and `typed` are what errors name."""
        rule = self._rule
        if rule is None:
            return
        first = in_zone(self.first, self.zone, self._zone_epoch).strftime("%Y-%m-%d %H:%M %Z")
        if self._until is not None and self._until < self.first:
            raise ValidationError(field, typed, f"UNTIL lies before the start ({first})")
        if rule.after_start() is None:
            raise ValidationError(
                field,
                typed,
                f"never repeats from this start ({first}): INTERVAL and the BY... parts"
                " meet no later date",
            )

    def occurrence(self, start: datetime) -> Occurrence:
        """The occurrence beginning at instant `start` (with its extension, if any)."""
        start = utc(start, "start")
        moved = self._moved.get(start)
        original = None if moved is None else in_zone(moved[1], self.zone, self._zone_epoch)
        return Occurrence(
            in_zone(start, self.zone, self._zone_epoch),
            in_zone(self._end(start), self.zone, self._zone_epoch),
            original,
        )

    def _end(self, start: datetime) -> datetime:
        moved = self._moved.get(start) if self._moved else None
        end = start + (self._duration if moved is None else moved[0])
        if self._extensions:
            return end + self._extensions.get(start, _ZERO)
        return end

    def sitting(self, original_start: datetime) -> Occurrence:
        """The sitting the series puts at `original_start`, as it takes place: a moved one at
        its new time (with `original_start` set), a cancelled one as it would have been."""
        original = utc(original_start, "original_start")
        for start, (_, moved_from) in self._moved.items():
            if moved_from == original:
                return self.occurrence(start)
        if original in self._cancelled_starts:
            return Occurrence(
                in_zone(original, self.zone, self._zone_epoch),
                in_zone(original + self._duration, self.zone, self._zone_epoch),
            )
        return self.occurrence(original)

    def moved_sittings(self) -> list[Occurrence]:
        """The sittings moved on their own, in order of their original start."""
        moved = sorted(self._moved.items(), key=lambda item: item[1][1])
        return [self.occurrence(start) for start, _ in moved]

    def cancelled_starts(self) -> list[datetime]:
        """The original starts of the sittings cancelled on their own, in order."""
        return [in_zone(start, self.zone, self._zone_epoch) for start in self._cancelled_starts]

    def cancelled_sitting(self, now: datetime, grace: timedelta) -> Occurrence | None:
        """The sitting cancelled on its own whose join window holds `now`, if any."""
        moment = utc(now, "now")
        for start in self._cancelled_starts:
            if start - self.lead <= moment < start + self._duration + grace:
                return self.sitting(start)
        return None

    def starts(self, start: datetime, end: datetime) -> list[datetime]:
        """UTC instants at which occurrences begin, for those beginning in [start, end)."""
        return self.utc_starts(utc(start, "start"), utc(end, "end"))

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Every occurrence overlapping [start, end), including one still running at `start`."""
        low, high = utc(start, "start"), utc(end, "end")
        found: list[Occurrence] = []
        self.collect(self.utc_starts(shift(low, -self.span), high), low, found)
        return found

    def collect(
        self,
        starts: list[datetime],
        after: datetime | None,
        found: list[Occurrence],
        keys: list[datetime] | None = None,
    ) -> None:
        """Append the occurrences beginning at `starts` to `found` (and their UTC starts to
        `keys`), leaving out those that ended by `after`."""
        to_local, epoch = self.zone.fromutc, self._zone_epoch  # in_zone, inlined
        duration, extensions, moved = self._duration, self._extensions, self._moved
        for start in starts:
            if moved and start in moved:
                self._collect_moved(start, after, found, keys)
                continue
            end = start + duration
            if extensions:
                end += extensions.get(start, _ZERO)
            if after is None or end > after:
                found.append(
                    Occurrence(
                        to_local(epoch + (start - EPOCH_UTC)), to_local(epoch + (end - EPOCH_UTC))
                    )
                )
                if keys is not None:
                    keys.append(start)

    def _collect_moved(
        self,
        start: datetime,
        after: datetime | None,
        found: list[Occurrence],
        keys: list[datetime] | None,
    ) -> None:
        """`collect` for one moved sitting (kept out of its loop, which is hot)."""
        occurrence = self.occurrence(start)
        if after is None or occurrence.end > after:
            found.append(occurrence)
            if keys is not None:
                keys.append(start)

    def next_start(self, after: datetime, inclusive: bool = False) -> datetime | None:
        """The first start after `after` (or at it, when `inclusive`), as a UTC instant."""
        moment = utc(after, "after")
        limit = shift(moment, _SEARCH_LIMIT)
        low, step = moment, timedelta(days=1)
        bound = self.last_start
        while low < limit and (bound is None or low <= bound):
            high = min(shift(low, step), limit)
            for start in self.utc_starts(low, high):
                if start > moment or (inclusive and start == moment):
                    return start
            low, step = high, step * 2
        return None

    def previous_start(self, before: datetime) -> datetime | None:
        """The last start before `before`, as a UTC instant (None: none starts earlier)."""
        moment = utc(before, "before")
        step = timedelta(days=1)
        while True:
            low = shift(moment, -step)
            starts = self.utc_starts(low, moment)
            if starts:
                return starts[-1]
            if low <= self._earliest or step > _SEARCH_LIMIT:
                return None
            step *= 2

    def utc_starts(
        self, low: datetime, high: datetime, walls: Walls | None = None
    ) -> list[datetime]:
        """`starts` for bounds already in UTC (unchecked); `walls` is shared by the series
        of one question."""
        kept = self._kept
        if kept is not None and kept[0] <= low and high <= kept[1]:
            starts = kept[2]
            return starts[bisect.bisect_left(starts, low) : bisect.bisect_left(starts, high)]
        if high - low >= _KEEP or self._rule is None:
            return self._compute(low, high, walls)
        kept_high = shift(low, _KEEP)
        starts = self._compute(low, kept_high, walls)
        self._kept = (low, kept_high, starts)
        return starts[: bisect.bisect_left(starts, high)]

    def _compute(self, low: datetime, high: datetime, walls: Walls | None = None) -> list[datetime]:
        if self.cancelled or high <= self._earliest or low >= high:
            return []
        if self._rule is None:
            first = self.first
            return [first] if low <= first < high and first not in self.skipped else []
        bound = self.last_start
        if bound is not None and low > bound:
            return []
        found = self._rule_starts(low, high, walls)
        if self._moved_starts:
            moved = self._moved_starts
            between = moved[bisect.bisect_left(moved, low) : bisect.bisect_left(moved, high)]
            found = sorted([*found, *between])
        return found

    def _rule_starts(self, low: datetime, high: datetime, walls: Walls | None) -> list[datetime]:
        """The rule's starts in [low, high) that take place where the rule puts them."""
        rule = self._rule
        assert rule is not None
        zone, until, exdates = self.zone, self._until, self.skipped
        bounds = None if walls is None else walls.get((zone, low, high))
        if bounds is None:
            slack = self._slack(low, high)
            bounds = (shift(wall(low, zone), -slack), shift(wall(high, zone), slack))
            if walls is not None:
                walls[(zone, low, high)] = bounds
        candidates = rule.between(*bounds)
        assert self._dtstart is not None
        if not rule.synchronised and low <= self.first < high:
            candidates.insert(0, self._dtstart)
        found: list[datetime] = []
        in_order = True
        offset = utc_offset(zone)
        for naive in candidates:
            moment = EPOCH_UTC + (naive - offset(naive) - EPOCH)  # localize, inlined
            if not low <= moment < high or (until is not None and moment > until):
                continue
            if not (exdates and moment in exdates):
                if found and moment <= found[-1]:
                    in_order = False
                found.append(moment)
        # a time moved forward out of a spring gap can land on or after the next one
        return found if in_order else sorted(set(found))

    def _slack(self, low: datetime, high: datetime) -> timedelta:
        """How much wider than [low, high) to search on wall time: nothing for a short window
        with the same UTC offset a day before and a day after it (no transition near it)."""
        if high - low > _KEEP:
            return _SLACK
        try:
            before = shift(low, -_SLACK).astimezone(self.zone).utcoffset()
            after = shift(high, _SLACK).astimezone(self.zone).utcoffset()
        except OverflowError:
            return _SLACK
        return _ZERO if before == after else _SLACK

    @property
    def last_start(self) -> datetime | None:
        """No occurrence starts after this instant (None: the series does not end)."""
        if not self._last_start:
            self._last_start.append(self._find_last_start())
        return self._last_start[0]

    def _find_last_start(self) -> datetime | None:
        if self._rule is None:
            return self.first
        bounds = [self._until] if self._until is not None else []
        last = self._rule.last()
        if last is not None:
            bounds.append(localize(last, self.zone) + _SLACK)
        elif self._rule.count is not None:
            bounds.append(self.first)
        if not bounds:
            return None
        # a sitting may be moved past the series' last one
        return max([min(bounds), self.first, *self._moved_starts[-1:]])


def _moved_sittings(
    overrides: list[OccurrenceOverride], zone: ZoneInfo
) -> dict[datetime, tuple[timedelta, datetime]]:
    """New UTC start -> (duration, original UTC start) of each moved sitting in `overrides`."""
    moved = {}
    for override in overrides:
        if (
            override.status is OverrideStatus.MOVED
            and override.start is not None
            and override.duration is not None
        ):
            original = instant(override.original_start, zone)
            moved[instant(override.start, zone)] = (override.duration, original)
    return moved


def validate_series(conf: Conference, field: str, typed: object) -> None:
    """Refuse a series whose rule does not repeat from its start (see
    `ConferenceSchedule.check_repeats`); a one-off passes. `field` and `typed` are the input
    errors name."""
    if conf.rrule is None:
        return
    try:
        schedule = ConferenceSchedule(conf)
    except ValueError as exc:  # dateutil: "Invalid rrule byxxx generates an empty set."
        raise ValidationError(
            field,
            typed,
            f"never occurs from this start ({conf.start:%H:%M}): every INTERVAL hours from"
            " there never reaches a BYHOUR hour",
        ) from exc
    schedule.check_repeats(field, typed)


def occurrences(conf: Conference, start: datetime, end: datetime) -> list[Occurrence]:
    """Every occurrence of `conf` overlapping [start, end); none for a cancelled conference."""
    return ConferenceSchedule(conf).occurrences(start, end)


def sitting(conf: Conference, original_start: datetime) -> Occurrence:
    """The sitting of series `conf` that the rule puts at `original_start`, as it takes place
    (see `ConferenceSchedule.sitting`)."""
    return ConferenceSchedule(conf).sitting(original_start)


def moved_sittings(conf: Conference) -> list[Occurrence]:
    """The sittings of series `conf` moved on their own, in order of their original start,
    each with `original_start` set (iCalendar: one VEVENT with RECURRENCE-ID each)."""
    return ConferenceSchedule(conf).moved_sittings()


def cancelled_sittings(conf: Conference) -> list[datetime]:
    """The original starts of the sittings of series `conf` cancelled on their own, in order
    (iCalendar: EXDATEs of the series)."""
    return ConferenceSchedule(conf).cancelled_starts()


def next_occurrence(conf: Conference, now: datetime) -> Occurrence | None:
    """The occurrence running at `now`, else the next one to start, else None."""
    schedule = ConferenceSchedule(conf)
    running = schedule.occurrences(now, shift(utc(now, "now"), timedelta(microseconds=1)))
    if running:
        return running[0]
    start = schedule.next_start(now)
    return None if start is None else schedule.occurrence(start)
