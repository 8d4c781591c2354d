"""A caller hanging up at any point of the flow leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from fs_conf.model import ParticipantStatus, Role, RoomOptions, RoomState

from .conftest import (
    GUEST_PIN,
    START,
    AppLog,
    Bridge,
    BridgeFactory,
    person,
    wait_until,
)

ANN_PIN = "66666666"


def assert_nothing_left(bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    wait_until(lambda: not bridge.sim.channels and bridge.ivr.active_calls == 0)
    names = Path(bridge.config.ivr.recordings_dir).resolve() / "names"
    assert list(names.iterdir()) == []
    assert bridge.ivr.services.seats.held == {}
    problems = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert problems == []


@pytest.mark.parametrize(
    "heard",
    [None, "conference/conf-welcome.wav", "conference/conf-pin.wav", "conference/conf-bad-pin.wav"],
    ids=["at-once", "welcome", "pin-prompt", "bad-pin"],
)
def test_hanging_up_before_the_room(
    bridge: Bridge, caplog: pytest.LogCaptureFixture, heard: str | None
) -> None:
    bridge.conference()
    call = bridge.call()
    if heard == "conference/conf-bad-pin.wav":
        call.wait_heard("conference/conf-pin.wav")
        call.press("1#")
    if heard is not None:
        call.wait_heard(heard)
    call.hangup()
    assert_nothing_left(bridge, caplog)


def test_hanging_up_while_typing_the_pin(bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    bridge.conference()
    call = bridge.call()
    call.wait_heard("conference/conf-pin.wav")
    call.press("1111")
    call.hangup()
    assert_nothing_left(bridge, caplog)


def test_hanging_up_while_the_room_is_announced(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    conference = bridge.conference(options=RoomOptions(wait_for_moderator=True))
    call = bridge.enter("11111111")
    call.wait_heard("conference/conf-alone.wav")
    call.hangup()
    assert_nothing_left(bridge, caplog)
    assert bridge.store.attendance_for(conference.id, START) == []


def test_hanging_up_in_the_room_closes_the_attendance(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    conference = bridge.conference(participants=[person("Ann", Role.PARTICIPANT, ANN_PIN)])
    call = bridge.enter(ANN_PIN)
    bridge.member(call)
    bridge.clock.advance(minutes=10)
    call.hangup()
    assert_nothing_left(bridge, caplog)
    [stay] = bridge.store.attendance_for(conference.id, START)
    assert stay.left_at == stay.joined_at + timedelta(minutes=10)
    ann = bridge.store.get_conference(conference.id).participants[0]
    assert ann.status is ParticipantStatus.LEFT


def test_hanging_up_while_saying_the_name(bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    bridge.conference(options=RoomOptions(announce_names=True))
    call = bridge.enter("11111111")
    call.wait_heard("ivr/ivr-say_name.wav")
    call.hangup()
    assert_nothing_left(bridge, caplog)


def test_being_removed_from_the_room_ends_the_call(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    conference = bridge.conference()
    call = bridge.enter("11111111")
    member = bridge.member(call)
    bridge.sim.api(f"conference fs_conf-{conference.id} kick {member.id}")
    call.wait_hangup()
    assert_nothing_left(bridge, caplog)
    [stay] = bridge.store.attendance_for(conference.id, START)
    assert stay.left_at is not None


def test_hanging_up_during_the_name_recording(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    bridge.conference(options=RoomOptions(announce_names=True))
    with AppLog(bridge.sim) as apps:
        call = bridge.enter("11111111")
        wait_until(lambda: apps.of(call, "record"))
        call.hangup()
        assert_nothing_left(bridge, caplog)


def test_hanging_up_during_the_conference_id_prompt(
    bridge_factory: BridgeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bridge = bridge_factory(ivr={"conference_id_prompt": True})
    bridge.conference()
    call = bridge.call()
    call.wait_heard("conference/conf-enter_conf_number.wav")
    call.hangup()
    assert_nothing_left(bridge, caplog)


def test_hanging_up_while_the_opening_time_is_said(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    bridge.conference(start=START + timedelta(days=1))
    with AppLog(bridge.sim) as apps:
        call = bridge.enter(GUEST_PIN)
        call.wait_heard("ivr/ivr-please_return_our_call_at.wav")
        wait_until(lambda: apps.of(call, "say"))
        call.hangup()
        assert_nothing_left(bridge, caplog)
    assert "conference/conf-goodbye.wav" not in call.heard


@pytest.mark.parametrize(
    ("room", "refusal"),
    [
        ({"locked": True}, "conference/conf-locked.wav"),
        ({}, "conference/conf-conference_is_full.wav"),
    ],
    ids=["locked", "full"],
)
@pytest.mark.parametrize("during", ["refusal", "goodbye"])
def test_hanging_up_while_refused_at_the_door(
    bridge: Bridge,
    caplog: pytest.LogCaptureFixture,
    room: dict[str, bool],
    refusal: str,
    during: str,
) -> None:
    conference = bridge.conference(options=RoomOptions(max_members=1))
    bridge.store.save_room_state(RoomState(conference.id, START, **room))
    inside = [] if room else [bridge.enter(GUEST_PIN, caller_id="1009")]
    for member in inside:
        bridge.member(member)
    call = bridge.enter(GUEST_PIN)
    call.wait_heard(refusal if during == "refusal" else "conference/conf-goodbye.wav")
    call.hangup()
    call.wait_hangup()
    assert call.member is None
    for member in inside:
        member.hangup()
    assert_nothing_left(bridge, caplog)
