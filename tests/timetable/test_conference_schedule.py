"""One conference's occurrences: one-offs, recurrence across DST, rule forms, agreement with
dateutil, and the next occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fs_conf.model import ConferenceStatus
from fs_conf.timetable import ConferenceSchedule, next_occurrence, occurrences

from .conftest import BERLIN, NEW_YORK, conference, local, starts

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
    conf = conference(
        local(BERLIN, 2025, 5, 6, 10), rrule="FREQ=DAILY", status=ConferenceStatus.CANCELLED
    )
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
def test_weekly_series_keeps_local_wall_time_across_dst(
    zone: ZoneInfo, first: tuple, spring: tuple, autumn: tuple
) -> None:
    conf = conference(
        datetime(*first, 9, 0, tzinfo=zone), rrule="FREQ=WEEKLY;BYDAY=MO", timezone=zone.key
    )
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
def test_daily_series_on_transition_days(
    zone: ZoneInfo, day: tuple, wall: tuple, expected: datetime
) -> None:
    before = datetime(*day, *wall, tzinfo=zone) - timedelta(days=3)
    conf = conference(before, rrule="FREQ=DAILY", timezone=zone.key)
    found = occurrences(conf, datetime(*day, tzinfo=zone), datetime(*day, 23, tzinfo=zone))
    assert len(found) == 1
    # compared in UTC: PEP 495 makes an ambiguous local time unequal to any other zone's time
    assert found[0].start.astimezone(UTC) == expected
    assert found[0].start.tzinfo == zone
    assert found[0].start.fold == 0
    # the days around keep the wall time
    neighbours = occurrences(
        conf,
        datetime(*day, tzinfo=zone) - timedelta(days=1),
        datetime(*day, tzinfo=zone) + timedelta(days=2),
    )
    assert [(o.start.hour, o.start.minute) for o in (neighbours[0], neighbours[-1])] == [wall, wall]


def test_spring_gap_time_is_shown_on_the_far_side_of_the_gap() -> None:
    conf = conference(local(BERLIN, 2025, 3, 29, 2, 30), rrule="FREQ=DAILY;COUNT=3")
    found = occurrences(conf, local(BERLIN, 2025, 3, 29), local(BERLIN, 2025, 4, 1))
    assert [(o.start.day, o.start.hour, o.start.minute) for o in found] == [
        (29, 2, 30),
        (30, 3, 30),
        (31, 2, 30),
    ]


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
    assert [(d.month, d.day) for d in found] == [
        (1, 31),
        (2, 28),
        (3, 28),
        (4, 25),
        (5, 30),
        (6, 27),
    ]
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
    assert [
        (d.month, d.day)
        for d in starts(monthly, local(BERLIN, 2025, 1, 1), local(BERLIN, 2026, 1, 1))
    ] == [(1, 8), (1, 31)]


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
    fortnightly = conference(
        local(BERLIN, 2025, 1, 6, 9), rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"
    )
    found = starts(fortnightly, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 2, 1))
    assert [d.day for d in found] == [6, 9, 20, 23]
    quarterly = conference(local(BERLIN, 2025, 1, 15, 9), rrule="FREQ=MONTHLY;INTERVAL=3")
    found = starts(quarterly, local(BERLIN, 2027, 1, 1), local(BERLIN, 2028, 1, 1))
    assert [(d.month, d.day) for d in found] == [(1, 15), (4, 15), (7, 15), (10, 15)]


def test_exdates_skip_occurrences_whatever_zone_they_are_given_in() -> None:
    conf = conference(
        local(BERLIN, 2025, 1, 6, 9),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        exdates=[
            datetime(2025, 1, 13, 8, 0, tzinfo=UTC),
            datetime(2025, 1, 27, 9, 0),
        ],  # naive: local time
    )
    found = starts(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 2, 5))
    assert [d.day for d in found] == [6, 20, 3]
    one_off = conference(local(BERLIN, 2025, 1, 6, 9), exdates=[local(BERLIN, 2025, 1, 6, 9)])
    assert occurrences(one_off, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 2, 1)) == []


def test_extension_lengthens_only_its_occurrence() -> None:
    second = local(BERLIN, 2025, 1, 13, 9)
    conf = conference(
        local(BERLIN, 2025, 1, 6, 9),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        extensions={second.astimezone(UTC): timedelta(minutes=15)},
    )
    found = occurrences(conf, local(BERLIN, 2025, 1, 1), local(BERLIN, 2025, 1, 25))
    assert [o.end - o.start for o in found] == [
        timedelta(hours=1),
        timedelta(minutes=75),
        timedelta(hours=1),
    ]
    # the extended occurrence still runs, and is found, 70 minutes after its start
    assert [
        o.start
        for o in occurrences(conf, second + timedelta(minutes=70), second + timedelta(minutes=71))
    ] == [second]


def test_old_series_are_expanded_from_the_question_not_from_their_start() -> None:
    conf = conference(local(BERLIN, 1995, 1, 31, 9), rrule="FREQ=MONTHLY;BYMONTHDAY=31")
    found = starts(conf, local(BERLIN, 2030, 1, 1), local(BERLIN, 2030, 6, 1))
    assert [d.month for d in found] == [1, 3, 5]


# --- against a plain dateutil expansion ----------------------------------------------------------

RULES = st.sampled_from(
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=WEEKLY;BYDAY=TU;WKST=SU;INTERVAL=3",
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
        "FREQ=YEARLY",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO",
        "FREQ=DAILY;BYMONTH=3,10",
        "FREQ=WEEKLY;BYMONTH=12;BYDAY=FR",
        "FREQ=HOURLY;BYMONTH=3;INTERVAL=7",
        "FREQ=DAILY;BYHOUR=9,14;BYMINUTE=0,30",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    rule=RULES,
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    skip=st.integers(min_value=0, max_value=8000),
    span=st.integers(min_value=1, max_value=400),
    zone=st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Australia/Lord_Howe")]),
    count=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
)
def test_expansion_matches_dateutil(
    rule: str, start: datetime, skip: int, span: int, zone: ZoneInfo, count: int | None
) -> None:
    start = start.replace(second=0, microsecond=0)
    text = rule if count is None else f"{rule};COUNT={count}"
    reference_rule = rrulestr(text, dtstart=start)
    assume(
        reference_rule.after(start, inc=True) == start
    )  # DTSTART on the rule: no RFC/dateutil difference
    conf = conference(start.replace(tzinfo=zone), rrule=text, minutes=30, timezone=zone.key)
    begin = (start + timedelta(days=skip)).replace(tzinfo=zone).astimezone(UTC)
    end = begin + timedelta(days=span)
    expected = sorted(
        {
            moment.replace(tzinfo=zone).astimezone(UTC)
            for moment in reference_rule.between(
                _naive(begin, zone) - timedelta(days=2),
                _naive(end, zone) + timedelta(days=2),
                inc=True,
            )
        }
    )
    expected = [moment for moment in expected if begin <= moment < end]
    assert ConferenceSchedule(conf).starts(begin, end) == expected


def _naive(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


@settings(max_examples=40, deadline=None)
@given(
    rule=RULES, minutes=st.lists(st.integers(min_value=1, max_value=240), min_size=1, max_size=12)
)
def test_short_questions_in_a_row_agree_with_one_long_question(
    rule: str, minutes: list[int]
) -> None:
    conf = conference(local(NEW_YORK, 2024, 3, 8, 1, 30), rrule=rule, timezone="America/New_York")
    schedule = ConferenceSchedule(conf)
    begin = moment = datetime(2025, 3, 8, 5, 0, tzinfo=UTC)
    pieces = []
    for step in minutes * 3:
        pieces += schedule.starts(moment, moment + timedelta(minutes=step))
        moment += timedelta(minutes=step)
    assert pieces == ConferenceSchedule(conf).starts(begin, moment)


# --- next occurrence ----------------------------------------------------------------------------


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
