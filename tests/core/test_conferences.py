"""The conference service: validation of every input, PINs, SEQUENCE rules, phone-book names."""

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
    Created,
    Remembered,
    cancel_conference,
    check_request,
    create_checked,
    create_conference,
    update_conference,
)
from fs_conf.config import ConferenceDefaults, Config, NumbersConfig, PinsConfig
from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.model import ConferenceStatus, OverrideStatus, Role, RoomOptions
from fs_conf.scheduler.plan import invited, mailing_needed, plan_mailing
from fs_conf.store import Mailing, Store, open_store

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
        announce_names=True,
    )
    assert conference.options == RoomOptions(True, True, True, 9, True)
    assert store.get_conference(conference.id).options == conference.options


def test_room_options_default_from_the_config_and_change_one_by_one(
    store: Store, config: Config
) -> None:
    defaults = ConferenceDefaults(announce_names=True, start_muted=True, max_members=20)
    named = dataclasses.replace(config, conference=defaults)
    conference = create(store, named)
    assert conference.options == RoomOptions(start_muted=True, max_members=20, announce_names=True)
    quiet = update_conference(
        store, named, conference.id, ConferenceChanges(announce_names=False), NOW
    )
    assert quiet.options == RoomOptions(start_muted=True, max_members=20, announce_names=False)
    changed = update_conference(
        store, named, conference.id,
        ConferenceChanges(start_muted=False, wait_for_moderator=True, end_with_last_moderator=True, max_members=0),
        NOW,
    )  # fmt: skip
    assert changed.options == RoomOptions(False, True, True, 0, False)
    assert conference_json(changed, NOW)["options"] == dataclasses.asdict(changed.options)


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "rrule", "FREQ=SOMETIMES"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Mars/Olympus_Mons"),
        # the value as typed, not the instant it was converted to
        ({"start": "2030-02-01T10:00"}, "start", "2030-02-01T10:00"),
        ({"start": "2030-02-01T09:00:00Z"}, "start", "2030-02-01T09:00:00Z"),
        ({"start": "next tuesday"}, "start", "next tuesday"),
        ({"start": "2030-03-04"}, "start", "2030-03-04"),
        ({"start": "2030-03-31T02:30"}, "start", "2030-03-31T02:30"),
        ({"duration_minutes": 0}, "duration", 0),
        ({"duration_minutes": -5}, "duration", -5),
        ({"duration_minutes": 24 * 60 + 1}, "duration", 1441),
        ({"dial_in_before_minutes": -1}, "dial_in_before", -1),
        ({"dial_in_before_minutes": 24 * 60 + 1}, "dial_in_before", 1441),
        ({"reply_to": "not-an-address"}, "reply_to", "not-an-address"),
        ({"organizer": "boss@"}, "organizer", "boss@"),
        ({"participants": ["Eve <eve@@example.org>"]}, "participant", "eve@@example.org"),
        (
            {"participants": ["Eve <eve@example.org>;phone=0800-CALL-EVE"]},
            "participant",
            "0800-CALL-EVE",
        ),
        (
            {"participants": [BOB, "Robert <BOB@example.org>"]},
            "participant",
            "Robert <BOB@example.org>",
        ),
        (
            {"participants": ["Desk;phone=+49 30 1", "Hall;phone=+49-30-1"]},
            "participant",
            "Hall;phone=+49-30-1",
        ),
        ({"participants": ["Nobody In Particular"]}, "participant", "Nobody In Particular"),
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
    assert (error.value.field, error.value.value) == (field, value)
    assert store.list_conferences(include_cancelled=True) == []


def test_a_recurring_conference_may_have_started_in_the_past(store: Store, config: Config) -> None:
    conference = create(store, config, start="2030-01-07T10:00", rrule="FREQ=WEEKLY;BYDAY=MO")
    assert conference.rrule is not None
    data = conference_json(conference, NOW)
    # start and end are one sitting, the series' first; next_* the next one not yet over
    assert (data["start"], data["end"]) == (
        "2030-01-07T10:00:00+01:00",
        "2030-01-07T11:00:00+01:00",
    )
    assert (data["next_start"], data["next_end"]) == (
        "2030-03-04T10:00:00+01:00",
        "2030-03-04T11:00:00+01:00",
    )


