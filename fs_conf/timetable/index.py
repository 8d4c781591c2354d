"""The occurrences of many conferences at once, for the scheduler: what is due in a window,
one timeline in order of start, with each conference's rule parsed once."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from fs_conf.model import Conference, Occurrence
from fs_conf.timetable.conference_schedule import ConferenceSchedule, Walls
from fs_conf.timetable.wall_time import shift, utc


@dataclass(frozen=True, slots=True)
class Due:
    """One occurrence of one conference, as the scheduler gets it."""

    conference: Conference
    occurrence: Occurrence


class OccurrenceIndex:
    """Occurrences of many conferences, for the scheduler.

    Each conference's rule is parsed once, when it is added; one-off conferences are kept in
    a list sorted by start and found by bisection. A conference is known by its `id` (or,
    without one, by the object itself); `add` it again after it changed, `remove` it when it
    is gone.
    """

    def __init__(self, conferences: Iterable[Conference] = ()) -> None:
        self._schedules: dict[object, ConferenceSchedule] = {}
        self._single_times: list[datetime] = []
        self._singles: list[ConferenceSchedule] = []
        self._single_span = timedelta(0)
        self._series: list[ConferenceSchedule] = []
        self._stale = True
        for conference in conferences:
            self.add(conference)
        self._refresh()

    def __len__(self) -> int:
        return len(self._schedules)

    def add(self, conference: Conference) -> None:
        self._schedules[_key(conference)] = ConferenceSchedule(conference)
        self._stale = True

    def remove(self, conference: Conference) -> None:
        self._schedules.pop(_key(conference), None)
        self._stale = True

    def due_between(self, start: datetime, end: datetime) -> list[Due]:
        """Occurrences beginning in [start, end), in order of their start."""
        return self._timeline(utc(start, "start"), utc(end, "end"), overlapping=False)

    def overlapping(self, start: datetime, end: datetime) -> list[Due]:
        """Occurrences overlapping [start, end) (running at `start` or beginning before
        `end`), in order of their start."""
        return self._timeline(utc(start, "start"), utc(end, "end"), overlapping=True)

    def expand(self, start: datetime, end: datetime) -> list[tuple[Conference, list[Occurrence]]]:
        """Occurrences overlapping [start, end), conference by conference (each in order),
        for conferences that have any: cheaper than one sorted timeline for long spans."""
        low, high = utc(start, "start"), utc(end, "end")
        expanded = []
        for schedule, starts in self._starts(low, high, overlapping=True):
            found: list[Occurrence] = []
            schedule.collect(starts, low, found)
            if found:
                expanded.append((schedule.conference, found))
        return expanded

    def _timeline(self, low: datetime, high: datetime, overlapping: bool) -> list[Due]:
        keys: list[datetime] = []
        dues: list[Due] = []
        for schedule, starts in self._starts(low, high, overlapping):
            found: list[Occurrence] = []
            schedule.collect(starts, low if overlapping else None, found, keys)
            conference = schedule.conference
            dues.extend([Due(conference, occurrence) for occurrence in found])
        # sorting positions by UTC start keeps the sort free of per-item tuples
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return [dues[position] for position in order]

    def _starts(
        self, low: datetime, high: datetime, overlapping: bool
    ) -> Iterator[tuple[ConferenceSchedule, list[datetime]]]:
        """Each schedule with starts in the question (widened by its span when `overlapping`)."""
        self._refresh()
        widened = shift(low, -self._single_span) if overlapping else low
        first = bisect.bisect_left(self._single_times, widened)
        last = bisect.bisect_left(self._single_times, high)
        for schedule in self._singles[first:last]:
            yield schedule, [schedule.first]
        walls: Walls = {}
        for schedule in self._series:
            since = shift(low, -schedule.span) if overlapping else low
            starts = schedule.utc_starts(since, high, walls)
            if starts:
                yield schedule, starts

    def _refresh(self) -> None:
        if not self._stale:
            return
        singles = sorted(
            (
                schedule
                for schedule in self._schedules.values()
                if not schedule.is_recurring
                and not schedule.cancelled
                and schedule.first not in schedule.skipped
            ),
            key=attrgetter("first"),
        )
        self._single_times = [schedule.first for schedule in singles]
        self._singles = singles
        self._single_span = max((schedule.span for schedule in singles), default=timedelta(0))
        self._series = [s for s in self._schedules.values() if s.is_recurring and not s.cancelled]
        self._stale = False


def _key(conference: Conference) -> object:
    return conference.id if conference.id is not None else ("object", id(conference))


def due_between(confs: Iterable[Conference], start: datetime, end: datetime) -> list[Due]:
    """Occurrences of `confs` beginning in [start, end), in order. For repeated questions keep
    an `OccurrenceIndex` instead: it parses each rule once."""
    return OccurrenceIndex(confs).due_between(start, end)
