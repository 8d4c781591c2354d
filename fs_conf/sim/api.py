"""API commands (`api X` / `bgapi X`): the subset of mod_commands fs_conf and its tests use.

Reply texts are FreeSWITCH's (src/mod/applications/mod_commands/mod_commands.c) as the
recordings show them; unknown commands get `-ERR <cmd> Command not found!`.
The texts: docs/simulator.md#api-commands
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fs_conf.sim.channel import Q850, Channel
from fs_conf.sim.show import show_channels
from fs_conf.sim.xml_locate import Sections, xml_locate

if TYPE_CHECKING:
    from fs_conf.sim.conference_api import ConferenceApi
    from fs_conf.sim.connection import EslConnection
    from fs_conf.sim.context import SimContext
    from fs_conf.sim.originate import Originator

VERSION = "1.10.12-release"

Handler = Callable[[str], str]


class Api:
    """Dispatches API commands by name."""

    def __init__(
        self,
        ctx: SimContext,
        originator: Originator,
        conference_api: ConferenceApi,
        reload: Callable[[], None],
    ) -> None:
        self.ctx = ctx
        self.originator = originator
        self.conference_api = conference_api
        self.reload = reload
        self.handlers: dict[str, Handler] = {
            "status": self.status,
            "version": lambda arg: f"FreeSWITCH Version {VERSION}~64bit ( 64bit)\n",
            "uptime": self.uptime,
            "hostname": lambda arg: ctx.identity.hostname,
            "global_getvar": self.global_getvar,
            "global_setvar": self.global_setvar,
            "module_exists": self.module_exists,
            "file_exists": self.file_exists,
            "xml_locate": lambda arg: xml_locate(arg, self.xml_sections()),
            "reloadxml": self.reloadxml,
            "originate": originator.originate,
            "conference": conference_api.run,
            "uuid_kill": self.uuid_kill,
            "uuid_send_dtmf": self.uuid_send_dtmf,
            "uuid_recv_dtmf": self.uuid_recv_dtmf,
            "uuid_getvar": self.uuid_getvar,
            "uuid_setvar": self.uuid_setvar,
            "uuid_break": self.uuid_break,
            "uuid_exists": self.uuid_exists,
            "uuid_answer": self.uuid_answer,
            "hupall": self.hupall,
            "show": self.show,
        }

    def execute(self, name: str, arg: str, connection: EslConnection | None = None) -> str:
        handler = self.handlers.get(name.lower())
        if handler is None:
            return f"-ERR {name} Command not found!\n"
        return handler(arg)

    # -- switch ----------------------------------------------------------------------------
    def status(self, arg: str) -> str:
        up = time.time() - self.ctx.started
        micro = int(up * 1_000_000)
        parts = [
            ("year", micro // (365 * 86400 * 1_000_000)),
            ("day", micro // (86400 * 1_000_000) % 365),
            ("hour", micro // (3600 * 1_000_000) % 24),
            ("minute", micro // (60 * 1_000_000) % 60),
            ("second", micro // 1_000_000 % 60),
            ("millisecond", micro // 1000 % 1000),
            ("microsecond", micro % 1000),
        ]
        uptime = ", ".join(f"{n} {unit}{'' if n == 1 else 's'}" for unit, n in parts)
        count = len(self.ctx.channels)
        return (
            f"UP {uptime}\n"
            f"FreeSWITCH (Version {VERSION}  64bit) is ready\n"
            f"{self.ctx.sessions_total} session(s) since startup\n"
            f"{count} session(s) - peak {self.ctx.sessions_peak}, last 5min {count} \n"
            f"0 session(s) per Sec out of max 1000, peak 0, last 5min 0 \n"
            f"{self.ctx.max_sessions} session(s) max\n"
            "min idle cpu 0.00/100.00\n"
            "Current Stack Size/Max 240K/8192K\n"
        )

    def uptime(self, arg: str) -> str:
        seconds = time.time() - self.ctx.started
        scale = {"us": 1_000_000, "ms": 1000, "s": 1, "m": 1 / 60, "h": 1 / 3600, "d": 1 / 86400}
        return f"{int(seconds * scale.get(arg.strip() or 's', 1))}\n"

    def global_getvar(self, arg: str) -> str:
        name = arg.strip()
        if not name:
            return "".join(f"{k}={v}\n" for k, v in self.ctx.global_vars.items())
        return self.ctx.global_vars.get(name, "")

    def global_setvar(self, arg: str) -> str:
        name, sep, value = arg.partition("=")
        if not sep or not name.strip():
            return "-ERR Usage: global_setvar <var>=<value>\n"
        self.ctx.global_vars[name.strip()] = value.strip()
        return "+OK\n"

    def module_exists(self, arg: str) -> str:
        """mod_commands.c module_exists_function(): by the module's name (`mod_conference`);
        nothing at all without one."""
        name = arg.strip()
        if not name:
            return ""
        return "true" if name in self.ctx.modules else "false"

    def file_exists(self, arg: str) -> str:
        """mod_commands.c file_exists_function(): switch_file_exists() is true for any path
        that exists, a folder too (src/switch_apr.c)."""
        path = arg.strip()
        return "true" if path and Path(path).exists() else "false"

    def xml_sections(self) -> Sections:
        """The dialplan's contexts and conference.conf, as `xml_locate` finds them."""
        contexts = []
        dialplan = self.ctx.dialplan
        for name, extensions in (dialplan.elements if dialplan is not None else {}).items():
            context = ET.Element("context", {"name": name})
            context.extend(extensions)
            contexts.append(context)
        conferences = self.ctx.conferences
        element = conferences.config.element if conferences is not None else None
        return {"dialplan": contexts, "configuration": [element] if element is not None else []}

    def reloadxml(self, arg: str) -> str:
        try:
            self.reload()
        except ValueError as exc:
            return f"-ERR [{exc}]\n"
        return "+OK [Success]\n"

    def hupall(self, arg: str) -> str:
        words = arg.split()
        cause = words[0] if words and words[0] in Q850 else "MANAGER_REQUEST"
        if not words:
            cause = "MANAGER_REQUEST"
        var = words[1:3] if len(words) >= 3 else None
        for channel in list(self.ctx.channels.values()):
            if var is None or channel.get_var(var[0]) == var[1]:
                channel.hangup(cause)
        return f"+OK hangup all channels with cause {cause}\n"

    def show(self, arg: str) -> str:
        words = arg.split()
        what = words[0].lower() if words else ""
        if what != "channels":
            return f"-USAGE: show {'|'.join(['channels'])}\n"
        count_only = len(words) > 1 and words[1].lower() == "count"
        return show_channels(
            list(self.ctx.channels.values()), self.ctx.identity.hostname, count_only
        )

    # -- channels -------------------------------------------------------------------------
    def _split(self, arg: str) -> tuple[Channel | None, list[str]]:
        words = arg.split()
        if not words:
            return None, []
        return self.ctx.find_channel(words[0]), words[1:]

    def uuid_kill(self, arg: str) -> str:
        channel, rest = self._split(arg)
        if channel is None:
            return "-ERR No such channel!\n"
        cause = rest[0] if rest and rest[0] in Q850 else "NORMAL_CLEARING"
        channel.hangup(cause)
        return "+OK\n"

    def uuid_answer(self, arg: str) -> str:
        channel, _ = self._split(arg)
        if channel is None:
            return "-ERR No such channel!\n"
        channel.answer()
        return "+OK\n"

    def uuid_send_dtmf(self, arg: str) -> str:
        """Keys sent out of a leg: on a loopback pair they arrive on the other leg."""
        channel, rest = self._split(arg)
        if channel is None or not rest:
            return "-ERR Cannot locate session!\n"
        digits = rest[0].split("@")[0]
        channel.set_var("last_dtmf_duration", 500)
        if channel.peer is not None:
            channel.peer.queue_dtmf(digits, "UNKNOWN")
        elif channel.phone is not None:
            channel.phone.dtmf_from_switch(channel, digits)
        return f"+OK {channel.uuid} sent DTMF {digits}.\n"

    def uuid_recv_dtmf(self, arg: str) -> str:
        """Keys injected as if received on this leg."""
        channel, rest = self._split(arg)
        if channel is None or not rest:
            return "-ERR Cannot locate session!\n"
        digits = rest[0].split("@")[0]
        channel.queue_dtmf(digits, "APP")
        return f"+OK {channel.uuid} received DTMF {digits}.\n"

    def uuid_getvar(self, arg: str) -> str:
        channel, rest = self._split(arg)
        if channel is None:
            return "-ERR No such channel!\n"
        if not rest:
            return "-USAGE: <uuid> <var>\n"
        value = channel.get_var(rest[0])
        return "_undef_" if value is None else value

    def uuid_setvar(self, arg: str) -> str:
        channel, rest = self._split(arg)
        if channel is None:
            return "-ERR No such channel!\n"
        if not rest:
            return "-USAGE: <uuid> <var> [value]\n"
        channel.set_var(rest[0], " ".join(rest[1:]) or None)
        return "+OK\n"

    def uuid_break(self, arg: str) -> str:
        """mod_commands.c break_function() sets CF_BREAK and writes nothing on success (the
        Event Socket then answers `-ERR no reply`). Playback, sleep and the other waits stop
        on CF_BREAK; the conference loop (conference_loop.c conference_loop_output) never
        looks at it, and conference_function() clears it with switch_core_session_reset()
        when the member leaves, so a member in a room stays there untouched."""
        channel, _ = self._split(arg)
        if channel is None:
            return "-ERR No Such Channel!\n"
        if channel.conference_member is None:
            channel.interrupt()
        return ""

    def uuid_exists(self, arg: str) -> str:
        channel, _ = self._split(arg)
        return "true" if channel is not None and channel.alive else "false"
