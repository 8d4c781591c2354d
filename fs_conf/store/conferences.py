"""Conferences and their participants, extensions and single-sitting changes in SQLite
(rows <-> model objects).

Functions here take an open connection inside a transaction; `fs_conf.store.Store`
supplies both. A conference's `start`, exdates, extension keys and the times of its
overrides come back in the conference's own time zone.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fs_conf.errors import NotFoundError
from fs_conf.model import (
    Conference,
    ConferenceStatus,
    OccurrenceOverride,
    OverrideStatus,
    Participant,
    ParticipantStatus,
    Role,
    RoomOptions,
)
from fs_conf.store import codec
from fs_conf.store.db import inserted_id

_CONFERENCE_COLUMNS = (
    "uid, title, description, location, organizer, reply_to, start_utc, timezone, "
    "duration_seconds, lead_seconds, rrule, exdates, number, external_number, guest_pin, "
    "moderator_pin, sequence, status, options, mailed, series_sequence"
)
_CONFERENCE_SLOTS = ", ".join("?" * len(_CONFERENCE_COLUMNS.split(",")))

# Rows as the schema (fs_conf.store.migrations) types their columns; sqlite3 returns them
# untyped. A conference row is its id, then _CONFERENCE_COLUMNS in order.
_ConferenceRow = tuple[
    int, str, str, str, str, str, str, str, str, int, int, str | None, str, str, str, str, str,
    int, str, str, int, int,
]  # fmt: skip
_ParticipantRow = tuple[int, str, str | None, str | None, str, str, int, str]
_OverrideRow = tuple[str, str, str | None, int | None, int]


def insert(connection: sqlite3.Connection, conference: Conference, now: datetime) -> int:
    if conference.id is not None or any(p.id is not None for p in conference.participants):
        raise ValueError("a new conference and its participants must not have ids yet")
    stamp = codec.utc_text(now)
    cursor = connection.execute(
        f"INSERT INTO conferences ({_CONFERENCE_COLUMNS}, created_at, updated_at)"
        f" VALUES ({_CONFERENCE_SLOTS}, ?, ?)",
        (*_conference_values(conference), stamp, stamp),
    )
    conference_id = inserted_id(cursor)
    for position, participant in enumerate(conference.participants):
        _insert_participant(connection, conference_id, position, participant)
    for occurrence_start, extra in conference.extensions.items():
        add_extension(connection, conference_id, occurrence_start, extra)
    _save_overrides(connection, conference_id, conference.overrides)
    return conference_id


def update(connection: sqlite3.Connection, conference: Conference, now: datetime) -> None:
    """Write every field, the participant list and the overrides; participant ids stay as
    they are.

    Extensions are left alone: they are granted live (`*6`) while someone else may be
    editing a copy loaded earlier, and only `add_extension` changes them.
    """
    if conference.id is None:
        raise ValueError("only a stored conference (with an id) can be saved")
    assignments = ", ".join(f"{column.strip()} = ?" for column in _CONFERENCE_COLUMNS.split(","))
    cursor = connection.execute(
        f"UPDATE conferences SET {assignments}, updated_at = ? WHERE id = ?",
        (*_conference_values(conference), codec.utc_text(now), conference.id),
    )
    if cursor.rowcount == 0:
        raise NotFoundError("conference", conference.id)
    _save_participants(connection, conference.id, conference.participants)
    _save_overrides(connection, conference.id, conference.overrides)


def _save_overrides(
    connection: sqlite3.Connection, conference_id: int, overrides: list[OccurrenceOverride]
) -> None:
    """Replace the conference's overrides by `overrides` (one per original start)."""
    connection.execute("DELETE FROM occurrence_overrides WHERE conference_id = ?", (conference_id,))
    connection.executemany(
        "INSERT INTO occurrence_overrides (conference_id, original_start_utc, status, start_utc,"
        " duration_seconds, sequence) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                conference_id,
                codec.utc_text(override.original_start),
                OverrideStatus(override.status).value,
                codec.optional_utc_text(override.start),
                None if override.duration is None else codec.seconds(override.duration),
                override.sequence,
            )
            for override in overrides
        ],
    )


def _save_participants(
    connection: sqlite3.Connection, conference_id: int, participants: list[Participant]
) -> None:
    stored = {
        row[0]
        for row in connection.execute(
            "SELECT id FROM participants WHERE conference_id = ?", (conference_id,)
        )
    }
    kept = {p.id for p in participants if p.id is not None}
    strangers = kept - stored
    if strangers:
        raise NotFoundError(f"participant of conference {conference_id}", min(strangers))
    connection.executemany(
        "DELETE FROM participants WHERE id = ?", [(gone,) for gone in sorted(stored - kept)]
    )
    for position, participant in enumerate(participants):
        if participant.id is None:
            _insert_participant(connection, conference_id, position, participant)
        else:
            connection.execute(
                "UPDATE participants SET position = ?, name = ?, email = ?, phone = ?, role = ?,"
                " pin = ?, call = ?, status = ? WHERE id = ?",
                (position, *_participant_values(participant), participant.id),
            )


def _insert_participant(
    connection: sqlite3.Connection, conference_id: int, position: int, participant: Participant
) -> int:
    cursor = connection.execute(
        "INSERT INTO participants (conference_id, position, name, email, phone, role, pin, call,"
        " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (conference_id, position, *_participant_values(participant)),
    )
    return inserted_id(cursor)


