"""The `conference` API command and the text it answers with.

Mirrors src/mod/applications/mod_conference/conference_api.c; texts follow the recordings of
FreeSWITCH 1.10.12 (list rows, `+OK mute N`, `-ERR Non-Existant ID N`, `Skipping moderator
(member id N).`, get/set without a newline, xml_list and json_list layouts).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from fs_conf.sim.channel import new_uuid
from fs_conf.sim.conference import ConferenceManager, Room
from fs_conf.sim.conference_join import dial_into_room
from fs_conf.sim.conference_member import Member

if TYPE_CHECKING:
    from fs_conf.sim.originate import Originator

MemberAction = Callable[[Room, Member, list[str]], str]

SET_SYNTAX = (
    "set <max_members|sound_prefix|caller_id_name|caller_id_number|endconference_grace_time> "
    "<value>"
)


class ConferenceApi:
    """Parses `conference ...` and answers as mod_conference does."""

    def __init__(self, manager: ConferenceManager, originator: Originator) -> None:
        self.manager = manager
        self.originator = originator
        self.member_actions: dict[str, MemberAction] = {
            "mute": self._mute,
            "unmute": self._unmute,
            "tmute": self._tmute,
            "deaf": self._deaf,
            "undeaf": self._undeaf,
            "kick": self._kick,
            "hup": self._hup,
            "energy": self._energy,
            "volume_in": self._volume_in,
            "volume_out": self._volume_out,
            "dtmf": self._dtmf,
        }

    def run(self, arg: str) -> str:
        argv = arg.split()
        if not argv:
            return self._usage()
        room = self.manager.room(argv[0])
        if room is None:
            head = argv[0].lower()
            if head == "list":
                return self.list_all(argv[1:])
            if head == "xml_list":
                return xml_list(self.manager.newest_first())
            if head == "json_list":
                return json_list(self.manager.newest_first())
            if head in ("help", "commands"):
                return self._usage()
            if len(argv) > 1 and argv[1].lower() in ("dial", "bgdial"):
                return self._dial(argv[0], argv[1].lower(), argv[2:])
            return f"-ERR Conference {argv[0]} not found\n"
        if len(argv) < 2:
            return "Conference command, not specified.\nTry 'help'\n"
        return self._dispatch(room, argv[1].lower(), argv[2:])

    def _usage(self) -> str:
        commands = [
            "list [delim <string>]|[count]",
            "xml_list",
            "json_list",
            "mute <[member_id|all]|last|non_moderator> [<quiet>]",
            "tmute <[member_id|all]|last|non_moderator> [<quiet>]",
            "unmute <[member_id|all]|last|non_moderator> [<quiet>]",
            "deaf <[member_id|all]|last|non_moderator>",
            "undeaf <[member_id|all]|last|non_moderator>",
            "kick <[member_id|all|last|non_moderator]> [<optional sound file>]",
            "hup <[member_id|all|last|non_moderator]>",
            "lock",
            "unlock",
            "dial <endpoint_module_name>/<destination> <callerid number> <callerid name>",
            "bgdial <endpoint_module_name>/<destination> <callerid number> <callerid name>",
            "play <file_path> [async|<member_id> [nomux]]",
            "record <filename>",
            "norecord <[filename|all]>",
            "get <parameter-name>",
            SET_SYNTAX,
        ]
        return "".join(f"<conf name> {c}\n" for c in commands)

    def list_all(self, args: list[str]) -> str:
        """`conference list [delim <d>|summary]`: every room's header line and, unless
        summary, its rows. conference_api_sub_list() checks `count` only for one room."""
        rooms = self.manager.newest_first()
        if not rooms:
            return "+OK No active conferences.\n"
        option = ListOption.parse(args)
        if option.summary:
            return "".join(room_header(room) for room in rooms)
        return "".join(room_header(room) + list_rows(room, option.delim) for room in rooms)

    def _dispatch(self, room: Room, command: str, args: list[str]) -> str:
        if command in self.member_actions:
            return self._targets(room, command, args)
        handlers: dict[str, Callable[[Room, list[str]], str]] = {
            "list": self._list,
            "xml_list": lambda r, a: xml_list([r]),
            "json_list": lambda r, a: json_list([r]),
            "lock": self._lock,
            "unlock": self._unlock,
            "play": self._play,
            "get": self._get,
            "set": self._set,
            "record": self._record,
            "norecord": self._norecord,
        }
        handler = handlers.get(command)
        if handler is not None:
            return handler(room, args)
        if command in ("dial", "bgdial"):
            return self._dial(room.name, command, args)
        return f"Conference command '{command}' not found.\n"

    # -- member targets --------------------------------------------------------------------
    def _targets(self, room: Room, command: str, args: list[str]) -> str:
        if not args:
            return f"-ERR {command} requires a member id, all, last or non_moderator\n"
        target, rest = args[0], args[1:]
        action = self.member_actions[command]
        if target == "all":
            return "".join(action(room, m, rest) for m in room.newest_first())
        if target == "non_moderator":
            out = []
            for member in room.newest_first():
                if member.moderator:
                    out.append(f"Skipping moderator (member id {member.id}).\n")
                else:
                    out.append(action(room, member, rest))
            return "".join(out)
        if target == "last":
            members = room.newest_first()
            if not members:
                return "-ERR Non-Existant ID 0\n"
            return action(room, max(members, key=lambda m: m.id), rest)
        try:
            member_id = int(target)
        except ValueError:
            return f"-ERR Non-Existant ID {target}\n"
        found = room.find(member_id)
        if found is None:
            return f"-ERR Non-Existant ID {member_id}\n"
        return action(room, found, rest)

    @staticmethod
    def _quiet(rest: list[str]) -> bool:
        return any("quiet" in word for word in rest)

    def _mute(self, room: Room, member: Member, rest: list[str]) -> str:
        room.mute(member, quiet=self._quiet(rest))
        return f"+OK mute {member.id}\n"

    def _unmute(self, room: Room, member: Member, rest: list[str]) -> str:
        room.unmute(member, quiet=self._quiet(rest))
        return f"+OK unmute {member.id}\n"

    def _tmute(self, room: Room, member: Member, rest: list[str]) -> str:
        if member.can_speak:
            return self._mute(room, member, rest)
        return self._unmute(room, member, rest)

    def _deaf(self, room: Room, member: Member, rest: list[str]) -> str:
        room.deaf(member)
        return f"+OK deaf {member.id}\n"

    def _undeaf(self, room: Room, member: Member, rest: list[str]) -> str:
        room.undeaf(member)
        return f"+OK undeaf {member.id}\n"

    def _kick(self, room: Room, member: Member, rest: list[str]) -> str:
        room.kick(member, " ".join(rest))
        return f"+OK kicked {member.id}\n"

    def _hup(self, room: Room, member: Member, rest: list[str]) -> str:
        room.hup(member)
        return f"+OK hup {member.id}\n"

    def _energy(self, room: Room, member: Member, rest: list[str]) -> str:
        if rest:
            member.energy = _level(rest[0], member.energy, 200, 0, 1800)
        return f"Energy {member.id} = {member.energy}\n"

    def _volume_in(self, room: Room, member: Member, rest: list[str]) -> str:
        if rest:
            member.volume_in = _level(rest[0], member.volume_in, 1, -4, 4)
        return f"Volume IN {member.id} = {member.volume_in}\n"

    def _volume_out(self, room: Room, member: Member, rest: list[str]) -> str:
        if rest:
            member.volume_out = _level(rest[0], member.volume_out, 1, -4, 4)
        return f"Volume OUT {member.id} = {member.volume_out}\n"

    def _dtmf(self, room: Room, member: Member, rest: list[str]) -> str:
        digits = "".join(rest)
        if not digits:
            return "Invalid input!\n"
        member.channel.queue_dtmf(digits, "APP")
        return f"+OK sent {digits} to {member.id}\n"

    # -- room commands ---------------------------------------------------------------------
    def _list(self, room: Room, args: list[str]) -> str:
        option = ListOption.parse(args)
        if option.count_only:
            return str(len(room.members))
        return list_rows(room, option.delim)

    def _lock(self, room: Room, args: list[str]) -> str:
        room.set_lock(True)
        return f"+OK {room.name} locked\n"

    def _unlock(self, room: Room, args: list[str]) -> str:
        room.set_lock(False)
        return f"+OK {room.name} unlocked\n"

    def _play(self, room: Room, args: list[str]) -> str:
        if not args:
            return "-ERR (play) no file specified.\n"
        target = args[0]
        sound = room.ctx.sounds.resolve(target)
        origin = ("conference_api.c", "conference_api_sub_play", 2817)
        if len(args) > 1 and args[1] not in ("async", "nomux"):
            try:
                member = room.find(int(args[1]))
            except ValueError:
                member = None
            if member is None:
                return f"-ERR Member: {args[1]} not found.\n"
            if not sound.exists:
                return f"-ERR (play) File: {target} not found.\n"
            room.play_to(member, target)
            return f"+OK (play) Playing file {target} to member {member.id}\n"
        is_async = "true" if len(args) > 1 and args[1] == "async" else "false"
        if not sound.exists:
            room.fire(
                "play-file",
                origin,
                post=[
                    ("File", sound.path),
                    ("Async", is_async),
                    ("Error", "File could not be played"),
                ],
            )
            return f"-ERR (play) File: {target} not found.\n"
        room.fire("play-file", origin, post=[("File", target), ("Async", is_async)])
        room.play(target)
        return f"+OK (play) Playing file {target}\n"

    def _get(self, room: Room, args: list[str]) -> str:
        """conference_api_sub_get() (conference_api.c): exactly one parameter name."""
        key = args[0].lower() if len(args) == 1 else ""
        ghosts = sum(1 for m in room.members if m.ghost)
        values = {
            "run_time": str(int(time.time() - room.created)),
            "count": str(len(room.members) - ghosts),
            "count_ghosts": str(ghosts),
            "max_members": str(room.max_members),
            "rate": room.profile.get("rate", "8000"),
            "profile_name": room.profile.name,
            "sound_prefix": room.profile.get("sound-prefix"),
            "caller_id_name": room.profile.get("caller-id-name"),
            "caller_id_number": room.profile.get("caller-id-number"),
            "is_locked": "locked" if room.locked else "",
            "endconference_grace_time": str(room.endconf_grace),
            "uuid": room.uuid,
            "wait_mod": "true" if room.wait_mod else "",
        }
        if key not in values:
            return "get <parameter-name>"
        return values[key]

    def _set(self, room: Room, args: list[str]) -> str:
        """conference_api_sub_set() (conference_api.c): exactly a name and a non-empty
        value; the numbers are read with atoi() and a negative one is refused; the reply is
        the old value."""
        if len(args) != 2 or not args[1]:
            return SET_SYNTAX
        key, value = args[0].lower(), args[1]
        if key in ("max_members", "endconference_grace_time"):
            number = _atoi(value)
            if number < 0:
                return SET_SYNTAX
            if key == "max_members":
                old, room.max_members = room.max_members, number
            else:
                old, room.endconf_grace = room.endconf_grace, number
            return str(old)
        params = {
            "sound_prefix": "sound-prefix",
            "caller_id_name": "caller-id-name",
            "caller_id_number": "caller-id-number",
        }
        if key not in params:
            return SET_SYNTAX
        previous = room.profile.get(params[key])
        room.profile.params[params[key]] = value
        return previous

    def _record(self, room: Room, args: list[str]) -> str:
        """conference_api_sub_record(): refused if the file (its `{...}` parameters left
        out) is already being recorded."""
        if not args:
            return "-ERR record <filename>\n"
        path = args[0]
        for recording in room.recordings:
            if _bare_path(recording.path) == _bare_path(path):
                return f"-ERR file [{recording.path}] is already being used for recording.\n"
        room.start_recording(path)
        return f"+OK Record file {path}\n"

    def _norecord(self, room: Room, args: list[str]) -> str:
        """conference_api_sub_norecord() with conference_record_stop() (conference_record.c):
        the recordings are told to stop and end on their next tick, after the reply, so the
        count of stopped files it reports is taken before any of them has ended."""
        if not args:
            return "-ERR norecord <[filename|all]>\n"
        which = args[0]
        before = len(room.recordings)
        stopped = [r for r in room.recordings if which == "all" or r.path == which]
        reply = "".join(f"Stopped recording file {r.path}\n" for r in stopped)
        if not stopped and which != "all":
            reply += f"-ERR non-existant recording '{which}'\n"
        for recording in stopped:
            gevent.spawn(room.stop_recording, recording)
        ended = before - len(room.recordings)
        return reply + f"+OK Stopped recording {ended} file{'' if ended == 1 else 's'}\n"

    def _dial(self, room_name: str, command: str, args: list[str]) -> str:
        if not args:
            return (
                f"{command} <endpoint_module_name>/<destination> <callerid number> <callerid name>"
            )
        endpoint = args[0]
        cid_number = args[1] if len(args) > 1 else ""
        cid_name = " ".join(args[2:])
        room = self.manager.room(room_name)
        profile = room.profile.name if room else "default"
        app_arg = f"{room_name}@{profile}"
        if command == "bgdial":
            job = new_uuid()
            dial_into_room(
                self.originator, endpoint, cid_number, cid_name, app_arg, room_name, job_uuid=job
            )
            return f"+OK Job-UUID: {job}\n"
        result = dial_into_room(self.originator, endpoint, cid_number, cid_name, app_arg, room_name)
        return f"+OK Call Requested: result: [{result}]\n"


@dataclass(frozen=True)
class ListOption:
    """The one option conference_api_sub_list() reads after `list`: `delim <d>` (a leading
    double quote starts the delimiter, the next one ends it), `summary` or `count`."""

    delim: str = ";"
    summary: bool = False
    count_only: bool = False

    @classmethod
    def parse(cls, args: list[str]) -> ListOption:
        if not args:
            return cls()
        word = args[0].lower()
        if word == "delim" and len(args) > 1:
            delim = args[1]
            if delim.startswith('"'):
                delim = delim[1:].split('"', 1)[0]
            return cls(delim=delim)
        return cls(summary=word == "summary", count_only=word == "count")


def _atoi(text: str) -> int:
    """C's atoi(): optional blanks and sign, then the leading digits; 0 if there are none."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0


