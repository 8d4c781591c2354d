"""The attendance of callers in a room whose call flow has gone (fs_conf restarted).

FreeSWITCH keeps a caller in the room when the IVR's call socket closes, so the flow that
would record their leave may be gone while they stay. `Adoption` records it instead, from the
room's `del-member`, and closes the stays of callers who left while nobody was watching.
Why and how: docs/ivr.md#callers-whose-flow-has-gone-a-restart
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fs_conf.errors import NotFoundError
from fs_conf.esl import ConferenceAPI, ESLError, RoomNotFound
from fs_conf.ivr.room_names import room_name
from fs_conf.model import Attendance, Conference, Occurrence, ParticipantStatus
from fs_conf.store import Clock, Store

log = logging.getLogger(__name__)

Running = Callable[[Conference], Occurrence | None]
"""The occurrence of a conference callers are in now, if any (the room controller's)."""


@dataclass(frozen=True)
class AdoptedStay:
    """A caller's open stay in a room, closed when they leave."""

    conference_id: int
    attendance_id: int
    participant_id: int | None


def _adopted(stay: Attendance) -> AdoptedStay:
    assert stay.id is not None
    return AdoptedStay(stay.conference_id, stay.id, stay.participant_id)


class Adoption:
    """The stays of the callers in the rooms whose call no flow of this process follows."""

    def __init__(
        self, store: Store, api: Callable[[str], str], running: Running, clock: Clock
    ) -> None:
        self._store = store
        self._api = api
        self._rooms = ConferenceAPI(api)
        self._running = running
        self._clock = clock
        self._started_at = clock()
        self._stays: dict[str, AdoptedStay] = {}
        """By call UUID."""

    def take(self, call_uuid: str, stay: AdoptedStay) -> None:
        """A flow lost its socket while its caller stays in the room."""
        log.info("conference %s: call %r stays without its flow", stay.conference_id, call_uuid)
        self._stays[call_uuid] = stay

    def left(self, call_uuid: str) -> None:
        """A member left a room (`del-member`)."""
        stay = self._stays.pop(call_uuid, None)
        if stay is not None:
            self._close(stay)

    def catch_up(self) -> None:
        """Look at the open stays of the occurrences running now: watch a caller still in the
        room whose stay began before this process started (or was taken); close the stay of a
        caller FreeSWITCH no longer has. Call after every (re)connection."""
        stays: dict[str, AdoptedStay] = {}
        for conference in self._store.list_conferences():
            occurrence = self._running(conference)
            if occurrence is None:
                continue
            records = self._store.attendance_for(conference.stored_id, occurrence.start)
            open_stays = [stay for stay in records if stay.left_at is None]
            present = self._present(room_name(conference.stored_id)) if open_stays else set()
            if present is None:
                continue
            for stay in open_stays:
                if stay.call_uuid not in present:
                    if not self._call_exists(stay.call_uuid):
                        self._close(_adopted(stay))
                elif stay.joined_at < self._started_at or stay.call_uuid in self._stays:
                    stays[stay.call_uuid] = _adopted(stay)
        if stays:
            log.info("watching %d callers in the rooms that no call flow follows", len(stays))
        self._stays = stays

    def _present(self, room: str) -> set[str] | None:
        """The call UUIDs in `room`; None when FreeSWITCH cannot say."""
        try:
            return {member.uuid for member in self._rooms.members(room)}
        except RoomNotFound:
            return set()
        except ESLError as error:
            log.warning("room %s: cannot list its members: %r", room, error)
            return None

    def _call_exists(self, call_uuid: str) -> bool:
        try:
            return self._api(f"uuid_exists {call_uuid}").strip() == "true"
        except ESLError as error:
            log.warning("cannot ask whether call %r still exists: %r", call_uuid, error)
            return True

    def _close(self, stay: AdoptedStay) -> None:
        try:
            with self._store.transaction():
                self._store.record_leave(stay.attendance_id, self._clock())
                if stay.participant_id is not None:
                    self._store.set_participant_status(stay.participant_id, ParticipantStatus.LEFT)
        except NotFoundError:
            log.info("conference %s: a caller left who is no longer on record", stay.conference_id)
            return
        log.info("conference %s: attendance %s closed", stay.conference_id, stay.attendance_id)
