"""Callers and the sittings of a series changed on their own: a cancelled sitting is refused
as cancelled, a moved one is open in its own window; through `resolve` and through the
simulator over TCP."""

from __future__ import annotations

from datetime import timedelta

from fs_conf.ivr.resolve import Admission, Refusal, Refused, resolve
from fs_conf.model import OccurrenceOverride, OverrideStatus

from .conftest import GUEST_PIN, START, Bridge

GOODBYE = "conference/conf-goodbye.wav"
DAILY = "FREQ=DAILY;COUNT=5"
CANCELLED_DAY = START + timedelta(days=1)
MOVED_DAY = START + timedelta(days=2)
MOVED_TO = MOVED_DAY + timedelta(hours=5)
"""9:00 on the second day moved to 14:00 the same day, for 30 minutes."""
OVERRIDES = [
    OccurrenceOverride(CANCELLED_DAY, OverrideStatus.CANCELLED),
    OccurrenceOverride(MOVED_DAY, OverrideStatus.MOVED, MOVED_TO, timedelta(minutes=30)),
]


def test_resolve_refuses_a_cancelled_sitting_and_admits_a_moved_one(bridge: Bridge) -> None:
    conference = bridge.conference(rrule=DAILY, overrides=OVERRIDES)
    during_cancelled = resolve(
        "3400", GUEST_PIN, [conference], CANCELLED_DAY + timedelta(minutes=5), timedelta(0)
    )
    assert isinstance(during_cancelled, Refused)
    assert (
        during_cancelled.reason is Refusal.CANCELLED and during_cancelled.conference == conference
    )
    assert during_cancelled.opens_at == MOVED_TO - timedelta(minutes=10)

    at_new_time = resolve(
        "3400", GUEST_PIN, [conference], MOVED_TO - timedelta(minutes=10), timedelta(0)
    )
    assert isinstance(at_new_time, Admission)
    assert (at_new_time.occurrence.start, at_new_time.occurrence.end) == (
        MOVED_TO,
        MOVED_TO + timedelta(minutes=30),
    )
    assert at_new_time.occurrence.original_start == MOVED_DAY

    at_old_time = resolve(
        "3400", GUEST_PIN, [conference], MOVED_DAY + timedelta(minutes=5), timedelta(0)
    )
    assert isinstance(at_old_time, Refused) and at_old_time.reason is Refusal.TOO_EARLY
    after_its_end = resolve(
        "3400", GUEST_PIN, [conference], MOVED_TO + timedelta(minutes=30), timedelta(0)
    )
    assert isinstance(after_its_end, Refused) and after_its_end.reason is Refusal.TOO_EARLY


def test_a_caller_to_a_cancelled_sitting_hears_it_was_cancelled(bridge: Bridge) -> None:
    bridge.conference(rrule=DAILY, overrides=OVERRIDES)
    bridge.clock.now = CANCELLED_DAY + timedelta(minutes=5)
    call = bridge.enter(GUEST_PIN)
    call.wait_hangup()
    assert call.member is None
    assert call.heard[2:] == ["ivr/ivr-call_attempt_aborted.wav", GOODBYE]


def test_a_caller_joins_a_moved_sitting_in_its_new_window(bridge: Bridge) -> None:
    conference = bridge.conference(rrule=DAILY, overrides=OVERRIDES)
    bridge.clock.now = MOVED_DAY + timedelta(minutes=5)
    early = bridge.enter(GUEST_PIN)
    early.wait_hangup()
    assert early.heard[2] == "ivr/ivr-please_return_our_call_at.wav"
    bridge.clock.now = MOVED_TO - timedelta(minutes=10)
    bridge.member(bridge.enter(GUEST_PIN, caller_id="1002"))
    [stay] = bridge.store.attendance_for(conference.id, MOVED_TO)
    assert stay.caller_id == "1002"
