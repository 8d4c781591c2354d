"""The schedule inputs checked: time zone, duration, dial-in lead, the years a typed time may
fall in, and the RFC 5545 recurrence rule, which is parsed into its parts here for the
expansion and for mails.

Each validator returns the value it accepts and raises `ValidationError` naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrule as DateutilRule
from dateutil.rrule import rrulestr

from fs_conf.errors import ValidationError

MAX_DURATION = timedelta(hours=24)
PAST_SLACK = timedelta(minutes=1)
"""How far in the past a start may be typed (a one-off's, a moved sitting's): typing the
current minute must work."""
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(9000, 1, 1)
"""Typed times (starts, sittings, UNTIL) lie in [EARLIEST, LATEST) as wall time: far enough
inside datetime's years 1 to 9999 that no offset, lead, grace, extension or search step the
timetable adds to them leaves datetime's range."""
_YEARS = f"must lie in the years {EARLIEST.year} to {LATEST.year - 1}"
MAX_RRULE_LENGTH = 1000
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""The RFC 5545 weekdays, in the order of `datetime.weekday()`."""
BYDAY_ENTRY = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
"""One BYDAY entry: an optional position and a weekday, such as MO, 2TU or -1FR."""

_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
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
_UNTIL = re.compile(r"[0-9]{8}(T[0-9]{6}Z?)?")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# validate_rrule looks for a first occurrence in this many years.
_PROBE_YEARS = 30
_NOT_IANA = frozenset({"localtime", "posixrules", "Factory"})


def validate_timezone(name: str, field: str = "--timezone") -> str:
    """Return `name` if it is an IANA time zone such as `Europe/Berlin`."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(
            field, name, "time zone is empty (use an IANA name such as Europe/Berlin)"
        )
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


def validate_moment(moment: datetime, field: str, typed: object) -> datetime:
    """Return `moment` if its wall time lies in [EARLIEST, LATEST); `typed` is what errors
    show."""
    if not EARLIEST <= moment.replace(tzinfo=None) < LATEST:
        raise ValidationError(field, typed, _YEARS)
    return moment


def _minutes(value: timedelta) -> int | float:
    minutes = value.total_seconds() / 60
    return int(minutes) if minutes.is_integer() else minutes


def validate_rrule(text: str, field: str = "--rrule") -> str:
    """Check an RFC 5545 RRULE value and return it normalised (upper case, FREQ first).

    A leading `RRULE:` is dropped. Rejected: DTSTART or any other property inside (the start
    comes from the conference), a missing FREQ, MINUTELY/SECONDLY, unknown or repeated parts,
    values out of range, combinations RFC 5545 forbids (COUNT with UNTIL, BYDAY ordinals
    outside MONTHLY/YEARLY, ...), and rules that never produce an occurrence whatever their
    start (with the start: `fs_conf.timetable.validate_series`).
    """
    parts = parse_rrule(text, field)
    _probe(parts, text, field)
    return _join_parts(parts)


