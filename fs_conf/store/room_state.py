"""The rooms' keypad settings and the occurrences ended early, in SQLite.

`room_state` keeps one row per conference (its room is reused by every occurrence), so a
restart of fs_conf finds "mute all", the lock and a running recording where they were.
`ended_occurrences` marks occurrences a moderator ended with *9 (or the scheduler ended), so
that later callers hear that the conference is over instead of joining an empty room.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from fs_conf.model import RoomState
from fs_conf.store import codec

_SELECT = (
    "SELECT conference_id, occurrence_start_utc, muted_all, locked, recording, recordings"
    " FROM room_state"
)
# The columns _SELECT names, as the schema types them; sqlite3 returns rows untyped.
_Row = tuple[int, str | None, int, int, str, int]


def load(connection: sqlite3.Connection, conference_id: int) -> RoomState | None:
    row = connection.execute(f"{_SELECT} WHERE conference_id = ?", (conference_id,)).fetchone()
    return None if row is None else _state(row)


def all_states(connection: sqlite3.Connection) -> list[RoomState]:
    return [_state(row) for row in connection.execute(f"{_SELECT} ORDER BY conference_id")]


def _state(row: _Row) -> RoomState:
    conference_id, start, muted_all, locked, recording, recordings = row
    return RoomState(
        conference_id=conference_id,
        occurrence_start=codec.optional_from_utc_text(start),
        muted_all=bool(muted_all),
        locked=bool(locked),
        recording=recording,
        recordings=recordings,
    )


def save(connection: sqlite3.Connection, state: RoomState, now: datetime) -> None:
    connection.execute(
        "INSERT INTO room_state (conference_id, occurrence_start_utc, muted_all, locked,"
        " recording, recordings, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (conference_id) DO UPDATE SET"
        " occurrence_start_utc = excluded.occurrence_start_utc, muted_all = excluded.muted_all,"
        " locked = excluded.locked, recording = excluded.recording,"
        " recordings = excluded.recordings, updated_at = excluded.updated_at",
        (
            state.conference_id,
            codec.optional_utc_text(state.occurrence_start),
            int(state.muted_all),
            int(state.locked),
            state.recording,
            state.recordings,
            codec.utc_text(now),
        ),
    )


def mark_ended(
    connection: sqlite3.Connection, conference_id: int, occurrence_start: datetime, at: datetime
) -> None:
    """Record that an occurrence ended at `at`; ending it again keeps the first time."""
    connection.execute(
        "INSERT INTO ended_occurrences (conference_id, occurrence_start_utc, ended_at)"
        " VALUES (?, ?, ?) ON CONFLICT (conference_id, occurrence_start_utc) DO NOTHING",
        (conference_id, codec.utc_text(occurrence_start), codec.utc_text(at)),
    )


def ended_at(
    connection: sqlite3.Connection, conference_id: int, occurrence_start: datetime
) -> datetime | None:
    row = connection.execute(
        "SELECT ended_at FROM ended_occurrences"
        " WHERE conference_id = ? AND occurrence_start_utc = ?",
        (conference_id, codec.utc_text(occurrence_start)),
    ).fetchone()
    return None if row is None else codec.from_utc_text(row[0])