def _bare_path(path: str) -> str:
    """A recording path after its last `}` (conference_api_sub_record compares these)."""
    return path[path.rfind("}") + 1 :].lstrip(" }")


def _level(raw: str, current: int, step: int, low: int, high: int) -> int:
    if raw.lower() == "up":
        return min(current + step, high)
    if raw.lower() in ("down", "dn"):
        return max(current - step, low)
    try:
        return min(max(int(raw), low), high)
    except ValueError:
        return current


def room_flags(room: Room) -> list[str]:
    """Conference flags in conference_api.c list order."""
    flags = []
    if room.locked:
        flags.append("locked")
    if room.wait_mod:
        flags.append("wait_mod")
    flags.extend(["running", "answered", "enforce_min", "dynamic", "exit_sound", "enter_sound"])
    if room.recordings:
        flags.append("recording")
    flags.append("json_status")
    return flags


def room_header(room: Room) -> str:
    count = len(room.members)
    plural = "" if count == 1 else "s"
    locked = " locked" if room.locked else ""
    rate = room.profile.get("rate", "8000")
    return (
        f"+OK Conference {room.name} ({count} member{plural} rate: {rate}{locked} "
        f"flags: {'|'.join(room_flags(room))})\n"
    )


def list_rows(room: Room, delim: str = ";") -> str:
    """`conference <room> list` rows, newest member first."""
    rows = []
    for m in room.newest_first():
        fields = [
            str(m.id),
            m.channel.name,
            m.uuid,
            m.caller_id_name,
            m.caller_id_number,
            m.flags_text(),
            str(m.volume_in),
            str(m.volume_out),
            str(m.energy),
        ]
        rows.append(delim.join(fields) + "\n")
    return "".join(rows)


