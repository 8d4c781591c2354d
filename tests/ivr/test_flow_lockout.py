"""Lockout after repeated wrong PINs, per caller ID and per dialed number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fs_conf.ivr.lockout import lockout_keys

from .conftest import GUEST_PIN, WRONG_PIN, Bridge, BridgeFactory

PIN = "conference/conf-pin.wav"
BAD_PIN = "conference/conf-bad-pin.wav"
DENIED = "ivr/ivr-access_denied.wav"
GOODBYE = "conference/conf-goodbye.wav"


@pytest.fixture
def strict(bridge_factory: BridgeFactory) -> Bridge:
    """One try per call, locked out after three failures within 10 minutes."""
    bridge = bridge_factory(
        pins={"tries_per_call": 1, "lockout_failures": 3, "lockout_window_minutes": 10}
    )
    bridge.conference()
    bridge.conference(number="3401", guest_pin="33333333", moderator_pin="4444444444")
    return bridge


def fail_once(bridge: Bridge, caller_id: str, number: str = "3400", keys: str = WRONG_PIN) -> None:
    call = bridge.enter(keys, number=number, caller_id=caller_id)
    call.wait_hangup()
    assert BAD_PIN in call.heard


def test_a_caller_id_is_locked_out_after_too_many_failures(
    strict: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    fail_once(strict, "1001", "3400")
    fail_once(strict, "1001", "3400")
    fail_once(strict, "1001", "3401")
    caplog.set_level("INFO")
    refused = strict.call("3400", caller_id="1001")
    refused.wait_hangup()
    assert refused.heard == [DENIED, GOODBYE]
    lines = [r.getMessage() for r in caplog.records if "lockout" in r.getMessage()]
    assert lines and "1001" in lines[0] and WRONG_PIN not in lines[0]
    other = strict.enter(GUEST_PIN, "3400", caller_id="1002")
    strict.member(other)


def test_a_dialed_number_is_locked_out_whoever_calls(strict: Bridge) -> None:
    for caller_id in ("2001", "2002", "2003"):
        fail_once(strict, caller_id, "3400")
    refused = strict.call("3400", caller_id="2004")
    refused.wait_hangup()
    assert refused.heard == [DENIED, GOODBYE]
    elsewhere = strict.enter("33333333", "3401", caller_id="2004")
    strict.member(elsewhere)


def test_the_right_pin_does_not_get_past_a_lockout(strict: Bridge) -> None:
    for _ in range(3):
        fail_once(strict, "1001")
    call = strict.call("3400", caller_id="1001")
    call.wait_hangup()
    assert PIN not in call.heard and call.member is None


def test_the_lockout_ends_after_the_window(strict: Bridge) -> None:
    for _ in range(3):
        fail_once(strict, "1001")
    strict.clock.advance(minutes=11)
    call = strict.enter(GUEST_PIN, caller_id="1001")
    strict.member(call)


def test_reaching_the_limit_during_a_call_ends_it(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(pins={"tries_per_call": 3, "lockout_failures": 2})
    bridge.conference()
    call = bridge.enter(WRONG_PIN)
    call.wait_heard(BAD_PIN)
    call.wait_heard(PIN)
    call.press(WRONG_PIN + "#")
    call.wait_hangup()
    assert call.heard[-3:] == [BAD_PIN, DENIED, GOODBYE]


def test_entering_nothing_is_not_counted_as_a_guess(strict: Bridge) -> None:
    for _ in range(4):
        fail_once(strict, "1001", keys="")
    since = strict.clock() - timedelta(minutes=10)
    assert [strict.store.lockout_count(k, since) for k in lockout_keys("1001", "3400")] == [0, 0]
    strict.member(strict.enter(GUEST_PIN, caller_id="1001"))


def test_failures_are_counted_per_caller_and_per_number(strict: Bridge) -> None:
    fail_once(strict, "1001", "3400")
    fail_once(strict, "", "3401")
    since = strict.clock() - timedelta(minutes=10)
    counts = {
        key: strict.store.lockout_count(key, since)
        for key in ("caller:1001", "caller:anonymous", "number:3400", "number:3401")
    }
    assert counts == {"caller:1001": 1, "caller:anonymous": 1, "number:3400": 1, "number:3401": 1}


def test_lockout_keys_ignore_a_leading_plus_and_name_anonymous_callers() -> None:
    assert lockout_keys(" ", "+4930555000") == ("caller:anonymous", "number:4930555000")
    assert lockout_keys("1001", "3400") == ("caller:1001", "number:3400")