def test_json_next_sitting_is_the_running_one_with_its_extension_and_null_when_over(
    store: Store, config: Config
) -> None:
    conference = create(store, config, rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    store.add_extension(conference.id, conference.start, 15)
    extended = store.get_conference(conference.id)
    running = conference_json(extended, datetime(2030, 3, 4, 10, 5, tzinfo=BERLIN))
    assert (running["start"], running["end"]) == (
        "2030-03-04T10:00:00+01:00",
        "2030-03-04T11:00:00+01:00",
    )
    assert (running["next_start"], running["next_end"]) == (
        "2030-03-04T10:00:00+01:00",
        "2030-03-04T11:15:00+01:00",
    )
    between = conference_json(extended, datetime(2030, 3, 4, 11, 20, tzinfo=BERLIN))
    assert between["next_start"] == "2030-03-11T10:00:00+01:00"
    over = conference_json(extended, datetime(2030, 3, 11, 11, 0, tzinfo=BERLIN))
    assert (over["next_start"], over["next_end"]) == (None, None)
    assert over["start"] == "2030-03-04T10:00:00+01:00"
    cancelled = conference_json(cancel_conference(store, conference.id), NOW)
    assert (cancelled["next_start"], cancelled["next_end"]) == (None, None)


def test_json_has_exactly_the_documented_keys(store: Store, config: Config) -> None:
    conference = create(store, config)
    data = conference_json(conference, NOW)
    assert list(data) == [
        "id", "title", "number", "external_number", "guest_pin", "moderator_pin", "uid",
        "sequence", "start", "end", "next_start", "next_end", "timezone", "rrule", "status",
        "organizer", "reply_to", "options", "exceptions", "participants",
    ]  # fmt: skip
    assert data["exceptions"] == []
    assert data["start"] == data["next_start"] == "2030-03-04T10:00:00+01:00"
    assert data["end"] == data["next_end"] == "2030-03-04T11:00:00+01:00"
    assert data["options"] == {
        "start_muted": False, "wait_for_moderator": False, "end_with_last_moderator": False,
        "max_members": 0, "announce_names": False,
    }  # fmt: skip
    assert list(data["participants"][0]) == [
        "id", "name", "email", "phone", "role", "pin", "call", "status"
    ]  # fmt: skip
    assert data["participants"][0]["role"] == "moderator"
    assert isinstance(data["guest_pin"], str)


def create_with_memory(store: Store, config: Config, **changes: object) -> Created:
    return create_checked(store, config, check_request(config, request(**changes), NOW))


def test_the_organizers_reply_to_and_first_invitee_fill_their_next_conference(
    store: Store, config: Config
) -> None:
    first = create_with_memory(
        store, config, organizer="boss@example.org", reply_to="team@example.org"
    )
    assert first.remembered == Remembered()
    memory = store.recall_organizer("boss@example.org")
    assert (memory.reply_to, memory.first_invitee) == (
        "team@example.org",
        "Ann Admin <ann@example.org>;phone=+4930111;moderator;call",
    )
    later = create_with_memory(store, config, organizer="Boss@example.org", participants=[])
    assert later.remembered == Remembered("team@example.org", memory.first_invitee)
    assert later.conference.reply_to == "team@example.org"
    [ann] = later.conference.participants
    assert (ann.name, ann.email, ann.phone, ann.role, ann.call) == (
        "Ann Admin", "ann@example.org", "+4930111", Role.MODERATOR, True,
    )  # fmt: skip
    assert ann.pin not in {p.pin for p in first.conference.participants}


def test_what_a_request_names_wins_over_the_memory_and_is_remembered(
    store: Store, config: Config
) -> None:
    create_with_memory(store, config, organizer="boss@example.org", reply_to="team@example.org")
    named = create_with_memory(
        store, config, organizer="boss@example.org", reply_to="desk@example.org", participants=[BOB]
    )
    assert named.remembered == Remembered()
    assert (named.conference.reply_to, [p.email for p in named.conference.participants]) == (
        "desk@example.org",
        ["bob@example.org"],
    )
    memory = store.recall_organizer("boss@example.org")
    assert (memory.reply_to, memory.first_invitee) == ("desk@example.org", "Bob <bob@example.org>")
    assert (
        create_with_memory(store, config, organizer="other@example.org").remembered == Remembered()
    )


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
    same = update_conference(store, config, conference.id, ConferenceChanges(title="New"), NOW)
    assert same.sequence == 1
    moved = update_conference(
        store, config, conference.id, ConferenceChanges(start="2030-03-05T10:00"), NOW
    )
    assert moved.sequence == 2


@pytest.mark.parametrize(
    "changes",
    [
        ConferenceChanges(title="Budget"),
        ConferenceChanges(description="Agenda: <number>"),
        ConferenceChanges(location="Room 2"),
        ConferenceChanges(start="2030-03-04T11:00"),
        ConferenceChanges(timezone="Europe/London"),
        ConferenceChanges(duration_minutes=90),
        # the mails say "You can dial in from 10 minutes before the start"
        ConferenceChanges(dial_in_before_minutes=3),
        ConferenceChanges(rrule="FREQ=WEEKLY;BYDAY=MO"),
        # the invitation names the organizer, the calendar's ORGANIZER is the reply-to address
        ConferenceChanges(organizer="chief@example.org"),
        ConferenceChanges(reply_to="team@example.org"),
        ConferenceChanges(add_participants=["Cy <cy@example.org>"]),
        ConferenceChanges(remove_participants=["bob@example.org"]),
        ConferenceChanges(participants=[ANN, "Robert <bob@example.org>"]),
        ConferenceChanges(participants=[ANN, "Bob <bob@example.org>;moderator"]),
    ],
)
def test_every_mailed_field_bumps_the_sequence_and_the_scheduler_mails_an_update(
    store: Store, config: Config, changes: ConferenceChanges
) -> None:
    conference = create(store, config)
    store.set_mailed(conference.id)
    mailed = Mailing(conference.id, conference.sequence, invited(conference), NOW)
    assert not mailing_needed(conference, mailed, NOW)
    updated = update_conference(store, config, conference.id, changes, NOW)
    assert updated.sequence == conference.sequence + 1
    assert mailing_needed(updated, mailed, NOW)
    assert {p.email for p in plan_mailing(updated, mailed, NOW).update} >= {"ann@example.org"}


@pytest.mark.parametrize(
    "changes",
    [
        ConferenceChanges(start_muted=True, max_members=5, announce_names=True),
        ConferenceChanges(participants=[ANN, "Bob <bob@example.org>;phone=1002;call"]),
        ConferenceChanges(add_participants=["Desk;phone=1009"]),
    ],
)
def test_changes_no_mail_shows_keep_the_sequence(
    store: Store, config: Config, changes: ConferenceChanges
) -> None:
    conference = create(store, config)
    store.set_mailed(conference.id)
    assert update_conference(store, config, conference.id, changes, NOW).sequence == 0


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
    changes = ConferenceChanges(participants=["Bobby <BOB@example.org>", "Dee <dee@example.org>"])
    updated = update_conference(store, config, conference.id, changes, NOW)
    assert [(p.name, p.role) for p in updated.participants] == [
        ("Bobby", Role.PARTICIPANT),
        ("Dee", Role.PARTICIPANT),
    ]
    assert (updated.participants[0].id, updated.participants[0].pin) == (bob.id, bob.pin)


def test_a_promotion_to_moderator_gets_a_moderator_length_pin_and_the_update_mail_carries_it(
    store: Store, config: Config
) -> None:
    conference = create(store, config)
    store.set_mailed(conference.id)
    mailed = Mailing(conference.id, 0, invited(conference), NOW)
    ann, bob = conference.participants
    promoted = update_conference(
        store, config, conference.id, ConferenceChanges(participants=[ANN, f"{BOB};moderator"]), NOW
    )
    new_bob = promoted.participants[1]
    assert (new_bob.id, new_bob.role) == (bob.id, Role.MODERATOR)
    assert len(bob.pin) == config.pins.personal_length < config.pins.moderator_length
    assert len(new_bob.pin) == config.pins.moderator_length
    assert new_bob.pin not in {bob.pin, ann.pin, promoted.guest_pin, promoted.moderator_pin}
    assert promoted.participants[0].pin == ann.pin  # nobody else's PIN changes
    assert promoted.sequence == 1
    [update] = [p for p in plan_mailing(promoted, mailed, NOW).update if p.email == bob.email]
    assert update.pin == new_bob.pin
    # demotion keeps the longer PIN: it is still hard enough to guess, and it was mailed
    demoted = update_conference(
        store, config, conference.id, ConferenceChanges(participants=[ANN, BOB]), NOW
    )
    assert (demoted.participants[1].role, demoted.participants[1].pin) == (
        Role.PARTICIPANT,
        new_bob.pin,
    )


def test_a_promotion_keeps_a_pin_that_is_long_enough_already(store: Store, config: Config) -> None:
    same_lengths = dataclasses.replace(config, pins=PinsConfig(personal_length=10))
    conference = create(store, same_lengths)
    bob = conference.participants[1]
    promoted = update_conference(
        store,
        same_lengths,
        conference.id,
        ConferenceChanges(participants=[ANN, f"{BOB};moderator"]),
        NOW,
    )
    assert (promoted.participants[1].role, promoted.participants[1].pin) == (
        Role.MODERATOR,
        bob.pin,
    )


def test_a_participant_without_e_mail_is_recognised_by_phone_number(
    store: Store, config: Config
) -> None:
    conference = create(store, config, participants=[ANN, "Desk;phone=1009;call"])
    store.set_mailed(conference.id)
    ann, desk = conference.participants
    relisted = update_conference(
        store, config, conference.id,
        ConferenceChanges(participants=[ANN, "Front Desk;phone=10-09;call", "Hall;phone=1010"]), NOW,
    )  # fmt: skip
    kept, hall = relisted.participants[1:]
    assert (kept.name, kept.id, kept.pin, kept.status) == (
        "Front Desk",
        desk.id,
        desk.pin,
        desk.status,
    )
    assert hall.id not in {ann.id, desk.id} and hall.pin not in {ann.pin, desk.pin}
    assert relisted.participants[0].pin == ann.pin


def test_each_current_participant_is_matched_once_e_mail_first(
    store: Store, config: Config
) -> None:
    conference = create(store, config, participants=["Ann <ann@example.org>;phone=1001", BOB])
    ann, bob = conference.participants
    # "Voice" has Ann's number but no address; Ann herself is listed too, after it
    relisted = update_conference(
        store, config, conference.id,
        ConferenceChanges(participants=["Voice;phone=1001", "Ann <ann@example.org>", BOB]), NOW,
    )  # fmt: skip
    voice, new_ann, new_bob = relisted.participants
    assert (new_ann.id, new_ann.pin) == (ann.id, ann.pin)
    assert (new_bob.id, new_bob.pin) == (bob.id, bob.pin)
    assert voice.id not in {ann.id, bob.id} and voice.pin != ann.pin


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
    # --exdate cancels the sitting on its own (fs_conf.timetable.sitting_changes), the series keeps no EXDATE
    assert updated.exdates == []
    assert [(o.original_start, o.status) for o in updated.overrides] == [
        (datetime(2030, 3, 11, 10, 0, tzinfo=BERLIN), OverrideStatus.CANCELLED)
    ]
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
    cancelled = [o.original_start.astimezone(UTC) for o in updated.overrides]
    assert cancelled == [datetime(2030, 3, 11, 9, 0, tzinfo=UTC)]
    again = ConferenceChanges(add_exdates=["2030-03-11T10:00"])
    assert len(update_conference(store, config, conference.id, again, NOW).overrides) == 1


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        (ConferenceChanges(rrule="FREQ=HOURLY;INTERVAL=0"), "rrule", "FREQ=HOURLY;INTERVAL=0"),
        (ConferenceChanges(timezone="Nowhere/Land"), "timezone", "Nowhere/Land"),
        (ConferenceChanges(start="2029-01-01T10:00"), "start", "2029-01-01T10:00"),
        (ConferenceChanges(start="2030-03-31T02:30"), "start", "2030-03-31T02:30"),
        (ConferenceChanges(duration_minutes=0), "duration", 0),
        (ConferenceChanges(dial_in_before_minutes=-10), "dial_in_before", -10),
        (ConferenceChanges(dial_in_before_minutes=1441), "dial_in_before", 1441),
        (ConferenceChanges(reply_to="x@"), "reply_to", "x@"),
        (ConferenceChanges(max_members=-1), "max_members", -1),
        (
            ConferenceChanges(add_participants=["Zed <zed@example.org>;phone=12ab"]),
            "add_participant",
            "12ab",
        ),
        (
            ConferenceChanges(add_participants=["Bob Again <bob@example.org>"]),
            "add_participant",
            "Bob Again <bob@example.org>",
        ),
        (
            ConferenceChanges(participants=[BOB, "Bobby <BOB@example.org>"]),
            "participant",
            "Bobby <BOB@example.org>",
        ),
        (
            ConferenceChanges(remove_participants=["ghost@example.org"]),
            "remove_participant",
            "ghost@example.org",
        ),
        (ConferenceChanges(add_exdates=["2030-03-11T10:00"]), "exdate", "2030-03-11T10:00"),
    ],
)
def test_bad_updates_change_nothing(
    store: Store, config: Config, changes: ConferenceChanges, field: str, value: object
) -> None:
    conference = create(store, config)
    with pytest.raises(ValidationError) as error:
        update_conference(store, config, conference.id, changes, NOW)
    assert (error.value.field, error.value.value) == (field, value)
    assert store.get_conference(conference.id) == conference


def test_removing_the_recurrence_of_a_series_begun_in_the_past_names_the_rrule(
    store: Store, config: Config
) -> None:
    series = create(store, config, start="2030-01-07T10:00", rrule="FREQ=WEEKLY;BYDAY=MO")
    with pytest.raises(ValidationError) as error:
        update_conference(store, config, series.id, ConferenceChanges(rrule=""), NOW)
    assert (error.value.field, error.value.value) == ("rrule", "")
    assert "puts the start in the past (2030-01-07 10:00 CET)" in error.value.problem


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
