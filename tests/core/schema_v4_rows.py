"""Conference rows written the way schema versions 3 and 4 hold them, for migration tests.

The store's own code always writes the newest schema, so the data a migration starts from is
written here with the SQL of the old version (its conference and participant columns are the
same in versions 1 to 4).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta

from fs_conf.model import Conference
from fs_conf.store import codec


def insert_conference(
    connection: sqlite3.Connection, conference: Conference, now: datetime
) -> Conference:
    """Store `conference` and its participants as versions 1-4 do; returns it with ids."""
    stamp = codec.utc_text(now)
    cursor = connection.execute(
        "INSERT INTO conferences (uid, title, description, location, organizer, reply_to,"
        " start_utc, timezone, duration_seconds, lead_seconds, rrule, exdates, number,"
        " external_number, guest_pin, moderator_pin, sequence, status, options, mailed,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?, ?)",
        (
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
            json.dumps([codec.utc_text(d) for d in conference.exdates]),
            conference.number,
            conference.external_number,
            conference.guest_pin,
            conference.moderator_pin,
            conference.sequence,
            conference.status.value,
            "{}",
            int(conference.mailed),
            stamp,
            stamp,
        ),
    )
    conference_id = int(cursor.lastrowid)
    people = []
    for position, person in enumerate(conference.participants):
        row = connection.execute(
            "INSERT INTO participants (conference_id, position, name, email, phone, role, pin,"
            " call, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conference_id,
                position,
                person.name,
                person.email,
                person.phone,
                person.role.value,
                person.pin,
                int(person.call),
                person.status.value,
            ),
        )
        people.append(replace(person, id=int(row.lastrowid)))
    return replace(conference, id=conference_id, participants=people)


def remove_participant(connection: sqlite3.Connection, participant_id: int) -> None:
    connection.execute("DELETE FROM participants WHERE id = ?", (participant_id,))


def add_extension(
    connection: sqlite3.Connection, conference_id: int, occurrence_start: datetime, extra: timedelta
) -> None:
    connection.execute(
        "INSERT INTO extensions (conference_id, occurrence_start_utc, seconds) VALUES (?, ?, ?)",
        (conference_id, codec.utc_text(occurrence_start), codec.seconds(extra)),
    )
