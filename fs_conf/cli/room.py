"""`fs-conf conference members|mute|unmute|kick|lock|unlock`: a conference's room, live.

These talk to FreeSWITCH's inbound Event Socket (`freeswitch.esl`) as fs_cli would, with the
conference API of mod_conference. A member is named by the id `members` shows, or by one of
mod_conference's targets: `all`, `last`, `non_moderator`. Muting everyone from here is a
one-off command; the mute-all that also holds for later joiners is the moderators' `*1`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from fs_conf.cli.present import format_member_row, member_json
from fs_conf.cli.registry import CommandGroups, Invocation, add_command, add_json, conference_id
from fs_conf.errors import NotFoundError, UnavailableError, ValidationError
from fs_conf.esl import (
    ConferenceAPI,
    ConferenceAPIError,
    ESLError,
    InboundESL,
    RoomNotFound,
)
from fs_conf.ivr.room_names import room_name

TARGET_WORDS = ("all", "last", "non_moderator")

T = TypeVar("T")


def register_room_commands(groups: CommandGroups) -> None:
    """members, mute, unmute, kick, lock and unlock under `fs-conf conference`."""
    members = add_command(groups.conference, "members", _members, "list who is in the room now")
    members.add_argument("id", metavar="ID", type=conference_id)
    add_json(members)
    for action, help_text in (
        ("mute", "mute a member"),
        ("unmute", "unmute a member"),
        ("kick", "remove a member from the room (their call ends)"),
    ):
        parser = add_command(groups.conference, action, _member_action, help_text)
        parser.add_argument("id", metavar="ID", type=conference_id)
        parser.add_argument(
            "member",
            metavar="MEMBER",
            type=member_target,
            help="member id from `members`, or all, last, non_moderator",
        )
    for action, help_text in (("lock", "lock the room"), ("unlock", "unlock the room")):
        parser = add_command(groups.conference, action, _room_action, help_text)
        parser.add_argument("id", metavar="ID", type=conference_id)


def member_target(text: str) -> str:
    """A MEMBER argument: a member id or one of mod_conference's target words."""
    if text in TARGET_WORDS or (text.isdigit() and int(text) > 0):
        return text
    raise ValidationError("MEMBER", text, "must be a member id or one of all, last, non_moderator")


def _members(invocation: Invocation) -> int:
    room = _room_of(invocation)
    with _room_api(invocation) as api:
        members = _or_not_found(lambda: api.members(room), room)
    if invocation.args.json:
        invocation.print_json([member_json(member) for member in members])
        return 0
    for member in members:
        invocation.print(format_member_row(member))
    return 0


def _member_action(invocation: Invocation) -> int:
    args = invocation.args
    room = _room_of(invocation)
    target: int | str = int(args.member) if args.member.isdigit() else args.member
    with _room_api(invocation) as api:
        command = {"mute": api.mute, "unmute": api.unmute, "kick": api.kick}[args.action]
        try:
            reply = _or_not_found(lambda: command(room, target), room)
        except ConferenceAPIError as error:
            if "Non-Existant ID" in error.reply:
                raise NotFoundError("member", args.member) from error
            raise
    invocation.print(reply.strip())
    return 0


def _room_action(invocation: Invocation) -> int:
    room = _room_of(invocation)
    with _room_api(invocation) as api:
        action = api.lock if invocation.args.action == "lock" else api.unlock
        invocation.print(_or_not_found(lambda: action(room), room).strip())
    return 0


def _room_of(invocation: Invocation) -> str:
    """The room of the conference ID; NotFoundError when there is no such conference."""
    conference_id: int = invocation.args.id
    invocation.store.get_conference(conference_id)
    return room_name(conference_id)


def _or_not_found(run: Callable[[], T], room: str) -> T:
    try:
        return run()
    except RoomNotFound as error:
        raise NotFoundError("room (nobody is in the conference now)", room) from error


@contextmanager
def _room_api(invocation: Invocation) -> Iterator[ConferenceAPI]:
    esl = invocation.config.freeswitch.esl
    connection = InboundESL(esl.host, esl.port, esl.password, esl.timeout)
    try:
        connection.connect()
    except (ESLError, OSError) as error:
        raise UnavailableError(
            f"freeswitch.esl: cannot reach FreeSWITCH's Event Socket at {esl.host}:{esl.port}: {error}"
        ) from error
    try:
        yield ConferenceAPI(connection.api)
    finally:
        connection.stop()