def _conference_values(conference: Conference) -> tuple[object, ...]:
    return (
        conference.uid,
        conference.title,
        conference.description,
        conference.location,
        conference.organizer,
        conference.reply_to,
        codec.utc_text(conference.start),
        conference.timezone,
        codec.seconds(conference.duration),
        codec.seconds(conference.lead),
        conference.rrule,
        json.dumps([codec.utc_text(moment) for moment in conference.exdates]),
        conference.number,
        conference.external_number,
        conference.guest_pin,
        conference.moderator_pin,
        conference.sequence,
        ConferenceStatus(conference.status).value,
        json.dumps(dataclasses.asdict(conference.options), sort_keys=True),
        int(conference.mailed),
        conference.series_sequence,
    )


def _participant_values(participant: Participant) -> tuple[object, ...]:
    return (
        participant.name,
        participant.email,
        participant.phone,
        Role(participant.role).value,
        participant.pin,
        int(participant.call),
        ParticipantStatus(participant.status).value,
    )


def add_extension(
    connection: sqlite3.Connection, conference_id: int, occurrence_start: datetime, extra: timedelta
) -> None:
    connection.execute(
        "INSERT INTO extensions (conference_id, occurrence_start_utc, seconds) VALUES (?, ?, ?)"
        " ON CONFLICT (conference_id, occurrence_start_utc)"
        " DO UPDATE SET seconds = seconds + excluded.seconds",
        (conference_id, codec.utc_text(occurrence_start), codec.seconds(extra)),
    )


def exists(connection: sqlite3.Connection, conference_id: int) -> bool:
    row = connection.execute("SELECT 1 FROM conferences WHERE id = ?", (conference_id,)).fetchone()
    return row is not None


def select(
    connection: sqlite3.Connection, where: str, params: tuple[object, ...]
) -> list[Conference]:
    """Conferences matching the SQL condition `where` (on table `conferences`), by id."""
    rows = connection.execute(
        f"SELECT id, {_CONFERENCE_COLUMNS} FROM conferences WHERE {where} ORDER BY id", params
    ).fetchall()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    slots = ", ".join("?" * len(ids))
    participants: dict[int, list[Participant]] = {conference_id: [] for conference_id in ids}
    for row in connection.execute(
        "SELECT conference_id, id, name, email, phone, role, pin, call, status FROM participants"
        f" WHERE conference_id IN ({slots}) ORDER BY conference_id, position, id",
        ids,
    ):
        participants[row[0]].append(_participant(row[1:]))
    extensions: dict[int, list[tuple[str, int]]] = {conference_id: [] for conference_id in ids}
    for conference_id, start_text, extra in connection.execute(
        "SELECT conference_id, occurrence_start_utc, seconds FROM extensions"
        f" WHERE conference_id IN ({slots}) ORDER BY occurrence_start_utc",
        ids,
    ):
        extensions[conference_id].append((start_text, extra))
    overrides: dict[int, list[_OverrideRow]] = {conference_id: [] for conference_id in ids}
    for row in connection.execute(
        "SELECT conference_id, original_start_utc, status, start_utc, duration_seconds, sequence"
        f" FROM occurrence_overrides WHERE conference_id IN ({slots})"
        " ORDER BY conference_id, original_start_utc",
        ids,
    ):
        overrides[row[0]].append(row[1:])
    return [
        _conference(row, participants[row[0]], extensions[row[0]], overrides[row[0]])
        for row in rows
    ]


def _participant(row: _ParticipantRow) -> Participant:
    participant_id, name, email, phone, role, pin, call, status = row
    return Participant(
        id=int(participant_id),
        name=str(name),
        email=email if email is None else str(email),
        phone=phone if phone is None else str(phone),
        role=Role(role),
        pin=str(pin),
        call=bool(call),
        status=ParticipantStatus(status),
    )


def _conference(
    row: _ConferenceRow,
    participants: list[Participant],
    extensions: list[tuple[str, int]],
    overrides: list[_OverrideRow],
) -> Conference:
    (
        conference_id, uid, title, description, location, organizer, reply_to, start_text,
        timezone, duration_seconds, lead_seconds, rrule, exdates, number, external_number,
        guest_pin, moderator_pin, sequence, status, options, mailed, series_sequence,
    ) = row  # fmt: skip
    zone = ZoneInfo(str(timezone))
    return Conference(
        id=int(conference_id),
        uid=str(uid),
        title=str(title),
        description=str(description),
        location=str(location),
        organizer=str(organizer),
        reply_to=str(reply_to),
        start=codec.local(str(start_text), zone),
        timezone=str(timezone),
        duration=codec.duration(int(duration_seconds)),
        lead=codec.duration(int(lead_seconds)),
        rrule=rrule if rrule is None else str(rrule),
        exdates=[codec.local(text, zone) for text in json.loads(str(exdates))],
        number=str(number),
        external_number=str(external_number),
        guest_pin=str(guest_pin),
        moderator_pin=str(moderator_pin),
        sequence=int(sequence),
        status=ConferenceStatus(status),
        options=_options(str(options)),
        mailed=bool(mailed),
        participants=participants,
        extensions={codec.local(text, zone): codec.duration(extra) for text, extra in extensions},
        overrides=[_override(values, zone) for values in overrides],
        series_sequence=int(series_sequence),
    )


def _override(values: _OverrideRow, zone: ZoneInfo) -> OccurrenceOverride:
    original_text, status, start_text, duration_seconds, sequence = values
    return OccurrenceOverride(
        original_start=codec.local(str(original_text), zone),
        status=OverrideStatus(status),
        start=None if start_text is None else codec.local(str(start_text), zone),
        duration=None if duration_seconds is None else codec.duration(int(duration_seconds)),
        sequence=int(sequence),
    )


def _options(text: str) -> RoomOptions:
    known = {f.name for f in dataclasses.fields(RoomOptions)}
    # Options written by a newer fs_conf are skipped rather than crashing an older reader.
    return RoomOptions(**{k: v for k, v in json.loads(text).items() if k in known})
