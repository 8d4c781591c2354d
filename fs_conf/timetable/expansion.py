"""A recurrence rule expanded on naive wall time, fast enough for thousands of series.

`compile_rule` picks the engine: a rule without calendar parts repeats every fixed period, so
one period computed once gives every occurrence by arithmetic (`PeriodicRule`); any other rule
is expanded by dateutil a month at a time (`CalendarRule`). Neither counts DTSTART itself,
applies UNTIL or leaves out EXDATEs: `ConferenceSchedule` does.
"""

from __future__ import annotations

import bisect
import math
from datetime import UTC, datetime, time, timedelta
from typing import TypeAlias, TypedDict
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule as DateutilRule

from fs_conf.timetable.rules import WEEKDAYS, dateutil_rule, until_value
from fs_conf.timetable.wall_time import localize, shift

# A rule without these parts repeats exactly every `_period` of naive wall time, so one
# period of it, computed once, gives every occurrence by arithmetic.
_CALENDAR_PARTS = frozenset({"BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"})
_UNIT_HOURS = {"HOURLY": 1, "DAILY": 24, "WEEKLY": 168}
_WEEK_HOURS = 168
# Calendar rules are expanded a month at a time and kept, so the scheduler's minute-by-minute
# questions are answered from that list.
_CHUNK = timedelta(days=32)


