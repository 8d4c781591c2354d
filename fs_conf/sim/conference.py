"""The mod_conference subset: rooms, members, member flags, caller controls and their events.

Rooms are created on the first join with a profile (conference_new fires conference-create)
and destroyed when the last member leaves. Member ids count up across all rooms. Every
change fires CUSTOM conference::maintenance with the headers of
src/mod/applications/mod_conference/conference_event.c (conference_event_add_data,
conference_member_add_event_data) in the recorded order.

Sound in a room is modelled as a queue of files per room (enter, exit, alone, `play`) and
per member (muted/unmuted prompts); members hear what plays while they can hear. Music on
hold is not modelled: the profile's moh-sound never plays to a lone member, so the member
flag `nomoh` (which only suppresses it) is accepted and changes nothing a client can see.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Queue

from fs_conf.sim.channel import Channel, ChannelGone, Interrupted, new_uuid
from fs_conf.sim.conference_config import ConferenceConfig, Control, Profile
from fs_conf.sim.headers import Event, Headers, channel_basic_headers
from fs_conf.sim.truth import switch_true

if TYPE_CHECKING:
    from fs_conf.sim.context import SimContext
    from fs_conf.sim.session import Session

log = logging.getLogger(__name__)

SUBCLASS = "conference::maintenance"
ARG_PATTERN = re.compile(r"^(?P<name>[^@+]+)(?:@(?P<profile>[^+]+))?(?P<rest>.*)$")
FLAGS_PATTERN = re.compile(r"\+flags\{([^}]*)\}")

# The sounds of the default profile in FreeSWITCH's vanilla conference.conf.xml: what a stock
# install plays when no conference config was given to the simulator. mod_conference itself
# has no default for any of them (conference.c leaves an unset sound NULL), so a configured
# profile plays only what it names.
VANILLA_DEFAULT = {
    "muted-sound": "conference/conf-muted.wav",
    "unmuted-sound": "conference/conf-unmuted.wav",
    "alone-sound": "conference/conf-alone.wav",
    "enter-sound": "tone_stream://%(200,0,500,600,700)",
    "exit-sound": "tone_stream://%(500,0,300,200,100,50,25)",
    "kicked-sound": "conference/conf-kicked.wav",
    "locked-sound": "conference/conf-locked.wav",
    "is-locked-sound": "conference/conf-is-locked.wav",
    "is-unlocked-sound": "conference/conf-is-unlocked.wav",
}


@dataclass
class Member:
    """One caller in a room (conference_member_t)."""

    id: int
    room: Room
    channel: Channel
    session: Session
    controls: list[Control]
    moderator: bool = False
    can_speak: bool = True
    can_hear: bool = True
    talking: bool = False
    endconf: bool = False
    mandatory: bool = False
    mintwo: bool = False
    ghost: bool = False
    energy: int = 100
    volume_in: int = 0
    volume_out: int = 0
    joined: float = field(default_factory=time.time)
    running: bool = True
    kicked: bool = False
    kicked_sound: str = ""

    @property
    def member_type(self) -> str:
        return "moderator" if self.moderator else "member"

    @property
    def caller_id_name(self) -> str:
        return self.channel.profile.caller_id_name

    @property
    def caller_id_number(self) -> str:
        return self.channel.profile.caller_id_number

    @property
    def uuid(self) -> str:
        return self.channel.uuid

    def flags_text(self) -> str:
        """The flags column of `conference <room> list` (conference_api.c list order)."""
        flags = []
        if self.can_hear:
            flags.append("hear")
        if self.can_speak:
            flags.append("speak")
        if self.talking:
            flags.append("talking")
        if self.room.floor is self:
            flags.append("floor")
        if self.moderator:
            flags.append("moderator")
        if self.ghost:
            flags.append("ghost")
        return "|".join(flags)

    def event_headers(self) -> Headers:
        """conference_member_add_event_data(): room data, Floor, channel, member state."""
        rows = self.room.event_headers()
        rows.append(("Floor", _bool(self.room.floor is self)))
        rows.extend(channel_basic_headers(self.channel))
        rows.extend(
            [
                ("Video", "false"),
                ("Hear", _bool(self.can_hear)),
                ("See", "true"),
                ("Speak", _bool(self.can_speak)),
                ("Talking", _bool(self.talking)),
                ("Mute-Detect", "false"),
                ("Hold", "false"),
                ("Member-ID", str(self.id)),
                ("Member-Type", self.member_type),
                ("Member-Ghost", _bool(self.ghost)),
                ("Energy-Level", str(self.energy)),
                ("Current-Energy", "0"),
            ]
        )
        return rows


@dataclass
class Recording:
    path: str
    started: float = field(default_factory=time.monotonic)


class Room:
    """A running conference (conference_obj_t)."""

    def __init__(self, manager: ConferenceManager, name: str, profile: Profile) -> None:
        self.manager = manager
        self.ctx = manager.ctx
        self.name = name
        self.profile = profile
        self.uuid = new_uuid()
        self.domain = profile.get("domain", "127.0.0.1") or "127.0.0.1"
        self.members: list[Member] = []
        self.locked = False
        self.wait_mod = False
        self.floor: Member | None = None
        self.max_members = profile.get_int("max-members", 0)
        self.endconf_grace = profile.get_int("endconf-grace-time", 0)
        self.created = time.time()
        self.recordings: list[Recording] = []
        self.destroyed = False
        self.variables: dict[str, str] = {}
        self._files: Queue = Queue()
        self._player = gevent.spawn(self._play_files)
        self._grace: gevent.Greenlet | None = None

    # -- events ----------------------------------------------------------------------------
    def event_headers(self) -> Headers:
        return [
            ("Conference-Name", self.name),
            ("Conference-Domain", self.domain),
            ("Conference-Size", str(len(self.members))),
            ("Conference-Ghosts", "0"),
            ("Conference-Profile-Name", self.profile.name),
            ("Conference-Unique-ID", self.uuid),
        ]

    def fire(
        self,
        action: str,
        origin: tuple[str, str, int],
        *,
        member: Member | None = None,
        head: Headers = (),
        mid: Headers = (),
        post: Headers = (),
        action_first: bool = False,
    ) -> None:
        """One conference::maintenance event.

        Member events carry the member data first and then Action (conference_member_add_
        event_data); `action_first` events start with the room data, `head`, Action and `mid`
        and carry the member data (if any) after that, as floor-change and the file events do.
        """

        def build(event: Event) -> None:
            if member is not None and not action_first:
                event.extend(member.event_headers())
                event.extend(list(head))
                event.add("Action", action)
                event.extend(list(mid))
            else:
                event.extend(self.event_headers())
                event.extend(list(head))
                event.add("Action", action)
                event.extend(list(mid))
                if member is not None:
                    event.extend(member.event_headers())
            event.extend(list(post))

        # A member event carries the member's Unique-ID, which is what mod_event_socket's
        # myevents filter looks at: the member's own call socket may subscribe to it.
        uuid = member.uuid if member is not None else None
        self.ctx.bus.fire("CUSTOM", build, subclass=SUBCLASS, uuid=uuid, origin=origin)

    # -- membership ------------------------------------------------------------------------
    def find(self, member_id: int) -> Member | None:
        for member in self.members:
            if member.id == member_id:
                return member
        return None

    def newest_first(self) -> list[Member]:
        return list(reversed(self.members))

    def add(self, member: Member) -> None:
        self.members.append(member)
        if member.mandatory:
            self._cancel_grace()
        if member.moderator and self.wait_mod:
            self.wait_mod = False
        self.fire(
            "add-member", ("conference_member.c", "conference_member_add", 962), member=member
        )
        if self.floor is None:
            self.floor = member
            self.fire(
                "floor-change",
                ("conference_member.c", "conference_member_set_floor_holder", 1158),
                member=member,
                mid=[("Old-ID", "none")],
                post=[("New-ID", str(member.id))],
                action_first=True,
            )
        if len(self.members) == 1:
            self.play(self.profile.get("alone-sound"))
        else:
            self.play(self.profile.get("enter-sound"))

    def remove(self, member: Member) -> None:
        if member not in self.members:
            return
        if self.floor is member:
            self.floor = None
            self.fire(
                "floor-change",
                ("conference_member.c", "conference_member_set_floor_holder", 1158),
                post=[("Old-ID", "none"), ("New-ID", "none")],
            )
        self.members.remove(member)
        self.fire(
            "del-member", ("conference_member.c", "conference_member_del", 1355), member=member
        )
        if self.members:
            self.play(self.profile.get("exit-sound"))
        if self._ends_now(member):
            self.end()
        elif self._last_mandatory_left(member):
            self._end_after_grace()
        elif not self.members:
            self.destroy()

    def _ends_now(self, leaving: Member) -> bool:
        """endconf: any flagged member leaving ends the room (FreeSWITCH >= 1.10.10, PR
        #2079); mintwo: a flagged member left alone ends it."""
        if not self.members:
            return False
        if leaving.endconf:
            return True
        return len(self.members) == 1 and self.members[0].mintwo

    def _last_mandatory_left(self, leaving: Member) -> bool:
        return (
            bool(self.members) and leaving.mandatory and not any(m.mandatory for m in self.members)
        )

    def _end_after_grace(self) -> None:
        """mandatory_member_endconf does what endconf did before 1.10.10: the last flagged
        member leaving stamps endconference_time (conference_member.c conference_member_del)
        and conference_thread_run() (mod_conference.c) ends the room once
        endconf-grace-time seconds have passed with no flagged member back (one joining
        raises end_count again, conference_member_add). FreeSWITCH compares whole epoch
        seconds, so its end comes up to a second later than the simulator's."""
        if self.endconf_grace <= 0:
            self.end()
            return
        self._cancel_grace()
        self._grace = gevent.spawn_later(self.ctx.clock.real(self.endconf_grace), self._grace_over)

    def _grace_over(self) -> None:
        self._grace = None
        if not self.destroyed and not any(m.mandatory for m in self.members):
            self.end()

    def _cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace.kill(block=False)
            self._grace = None

    def end(self) -> None:
        """End the conference for everyone: the members' calls are hung up, then they leave
        (their del-member events carry the Hangup-Cause, as recorded in case6b)."""
        for member in list(self.members):
            member.running = False
            member.channel.hangup("NORMAL_CLEARING")

    def destroy(self) -> None:
        if self.destroyed:
            return
        self.destroyed = True
        self._cancel_grace()
        while not self._files.empty():
            item = self._files.get_nowait()
            if item is not None:
                self._file_done(item)
        self._files.put(None)
        for recording in list(self.recordings):
            self.stop_recording(recording)
        self.manager.rooms.pop(self.name, None)
        self.fire("conference-destroy", ("mod_conference.c", "conference_thread_run", 863))

    # -- state changes (used by the API and by caller controls) ---------------------------
    def mute(self, member: Member, quiet: bool = False) -> None:
        member.can_speak = False
        member.talking = False
        self.fire(
            "mute-member", ("conference_api.c", "conference_api_sub_mute", 339), member=member
        )
        if not quiet:
            self.play_to(member, self.profile.get("muted-sound"))

    def unmute(self, member: Member, quiet: bool = False) -> None:
        member.can_speak = True
        self.fire(
            "unmute-member", ("conference_api.c", "conference_api_sub_unmute", 492), member=member
        )
        if not quiet:
            self.play_to(member, self.profile.get("unmuted-sound"))

    def deaf(self, member: Member) -> None:
        member.can_hear = False
        self.fire(
            "deaf-member", ("conference_api.c", "conference_api_sub_deaf", 797), member=member
        )

    def undeaf(self, member: Member) -> None:
        member.can_hear = True
        self.fire(
            "undeaf-member", ("conference_api.c", "conference_api_sub_undeaf", 839), member=member
        )

    def kick(self, member: Member, sound: str = "") -> None:
        member.running = False
        member.kicked = True
        member.kicked_sound = sound
        self.fire(
            "kick-member", ("conference_api.c", "conference_api_sub_kick", 902), member=member
        )
        member.channel.interrupt()

    def hup(self, member: Member) -> None:
        """conference_api_sub_hup(): the member leaves without the kicked sound; the call
        itself goes on (scenario1: the hup'ed socket call stayed up, parked, until hupall)."""
        member.running = False
        self.fire("hup-member", ("conference_api.c", "conference_api_sub_hup", 871), member=member)
        member.channel.interrupt()

    def set_lock(self, locked: bool) -> None:
        self.locked = locked
        if locked:
            self.fire("lock", ("conference_api.c", "conference_api_sub_lock", 3474))
            self.play(self.profile.get("is-locked-sound"))
        else:
            self.fire("unlock", ("conference_api.c", "conference_api_sub_unlock", 3496))
            self.play(self.profile.get("is-unlocked-sound"))

    def set_talking(self, member: Member, talking: bool) -> None:
        """Voice activity (there is no audio here): start-talking / stop-talking."""
        if member.talking == talking or (talking and not member.can_speak):
            return
        member.talking = talking
        self.fire(
            "start-talking" if talking else "stop-talking",
            ("conference_loop.c", "conference_loop_input", 1154),
            member=member,
        )

    def start_recording(self, path: str) -> None:
        self.recordings.append(Recording(path))
        self.fire(
            "start-recording",
            ("conference_record.c", "conference_record_thread_run", 231),
            post=[("Path", path)],
        )

    def stop_recording(self, recording: Recording) -> None:
        if recording not in self.recordings:
            return
        self.recordings.remove(recording)
        elapsed_ms = int((time.monotonic() - recording.started) * 1000 / self.ctx.clock.time_scale)
        self.fire(
            "stop-recording",
            ("conference_record.c", "conference_record_thread_run", 393),
            post=[
                ("Path", recording.path),
                ("Other-Recordings", _bool(bool(self.recordings))),
                ("Samples-Out", str(elapsed_ms * 8)),
                ("Milliseconds-Elapsed", str(elapsed_ms)),
            ],
        )

    # -- sounds -------------------------------------------------------------------------------
    def play(self, target: str) -> None:
        """Queue a file for the whole room (conference_file_play)."""
        if target and not self.destroyed:
            self._files.put(_Playing(target, None))

    def play_to(self, member: Member, target: str) -> None:
        """A prompt for one member (conference_member_play_file)."""
        if target and not self.destroyed:
            self._files.put(_Playing(target, member))

    def _play_files(self) -> None:
        while True:
            item = self._files.get()
            if item is None:
                return
            sound = self.ctx.sounds.resolve(item.target)
            listeners = [item.member] if item.member else [m for m in self.members if m.can_hear]
            for member in listeners:
                if member is not None and member.channel.alive:
                    member.channel.hear(item.target)
            item.seconds = sound.seconds or 0.0
            self.ctx.clock.sleep(item.seconds)
            self._file_done(item)

    def _file_done(self, item: _Playing) -> None:
        sound = self.ctx.sounds.resolve(item.target)
        millis = int((item.seconds if item.seconds is not None else 0.0) * 1000)
        head = [
            ("seconds", str(millis // 1000)),
            ("milliseconds", str(millis)),
            ("samples", str(millis * 8)),
        ]
        path = sound.path
        origin = ("conference_file.c", "conference_file_close", 52)
        if item.member is None:
            self.fire("play-file-done", origin, head=head, post=[("File", path)], action_first=True)
        elif item.member in self.members:
            self.fire(
                "play-file-member-done",
                origin,
                member=item.member,
                head=head,
                post=[("File", path)],
                action_first=True,
            )
        else:
            self.fire(
                "play-file-member-done", origin, head=head, post=[("File", path)], action_first=True
            )


@dataclass
class _Playing:
    target: str
    member: Member | None
    seconds: float | None = None


class ConferenceManager:
    """All rooms, the member id counter and the `conference` application."""

    def __init__(self, ctx: SimContext, config: ConferenceConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.rooms: dict[str, Room] = {}
        self._member_ids = itertools.count(1)

    def profile(self, name: str) -> Profile:
        profile = self.config.profile(name)
        if name in self.config.profiles:
            return profile
        return Profile(profile.name, {**VANILLA_DEFAULT, **profile.params})

    def room(self, name: str) -> Room | None:
        return self.rooms.get(name)

    def newest_first(self) -> list[Room]:
        return list(reversed(list(self.rooms.values())))

    def get_or_create(self, name: str, profile_name: str, channel: Channel | None = None) -> Room:
        """The room, created (conference-create) on the first join with the profile and the
        creating channel's conference_flags / conference_max_members variables."""
        room = self.rooms.get(name)
        if room is None:
            room = Room(self, name, self.profile(profile_name))
            self.rooms[name] = room
            flags = room.profile.get("conference-flags").split("|")
            if channel is not None:
                flags += (channel.get_var("conference_flags") or "").split("|")
                override = channel.get_var("conference_max_members") or ""
                if override.isdigit() and int(override) != 1:
                    room.max_members = int(override)
            if "wait-mod" in flags:
                room.wait_mod = True
            room.fire("conference-create", ("mod_conference.c", "conference_new", 3848))
        if channel is not None:
            channel.set_var("conference_name", room.name)
        return room

    def stop(self) -> None:
        """Simulator shutdown: end every room (their file players stop with them)."""
        for room in list(self.rooms.values()):
            room.end()
            room.destroy()

    def next_member_id(self) -> int:
        return next(self._member_ids)

    # -- the conference application --------------------------------------------------------
    def run_app(self, session: Session, arg: str) -> None:
        """mod_conference.c conference_function(): join, stay until out, leave."""
        channel = session.channel
        # conference_function() answers the channel before anything else.
        channel.answer()
        match = ARG_PATTERN.match(arg.strip())
        if not match:
            log.error("conference: bad argument %r", arg)
            return
        name = match.group("name").strip()
        profile_name = (match.group("profile") or "default").strip()
        flags = set()
        flag_match = FLAGS_PATTERN.search(match.group("rest") or "")
        if flag_match:
            flags.update(f.strip() for f in flag_match.group(1).split("|") if f.strip())
        member_flags = channel.get_var("conference_member_flags")
        if member_flags:
            flags.update(f.strip() for f in member_flags.split("|") if f.strip())
        room = self.get_or_create(name, profile_name, channel)
        channel.set_var("app_session_uuid", room.uuid)
        if self._refused(session, room):
            return
        if room.max_members and len(room.members) >= room.max_members:
            log.info("Conference %s is full.", name)
            return
        channel.answer()
        member = self._make_member(room, session, flags)
        room.add(member)
        self._set_join_variables(member)
        try:
            self._member_loop(member)
        finally:
            room.remove(member)
            channel.conference_member = None
            channel.set_var("read_codec", channel.codec[0])
            channel.set_var("read_rate", channel.codec[1])
            if member.kicked:
                self._play_kicked_sound(member)

    @staticmethod
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

    def _refused(self, session: Session, room: Room) -> bool:
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

    def _make_member(self, room: Room, session: Session, flags: set[str]) -> Member:
        channel = session.channel
        moderator = "moderator" in flags
        group = channel.get_var("conference_controls")
        if not group:
            mod_group = room.profile.get("moderator-controls")
            group = (
                mod_group
                if moderator and mod_group
                else room.profile.get("caller-controls", "default")
            )
        controls = self.config.controls(group) or []
        member = Member(
            id=self.next_member_id(),
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

    def _set_join_variables(self, member: Member) -> None:
        channel = member.channel
        channel.set_var("conference_name", member.room.name)
        channel.set_var("app_session_uuid", member.room.uuid)
        channel.set_var("conference_member_id", member.id)
        channel.set_var("conference_moderator", _bool(member.moderator))
        channel.set_var("conference_ghost", _bool(member.ghost))
        channel.set_var("conference_uuid", member.room.uuid)

    def _member_loop(self, member: Member) -> None:
        session = member.session
        matcher = KeyMatcher(member.controls)
        timeout_ms = member.room.profile.get_int("ivr-dtmf-timeout", 500)
        try:
            while member.running and member.channel.alive:
                wait = timeout_ms / 1000.0 if matcher.pending else None
                try:
                    key = session.next_input(wait)
                except Interrupted:
                    continue
                if key is None:
                    control = matcher.flush()
                else:
                    control = matcher.feed(key[0])
                if control is not None:
                    self._apply_control(member, control)
        except ChannelGone:
            pass

    def _apply_control(self, member: Member, control: Control) -> None:
        member.channel.set_var("conference_last_matching_digits", control.digits)
        handler = CONTROL_ACTIONS.get(control.action)
        if handler is not None:
            handler(self, member, control)
        else:
            log.info("conference: caller control %r has no effect here", control.action)

    # -- caller-control actions (conference_loop.c) -----------------------------------------
    def _toggle_mute(self, member: Member, control: Control) -> None:
        if member.can_speak:
            member.room.mute(member)
        else:
            member.room.unmute(member)

    def _deaf_mute(self, member: Member, control: Control) -> None:
        room = member.room
        if member.can_speak:
            room.mute(member)
            if member.can_hear:
                room.deaf(member)
        else:
            room.unmute(member)
            if not member.can_hear:
                room.undeaf(member)

    def _event(self, member: Member, control: Control) -> None:
        member.room.fire(
            "dtmf",
            ("conference_loop.c", "conference_loop_event", 619),
            member=member,
            post=[("DTMF-Key", control.digits), ("Data", control.data)],
        )

    def _execute_application(self, member: Member, control: Control) -> None:
        member.room.fire(
            "execute_app",
            ("conference_loop.c", "conference_loop_exec_app", 688),
            member=member,
            post=[("Application", control.data)],
        )
        app, _, arg = control.data.strip().partition(" ")
        if app:
            # conference_loop_exec_app() hands the read codec back to the channel first.
            channel = member.channel
            channel.set_var("read_codec", channel.codec[0])
            channel.set_var("read_rate", channel.codec[1])
            member.session.execute(app, arg.strip())
            channel.set_var("read_codec", channel.codec[0])
            channel.set_var("read_rate", channel.codec[1])

    def _hangup(self, member: Member, control: Control) -> None:
        member.running = False

    def _lock(self, member: Member, control: Control) -> None:
        room = member.room
        if room.wait_mod and not member.moderator:
            return
        room.set_lock(not room.locked)

    def _transfer(self, member: Member, control: Control) -> None:
        parts = control.data.split()
        if parts:
            member.session.transfer_to = (parts[0], parts[2] if len(parts) > 2 else "default")
            member.running = False

    def _energy(self, member: Member, control: Control) -> None:
        step = {"energy up": 200, "energy dn": -200}.get(control.action)
        member.energy = 100 if step is None else min(max(member.energy + step, 0), 1800)

    def _volume(self, member: Member, control: Control) -> None:
        words = control.action.split()
        attr = "volume_in" if words[1] == "talk" else "volume_out"
        value = getattr(member, attr)
        value = {"up": min(value + 1, 4), "dn": max(value - 1, -4), "zero": 0}[words[2]]
        setattr(member, attr, value)

    def _mute_set(self, member: Member, control: Control) -> None:
        want_muted = control.action.endswith("on")
        if want_muted and member.can_speak:
            member.room.mute(member)
        elif not want_muted and not member.can_speak:
            member.room.unmute(member)

    def _deaf_set(self, member: Member, control: Control) -> None:
        if control.action == "deaf":
            if member.can_hear:
                member.room.deaf(member)
            else:
                member.room.undeaf(member)
        elif control.action.endswith("on") and member.can_hear:
            member.room.deaf(member)
        elif control.action.endswith("off") and not member.can_hear:
            member.room.undeaf(member)


CONTROL_ACTIONS: dict[str, Callable[[ConferenceManager, Member, Control], None]] = {
    "mute": ConferenceManager._toggle_mute,
    "mute on": ConferenceManager._mute_set,
    "mute off": ConferenceManager._mute_set,
    "deaf mute": ConferenceManager._deaf_mute,
    "deaf": ConferenceManager._deaf_set,
    "deaf on": ConferenceManager._deaf_set,
    "deaf off": ConferenceManager._deaf_set,
    "event": ConferenceManager._event,
    "execute_application": ConferenceManager._execute_application,
    "hangup": ConferenceManager._hangup,
    "lock": ConferenceManager._lock,
    "transfer": ConferenceManager._transfer,
    "energy up": ConferenceManager._energy,
    "energy equ": ConferenceManager._energy,
    "energy dn": ConferenceManager._energy,
    "vol talk up": ConferenceManager._volume,
    "vol talk zero": ConferenceManager._volume,
    "vol talk dn": ConferenceManager._volume,
    "vol listen up": ConferenceManager._volume,
    "vol listen zero": ConferenceManager._volume,
    "vol listen dn": ConferenceManager._volume,
}


class KeyMatcher:
    """switch_ivr_dmachine matching for caller controls, including multi-digit bindings.

    A key sequence that exactly matches a binding and starts no longer binding fires at once;
    one that is also a prefix waits for more keys (the caller of `feed` then waits the
    ivr-dtmf-timeout and calls `flush`); a sequence that matches nothing is dropped.
    """

    def __init__(self, controls: list[Control]) -> None:
        self.controls = {c.digits: c for c in controls}
        self.pending = ""

    def feed(self, digit: str) -> Control | None:
        self.pending += digit
        exact = self.controls.get(self.pending)
        longer = any(d.startswith(self.pending) and d != self.pending for d in self.controls)
        if exact is not None and not longer:
            self.pending = ""
            return exact
        if not longer:
            self.pending = ""
        return None

    def flush(self) -> Control | None:
        exact = self.controls.get(self.pending)
        self.pending = ""
        return exact


def _bool(value: bool) -> str:
    return "true" if value else "false"
