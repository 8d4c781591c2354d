"""What the store remembers between conferences: organizers' defaults and PIN failures.

`organizer_memory` pre-fills an organizer's next conference; `lockout` keeps one row per
failed PIN entry, so that the count over a window is a range query (docs/store.md).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from fs_conf.store import codec


@dataclass(frozen=True)
class OrganizerMemory:
    organizer: str
    reply_to: str
    first_invitee: str
    """The participant SPEC (`Name <email>;phone=...`) the organizer invited first last time."""


def organizer_key(organizer: str) -> str:
    return organizer.strip().lower()


def remember(connection: sqlite3.Connection, memory: OrganizerMemory, now: datetime) -> None:
    connection.execute(
        "INSERT INTO organizer_memory (organizer, reply_to, first_invitee, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (organizer) DO UPDATE SET reply_to = excluded.reply_to,"
        " first_invitee = excluded.first_invitee, updated_at = excluded.updated_at",
        (
            organizer_key(memory.organizer),
            memory.reply_to,
            memory.first_invitee,
            codec.utc_text(now),
        ),
    )


def recall(connection: sqlite3.Connection, organizer: str) -> OrganizerMemory | None:
    row = connection.execute(
        "SELECT organizer, reply_to, first_invitee FROM organizer_memory WHERE organizer = ?",
        (organizer_key(organizer),),
    ).fetchone()
    return None if row is None else OrganizerMemory(*row)


def lockout_record(connection: sqlite3.Connection, key: str, at: datetime) -> None:
    connection.execute("INSERT INTO lockout (key, at) VALUES (?, ?)", (key, codec.utc_text(at)))


def lockout_count(connection: sqlite3.Connection, key: str, since: datetime) -> int:
    row = connection.execute(
        "SELECT count(*) FROM lockout WHERE key = ? AND at >= ?", (key, codec.utc_text(since))
    ).fetchone()
    return int(row[0])


def lockout_prune(connection: sqlite3.Connection, before: datetime) -> int:
    return connection.execute(
        "DELETE FROM lockout WHERE at < ?", (codec.utc_text(before),)
    ).rowcount
