"""The mail outbox: every message rendered once, stored, then delivered with retries.

A mail's `key` is unique, so queueing it twice adds nothing, and its stored bytes are never
rewritten, except for a mail that failed to render (docs/store.md).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fs_conf.store import codec


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def outbox_key(
    conference_id: int | None,
    recipient: str,
    kind: str,
    sequence: int,
    occurrence: datetime | None = None,
) -> str:
    """The de-duplication key: `conference/recipient/kind/sequence[/occurrence UTC]`."""
    key = f"{'' if conference_id is None else conference_id}/{recipient.lower()}/{kind}/{sequence}"
    return key if occurrence is None else f"{key}/{codec.utc_text(occurrence)}"


@dataclass(frozen=True)
class OutgoingMail:
    """A rendered message to queue; `message` is the complete RFC 5322 text as bytes."""

    conference_id: int | None
    recipient: str
    kind: str
    sequence: int
    message: bytes
    occurrence: datetime | None = None
    error: str = ""
    """Why the mail could not be rendered (template file and line); then `message` is empty
    and the mail is stored as failed."""

    @property
    def key(self) -> str:
        return outbox_key(
            self.conference_id, self.recipient, self.kind, self.sequence, self.occurrence
        )


@dataclass(frozen=True)
class OutboxEntry:
    """A queued message as stored, with its delivery state."""

    id: int
    key: str
    conference_id: int | None
    recipient: str
    kind: str
    sequence: int
    occurrence: datetime | None
    message: bytes
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime | None
    """None: as soon as possible."""
    last_error: str
    created_at: datetime
    sent_at: datetime | None

    @property
    def unrendered(self) -> bool:
        """A mail that failed to render: stored as failed without a message."""
        return self.status is OutboxStatus.FAILED and not self.message


_COLUMNS = (
    "id, key, conference_id, recipient, kind, sequence, occurrence_start_utc, message, status,"
    " attempts, next_attempt_at, last_error, created_at, sent_at"
)
# _COLUMNS as the schema (fs_conf.store.migrations) types them; sqlite3 returns rows untyped.
_Row = tuple[
    int, str, int | None, str, str, int, str | None, bytes, str, int, str | None, str, str,
    str | None,
]  # fmt: skip


_INSERT = (
    "INSERT INTO outbox (key, conference_id, recipient, kind, sequence, occurrence_start_utc,"
    " message, status, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    # Only a row that failed to render gives way (docs/store.md, the mail outbox); any other row
    # with the key stays as it is, so a mail queued twice is stored and sent once.
    " ON CONFLICT (key) DO UPDATE SET message = excluded.message, status = excluded.status,"
    " last_error = excluded.last_error, created_at = excluded.created_at,"
    " next_attempt_at = NULL WHERE outbox.status = 'failed' AND length(outbox.message) = 0"
)


def insert(connection: sqlite3.Connection, mails: list[OutgoingMail], now: datetime) -> int:
    """Store the mails whose key is new or holds a mail that failed to render; returns how
    many rows were added or replaced."""
    added = 0
    for mail in mails:
        status = OutboxStatus.FAILED if mail.error else OutboxStatus.PENDING
        cursor = connection.execute(
            _INSERT,
            (
                mail.key,
                mail.conference_id,
                mail.recipient,
                mail.kind,
                mail.sequence,
                codec.optional_utc_text(mail.occurrence),
                bytes(mail.message),
                status.value,
                mail.error,
                codec.utc_text(now),
            ),
        )
        added += cursor.rowcount
    return added


def due(connection: sqlite3.Connection, now: datetime, limit: int) -> list[OutboxEntry]:
    rows = connection.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE status = 'pending'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        (codec.utc_text(now), limit),
    )
    return [_entry(row) for row in rows]


def listed(connection: sqlite3.Connection, status: OutboxStatus | None) -> list[OutboxEntry]:
    if status is None:
        rows = connection.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY id")
    else:
        rows = connection.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE status = ? ORDER BY id",
            (OutboxStatus(status).value,),
        )
    return [_entry(row) for row in rows]


def mark_sent(connection: sqlite3.Connection, entry_id: int, at: datetime) -> int:
    return connection.execute(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
        " next_attempt_at = NULL WHERE id = ?",
        (codec.utc_text(at), entry_id),
    ).rowcount


def mark_retry(connection: sqlite3.Connection, entry_id: int, error: str, next_at: datetime) -> int:
    return connection.execute(
        "UPDATE outbox SET status = 'pending', attempts = attempts + 1, last_error = ?,"
        " next_attempt_at = ? WHERE id = ?",
        (error, codec.utc_text(next_at), entry_id),
    ).rowcount


def mark_failed(connection: sqlite3.Connection, entry_id: int, error: str) -> int:
    return connection.execute(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?,"
        " next_attempt_at = NULL WHERE id = ?",
        (error, entry_id),
    ).rowcount


def _entry(row: _Row) -> OutboxEntry:
    return OutboxEntry(
        id=int(row[0]),
        key=str(row[1]),
        conference_id=None if row[2] is None else int(row[2]),
        recipient=str(row[3]),
        kind=str(row[4]),
        sequence=int(row[5]),
        occurrence=codec.optional_from_utc_text(row[6]),
        message=bytes(row[7]),
        status=OutboxStatus(row[8]),
        attempts=int(row[9]),
        next_attempt_at=codec.optional_from_utc_text(row[10]),
        last_error=str(row[11]),
        created_at=codec.from_utc_text(str(row[12])),
        sent_at=codec.optional_from_utc_text(row[13]),
    )
