"""Recurrence, DST, join windows, the scheduler index, validators and rule descriptions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fs_conf.errors import ValidationError
from fs_conf.model import Conference, ConferenceStatus
from fs_conf.schedule import (
    ConferenceSchedule,
    JoinKind,
    OccurrenceIndex,
    describe_rrule,
    due_between,
    join_state,
    next_occurrence,
    occurrences,
    validate_duration,
    validate_lead,
    validate_rrule,
    validate_timezone,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SECOND = timedelta(seconds=1)


def conference(start: datetime, rrule: str | None = None, minutes: int = 60, lead: int = 10,
               timezone: str = "Europe/Berlin", **fields: object) -> Conference:
    return Conference(
        title="Weekly sync", start=start, timezone=timezone, duration=timedelta(minutes=minutes),
        number="3000", guest_pin="123456789", moderator_pin="1234567890", uid="u@test",
        lead=timedelta(minutes=lead), rrule=rrule, **fields,
    )


def starts(conf: Conference, begin: datetime, end: datetime) -> list[datetime]:
    return [o.start for o in occurrences(conf, begin, end)]


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


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
    for bad, shown in ((timedelta(0), 0), (timedelta(minutes=-5), -5), (timedelta(minutes=1441), 1441)):
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


# --- one-off conferences and overlap -----------------------------------------------------------


def test_one_off_has_one_occurrence_and_overlap_is_half_open() -> None:
    start = local(BERLIN, 2025, 5, 6, 10, 0)
    conf = conference(start)
    (only,) = occurrences(conf, start - timedelta(days=1), start + timedelta(days=1))
    assert (only.start, only.end) == (start, start + timedelta(hours=1))
    assert only.start.tzinfo == BERLIN
    # running at the start of the question counts; ended exactly at it does not
    assert starts(conf, start + timedelta(minutes=59), start + timedelta(hours=2)) == [start]
    assert starts(conf, start + timedelta(hours=1), start + timedelta(hours=2)) == []
    # beginning exactly at the end of the question does not count
    assert starts(conf, start - timedelta(hours=1), start) == []


def test_start_given_in_another_zone_is_returned_in_the_conference_zone() -> None:
    conf = conference(datetime(2025, 5, 6, 8, 0, tzinfo=UTC), rrule="FREQ=DAILY;COUNT=2")
    found = starts(conf, datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))
    assert found == [local(BERLIN, 2025, 5, 6, 10, 0), local(BERLIN, 2025, 5, 7, 10, 0)]
    assert all(moment.tzinfo == BERLIN for moment in found)


def test_cancelled_conference_has_no_occurrences() -> None:
    conf = conference(local(BERLIN, 2025, 5, 6, 10), rrule="FREQ=DAILY", status=ConferenceStatus.CANCELLED)
    assert occurrences(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1)) == []
    assert next_occurrence(conf, local(BERLIN, 2025, 1, 1)) is None


def test_naive_question_is_a_programming_error() -> None:
    conf = conference(local(BERLIN, 2025, 5, 6, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(conf, datetime(2025, 5, 1), datetime(2025, 6, 1))


# --- DST -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "first", "spring", "autumn"),
    [
        (BERLIN, (2025, 3, 3), (2025, 3, 31), (2025, 10, 27)),
        (NEW_YORK, (2025, 3, 3), (2025, 3, 10), (2025, 11, 3)),
    ],
)
def test_weekly_series_keeps_local_wall_time_across_dst(zone: ZoneInfo, first: tuple, spring: tuple,
                                                        autumn: tuple) -> None:
    conf = conference(datetime(*first, 9, 0, tzinfo=zone), rrule="FREQ=WEEKLY;BYDAY=MO", timezone=zone.key)
    found = occurrences(conf, datetime(*first, tzinfo=zone), datetime(2025, 12, 1, tzinfo=zone))
    assert all((o.start.hour, o.start.minute) == (9, 0) for o in found)
    assert all(o.end - o.start == timedelta(hours=1) for o in found)
    offsets = {o.start.date(): o.start.utcoffset() for o in found}
    week = timedelta(days=7)
    # the UTC offset changes across each transition while the wall time does not
    assert offsets[datetime(*spring).date() - week] != offsets[datetime(*spring).date()]
    assert offsets[datetime(*autumn).date() - week] != offsets[datetime(*autumn).date()]
    utc_hours = {o.start.astimezone(UTC).hour for o in found}
    assert len(utc_hours) == 2


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # spring gap: a time that does not exist moves forward by the gap (RFC 5545 §3.3.5)
        (BERLIN, (2025, 3, 30), (2, 30), datetime(2025, 3, 30, 1, 30, tzinfo=UTC)),
        (NEW_YORK, (2025, 3, 9), (2, 30), datetime(2025, 3, 9, 7, 30, tzinfo=UTC)),
        # autumn: an ambiguous time is the first of the two
        (BERLIN, (2025, 10, 26), (2, 30), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
        (NEW_YORK, (2025, 11, 2), (1, 30), datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),
    ],
)
def test_daily_series_on_transition_days(zone: ZoneInfo, day: tuple, wall: tuple, expected: datetime) -> None:
    before = datetime(*day, *wall, tzinfo=zone) - timedelta(days=3)
    conf = conference(before, rrule="FREQ=DAILY", timezone=zone.key)
    found = occurrences(conf, datetime(*day, tzinfo=zone), datetime(*day, 23, tzinfo=zone))
    assert len(found) == 1
    # compared in UTC: PEP 495 makes an ambiguous local time unequal to any other zone's time
    assert found[0].start.astimezone(UTC) == expected
    assert found[0].start.tzinfo == zone
    assert found[0].start.fold == 0
    # the days around keep the wall time
    neighbours = occurrences(conf, datetime(*day, tzinfo=zone) - timedelta(days=1),
                             datetime(*day, tzinfo=zone) + timedelta(days=2))
    assert [(o.start.hour, o.start.minute) for o in (neighbours[0], neighbours[-1])] == [wall, wall]


def test_spring_gap_time_is_shown_on_the_far_side_of_the_gap() -> None:
    conf = conference(local(BERLIN, 2025, 3, 29, 2, 30), rrule="FREQ=DAILY;COUNT=3")
    found = occurrences(conf, local(BERLIN, 2025, 3, 29), local(BERLIN, 2025, 4, 1))
    assert [(o.start.day, o.start.hour, o.start.minute) for o in found] == [(29, 2, 30), (30, 3, 30), (31, 2, 30)]


def test_duration_is_elapsed_time_across_a_transition() -> None:
    conf = conference(local(BERLIN, 2025, 3, 30, 1, 30), minutes=120)
    (only,) = occurrences(conf, local(BERLIN, 2025, 3, 30), local(BERLIN, 2025, 3, 31))
    assert only.end.astimezone(UTC) - only.start.astimezone(UTC) == timedelta(hours=2)
    assert (only.end.hour, only.end.minute) == (4, 30)


# --- rule forms ----------------------------------------------------------------------------------


def test_monthly_on_the_31st_skips_shorter_months() -> None:
    conf = conference(local(BERLIN, 2025, 1, 31, 9), rrule="FREQ=MONTHLY;BYMONTHDAY=31")
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1))
    assert [d.month for d in found] == [1, 3, 5, 7, 8, 10, 12]
    implicit = conference(local(BERLIN, 2025, 1, 31, 9), rrule="FREQ=MONTHLY")
    assert starts(implicit, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1)) == found


def test_last_friday_of_the_month() -> None:
    conf = conference(local(BERLIN, 2025, 1, 31, 14), rrule="FREQ=MONTHLY;BYDAY=-1FR")
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 7, 1))
    assert [(d.month, d.day) for d in found] == [(1, 31), (2, 28), (3, 28), (4, 25), (5, 30), (6, 27)]
    assert all(d.weekday() == 4 and d.hour == 14 for d in found)


def test_count_counts_dtstart_and_ends_the_series() -> None:
    conf = conference(local(BERLIN, 2025, 1, 6, 9), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1))
    assert [d.day for d in found] == [6, 13, 20]


def test_unsynchronised_dtstart_is_the_first_occurrence_and_counts() -> None:
    # starts on a Wednesday, the rule says Mondays (RFC 5545: DTSTART always counts)
    conf = conference(local(BERLIN, 2025, 1, 8, 9), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1))
    assert [d.day for d in found] == [8, 13, 20]
    monthly = conference(local(BERLIN, 2025, 1, 8, 9), rrule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=2")
    assert [(d.month, d.day) for d in starts(monthly, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1))] == [
        (1, 8), (1, 31)]


@pytest.mark.parametrize(
    ("until", "last_day"),
    [
        ("20250120T080000Z", 20),  # 09:00 Berlin is 08:00 UTC: inclusive
        ("20250120T075959Z", 13),
        ("20250120", 20),  # a date includes that whole local day
        ("20250120T090000", 20),  # floating: local wall time, inclusive
        ("20250120T085959", 13),
    ],
)
def test_until_is_inclusive(until: str, last_day: int) -> None:
    conf = conference(local(BERLIN, 2025, 1, 6, 9), rrule=f"FREQ=WEEKLY;BYDAY=MO;UNTIL={until}")
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1))
    assert found[-1].day == last_day
    assert next_occurrence(conf, found[-1] + timedelta(hours=1)) is None


def test_interval_every_other_week_and_every_third_month() -> None:
    fortnightly = conference(local(BERLIN, 2025, 1, 6, 9), rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH")
    found = starts(fortnightly, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 2, 1))
    assert [d.day for d in found] == [6, 9, 20, 23]
    quarterly = conference(local(BERLIN, 2025, 1, 15, 9), rrule="FREQ=MONTHLY;INTERVAL=3")
    found = starts(quarterly, local(BERLIN, 2027, 1, 1), local(BERLIN, 2028, 1, 1))
    assert [(d.month, d.day) for d in found] == [(1, 15), (4, 15), (7, 15), (10, 15)]


def test_exdates_skip_occurrences_whatever_zone_they_are_given_in() -> None:
    conf = conference(
        local(BERLIN, 2025, 1, 6, 9), rrule="FREQ=WEEKLY;BYDAY=MO",
        exdates=[datetime(2025, 1, 13, 8, 0, tzinfo=UTC), datetime(2025, 1, 27, 9, 0)],  # naive: local time
    )
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 2, 5))
    assert [d.day for d in found] == [6, 20, 3]
    one_off = conference(local(BERLIN, 2025, 1, 6, 9), exdates=[local(BERLIN, 2025, 1, 6, 9)])
    assert occurrences(one_off, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 2, 1)) == []


def test_extension_lengthens_only_its_occurrence() -> None:
    second = local(BERLIN, 2025, 1, 13, 9)
    conf = conference(local(BERLIN, 2025, 1, 6, 9), rrule="FREQ=WEEKLY;BYDAY=MO",
                      extensions={second.astimezone(UTC): timedelta(minutes=15)})
    found = occurrences(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 1, 25))
    assert [o.end - o.start for o in found] == [timedelta(hours=1), timedelta(minutes=75), timedelta(hours=1)]
    # the extended occurrence still runs, and is found, 70 minutes after its start
    assert [o.start for o in occurrences(conf, second + timedelta(minutes=70), second + timedelta(minutes=71))] == [
        second]


def test_old_series_are_expanded_from_the_question_not_from_their_start() -> None:
    conf = conference(local(BERLIN, 1995, 1, 31, 9), rrule="FREQ=MONTHLY;BYMONTHDAY=31")
    found = starts(conf, local(BERLIN, 2030, 1, 1), local(BERLIN, 2030, 6, 1))
    assert [d.month for d in found] == [1, 3, 5]


# --- against a plain dateutil expansion ----------------------------------------------------------

RULES = st.sampled_from([
    "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "FREQ=WEEKLY;BYDAY=TU;WKST=SU;INTERVAL=3", "FREQ=HOURLY;INTERVAL=5",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=MONTHLY", "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU", "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1", "FREQ=YEARLY", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO",
    "FREQ=DAILY;BYMONTH=3,10", "FREQ=WEEKLY;BYMONTH=12;BYDAY=FR", "FREQ=HOURLY;BYMONTH=3;INTERVAL=7",
    "FREQ=DAILY;BYHOUR=9,14;BYMINUTE=0,30",
])


@settings(max_examples=150, deadline=None)
@given(
    rule=RULES,
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    skip=st.integers(min_value=0, max_value=8000),
    span=st.integers(min_value=1, max_value=400),
    zone=st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Australia/Lord_Howe")]),
    count=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
)
def test_expansion_matches_dateutil(rule: str, start: datetime, skip: int, span: int, zone: ZoneInfo,
                                    count: int | None) -> None:
    start = start.replace(second=0, microsecond=0)
    text = rule if count is None else f"{rule};COUNT={count}"
    reference_rule = rrulestr(text, dtstart=start)
    assume(reference_rule.after(start, inc=True) == start)  # DTSTART on the rule: no RFC/dateutil difference
    conf = conference(start.replace(tzinfo=zone), rrule=text, minutes=30, timezone=zone.key)
    begin = (start + timedelta(days=skip)).replace(tzinfo=zone).astimezone(UTC)
    end = begin + timedelta(days=span)
    expected = sorted({
        moment.replace(tzinfo=zone).astimezone(UTC)
        for moment in reference_rule.between(_naive(begin, zone) - timedelta(days=2), _naive(end, zone) + timedelta(days=2),
                                             inc=True)
    })
    expected = [moment for moment in expected if begin <= moment < end]
    assert ConferenceSchedule(conf).starts(begin, end) == expected


def _naive(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


@settings(max_examples=40, deadline=None)
@given(rule=RULES, minutes=st.lists(st.integers(min_value=1, max_value=240), min_size=1, max_size=12))
def test_short_questions_in_a_row_agree_with_one_long_question(rule: str, minutes: list[int]) -> None:
    conf = conference(local(NEW_YORK, 2024, 3, 8, 1, 30), rrule=rule, timezone="America/New_York")
    schedule = ConferenceSchedule(conf)
    begin = moment = datetime(2025, 3, 8, 5, 0, tzinfo=UTC)
    pieces = []
    for step in minutes * 3:
        pieces += schedule.starts(moment, moment + timedelta(minutes=step))
        moment += timedelta(minutes=step)
    assert pieces == ConferenceSchedule(conf).starts(begin, moment)


# --- next occurrence and join windows --------------------------------------------------------------


def test_next_occurrence_running_then_upcoming_then_none() -> None:
    conf = conference(local(BERLIN, 2025, 1, 6, 9), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    running = next_occurrence(conf, local(BERLIN, 2025, 1, 6, 9, 30))
    assert running is not None and running.start == local(BERLIN, 2025, 1, 6, 9)
    upcoming = next_occurrence(conf, local(BERLIN, 2025, 1, 6, 10))
    assert upcoming is not None and upcoming.start == local(BERLIN, 2025, 1, 13, 9)
    assert next_occurrence(conf, local(BERLIN, 2025, 1, 13, 10)) is None
    yearly = conference(local(BERLIN, 2024, 2, 29, 9), rrule="FREQ=YEARLY")
    leap = next_occurrence(yearly, local(BERLIN, 2024, 3, 1))
    assert leap is not None and leap.start == local(BERLIN, 2028, 2, 29, 9)


ONE_OFF = local(BERLIN, 2025, 6, 2, 10)  # 10:00-11:00, lead 10 min, grace 5 min
GRACE = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("now", "kind"),
    [
        (local(BERLIN, 2025, 6, 2, 9, 49, 59), JoinKind.TOO_EARLY),
        (local(BERLIN, 2025, 6, 2, 9, 50, 0), JoinKind.OPEN),
        (local(BERLIN, 2025, 6, 2, 9, 50, 1), JoinKind.OPEN),
        (local(BERLIN, 2025, 6, 2, 10, 0, 0), JoinKind.OPEN),
        (local(BERLIN, 2025, 6, 2, 10, 59, 59), JoinKind.OPEN),
        (local(BERLIN, 2025, 6, 2, 11, 0, 0), JoinKind.OPEN),
        (local(BERLIN, 2025, 6, 2, 11, 4, 59), JoinKind.OPEN),
        (local(BERLIN, 2025, 6, 2, 11, 5, 0), JoinKind.ENDED),
        (local(BERLIN, 2025, 6, 2, 11, 5, 1), JoinKind.ENDED),
        (datetime(2025, 6, 2, 7, 50, tzinfo=UTC), JoinKind.OPEN),  # the same edge, given in UTC
        (datetime(2025, 6, 2, 7, 49, 59, tzinfo=UTC), JoinKind.TOO_EARLY),
    ],
)
def test_join_window_edges(now: datetime, kind: JoinKind) -> None:
    state = join_state(conference(ONE_OFF), now, GRACE)
    assert state.kind is kind
    if kind is JoinKind.TOO_EARLY:
        assert state.opens_at == local(BERLIN, 2025, 6, 2, 9, 50)
        assert state.opens_at.tzinfo == BERLIN
    if kind is JoinKind.OPEN:
        assert state.occurrence is not None and state.occurrence.start == ONE_OFF


def test_join_window_without_lead_or_grace() -> None:
    conf = conference(ONE_OFF, lead=0)
    assert join_state(conf, ONE_OFF - SECOND, timedelta(0)).kind is JoinKind.TOO_EARLY
    assert join_state(conf, ONE_OFF, timedelta(0)).kind is JoinKind.OPEN
    assert join_state(conf, ONE_OFF + timedelta(hours=1) - SECOND, timedelta(0)).kind is JoinKind.OPEN
    assert join_state(conf, ONE_OFF + timedelta(hours=1), timedelta(0)).kind is JoinKind.ENDED


def test_join_window_follows_an_extension() -> None:
    conf = conference(ONE_OFF, extensions={ONE_OFF: timedelta(minutes=15)})
    end = ONE_OFF + timedelta(minutes=75)
    assert join_state(conf, end + GRACE - SECOND, GRACE).kind is JoinKind.OPEN
    assert join_state(conf, end + GRACE, GRACE).kind is JoinKind.ENDED


def test_series_between_occurrences_is_too_early_for_the_next_and_ended_after_the_last() -> None:
    conf = conference(local(BERLIN, 2025, 6, 2, 10), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    between = join_state(conf, local(BERLIN, 2025, 6, 5, 12), GRACE)
    assert between.kind is JoinKind.TOO_EARLY
    assert between.opens_at == local(BERLIN, 2025, 6, 9, 9, 50)
    assert between.occurrence is not None and between.occurrence.start == local(BERLIN, 2025, 6, 9, 10)
    assert join_state(conf, local(BERLIN, 2025, 6, 9, 11, 4, 59), GRACE).kind is JoinKind.OPEN
    assert join_state(conf, local(BERLIN, 2025, 6, 9, 11, 5), GRACE).kind is JoinKind.ENDED
    assert join_state(conf, local(BERLIN, 2026, 1, 1), GRACE).kind is JoinKind.ENDED


def test_cancelled_conference_has_ended() -> None:
    conf = conference(ONE_OFF, status=ConferenceStatus.CANCELLED)
    assert join_state(conf, ONE_OFF, GRACE).kind is JoinKind.ENDED


def test_overlapping_windows_prefer_the_running_occurrence_then_the_next() -> None:
    # hourly, 50 minutes long, 15 minutes lead, 10 minutes grace: windows overlap
    conf = conference(local(BERLIN, 2025, 6, 2, 10), rrule="FREQ=HOURLY;COUNT=3", minutes=50, lead=15)
    grace = timedelta(minutes=10)
    assert join_state(conf, local(BERLIN, 2025, 6, 2, 10, 46), grace).occurrence.start == local(BERLIN, 2025, 6, 2, 10)
    assert join_state(conf, local(BERLIN, 2025, 6, 2, 10, 55), grace).occurrence.start == local(BERLIN, 2025, 6, 2, 11)


# --- the scheduler index -----------------------------------------------------------------------------


def _many() -> list[Conference]:
    return [
        dataclasses.replace(conference(local(BERLIN, 2025, 6, 2, 10)), id=1),
        dataclasses.replace(conference(local(NEW_YORK, 2025, 6, 2, 4), timezone="America/New_York"), id=2),
        dataclasses.replace(conference(local(BERLIN, 2025, 5, 5, 10, 30), rrule="FREQ=WEEKLY;BYDAY=MO"), id=3),
        dataclasses.replace(conference(local(BERLIN, 2025, 6, 2, 10, 15), status=ConferenceStatus.CANCELLED), id=4),
        dataclasses.replace(conference(local(BERLIN, 2025, 5, 30, 10), rrule="FREQ=MONTHLY;BYDAY=-1FR",
                                       exdates=[local(BERLIN, 2025, 6, 27, 10)]), id=5),
        conference(local(BERLIN, 2025, 6, 2, 10, 59), minutes=15),  # no id: known by the object
    ]


def test_due_between_finds_starts_in_the_half_open_window_in_order() -> None:
    found = due_between(_many(), local(BERLIN, 2025, 6, 2, 10), local(BERLIN, 2025, 6, 2, 11))
    assert [(d.conference.id, d.occurrence.start.astimezone(UTC).strftime("%H:%M")) for d in found] == [
        (1, "08:00"), (2, "08:00"), (3, "08:30"), (None, "08:59")]
    assert found[1].occurrence.start.tzinfo == NEW_YORK
    assert due_between(_many(), local(BERLIN, 2025, 6, 2, 10, 0, 1), local(BERLIN, 2025, 6, 2, 10, 30)) == []


def test_index_skips_exdates_and_cancelled_and_follows_changes() -> None:
    conferences = _many()
    index = OccurrenceIndex(conferences)
    assert len(index) == 6
    june = index.due_between(local(BERLIN, 2025, 6, 3), local(BERLIN, 2025, 7, 1))
    assert {d.conference.id for d in june} == {3}
    moved = dataclasses.replace(conferences[0], start=local(BERLIN, 2025, 6, 10, 12))
    index.add(moved)
    index.remove(conferences[2])
    june = index.due_between(local(BERLIN, 2025, 6, 3), local(BERLIN, 2025, 7, 1))
    assert [(d.conference.id, d.occurrence.start) for d in june] == [(1, local(BERLIN, 2025, 6, 10, 12))]
    assert len(index) == 5


def test_index_agrees_with_each_conference_alone() -> None:
    conferences = _many()
    begin, end = local(BERLIN, 2025, 5, 1), local(BERLIN, 2025, 9, 1)
    expected = sorted(
        ((o.start.astimezone(UTC), id(c)) for c in conferences for o in occurrences(c, begin, end)),
    )
    index = OccurrenceIndex(conferences)
    timeline = [(d.occurrence.start.astimezone(UTC), id(d.conference)) for d in index.overlapping(begin, end)]
    assert [start for start, _ in timeline] == [start for start, _ in expected]
    assert sorted(timeline) == expected
    by_conference = sorted((o.start.astimezone(UTC), id(c)) for c, found in index.expand(begin, end) for o in found)
    assert by_conference == expected
    running = index.overlapping(local(BERLIN, 2025, 6, 2, 10, 30), local(BERLIN, 2025, 6, 2, 10, 31))
    assert {d.conference.id for d in running} == {1, 2, 3}


# --- describe_rrule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "english", "german"),
    [
        ("FREQ=DAILY", "every day", "jeden Tag"),
        ("FREQ=DAILY;INTERVAL=2", "every 2 days", "alle 2 Tage"),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "every weekday (Monday to Friday)", "montags bis freitags"),
        ("FREQ=WEEKLY;BYDAY=MO", "every week on Monday", "jede Woche am Montag"),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "every week on Monday, Wednesday and Friday",
         "jede Woche am Montag, Mittwoch und Freitag"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,MO", "every 2 weeks on Monday and Thursday",
         "alle 2 Wochen am Montag und Donnerstag"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday", "jeden Monat am letzten Freitag"),
        ("FREQ=MONTHLY;BYDAY=2TU", "every month on the second Tuesday", "jeden Monat am zweiten Dienstag"),
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", "every month on the last Friday", "jeden Monat am letzten Freitag"),
        ("FREQ=MONTHLY;BYMONTHDAY=31", "every month on the 31st", "jeden Monat am 31."),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15,-1", "every month on the 1st, the 15th and the last day",
         "jeden Monat am 1., 15. und letzten Tag"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=22", "every 3 months on the 22nd", "alle 3 Monate am 22."),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "every month on the last weekday",
         "jeden Monat am letzten Werktag"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "every year on the last Sunday of March",
         "jedes Jahr am letzten Sonntag im März"),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24", "every year on 24 December", "jedes Jahr am 24. Dezember"),
        ("FREQ=HOURLY;INTERVAL=4", "every 4 hours", "alle 4 Stunden"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=10", "every week on Monday, 10 times", "jede Woche am Montag, 10-mal"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=1", "every week on Monday, once", "jede Woche am Montag, einmal"),
        ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20251231", "every week on Monday, until 31 December 2025",
         "jede Woche am Montag, bis zum 31.12.2025"),
        ("FREQ=YEARLY;BYWEEKNO=20", "every year, following a custom pattern", "jedes Jahr nach einem eigenen Muster"),
        ("FREQ=MONTHLY;BYMONTH=1,7;BYMONTHDAY=1", "every month, following a custom pattern",
         "jeden Monat nach einem eigenen Muster"),
    ],
)
def test_describe_rrule(rule: str, english: str, german: str) -> None:
    assert describe_rrule(rule) == english
    assert describe_rrule(rule, "de") == german


def test_describe_rrule_takes_implicit_days_and_the_until_zone_from_the_start() -> None:
    start = local(BERLIN, 2025, 3, 5, 9)  # a Wednesday
    assert describe_rrule("FREQ=WEEKLY", "en", start) == "every week on Wednesday"
    assert describe_rrule("FREQ=MONTHLY", "de", start) == "jeden Monat am 5."
    assert describe_rrule("FREQ=YEARLY", "en", start) == "every year on 5 March"
    assert describe_rrule("FREQ=WEEKLY", "en") == "every week"
    # 23:30 UTC on the 31st is already the 1st in Berlin
    assert describe_rrule("FREQ=DAILY;UNTIL=20251231T233000Z", "en", start) == "every day, until 1 January 2026"


def test_describe_rrule_rejects_unknown_language_and_bad_rule() -> None:
    with pytest.raises(ValidationError, match="language: must be one of en, de"):
        describe_rrule("FREQ=DAILY", "fr")
    with pytest.raises(ValidationError, match="FREQ is missing"):
        describe_rrule("BYDAY=MO")