def _xml_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def xml_list(rooms: list[Room]) -> str:
    """conference_xlist() through switch_xml_toxml() with pretty printing."""
    lines = ['<?xml version="1.0"?>', "<conferences>"]
    for room in rooms:
        attrs = [
            ("name", room.name),
            ("member-count", str(len(room.members))),
            ("ghost-count", "0"),
            ("rate", room.profile.get("rate", "8000")),
            ("uuid", room.uuid),
        ]
        if room.locked:
            attrs.append(("locked", "true"))
        if room.wait_mod:
            attrs.append(("wait_mod", "true"))
        for flag in ("running", "answered", "enforce_min", "dynamic", "exit_sound", "enter_sound"):
            attrs.append((flag, "true"))
        if room.max_members > 0:
            attrs.append(("max_members", str(room.max_members)))
        if room.recordings:
            attrs.append(("recording", "true"))
        attrs.append(("run_time", str(int(time.time() - room.created))))
        attr_text = " ".join(f'{k}="{_xml_text(v)}"' for k, v in attrs)
        lines.append(f"  <conference {attr_text}>")
        lines.append("    <variables></variables>")
        lines.append("    <members>")
        for m in room.newest_first():
            lines.extend(_xml_member(m))
        lines.append("    </members>")
        lines.append("  </conference>")
    lines.append("</conferences>")
    return "\n".join(lines) + "\n"


