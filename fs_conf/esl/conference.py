"""mod_conference's API commands over any `api(cmd) -> str` callable, with their replies parsed.

Reply texts follow the recordings of FreeSWITCH 1.10.12 (scenario1 and scenario2/case6):
`list` rows are `id;channel;uuid;cid_name;cid_num;flags;vol_in;vol_out;energy`, errors start
with `-ERR`, and an unknown room answers `-ERR Conference <room> not found`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fs_conf.esl.errors import ConferenceAPIError, RoomNotFound

TARGET_WORDS = ("all", "last", "non_moderator")

# The uuid anchors the row: channel names and caller names may themselves contain ';'.
_MEMBER_ROW = re.compile(
    r"(?P<id>\d+);(?P<channel>.*);(?P<uuid>[0-9a-fA-F-]{36});(?P<cid_name>.*);"
    r"(?P<cid_num>[^;]*);(?P<flags>[^;]*);(?P<vol_in>-?\d+);(?P<vol_out>-?\d+);(?P<energy>-?\d+)"
)
# conference_api.c (conference_api_sub_list) writes " locked" after the rate of a locked room,
# then "locked" again among the flags.
_ROOM_LINE = re.compile(
    r"\+OK Conference (?P<name>\S+) \((?P<count>\d+) members? rate: \d+(?: locked)? "
    r"flags: (?P<flags>[^)]*)\)"
)
_NOT_FOUND = re.compile(r"-ERR Conference (?P<room>\S+) not found")


@dataclass(frozen=True)
class Member:
    """One row of `conference <room> list`."""

    id: int
    channel: str
    uuid: str
    caller_id_name: str
    caller_id_number: str
    flags: frozenset[str]
    volume_in: int
    volume_out: int
    energy: int

    @property
    def is_moderator(self) -> bool:
        return "moderator" in self.flags

    @property
    def muted(self) -> bool:
        return "speak" not in self.flags

    @property
    def deaf(self) -> bool:
        return "hear" not in self.flags

    @property
    def talking(self) -> bool:
        return "talking" in self.flags

    @property
    def has_floor(self) -> bool:
        return "floor" in self.flags


@dataclass(frozen=True)
class RoomInfo:
    """One room from `conference list`: its name, size and conference flags."""

    name: str
    member_count: int
    flags: frozenset[str]

    @property
    def locked(self) -> bool:
        return "locked" in self.flags


def parse_members(text: str) -> list[Member]:
    """Member rows of a list reply, in FreeSWITCH's order (newest first); other lines skipped."""
    members = []
    for line in text.splitlines():
        match = _MEMBER_ROW.fullmatch(line.strip())
        if match:
            members.append(
                Member(
                    id=int(match["id"]),
                    channel=match["channel"],
                    uuid=match["uuid"],
                    caller_id_name=match["cid_name"],
                    caller_id_number=match["cid_num"],
                    flags=frozenset(f for f in match["flags"].split("|") if f),
                    volume_in=int(match["vol_in"]),
                    volume_out=int(match["vol_out"]),
                    energy=int(match["energy"]),
                )
            )
    return members


def parse_rooms(text: str) -> list[RoomInfo]:
    return [
        RoomInfo(m["name"], int(m["count"]), frozenset(f for f in m["flags"].split("|") if f))
        for m in map(_ROOM_LINE.match, text.splitlines())
        if m
    ]


def _word(field_name: str, value: str) -> str:
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"conference {field_name} must be one word without spaces (got {value!r})")
    return value


def _target(target: int | str) -> str:
    if isinstance(target, int) and not isinstance(target, bool) and target > 0:
        return str(target)
    if isinstance(target, str) and (target in TARGET_WORDS or target.isdigit()):
        return target
    raise ValueError(
        f"conference member target must be an id or one of {TARGET_WORDS} (got {target!r})"
    )