class PeriodicRule:
    """A DAILY/WEEKLY/HOURLY rule without calendar parts: one period of it is computed once,
    every other occurrence is that pattern moved by whole periods."""

    def __init__(self, parts: dict[str, str], dtstart: datetime) -> None:
        interval_hours = int(parts.get("INTERVAL", "1")) * _UNIT_HOURS[parts["FREQ"]]
        self._period = timedelta(hours=math.lcm(interval_hours, _WEEK_HOURS))
        self._dtstart = dtstart
        # The pattern is the same in every period; taking it from a period near the year 9999
        # keeps dateutil's search short even for a rule whose pattern is empty.
        probe = dtstart
        target = datetime(9999, 1, 1) - 2 * self._period
        if target > dtstart:
            probe = dtstart + ((target - dtstart) // self._period) * self._period
        rule = dateutil_rule(parts, probe)
        end = shift(probe, self._period)
        offsets = []
        for moment in rule.xafter(probe, inc=True):
            if moment >= end:
                break
            offsets.append(moment - probe)
        self._offsets = offsets
        self.synchronised = bool(offsets) and offsets[0] == timedelta(0)
        count = parts.get("COUNT")
        self.count = None if count is None else int(count) - (0 if self.synchronised else 1)
        """How many occurrences the rule itself gives (DTSTART aside); None: no COUNT."""

    def between(self, low: datetime, high: datetime) -> list[datetime]:
        """Rule occurrences (naive) in [low, high), in order."""
        offsets = self._offsets
        if not offsets or high <= self._dtstart:
            return []
        period, count, size = self._period, self.count, len(offsets)
        first_period = max(0, (low - self._dtstart) // period)
        index = first_period * size
        base = self._dtstart + first_period * period
        found: list[datetime] = []
        while True:
            for offset in offsets:
                if count is not None and index >= count:
                    return found
                index += 1
                moment = base + offset
                if moment >= high:
                    return found
                if moment >= low:
                    found.append(moment)
            base += period

    def after_start(self) -> datetime | None:
        """The rule's first occurrence after DTSTART, COUNT and UNTIL aside (None: none
        ever comes)."""
        offsets = self._offsets
        if not offsets:
            return None
        later = next((offset for offset in offsets if offset > timedelta(0)), None)
        return self._dtstart + (later if later is not None else self._period + offsets[0])

    def last(self) -> datetime | None:
        """The last rule occurrence of a COUNT rule (None: unbounded or empty)."""
        if self.count is None or self.count <= 0 or not self._offsets:
            return None
        index = self.count - 1
        size = len(self._offsets)
        return self._dtstart + (index // size) * self._period + self._offsets[index % size]


class CalendarRule:
    """Any other rule, expanded by dateutil.

    Without COUNT the expansion starts at the beginning of the rule's period (on its own
    grid of periods) that contains the question, with the defaults dateutil would take from
    DTSTART written out, so old series do not replay their history on every question.
    Expansions are kept a month at a time.
    """

    def __init__(self, parts: dict[str, str], dtstart: datetime) -> None:
        self._freq = parts["FREQ"]
        self._interval = int(parts.get("INTERVAL", "1"))
        self._week_start = WEEKDAYS.index(parts.get("WKST", "MO"))
        self._dtstart = dtstart
        plain = dateutil_rule(parts, dtstart)
        self._plain = plain
        self.synchronised = plain.between(dtstart, dtstart, inc=True) == [dtstart]
        count = parts.get("COUNT")
        self.count = None if count is None else int(count) - (0 if self.synchronised else 1)
        if self.count is None:
            self._rule: DateutilRule | None = plain
        elif self.count > 0:
            self._rule = plain.replace(count=self.count)
        else:
            self._rule = None
        self._explicit = _explicit_defaults(parts, dtstart)
        self._anchored: tuple[datetime, DateutilRule] | None = None
        self._chunk: tuple[datetime, datetime, list[datetime]] | None = None
        self._last: list[datetime | None] = []

    def between(self, low: datetime, high: datetime) -> list[datetime]:
        """Rule occurrences (naive) in [low, high), in order."""
        if self._rule is None or high <= self._dtstart:
            return []
        chunk = self._chunk
        if chunk is None or low < chunk[0] or high > chunk[1]:
            chunk = self._expand(low, max(high, shift(low, _CHUNK)))
            self._chunk = chunk
        moments = chunk[2]
        return moments[bisect.bisect_left(moments, low) : bisect.bisect_left(moments, high)]

    def _expand(self, low: datetime, high: datetime) -> tuple[datetime, datetime, list[datetime]]:
        moments = []
        for moment in self._rule_from(low).xafter(low, inc=True):
            if moment >= high:
                break
            moments.append(moment)
        return low, high, moments

    def _rule_from(self, low: datetime) -> DateutilRule:
        assert self._rule is not None
        if self.count is not None:
            return self._rule
        anchor = self._anchor(low)
        if anchor is None:
            return self._rule
        if self._anchored is None or self._anchored[0] != anchor:
            self._anchored = (anchor, self._rule.replace(dtstart=anchor, **self._explicit))
        return self._anchored[1]

    def _anchor(self, low: datetime) -> datetime | None:
        """Where the rule's period containing `low` begins, if that is after DTSTART."""
        start, interval = self._dtstart, self._interval
        if self._freq == "YEARLY":
            anchor = datetime(start.year + (low.year - start.year) // interval * interval, 1, 1)
        elif self._freq == "MONTHLY":
            first = start.year * 12 + start.month - 1
            index = first + ((low.year * 12 + low.month - 1) - first) // interval * interval
            anchor = datetime(index // 12, index % 12 + 1, 1)
        elif self._freq == "WEEKLY":
            week = start.date() - timedelta(days=(start.weekday() - self._week_start) % 7)
            weeks = (low.date() - week).days // 7 // interval * interval
            anchor = datetime.combine(week + timedelta(weeks=weeks), time())
        elif self._freq == "DAILY":
            days = (low.date() - start.date()).days // interval * interval
            anchor = datetime.combine(start.date() + timedelta(days=days), time())
        else:
            step = timedelta(hours=interval)
            anchor = (start + (low - start) // step * step).replace(minute=0, second=0)
        return anchor if anchor > start else None

    def after_start(self) -> datetime | None:
        """The rule's first occurrence after DTSTART, COUNT and UNTIL aside (None: none ever
        comes). A rule that never meets its start's phase (every other month from December,
        BYMONTH=1) is searched up to the year 9999, which takes dateutil a second or two."""
        found = self._plain.after(self._dtstart)
        return found if isinstance(found, datetime) else None

    def last(self) -> datetime | None:
        """The last rule occurrence of a COUNT rule (None: unbounded or empty); found by
        expanding the whole (finite) rule once, when first asked."""
        if self.count is None or self._rule is None:
            return None
        if not self._last:
            self._last.append(self._rule[-1])
        return self._last[0]


CompiledRule: TypeAlias = PeriodicRule | CalendarRule


class _Defaults(TypedDict, total=False):
    """`rrule` arguments for what the rule leaves to DTSTART."""

    bymonth: int
    bymonthday: int
    byweekday: int
    byhour: int
    byminute: int
    bysecond: int


def _explicit_defaults(parts: dict[str, str], dtstart: datetime) -> _Defaults:
    """The values dateutil (like RFC 5545) takes from DTSTART where the rule names none, as
    `rrule` arguments, so the rule means the same when started elsewhere."""
    explicit: _Defaults = {}
    freq = parts["FREQ"]
    if not any(key in parts for key in ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")):
        if freq == "YEARLY":
            if "BYMONTH" not in parts:
                explicit["bymonth"] = dtstart.month
            explicit["bymonthday"] = dtstart.day
        elif freq == "MONTHLY":
            explicit["bymonthday"] = dtstart.day
        elif freq == "WEEKLY":
            explicit["byweekday"] = dtstart.weekday()
    if "BYHOUR" not in parts and freq != "HOURLY":
        explicit["byhour"] = dtstart.hour
    if "BYMINUTE" not in parts:
        explicit["byminute"] = dtstart.minute
    if "BYSECOND" not in parts:
        explicit["bysecond"] = dtstart.second
    return explicit


def compile_rule(parts: dict[str, str], dtstart: datetime) -> CompiledRule:
    """The expansion of the rule `parts` (from `parse_rrule`) from naive `dtstart`."""
    if parts["FREQ"] in _UNIT_HOURS and not _CALENDAR_PARTS & parts.keys():
        return PeriodicRule(parts, dtstart)
    return CalendarRule(parts, dtstart)


def until_instant(value: str | None, zone: ZoneInfo) -> datetime | None:
    """The last instant an UNTIL value lets an occurrence start (None: no UNTIL): a floating
    time is local wall time, a date includes that whole local day."""
    if value is None:
        return None
    moment = until_value(value, value, "rrule")
    if value.endswith("Z"):
        return moment.replace(tzinfo=UTC)
    if "T" in value:
        return localize(moment, zone)
    # a date: the whole local day is included
    return localize(moment + timedelta(days=1), zone) - timedelta(microseconds=1)
