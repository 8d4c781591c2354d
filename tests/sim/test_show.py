"""`show channels`: the core database's rows as FreeSWITCH fills them from channel events."""

from __future__ import annotations

from fs_conf.sim import Simulator
from fs_conf.sim.show import COLUMNS

NAMES = COLUMNS.split(",")


def rows(sim: Simulator) -> dict[str, dict[str, str]]:
    """`show channels` as {uuid: {column: value}}."""
    text = sim.api("show channels")
    lines = text.partition("\n\n")[0].split("\n")
    assert lines[0] == COLUMNS
    table = [dict(zip(NAMES, line.split(","), strict=True)) for line in lines[1:]]
    assert text.endswith(f"\n\n{len(table)} total.\n")
    return {row["uuid"]: row for row in table}


def test_loopback_legs_as_recorded_in_scenario1(sim: Simulator) -> None:
    """The originated A leg shows its flipped caller id, callee_direction RECV and its own
    uuid as call_uuid; the B leg that runs the dialplan leaves both empty."""
    reply = sim.api("originate {origination_caller_id_number=5551234}loopback/4000/default &park()")
    a_leg = reply.split()[1]
    b_leg = sim.api(f"uuid_getvar {a_leg} other_loopback_leg_uuid")
    while sim.api(f"uuid_getvar {a_leg} current_application") != "park":
        sim.ctx.clock.sleep(0.1)
    table = rows(sim)
    a, b = table[a_leg], table[b_leg]
    assert (a["direction"], a["cid_name"], a["cid_num"]) == ("outbound", "Outbound Call", "default")
    assert (a["callee_name"], a["callee_num"]) == ("", "5551234")
    assert (a["callee_direction"], a["call_uuid"]) == ("RECV", a_leg)
    assert (a["application"], a["initial_cid_num"], a["dialplan"]) == ("park", "5551234", "xml")
    assert (b["direction"], b["cid_name"], b["cid_num"]) == ("inbound", "", "5551234")
    assert (b["callee_name"], b["callee_num"]) == ("Outbound Call", "default")
    assert (b["callee_direction"], b["call_uuid"]) == ("", "")
    assert b["application"] == "play_and_get_digits"


def test_a_room_member_reads_l16_at_the_room_rate(sim: Simulator) -> None:
    call = sim.call("3701", caller_id="sipp", caller_name="sipp")
    call.wait_member()
    row = rows(sim)[call.uuid]
    assert [row[k] for k in ("read_codec", "read_rate", "read_bit_rate")] == [
        "L16",
        "8000",
        "128000",
    ]
    assert [row[k] for k in ("write_codec", "write_rate", "write_bit_rate")] == [
        "PCMU",
        "8000",
        "64000",
    ]
    assert (row["callee_direction"], row["call_uuid"], row["ip_addr"]) == ("", "", "127.0.0.1")
    assert (row["application"], row["application_data"]) == ("conference", "r01@default")


def test_bridged_legs_share_the_caller_call_uuid_until_unbridged(sim: Simulator) -> None:
    phone = sim.phone("4711", answer=True)
    caller = sim.call("54711", caller_id="1")
    far = phone.wait_call()
    assert far.wait_answered()
    while caller.var("bridge_uuid") is None:
        sim.ctx.clock.sleep(0.1)
    table = rows(sim)
    assert table[caller.uuid]["call_uuid"] == table[far.uuid]["call_uuid"] == caller.uuid
    far.hangup()
    caller.wait_hangup()
    assert (caller.channel.db_call_uuid, far.channel.db_call_uuid) == (caller.uuid, far.uuid)


def test_count_and_empty_table(sim: Simulator) -> None:
    assert sim.api("show channels") == "\n0 total.\n"
    sim.call("3003")
    assert sim.api("show channels count") == "\n1 total.\n"