def _xml_member(m: Member) -> list[str]:
    flags = [
        ("can_hear", m.can_hear),
        ("can_see", True),
        ("can_speak", m.can_speak),
        ("mute_detect", False),
        ("talking", m.talking),
        ("hold", False),
        ("has_video", False),
        ("video_bridge", False),
        ("has_floor", m.room.floor is m),
        ("is_moderator", m.moderator),
        ("end_conference", m.endconf),
        ("mandatory_member_end_conference", m.mandatory),
        ("is_ghost", m.ghost),
    ]
    out = ['      <member type="caller">', f"        <id>{m.id}</id>", "        <flags>"]
    out.extend(f"          <{k}>{'true' if v else 'false'}</{k}>" for k, v in flags)
    out.append("        </flags>")
    out.append(f"        <uuid>{m.uuid}</uuid>")
    out.append(f"        <caller_id_name>{_xml_text(m.caller_id_name)}</caller_id_name>")
    out.append(f"        <caller_id_number>{_xml_text(m.caller_id_number)}</caller_id_number>")
    out.append(f"        <join_time>{int(time.time() - m.joined)}</join_time>")
    out.append("        <last_talking>N/A</last_talking>")
    out.append(f"        <energy>{m.energy}</energy>")
    out.append(f"        <volume_in>{m.volume_in}</volume_in>")
    out.append(f"        <volume_out>{m.volume_out}</volume_out>")
    out.append(f"        <output-volume>{m.volume_out}</output-volume>")
    out.append("      </member>")
    return out


