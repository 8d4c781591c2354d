"""Exported channel variables: `export` now, copied to the legs a channel creates later.

Follows switch_channel.c switch_channel_export_variable_var_check() and
switch_channel_process_export() (which switch_ivr_originate.c calls for bridge).
The details, `nolocal:` included: docs/simulator.md#events-and-channels
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fs_conf.sim.channel import Channel

EXPORT_VARS = "export_vars"
NOLOCAL_PREFIXES = ("nolocal:", "_nolocal_")


def export_variable(channel: Channel, name: str, value: str | None) -> None:
    channel.set_var(name, value)
    if not value:
        return
    exports = channel.get_var(EXPORT_VARS)
    channel.set_var(EXPORT_VARS, f"{exports},{name}" if exports else name)


def exported_variables(channel: Channel) -> dict[str, str]:
    """What a leg originated from `channel` inherits (the originate's own {vars} win)."""
    exports = channel.get_var(EXPORT_VARS)
    if not exports:
        return {}
    inherited = {EXPORT_VARS: exports}
    for name in exports.split(","):
        value = channel.get_var(name)
        if value is not None:
            inherited[_remote_name(name)] = value
    return inherited


def _remote_name(name: str) -> str:
    for prefix in NOLOCAL_PREFIXES:
        if name.lower().startswith(prefix):
            return name[len(prefix) :]
    return name
