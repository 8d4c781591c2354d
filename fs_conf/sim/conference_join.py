"""How calls get into a room: the `conference` application and `conference <room> dial`.

Mirrors src/mod/applications/mod_conference/mod_conference.c: conference_function() (find or
create the room, refuse a locked or full one, make the member, run its loop, leave) and
conference_outcall() with conference_outcall_run() (dial and bgdial).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import gevent

from fs_conf.sim.channel import Channel, ChannelGone, Interrupted
from fs_conf.sim.conference_loop import member_loop
from fs_conf.sim.conference_member import Member
from fs_conf.sim.originate import OriginateRequest, Originator
from fs_conf.sim.truth import switch_true, true_false

if TYPE_CHECKING:
    from fs_conf.sim.conference import ConferenceManager, Room
    from fs_conf.sim.session import Session

log = logging.getLogger(__name__)

ARG_PATTERN = re.compile(r"^(?P<name>[^@+]+)(?:@(?P<profile>[^+]+))?(?P<rest>.*)$")
FLAGS_PATTERN = re.compile(r"\+flags\{([^}]*)\}")


def app_conference(session: Session, arg: str) -> None:
    """conference_function(): join, stay until out, leave."""
    manager = session.ctx.conferences
    if manager is None:
        raise RuntimeError("conference application used before the conference module started")
    channel = session.channel
    # conference_function() answers the channel before anything else.
    channel.answer()
    match = ARG_PATTERN.match(arg.strip())
    if not match:
        log.error("conference: bad argument %r", arg)
        return
    name = match.group("name").strip()
    profile_name = (match.group("profile") or "default").strip()
    flags = _member_flags(match.group("rest") or "", channel)
    room = manager.get_or_create(name, profile_name, channel)
    channel.set_var("app_session_uuid", room.uuid)
    if _refused(session, room):
        return
    if room.max_members and len(room.members) >= room.max_members:
        log.info("Conference %s is full.", name)
        return
    channel.answer()
    member = _make_member(manager, room, session, flags)
    room.add(member)
    _set_join_variables(member)
    try:
        member_loop(member)
    finally:
        room.remove(member)
        channel.conference_member = None
        channel.set_var("read_codec", channel.codec[0])
        channel.set_var("read_rate", channel.codec[1])
        if member.kicked:
            _play_kicked_sound(member)


def _member_flags(rest: str, channel: Channel) -> set[str]:
    """The member flags of `+flags{a|b}` in the argument and of conference_member_flags."""
    flags: set[str] = set()
    flag_match = FLAGS_PATTERN.search(rest)
    if flag_match:
        flags.update(f.strip() for f in flag_match.group(1).split("|") if f.strip())
    member_flags = channel.get_var("conference_member_flags")
    if member_flags:
        flags.update(f.strip() for f in member_flags.split("|") if f.strip())
    return flags


def _play_kicked_sound(member: Member) -> None:
    """conference_function() plays, after the member left, the sound `kick` named or
    else the profile's kicked-sound, and only when the profile has a kicked-sound."""
    default = member.room.profile.get("kicked-sound")
    if not default:
        return
    sound = member.kicked_sound or default
    try:
        member.session.play(sound)
    except (ChannelGone, Interrupted):
        pass


def _refused(session: Session, room: Room) -> bool:
    """A locked room refuses legs that called in (not originated ones) with its prompt;
    the channel variable conference_enforce_security overrides that (mod_conference.c)."""
    channel = session.channel
    enforce = channel.direction == "inbound"
    override = channel.get_var("conference_enforce_security")
    if override is not None:
        enforce = switch_true(override)
    if not room.locked or not enforce:
        return False
    log.info("Conference %s is locked.", room.name)
    sound = room.profile.get("locked-sound")
    if sound:
        channel.answer()
        try:
            session.play(sound)
        except (ChannelGone, Interrupted):
            pass
    return True


def _make_member(
    manager: ConferenceManager, room: Room, session: Session, flags: set[str]
) -> Member:
    channel = session.channel
    moderator = "moderator" in flags
    group = channel.get_var("conference_controls")
    if not group:
        mod_group = room.profile.get("moderator-controls")
        group = (
            mod_group if moderator and mod_group else room.profile.get("caller-controls", "default")
        )
    controls = manager.config.controls(group) or []
    member = Member(
        id=manager.next_member_id(),
        room=room,
        channel=channel,
        session=session,
        controls=controls,
        moderator=moderator,
        endconf="endconf" in flags,
        mandatory="mandatory_member_endconf" in flags,
        mintwo="mintwo" in flags,
        ghost="ghost" in flags,
        energy=room.profile.get_int("energy-level", 100),
    )
    if "mute" in flags:
        member.can_speak = False
    if "deaf" in flags:
        member.can_hear = False
    if "wait-mod" in flags and not any(m.moderator for m in room.members) and not moderator:
        room.wait_mod = True
    channel.conference_member = member
    return member


def _set_join_variables(member: Member) -> None:
    channel = member.channel
    channel.set_var("conference_name", member.room.name)
    channel.set_var("app_session_uuid", member.room.uuid)
    channel.set_var("conference_member_id", member.id)
    channel.set_var("conference_moderator", true_false(member.moderator))
    channel.set_var("conference_ghost", true_false(member.ghost))
    channel.set_var("conference_uuid", member.room.uuid)


def dial_into_room(
    originator: Originator,
    endpoint: str,
    cid_number: str,
    cid_name: str,
    app_arg: str,
    room_name: str,
    job_uuid: str | None = None,
) -> str:
    """conference_outcall(): `conference <room> dial|bgdial` originates the endpoint into
    `conference <app_arg>`; bgdial returns at once and fires bgdial-result once the call is up or failed."""
    variables = {}
    if job_uuid is not None:
        variables["conference_bgdial_jobid"] = job_uuid
    if cid_name:
        variables["origination_caller_id_name"] = cid_name
    if cid_number:
        variables["origination_caller_id_number"] = cid_number
    request = OriginateRequest(
        endpoint=endpoint,
        variables=variables,
        app="conference",
        app_arg=app_arg,
        cid_name=cid_name or None,
        cid_number=cid_number or None,
    )
    if job_uuid is None:
        outcome = originator.place(request)
        return "SUCCESS" if isinstance(outcome, Channel) else outcome

    def background() -> None:
        outcome = originator.place(request)
        result = "SUCCESS" if isinstance(outcome, Channel) else outcome
        manager = originator.ctx.conferences
        room = manager.room(room_name) if manager is not None else None
        if room is not None:
            peer = outcome.uuid if isinstance(outcome, Channel) else ""
            room.fire(
                "bgdial-result",
                ("mod_conference.c", "conference_outcall_run", 1708),
                post=[("Result", result), ("Job-UUID", job_uuid), ("Peer-UUID", peer)],
            )

    gevent.spawn(background)
    return "SUCCESS"