def json_list(rooms: list[Room]) -> str:
    """conference_jlist() printed by cJSON_Print (tab indents, `key":\\tvalue`)."""
    data = [_json_room(room) for room in rooms]
    return cjson_print(data, 0)


def _json_room(room: Room) -> dict[str, object]:
    return {
        "conference_name": room.name,
        "member_count": len(room.members),
        "ghost_count": 0,
        "rate": int(room.profile.get("rate", "8000") or 8000),
        "run_time": int(time.time() - room.created),
        "conference_uuid": room.uuid,
        "canvas_count": 0,
        "max_bw_in": 0,
        "force_bw_in": 0,
        "video_floor_packets": 0,
        "locked": room.locked,
        "destruct": False,
        "wait_mod": room.wait_mod,
        "audio_always": False,
        "running": True,
        "answered": True,
        "enforce_min": True,
        "bridge_to": False,
        "dynamic": True,
        "exit_sound": True,
        "enter_sound": True,
        "recording": bool(room.recordings),
        "video_bridge": False,
        "video_floor_only": False,
        "video_rfc4579": False,
        "variables": {},
        "members": [_json_member(m) for m in room.newest_first()],
    }


def _json_member(m: Member) -> dict[str, object]:
    return {
        "type": "caller",
        "id": m.id,
        "flags": {
            "can_hear": m.can_hear,
            "can_see": True,
            "can_speak": m.can_speak,
            "hold": False,
            "mute_detect": False,
            "talking": m.talking,
            "has_video": False,
            "video_bridge": False,
            "has_floor": m.room.floor is m,
            "is_moderator": m.moderator,
            "end_conference": m.endconf,
            "mandatory_member_end_conference": m.mandatory,
            "pass_digits": False,
        },
        "uuid": m.uuid,
        "caller_id_name": m.caller_id_name,
        "caller_id_number": m.caller_id_number,
        "join_time": int(time.time() - m.joined),
        "last_talking": 0,
        "energy": m.energy,
        "volume_in": m.volume_in,
        "volume_out": m.volume_out,
        "output-volume": m.volume_out,
        "input-volume": m.volume_in,
    }


def cjson_print(value: object, depth: int) -> str:
    """cJSON's formatted printer: objects over lines with tabs, arrays on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(cjson_print(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{\n" + "\t" * depth + "}"
        inner = ",\n".join(
            "\t" * (depth + 1) + f"{json.dumps(k)}:\t{cjson_print(v, depth + 1)}"
            for k, v in value.items()
        )
        return "{\n" + inner + "\n" + "\t" * depth + "}"
    return "null"
