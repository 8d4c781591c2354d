"""The validators of the schedule inputs: time zone, duration, lead and the RRULE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fs_conf.errors import ValidationError
from fs_conf.timetable import (
    occurrences,
    validate_duration,
    validate_lead,
    validate_rrule,
    validate_timezone,
)

from .conftest import conference

# --- validators ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
def test_validate_timezone_accepts_iana_names(name: str) -> None:
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Mars/Olympus", "unknown IANA time zone"),
        ("europe/berlin", "did you mean Europe/Berlin?"),
        ("", "time zone is empty"),
        ("   ", "time zone is empty"),
        ("localtime", "not an IANA time zone name"),
        ("../../etc/passwd", "unknown IANA time zone"),
        ("/etc/localtime", "unknown IANA time zone"),
        ("Europe", "unknown IANA time zone"),
        ("right/UTC", "not an IANA time zone name"),
    ],
)
def test_validate_timezone_rejects(name: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_timezone(name, "--timezone")
    assert caught.value.field == "--timezone"
    assert caught.value.value == name
    assert problem in str(caught.value)


def test_validate_duration_limits() -> None:
    assert validate_duration(timedelta(minutes=1)) == timedelta(minutes=1)
    assert validate_duration(timedelta(hours=24)) == timedelta(hours=24)
    for bad, shown in (
        (timedelta(0), 0),
        (timedelta(minutes=-5), -5),
        (timedelta(minutes=1441), 1441),
    ):
        with pytest.raises(ValidationError) as caught:
            validate_duration(bad, "--duration")
        assert caught.value.field == "--duration"
        assert caught.value.value == shown
    with pytest.raises(ValidationError, match="length of time"):
        validate_duration(60)  # type: ignore[arg-type]


def test_validate_lead_limits() -> None:
    assert validate_lead(timedelta(0)) == timedelta(0)
    assert validate_lead(timedelta(minutes=30)) == timedelta(minutes=30)
    with pytest.raises(ValidationError) as caught:
        validate_lead(timedelta(minutes=-1), "--dial-in-before")
    assert (caught.value.field, caught.value.value) == ("--dial-in-before", -1)
    assert "0 minutes or more" in str(caught.value)


# --- RRULE validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
        ("freq=weekly;byday=mo,th", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("RRULE:FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("BYDAY=MO;FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=MO;INTERVAL=2"),
        (" FREQ=MONTHLY ; BYMONTHDAY=31 ", "FREQ=MONTHLY;BYMONTHDAY=31"),
        ("FREQ=DAILY;UNTIL=20251231T230000Z", "FREQ=DAILY;UNTIL=20251231T230000Z"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
    ],
)
def test_validate_rrule_normalises(given: str, normalised: str) -> None:
    assert validate_rrule(given) == normalised


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("BYDAY=MO", "FREQ is missing"),
        ("DTSTART:20250101T090000\nRRULE:FREQ=DAILY", "single RRULE value"),
        ("DTSTART=20250101T090000;FREQ=DAILY", "must not contain DTSTART"),
        ("FREQ=WEEKLY;BYDAY=MO;FOO=1", "unknown rule part FOO"),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ is given twice"),
        ("FREQ=WEEKLY;;BYDAY=MO", "not KEY=VALUE"),
        ("FREQ=WEEKLY;BYDAY", "not KEY=VALUE"),
        ("FREQ=FORTNIGHTLY", "FREQ must be one of"),
        ("FREQ=MINUTELY", "not supported for conferences"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20250101", "COUNT and UNTIL"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL is 0, it must be between 1 and 1000"),
        ("FREQ=DAILY;INTERVAL=two", "INTERVAL 'TWO' is not a whole number"),
        ("FREQ=DAILY;COUNT=0", "COUNT is 0, it must be at least 1"),
        ("FREQ=DAILY;UNTIL=2025-12-31", "UNTIL must be YYYYMMDD"),
        ("FREQ=DAILY;UNTIL=20250230", "UNTIL '20250230' is not a real date"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY entry 'XX' is not like MO, 2TU or -1FR"),
        ("FREQ=WEEKLY;BYDAY=-1FR", "needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "position in 6MO must be 1 to 5"),
        ("FREQ=MONTHLY;BYDAY=0MO", "position in 0MO must be 1 to 5"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY is 32, it must be between -31 and 31"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY must not be 0"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "must not be used with FREQ=WEEKLY"),
        ("FREQ=MONTHLY;BYYEARDAY=100", "must not be used with FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYWEEKNO=3", "BYWEEKNO needs FREQ=YEARLY"),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BY"),
        ("FREQ=WEEKLY;WKST=XX", "WKST must be one of"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
        ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2", "never occurs"),
    ],
)
def test_validate_rrule_rejects(text: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_rrule(text, "--rrule")
    assert caught.value.field == "--rrule"
    assert caught.value.value == text
    assert problem in caught.value.problem
    assert "(got" not in caught.value.problem  # the error line names the value once


def test_conference_with_unknown_timezone_is_rejected() -> None:
    conf = conference(datetime(2025, 1, 6, 9, tzinfo=UTC), timezone="Europe/Atlantis")
    with pytest.raises(ValidationError, match="timezone: unknown IANA time zone"):
        occurrences(conf, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC))
