"""The keypad in a room that callers reached through the IVR (PIN, channel variables,
`conference` with the profile and flags the flow chose): each key's effect on the room and
the prompt that confirms it, and what the moderators' keys mean for callers who come later."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

from fs_conf.prompts import DEFAULTS
from fs_conf.sim import Call

from .conftest import GUEST_PIN, MODERATOR_PIN, START, Bridge, wait_until

MUTED = "conference/conf-muted.wav"
UNMUTED = "conference/conf-unmuted.wav"


def joined(bridge: Bridge) -> tuple[Call, Call, Call]:
    """A moderator and two guests, in that order, all through the IVR."""
    calls = []
    for pin, caller_id in ((MODERATOR_PIN, "1001"), (GUEST_PIN, "1002"), (GUEST_PIN, "1003")):
        call = bridge.enter(pin, caller_id=caller_id)
        bridge.member(call)
        calls.append(call)
    return calls[0], calls[1], calls[2]


def can_speak(call: Call) -> bool:
    return call.member.can_speak  # type: ignore[attr-defined, union-attr]


def test_zero_mutes_and_unmutes_oneself_with_a_confirmation_each_time(bridge: Bridge) -> None:
    bridge.conference()
    _, guest, other = joined(bridge)
    guest.press("0")
    guest.wait_heard(MUTED)
    assert not can_speak(guest) and can_speak(other)
    guest.press("0")
    guest.wait_heard(UNMUTED)
    assert can_speak(guest)
    assert MUTED not in other.heard and UNMUTED not in other.heard


def test_star_two_gives_everyone_their_voice_back(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator, guest, other = joined(bridge)
    moderator.press("*1")
    moderator.wait_heard(DEFAULTS["muted_all"])
    wait_until(lambda: not can_speak(guest) and not can_speak(other))
    moderator.press("*2")
    moderator.wait_heard(DEFAULTS["unmuted_all"])
    wait_until(lambda: can_speak(guest) and can_speak(other))
    assert not bridge.ivr.rooms.state(f"fs_conf-{conference.id}").muted_all
    late = bridge.enter(GUEST_PIN, caller_id="1004")
    assert bridge.member(late).can_speak


def test_star_four_removes_the_guest_who_joined_last(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator, guest, last = joined(bridge)
    moderator.press("*4")
    moderator.wait_heard(DEFAULTS["removed_last"])
    last.wait_hangup()
    assert guest.alive and moderator.alive
    assert [m.caller_id_number for m in bridge.room(conference).members] == ["1001", "1002"]

    def removed_left() -> bool:
        stays = bridge.store.attendance_for(conference.id, START)
        return [s.left_at is not None for s in stays if s.caller_id == "1003"] == [True]

    wait_until(removed_left)


def test_star_six_extends_the_conference_and_tells_the_room(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator, guest, other = joined(bridge)
    moderator.press("*6")
    for call in (moderator, guest, other):
        call.wait_heard(DEFAULTS["extended"])
    extensions = bridge.store.get_conference(conference.id).extensions
    assert extensions == {START: timedelta(minutes=bridge.config.conference.extend_minutes)}
    bridge.clock.now = START + timedelta(hours=1, minutes=5)
    later = bridge.enter(GUEST_PIN, caller_id="1004")
    bridge.member(later)


def test_star_eight_records_the_room_and_stops(bridge: Bridge) -> None:
    conference = bridge.conference()
    moderator, guest, _ = joined(bridge)
    moderator.press("*8")
    moderator.wait_heard(DEFAULTS["recording_started"])
    guest.wait_heard(DEFAULTS["recording_started"])
    stamp = f"{START.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    expected = (
        Path(bridge.config.ivr.recordings_dir).resolve() / str(conference.id) / f"{stamp}.wav"
    )
    assert [r.path for r in bridge.room(conference).recordings] == [str(expected)]
    moderator.press("*8")
    moderator.wait_heard(DEFAULTS["recording_stopped"])
    guest.wait_heard(DEFAULTS["recording_stopped"])
    assert bridge.room(conference).recordings == []


def test_star_nine_ends_it_for_everyone_with_the_ending_prompt(bridge: Bridge) -> None:
    conference = bridge.conference()
    calls = joined(bridge)
    calls[0].press("*9")
    for call in calls:
        call.wait_heard(DEFAULTS["conference_ending"])
        call.wait_hangup()
    assert bridge.room(conference) is None
    later = bridge.enter(GUEST_PIN, caller_id="1004")
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
    guest.wait_heard(MUTED)
    moderator.press("*6")
    moderator.wait_heard(DEFAULTS["extended"])
    assert guest.heard.count(MUTED) == 1


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
    moderator.press("*3")
    moderator.wait_heard(DEFAULTS["room_unlocked"])
    again = bridge.enter(GUEST_PIN, caller_id="1002")
    bridge.member(again)
