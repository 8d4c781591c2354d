"""FreeSWITCH event header sets, in the order the recordings show them.

The core block follows switch_event.c, channel events add
switch_channel_event_set_basic_data() and, when extended, every variable as `variable_<name>`.
The details: docs/simulator.md#events-and-channels
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fs_conf.sim.channel import CallerProfile, Channel

Headers = list[tuple[str, str]]

# (file, function, line) that fired each event in FreeSWITCH 1.10.12, as recorded.
ORIGINS: dict[str, tuple[str, str, int]] = {
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1572),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3846),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 301),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", 2021),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2944),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2967),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3445),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c",
        "switch_core_session_reporting_state",
        943,
    ),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2408),
    # Not in the recordings; file and function from switch_channel.c / switch_ivr_bridge.c.
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3617),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 1432),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 1560),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1697),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 677),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1646),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2020),
    "CUSTOM": ("switch_event.c", "switch_event_fire_detailed", 0),
}

# Channel state numbers (switch_types.h switch_channel_state_t).
STATE_NUMBERS = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
}


@dataclass(frozen=True)
class Identity:
    """What every event says about the switch that fired it."""

    core_uuid: str
    hostname: str = "sim"
    ipv4: str = "127.0.0.1"
    ipv6: str = "::1"


@dataclass
class Event:
    """A fired event: ordered headers (duplicates allowed) and an optional body."""

    name: str
    headers: Headers = field(default_factory=list)
    body: str | None = None

    def get(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def add(self, name: str, value: object) -> None:
        """Append a header; empty values are dropped as switch_event_add_header_string does."""
        text = "" if value is None else str(value)
        if text != "":
            self.headers.append((name, text))

    def extend(self, headers: Headers) -> None:
        for name, value in headers:
            self.add(name, value)


def date_headers(now: float) -> Headers:
    local = time.localtime(now)
    gmt = time.gmtime(now)
    return [
        ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", local)),
        ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", gmt)),
        ("Event-Date-Timestamp", str(int(now * 1_000_000))),
    ]


def core_event(
    identity: Identity,
    name: str,
    sequence: int,
    now: float,
    subclass: str | None = None,
    origin: tuple[str, str, int] | None = None,
) -> Event:
    """The block every event starts with; CUSTOM events put Event-Subclass first."""
    event = Event(name)
    if subclass:
        event.add("Event-Subclass", subclass)
    event.add("Event-Name", name)
    event.add("Core-UUID", identity.core_uuid)
    event.add("FreeSWITCH-Hostname", identity.hostname)
    event.add("FreeSWITCH-Switchname", identity.hostname)
    event.add("FreeSWITCH-IPv4", identity.ipv4)
    event.add("FreeSWITCH-IPv6", identity.ipv6)
    event.extend(date_headers(now))
    file_, function, line = origin or ORIGINS.get(name, ORIGINS["CUSTOM"])
    event.add("Event-Calling-File", file_)
    event.add("Event-Calling-Function", function)
    event.add("Event-Calling-Line-Number", line)
    event.add("Event-Sequence", sequence)
    return event


def caller_profile_headers(profile: CallerProfile, prefix: str) -> Headers:
    """switch_caller.c switch_caller_profile_event_set_data(); optional fields only when set."""
    p = prefix
    rows: Headers = [
        (f"{p}-Direction", profile.direction),
        (f"{p}-Logical-Direction", profile.direction),
        (f"{p}-Username", profile.username),
        (f"{p}-Dialplan", profile.dialplan),
        (f"{p}-Caller-ID-Name", profile.caller_id_name),
        (f"{p}-Caller-ID-Number", profile.caller_id_number),
        (f"{p}-Orig-Caller-ID-Name", profile.orig_caller_id_name),
        (f"{p}-Orig-Caller-ID-Number", profile.orig_caller_id_number),
        (f"{p}-Callee-ID-Name", profile.callee_id_name),
        (f"{p}-Callee-ID-Number", profile.callee_id_number),
        (f"{p}-Network-Addr", profile.network_addr),
        (f"{p}-ANI", profile.ani),
        (f"{p}-Destination-Number", profile.destination_number),
        (f"{p}-Unique-ID", profile.uuid),
        (f"{p}-Source", profile.source),
        (f"{p}-Context", profile.context),
        (f"{p}-Channel-Name", profile.channel_name),
        (f"{p}-Profile-Index", "1"),
        (f"{p}-Profile-Created-Time", str(profile.created_us)),
        (f"{p}-Channel-Created-Time", str(profile.created_us)),
        (f"{p}-Channel-Answered-Time", str(profile.answered_us)),
        (f"{p}-Channel-Progress-Time", str(profile.progress_us)),
        (f"{p}-Channel-Progress-Media-Time", str(profile.progress_media_us)),
        (f"{p}-Channel-Hangup-Time", str(profile.hangup_us)),
        (f"{p}-Channel-Transfer-Time", str(profile.transfer_us)),
        (f"{p}-Channel-Resurrect-Time", "0"),
        (f"{p}-Channel-Bridged-Time", str(profile.bridged_us)),
        (f"{p}-Channel-Last-Hold", "0"),
        (f"{p}-Channel-Hold-Accum", "0"),
        (f"{p}-Screen-Bit", "true"),
        (f"{p}-Privacy-Hide-Name", "false"),
        (f"{p}-Privacy-Hide-Number", "false"),
    ]
    return [(name, value) for name, value in rows if value != ""]


def channel_basic_headers(channel: Channel) -> Headers:
    """switch_channel.c switch_channel_event_set_basic_data()."""
    rows: Headers = [
        ("Channel-State", channel.state),
        ("Channel-Call-State", channel.call_state),
        ("Channel-State-Number", str(STATE_NUMBERS[channel.state])),
        ("Channel-Name", channel.name),
        ("Unique-ID", channel.uuid),
        ("Call-Direction", channel.direction),
        ("Presence-Call-Direction", channel.direction),
        ("Channel-HIT-Dialplan", "true" if channel.hit_dialplan else "false"),
        ("Channel-Call-UUID", channel.uuid),
        ("Answer-State", channel.answer_state),
    ]
    if channel.hangup_cause:
        rows.append(("Hangup-Cause", channel.hangup_cause))
    rows.extend(channel.codec_headers())
    rows.extend(caller_profile_headers(channel.profile, "Caller"))
    return rows


def channel_variable_headers(channel: Channel) -> Headers:
    """switch_channel_event_set_extended_data(): every variable, in insertion order."""
    return [(f"variable_{name}", value) for name, value in channel.variables.items()]
