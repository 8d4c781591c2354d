"""Who was in which sitting of a conference, and for how long (table `attendance`)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from fs_conf.model import Attendance, Role
from fs_conf.store import codec
from fs_conf.store.db import inserted_id


def insert(connection: sqlite3.Connection, attendance: Attendance) -> int:
    cursor = connection.execute(
        "INSERT INTO attendance (conference_id, occurrence_start_utc, participant_id, call_uuid,"
        " caller_id, role, joined_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            attendance.conference_id,
            codec.utc_text(attendance.occurrence_start),
            attendance.participant_id,
            attendance.call_uuid,
            attendance.caller_id,
            Role(attendance.role).value,
            codec.utc_text(attendance.joined_at),
            codec.optional_utc_text(attendance.left_at),
        ),
    )
    return inserted_id(cursor)


def set_left(connection: sqlite3.Connection, attendance_id: int, at: datetime) -> bool:
    """Record the leave time once; a second leave for the same row changes nothing."""
    cursor = connection.execute(
        "UPDATE attendance SET left_at = ? WHERE id = ? AND left_at IS NULL",
        (codec.utc_text(at), attendance_id),
    )
    return cursor.rowcount > 0


def exists(connection: sqlite3.Connection, attendance_id: int) -> bool:
    row = connection.execute("SELECT 1 FROM attendance WHERE id = ?", (attendance_id,)).fetchone()
    return row is not None


def for_occurrence(
    connection: sqlite3.Connection, conference_id: int, occurrence_start: datetime
) -> list[Attendance]:
    rows = connection.execute(
        "SELECT id, conference_id, occurrence_start_utc, participant_id, call_uuid, caller_id,"
        " role, joined_at, left_at FROM attendance"
        " WHERE conference_id = ? AND occurrence_start_utc = ? ORDER BY joined_at, id",
        (conference_id, codec.utc_text(occurrence_start)),
    )
    return [
        Attendance(
            id=row[0],
            conference_id=row[1],
            occurrence_start=codec.from_utc_text(row[2]),
            participant_id=row[3],
            call_uuid=row[4],
            caller_id=row[5],
            role=Role(row[6]),
            joined_at=codec.from_utc_text(row[7]),
            left_at=codec.optional_from_utc_text(row[8]),
        )
        for row in rows
    ]
