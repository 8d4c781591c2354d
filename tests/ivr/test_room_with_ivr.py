"""The room controller together with the IVR (engineer A's IvrServer, shared fixtures): what
the moderators' keys mean for callers who come later."""

from __future__ import annotations

from fs_conf.ivr.prompts import DEFAULTS

from .conftest import GUEST_PIN, MODERATOR_PIN, Bridge


def test_after_end_everyone_is_out_and_later_callers_hear_it_has_ended(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1001")
    bridge.member(moderator)
    guest = bridge.enter(GUEST_PIN, caller_id="1002")
    bridge.member(guest)
    moderator.press("*9")
    moderator.wait_hangup()
    guest.wait_hangup()
    assert bridge.room(conference) is None
    later = bridge.enter(GUEST_PIN, caller_id="1003")
    later.wait_heard(DEFAULTS["ended"])
    later.wait_hangup()
    assert later.member is None
    bridge.wait_calls_gone()


def test_a_guest_joining_after_mute_all_is_muted_and_told_once(bridge: Bridge) -> None:
    bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1001")
    bridge.member(moderator)
    moderator.press("*1")
    moderator.wait_heard(DEFAULTS["muted_all"])
    guest = bridge.enter(GUEST_PIN, caller_id="1002")
    member = bridge.member(guest)
    assert not member.can_speak
    # Joined muted by the IVR, so the controller does not mute (and announce) it again.
    guest.wait_heard("conference/conf-muted.wav")
    moderator.press("*6")
    moderator.wait_heard(DEFAULTS["extended"])
    assert guest.heard.count("conference/conf-muted.wav") == 1


def test_a_guest_calling_into_a_locked_room_is_turned_away(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN, caller_id="1001")
    bridge.member(moderator)
    moderator.press("*3")
    moderator.wait_heard(DEFAULTS["room_locked"])
    guest = bridge.enter(GUEST_PIN, caller_id="1002")
    guest.wait_heard(DEFAULTS["locked"])
    guest.wait_hangup()
    assert [m.caller_id_number for m in bridge.room(conference).members] == ["1001"]
