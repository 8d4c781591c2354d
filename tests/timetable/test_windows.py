"""Join windows: their edges, lead and grace, extensions, series and overlapping windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fs_conf.model import ConferenceStatus
from fs_conf.timetable import JoinKind, join_state

from .conftest import BERLIN, SECOND, conference, local

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
    assert (
        join_state(conf, ONE_OFF + timedelta(hours=1) - SECOND, timedelta(0)).kind is JoinKind.OPEN
    )
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
    assert between.occurrence is not None and between.occurrence.start == local(
        BERLIN, 2025, 6, 9, 10
    )
    assert join_state(conf, local(BERLIN, 2025, 6, 9, 11, 4, 59), GRACE).kind is JoinKind.OPEN
    assert join_state(conf, local(BERLIN, 2025, 6, 9, 11, 5), GRACE).kind is JoinKind.ENDED
    assert join_state(conf, local(BERLIN, 2026, 1, 1), GRACE).kind is JoinKind.ENDED


def test_cancelled_conference_has_ended() -> None:
    conf = conference(ONE_OFF, status=ConferenceStatus.CANCELLED)
    assert join_state(conf, ONE_OFF, GRACE).kind is JoinKind.ENDED


def test_overlapping_windows_prefer_the_running_occurrence_then_the_next() -> None:
    # hourly, 50 minutes long, 15 minutes lead, 10 minutes grace: windows overlap
    conf = conference(
        local(BERLIN, 2025, 6, 2, 10), rrule="FREQ=HOURLY;COUNT=3", minutes=50, lead=15
    )
    grace = timedelta(minutes=10)
    assert join_state(conf, local(BERLIN, 2025, 6, 2, 10, 46), grace).occurrence.start == local(
        BERLIN, 2025, 6, 2, 10
    )
    assert join_state(conf, local(BERLIN, 2025, 6, 2, 10, 55), grace).occurrence.start == local(
        BERLIN, 2025, 6, 2, 11
    )
