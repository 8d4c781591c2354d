"""`Store`: the one object the CLI, IVR, scheduler, mail and web use to reach the database.

Every method is one transaction (joining the caller's, if one is open); `store.transaction()`
makes several calls atomic together (docs/store.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fs_conf.errors import NotFoundError
from fs_conf.model import Attendance, Conference, ConferenceStatus, ParticipantStatus, RoomState
from fs_conf.store import attendance, codec, conferences, memory, outbox, room_state, scheduling
from fs_conf.store.busy import BUSY_WAIT_SECONDS
from fs_conf.store.db import Database, connect
from fs_conf.store.memory import OrganizerMemory
from fs_conf.store.outbox import OutboxEntry, OutboxStatus, OutgoingMail
from fs_conf.store.scheduling import Callout, Mailing, TaskKey

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(
    path: str | Path, clock: Clock = utc_now, busy_wait: float = BUSY_WAIT_SECONDS
) -> Store:
    """Open the SQLite file at `path` (created for its owner alone and migrated as needed).

    `clock` stamps created/updated times; tests and the demo pass a scaled clock. Each
    transaction waits up to `busy_wait` seconds for a lock another program holds, then raises
    DatabaseBusyError. Raises ValidationError on the `database` key if the file cannot be used.
    """
    return Store(connect(path, busy_wait), clock)


class Store:
    """Typed access to conferences, attendance, the mail outbox and the IVR's memory."""

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self._db = database
        self._clock = clock

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group calls into one atomic change; nests (inner blocks are savepoints)."""
        with self._db.transaction():
            yield self

    # Conferences

    def add_conference(self, conference: Conference) -> Conference:
        """Insert a new conference with its participants; returns it as stored, with ids."""
        with self._db.transaction() as connection:
            conference_id = conferences.insert(connection, conference, self._clock())
            return self._one(conference_id)

    def get_conference(self, conference_id: int) -> Conference:
        with self._db.reading():
            return self._one(conference_id)

    def find_by_number(self, number: str, include_cancelled: bool = False) -> list[Conference]:
        """Conferences reached by dialing `number` (their internal or external number)."""
        where = "(number = ? OR external_number = ?)" + self._status_filter(include_cancelled)
        with self._db.reading() as connection:
            return conferences.select(connection, where, (number, number))

    def list_conferences(self, include_cancelled: bool = False) -> list[Conference]:
        with self._db.reading() as connection:
            return conferences.select(connection, "1" + self._status_filter(include_cancelled), ())

    def save_conference(self, conference: Conference) -> Conference:
        """Write all fields and participants of a stored conference; returns it as stored.

        Participants keep their ids; ones without an id are added, stored ones missing
        from the list are removed. Extensions are not touched (see `add_extension`).
        """
        with self._db.transaction() as connection:
            conferences.update(connection, conference, self._clock())
            return self._one(conference.id)

    def set_status(self, conference_id: int, status: ConferenceStatus) -> None:
        self._update_one(
            "UPDATE conferences SET status = ?, updated_at = ? WHERE id = ?",
            (ConferenceStatus(status).value, self._stamp(), conference_id),
            "conference",
            conference_id,
        )

    def set_mailed(self, conference_id: int, mailed: bool = True) -> None:
        """Mark that invitations went out: from then on PINs are frozen."""
        self._update_one(
            "UPDATE conferences SET mailed = ?, updated_at = ? WHERE id = ?",
            (int(mailed), self._stamp(), conference_id),
            "conference",
            conference_id,
        )

    def set_participant_status(self, participant_id: int, status: ParticipantStatus) -> None:
        self._update_one(
            "UPDATE participants SET status = ? WHERE id = ?",
            (ParticipantStatus(status).value, participant_id),
            "participant",
            participant_id,
        )

    def add_extension(
        self, conference_id: int, occurrence_start: datetime, minutes: int
    ) -> timedelta:
        """Grant `minutes` more to one occurrence; returns its total extension."""
        with self._db.transaction() as connection:
            if not conferences.exists(connection, conference_id):
                raise NotFoundError("conference", conference_id)
            conferences.add_extension(
                connection, conference_id, occurrence_start, timedelta(minutes=minutes)
            )
            return self._one(conference_id).extensions[occurrence_start]

    # Attendance

    def record_join(self, record: Attendance) -> int:
        with self._db.transaction() as connection:
            return attendance.insert(connection, record)

    def record_leave(self, attendance_id: int, at: datetime) -> None:
        """Set the leave time; a repeated leave (hangup after kick) keeps the first one."""
        with self._db.transaction() as connection:
            if not attendance.set_left(connection, attendance_id, at) and not attendance.exists(
                connection, attendance_id
            ):
                raise NotFoundError("attendance", attendance_id)

    def attendance_for(self, conference_id: int, occurrence_start: datetime) -> list[Attendance]:
        with self._db.reading() as connection:
            return attendance.for_occurrence(connection, conference_id, occurrence_start)

    # Outbox

    def outbox_add(self, mails: list[OutgoingMail], now: datetime | None = None) -> int:
        """Queue mails whose key is new; returns how many were added (others are ignored)."""
        with self._db.transaction() as connection:
            return outbox.insert(connection, list(mails), now or self._clock())

    def outbox_due(self, now: datetime, limit: int = 100) -> list[OutboxEntry]:
        with self._db.reading() as connection:
            return outbox.due(connection, now, limit)

    def outbox_mark_sent(self, entry_id: int, at: datetime) -> None:
        self._outbox_change(outbox.mark_sent, entry_id, at)

    def outbox_mark_retry(self, entry_id: int, error: str, next_at: datetime) -> None:
        self._outbox_change(outbox.mark_retry, entry_id, error, next_at)

    def outbox_mark_failed(self, entry_id: int, error: str) -> None:
        self._outbox_change(outbox.mark_failed, entry_id, error)

    def outbox_list(self, status: OutboxStatus | None = None) -> list[OutboxEntry]:
        with self._db.reading() as connection:
            return outbox.listed(connection, status)

    # Memory: organizers and PIN lockout

    def remember_organizer(self, organizer: str, reply_to: str, first_invitee: str) -> None:
        with self._db.transaction() as connection:
            memory.remember(
                connection, OrganizerMemory(organizer, reply_to, first_invitee), self._clock()
            )

    def recall_organizer(self, organizer: str) -> OrganizerMemory | None:
        with self._db.reading() as connection:
            return memory.recall(connection, organizer)

    def lockout_record(self, key: str, at: datetime) -> None:
        with self._db.transaction() as connection:
            memory.lockout_record(connection, key, at)

    def lockout_count(self, key: str, since: datetime) -> int:
        with self._db.reading() as connection:
            return memory.lockout_count(connection, key, since)

    def lockout_prune(self, before: datetime) -> int:
        with self._db.transaction() as connection:
            return memory.lockout_prune(connection, before)

    # Rooms: the keypad settings and occurrences ended early (fs_conf.ivr.room_control)

    def room_state(self, conference_id: int) -> RoomState | None:
        """The stored settings of a conference's room, None if none were ever saved."""
        with self._db.reading() as connection:
            return room_state.load(connection, conference_id)

    def room_states(self) -> list[RoomState]:
        with self._db.reading() as connection:
            return room_state.all_states(connection)

    def save_room_state(self, state: RoomState) -> None:
        with self._db.transaction() as connection:
            if not conferences.exists(connection, state.conference_id):
                raise NotFoundError("conference", state.conference_id)
            room_state.save(connection, state, self._clock())

    def end_occurrence(self, conference_id: int, occurrence_start: datetime) -> None:
        """Mark one occurrence as over now (e.g. a moderator pressed *9); idempotent."""
        with self._db.transaction() as connection:
            if not conferences.exists(connection, conference_id):
                raise NotFoundError("conference", conference_id)
            room_state.mark_ended(connection, conference_id, occurrence_start, self._clock())

    def occurrence_ended(self, conference_id: int, occurrence_start: datetime) -> datetime | None:
        """When the occurrence was ended early, None if it was not."""
        with self._db.reading() as connection:
            return room_state.ended_at(connection, conference_id, occurrence_start)

    # Scheduler: tasks done, mailings, call-outs (fs_conf.scheduler, fs_conf.ivr.callout)

    def data_version(self) -> int:
        """Moves whenever another connection committed a change to the database file."""
        with self._db.reading() as connection:
            return scheduling.data_version(connection)

    def mark_task_done(self, conference_id: int, occurrence_start: datetime, task: str) -> bool:
        """Record a task of one occurrence as done now; False if it already was."""
        with self._db.transaction() as connection:
            return scheduling.mark_done(
                connection, conference_id, occurrence_start, task, self._clock()
            )

    def tasks_done(self, since: datetime) -> set[TaskKey]:
        """(conference id, occurrence start UTC, task) of occurrences starting from `since`."""
        with self._db.reading() as connection:
            return scheduling.done_since(connection, since)

    def ended_occurrences(self, since: datetime) -> dict[tuple[int, datetime], datetime]:
        """When occurrences starting from `since` were ended early, by (conference id, start)."""
        with self._db.reading() as connection:
            return scheduling.ended_since(connection, since)

    def mailings(self) -> dict[int, Mailing]:
        with self._db.reading() as connection:
            return scheduling.load_mailings(connection)

    def mailing(self, conference_id: int) -> Mailing | None:
        with self._db.reading() as connection:
            return scheduling.load_mailing(connection, conference_id)

    def save_mailing(self, mailing: Mailing) -> None:
        with self._db.transaction() as connection:
            scheduling.save_mailing(connection, mailing, self._clock())

    def add_callout(self, callout: Callout) -> None:
        with self._db.transaction() as connection:
            scheduling.add_callout(connection, callout)

    def claim_callout(self, call_uuid: str, token_sha256: str) -> Callout | None:
        """The unclaimed call-out with this UUID and token hash, now claimed; else None."""
        with self._db.transaction() as connection:
            return scheduling.claim_callout(connection, call_uuid, token_sha256, self._clock())

    def outbox_next_attempt(self) -> datetime | None:
        """When the earliest pending mail is due; None when nothing is pending."""
        with self._db.reading() as connection:
            return scheduling.next_outbox_attempt(connection)

    # Helpers

    def _one(self, conference_id: int | None) -> Conference:
        found = conferences.select(self._db.connection, "id = ?", (conference_id,))
        if not found:
            raise NotFoundError("conference", conference_id)
        return found[0]

    def _stamp(self) -> str:
        return codec.utc_text(self._clock())

    def _update_one(self, sql: str, params: tuple[object, ...], kind: str, key: int) -> None:
        with self._db.transaction() as connection:
            if connection.execute(sql, params).rowcount == 0:
                raise NotFoundError(kind, key)

    def _outbox_change(self, change: Callable[..., int], entry_id: int, *args: object) -> None:
        with self._db.transaction() as connection:
            if change(connection, entry_id, *args) == 0:
                raise NotFoundError("outbox entry", entry_id)

    @staticmethod
    def _status_filter(include_cancelled: bool) -> str:
        return "" if include_cancelled else f" AND status = '{ConferenceStatus.SCHEDULED.value}'"