def parse_rrule(text: str, field: str) -> dict[str, str]:
    """The parts of an RRULE value, FREQ first, checked as `validate_rrule` checks them
    (except that a rule that never occurs passes)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, text, "recurrence rule is empty")
    if len(text) > MAX_RRULE_LENGTH:
        raise ValidationError(field, text, f"must be at most {MAX_RRULE_LENGTH} characters")
    # RFC 5545 rules are ASCII: this also keeps out digits int() would read, such as Arabic-Indic
    if not text.isascii():
        raise ValidationError(field, text, "must be ASCII, as RFC 5545 writes rules")
    if not text.isprintable():
        raise ValidationError(
            field, text, "must be a single RRULE value, without DTSTART, other lines or controls"
        )
    body = text.strip()
    if "DTSTART" in body.upper():
        raise ValidationError(
            field, text, "must not contain DTSTART: the start comes from the conference"
        )
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        key, sep, value = item.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not key or not value:
            raise ValidationError(
                field, text, f"{item.strip() or 'an empty part'!r} is not KEY=VALUE"
            )
        if key not in _KNOWN_PARTS:
            raise ValidationError(
                field, text, f"unknown rule part {key} (known: {', '.join(_KNOWN_PARTS)})"
            )
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
        raise ValidationError(
            field,
            text,
            f"FREQ={freq} is not supported for conferences (HOURLY is the finest)",
        )
    if freq not in _FREQS:
        raise ValidationError(field, text, f"FREQ must be one of {', '.join(_FREQS)}")
    for key in ("INTERVAL", "COUNT"):
        if key in parts:
            high = _MAX_INTERVAL if key == "INTERVAL" else None
            _number(parts[key], key, 1, high, text, field)
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationError(field, text, "COUNT and UNTIL must not both be given (RFC 5545)")
    if "UNTIL" in parts and not _UNTIL.fullmatch(parts["UNTIL"]):
        raise ValidationError(
            field, text, "UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ"
        )
    if "UNTIL" in parts and not EARLIEST <= until_value(parts["UNTIL"], text, field) < LATEST:
        raise ValidationError(
            field, text, f"UNTIL {_YEARS} (leave UNTIL out for a series without end)"
        )
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise ValidationError(field, text, f"WKST must be one of {', '.join(WEEKDAYS)}")
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
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", value):
        raise ValidationError(field, text, f"{key} {value!r} is not a whole number")
    number = int(value)
    if number < low or (high is not None and number > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(field, text, f"{key} is {number}, it must be {limits}")
    return number


def until_value(value: str, text: str, field: str) -> datetime:
    """An UNTIL value as a naive datetime (a date at midnight); `text` and `field` are what
    errors name."""
    try:
        if "T" not in value:
            return datetime.strptime(value, "%Y%m%d")
        return datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise ValidationError(field, text, f"UNTIL {value!r} is not a real date or time") from exc


def _check_byday(parts: dict[str, str], text: str, field: str) -> None:
    freq = parts["FREQ"]
    for value in parts["BYDAY"].split(","):
        match = BYDAY_ENTRY.fullmatch(value)
        if not match:
            raise ValidationError(field, text, f"BYDAY entry {value!r} is not like MO, 2TU or -1FR")
        if match.group(1) is None:
            continue
        ordinal = int(match.group(1))
        if freq not in ("MONTHLY", "YEARLY"):
            raise ValidationError(
                field, text, f"BYDAY with a number ({value}) needs FREQ=MONTHLY or YEARLY"
            )
        if "BYWEEKNO" in parts:
            raise ValidationError(
                field,
                text,
                f"BYDAY with a number ({value}) must not be combined with BYWEEKNO",
            )
        limit = 5 if freq == "MONTHLY" and "BYMONTH" not in parts else 53
        if ordinal == 0 or abs(ordinal) > limit:
            raise ValidationError(
                field,
                text,
                f"BYDAY position in {value} must be 1 to {limit} or -1 to -{limit}",
            )


def _check_combinations(parts: dict[str, str], freq: str, text: str, field: str) -> None:
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise ValidationError(
            field, text, "BYMONTHDAY must not be used with FREQ=WEEKLY (RFC 5545)"
        )
    if "BYYEARDAY" in parts and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise ValidationError(
            field, text, f"BYYEARDAY must not be used with FREQ={freq} (RFC 5545)"
        )
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise ValidationError(field, text, "BYWEEKNO needs FREQ=YEARLY (RFC 5545)")
    others = {key for key in parts if key.startswith("BY") and key != "BYSETPOS"}
    if "BYSETPOS" in parts and not others:
        raise ValidationError(field, text, "BYSETPOS needs another BY... part to pick from")
    if "BYMONTH" in parts and "BYMONTHDAY" in parts:
        months = [int(m) for m in parts["BYMONTH"].split(",")]
        days = [int(d) for d in parts["BYMONTHDAY"].split(",")]
        if not any(abs(day) <= _DAYS_IN_MONTH[month - 1] for month in months for day in days):
            raise ValidationError(
                field,
                text,
                "never occurs: none of the BYMONTH months has that BYMONTHDAY",
            )


def _join_parts(parts: dict[str, str]) -> str:
    return ";".join(f"{key}={value}" for key, value in parts.items())


def dateutil_rule(parts: dict[str, str], dtstart: datetime) -> DateutilRule:
    """The rule as dateutil expands it from `dtstart`: without UNTIL and COUNT (fs_conf applies
    them itself), and with an explicit WKST, because dateutil's default comes from the
    process-wide `calendar` module."""
    kept = {key: value for key, value in parts.items() if key not in ("UNTIL", "COUNT")}
    kept.setdefault("WKST", "MO")
    rule = rrulestr(_join_parts(kept), dtstart=dtstart)
    assert isinstance(rule, DateutilRule)  # one RRULE without EXDATEs is never a set
    return rule


def _probe(parts: dict[str, str], text: str, field: str) -> None:
    """Reject rules that never produce an occurrence, whatever their start.

    The probe leaves INTERVAL out: which dates an interval reaches depends on the start
    (every other month from December never meets BYMONTH=1, from January it does), which
    `validate_series` checks once the start is known. dateutil searches a rule that never
    occurs up to the year 9999, which takes seconds; starting the probe a few decades before
    that bounds the search.
    """
    every = {key: value for key, value in parts.items() if key != "INTERVAL"}
    start = datetime(9999 - _PROBE_YEARS, 1, 1, 0, 0)
    try:
        rule = dateutil_rule(every, start)
        first = rule.after(start, inc=True)
    except (ValueError, TypeError) as exc:
        raise ValidationError(field, text, f"not a valid recurrence rule: {exc}") from exc
    if first is None:
        raise ValidationError(field, text, f"never occurs (no occurrence in {_PROBE_YEARS} years)")
