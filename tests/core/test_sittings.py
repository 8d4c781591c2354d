"""Single sittings of a series cancelled or moved on their own: the schedule honours them
(occurrences, next sitting, join windows, the scheduler's index) and the rules refuse what
calendars and the room cannot take. Pure logic, no store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fs_conf.errors import ValidationError
from fs_conf.model import Conference, Occurrence, OccurrenceOverride, OverrideStatus
from fs_conf.timetable import (
    JoinKind,
    OccurrenceIndex,
    cancelled_sittings,
    join_state,
    moved_sittings,
    next_occurrence,
    occurrences,
    sitting,
)
from fs_conf.timetable.sitting_changes import (
    Move,
    cancel_sitting,
    find_sitting,
    move_sitting,
    stamped,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
NO_GRACE = timedelta(0)


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, month, day, hour, minute, tzinfo=BERLIN)


def series(**fields: object) -> Conference:
    """Mondays 10:00 Berlin from 18 March 2030, six sittings: 18 and 25 March in winter time,
    1 to 22 April in summer time (the clocks change on 31 March)."""
    values: dict[str, object] = {
        "title": "Weekly sync", "start": berlin(3, 18, 10), "timezone": "Europe/Berlin",
        "duration": timedelta(minutes=60), "number": "3400", "guest_pin": "123456789",
        "moderator_pin": "1234567890", "uid": "weekly@test", "lead": timedelta(minutes=10),
        "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
    }  # fmt: skip
    values.update(fields)
    return Conference(**values)  # type: ignore[arg-type]


def moved(original: datetime, start: datetime, minutes: int) -> OccurrenceOverride:
    return OccurrenceOverride(original, OverrideStatus.MOVED, start, timedelta(minutes=minutes))


def cancelled(original: datetime) -> OccurrenceOverride:
    return OccurrenceOverride(original, OverrideStatus.CANCELLED)


def changed() -> Conference:
    """The series with 1 April (summer time) moved back across the clock change to Friday
    29 March 09:00 winter time for 90 minutes, and 8 April cancelled."""
    return series(
        overrides=[moved(berlin(4, 1, 10), berlin(3, 29, 9), 90), cancelled(berlin(4, 8, 10))]
    )


def wall(found: list[Occurrence]) -> list[tuple[str, str]]:
    return [(o.start.strftime("%m-%d %H:%M %Z"), o.end.strftime("%H:%M")) for o in found]


# --- the schedule honours the overrides ---------------------------------------------------


def test_a_cancelled_sitting_disappears_and_a_moved_one_comes_at_its_new_time() -> None:
    found = occurrences(changed(), berlin(3, 1, 0), berlin(5, 1, 0))
    assert wall(found) == [
        ("03-18 10:00 CET", "11:00"),
        ("03-25 10:00 CET", "11:00"),
        ("03-29 09:00 CET", "10:30"),
        ("04-15 10:00 CEST", "11:00"),
        ("04-22 10:00 CEST", "11:00"),
    ]
    # the moved sitting is in the conference's zone, knows where the series put it (its
    # RECURRENCE-ID, in summer time) and keeps its own length across the clock change
    moved_one = found[2]
    assert moved_one.start.tzinfo == BERLIN and moved_one.start.utcoffset() == timedelta(hours=1)
    assert moved_one.original_start == berlin(4, 1, 10)
    assert moved_one.original_start.utcoffset() == timedelta(hours=2)
    assert [o.original_start for o in found if o is not moved_one] == [None] * 4


def test_the_next_sitting_skips_cancelled_and_moved_away_places() -> None:
    conf = changed()
    assert next_occurrence(conf, berlin(3, 26, 12)) == Occurrence(
        berlin(3, 29, 9), berlin(3, 29, 10, 30), berlin(4, 1, 10)
    )
    # running: still that one, until its own (longer) end
    assert next_occurrence(conf, berlin(3, 29, 10, 29)).start == berlin(3, 29, 9)
    # after it: not the place it was moved from, not the cancelled 8 April
    assert next_occurrence(conf, berlin(3, 29, 10, 30)).start == berlin(4, 15, 10)


def test_join_window_of_a_moved_sitting_is_at_its_new_time() -> None:
    conf = changed()
    early = join_state(conf, berlin(3, 29, 8, 50) - timedelta(seconds=1), NO_GRACE)
    assert early.kind is JoinKind.TOO_EARLY and early.opens_at == berlin(3, 29, 8, 50)
    opened = join_state(conf, berlin(3, 29, 8, 50), NO_GRACE)
    assert opened.kind is JoinKind.OPEN and opened.occurrence.start == berlin(3, 29, 9)
    last_second = join_state(conf, berlin(3, 29, 10, 30) - timedelta(seconds=1), NO_GRACE)
    assert last_second.kind is JoinKind.OPEN
    with_grace = join_state(conf, berlin(3, 29, 10, 34), timedelta(minutes=5))
    assert with_grace.kind is JoinKind.OPEN
    # the place it was moved from is no sitting: too early for the next one
    at_old_place = join_state(conf, berlin(4, 1, 10, 5), NO_GRACE)
    assert at_old_place.kind is JoinKind.TOO_EARLY and at_old_place.opens_at == berlin(4, 15, 9, 50)


def test_callers_in_a_cancelled_sittings_window_hear_it_was_cancelled() -> None:
    conf = changed()
    for moment in (
        berlin(4, 8, 9, 50),
        berlin(4, 8, 10, 30),
        berlin(4, 8, 11) - timedelta(seconds=1),
    ):
        state = join_state(conf, moment, NO_GRACE)
        assert state.kind is JoinKind.CANCELLED
        assert state.occurrence == Occurrence(berlin(4, 8, 10), berlin(4, 8, 11))
        assert state.opens_at == berlin(4, 15, 9, 50)
    assert join_state(conf, berlin(4, 8, 9, 49), NO_GRACE).kind is JoinKind.TOO_EARLY
    assert join_state(conf, berlin(4, 8, 11), NO_GRACE).kind is JoinKind.TOO_EARLY
    assert join_state(conf, berlin(4, 8, 11, 4), timedelta(minutes=5)).kind is JoinKind.CANCELLED
    # the last sitting cancelled: nothing opens afterwards
    last = series(overrides=[cancelled(berlin(4, 22, 10))])
    state = join_state(last, berlin(4, 22, 10), NO_GRACE)
    assert state.kind is JoinKind.CANCELLED and state.opens_at is None
    assert join_state(last, berlin(4, 22, 12), NO_GRACE).kind is JoinKind.ENDED


def test_the_schedulers_index_honours_the_overrides() -> None:
    conf = dataclasses.replace(changed(), id=1)
    index = OccurrenceIndex([conf])
    due = index.due_between(berlin(3, 28, 0), berlin(4, 16, 0))
    assert [(d.occurrence.start, d.occurrence.end) for d in due] == [
        (berlin(3, 29, 9), berlin(3, 29, 10, 30)),
        (berlin(4, 15, 10), berlin(4, 15, 11)),
    ]
    running = index.overlapping(berlin(3, 29, 10, 15), berlin(3, 29, 10, 16))
    assert [d.occurrence.start for d in running] == [berlin(3, 29, 9)]
    expanded = index.expand(berlin(3, 1, 0), berlin(5, 1, 0))
    assert [o.start for o in expanded[0][1]] == [
        o.start for o in occurrences(conf, berlin(3, 1, 0), berlin(5, 1, 0))
    ]


def test_sittings_moved_before_the_first_and_past_the_last_are_found() -> None:
    conf = series(
        overrides=[
            moved(berlin(3, 18, 10), berlin(3, 15, 14), 30),
            moved(berlin(4, 22, 10), berlin(4, 24, 16), 45),
        ]
    )
    assert next_occurrence(conf, berlin(3, 1, 0)).start == berlin(3, 15, 14)
    assert next_occurrence(conf, berlin(4, 23, 0)) == Occurrence(
        berlin(4, 24, 16), berlin(4, 24, 16, 45), berlin(4, 22, 10)
    )
    assert next_occurrence(conf, berlin(4, 24, 17)) is None
    index = OccurrenceIndex([dataclasses.replace(conf, id=1)])
    assert [d.occurrence.start for d in index.due_between(berlin(3, 14, 0), berlin(3, 16, 0))] == [
        berlin(3, 15, 14)
    ]


def test_an_extension_of_a_moved_sitting_is_keyed_by_its_new_start() -> None:
    conf = dataclasses.replace(changed(), extensions={berlin(3, 29, 9): timedelta(minutes=15)})
    assert sitting(conf, berlin(4, 1, 10)).end == berlin(3, 29, 10, 45)
    assert join_state(conf, berlin(3, 29, 10, 40), NO_GRACE).kind is JoinKind.OPEN


def test_sitting_moved_and_cancelled_lists_for_calendars() -> None:
    conf = changed()
    assert sitting(conf, berlin(4, 1, 10)).start == berlin(3, 29, 9)
    assert sitting(conf, berlin(4, 8, 10)) == Occurrence(berlin(4, 8, 10), berlin(4, 8, 11))
    assert sitting(conf, berlin(4, 15, 10)) == Occurrence(berlin(4, 15, 10), berlin(4, 15, 11))
    assert moved_sittings(conf) == [
        Occurrence(berlin(3, 29, 9), berlin(3, 29, 10, 30), berlin(4, 1, 10))
    ]
    assert cancelled_sittings(conf) == [berlin(4, 8, 10)]
    # a one-off conference has no sittings of its own to change
    one_off = dataclasses.replace(conf, rrule=None)
    assert moved_sittings(one_off) == [] and cancelled_sittings(one_off) == []


# --- naming a sitting -----------------------------------------------------------------------


def test_a_sitting_is_named_by_its_time_now_or_by_where_the_series_puts_it() -> None:
    conf = changed()
    assert find_sitting(conf, berlin(4, 15, 10), "occurrence", "t") == berlin(4, 15, 10)
    assert find_sitting(conf, berlin(3, 29, 9), "occurrence", "t") == berlin(4, 1, 10)
    assert find_sitting(conf, berlin(4, 1, 10), "occurrence", "t") == berlin(4, 1, 10)
    assert find_sitting(conf, berlin(4, 8, 10), "occurrence", "t") == berlin(4, 8, 10)
    # the same instant given in UTC
    assert find_sitting(conf, datetime(2030, 4, 15, 8, 0, tzinfo=UTC), "occurrence", "t") == berlin(
        4, 15, 10
    )


@pytest.mark.parametrize(
    ("conf", "moment", "problem"),
    [
        (
            changed(),
            berlin(4, 15, 11),
            "not the start of a sitting of this series (the next one starts 2030-04-22 10:00 CEST)",
        ),
        (changed(), berlin(4, 29, 10), "not the start of a sitting of this series"),
        (series(rrule=None), berlin(3, 18, 10), "only a recurring conference has sittings"),
    ],
)
def test_a_time_that_names_no_sitting_is_refused(
    conf: Conference, moment: datetime, problem: str
) -> None:
    with pytest.raises(ValidationError) as error:
        find_sitting(conf, moment, "occurrence", "as typed")
    assert (error.value.field, error.value.value) == ("occurrence", "as typed")
    assert error.value.problem.startswith(problem)


# --- cancelling and moving ------------------------------------------------------------------


def test_cancelling_adds_one_override_and_twice_changes_nothing() -> None:
    conf = series()
    once = cancel_sitting(conf, berlin(3, 25, 10), NOW, "occurrence", "t")
    assert once.overrides == [cancelled(berlin(3, 25, 10))]
    assert cancel_sitting(once, berlin(3, 25, 10), NOW, "occurrence", "t") is once
    # a moved sitting cancelled: it is gone, the override says cancelled
    shifted = move_sitting(conf, berlin(4, 1, 10), Move(start=berlin(4, 2, 10)), NOW, "t")
    gone = cancel_sitting(shifted, berlin(4, 1, 10), NOW, "occurrence", "t")
    assert gone.overrides == [cancelled(berlin(4, 1, 10))]
    assert berlin(4, 2, 10) not in [
        o.start for o in occurrences(gone, berlin(3, 1, 0), berlin(5, 1, 0))
    ]


def test_moving_keeps_what_is_not_given() -> None:
    conf = series()
    later = move_sitting(
        conf, berlin(4, 1, 10), Move(start=berlin(4, 2, 14), start_typed="x"), NOW, "t"
    )
    assert later.overrides == [moved(berlin(4, 1, 10), berlin(4, 2, 14), 60)]
    longer = move_sitting(
        later, berlin(4, 1, 10), Move(duration=timedelta(minutes=90), duration_typed=90), NOW, "t"
    )
    assert longer.overrides == [moved(berlin(4, 1, 10), berlin(4, 2, 14), 90)]
    # a later change of the series' duration leaves the moved sitting as it was given
    longer_series = dataclasses.replace(longer, duration=timedelta(minutes=30))
    assert sitting(longer_series, berlin(4, 1, 10)).end == berlin(4, 2, 15, 30)


@pytest.mark.parametrize(
    ("move", "field", "value", "problem"),
    [
        (
            Move(start=datetime(2030, 2, 1, 10, tzinfo=BERLIN), start_typed="2030-02-01T10:00"),
            "start",
            "2030-02-01T10:00",
            "puts the sitting in the past",
        ),
        (
            Move(start=berlin(3, 25, 10, 30), start_typed="2030-03-25T10:30"),
            "start",
            "2030-03-25T10:30",
            "the sitting would overlap the one of 2030-03-25 10:00 CET",
        ),
        (
            Move(start=berlin(4, 8, 9, 30), start_typed="2030-04-08T09:30"),
            "start",
            "2030-04-08T09:30",
            "the sitting would overlap the one of 2030-04-08 10:00 CEST",
        ),
        (
            Move(start=berlin(3, 24, 10), start_typed="2030-03-24T10:00"),
            "start",
            "2030-03-24T10:00",
            "the sitting would pass the one of 2030-03-25 10:00 CET",
        ),
        (
            Move(start=berlin(4, 9, 10), start_typed="2030-04-09T10:00"),
            "start",
            "2030-04-09T10:00",
            "the sitting would pass the one of 2030-04-08 10:00 CEST",
        ),
    ],
)
def test_a_move_into_the_past_onto_or_past_another_sitting_is_refused(
    move: Move, field: str, value: object, problem: str
) -> None:
    # 1 April lies between 25 March and 8 April
    with pytest.raises(ValidationError) as error:
        move_sitting(series(), berlin(4, 1, 10), move, NOW, "2030-04-01T10:00")
    assert (error.value.field, error.value.value) == (field, value)
    assert error.value.problem.startswith(problem)


def test_a_longer_sitting_that_would_reach_the_next_one_names_the_duration() -> None:
    conf = move_sitting(series(), berlin(4, 1, 10), Move(start=berlin(4, 7, 11)), NOW, "t")
    longer = Move(duration=timedelta(hours=24), duration_typed=1440)
    with pytest.raises(ValidationError) as error:
        move_sitting(conf, berlin(4, 1, 10), longer, NOW, "2030-04-07T11:00")
    assert (error.value.field, error.value.value) == ("duration", 1440)
    assert error.value.problem == "the sitting would overlap the one of 2030-04-08 10:00 CEST"


def test_a_sitting_may_move_over_a_cancelled_one_but_a_cancelled_one_stays_cancelled() -> None:
    conf = series(overrides=[cancelled(berlin(4, 8, 10))])
    over = move_sitting(conf, berlin(4, 1, 10), Move(start=berlin(4, 9, 10)), NOW, "t")
    assert [o.start for o in occurrences(over, berlin(4, 1, 0), berlin(4, 16, 0))] == [
        berlin(4, 9, 10),
        berlin(4, 15, 10),
    ]
    with pytest.raises(ValidationError) as error:
        move_sitting(conf, berlin(4, 8, 10), Move(start=berlin(4, 9, 10)), NOW, "2030-04-08T10:00")
    assert (error.value.field, error.value.value) == ("occurrence", "2030-04-08T10:00")
    assert "cancelled" in error.value.problem


def test_neighbours_are_where_they_take_place_now() -> None:
    # 8 April moved forward to 10 April: 1 April may now move to 9 April, not to 11 April
    conf = move_sitting(series(), berlin(4, 8, 10), Move(start=berlin(4, 10, 10)), NOW, "t")
    assert move_sitting(conf, berlin(4, 1, 10), Move(start=berlin(4, 9, 10)), NOW, "t")
    with pytest.raises(ValidationError, match="pass the one of 2030-04-10 10:00 CEST"):
        move_sitting(conf, berlin(4, 1, 10), Move(start=berlin(4, 11, 10)), NOW, "t")


@pytest.mark.parametrize(
    ("now", "problem"),
    [
        (berlin(3, 25, 9, 50), "this sitting can be joined already (since 2030-03-25 09:50 CET)"),
        (berlin(3, 25, 10, 30), "this sitting can be joined already"),
        (berlin(3, 25, 11), "this sitting is over"),
    ],
)
def test_a_sitting_whose_window_opened_is_no_longer_changed(now: datetime, problem: str) -> None:
    conf = series()
    for change in (
        lambda: cancel_sitting(conf, berlin(3, 25, 10), now, "occurrence", "2030-03-25T10:00"),
        lambda: move_sitting(
            conf, berlin(3, 25, 10), Move(start=berlin(3, 27, 10)), now, "2030-03-25T10:00"
        ),
    ):
        with pytest.raises(ValidationError) as error:
            change()
        assert (error.value.field, error.value.value) == ("occurrence", "2030-03-25T10:00")
        assert error.value.problem.startswith(problem)
    # a minute before the window opens it still can
    just_in_time = cancel_sitting(conf, berlin(3, 25, 10), berlin(3, 25, 9, 49), "occurrence", "t")
    assert just_in_time.overrides == [cancelled(berlin(3, 25, 10))]


def test_changes_are_stamped_with_the_sequence_they_go_out_with() -> None:
    before = series(
        sequence=3,
        overrides=[OccurrenceOverride(berlin(3, 25, 10), OverrideStatus.CANCELLED, sequence=2)],
    )
    after = dataclasses.replace(
        move_sitting(before, berlin(4, 1, 10), Move(start=berlin(4, 2, 10)), NOW, "t"), sequence=4
    )
    assert [o.sequence for o in stamped(before, after)] == [2, 4]
