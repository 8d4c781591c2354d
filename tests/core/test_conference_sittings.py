"""The conference service changing one sitting: through the store, in one transaction, with
the SEQUENCE rules the scheduler's mails rely on; bad input writes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fs_conf.cli.present import conference_json
from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    SittingChanges,
    change_sitting,
    check_sitting_changes,
    create_conference,
    update_conference,
)
from fs_conf.config import Config
from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.model import Conference, OverrideStatus
from fs_conf.store import Store, open_store

NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return dataclasses.replace(Config(), database=str(tmp_path / "db.sqlite3"))


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    opened = open_store(config.database, clock=lambda: NOW)
    yield opened
    opened.close()


def weekly(store: Store, config: Config, *, mailed: bool = True, **fields: object) -> Conference:
    """Mondays 10:00 Berlin from 4 March 2030; `mailed`: as if the invitations went out."""
    request = ConferenceRequest(
        title="Weekly", start="2030-03-04T10:00", timezone="Europe/Berlin", duration_minutes=60,
        rrule="FREQ=WEEKLY;BYDAY=MO", participants=["Bob <bob@example.org>"], **fields,
    )  # fmt: skip
    created = create_conference(store, config, request, NOW)
    if mailed:
        store.set_mailed(created.id)
    return store.get_conference(created.id)


def change(
    store: Store, config: Config, conference: Conference, changes: SittingChanges
) -> Conference:
    return change_sitting(store, config, conference.id, check_sitting_changes(changes, NOW), NOW)


def test_cancelling_one_sitting_raises_the_sequence_but_not_the_series_sequence(
    store: Store, config: Config
) -> None:
    conference = weekly(store, config)
    stored = change(store, config, conference, SittingChanges("2030-03-11T10:00", cancel=True))
    assert (stored.sequence, stored.series_sequence) == (1, 0)
    [override] = stored.overrides
    assert (override.original_start, override.status, override.sequence) == (
        datetime(2030, 3, 11, 10, 0, tzinfo=BERLIN),
        OverrideStatus.CANCELLED,
        1,
    )
    assert store.get_conference(conference.id) == stored
    # twice: nothing changes, no new SEQUENCE
    assert (
        change(store, config, conference, SittingChanges("2030-03-11T10:00", cancel=True)) == stored
    )


def test_moving_a_sitting_and_changing_the_series_afterwards(store: Store, config: Config) -> None:
    conference = weekly(store, config)
    moved = change(
        store,
        config,
        conference,
        SittingChanges("2030-03-18T10:00", start="2030-03-19T14:00", duration_minutes=90),
    )
    assert (moved.sequence, moved.series_sequence) == (1, 0)
    exceptions = conference_json(moved, NOW)["exceptions"]
    assert exceptions == [{
        "original_start": "2030-03-18T10:00:00+01:00", "status": "moved",
        "start": "2030-03-19T14:00:00+01:00", "end": "2030-03-19T15:30:00+01:00",
    }]  # fmt: skip
    # named by its new time, it can be moved again
    again = change(
        store, config, conference, SittingChanges("2030-03-19T14:00", duration_minutes=30)
    )
    assert again.sequence == 2 and again.overrides[0].duration == timedelta(minutes=30)
    # a change to the series raises both; the series' duration leaves the moved sitting alone
    longer = update_conference(
        store, config, conference.id, ConferenceChanges(duration_minutes=45), NOW
    )
    assert (longer.sequence, longer.series_sequence) == (3, 3)
    assert longer.overrides == again.overrides
    # a new rule or start makes new sittings: the exceptions go, as in Outlook
    rule = update_conference(
        store, config, conference.id, ConferenceChanges(rrule="FREQ=WEEKLY;BYDAY=TU"), NOW
    )
    assert rule.overrides == [] and (rule.sequence, rule.series_sequence) == (4, 4)


def test_before_the_invitations_went_out_nothing_raises_the_sequence(
    store: Store, config: Config
) -> None:
    conference = weekly(store, config, mailed=False)
    stored = change(store, config, conference, SittingChanges("2030-03-11T10:00", cancel=True))
    assert (stored.sequence, stored.series_sequence, stored.overrides[0].sequence) == (0, 0, 0)


def test_exdate_cancels_a_sitting_like_cancel_occurrence(store: Store, config: Config) -> None:
    conference = weekly(store, config)
    stored = update_conference(
        store, config, conference.id, ConferenceChanges(add_exdates=["2030-03-11T10:00"]), NOW
    )
    assert stored.exdates == []
    assert [(o.status, o.sequence) for o in stored.overrides] == [(OverrideStatus.CANCELLED, 1)]
    assert (stored.sequence, stored.series_sequence) == (1, 0)
    # with a change to the series in the same update, both SEQUENCEs grow
    both = update_conference(
        store,
        config,
        conference.id,
        ConferenceChanges(title="Weekly!", add_exdates=["2030-03-18T10:00"]),
        NOW,
    )
    assert (both.sequence, both.series_sequence) == (2, 2)


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        (SittingChanges("2030-03-12T10:00", cancel=True), "occurrence", "2030-03-12T10:00"),
        (SittingChanges("2030-03-11T10:00", start="2030-03-18T10:30"), "start", "2030-03-18T10:30"),
        (SittingChanges("2030-03-11T10:00", start="2030-03-31T02:30"), "start", "2030-03-31T02:30"),
        (SittingChanges("2030-03-11T10:00", start="2030-02-11T10:00"), "start", "2030-02-11T10:00"),
        (SittingChanges("2030-03-11T10:00", duration_minutes=10080), "duration", 10080),
        (SittingChanges("2030-03-11T10:00", duration_minutes=0), "duration", 0),
        (SittingChanges("2030-03-11T10:00"), "occurrence", "2030-03-11T10:00"),
        (SittingChanges("next monday", cancel=True), "occurrence", "next monday"),
    ],
)
def test_bad_sitting_changes_write_nothing(
    store: Store, config: Config, changes: SittingChanges, field: str, value: object
) -> None:
    conference = weekly(store, config)
    with pytest.raises(ValidationError) as error:
        change(store, config, conference, changes)
    assert (error.value.field, error.value.value) == (field, value)
    assert store.get_conference(conference.id) == conference


def test_a_one_off_or_missing_or_cancelled_conference_has_no_sitting_to_change(
    store: Store, config: Config
) -> None:
    one_off = create_conference(
        store, config,
        ConferenceRequest(title="Once", start="2030-03-04T10:00", timezone="Europe/Berlin", duration_minutes=60),
        NOW,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="only a recurring conference"):
        change(store, config, one_off, SittingChanges("2030-03-04T10:00", cancel=True))
    with pytest.raises(NotFoundError):
        change(
            store,
            config,
            dataclasses.replace(one_off, id=999),
            SittingChanges("2030-03-04T10:00", cancel=True),
        )


def test_a_move_that_brings_a_pin_into_overlap_names_the_start(
    store: Store, config: Config
) -> None:
    """PINs are unique only among conferences that can be joined at the same time: a sitting
    moved next to another conference with the same guest PIN is refused."""
    conference = weekly(store, config)
    other = create_conference(
        store, config,
        ConferenceRequest(title="Tuesday", start="2030-03-12T15:00", timezone="Europe/Berlin", duration_minutes=60),
        NOW,
    )  # fmt: skip
    # give the one-off the series' guest PIN, as two conferences that never meet may have
    store.save_conference(
        dataclasses.replace(store.get_conference(other.id), guest_pin=conference.guest_pin)
    )
    with pytest.raises(ValidationError) as error:
        change(
            store, config, conference, SittingChanges("2030-03-11T10:00", start="2030-03-12T15:30")
        )
    assert (error.value.field, error.value.value) == ("start", "2030-03-12T15:30")
    assert "PINs once given" in error.value.problem
    assert store.get_conference(conference.id) == conference
