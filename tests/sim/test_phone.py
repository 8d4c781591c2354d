"""Phones and calls from the test's side, originate and the uuid_* API."""

from __future__ import annotations

import pytest

from fs_conf.sim import Simulator
from tests.sim.conftest import EslTestClient


def test_dialplan_prompt_keys_and_heard_order(sim: Simulator) -> None:
    call = sim.call("4000", caller_id="+4930111")
    call.wait_heard("ivr/ivr-enter.wav")
    call.press("42#")
    assert call.wait_heard("you entered") == "you entered 42"
    assert call.wait_hangup() == "NORMAL_CLEARING"
    assert call.heard == ["ivr/ivr-enter.wav", "you entered 42"]
    assert call.var("got") == "42" and call.var("read_result") == "success"


def test_wait_heard_moves_past_matches_and_times_out(sim: Simulator) -> None:
    call = sim.call("4000")
    call.wait_heard("ivr-enter")
    call.wait_heard("ivr-invalid")
    call.wait_heard(r"ivr-ent\w+")
    with pytest.raises(TimeoutError, match="nothing matching 'never-played'"):
        call.wait_heard("never-played", timeout=0.2)


def test_originate_to_phones_answer_busy_reject_never(sim: Simulator) -> None:
    sim.phone("100", answer=True)
    sim.phone("101", answer="busy")
    sim.phone("102", answer=False)
    sim.phone("103", answer=None)
    assert sim.api("originate sim/100 &park()").startswith("+OK ")
    assert sim.api("originate sim/101 &park()") == "-ERR USER_BUSY\n"
    assert sim.api("originate sim/102 &park()") == "-ERR CALL_REJECTED\n"
    assert sim.api("originate {originate_timeout=2}sim/103 &park()") == "-ERR NO_ANSWER\n"
    assert sim.api("originate sim/104 &park()") == "-ERR NO_ROUTE_DESTINATION\n"
    with pytest.raises(ValueError, match="phone answer"):
        sim.phone("105", answer="maybe")


def test_phone_presses_keys_after_answer(sim: Simulator) -> None:
    phone = sim.phone("+4930999", answer=True, keys_after_answer="0")
    assert sim.api(
        "originate {origination_caller_id_number=3000}user/+4930999 &conference(r1@default)"
    ).startswith("+OK")
    call = phone.wait_call()
    member = call.wait_member()
    sim.room("r1")
    for _ in range(200):
        if not member.can_speak:
            break
        call.ctx.clock.sleep(0.5)
    assert not member.can_speak


def test_loopback_originate_keys_and_variables(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    reply = client.api(
        "originate {origination_caller_id_number=5551234}loopback/4000/default &park()"
    )
    assert reply.startswith("+OK ") and reply.endswith("\n")
    a_leg = reply.split()[1]
    b_leg = client.api(f"uuid_getvar {a_leg} other_loopback_leg_uuid")
    assert client.api(f"uuid_getvar {b_leg} other_loopback_leg_uuid") == a_leg
    assert client.api(f"uuid_getvar {b_leg} nosuchvar") == "_undef_"
    assert client.api(f"uuid_send_dtmf {a_leg} 7#") == f"+OK {a_leg} sent DTMF 7#.\n"
    b_call = next(c for c in sim.channels if c.uuid == b_leg)
    assert b_call.wait_heard("you entered") == "you entered 7"
    assert client.api("uuid_exists " + a_leg) in ("true", "false")


def test_uuid_recv_dtmf_setvar_kill_and_show_channels(sim: Simulator) -> None:
    call = sim.call("4000", caller_id="9")
    call.wait_heard("ivr-enter")
    assert sim.api(f"uuid_recv_dtmf {call.uuid} 3#") == f"+OK {call.uuid} received DTMF 3#.\n"
    call.wait_heard("you entered 3")
    parked = sim.call("3003", caller_id="8")
    assert sim.api(f"uuid_setvar {parked.uuid} color blue") == "+OK\n"
    assert sim.api(f"uuid_getvar {parked.uuid} color") == "blue"
    shown = sim.api("show channels")
    assert shown.startswith("uuid,direction,created,created_epoch,name,state,")
    assert parked.uuid in shown and shown.endswith(" total.\n")
    assert sim.api(f"uuid_kill {parked.uuid}") == "+OK\n"
    assert parked.wait_hangup() == "NORMAL_CLEARING"
    assert sim.api(f"uuid_kill {parked.uuid}") == "-ERR No such channel!\n"


def test_bridge_to_a_phone_and_hangup_propagates(sim: Simulator) -> None:
    phone = sim.phone("4711", answer=True)
    caller = sim.call("54711", caller_id="1")
    far = phone.wait_call()
    assert far.wait_answered()
    far.hangup()
    assert caller.wait_hangup() == "NORMAL_CLEARING"
    assert caller.var("bridge_uuid") == far.uuid


def test_bridge_to_busy_phone_sets_disposition(sim: Simulator) -> None:
    sim.phone("4712", answer="busy")
    caller = sim.call("54712", caller_id="1")
    caller.wait_hangup()
    assert caller.var("originate_disposition") == "USER_BUSY"


def test_no_route_and_hupall(sim: Simulator) -> None:
    assert sim.api("originate loopback/7777/default &park()") == "-ERR NO_ROUTE_DESTINATION\n"
    first = sim.call("3003")
    second = sim.call("3003")
    assert (
        sim.api("hupall NORMAL_CLEARING") == "+OK hangup all channels with cause NORMAL_CLEARING\n"
    )
    assert first.wait_hangup() == second.wait_hangup() == "NORMAL_CLEARING"
