"""Roles: the PIN (or, where allowed, the caller ID) decides who the caller is."""

from __future__ import annotations

from fs_conf.model import Conference, ParticipantStatus, Role

from .conftest import GUEST_PIN, MODERATOR_PIN, START, Bridge, BridgeFactory, person

BOSS_PIN = "5555555555"
ANN_PIN = "66666666"


def with_people(bridge: Bridge) -> Conference:
    return bridge.conference(
        participants=[
            person("Boss", Role.MODERATOR, BOSS_PIN, phone="1001"),
            person("Ann", Role.PARTICIPANT, ANN_PIN, phone="1002"),
        ]
    )


def test_a_participants_personal_pin_identifies_them(bridge: Bridge) -> None:
    conference = with_people(bridge)
    ann = conference.participants[1]
    call = bridge.enter(ANN_PIN, caller_id="1002")
    assert not bridge.member(call).moderator
    assert call.var("fs_conf_participant_id") == str(ann.id)
    assert call.var("fs_conf_role") == "participant"
    stays = bridge.store.attendance_for(conference.id, START)
    assert [(s.participant_id, s.role, s.caller_id, s.left_at) for s in stays] == [
        (ann.id, Role.PARTICIPANT, "1002", None)
    ]
    assert (
        bridge.store.get_conference(conference.id).participants[1].status
        is ParticipantStatus.JOINED
    )
    call.hangup()
    bridge.wait_calls_gone()
    [stay] = bridge.store.attendance_for(conference.id, START)
    assert stay.left_at is not None and stay.left_at >= stay.joined_at
    assert (
        bridge.store.get_conference(conference.id).participants[1].status is ParticipantStatus.LEFT
    )


def test_a_moderators_personal_pin_makes_them_moderator(bridge: Bridge) -> None:
    conference = with_people(bridge)
    call = bridge.enter(BOSS_PIN, caller_id="555")
    assert bridge.member(call).moderator
    assert call.var("fs_conf_participant_id") == str(conference.participants[0].id)
    [stay] = bridge.store.attendance_for(conference.id, START)
    assert (stay.role, stay.participant_id) == (Role.MODERATOR, conference.participants[0].id)


def test_the_conference_moderator_pin_makes_an_anonymous_moderator(bridge: Bridge) -> None:
    conference = with_people(bridge)
    call = bridge.enter(MODERATOR_PIN)
    assert bridge.member(call).moderator
    assert call.var("fs_conf_participant_id") is None
    [stay] = bridge.store.attendance_for(conference.id, START)
    assert (stay.role, stay.participant_id) == (Role.MODERATOR, None)


def test_the_guest_pin_makes_an_anonymous_participant(bridge: Bridge) -> None:
    conference = with_people(bridge)
    call = bridge.enter(GUEST_PIN, caller_id="1001")
    assert not bridge.member(call).moderator
    [stay] = bridge.store.attendance_for(conference.id, START)
    assert (stay.role, stay.participant_id) == (Role.PARTICIPANT, None)


def test_caller_id_alone_never_makes_a_moderator_by_default(bridge: Bridge) -> None:
    with_people(bridge)
    call = bridge.call(caller_id="1001")
    call.wait_heard("conference/conf-pin.wav")
    call.press(GUEST_PIN + "#")
    assert not bridge.member(call).moderator


def test_caller_id_makes_a_moderator_where_the_admin_allows_it(
    bridge_factory: BridgeFactory,
) -> None:
    bridge = bridge_factory(conference={"moderator_by_caller_id": True})
    conference = with_people(bridge)
    call = bridge.call(caller_id="1001")
    assert bridge.member(call).moderator
    assert "conference/conf-pin.wav" not in call.heard
    assert call.var("fs_conf_participant_id") == str(conference.participants[0].id)
    participant = bridge.call(caller_id="1002")
    participant.wait_heard("conference/conf-pin.wav")
    participant.hangup()
