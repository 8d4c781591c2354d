"""Making calls: `originate`, and calls from and to simulated phones.

Mirrors src/switch_ivr_originate.c (ring, wait for the answer or originate_timeout, the
result); the `originate` argument is read as mod_commands.c originate_function() reads it.
The `loopback/` endpoint: loopback.py; conference `dial`: conference_join.py. Endpoints and
results: docs/simulator.md#calls
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent

from fs_conf.sim.channel import CallerProfile, Channel, new_uuid
from fs_conf.sim.loopback import loopback_legs
from fs_conf.sim.separate import separate
from fs_conf.sim.session import AppFunction, Session

if TYPE_CHECKING:
    from fs_conf.sim.context import SimContext

APP_PATTERN = re.compile(r"^&(?P<app>[\w-]+)(?:\((?P<arg>.*)\))?$", re.S)


@dataclass
class OriginateRequest:
    """A parsed `originate` argument."""

    endpoint: str
    variables: dict[str, str] = field(default_factory=dict)
    app: str | None = None
    app_arg: str = ""
    extension: str | None = None
    dialplan: str = "XML"
    context: str = "default"
    cid_name: str | None = None
    cid_number: str | None = None
    timeout: int | None = None


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside quotes and braces, honouring backslash escapes."""
    parts, current, depth, quote = [], [], 0, ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "'\"":
            quote = char
        elif char in "{[(":
            depth += 1
            current.append(char)
        elif char in "}])":
            depth -= 1
            current.append(char)
        elif char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def parse_variables(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in split_top_level(text):
        name, sep, value = item.partition("=")
        if sep and name.strip():
            result[name.strip()] = value.strip()
    return result


def parse_originate(arg: str) -> OriginateRequest:
    """An `originate` argument:
    `<url> <exten>|&<app>(<args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout>]`."""
    text = arg.strip()
    variables: dict[str, str] = {}
    while text.startswith(("{", "<", "[")):
        closing = {"{": "}", "<": ">", "[": "]"}[text[0]]
        end = text.find(closing)
        if end < 0:
            raise ValueError("originate: unterminated variable block")
        variables.update(parse_variables(text[1:end]))
        text = text[end + 1 :]
    # originate_function() splits its argument with switch_separate_string on blanks.
    words = separate(text)
    if len(words) < 2:
        raise ValueError("originate: missing destination")
    request = OriginateRequest(endpoint=words[0], variables=variables)
    target = words[1]
    match = APP_PATTERN.match(target)
    if match:
        request.app = match.group("app")
        request.app_arg = match.group("arg") or ""
    else:
        request.extension = target
    rest = words[2:]
    if rest:
        request.dialplan = rest[0]
    if len(rest) > 1:
        request.context = rest[1]
    if len(rest) > 2:
        request.cid_name = rest[2]
    if len(rest) > 3:
        request.cid_number = rest[3]
    if len(rest) > 4:
        try:
            request.timeout = int(rest[4])
        except ValueError:
            request.timeout = None
    return request


class Originator:
    """Creates legs and runs them; `apps` are the dialplan applications (apps.py)."""

    def __init__(self, ctx: SimContext, apps: dict[str, AppFunction]) -> None:
        self.ctx = ctx
        self.apps = apps

    # -- channels --------------------------------------------------------------------------
    def new_channel(
        self,
        name: str,
        direction: str,
        destination: str,
        context: str,
        source: str,
        cid_name: str,
        cid_number: str,
        *,
        uuid: str | None = None,
        callee: tuple[str, str] = ("", ""),
        network_addr: str = "",
        username: str = "",
        dialplan: str = "XML",
        codec: tuple[str, int, int] = ("L16", 8000, 128000),
        dtmf_source: str = "UNKNOWN",
    ) -> Channel:
        profile = CallerProfile(
            direction=direction,
            destination_number=destination,
            uuid=uuid or new_uuid(),
            channel_name=name,
            source=source,
            caller_id_name=cid_name,
            caller_id_number=cid_number,
            orig_caller_id_name=cid_name,
            orig_caller_id_number=cid_number,
            callee_id_name=callee[0],
            callee_id_number=callee[1],
            username=username,
            network_addr=network_addr,
            ani=cid_number,
            dialplan=dialplan,
            context=context,
        )
        channel = Channel(self.ctx, name, profile, codec=codec, dtmf_source=dtmf_source)
        self.ctx.register(channel)
        return channel

    def start_channel(self, channel: Channel) -> None:
        """CS_INIT and CHANNEL_CREATE (switch_core_state_machine.c)."""
        channel.state = "CS_INIT"
        channel.fire("CHANNEL_CREATE")

    def session(self, channel: Channel) -> Session:
        return Session(self.ctx, channel, self.apps)

    def inbound_call(
        self,
        destination: str,
        caller_id: str,
        caller_name: str = "",
        variables: dict[str, str] | None = None,
        context: str = "default",
        channel_name: str | None = None,
    ) -> tuple[Channel, Session]:
        """A phone calls in (like a SIP INVITE to mod_sofia) and the dialplan runs.

        mod_sofia names the channel sofia/<profile>/<from user>@<contact host[:port]>; the
        default stands for a phone on the simulator's own profile `sim`."""
        uuid = new_uuid()
        user = caller_id.lstrip("+") or "anonymous"
        name = channel_name or f"sofia/sim/{caller_id or 'anonymous'}@127.0.0.1"
        channel = self.new_channel(
            name,
            "inbound",
            destination,
            context,
            "mod_sofia",
            caller_name,
            caller_id,
            uuid=uuid,
            network_addr="127.0.0.1",
            username=user,
            codec=("PCMU", 8000, 64000),
            dtmf_source="RTP",
        )
        for key, value in (
            ("direction", "inbound"),
            ("uuid", uuid),
            ("session_id", channel.session_id),
            ("sip_from_user", caller_id),
            ("sip_from_uri", f"{caller_id}@127.0.0.1"),
            ("sip_from_host", "127.0.0.1"),
            ("channel_name", name),
            ("sip_to_user", destination),
            ("sip_req_user", destination),
            ("sofia_profile_name", "sim"),
            ("read_codec", "PCMU"),
            ("read_rate", 8000),
            ("write_codec", "PCMU"),
            ("write_rate", 8000),
            ("dtmf_type", "rfc2833"),
            ("endpoint_disposition", "RECEIVED"),
        ):
            channel.set_var(key, value)
        for key, value in (variables or {}).items():
            channel.set_var(key, value)
        channel.set_var("call_uuid", uuid)
        self.start_channel(channel)
        session = self.session(channel)
        session.start_routing()
        return channel, session

    # -- originate -------------------------------------------------------------------------
    def originate(self, arg: str) -> str:
        """The `originate` API: blocks until answered or failed; returns the API text."""
        try:
            request = parse_originate(arg)
        except ValueError as exc:
            return f"-USAGE: {exc}\n"
        outcome = self.place(request)
        if isinstance(outcome, Channel):
            return f"+OK {outcome.uuid}\n"
        return f"-ERR {outcome}\n"

    def place(self, request: OriginateRequest) -> Channel | str:
        """Ring the endpoint; on answer start the A leg's application. Cause string on failure."""
        endpoint = request.endpoint
        timeout = request.timeout
        if "originate_timeout" in request.variables:
            try:
                timeout = int(request.variables["originate_timeout"])
            except ValueError:
                timeout = None
        timeout = 60 if timeout is None else timeout
        if endpoint.startswith("loopback/"):
            legs = loopback_legs(self, request)
            if isinstance(legs, str):
                return legs
            a_leg, b_session = legs
            a_leg.hangup_hooks.append(_finish_unstarted)
            b_session.start_routing()
            cause = self._wait_answer(a_leg, timeout)
            if cause is None:
                a_leg.flip_caller_id()
        else:
            phone_leg = self._phone_leg(request)
            if isinstance(phone_leg, str):
                return phone_leg
            a_leg = phone_leg
            cause = self._wait_answer(a_leg, timeout)
        if cause is not None:
            # FreeSWITCH reports the failure only after both legs are destroyed.
            for leg in (a_leg, a_leg.peer):
                if leg is not None:
                    leg.finished.wait(timeout=5.0)
            return cause
        # CHANNEL_ORIGINATE stores the answered leg's call uuid in the core database.
        a_leg.db_call_uuid = a_leg.get_var("call_uuid") or a_leg.uuid
        self._run_a_leg(a_leg, request)
        return a_leg

    def _wait_answer(self, a_leg: Channel, timeout: int) -> str | None:
        done = gevent.wait(
            [a_leg.answered_ev, a_leg.hungup], timeout=self.ctx.clock.real(timeout), count=1
        )
        if a_leg.answered and a_leg.alive:
            return None
        if not done:
            cause = "NO_ANSWER"
            a_leg.hangup(cause)
            if a_leg.peer is not None:
                a_leg.peer.hangup(cause)
            return cause
        return a_leg.hangup_cause or "NORMAL_CLEARING"

    def _run_a_leg(self, a_leg: Channel, request: OriginateRequest) -> None:
        session = self.session(a_leg)
        if a_leg.phone is not None:
            a_leg.phone.attach(a_leg, session)
        if request.app is not None:
            session.start_apps([(request.app, request.app_arg)])
        else:
            session.transfer_to = (request.extension or "", request.context)
            session.start_apps([])

    def _phone_leg(self, request: OriginateRequest) -> Channel | str:
        phones = self.ctx.phones
        number = endpoint_number(request.endpoint)
        phone = phones.get(number) if phones is not None and number else None
        if phone is None:
            return "NO_ROUTE_DESTINATION"
        variables = request.variables
        cid_number = (
            variables.get("origination_caller_id_number") or request.cid_number or "0000000000"
        )
        cid_name = variables.get("origination_caller_id_name") or request.cid_name or ""
        uuid = variables.get("origination_uuid") or new_uuid()
        name = f"sofia/sim/{number}"
        leg = self.new_channel(
            name,
            "outbound",
            number,
            request.context,
            "mod_sofia",
            cid_name,
            cid_number,
            uuid=uuid,
            callee=("Outbound Call", number),
            codec=("PCMU", 8000, 64000),
            dtmf_source="RTP",
        )
        leg.outbound_call = True
        for key, value in (
            ("direction", "outbound"),
            ("is_outbound", "true"),
            ("uuid", uuid),
            ("session_id", leg.session_id),
            ("channel_name", name),
        ):
            leg.set_var(key, value)
        for key, value in variables.items():
            leg.set_var(key, value)
        leg.set_var("call_uuid", uuid)
        leg.phone = phone
        self.start_channel(leg)
        leg.set_state("CS_CONSUME_MEDIA")
        leg.hangup_hooks.append(_finish_unstarted)
        phone.ring(leg)
        return leg


def endpoint_number(endpoint: str) -> str:
    """The number a phone-style endpoint dials: sim/N, user/N[@d], sofia/<profile>/N[@host]."""
    parts = endpoint.split("/")
    if parts[0] in ("sim", "user") and len(parts) > 1:
        return parts[1].split("@")[0]
    if parts[0] == "sofia" and len(parts) > 2:
        return parts[-1].split("@")[0].replace("sip:", "")
    return ""


def _finish_unstarted(channel: Channel) -> None:
    """A leg that never got a session (failed originate) still reports its end."""

    def finish() -> None:
        gevent.sleep(0)
        if not channel.finished.is_set() and channel.state in ("CS_INIT", "CS_CONSUME_MEDIA"):
            channel.report()

    gevent.spawn(finish)
