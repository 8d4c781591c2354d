"""`show channels`: the rows of FreeSWITCH's core database table `channels`.

mod_commands.c show_function() selects from that table, which switch_core_sqldb.c
core_event_handler() keeps from channel events; the simulator derives the same values from
the channel when asked. Column by column: docs/simulator.md#api-commands
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fs_conf.sim.channel import Channel

COLUMNS = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,"
    "application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,"
    "write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,"
    "callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,"
    "initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context"
)


def show_channels(channels: list[Channel], hostname: str, count_only: bool = False) -> str:
    """The text of `show channels [count]`: header, rows oldest first, "N total."."""
    ordered = sorted(channels, key=lambda c: c.created)
    if count_only or not ordered:
        return f"\n{len(ordered)} total.\n"
    rows = [COLUMNS] + [",".join(channel_row(c, hostname)) for c in ordered]
    return "\n".join(rows) + f"\n\n{len(ordered)} total.\n"


def channel_row(c: Channel, hostname: str) -> list[str]:
    p = c.profile
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c.created))
    return [
        c.uuid,
        c.direction,
        created,
        str(int(c.created)),
        c.name,
        c.state,
        p.caller_id_name,
        p.caller_id_number,
        p.network_addr,
        p.destination_number,
        c.get_var("current_application") or "",
        c.get_var("current_application_data") or "",
        p.dialplan,
        p.context,
        *_read_codec(c),
        *_codec(c.codec),
        "",
        hostname,
        "",
        "",
        "",
        c.call_state,
        p.callee_id_name,
        p.callee_id_number,
        c.db_callee_direction,
        c.db_call_uuid,
        "",
        "",
        p.orig_caller_id_name,
        p.orig_caller_id_number,
        p.network_addr,
        p.destination_number,
        p.dialplan,
        p.context,
    ]


def _read_codec(c: Channel) -> list[str]:
    """A room member reads L16 at the room's rate (conference_function() sets it)."""
    member = c.conference_member
    if member is None:
        return _codec(c.codec)
    rate = int(member.room.profile.get("rate", "8000") or 8000)
    return _codec(("L16", rate, rate * 16))


def _codec(codec: tuple[str, int, int]) -> list[str]:
    name, rate, bits = codec
    return [name, str(rate), str(bits)]
