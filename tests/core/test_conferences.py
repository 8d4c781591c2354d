"""The conference service: validation of every input, PINs, SEQUENCE rules, phone-book names."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    cancel_conference,
    conference_json,
    create_conference,
    update_conference,
)
from fs_conf.config import Config, NumbersConfig, PinsConfig
from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.model import ConferenceStatus, Role
from fs_conf.store import Store, open_store

NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
ANN = "Ann Admin <ann@example.org>;phone=+49 30 111;moderator;call"
BOB = "Bob <bob@example.org>"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return dataclasses.replace(
        Config(),
        database=str(tmp_path / "db.sqlite3"),
        numbers=NumbersConfig(internal="3000", external="+4930555000"),
    )


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    opened = open_store(config.database, clock=lambda: NOW)
    yield opened
    opened.close()


def request(**changes: object) -> ConferenceRequest:
    base = ConferenceRequest(
        title="Planning",
        start="2030-03-04T10:00",
        timezone="Europe/Berlin",
        duration_minutes=60,
        participants=[ANN, BOB],
    )
    return dataclasses.replace(base, **changes)


def create(store: Store, config: Config, **changes: object):
    return create_conference(store, config, request(**changes), NOW)


def test_create_assigns_numbers_pins_uid_and_sequence(store: Store, config: Config) -> None:
    conference = create(store, config)
    assert conference.id is not None
    assert (conference.number, conference.external_number) == ("3000", "+4930555000")
    assert conference.start == datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN)
    assert conference.timezone == "Europe/Berlin"
    assert conference.duration == timedelta(hours=1)
    assert conference.lead == timedelta(minutes=config.conference.lead_minutes)
    assert conference.uid.endswith("@fs_conf")
    assert conference.sequence == 0
    assert conference.status is ConferenceStatus.SCHEDULED
    assert conference.mailed is False
    assert len(conference.guest_pin) == config.pins.guest_length
    assert len(conference.moderator_pin) == config.pins.moderator_length
    assert conference.guest_pin.isdigit() and conference.moderator_pin.isdigit()
    ann, bob = conference.participants
    assert (ann.role, ann.call, bob.role) == (Role.MODERATOR, True, Role.PARTICIPANT)
    pins = {conference.guest_pin, conference.moderator_pin, ann.pin, bob.pin}
    assert len(pins) == 4
    # a moderator's personal PIN grants moderator rights, so it is as long as the moderator PIN
    assert (len(ann.pin), len(bob.pin)) == (
        config.pins.moderator_length,
        config.pins.personal_length,
    )
    assert store.get_conference(conference.id) == conference


def test_uids_differ_between_conferences(store: Store, config: Config) -> None:
    assert create(store, config).uid != create(store, config).uid


def test_pins_differ_from_an_overlapping_conference_on_the_same_number(
    store: Store, config: Config
) -> None:
    short = dataclasses.replace(config, pins=PinsConfig(guest_length=4, personal_length=4))
    first = create(store, short)
    second = create(store, short)
    first_pins = {first.guest_pin, first.moderator_pin, *(p.pin for p in first.participants)}
    second_pins = {second.guest_pin, second.moderator_pin, *(p.pin for p in second.participants)}
    assert not first_pins & second_pins


def test_start_with_offset_is_shown_in_the_time_zone(store: Store, config: Config) -> None:
    conference = create(store, config, start="2030-03-04T09:00:00Z")
    assert conference.start == datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN)
    assert conference.start.tzinfo == BERLIN


def test_defaults_come_from_the_config(store: Store, config: Config) -> None:
    conference = create(store, config, timezone="", dial_in_before_minutes=None)
    assert conference.timezone == config.conference.timezone
    assert conference.options.start_muted is config.conference.start_muted
    assert conference.options.max_members == config.conference.max_members


def test_start_now_makes_an_ad_hoc_conference(store: Store, config: Config) -> None:
    conference = create(store, config, start="now")
    assert conference.start == NOW


def test_room_options_are_taken(store: Store, config: Config) -> None:
    conference = create(
        store,
        config,
        start_muted=True,
        wait_for_moderator=True,
        end_with_last_moderator=True,
        max_members=9,
    )
    options = conference.options
    assert (options.start_muted, options.wait_for_moderator, options.end_with_last_moderator) == (
        True,
        True,
        True,
    )
    assert options.max_members == 9


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "rrule", "FREQ=SOMETIMES"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Mars/Olympus_Mons"),
        ({"start": "2030-02-01T10:00"}, "start", None),
        ({"start": "next tuesday"}, "start", "next tuesday"),
        ({"start": "2030-03-04"}, "start", "2030-03-04"),
        ({"start": "2030-03-31T02:30"}, "start", "2030-03-31T02:30"),
        ({"duration_minutes": 0}, "duration", None),
        ({"duration_minutes": -5}, "duration", None),
        ({"duration_minutes": 24 * 60 + 1}, "duration", None),
        ({"dial_in_before_minutes": -1}, "dial_in_before", None),
        ({"reply_to": "not-an-address"}, "reply_to", "not-an-address"),
        ({"organizer": "boss@"}, "organizer", "boss@"),
        ({"participants": ["Eve <eve@@example.org>"]}, "participant", None),
        ({"participants": ["Eve <eve@example.org>;phone=0800-CALL-EVE"]}, "participant", None),
        ({"participants": [BOB, "Robert <BOB@example.org>"]}, "participant", None),
        ({"participants": ["Nobody In Particular"]}, "participant", None),
        ({"title": "   "}, "title", "   "),
        ({"title": "two\nlines"}, "title", "two\nlines"),
        ({"max_members": -1}, "max_members", -1),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    store: Store, config: Config, changes: dict[str, object], field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as error:
        create(store, config, **changes)
    assert error.value.field.startswith(field)
    if value is not None:
        assert error.value.value == value
    assert store.list_conferences(include_cancelled=True) == []


def test_a_recurring_conference_may_have_started_in_the_past(store: Store, config: Config) -> None:
    conference = create(store, config, start="2030-01-07T10:00", rrule="FREQ=WEEKLY;BYDAY=MO")
    assert conference.rrule is not None
    assert conference_json(conference, NOW)["end"] == "2030-03-04T11:00:00+01:00"


def test_json_has_exactly_the_documented_keys(store: Store, config: Config) -> None:
    conference = create(store, config)
    data = conference_json(conference, NOW)
    assert list(data) == [
        "id", "title", "number", "external_number", "guest_pin", "moderator_pin", "uid",
        "sequence", "start", "end", "timezone", "rrule", "status", "participants",
    ]  # fmt: skip
    assert data["start"] == "2030-03-04T10:00:00+01:00"
    assert data["end"] == "2030-03-04T11:00:00+01:00"
    assert list(data["participants"][0]) == [
        "id", "name", "email", "phone", "role", "pin", "call", "status"
    ]  # fmt: skip
    assert data["participants"][0]["role"] == "moderator"
    assert isinstance(data["guest_pin"], str)


def test_organizer_reply_to_is_remembered_for_the_next_conference(
    store: Store, config: Config
) -> None:
    create(store, config, organizer="boss@example.org", reply_to="team@example.org")
    later = create(store, config, organizer="Boss@example.org")
    assert later.reply_to == "team@example.org"
    memory = store.recall_organizer("boss@example.org")
    assert memory.first_invitee == ANN


def test_update_before_mailing_keeps_sequence(store: Store, config: Config) -> None:
    conference = create(store, config)
    updated = update_conference(
        store, config, conference.id, ConferenceChanges(title="New title"), NOW
    )
    assert updated.title == "New title"
    assert updated.sequence == 0


def test_update_after_mailing_bumps_sequence_once_per_mailed_change(
    store: Store, config: Config
) -> None:
    conference = create(store, config)
    store.set_mailed(conference.id)
    updated = update_conference(
        store, config, conference.id, ConferenceChanges(title="New", location="Room 2"), NOW
    )
    assert updated.sequence == 1
    unmailed = update_conference(
        store, config, conference.id, ConferenceChanges(dial_in_before_minutes=3), NOW
    )
    assert unmailed.sequence == 1
    same = update_conference(store, config, conference.id, ConferenceChanges(title="New"), NOW)
    assert same.sequence == 1
    moved = update_conference(
        store, config, conference.id, ConferenceChanges(start="2030-03-05T10:00"), NOW
    )
    assert moved.sequence == 2


def test_update_never_changes_pins_and_keeps_participant_ids(store: Store, config: Config) -> None:
    conference = create(store, config)
    store.set_mailed(conference.id)
    ann, bob = conference.participants
    changes = ConferenceChanges(
        add_participants=["Cy <cy@example.org>"],
        remove_participants=["BOB@example.org"],
        duration_minutes=90,
    )
    updated = update_conference(store, config, conference.id, changes, NOW)
    assert (updated.guest_pin, updated.moderator_pin) == (
        conference.guest_pin,
        conference.moderator_pin,
    )
    assert [p.name for p in updated.participants] == ["Ann Admin", "Cy"]
    assert (updated.participants[0].id, updated.participants[0].pin) == (ann.id, ann.pin)
    assert updated.participants[1].pin and updated.participants[1].pin != ann.pin
    assert updated.sequence == 1


def test_replacing_the_list_keeps_people_already_invited(store: Store, config: Config) -> None:
    conference = create(store, config)
    ann, bob = conference.participants
    changes = ConferenceChanges(
        participants=["Bobby <bob@example.org>;moderator", "Dee <dee@example.org>"]
    )
    updated = update_conference(store, config, conference.id, changes, NOW)
    assert [(p.name, p.role) for p in updated.participants] == [
        ("Bobby", Role.MODERATOR),
        ("Dee", Role.PARTICIPANT),
    ]
    assert (updated.participants[0].id, updated.participants[0].pin) == (bob.id, bob.pin)


def test_remove_by_id(store: Store, config: Config) -> None:
    conference = create(store, config)
    updated = update_conference(
        store,
        config,
        conference.id,
        ConferenceChanges(remove_participants=[str(conference.participants[0].id)]),
        NOW,
    )
    assert [p.email for p in updated.participants] == ["bob@example.org"]


def test_changing_only_the_time_zone_keeps_the_wall_time(store: Store, config: Config) -> None:
    conference = create(store, config)
    updated = update_conference(
        store, config, conference.id, ConferenceChanges(timezone="Europe/London"), NOW
    )
    assert updated.start == datetime(2030, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def test_exdates_must_be_occurrences(store: Store, config: Config) -> None:
    conference = create(store, config, rrule="FREQ=WEEKLY;BYDAY=MO")
    skip = ConferenceChanges(add_exdates=["2030-03-11T10:00"])
    updated = update_conference(store, config, conference.id, skip, NOW)
    assert updated.exdates == [datetime(2030, 3, 11, 10, 0, tzinfo=BERLIN)]
    with pytest.raises(ValidationError) as error:
        update_conference(
            store, config, conference.id, ConferenceChanges(add_exdates=["2030-03-12T10:00"]), NOW
        )
    assert (error.value.field, error.value.value) == ("exdate", "2030-03-12T10:00")


def test_exdate_given_with_an_offset_matches_the_occurrence_in_utc(
    store: Store, config: Config
) -> None:
    conference = create(store, config, rrule="FREQ=WEEKLY;BYDAY=MO")
    same_instant = ConferenceChanges(add_exdates=["2030-03-11T09:00:00+00:00"])
    updated = update_conference(store, config, conference.id, same_instant, NOW)
    assert [d.astimezone(UTC) for d in updated.exdates] == [datetime(2030, 3, 11, 9, 0, tzinfo=UTC)]
    again = ConferenceChanges(add_exdates=["2030-03-11T10:00"])
    assert len(update_conference(store, config, conference.id, again, NOW).exdates) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (ConferenceChanges(rrule="FREQ=HOURLY;INTERVAL=0"), "rrule"),
        (ConferenceChanges(timezone="Nowhere/Land"), "timezone"),
        (ConferenceChanges(start="2029-01-01T10:00"), "start"),
        (ConferenceChanges(duration_minutes=0), "duration"),
        (ConferenceChanges(dial_in_before_minutes=-10), "dial_in_before"),
        (ConferenceChanges(reply_to="x@"), "reply_to"),
        (
            ConferenceChanges(add_participants=["Zed <zed@example.org>;phone=12ab"]),
            "add_participant",
        ),
        (ConferenceChanges(add_participants=["Bob Again <bob@example.org>"]), "participant"),
        (ConferenceChanges(remove_participants=["ghost@example.org"]), "remove_participant"),
        (ConferenceChanges(add_exdates=["2030-03-11T10:00"]), "exdate"),
    ],
)
def test_bad_updates_change_nothing(
    store: Store, config: Config, changes: ConferenceChanges, field: str
) -> None:
    conference = create(store, config)
    with pytest.raises(ValidationError) as error:
        update_conference(store, config, conference.id, changes, NOW)
    assert error.value.field.startswith(field)
    assert store.get_conference(conference.id) == conference


def test_update_of_a_missing_conference_is_not_found(store: Store, config: Config) -> None:
    with pytest.raises(NotFoundError):
        update_conference(store, config, 99, ConferenceChanges(title="x"), NOW)
    with pytest.raises(NotFoundError):
        cancel_conference(store, 99)


def test_cancel_marks_cancelled_and_bumps_sequence_when_mailed(
    store: Store, config: Config
) -> None:
    quiet = create(store, config)
    assert cancel_conference(store, quiet.id).sequence == 0
    mailed = create(store, config)
    store.set_mailed(mailed.id)
    cancelled = cancel_conference(store, mailed.id)
    assert (cancelled.status, cancelled.sequence) == (ConferenceStatus.CANCELLED, 1)
    assert cancel_conference(store, mailed.id).sequence == 1
    with pytest.raises(ValidationError) as error:
        update_conference(store, config, mailed.id, ConferenceChanges(title="back"), NOW)
    assert error.value.field == "status"


def test_participants_can_be_named_from_the_phone_book(
    store: Store, config: Config, tmp_path: Path
) -> None:
    book = tmp_path / "contacts.csv"
    book.write_text(
        "name,number,email\nCarla Chef,+49 30 999,carla@example.org\nDesk,1009,\n", encoding="utf-8"
    )
    with_book = dataclasses.replace(config, phonebook=str(book))
    conference = create(
        store,
        with_book,
        participants=["carla chef;moderator;call", "Guest Desk <desk@example.org>;phone=Desk"],
    )
    carla, desk = conference.participants
    assert (carla.name, carla.email, carla.phone, carla.role, carla.call) == (
        "Carla Chef",
        "carla@example.org",
        "+4930999",
        Role.MODERATOR,
        True,
    )
    assert (desk.email, desk.phone) == ("desk@example.org", "1009")
    with pytest.raises(ValidationError) as error:
        create(store, with_book, participants=["Somebody Else"])
    assert (error.value.field, error.value.value) == ("participant", "Somebody Else")
    assert len(store.list_conferences()) == 1
