"""When a conference happens and when callers may join it.

Recurrence follows RFC 5545. The RRULE (minus EXDATEs) is expanded on local wall time in the
conference's IANA time zone and only then placed on the time line, so a weekly 09:00
Europe/Berlin meeting stays at 09:00 local across DST changes. A local time that does not
exist (spring gap) is read with the UTC offset from before the gap, which moves it forward by
the gap (RFC 5545 §3.3.5: 02:30 becomes 03:30); an ambiguous one (autumn) is the first of the
two (fold=0). DTSTART always counts as the first occurrence and COUNT includes it (RFC 5545
§3.8.5.3), even where the rule itself would not produce it. UNTIL is inclusive; a date-only
UNTIL includes that whole local day, a floating one is local wall time.

An occurrence lasts `duration` plus the extension granted to it (`Conference.extensions`,
keyed by the occurrence's start). Its join window is [start - lead, end + grace): callers may
join from exactly `start - lead` and are turned away from exactly `end + grace`.

Single sittings of a series can be changed on their own (`Conference.overrides`, keyed by
the sitting's original start, its RECURRENCE-ID): a cancelled sitting is left out like an
EXDATE, a moved one takes place at its own start for its own duration (and join window),
with `Occurrence.original_start` naming where the series put it. Callers during a cancelled
sitting's window are told so (`JoinKind.CANCELLED`). A one-off conference has no overrides
(its start and duration are changed directly).

`ConferenceSchedule` parses one conference's rule once; `OccurrenceIndex` holds many of them
for the scheduler. Rules are expected to have passed `validate_rrule`, which also rejects
rules that never produce an occurrence. The validators for the other schedule inputs and
`describe_rrule` (the recurrence in words, for mails) live here too.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from operator import attrgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrule as DateutilRule
from dateutil.rrule import rrulestr

from fs_conf.errors import ValidationError
from fs_conf.model import (
    Conference,
    ConferenceStatus,
    Occurrence,
    OccurrenceOverride,
    OverrideStatus,
)

MAX_DURATION = timedelta(hours=24)
PAST_SLACK = timedelta(minutes=1)
"""How far in the past a start may be typed (a one-off's, a moved sitting's): typing the
current minute must work."""

_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WORKWEEK = ("MO", "TU", "WE", "TH", "FR")
_LIST_PARTS = {
    # part: (lowest, highest); 0 is never allowed except for BYHOUR/BYMINUTE/BYSECOND
    "BYMONTH": (1, 12),
    "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366),
    "BYWEEKNO": (-53, 53),
    "BYHOUR": (0, 23),
    "BYMINUTE": (0, 59),
    "BYSECOND": (0, 59),
    "BYSETPOS": (-366, 366),
}
_KNOWN_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST", *_LIST_PARTS)
_MAX_INTERVAL = 1000
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^\d{8}(T\d{6}Z?)?$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# A rule without these parts repeats exactly every `_period` of naive wall time, so one
# period of it, computed once, gives every occurrence by arithmetic.
_CALENDAR_PARTS = frozenset({"BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"})
_UNIT_HOURS = {"HOURLY": 1, "DAILY": 24, "WEEKLY": 168}
_WEEK_HOURS = 168

# A naive wall time and its instant differ by the UTC offset, and the offset can change by a
# gap inside a window: searching a day wider on both sides covers every zone's transitions.
_SLACK = timedelta(days=1)
# Questions about less than this are answered from this much expansion, kept.
_KEEP = timedelta(days=1)
_ZERO = timedelta(0)
# Calendar rules are expanded a month at a time and kept, so the scheduler's minute-by-minute
# questions are answered from that list.
_CHUNK = timedelta(days=32)
# Searching for the next occurrence stops after a full Gregorian cycle.
_SEARCH_LIMIT = timedelta(days=146097)
# validate_rrule looks for a first occurrence in this many years (times the interval).
_PROBE_YEARS = 30
_NOT_IANA = frozenset({"localtime", "posixrules", "Factory"})
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)


class JoinKind(StrEnum):
    TOO_EARLY = "too_early"
    OPEN = "open"
    ENDED = "ended"
    CANCELLED = "cancelled"
    """Now falls in the join window of a sitting cancelled on its own, and no other is open."""


@dataclass(frozen=True)
class JoinState:
    """Whether a caller may join now: `opens_at` is set when too early, `occurrence` is the one
    open now, or (when too early) the one that opens next. For a cancelled sitting,
    `occurrence` is that sitting as it would have been and `opens_at` when the next one
    opens (None: no other comes)."""

    kind: JoinKind
    opens_at: datetime | None = None
    occurrence: Occurrence | None = None


@dataclass(frozen=True, slots=True)
class Due:
    """One occurrence of one conference, as the scheduler gets it."""

    conference: Conference
    occurrence: Occurrence


# --- validators -------------------------------------------------------------------------


def validate_timezone(name: str, field: str = "--timezone") -> str:
    """Return `name` if it is an IANA time zone such as `Europe/Berlin`."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(field, name, "time zone is empty (use an IANA name such as Europe/Berlin)")
    if name in _NOT_IANA or name.startswith(("posix/", "right/")):
        raise ValidationError(field, name, "not an IANA time zone name (use e.g. Europe/Berlin)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationError(field, name, "unknown IANA time zone" + _zone_hint(name)) from exc
    return name


def _zone_hint(name: str) -> str:
    wanted = name.strip().casefold()
    for candidate in sorted(available_timezones()):
        if candidate.casefold() == wanted:
            return f"; did you mean {candidate}?"
    return " (use e.g. Europe/Berlin or America/New_York)"


def validate_duration(duration: timedelta, field: str = "--duration") -> timedelta:
    """Return `duration` if it is more than zero and at most 24 hours."""
    if not isinstance(duration, timedelta):
        raise ValidationError(field, duration, "must be a length of time in minutes")
    if duration <= timedelta(0):
        raise ValidationError(field, _minutes(duration), "must be more than 0 minutes")
    if duration > MAX_DURATION:
        raise ValidationError(field, _minutes(duration), "must be at most 1440 minutes (24 hours)")
    return duration


def validate_lead(lead: timedelta, field: str = "--dial-in-before") -> timedelta:
    """Return `lead` (how long before the start callers may join) if it is not negative."""
    if not isinstance(lead, timedelta):
        raise ValidationError(field, lead, "must be a length of time in minutes")
    if lead < timedelta(0):
        raise ValidationError(field, _minutes(lead), "must be 0 minutes or more")
    return lead


def _minutes(value: timedelta) -> int | float:
    minutes = value.total_seconds() / 60
    return int(minutes) if minutes.is_integer() else minutes


def validate_rrule(text: str, field: str = "--rrule") -> str:
    """Check an RFC 5545 RRULE value and return it normalised (upper case, FREQ first).

    A leading `RRULE:` is dropped. Rejected: DTSTART or any other property inside (the start
    comes from the conference), a missing FREQ, MINUTELY/SECONDLY, unknown or repeated parts,
    values out of range, combinations RFC 5545 forbids (COUNT with UNTIL, BYDAY ordinals
    outside MONTHLY/YEARLY, ...), and rules that never produce an occurrence.
    """
    parts = _parse_rrule(text, field)
    _probe(parts, text, field)
    return _join_parts(parts)


def _parse_rrule(text: str, field: str) -> dict[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, text, "recurrence rule is empty")
    body = text.strip()
    if "\n" in body or "\r" in body:
        raise ValidationError(field, text, "must be a single RRULE value, without DTSTART or other lines")
    if "DTSTART" in body.upper():
        raise ValidationError(field, text, "must not contain DTSTART: the start comes from the conference")
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:"):]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        key, sep, value = item.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not key or not value:
            raise ValidationError(field, text, f"{item.strip() or 'an empty part'!r} is not KEY=VALUE")
        if key not in _KNOWN_PARTS:
            raise ValidationError(field, text, f"unknown rule part {key} (known: {', '.join(_KNOWN_PARTS)})")
        if key in parts:
            raise ValidationError(field, text, f"{key} is given twice")
        parts[key] = value
    _check_parts(parts, text, field)
    freq = parts.pop("FREQ")
    return {"FREQ": freq, **parts}


def _check_parts(parts: dict[str, str], text: str, field: str) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise ValidationError(field, text, "FREQ is missing (e.g. FREQ=WEEKLY)")
    if freq in ("MINUTELY", "SECONDLY"):
        raise ValidationError(field, text, f"FREQ={freq} is not supported for conferences (HOURLY is the finest)")
    if freq not in _FREQS:
        raise ValidationError(field, text, f"FREQ must be one of {', '.join(_FREQS)}")
    for key in ("INTERVAL", "COUNT"):
        if key in parts:
            high = _MAX_INTERVAL if key == "INTERVAL" else None
            _number(parts[key], key, 1, high, text, field)
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationError(field, text, "COUNT and UNTIL must not both be given (RFC 5545)")
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"]):
        raise ValidationError(field, text, "UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")
    if "UNTIL" in parts:
        _until_value(parts["UNTIL"], text, field)
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise ValidationError(field, text, f"WKST must be one of {', '.join(_WEEKDAYS)}")
    for key, (low, high) in _LIST_PARTS.items():
        if key in parts:
            for value in parts[key].split(","):
                number = _number(value, key, low, high, text, field)
                if number == 0 and low < 0:
                    raise ValidationError(field, text, f"{key} must not be 0")
    if "BYDAY" in parts:
        _check_byday(parts, text, field)
    _check_combinations(parts, freq, text, field)


def _number(value: str, key: str, low: int, high: int | None, text: str, field: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise ValidationError(field, text, f"{key} {value!r} is not a whole number")
    number = int(value)
    if number < low or (high is not None and number > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(field, text, f"{key} is {number}, it must be {limits}")
    return number


def _until_value(value: str, text: str, field: str) -> datetime:
    try:
        if "T" not in value:
            return datetime.strptime(value, "%Y%m%d")
        return datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise ValidationError(field, text, f"UNTIL {value!r} is not a real date or time") from exc


def _check_byday(parts: dict[str, str], text: str, field: str) -> None:
    freq = parts["FREQ"]
    for value in parts["BYDAY"].split(","):
        match = _BYDAY.match(value)
        if not match:
            raise ValidationError(field, text, f"BYDAY entry {value!r} is not like MO, 2TU or -1FR")
        if match.group(1) is None:
            continue
        ordinal = int(match.group(1))
        if freq not in ("MONTHLY", "YEARLY"):
            raise ValidationError(field, text, f"BYDAY with a number ({value}) needs FREQ=MONTHLY or YEARLY")
        if "BYWEEKNO" in parts:
            raise ValidationError(field, text, f"BYDAY with a number ({value}) must not be combined with BYWEEKNO")
        limit = 5 if freq == "MONTHLY" and "BYMONTH" not in parts else 53
        if ordinal == 0 or abs(ordinal) > limit:
            raise ValidationError(field, text, f"BYDAY position in {value} must be 1 to {limit} or -1 to -{limit}")


def _check_combinations(parts: dict[str, str], freq: str, text: str, field: str) -> None:
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise ValidationError(field, text, "BYMONTHDAY must not be used with FREQ=WEEKLY (RFC 5545)")
    if "BYYEARDAY" in parts and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise ValidationError(field, text, f"BYYEARDAY must not be used with FREQ={freq} (RFC 5545)")
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise ValidationError(field, text, "BYWEEKNO needs FREQ=YEARLY (RFC 5545)")
    others = {key for key in parts if key.startswith("BY") and key != "BYSETPOS"}
    if "BYSETPOS" in parts and not others:
        raise ValidationError(field, text, "BYSETPOS needs another BY... part to pick from")
    if "BYMONTH" in parts and "BYMONTHDAY" in parts:
        months = [int(m) for m in parts["BYMONTH"].split(",")]
        days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
        if not any(abs(day) <= _DAYS_IN_MONTH[month - 1] for month in months for day in days):
            raise ValidationError(field, text, "never occurs: none of the BYMONTH months has that BYMONTHDAY")


def _join_parts(parts: dict[str, str]) -> str:
    return ";".join(f"{key}={value}" for key, value in parts.items())


def _dateutil_text(parts: dict[str, str], drop: tuple[str, ...] = ("UNTIL",)) -> str:
    """The rule as dateutil gets it: without the parts fs_conf applies itself, and with an
    explicit WKST, because dateutil's default comes from the process-wide `calendar` module."""
    kept = {key: value for key, value in parts.items() if key not in drop}
    kept.setdefault("WKST", "MO")
    return _join_parts(kept)


def _probe(parts: dict[str, str], text: str, field: str) -> None:
    """Reject rules that never produce an occurrence.

    dateutil searches such rules up to the year 9999, which takes seconds; starting the
    probe a few decades before that bounds the search.
    """
    interval = int(parts.get("INTERVAL", "1"))
    years = _PROBE_YEARS * (interval if parts["FREQ"] == "YEARLY" else max(1, math.ceil(interval / 12)))
    start = datetime(max(1, 9999 - min(years, 9000)), 1, 1, 0, 0)
    try:
        rule = rrulestr(_dateutil_text(parts, ("UNTIL", "COUNT")), dtstart=start)
        first = rule.after(start, inc=True)
    except (ValueError, TypeError) as exc:
        raise ValidationError(field, text, f"not a valid recurrence rule: {exc}") from exc
    if first is None:
        raise ValidationError(field, text, f"never occurs (no occurrence in {min(years, 9000)} years)")


# --- time zone helpers ------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(validate_timezone(name, "timezone"))


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time: fold=0 takes the first of two ambiguous times,
    and reads a time in a gap with the offset from before the gap (RFC 5545 §3.3.5).

    ZoneInfo reads a naive datetime as its own wall time; this arithmetic gives the same as
    `naive.replace(tzinfo=zone).astimezone(UTC)` several times faster, which counts when a
    year of thousands of series is expanded."""
    return _EPOCH_UTC + (naive - zone.utcoffset(naive) - _EPOCH)


def _in_zone(moment: datetime, zone: ZoneInfo, zone_epoch: datetime) -> datetime:
    """A UTC instant as local time in `zone` (`zone_epoch` is 1970-01-01 with tzinfo `zone`);
    the fast form of `moment.astimezone(zone)`."""
    return zone.fromutc(zone_epoch + (moment - _EPOCH_UTC))


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """Local wall time of `moment` in `zone`; a naive `moment` already is one."""
    if moment.tzinfo is None:
        return moment
    # aware minus aware of another zone is the true difference in time
    return _EPOCH + (moment - _EPOCH_UTC) + moment.astimezone(zone).utcoffset()


def _instant(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored time (aware, or naive meaning local time in the conference zone) in UTC."""
    if moment.tzinfo is None:
        return _localize(moment, zone)
    return moment.astimezone(UTC)


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _shift(moment: datetime, delta: timedelta) -> datetime:
    try:
        return moment + delta
    except OverflowError:
        if delta > timedelta(0):
            return datetime.max.replace(tzinfo=moment.tzinfo)
        return datetime.min.replace(tzinfo=moment.tzinfo)


# --- rule expansion on naive wall time --------------------------------------------------


class _PeriodicRule:
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
        rule = rrulestr(_dateutil_text(parts, ("UNTIL", "COUNT")), dtstart=probe)
        end = _shift(probe, self._period)
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
        found = []
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

    def last(self) -> datetime | None:
        """The last rule occurrence of a COUNT rule (None: unbounded or empty)."""
        if self.count is None or self.count <= 0 or not self._offsets:
            return None
        index = self.count - 1
        size = len(self._offsets)
        return self._dtstart + (index // size) * self._period + self._offsets[index % size]


class _CalendarRule:
    """Any other rule, expanded by dateutil.

    Without COUNT the expansion starts at the beginning of the rule's period (on its own
    grid of periods) that contains the question, with the defaults dateutil would take from
    DTSTART written out, so old series do not replay their history on every question.
    Expansions are kept a month at a time.
    """

    def __init__(self, parts: dict[str, str], dtstart: datetime) -> None:
        self._freq = parts["FREQ"]
        self._interval = int(parts.get("INTERVAL", "1"))
        self._week_start = _WEEKDAYS.index(parts.get("WKST", "MO"))
        self._dtstart = dtstart
        plain = rrulestr(_dateutil_text(parts, ("UNTIL", "COUNT")), dtstart=dtstart)
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
        if self._rule is None or high <= self._dtstart:
            return []
        chunk = self._chunk
        if chunk is None or low < chunk[0] or high > chunk[1]:
            chunk = self._expand(low, max(high, _shift(low, _CHUNK)))
            self._chunk = chunk
        moments = chunk[2]
        return moments[bisect.bisect_left(moments, low):bisect.bisect_left(moments, high)]

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

    def last(self) -> datetime | None:
        """The last rule occurrence of a COUNT rule (None: unbounded or empty); found by
        expanding the whole (finite) rule once, when first asked."""
        if self.count is None or self._rule is None:
            return None
        if not self._last:
            self._last.append(self._rule[-1])
        return self._last[0]


def _explicit_defaults(parts: dict[str, str], dtstart: datetime) -> dict[str, int]:
    """The values dateutil (like RFC 5545) takes from DTSTART where the rule names none, as
    `rrule` arguments, so the rule means the same when started elsewhere."""
    explicit = {}
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


def _compile_rule(parts: dict[str, str], dtstart: datetime) -> _PeriodicRule | _CalendarRule:
    if parts["FREQ"] in _UNIT_HOURS and not _CALENDAR_PARTS & parts.keys():
        return _PeriodicRule(parts, dtstart)
    return _CalendarRule(parts, dtstart)


def _until_instant(value: str | None, zone: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    moment = _until_value(value, value, "rrule")
    if value.endswith("Z"):
        return moment.replace(tzinfo=UTC)
    if "T" in value:
        return _localize(moment, zone)
    # a date: the whole local day is included
    return _localize(moment + timedelta(days=1), zone) - timedelta(microseconds=1)


# --- one conference ---------------------------------------------------------------------


_Walls = dict[tuple[tzinfo, datetime, datetime], tuple[datetime, datetime]]
"""Wall-time search bounds per (zone, low, high), shared by the series of one question."""


class ConferenceSchedule:
    """One conference's occurrences, with its rule parsed once.

    A snapshot: after the conference changes, make a new one. Query bounds must be aware
    datetimes; returned occurrences are in the conference's zone. Short questions (up to a
    day) are answered from a day of starts kept from the previous question, which is what
    makes the scheduler's minute-by-minute questions cheap.
    """

    def __init__(self, conference: Conference) -> None:
        zone = _zone(conference.timezone)
        self.conference = conference
        self.zone = zone
        self._zone_epoch = _EPOCH.replace(tzinfo=zone)
        self.cancelled = conference.status is ConferenceStatus.CANCELLED
        self.lead = conference.lead
        self._duration = conference.duration
        overrides = conference.overrides if conference.rrule else []
        self._cancelled_starts = sorted(
            _instant(o.original_start, zone) for o in overrides if o.status is OverrideStatus.CANCELLED
        )
        self._moved = _moved_sittings(overrides, zone)
        """New UTC start -> (duration, original UTC start) of each moved sitting."""
        self._moved_starts = sorted(self._moved)
        # Rule starts left out: EXDATEs, and the original places of cancelled and moved sittings.
        self._skipped = frozenset(
            [*(_instant(moment, zone) for moment in conference.exdates),
             *(_instant(o.original_start, zone) for o in overrides)]
        )
        self._extensions = {_instant(key, zone): value for key, value in conference.extensions.items()}
        longest = max((value for value in self._extensions.values()), default=timedelta(0))
        lengths = [conference.duration, *(length for length, _ in self._moved.values())]
        self.span = max(lengths) + max(longest, timedelta(0))
        """The longest any occurrence lasts (duration plus the largest extension)."""
        self._rule: _PeriodicRule | _CalendarRule | None = None
        self._until: datetime | None = None
        self._dtstart: datetime | None = None
        self._kept: tuple[datetime, datetime, list[datetime]] | None = None
        self._last_start: list[datetime | None] = []
        if conference.rrule is None:
            self.first = _instant(conference.start, zone)
        else:
            parts = _parse_rrule(conference.rrule, "rrule")
            self._dtstart = _wall(conference.start, zone).replace(microsecond=0)
            self._rule = _compile_rule(parts, self._dtstart)
            self._until = _until_instant(parts.get("UNTIL"), zone)
            self.first = _localize(self._dtstart, zone)
        self._earliest = min([self.first, *self._moved_starts[:1]])
        """No occurrence starts before this instant (a sitting may be moved before DTSTART)."""

    @property
    def is_recurring(self) -> bool:
        return self._rule is not None

    def occurrence(self, start: datetime) -> Occurrence:
        """The occurrence beginning at instant `start` (with its extension, if any)."""
        start = _utc(start, "start")
        moved = self._moved.get(start)
        original = None if moved is None else _in_zone(moved[1], self.zone, self._zone_epoch)
        return Occurrence(_in_zone(start, self.zone, self._zone_epoch),
                          _in_zone(self._end(start), self.zone, self._zone_epoch), original)

    def _end(self, start: datetime) -> datetime:
        moved = self._moved.get(start) if self._moved else None
        end = start + (self._duration if moved is None else moved[0])
        if self._extensions:
            return end + self._extensions.get(start, _ZERO)
        return end

    def sitting(self, original_start: datetime) -> Occurrence:
        """The sitting the series puts at `original_start`, as it takes place: a moved one at
        its new time (with `original_start` set), a cancelled one as it would have been."""
        original = _utc(original_start, "original_start")
        for start, (_, moved_from) in self._moved.items():
            if moved_from == original:
                return self.occurrence(start)
        if original in self._cancelled_starts:
            return Occurrence(_in_zone(original, self.zone, self._zone_epoch),
                              _in_zone(original + self._duration, self.zone, self._zone_epoch))
        return self.occurrence(original)

    def moved_sittings(self) -> list[Occurrence]:
        """The sittings moved on their own, in order of their original start."""
        moved = sorted(self._moved.items(), key=lambda item: item[1][1])
        return [self.occurrence(start) for start, _ in moved]

    def cancelled_starts(self) -> list[datetime]:
        """The original starts of the sittings cancelled on their own, in order."""
        return [_in_zone(start, self.zone, self._zone_epoch) for start in self._cancelled_starts]

    def cancelled_sitting(self, now: datetime, grace: timedelta) -> Occurrence | None:
        """The sitting cancelled on its own whose join window holds `now`, if any."""
        moment = _utc(now, "now")
        for start in self._cancelled_starts:
            if start - self.lead <= moment < start + self._duration + grace:
                return self.sitting(start)
        return None

    def starts(self, start: datetime, end: datetime) -> list[datetime]:
        """UTC instants at which occurrences begin, for those beginning in [start, end)."""
        return self._starts(_utc(start, "start"), _utc(end, "end"))

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        """Every occurrence overlapping [start, end), including one still running at `start`."""
        low, high = _utc(start, "start"), _utc(end, "end")
        found: list[Occurrence] = []
        self._occurrences(self._starts(_shift(low, -self.span), high), low, found)
        return found

    def _occurrences(self, starts: list[datetime], after: datetime | None, found: list[Occurrence],
                     keys: list[datetime] | None = None) -> None:
        """Append the occurrences beginning at `starts` to `found` (and their UTC starts to
        `keys`), leaving out those that ended by `after`."""
        to_local, epoch = self.zone.fromutc, self._zone_epoch  # _in_zone, inlined
        duration, extensions, moved = self._duration, self._extensions, self._moved
        for start in starts:
            if moved and start in moved:
                self._moved_occurrence(start, after, found, keys)
                continue
            end = start + duration
            if extensions:
                end += extensions.get(start, _ZERO)
            if after is None or end > after:
                found.append(Occurrence(to_local(epoch + (start - _EPOCH_UTC)),
                                        to_local(epoch + (end - _EPOCH_UTC))))
                if keys is not None:
                    keys.append(start)

    def _moved_occurrence(self, start: datetime, after: datetime | None, found: list[Occurrence],
                          keys: list[datetime] | None) -> None:
        """`_occurrences` for one moved sitting (kept out of its loop, which is hot)."""
        occurrence = self.occurrence(start)
        if after is None or occurrence.end > after:
            found.append(occurrence)
            if keys is not None:
                keys.append(start)

    def next_start(self, after: datetime, inclusive: bool = False) -> datetime | None:
        """The first start after `after` (or at it, when `inclusive`), as a UTC instant."""
        moment = _utc(after, "after")
        limit = _shift(moment, _SEARCH_LIMIT)
        low, step = moment, timedelta(days=1)
        bound = self.last_start
        while low < limit and (bound is None or low <= bound):
            high = min(_shift(low, step), limit)
            for start in self._starts(low, high):
                if start > moment or (inclusive and start == moment):
                    return start
            low, step = high, step * 2
        return None

    def previous_start(self, before: datetime) -> datetime | None:
        """The last start before `before`, as a UTC instant (None: none starts earlier)."""
        moment = _utc(before, "before")
        step = timedelta(days=1)
        while True:
            low = _shift(moment, -step)
            starts = self._starts(low, moment)
            if starts:
                return starts[-1]
            if low <= self._earliest or step > _SEARCH_LIMIT:
                return None
            step *= 2

    def _starts(self, low: datetime, high: datetime, walls: _Walls | None = None) -> list[datetime]:
        kept = self._kept
        if kept is not None and kept[0] <= low and high <= kept[1]:
            starts = kept[2]
            return starts[bisect.bisect_left(starts, low):bisect.bisect_left(starts, high)]
        if high - low >= _KEEP or self._rule is None:
            return self._compute(low, high, walls)
        kept_high = _shift(low, _KEEP)
        starts = self._compute(low, kept_high, walls)
        self._kept = (low, kept_high, starts)
        return starts[:bisect.bisect_left(starts, high)]

    def _compute(self, low: datetime, high: datetime, walls: _Walls | None = None) -> list[datetime]:
        if self.cancelled or high <= self._earliest or low >= high:
            return []
        if self._rule is None:
            first = self.first
            return [first] if low <= first < high and first not in self._skipped else []
        bound = self.last_start
        if bound is not None and low > bound:
            return []
        found = self._rule_starts(low, high, walls)
        if self._moved_starts:
            moved = self._moved_starts
            found = sorted([*found, *moved[bisect.bisect_left(moved, low):bisect.bisect_left(moved, high)]])
        return found

    def _rule_starts(self, low: datetime, high: datetime, walls: _Walls | None) -> list[datetime]:
        """The rule's starts in [low, high) that take place where the rule puts them."""
        rule = self._rule
        assert rule is not None
        zone, until, exdates = self.zone, self._until, self._skipped
        bounds = None if walls is None else walls.get((zone, low, high))
        if bounds is None:
            slack = self._slack(low, high)
            bounds = (_shift(_wall(low, zone), -slack), _shift(_wall(high, zone), slack))
            if walls is not None:
                walls[(zone, low, high)] = bounds
        candidates = rule.between(*bounds)
        assert self._dtstart is not None
        if not rule.synchronised and low <= self.first < high:
            candidates.insert(0, self._dtstart)
        found: list[datetime] = []
        in_order = True
        offset = zone.utcoffset
        for naive in candidates:
            moment = _EPOCH_UTC + (naive - offset(naive) - _EPOCH)  # _localize, inlined
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
            before = _shift(low, -_SLACK).astimezone(self.zone).utcoffset()
            after = _shift(high, _SLACK).astimezone(self.zone).utcoffset()
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
            bounds.append(_localize(last, self.zone) + _SLACK)
        elif self._rule.count is not None:
            bounds.append(self.first)
        if not bounds:
            return None
        # a sitting may be moved past the series' last one
        return max([min(bounds), self.first, *self._moved_starts[-1:]])


def _moved_sittings(overrides: list[OccurrenceOverride],
                    zone: ZoneInfo) -> dict[datetime, tuple[timedelta, datetime]]:
    """New UTC start -> (duration, original UTC start) of each moved sitting in `overrides`."""
    moved = {}
    for override in overrides:
        if (override.status is OverrideStatus.MOVED and override.start is not None
                and override.duration is not None):
            moved[_instant(override.start, zone)] = (override.duration, _instant(override.original_start, zone))
    return moved


# --- questions about one conference -----------------------------------------------------


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
    running = schedule.occurrences(now, _shift(_utc(now, "now"), timedelta(microseconds=1)))
    if running:
        return running[0]
    start = schedule.next_start(now)
    return None if start is None else schedule.occurrence(start)


def join_state(conf: Conference, now: datetime, grace: timedelta) -> JoinState:
    """Whether a caller may join `conf` at `now`.

    The window of an occurrence is [start - lead, end + grace). Where windows of two
    occurrences overlap, the running occurrence wins, then the one about to start, then the
    one in its grace time. In the window of a sitting cancelled on its own, with none open,
    it is CANCELLED (a moved sitting has its window at its new time).
    """
    schedule = ConferenceSchedule(conf)
    if schedule.cancelled:
        return JoinState(JoinKind.ENDED)
    moment = _utc(now, "now")
    lead = schedule.lead
    candidates = schedule.occurrences(moment - grace, _shift(moment, lead + timedelta(microseconds=1)))
    if candidates:
        return JoinState(JoinKind.OPEN, occurrence=_preferred(candidates, moment))
    upcoming = schedule.next_start(_shift(moment, lead))
    cancelled = schedule.cancelled_sitting(moment, grace)
    if cancelled is not None:
        opens_at = None if upcoming is None else (upcoming - lead).astimezone(schedule.zone)
        return JoinState(JoinKind.CANCELLED, opens_at=opens_at, occurrence=cancelled)
    if upcoming is None:
        return JoinState(JoinKind.ENDED)
    return JoinState(
        JoinKind.TOO_EARLY,
        opens_at=(upcoming - lead).astimezone(schedule.zone),
        occurrence=schedule.occurrence(upcoming),
    )


def _preferred(candidates: list[Occurrence], now: datetime) -> Occurrence:
    running = [o for o in candidates if o.start <= now < o.end]
    if running:
        return running[0]
    upcoming = [o for o in candidates if o.start > now]
    if upcoming:
        return upcoming[0]
    return candidates[-1]


# --- many conferences -------------------------------------------------------------------


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
        self._single_span = _ZERO
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
        return self._timeline(_utc(start, "start"), _utc(end, "end"), overlapping=False)

    def overlapping(self, start: datetime, end: datetime) -> list[Due]:
        """Occurrences overlapping [start, end) (running at `start` or beginning before
        `end`), in order of their start."""
        return self._timeline(_utc(start, "start"), _utc(end, "end"), overlapping=True)

    def expand(self, start: datetime, end: datetime) -> list[tuple[Conference, list[Occurrence]]]:
        """Occurrences overlapping [start, end), conference by conference (each in order),
        for conferences that have any: cheaper than one sorted timeline for long spans."""
        low, high = _utc(start, "start"), _utc(end, "end")
        expanded = []
        for schedule, starts in self._starts(low, high, overlapping=True):
            found: list[Occurrence] = []
            schedule._occurrences(starts, low, found)
            if found:
                expanded.append((schedule.conference, found))
        return expanded

    def _timeline(self, low: datetime, high: datetime, overlapping: bool) -> list[Due]:
        keys: list[datetime] = []
        dues: list[Due] = []
        for schedule, starts in self._starts(low, high, overlapping):
            found: list[Occurrence] = []
            schedule._occurrences(starts, low if overlapping else None, found, keys)
            conference = schedule.conference
            dues.extend([Due(conference, occurrence) for occurrence in found])
        # sorting positions by UTC start keeps the sort free of per-item tuples
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return [dues[position] for position in order]

    def _starts(self, low: datetime, high: datetime,
                overlapping: bool) -> Iterator[tuple[ConferenceSchedule, list[datetime]]]:
        """Each schedule with starts in the question (widened by its span when `overlapping`)."""
        self._refresh()
        first = bisect.bisect_left(self._single_times, _shift(low, -self._single_span) if overlapping else low)
        last = bisect.bisect_left(self._single_times, high)
        for schedule in self._singles[first:last]:
            yield schedule, [schedule.first]
        walls: _Walls = {}
        for schedule in self._series:
            starts = schedule._starts(_shift(low, -schedule.span) if overlapping else low, high, walls)
            if starts:
                yield schedule, starts

    def _refresh(self) -> None:
        if not self._stale:
            return
        singles = sorted(
            (schedule for schedule in self._schedules.values()
             if not schedule.is_recurring and not schedule.cancelled and schedule.first not in schedule._skipped),
            key=attrgetter("first"),
        )
        self._single_times = [schedule.first for schedule in singles]
        self._singles = singles
        self._single_span = max((schedule.span for schedule in singles), default=_ZERO)
        self._series = [s for s in self._schedules.values() if s.is_recurring and not s.cancelled]
        self._stale = False


def _key(conference: Conference) -> object:
    return conference.id if conference.id is not None else ("object", id(conference))


def due_between(confs: Iterable[Conference], start: datetime, end: datetime) -> list[Due]:
    """Occurrences of `confs` beginning in [start, end), in order. For repeated questions keep
    an `OccurrenceIndex` instead: it parses each rule once."""
    return OccurrenceIndex(confs).due_between(start, end)


# --- the recurrence in words ------------------------------------------------------------

_WORDS = {
    "en": {
        "every": {
            "HOURLY": ("every hour", "every {n} hours"),
            "DAILY": ("every day", "every {n} days"),
            "WEEKLY": ("every week", "every {n} weeks"),
            "MONTHLY": ("every month", "every {n} months"),
            "YEARLY": ("every year", "every {n} years"),
        },
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "months": ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December"),
        "positions": {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth",
                      -1: "last", -2: "second to last", -3: "third to last"},
        "on": "on",
        "and": "and",
        "workweek": "every weekday (Monday to Friday)",
        "every_day_named": "every {days}",
        "position_day": "the {position} {day}",
        "position_day_of_month": "the {position} {day} of {month}",
        "month_day": "the {day}",
        "last_day": "the last day",
        "last_day_n": "the {position} day",
        "position_workday": "the {position} weekday",
        "date": "{day} {month}",
        "custom": "{every}, following a custom pattern",
        "once": "once",
        "times": "{n} times",
        "until": "until {date}",
    },
    "de": {
        "every": {
            "HOURLY": ("jede Stunde", "alle {n} Stunden"),
            "DAILY": ("jeden Tag", "alle {n} Tage"),
            "WEEKLY": ("jede Woche", "alle {n} Wochen"),
            "MONTHLY": ("jeden Monat", "alle {n} Monate"),
            "YEARLY": ("jedes Jahr", "alle {n} Jahre"),
        },
        "days": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        "months": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                   "September", "Oktober", "November", "Dezember"),
        "positions": {1: "ersten", 2: "zweiten", 3: "dritten", 4: "vierten", 5: "fünften",
                      -1: "letzten", -2: "vorletzten", -3: "drittletzten"},
        "on": "am",
        "and": "und",
        "workweek": "montags bis freitags",
        "every_day_named": "jeden {days}",
        "position_day": "{position} {day}",
        "position_day_of_month": "{position} {day} im {month}",
        "month_day": "{day}",
        "last_day": "letzten Tag",
        "last_day_n": "{position} Tag",
        "position_workday": "{position} Werktag",
        "date": "{day} {month}",
        "custom": "{every} nach einem eigenen Muster",
        "once": "einmal",
        "times": "{n}-mal",
        "until": "bis zum {date}",
    },
}


def describe_rrule(rrule: str, language: str = "en", start: datetime | None = None) -> str:
    """The recurrence in words for mails, e.g. "every week on Monday" or
    "jeden Monat am letzten Freitag", lower case, with COUNT and UNTIL appended.

    `start` (the conference start, aware) supplies the day the rule leaves implicit and the
    zone UNTIL is shown in. Rules beyond the common forms get a generic sentence.
    """
    if language not in _WORDS:
        raise ValidationError("language", language, f"must be one of {', '.join(_WORDS)}")
    words = _WORDS[language]
    parts = _parse_rrule(rrule, "rrule")
    phrase = _describe_pattern(parts, words, language, start)
    if phrase is None:
        phrase = words["custom"].format(every=_every(parts, words))
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        phrase += ", " + (words["once"] if count == 1 else words["times"].format(n=count))
    if "UNTIL" in parts:
        phrase += ", " + words["until"].format(date=_until_text(parts["UNTIL"], words, language, start))
    return phrase


def _every(parts: dict[str, str], words: dict) -> str:
    interval = int(parts.get("INTERVAL", "1"))
    single, plural = words["every"][parts["FREQ"]]
    return single if interval == 1 else plural.format(n=interval)


def _describe_pattern(parts: dict[str, str], words: dict, language: str, start: datetime | None) -> str | None:
    handled = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS"}
    if parts["FREQ"] == "MONTHLY" and _is_workday_position(parts, words):
        position = words["positions"][int(parts["BYSETPOS"])]
        return _on(_every(parts, words), words["position_workday"].format(position=position), words)
    days = _bydays(parts)
    if set(parts) - handled or days is None:
        return None
    freq = parts["FREQ"]
    if freq == "HOURLY":
        return _every(parts, words) if set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"} else None
    if freq in ("DAILY", "WEEKLY"):
        return _describe_days(parts, days, words, start)
    if freq == "MONTHLY":
        return _describe_month(parts, days, words, language, start)
    return _describe_year(parts, days, words, language, start)


def _is_workday_position(parts: dict[str, str], words: dict) -> bool:
    """BYDAY=MO,TU,WE,TH,FR;BYSETPOS=n: the n-th working day of the month."""
    if set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYSETPOS"}:
        return False
    return (
        set(parts.get("BYDAY", "").split(",")) == set(_WORKWEEK)
        and re.fullmatch(r"-?\d+", parts.get("BYSETPOS", "")) is not None
        and int(parts["BYSETPOS"]) in words["positions"]
    )


def _bydays(parts: dict[str, str]) -> list[tuple[int | None, int]] | None:
    """BYDAY as (position, weekday) pairs; a single-day BYSETPOS becomes the position."""
    entries = []
    for value in parts["BYDAY"].split(",") if "BYDAY" in parts else []:
        match = _BYDAY.match(value)
        assert match is not None
        entries.append((int(match.group(1)) if match.group(1) else None, _WEEKDAYS.index(match.group(2))))
    if "BYSETPOS" in parts:
        positions = parts["BYSETPOS"].split(",")
        if len(entries) != 1 or entries[0][0] is not None or len(positions) != 1 or "BYMONTHDAY" in parts:
            return None
        entries = [(int(positions[0]), entries[0][1])]
    return entries


def _describe_days(parts: dict[str, str], days: list[tuple[int | None, int]], words: dict,
                   start: datetime | None) -> str | None:
    if "BYMONTH" in parts or "BYMONTHDAY" in parts:
        return None
    every = _every(parts, words)
    interval = int(parts.get("INTERVAL", "1"))
    weekdays = sorted({day for _, day in days})
    if not weekdays:
        if parts["FREQ"] == "DAILY" or start is None:
            return every
        weekdays = [start.weekday()]
    if interval == 1 and [_WEEKDAYS[d] for d in weekdays] == list(_WORKWEEK):
        return words["workweek"]
    names = _join([words["days"][d] for d in weekdays], words)
    if parts["FREQ"] == "DAILY":
        return words["every_day_named"].format(days=names) if interval == 1 else None
    return _on(every, names, words)


def _describe_month(parts: dict[str, str], days: list[tuple[int | None, int]], words: dict,
                    language: str, start: datetime | None) -> str | None:
    if "BYMONTH" in parts or ("BYMONTHDAY" in parts and days):
        return None
    every = _every(parts, words)
    if "BYMONTHDAY" in parts:
        items = [_month_day(int(value), words, language) for value in parts["BYMONTHDAY"].split(",")]
        return None if None in items else _on(every, _join(items, words), words)
    if days and all(position is None for position, _ in days):
        # every Monday of every month is every Monday
        if int(parts.get("INTERVAL", "1")) != 1:
            return None
        return words["every_day_named"].format(days=_join([words["days"][d] for _, d in days], words))
    if days:
        detail = _weekday_positions(days, words, month=None)
        return None if detail is None else _on(every, detail, words)
    if start is None:
        return every
    return _on(every, _month_day(start.day, words, language) or "", words)


def _describe_year(parts: dict[str, str], days: list[tuple[int | None, int]], words: dict,
                   language: str, start: datetime | None) -> str | None:
    every = _every(parts, words)
    months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    if len(months) > 1:
        return None
    if days:
        if not months or "BYMONTHDAY" in parts:
            return None
        detail = _weekday_positions(days, words, month=months[0])
        return None if detail is None else _on(every, detail, words)
    month = months[0] if months else (start.month if start is not None else None)
    if "BYMONTHDAY" in parts:
        values = [int(value) for value in parts["BYMONTHDAY"].split(",")]
        day = values[0] if len(values) == 1 and values[0] > 0 else None
    else:
        day = start.day if start is not None else None
    if month is None or day is None:
        return every if not months and "BYMONTHDAY" not in parts else None
    day_text = f"{day}." if language == "de" else str(day)
    return _on(every, words["date"].format(day=day_text, month=words["months"][month - 1]), words)


def _weekday_positions(days: list[tuple[int | None, int]], words: dict, month: int | None) -> str | None:
    """"the last Friday", "am zweiten Dienstag im März"; None when a day has no position."""
    items = []
    for position, day in days:
        if position is None or position not in words["positions"]:
            return None
        template = "position_day" if month is None else "position_day_of_month"
        month_name = "" if month is None else words["months"][month - 1]
        items.append(words[template].format(position=words["positions"][position], day=words["days"][day],
                                            month=month_name))
    return _join(items, words)


def _month_day(day: int, words: dict, language: str) -> str | None:
    if day == -1:
        return words["last_day"]
    if day < 0:
        position = words["positions"].get(day)
        return None if position is None else words["last_day_n"].format(position=position)
    text = f"{day}." if language == "de" else _english_ordinal(day)
    return words["month_day"].format(day=text)


def _english_ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _on(every: str, detail: str, words: dict) -> str:
    return f"{every} {words['on']} {detail}" if detail else every


def _join(items: list[str], words: dict) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {words['and']} {items[-1]}"


def _until_text(value: str, words: dict, language: str, start: datetime | None) -> str:
    moment = _until_value(value, value, "rrule")
    if value.endswith("Z") and start is not None and start.tzinfo is not None:
        moment = moment.replace(tzinfo=UTC).astimezone(start.tzinfo)
    if language == "de":
        return moment.strftime("%d.%m.%Y")
    return f"{moment.day} {words['months'][moment.month - 1]} {moment.year}"
