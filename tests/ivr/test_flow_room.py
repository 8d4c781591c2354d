"""Entering the room: locked rooms, size limit, muting, waiting for the moderator,
the member count, the caller's name, and the room ending with the last moderator."""

from __future__ import annotations

from pathlib import Path

import gevent

from fs_conf.ivr.room_names import room_name
from fs_conf.model import RoomOptions, RoomState

from .conftest import GUEST_PIN, MODERATOR_PIN, START, AppLog, Bridge, wait_until

LOCKED = "conference/conf-locked.wav"
FULL = "conference/conf-conference_is_full.wav"
GOODBYE = "conference/conf-goodbye.wav"


def test_a_locked_room_refuses_participants_and_admits_moderators(bridge: Bridge) -> None:
    conference = bridge.conference()
    bridge.store.save_room_state(RoomState(conference.id, START, locked=True))
    participant = bridge.enter(GUEST_PIN)
    participant.wait_hangup()
    assert participant.heard[-2:] == [LOCKED, GOODBYE]
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1002")
    assert bridge.member(moderator).moderator


def test_a_moderator_gets_into_a_room_freeswitch_locked(bridge: Bridge) -> None:
    conference = bridge.conference()
    first = bridge.enter(MODERATOR_PIN)
    bridge.member(first)
    room = room_name(conference.id)
    assert bridge.sim.api(f"conference {room} lock").startswith("+OK")
    wait_until(lambda: bridge.ivr.rooms.state(room).locked)
    participant = bridge.enter(GUEST_PIN, caller_id="1002")
    participant.wait_hangup()
    assert LOCKED in participant.heard
    second = bridge.enter(MODERATOR_PIN, caller_id="1003")
    assert bridge.member(second).moderator


def test_the_room_size_limit_refuses_participants_but_not_moderators(bridge: Bridge) -> None:
    bridge.conference(options=RoomOptions(max_members=2))
    inside = [bridge.enter(GUEST_PIN, caller_id=f"10{n}") for n in range(2)]
    for call in inside:
        bridge.member(call)
    third = bridge.enter(GUEST_PIN, caller_id="1009")
    third.wait_hangup()
    assert third.heard[-2:] == [FULL, GOODBYE]
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1010")
    assert bridge.member(moderator).moderator


def test_participants_can_start_muted(bridge: Bridge) -> None:
    bridge.conference(options=RoomOptions(start_muted=True))
    participant = bridge.enter(GUEST_PIN)
    assert not bridge.member(participant).can_speak
    assert "conference/conf-muted.wav" in participant.heard
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1002")
    assert bridge.member(moderator).can_speak


def test_after_mute_all_later_participants_join_muted(bridge: Bridge) -> None:
    conference = bridge.conference()
    early = bridge.enter(GUEST_PIN)
    assert bridge.member(early).can_speak
    bridge.store.save_room_state(RoomState(conference.id, START, muted_all=True))
    late = bridge.enter(GUEST_PIN, caller_id="1002")
    assert not bridge.member(late).can_speak
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1003")
    assert bridge.member(moderator).can_speak


def test_mute_all_from_the_keypad_reaches_later_participants(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN)
    bridge.member(moderator)
    moderator.press("*1")
    wait_until(lambda: bridge.ivr.rooms.state(room_name(conference.id)).muted_all)
    late = bridge.enter(GUEST_PIN, caller_id="1002")
    assert not bridge.member(late).can_speak


def test_participants_can_wait_for_the_moderator(bridge: Bridge) -> None:
    conference = bridge.conference(options=RoomOptions(wait_for_moderator=True))
    participant = bridge.enter(GUEST_PIN)
    bridge.member(participant)
    assert "conference/conf-conference_will_start_shortly.wav" in participant.heard
    assert bridge.room(conference).wait_mod
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1002")
    bridge.member(moderator)
    assert not bridge.room(conference).wait_mod


def test_the_room_can_end_with_the_last_moderator(bridge: Bridge) -> None:
    bridge.conference(options=RoomOptions(end_with_last_moderator=True))
    moderator = bridge.enter(MODERATOR_PIN)
    assert bridge.member(moderator).mandatory
    participant = bridge.enter(GUEST_PIN, caller_id="1002")
    assert not bridge.member(participant).mandatory
    moderator.hangup()
    participant.wait_hangup()
    bridge.wait_calls_gone()


