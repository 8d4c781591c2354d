"""Which conference: its own number, a shared number (the PIN decides), the external
number through the public dialplan, and the conference-ID prompt."""

from __future__ import annotations

from fs_conf.sim import Call

from .conftest import GUEST_PIN, WRONG_PIN, AppLog, Bridge, BridgeFactory

WELCOME = "conference/conf-welcome.wav"
ENTER_ID = "conference/conf-enter_conf_number.wav"
PIN = "conference/conf-pin.wav"
BAD_PIN = "conference/conf-bad-pin.wav"


def test_a_conference_with_its_own_number_is_reached_by_dialing_it(bridge: Bridge) -> None:
    bridge.conference(guest_pin="12121313")
    own = bridge.conference(number="3442", guest_pin="12121313", moderator_pin="4444444444")
    call = bridge.enter("12121313", number="3442")
    assert bridge.member(call).room.name == f"fs_conf-{own.id}"


def test_on_a_shared_number_the_pin_picks_the_conference(bridge: Bridge) -> None:
    first = bridge.conference()
    second = bridge.conference(guest_pin="33333333", moderator_pin="4444444444")
    to_second = bridge.enter("33333333", caller_id="1001")
    to_first = bridge.enter(GUEST_PIN, caller_id="1002")
    assert bridge.member(to_second).room.name == f"fs_conf-{second.id}"
    assert bridge.member(to_first).room.name == f"fs_conf-{first.id}"


def test_the_external_number_reaches_the_conference_through_the_public_dialplan(
    bridge: Bridge,
) -> None:
    conference = bridge.conference(external_number="+4930555000")
    call = bridge.call("4930555000", caller_id="+4917012345", context="public")
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    assert bridge.member(call).room.name == f"fs_conf-{conference.id}"
    assert call.var("fs_conf_dialed") == "+4930555000"


def test_the_conference_id_is_asked_first_where_configured(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(ivr={"conference_id_prompt": True})
    bridge.conference()
    second = bridge.conference(guest_pin=GUEST_PIN, moderator_pin="4444444444")
    call = bridge.call()
    call.wait_heard(ENTER_ID)
    call.press(f"{second.id}#")
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    assert bridge.member(call).room.name == f"fs_conf-{second.id}"


def test_a_wrong_conference_id_fails_like_a_wrong_pin(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(ivr={"conference_id_prompt": True}, pins={"tries_per_call": 2})
    conference = bridge.conference()
    call = bridge.call()
    call.wait_heard(ENTER_ID)
    call.press("77#")
    call.wait_heard(PIN)
    call.press(GUEST_PIN + "#")
    call.wait_heard(BAD_PIN)
    call.wait_heard(ENTER_ID)
    call.press(f"{conference.id}#")
    call.wait_heard(PIN)
    call.press(WRONG_PIN + "#")
    call.wait_hangup()
    assert call.heard.count(BAD_PIN) == 2 and call.member is None


def test_a_conference_alone_on_its_own_number_needs_no_id(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(ivr={"conference_id_prompt": True})
    bridge.conference(number="3442")
    call = bridge.enter(GUEST_PIN, number="3442")
    bridge.member(call)
    assert ENTER_ID not in call.heard


def test_the_id_prompt_tells_nothing_about_a_number_without_a_conference(
    bridge_factory: BridgeFactory,
) -> None:
    """On a number that is not shared, with or without a conference on it, the caller hears
    the same prompts and the switch runs the same applications with the same arguments (so
    the same timing): no ID prompt on either, the PIN decides."""
    bridge = bridge_factory(ivr={"conference_id_prompt": True})
    bridge.conference(number="3442")
    with AppLog(bridge.sim) as apps:
        on_conference = bridge.enter(WRONG_PIN, number="3442")
        on_nothing = bridge.enter(WRONG_PIN, number="3443", caller_id="1002")
        for call in (on_conference, on_nothing):
            call.wait_heard(BAD_PIN)
            call.wait_heard(PIN)
            call.hangup()
        bridge.wait_calls_gone()
    assert on_conference.heard == on_nothing.heard == [WELCOME, PIN, BAD_PIN, PIN]

    def run(call: Call, number: str) -> list[tuple[str, str]]:
        """The applications run on `call`, the dialed number (the dialplan's `set`) blanked."""
        return [
            (app, data.replace(number, "<number>"))
            for uuid, app, data in apps.runs
            if uuid == call.uuid
        ]

    assert run(on_conference, "3442") == run(on_nothing, "3443")
