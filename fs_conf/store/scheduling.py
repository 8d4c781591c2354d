"""What the scheduler has done, in SQLite, so that a restart neither repeats nor skips it.

Tables `occurrence_tasks` (tasks done per occurrence), `mailings` (the SEQUENCE and
recipients last mailed) and `callouts` (the calls it placed); docs/store.md.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from fs_conf.store import codec


@dataclass(frozen=True)
class Recipient:
    """Someone who holds an invitation (an e-mail address; the name for a later cancellation)."""

    email: str
    name: str = ""

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True)
class Mailing:
    """A conference as last mailed: its SEQUENCE and who was invited then."""

    conference_id: int
    sequence: int
    recipients: tuple[Recipient, ...]
    first_seen_at: datetime
    """When the scheduler first handled the conference; it never changes afterwards."""


@dataclass(frozen=True)
class Callout:
    """A call the scheduler placed to bring a participant into an occurrence."""

    call_uuid: str
    conference_id: int
    participant_id: int
    occurrence_start: datetime
    token_sha256: str
    started_at: datetime
    answered_at: datetime | None = None


TaskKey = tuple[int, datetime, str]
"""(conference id, occurrence start in UTC, task name)."""

# A `mailings` row (conference_id, sequence, recipients, first_seen_at) as the schema types
# it; sqlite3 returns rows untyped.
_MailingRow = tuple[int, int, str, str]


class _StoredRecipient(TypedDict):
    """One recipient in the JSON list of `mailings.recipients`."""

    email: str
    name: str


def mark_done(
    connection: sqlite3.Connection,
    conference_id: int,
    occurrence_start: datetime,
    task: str,
    at: datetime,
) -> bool:
    """Record a task as done; False when it already was (the first record stays)."""
    cursor = connection.execute(
        "INSERT INTO occurrence_tasks (conference_id, occurrence_start_utc, task, done_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (conference_id, codec.utc_text(occurrence_start), task, codec.utc_text(at)),
    )
    return cursor.rowcount > 0


def done_since(connection: sqlite3.Connection, since: datetime) -> set[TaskKey]:
    """Tasks done for occurrences starting at or after `since`."""
    rows = connection.execute(
        "SELECT conference_id, occurrence_start_utc, task FROM occurrence_tasks"
        " WHERE occurrence_start_utc >= ?",
        (codec.utc_text(since),),
    )
    return {(row[0], codec.from_utc_text(row[1]), row[2]) for row in rows}


def load_mailings(connection: sqlite3.Connection) -> dict[int, Mailing]:
    rows = connection.execute(
        "SELECT conference_id, sequence, recipients, first_seen_at FROM mailings"
    )
    return {row[0]: _mailing(row) for row in rows}


def load_mailing(connection: sqlite3.Connection, conference_id: int) -> Mailing | None:
    row = connection.execute(
        "SELECT conference_id, sequence, recipients, first_seen_at FROM mailings"
        " WHERE conference_id = ?",
        (conference_id,),
    ).fetchone()
    return None if row is None else _mailing(row)


def save_mailing(connection: sqlite3.Connection, mailing: Mailing, now: datetime) -> None:
    recipients = json.dumps([{"email": r.email, "name": r.name} for r in mailing.recipients])
    connection.execute(
        "INSERT INTO mailings (conference_id, sequence, recipients, first_seen_at, mailed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conference_id) DO UPDATE SET"
        " sequence = excluded.sequence, recipients = excluded.recipients,"
        " mailed_at = excluded.mailed_at",
        (
            mailing.conference_id,
            mailing.sequence,
            recipients,
            codec.utc_text(mailing.first_seen_at),
            codec.utc_text(now),
        ),
    )


def _mailing(row: _MailingRow) -> Mailing:
    conference_id, sequence, recipients_json, first_seen_at = row
    recipients: list[_StoredRecipient] = json.loads(recipients_json)
    return Mailing(
        conference_id=conference_id,
        sequence=sequence,
        recipients=tuple(Recipient(item["email"], item["name"]) for item in recipients),
        first_seen_at=codec.from_utc_text(first_seen_at),
    )


def ended_since(
    connection: sqlite3.Connection, since: datetime
) -> dict[tuple[int, datetime], datetime]:
    """Occurrences (starting at or after `since`) that were ended before their time."""
    rows = connection.execute(
        "SELECT conference_id, occurrence_start_utc, ended_at FROM ended_occurrences"
        " WHERE occurrence_start_utc >= ?",
        (codec.utc_text(since),),
    )
    return {(row[0], codec.from_utc_text(row[1])): codec.from_utc_text(row[2]) for row in rows}


def add_callout(connection: sqlite3.Connection, callout: Callout) -> None:
    connection.execute(
        "INSERT INTO callouts (call_uuid, conference_id, participant_id, occurrence_start_utc,"
        " token_sha256, started_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            callout.call_uuid,
            callout.conference_id,
            callout.participant_id,
            codec.utc_text(callout.occurrence_start),
            callout.token_sha256,
            codec.utc_text(callout.started_at),
        ),
    )


def claim_callout(
    connection: sqlite3.Connection, call_uuid: str, token_sha256: str, at: datetime
) -> Callout | None:
    """The call-out with this UUID and token hash, marked answered; None if there is none or
    it was claimed before (a token admits one call, once)."""
    cursor = connection.execute(
        "UPDATE callouts SET answered_at = ? WHERE call_uuid = ? AND token_sha256 = ?"
        " AND answered_at IS NULL",
        (codec.utc_text(at), call_uuid, token_sha256),
    )
    if cursor.rowcount == 0:
        return None
    row = connection.execute(
        "SELECT call_uuid, conference_id, participant_id, occurrence_start_utc, token_sha256,"
        " started_at, answered_at FROM callouts WHERE call_uuid = ?",
        (call_uuid,),
    ).fetchone()
    return Callout(
        call_uuid=row[0],
        conference_id=row[1],
        participant_id=row[2],
        occurrence_start=codec.from_utc_text(row[3]),
        token_sha256=row[4],
        started_at=codec.from_utc_text(row[5]),
        answered_at=codec.optional_from_utc_text(row[6]),
    )


def next_outbox_attempt(connection: sqlite3.Connection) -> datetime | None:
    """When the earliest pending mail may be tried (its queueing time if it never was);
    None when nothing is pending."""
    row = connection.execute(
        "SELECT MIN(COALESCE(next_attempt_at, created_at)) FROM outbox WHERE status = 'pending'"
    ).fetchone()
    return None if row[0] is None else codec.from_utc_text(row[0])


def data_version(connection: sqlite3.Connection) -> int:
    """SQLite's counter of commits made by other connections to the file (PRAGMA data_version)."""
    return int(connection.execute("PRAGMA data_version").fetchone()[0])
