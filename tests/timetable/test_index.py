"""The scheduler's index of many conferences: what is due, timelines, changes."""

from __future__ import annotations

import dataclasses
from datetime import UTC

from fs_conf.model import Conference, ConferenceStatus
from fs_conf.timetable import OccurrenceIndex, due_between, occurrences

from .conftest import BERLIN, NEW_YORK, conference, local


def _many() -> list[Conference]:
    return [
        dataclasses.replace(conference(local(BERLIN, 2025, 6, 2, 10)), id=1),
        dataclasses.replace(
            conference(local(NEW_YORK, 2025, 6, 2, 4), timezone="America/New_York"), id=2
        ),
        dataclasses.replace(
            conference(local(BERLIN, 2025, 5, 5, 10, 30), rrule="FREQ=WEEKLY;BYDAY=MO"), id=3
        ),
        dataclasses.replace(
            conference(local(BERLIN, 2025, 6, 2, 10, 15), status=ConferenceStatus.CANCELLED), id=4
        ),
        dataclasses.replace(
            conference(
                local(BERLIN, 2025, 5, 30, 10),
                rrule="FREQ=MONTHLY;BYDAY=-1FR",
                exdates=[local(BERLIN, 2025, 6, 27, 10)],
            ),
            id=5,
        ),
        conference(local(BERLIN, 2025, 6, 2, 10, 59), minutes=15),  # no id: known by the object
    ]


def test_due_between_finds_starts_in_the_half_open_window_in_order() -> None:
    found = due_between(_many(), local(BERLIN, 2025, 6, 2, 10), local(BERLIN, 2025, 6, 2, 11))
    assert [
        (d.conference.id, d.occurrence.start.astimezone(UTC).strftime("%H:%M")) for d in found
    ] == [(1, "08:00"), (2, "08:00"), (3, "08:30"), (None, "08:59")]
    assert found[1].occurrence.start.tzinfo == NEW_YORK
    assert (
        due_between(_many(), local(BERLIN, 2025, 6, 2, 10, 0, 1), local(BERLIN, 2025, 6, 2, 10, 30))
        == []
    )


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
    assert [(d.conference.id, d.occurrence.start) for d in june] == [
        (1, local(BERLIN, 2025, 6, 10, 12))
    ]
    assert len(index) == 5


def test_index_agrees_with_each_conference_alone() -> None:
    conferences = _many()
    begin, end = local(BERLIN, 2025, 5, 1), local(BERLIN, 2025, 9, 1)
    expected = sorted(
        ((o.start.astimezone(UTC), id(c)) for c in conferences for o in occurrences(c, begin, end)),
    )
    index = OccurrenceIndex(conferences)
    timeline = [
        (d.occurrence.start.astimezone(UTC), id(d.conference))
        for d in index.overlapping(begin, end)
    ]
    assert [start for start, _ in timeline] == [start for start, _ in expected]
    assert sorted(timeline) == expected
    by_conference = sorted(
        (o.start.astimezone(UTC), id(c)) for c, found in index.expand(begin, end) for o in found
    )
    assert by_conference == expected
    running = index.overlapping(
        local(BERLIN, 2025, 6, 2, 10, 30), local(BERLIN, 2025, 6, 2, 10, 31)
    )
    assert {d.conference.id for d in running} == {1, 2, 3}
