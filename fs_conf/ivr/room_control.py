"""What happens in a room: the moderators' keypad actions and the room state they leave.

`RoomController` acts on moderators' keys from the inbound Event Socket connection and keeps
`RoomState` (mute all, lock, recording) per room and occurrence in the store. Call `start()`
after the inbound connection is up and again after it reconnects; it also hands the callers
whose call flow has gone to `Adoption`, which records their leave.
Why and how: docs/ivr.md#room-control
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent.lock

from fs_conf.config import Config
from fs_conf.errors import NotFoundError
from fs_conf.esl import (
    ConferenceAPI,
    ConferenceAPIError,
    ConnectionLost,
    ESLError,
    Event,
    InboundESL,
    RoomNotFound,
)
from fs_conf.ivr.adoption import AdoptedStay, Adoption
from fs_conf.ivr.room_names import parse_room_name, room_name
from fs_conf.ivr.unplayed import room_play_failed
from fs_conf.keypad import Keypad, KeypadAction, keypad_from_config
from fs_conf.model import Conference, Occurrence, RoomState
from fs_conf.prompts import Prompts
from fs_conf.store import Clock, Store, utc_now
from fs_conf.timetable import JoinKind, join_state

log = logging.getLogger(__name__)

MAINTENANCE = "conference::maintenance"


def recording_path(
    recordings_dir: str, conference_id: int, occurrence_start: datetime, number: int
) -> str:
    """The file of the `number`-th recording (0-based) of one occurrence, in a folder per
    conference (`make_recording_folder`)."""
    stamp = occurrence_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = stamp if number == 0 else f"{stamp}-{number + 1}"
    return os.path.join(os.path.abspath(recordings_dir), str(conference_id), f"{name}.wav")


def make_recording_folder(path: str) -> None:
    """Create the folder of recording `path` with the permissions of the recordings folder
    (0700 when fs_conf created that one). mod_conference would create a missing folder
    itself, open to FreeSWITCH's group: 0750 less its umask (conference_record.c,
    switch_dir_make_recursive with SWITCH_DEFAULT_DIR_PERMS of src/include/switch_types.h)."""
    folder = Path(path).parent
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.parent.stat().st_mode)
    try:
        folder.mkdir(mode=mode)
    except FileExistsError:
        return
    folder.chmod(mode)  # mkdir's mode less the umask: an admin's 0770 must stay 0770


@dataclasses.dataclass(frozen=True)
class _Press:
    """One moderator key press, as the dtmf event tells it."""

    room: str
    conference: Conference
    member_id: int


class RoomController:
    """Acts on the moderators' keys and keeps each room's state; see the module docstring."""

    def __init__(
        self, config: Config, store: Store, esl: InboundESL, clock: Clock = utc_now
    ) -> None:
        self._config = config
        self._store = store
        self._esl = esl
        self._api = ConferenceAPI(esl.api)
        self._clock = clock
        self._keypad: Keypad = keypad_from_config(config.ivr.keypad)
        self._prompts = Prompts.from_config(config)
        self._grace = timedelta(minutes=config.conference.grace_minutes)
        self._locks: defaultdict[int, gevent.lock.RLock] = defaultdict(gevent.lock.RLock)
        self._actions: dict[KeypadAction, Callable[[_Press], None]] = {
            KeypadAction.MUTE_ALL: self._mute_all,
            KeypadAction.UNMUTE_ALL: self._unmute_all,
            KeypadAction.LOCK: self._toggle_lock,
            KeypadAction.KICK_LAST: self._kick_last,
            KeypadAction.EXTEND: self._extend,
            KeypadAction.RECORD: self._toggle_recording,
            KeypadAction.END: self._end,
        }
        self._events: dict[str, Callable[[int, Event], None]] = {
            "dtmf": self._on_key,
            "lock": self._on_lock,
            "unlock": self._on_lock,
            "add-member": self._on_join,
            "del-member": self._on_leave,
            "start-recording": self._on_recording_started,
            "stop-recording": self._on_recording_stopped,
            "conference-destroy": self._on_destroy,
        }
        self._schedule_listeners: list[Callable[[], None]] = []
        self._adoption = Adoption(store, esl.api, self._running, clock)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to the room events on the connected inbound connection and catch up."""
        self._esl.register_handle(MAINTENANCE, self._on_event)
        self._esl.subscribe("CUSTOM", MAINTENANCE)
        self.reconcile()

    def stop(self) -> None:
        self._esl.unregister_handle(MAINTENANCE, self._on_event)

    def on_schedule_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever a sitting's end moves (`*6`) or comes early (`*9`), so a
        scheduler in the same process plans again at once: it must warn at the new time, or
        mail the attendance report now (fs_conf.cli.serve wires the scheduler's `wake`)."""
        self._schedule_listeners.append(listener)

    def _schedule_changed(self) -> None:
        for listener in self._schedule_listeners:
            listener()

    def reconcile(self) -> None:
        """Bring stored locks and recordings in line with the rooms FreeSWITCH really has, and
        the attendance of callers whose flow has gone (`Adoption.catch_up`)."""
        for stored in self._store.room_states():
            if not (stored.locked or stored.recording):
                continue
            with self._locks[stored.conference_id]:
                try:
                    self._save(
                        dataclasses.replace(
                            stored, locked=self._is_locked(room_name(stored.conference_id))
                        )
                    )
                except RoomNotFound:
                    self._save(dataclasses.replace(stored, locked=False, recording=""))
                except ESLError as error:
                    log.warning(
                        "room %s: cannot read its lock: %r", room_name(stored.conference_id), error
                    )
        self._adoption.catch_up()

    # -- what the IVR and the scheduler use ----------------------------------------------

    def adopt(self, call_uuid: str, conference_id: int, attendance: int, who: int | None) -> None:
        """Record the leave of this caller (attendance id, participant id or None) from the
        room's `del-member`: their call flow lost its socket while FreeSWITCH keeps them in
        the room."""
        self._adoption.take(call_uuid, AdoptedStay(conference_id, attendance, who))

    def state(self, room: str) -> RoomState:
        """The room's state for the occurrence open now (a fresh one for a new occurrence).

        ValueError for a room that is not fs_conf's, NotFoundError for a deleted conference."""
        conference_id = parse_room_name(room)
        if conference_id is None:
            raise ValueError(f"{room!r} is not an fs_conf room (fs_conf-<conference id>)")
        with self._locks[conference_id]:
            return self._load(self._store.get_conference(conference_id))

    def end_occurrence(self, conference: Conference, occurrence: Occurrence | None) -> None:
        """End the conference for everyone: mark the occurrence ended (when there is one),
        stop a recording, remove every caller with the "conference ending" prompt."""
        room = room_name(conference.stored_id)
        if occurrence is not None:
            self._store.end_occurrence(conference.stored_id, occurrence.start)
            self._schedule_changed()
        with self._locks[conference.stored_id]:
            state = self._load(conference)
            if state.recording:
                self._stop_recording(room, state.recording)
            try:
                # mod_conference.c plays a kick's sound file to the kicked member before the
                # conference application returns, so each caller hears the prompt.
                self._api.command(room, "kick", "all", self._prompts.file("conference_ending"))
            except RoomNotFound:
                log.info("conference %s: room %s was already empty", conference.id, room)
            self._save(dataclasses.replace(state, muted_all=False, locked=False, recording=""))
        log.info(
            "conference %s: occurrence %s ended, everyone removed",
            conference.id,
            occurrence.start.isoformat() if occurrence else "(none open)",
        )

    # -- events --------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        conference_id = parse_room_name(event.get("Conference-Name", ""))
        handler = self._events.get(event.get("Action", ""))
        if conference_id is None or handler is None:
            return
        with self._locks[conference_id]:
            try:
                handler(conference_id, event)
            except NotFoundError:
                log.info("room event for conference %s, which no longer exists", conference_id)
            except RoomNotFound:
                # Everyone left before the event was acted on: nothing left to control.
                log.info(
                    "conference %s: %r came after the room closed", conference_id, event["Action"]
                )
            except ConnectionLost as error:
                log.warning(
                    "conference %s: %r not acted on, the Event Socket connection went: %r",
                    conference_id,
                    event["Action"],
                    error,
                )
            except ESLError as error:
                log.error("conference %s: %r failed: %r", conference_id, event["Action"], error)

    def _on_key(self, conference_id: int, event: Event) -> None:
        key = event.get("DTMF-Key", "")
        member_id = int(event.get("Member-ID", "0"))
        caller_id = event.get("Caller-Caller-ID-Number", "")
        action = self._keypad.action_for(key)
        room = room_name(conference_id)
        if action is None:
            log.info(
                "conference %s: key %r from %r is not a keypad action",
                conference_id,
                key,
                caller_id,
            )
            return
        if event.get("Member-Type") != "moderator":
            # Only the moderator group binds these keys; a participant group that does is a
            # configuration mistake that must not hand out a moderator's powers.
            log.warning(
                "conference %s: %r (%s) pressed by non-moderator %r: refused",
                conference_id,
                key,
                action.value,
                caller_id,
            )
            self._tell_member(room, member_id, "not_allowed")
            return
        conference = self._store.get_conference(conference_id)
        log.info(
            "conference %s: moderator %r (member %s) pressed %r: %s",
            conference_id,
            caller_id,
            member_id,
            key,
            action.value,
        )
        self._actions[action](_Press(room, conference, member_id))

    def _on_lock(self, conference_id: int, event: Event) -> None:
        state = self._load(self._store.get_conference(conference_id))
        self._save(dataclasses.replace(state, locked=event["Action"] == "lock"))

    def _on_join(self, conference_id: int, event: Event) -> None:
        if event.get("Member-Type") == "moderator" or event.get("Speak") != "true":
            return
        conference = self._store.get_conference(conference_id)
        if self._load(conference).muted_all:
            member_id = event.get("Member-ID", "")
            log.info(
                "conference %s: muting member %r, who joined after mute all",
                conference_id,
                member_id,
            )
            try:
                self._api.mute(room_name(conference_id), member_id)
            except ConferenceAPIError as error:
                # The member hung up before their join event came (conference_api.c).
                if isinstance(error, RoomNotFound) or "Non-Existant ID" not in error.reply:
                    raise
                log.info("conference %s: member %r left before the mute", conference_id, member_id)

    def _on_leave(self, conference_id: int, event: Event) -> None:
        self._adoption.left(event.get("Unique-ID", ""))

    def _on_recording_started(self, conference_id: int, event: Event) -> None:
        if "Error" not in event:
            return
        state = self._load(self._store.get_conference(conference_id))
        log.error(
            "conference %s: recording %r failed: %r",
            conference_id,
            event.get("Path"),
            event["Error"],
        )
        if state.recording == event.get("Path"):
            self._save(dataclasses.replace(state, recording=""))

    def _on_recording_stopped(self, conference_id: int, event: Event) -> None:
        state = self._load(self._store.get_conference(conference_id))
        if state.recording and event.get("Path") in (state.recording, "all"):
            self._save(dataclasses.replace(state, recording=""))

    def _on_destroy(self, conference_id: int, event: Event) -> None:
        state = self._load(self._store.get_conference(conference_id))
        self._save(dataclasses.replace(state, locked=False, recording=""))

    # -- the keypad actions --------------------------------------------------------------

    def _mute_all(self, press: _Press) -> None:
        self._api.mute(press.room, "non_moderator")
        self._update(press.conference, muted_all=True)
        self._tell_member(press.room, press.member_id, "muted_all")

    def _unmute_all(self, press: _Press) -> None:
        self._api.unmute(press.room, "non_moderator")
        self._update(press.conference, muted_all=False)
        self._tell_member(press.room, press.member_id, "unmuted_all")

    def _toggle_lock(self, press: _Press) -> None:
        # The room's own flag decides, not the stored one: the CLI or another moderator may
        # have changed it, and a lock event may still be on its way.
        locked = self._is_locked(press.room)
        if locked:
            self._api.unlock(press.room)
        else:
            self._api.lock(press.room)
        self._update(press.conference, locked=not locked)
        self._tell_member(press.room, press.member_id, "room_unlocked" if locked else "room_locked")

    def _kick_last(self, press: _Press) -> None:
        others = [m for m in self._api.members(press.room) if not m.is_moderator]
        if not others:
            log.info("conference %s: nobody to remove", press.conference.id)
            self._tell_member(press.room, press.member_id, "not_allowed")
            return
        newest = max(others, key=lambda member: member.id)
        self._api.kick(press.room, newest.id)
        log.info(
            "conference %s: removed member %s (%r)",
            press.conference.id,
            newest.id,
            newest.caller_id_number,
        )
        self._tell_member(press.room, press.member_id, "removed_last")

    def _extend(self, press: _Press) -> None:
        occurrence = self._running(press.conference)
        if occurrence is None:
            log.info("conference %s: no occurrence open to extend", press.conference.id)
            self._tell_member(press.room, press.member_id, "not_allowed")
            return
        minutes = self._config.conference.extend_minutes
        total = self._store.add_extension(press.conference.stored_id, occurrence.start, minutes)
        self._schedule_changed()
        log.info(
            "conference %s: occurrence %s extended by %s min, now ends %s",
            press.conference.id,
            occurrence.start.isoformat(),
            minutes,
            (occurrence.start + press.conference.duration + total).isoformat(),
        )
        self._tell_room(press.room, "extended")

    def _toggle_recording(self, press: _Press) -> None:
        state = self._load(press.conference)
        if state.recording:
            self._stop_recording(press.room, state.recording)
            self._save(dataclasses.replace(state, recording=""))
            self._tell_room(press.room, "recording_stopped")
            return
        start = state.occurrence_start or self._clock()
        path = recording_path(
            self._config.ivr.recordings_dir, press.conference.stored_id, start, state.recordings
        )
        try:
            make_recording_folder(path)
        except OSError as error:  # mod_conference may still manage, as FreeSWITCH's user
            log.error(
                "conference %s: cannot create the folder of %s: %s",
                press.conference.id,
                path,
                error,
            )
        self._api.record(press.room, path)
        self._save(dataclasses.replace(state, recording=path, recordings=state.recordings + 1))
        log.info("conference %s: recording to %s", press.conference.id, path)
        self._tell_room(press.room, "recording_started")

    def _end(self, press: _Press) -> None:
        self.end_occurrence(press.conference, self._running(press.conference))

    # -- helpers -------------------------------------------------------------------------

    def _running(self, conference: Conference) -> Occurrence | None:
        """The occurrence callers may join now, unless a moderator already ended it."""
        joinable = join_state(conference, self._clock(), self._grace)
        occurrence = joinable.occurrence if joinable.kind is JoinKind.OPEN else None
        if occurrence is None or self._store.occurrence_ended(
            conference.stored_id, occurrence.start
        ):
            return None
        return occurrence

    def _load(self, conference: Conference) -> RoomState:
        """The stored state, moved on to the occurrence open now: a new occurrence keeps what
        the room physically is (locked, recording) and forgets the moderators' choices."""
        stored = self._store.room_state(conference.stored_id) or RoomState(conference.stored_id)
        occurrence = self._running(conference)
        if occurrence is None or stored.occurrence_start == occurrence.start:
            return stored
        return dataclasses.replace(
            stored, occurrence_start=occurrence.start, muted_all=False, recordings=0
        )

    def _save(self, state: RoomState) -> None:
        self._store.save_room_state(state)

    def _update(self, conference: Conference, **changes: Any) -> None:
        self._save(dataclasses.replace(self._load(conference), **changes))

    def _is_locked(self, room: str) -> bool:
        try:
            return self._api.get(room, "is_locked") == "locked"
        except RoomNotFound:
            raise
        except ConferenceAPIError as error:
            # conference_api.c answers `get is_locked` of an unlocked room with nothing, and
            # mod_event_socket.c turns an api command's empty output into "-ERR no reply".
            if error.reply == "-ERR no reply":
                return False
            raise

    def _stop_recording(self, room: str, path: str) -> None:
        try:
            self._api.norecord(room, path)
        except ConferenceAPIError as error:
            # conference_api.c answers `-ERR non-existant recording` for a file it no longer
            # records (stopped by someone else, or the disk filled up): it is stopped.
            if isinstance(error, RoomNotFound) or "non-existant" not in error.reply:
                raise
            log.info("room %s: recording %s had already stopped", room, path)

    def _tell_member(self, room: str, member_id: int, prompt: str) -> None:
        file = self._prompts.file(prompt)
        try:
            self._api.play(room, file, member_id)
        except ESLError as error:
            room_play_failed(room, file, error, member_id)

    def _tell_room(self, room: str, prompt: str) -> None:
        file = self._prompts.file(prompt)
        try:
            self._api.play(room, file)
        except ESLError as error:
            room_play_failed(room, file, error)
