"""The `loopback/<ext>[/<context>]` endpoint: two legs back to back in one switch.

Mirrors src/mod/endpoints/mod_loopback/mod_loopback.c: the A leg (outbound) runs what the
originate names, the B leg (inbound) routes <ext> through the dialplan; keys sent to one leg
arrive on the other, and when one leg ends the other ends with the same cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fs_conf.sim.channel import Channel, new_uuid

if TYPE_CHECKING:
    from fs_conf.sim.originate import OriginateRequest, Originator
    from fs_conf.sim.session import Session


def loopback_legs(
    originator: Originator, request: OriginateRequest
) -> tuple[Channel, Session] | str:
    """Both legs, started, and the B leg's session (not yet routing); a cause on failure."""
    parts = request.endpoint.split("/")
    if len(parts) < 2 or not parts[1]:
        return "CHAN_NOT_IMPLEMENTED"
    destination = parts[1]
    context = parts[2] if len(parts) > 2 and parts[2] else "default"
    variables = request.variables
    cid_number = variables.get("origination_caller_id_number") or request.cid_number or "0000000000"
    cid_name = variables.get("origination_caller_id_name") or request.cid_name or ""
    a_uuid = variables.get("origination_uuid") or new_uuid()
    callee = ("Outbound Call", context)
    a_leg = originator.new_channel(
        f"loopback/{destination}-a",
        "outbound",
        destination,
        context,
        "mod_loopback",
        cid_name,
        cid_number,
        uuid=a_uuid,
        callee=callee,
        dialplan="xml",
    )
    b_leg = originator.new_channel(
        f"loopback/{destination}-b",
        "inbound",
        destination,
        context,
        "mod_loopback",
        cid_name,
        cid_number,
        callee=callee,
        dialplan="xml",
    )
    a_leg.outbound_call = True
    a_leg.peer, b_leg.peer = b_leg, a_leg
    _set_a_leg_variables(a_leg, b_leg, variables)
    _set_b_leg_variables(b_leg, a_leg, variables)
    originator.start_channel(a_leg)
    originator.start_channel(b_leg)
    a_leg.set_state("CS_CONSUME_MEDIA")
    a_leg.hangup_hooks.append(_hang_up_peer)
    b_leg.hangup_hooks.append(_hang_up_peer)
    return a_leg, originator.session(b_leg)


def _set_a_leg_variables(a_leg: Channel, b_leg: Channel, variables: dict[str, str]) -> None:
    for key, value in (
        ("direction", "outbound"),
        ("is_outbound", "true"),
        ("uuid", a_leg.uuid),
        ("call_uuid", a_leg.uuid),
        ("session_id", a_leg.session_id),
        ("read_codec", "L16"),
        ("read_rate", 8000),
        ("write_codec", "L16"),
        ("write_rate", 8000),
        ("channel_name", a_leg.name),
    ):
        a_leg.set_var(key, value)
    if "origination_uuid" in variables:
        # switch_core_session_set_uuid() sets uuid and call_uuid again (recorded order).
        a_leg.set_var("uuid", a_leg.uuid)
        a_leg.set_var("call_uuid", a_leg.uuid)
    for key, value in variables.items():
        a_leg.set_var(key, value)
    a_leg.set_var("originate_early_media", "true")
    a_leg.set_var("originate_endpoint", "loopback")
    a_leg.set_var("other_loopback_leg_uuid", b_leg.uuid)
    a_leg.set_var("loopback_leg", "A")


def _set_b_leg_variables(b_leg: Channel, a_leg: Channel, variables: dict[str, str]) -> None:
    for key, value in (
        ("direction", "inbound"),
        ("uuid", b_leg.uuid),
        ("call_uuid", None if "origination_uuid" in variables else b_leg.uuid),
        ("session_id", b_leg.session_id),
        ("channel_name", b_leg.name),
        ("read_codec", "L16"),
        ("read_rate", 8000),
        ("write_codec", "L16"),
        ("write_rate", 8000),
    ):
        b_leg.set_var(key, value)
    for key, value in variables.items():
        b_leg.set_var(key, value)
    b_leg.set_var("other_loopback_leg_uuid", a_leg.uuid)
    b_leg.set_var("loopback_leg", "B")


def _hang_up_peer(channel: Channel) -> None:
    """When one leg ends, the other ends with the same cause."""
    peer = channel.peer
    if peer is not None and peer.alive:
        peer.hangup(channel.hangup_cause)
