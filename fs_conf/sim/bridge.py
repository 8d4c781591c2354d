"""The `bridge` application: ring another leg (a simulated phone) and connect the two.

Follows switch_ivr_bridge.c: the caller waits for the far end to answer, both legs fire
CHANNEL_BRIDGE, and either side hanging up releases the other with CHANNEL_UNBRIDGE.
Failure and what follows: docs/simulator.md#sessions-and-applications
"""

from __future__ import annotations

import gevent

from fs_conf.sim.channel import Channel, ChannelGone, Interrupted, now_us
from fs_conf.sim.export import exported_variables
from fs_conf.sim.originate import parse_originate
from fs_conf.sim.session import Session


def app_bridge(session: Session, arg: str) -> None:
    channel = session.channel
    originator = session.ctx.originator
    if originator is None or not arg.strip():
        return
    try:
        request = parse_originate(f"{arg.strip()} &park()")
    except ValueError:
        channel.set_var("originate_disposition", "INVALID_NUMBER_FORMAT")
        return
    request.cid_number = channel.profile.caller_id_number
    request.cid_name = channel.profile.caller_id_name
    request.variables = {**exported_variables(channel), **request.variables}
    outcome = originator.place(request)
    if not isinstance(outcome, Channel):
        channel.set_var("originate_disposition", outcome)
        channel.set_var("DIALSTATUS", outcome)
        return
    other = outcome
    channel.answer()
    _connect(session, channel, other)


def _connect(session: Session, channel: Channel, other: Channel) -> None:
    stamp = now_us()
    channel.profile.bridged_us = stamp
    other.profile.bridged_us = stamp
    channel.set_var("bridge_uuid", other.uuid)
    other.set_var("bridge_uuid", channel.uuid)
    channel.set_var("originate_disposition", "SUCCESS")
    # switch_core_sqldb.c: CHANNEL_BRIDGE gives both legs the bridging leg's call uuid,
    # CHANNEL_UNBRIDGE gives each its own back.
    call_uuid = channel.get_var("call_uuid") or channel.uuid
    channel.db_call_uuid = other.db_call_uuid = call_uuid
    channel.fire(
        "CHANNEL_BRIDGE",
        post=[("Bridge-A-Unique-ID", channel.uuid), ("Bridge-B-Unique-ID", other.uuid)],
    )
    watcher = gevent.spawn(_follow, other, channel)
    try:
        while channel.alive and other.alive:
            try:
                session.next_input(None)
            except Interrupted:
                continue
    except ChannelGone:
        pass
    finally:
        watcher.kill()
        channel.db_call_uuid, other.db_call_uuid = channel.uuid, other.uuid
        channel.fire(
            "CHANNEL_UNBRIDGE",
            post=[("Bridge-A-Unique-ID", channel.uuid), ("Bridge-B-Unique-ID", other.uuid)],
        )
        if other.alive:
            other.hangup(channel.hangup_cause or "NORMAL_CLEARING")
        channel.set_var("last_bridge_hangup_cause", other.hangup_cause)
        if (channel.get_var("hangup_after_bridge") or "").lower() == "true" and channel.alive:
            channel.hangup("NORMAL_CLEARING")


def _follow(other: Channel, channel: Channel) -> None:
    """Wake the bridging session when the far end hangs up."""
    other.hungup.wait()
    channel.interrupt()
