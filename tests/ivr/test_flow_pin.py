"""PIN entry over TCP through the simulator: right, wrong, late and malformed PINs."""

from __future__ import annotations

import logging

import pytest

from .conftest import GUEST_PIN, MODERATOR_PIN, WRONG_PIN, Bridge, BridgeFactory

WELCOME = "conference/conf-welcome.wav"
PIN = "conference/conf-pin.wav"
BAD_PIN = "conference/conf-bad-pin.wav"
GOODBYE = "conference/conf-goodbye.wav"


def test_the_guest_pin_puts_the_caller_into_the_room_as_participant(bridge: Bridge) -> None:
    conference = bridge.conference()
    call = bridge.enter(GUEST_PIN)
    member = bridge.member(call)
    assert member.room.name == f"fs_conf-{conference.id}"
    assert not member.moderator and member.can_speak
    assert call.heard[:2] == [WELCOME, PIN]
    assert BAD_PIN not in call.heard
    assert call.var("fs_conf_role") == "participant"
    assert call.var("conference_controls") == "fs_conf-participant"
    assert call.var("fs_conf_conference_id") == str(conference.id)
    call.hangup()
    bridge.wait_calls_gone()


def test_the_moderator_pin_makes_a_moderator(bridge: Bridge) -> None:
    bridge.conference()
    call = bridge.enter(MODERATOR_PIN)
    assert bridge.member(call).moderator
    assert call.var("fs_conf_role") == "moderator"
    assert call.var("conference_controls") == "fs_conf-moderator"
    assert call.var("conference_enforce_security") == "false"


def test_a_wrong_pin_gets_another_try(bridge: Bridge) -> None:
    bridge.conference()
    call = bridge.enter(WRONG_PIN)
    call.wait_heard(BAD_PIN)
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    bridge.member(call)


def test_three_wrong_pins_end_the_call_with_goodbye(bridge: Bridge) -> None:
    bridge.conference()
    call = bridge.enter(WRONG_PIN)
    for _ in range(2):
        call.wait_heard(BAD_PIN)
        call.wait_heard(PIN)
        call.press(WRONG_PIN + "#")
    call.wait_hangup()
    assert call.heard.count(PIN) == 3
    assert call.heard.count(BAD_PIN) == 3
    assert call.heard[-1] == GOODBYE
    assert call.member is None
    bridge.wait_calls_gone()


def test_the_number_of_tries_is_configurable(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(pins={"tries_per_call": 1})
    bridge.conference()
    call = bridge.enter(WRONG_PIN)
    call.wait_hangup()
    assert call.heard == [WELCOME, PIN, BAD_PIN, GOODBYE]


def test_a_pin_typed_too_late_is_a_failed_try(bridge: Bridge) -> None:
    bridge.conference()
    call = bridge.call()
    call.wait_heard(PIN)
    call.wait_heard(BAD_PIN, timeout=10)
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    bridge.member(call)


@pytest.mark.parametrize(
    "keys",
    ["#", "1111A111#", "1111*111#", "ABCD#", "*#", "1234#", "111111111111#"],
    ids=["empty", "letter", "star", "letters", "star-only", "too-short", "too-long"],
)
def test_malformed_input_is_a_wrong_try(bridge: Bridge, keys: str) -> None:
    bridge.conference()
    call = bridge.call()
    call.wait_heard(PIN)
    call.press(keys)
    call.wait_heard(BAD_PIN)
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    assert not bridge.member(call).moderator


def test_a_wrong_pin_sounds_the_same_whether_or_not_a_conference_exists(
    bridge: Bridge,
) -> None:
    bridge.conference(number="3401")
    on_conference = bridge.enter(WRONG_PIN, number="3401")
    on_nothing = bridge.enter(WRONG_PIN, number="3402")
    for call in (on_conference, on_nothing):
        call.wait_heard(BAD_PIN)
        call.hangup()
    assert on_conference.heard[:3] == on_nothing.heard[:3] == [WELCOME, PIN, BAD_PIN]
    bridge.wait_calls_gone()


def test_the_pin_is_never_logged(bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    """Not by the IVR, not by the Event Socket library under it (which sees the digits in
    the CHANNEL_EXECUTE_COMPLETE of play_and_get_digits), by no logger at any level. The
    simulator's own log plays FreeSWITCH's, which is not fs_conf's to keep clean."""
    bridge.conference()
    caplog.set_level(logging.DEBUG)
    for name in ("fs_conf.esl.outbound", "fs_conf.esl.connection", "fs_conf.esl.inbound"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG)
    call = bridge.enter(WRONG_PIN)
    call.wait_heard(BAD_PIN)
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    bridge.member(call)
    call.hangup()
    bridge.wait_calls_gone()
    ours = [record for record in caplog.records if not record.name.startswith("fs_conf.sim")]
    assert any("wrong PIN" in record.getMessage() for record in ours)
    for record in ours:
        text = record.getMessage() + (record.exc_text or "")
        assert WRONG_PIN not in text and GUEST_PIN not in text, (record.name, text)