class ConferenceAPI:
    """`conference ...` commands through `api`; `-ERR` replies raise ConferenceAPIError."""

    def __init__(self, api: Callable[[str], str]) -> None:
        self._api = api

    def command(self, room: str, *args: str) -> str:
        """`conference ROOM ARGS...`; returns the reply text or raises on `-ERR`."""
        command = " ".join([_word("room", room), *args])
        reply = self._api(f"conference {command}")
        if reply.startswith("-ERR"):
            missing = _NOT_FOUND.match(reply)
            if missing:
                raise RoomNotFound(command, reply, missing["room"])
            raise ConferenceAPIError(command, reply)
        return reply

    def rooms(self) -> list[RoomInfo]:
        return parse_rooms(self._api("conference list"))

    def members(self, room: str) -> list[Member]:
        return parse_members(self.command(room, "list"))

    def count(self, room: str) -> int:
        reply = self.command(room, "list", "count").strip()
        if not reply.isdigit():
            raise ConferenceAPIError(f"{room} list count", reply)
        return int(reply)

    def mute(self, room: str, target: int | str) -> str:
        return self.command(room, "mute", _target(target))

    def unmute(self, room: str, target: int | str) -> str:
        return self.command(room, "unmute", _target(target))

    def deaf(self, room: str, target: int | str) -> str:
        return self.command(room, "deaf", _target(target))

    def undeaf(self, room: str, target: int | str) -> str:
        return self.command(room, "undeaf", _target(target))

    def kick(self, room: str, target: int | str) -> str:
        return self.command(room, "kick", _target(target))

    def hup(self, room: str, target: int | str) -> str:
        return self.command(room, "hup", _target(target))

    def lock(self, room: str) -> str:
        return self.command(room, "lock")

    def unlock(self, room: str) -> str:
        return self.command(room, "unlock")

    def play(self, room: str, file: str, member: int | None = None) -> str:
        """Play to the room, or to one member (`play <file> <member id>`)."""
        args = [_word("file", file)] + ([_target(member)] if member is not None else [])
        return self.command(room, "play", *args)

    def record(self, room: str, path: str) -> str:
        return self.command(room, "record", _word("recording path", path))

    def norecord(self, room: str, path: str = "all") -> str:
        return self.command(room, "norecord", _word("recording path", path))

    def dial(self, room: str, endpoint: str, cid_num: str, cid_name: str) -> str:
        """`dial` waits for the outcome: `+OK Call Requested: result: [SUCCESS]`."""
        return self.command(room, "dial", *self._dial_args(endpoint, cid_num, cid_name))

    def bgdial(self, room: str, endpoint: str, cid_num: str, cid_name: str) -> str:
        """`bgdial` returns at once; the result comes as a `bgdial-result` maintenance event.
        Returns the Job-UUID it announces."""
        reply = self.command(room, "bgdial", *self._dial_args(endpoint, cid_num, cid_name))
        return reply.strip().rpartition("Job-UUID:")[2].strip()

    def get(self, room: str, parameter: str) -> str:
        # An unknown parameter is not an -ERR: conference_api.c prints the command's syntax
        # line instead (recorded: `get <parameter-name>`), likewise for set.
        try:
            reply = self.command(room, "get", _word("parameter", parameter))
        except ConferenceAPIError as exc:
            # conference_api.c answers "-ERR no reply" when the value is empty (is_locked of
            # an unlocked room, for one): that is an empty value, not a failure.
            if exc.reply.strip() == "-ERR no reply":
                return ""
            raise
        if reply.startswith("get <"):
            raise ConferenceAPIError(f"{room} get {parameter}", reply)
        return reply.strip()

    def set(self, room: str, parameter: str, value: str) -> str:
        reply = self.command(room, "set", _word("parameter", parameter), _word("value", value))
        if reply.startswith("set <"):
            raise ConferenceAPIError(f"{room} set {parameter}", reply)
        return reply.strip()

    @staticmethod
    def _dial_args(endpoint: str, cid_num: str, cid_name: str) -> list[str]:
        # mod_conference splits the command on spaces, so a name with spaces would be cut.
        return [
            _word("dial endpoint", endpoint),
            _word("caller id number", cid_num),
            _word("caller id name", cid_name),
        ]
