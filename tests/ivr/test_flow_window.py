"""The dial-in window: too early (with the opening time said), open, ended, cancelled."""

from __future__ import annotations

from datetime import timedelta

from fs_conf.model import ConferenceStatus

from .conftest import BERLIN, GUEST_PIN, MODERATOR_PIN, START, AppLog, Bridge, BridgeFactory

GOODBYE = "conference/conf-goodbye.wav"


def refused(bridge: Bridge, pin: str = GUEST_PIN) -> list[str]:
    call = bridge.enter(pin)
    call.wait_hangup()
    assert call.member is None
    return call.heard[2:]


def test_too_early_says_when_the_dial_in_opens_in_local_time(bridge: Bridge) -> None:
    tomorrow = START + timedelta(days=1)
    bridge.conference(start=tomorrow, timezone="America/New_York")
    with AppLog(bridge.sim) as apps:
        call = bridge.enter(GUEST_PIN)
        call.wait_hangup()
    opens = tomorrow - timedelta(minutes=10)
    assert apps.of(call, "set")[-1] == "timezone=America/New_York"
    assert apps.of(call, "say") == [f"en CURRENT_DATE_TIME pronounced {int(opens.timestamp())}"]
    assert call.heard[2] == "ivr/ivr-please_return_our_call_at.wav"
    assert call.heard[-1] == GOODBYE
    assert call.member is None


def test_the_window_opens_at_the_lead_time(bridge: Bridge) -> None:
    bridge.conference()
    bridge.clock.now = START - timedelta(minutes=10)
    bridge.member(bridge.enter(GUEST_PIN))


def test_the_window_is_closed_one_second_before_the_lead_time(bridge: Bridge) -> None:
    bridge.conference()
    bridge.clock.now = START - timedelta(minutes=10, seconds=1)
    assert refused(bridge)[0] == "ivr/ivr-please_return_our_call_at.wav"


def test_an_ended_conference_says_so(bridge: Bridge) -> None:
    bridge.conference()
    bridge.clock.now = START + timedelta(hours=1)
    assert refused(bridge, MODERATOR_PIN) == [
        "ivr/ivr-call_cannot_be_completed_as_dialed.wav",
        GOODBYE,
    ]


def test_the_grace_time_keeps_the_window_open(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(conference={"grace_minutes": 5})
    bridge.conference()
    bridge.clock.now = START + timedelta(hours=1, minutes=4)
    bridge.member(bridge.enter(GUEST_PIN))
    bridge.clock.now = START + timedelta(hours=1, minutes=5)
    assert refused(bridge)[0] == "ivr/ivr-call_cannot_be_completed_as_dialed.wav"


def test_a_cancelled_conference_says_so(bridge: Bridge) -> None:
    conference = bridge.conference()
    bridge.store.set_status(conference.id, ConferenceStatus.CANCELLED)
    assert refused(bridge) == ["ivr/ivr-call_attempt_aborted.wav", GOODBYE]


def test_an_occurrence_ended_by_a_moderator_counts_as_ended(bridge: Bridge) -> None:
    conference = bridge.conference()
    bridge.store.end_occurrence(conference.id, START)
    assert refused(bridge)[0] == "ivr/ivr-call_cannot_be_completed_as_dialed.wav"


def test_the_next_occurrence_of_a_series_opens_again(bridge: Bridge) -> None:
    conference = bridge.conference(rrule="FREQ=DAILY;COUNT=3")
    bridge.store.end_occurrence(conference.id, START)
    bridge.clock.now = START + timedelta(days=1, minutes=-5)
    call = bridge.enter(GUEST_PIN)
    bridge.member(call)
    [stay] = bridge.store.attendance_for(conference.id, START + timedelta(days=1))
    assert stay.occurrence_start == (START + timedelta(days=1)).astimezone(BERLIN)
