"""The rooms (conference_obj_t): membership, state changes, sounds, recordings and their events.

Follows src/mod/applications/mod_conference/mod_conference.c (conference_new(),
conference_thread_run()); each event a room fires names the conference_*.c function that
fires it in FreeSWITCH. Sound, and what is not modelled: docs/simulator.md#rooms
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Queue

from fs_conf.sim.channel import Channel, new_uuid
from fs_conf.sim.conference_config import ConferenceConfig, Profile
from fs_conf.sim.conference_record import RoomRecording
from fs_conf.sim.headers import Event, Headers
from fs_conf.sim.truth import true_false

if TYPE_CHECKING:
    from fs_conf.sim.conference_member import Member
    from fs_conf.sim.context import SimContext

SUBCLASS = "conference::maintenance"

# The sounds of the default profile in FreeSWITCH's vanilla conference.conf.xml: what a stock
# install plays when no conference config was given to the simulator. mod_conference itself
# has no default for any of them (mod_conference.c conference_new() leaves an unset sound
# NULL), so a configured profile plays only what it names.
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
        self.recordings: list[RoomRecording] = []
        self.destroyed = False
        self.variables: dict[str, str] = {}
        self._files: Queue = Queue()
        self._player = gevent.spawn(self._play_files)
        self._grace: gevent.Greenlet | None = None

    # -- events ----------------------------------------------------------------------------
    def event_headers(self) -> Headers:
        """conference_event_add_data() (conference_event.c): Size counts the members
        that are not ghosts (conference->count), Ghosts the others (count_ghosts)."""
        ghosts = sum(1 for m in self.members if m.ghost)
        return [
            ("Conference-Name", self.name),
            ("Conference-Domain", self.domain),
            ("Conference-Size", str(len(self.members) - ghosts)),
            ("Conference-Ghosts", str(ghosts)),
            ("Conference-Profile-Name", self.profile.name),
            ("Conference-Unique-ID", self.uuid),
        ]

    def fire(
        self,
        action: str,
        origin: tuple[str, str, int],
        *,
        member: Member | None = None,
        head: Iterable[tuple[str, str]] = (),
        mid: Iterable[tuple[str, str]] = (),
        post: Iterable[tuple[str, str]] = (),
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
        self._give_floor()
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
        ends = self._ends_now(member)
        if not ends:
            self._give_floor()
        if self.members:
            self.play(self.profile.get("exit-sound"))
        if ends:
            self.end()
        elif self._last_mandatory_left(member):
            self._end_after_grace()
        elif not self.members:
            self.destroy()

    def _give_floor(self) -> None:
        """conference_thread_run() (mod_conference.c): while nobody holds the floor, the
        first running member of conference->members (the newest, conference_member_add
        puts it first) takes it on the mixer's next tick. Waiting for a moderator changes
        nothing here: case6b lists the waiting participant as `hear|speak|floor`."""
        if self.floor is not None:
            return
        member = next((m for m in self.newest_first() if m.running), None)
        if member is None:
            return
        self.floor = member
        self.fire(
            "floor-change",
            ("conference_member.c", "conference_member_set_floor_holder", 1158),
            member=member,
            mid=[("Old-ID", "none")],
            post=[("New-ID", str(member.id))],
            action_first=True,
        )

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

    @property
    def rate(self) -> int:
        """The room's sample rate (the profile's `rate`; 8000 as in conference_config)."""
        rate = self.profile.get("rate", "8000")
        return int(rate) if rate.isdigit() and int(rate) >= 1000 else 8000

    def start_recording(self, path: str) -> None:
        """conference_record_thread_run(): open the file, then start-recording (or, if it
        cannot be opened, start-recording with an Error header and no recording)."""
        recording = RoomRecording(path, self.rate, self.ctx.clock)
        if not recording.open():
            self.fire(
                "start-recording",
                ("conference_record.c", "conference_record_thread_run", 280),
                post=[("Path", path), ("Error", "File could not be opened for recording")],
            )
            return
        self.recordings.append(recording)
        self.fire(
            "start-recording",
            ("conference_record.c", "conference_record_thread_run", 319),
            post=[("Path", path)],
        )

    def stop_recording(self, recording: RoomRecording) -> None:
        """The end of conference_record_thread_run(): the file is closed, then
        stop-recording with what was written."""
        if recording not in self.recordings:
            return
        self.recordings.remove(recording)
        recording.close()
        self.fire(
            "stop-recording",
            ("conference_record.c", "conference_record_thread_run", 427),
            post=[
                ("Path", recording.path),
                ("Other-Recordings", true_false(bool(self.recordings))),
                ("Samples-Out", str(recording.samples_out)),
                ("Samplerate", str(recording.rate)),
                ("Milliseconds-Elapsed", str(recording.milliseconds)),
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
    """All rooms and the member id counter."""

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