def test_by_default_the_room_outlives_the_moderator(bridge: Bridge) -> None:
    bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN)
    assert not bridge.member(moderator).mandatory
    participant = bridge.enter(GUEST_PIN, caller_id="1002")
    bridge.member(participant)
    moderator.hangup()
    moderator.wait_hangup()
    assert participant.alive and participant.member is not None


def test_callers_hear_how_many_are_already_in_the_room(bridge: Bridge) -> None:
    bridge.conference()
    first = bridge.enter(GUEST_PIN, caller_id="1001")
    bridge.member(first)
    second = bridge.enter(GUEST_PIN, caller_id="1002")
    bridge.member(second)
    with AppLog(bridge.sim) as apps:
        third = bridge.enter(GUEST_PIN, caller_id="1003")
        bridge.member(third)
    assert "conference/conf-alone.wav" in first.heard
    assert "conference/conf-one_other_member_conference.wav" in second.heard
    assert "ivr/ivr-there_are.wav" in third.heard
    assert "conference/conf-members_in_conference.wav" in third.heard
    assert apps.of(third, "say") == ["en NUMBER pronounced 2"]


def test_callers_can_be_asked_to_say_their_name(bridge: Bridge) -> None:
    bridge.conference(options=RoomOptions(announce_names=True))
    names = Path(bridge.config.ivr.recordings_dir).resolve() / "names"
    listener = bridge.enter(MODERATOR_PIN, caller_id="1001")
    bridge.member(listener)
    with AppLog(bridge.sim) as apps:
        speaker = bridge.enter(GUEST_PIN, caller_id="1002")
        bridge.member(speaker)
        [recorded] = apps.of(speaker, "record")
    path, seconds = recorded.split()
    assert Path(path).parent == names and seconds == "3"
    assert "ivr/ivr-say_name.wav" in speaker.heard
    listener.wait_heard(path)
    listener.wait_heard("conference/conf-has_joined.wav")
    speaker.hangup()
    listener.wait_heard(path)
    listener.wait_heard("conference/conf-has_left.wav")
    wait_until(lambda: bridge.ivr.active_calls == 1)
    assert not Path(path).exists()


def test_guests_typing_the_pin_at_once_never_overfill_the_room(bridge: Bridge) -> None:
    conference = bridge.conference(options=RoomOptions(max_members=1))
    guests = [bridge.call(caller_id=f"100{n}") for n in range(3)]
    for guest in guests:
        guest.wait_heard("conference/conf-pin")
    gevent.joinall([gevent.spawn(guest.press, GUEST_PIN + "#") for guest in guests])
    wait_until(lambda: sum(guest.alive for guest in guests) == 1)
    [inside] = [guest for guest in guests if guest.alive]
    bridge.member(inside)
    refused = [guest for guest in guests if guest is not inside]
    for guest in refused:
        guest.wait_hangup()
        assert guest.heard[-2:] == [FULL, GOODBYE] and guest.member is None
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1009")
    assert bridge.member(moderator).moderator
    assert len(bridge.room(conference).members) == 2


def test_a_guest_who_hangs_up_on_the_way_in_frees_the_seat(bridge: Bridge) -> None:
    bridge.conference(options=RoomOptions(max_members=1, announce_names=True))
    leaving = bridge.enter(GUEST_PIN, caller_id="1001")
    leaving.wait_heard("ivr/ivr-say_name.wav")
    blocked = bridge.enter(GUEST_PIN, caller_id="1002")
    blocked.wait_hangup()
    assert FULL in blocked.heard
    leaving.hangup()
    wait_until(lambda: bridge.ivr.active_calls == 0)
    after = bridge.enter(GUEST_PIN, caller_id="1003")
    assert not bridge.member(after).moderator


def test_a_member_who_leaves_frees_the_seat(bridge: Bridge) -> None:
    bridge.conference(options=RoomOptions(max_members=1))
    first = bridge.enter(GUEST_PIN, caller_id="1001")
    bridge.member(first)
    first.hangup()
    wait_until(lambda: bridge.ivr.active_calls == 0)
    second = bridge.enter(GUEST_PIN, caller_id="1002")
    bridge.member(second)
