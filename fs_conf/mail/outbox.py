"""Deliver the outbox: every queued mail at least once, and never twice but for one crash window.

A mail is rendered once, when it is queued (`store.outbox_add`, in the same transaction as
the change that caused it); the row holds the complete message bytes and a unique key
(conference, recipient, kind, SEQUENCE, occurrence), so queueing it again adds nothing and
every retry sends exactly the same bytes with the same Message-ID.

`deliver_due` takes the due rows and sends them over one transport session (one SMTP
connection per batch). Each row is marked the moment its own delivery ends:

- accepted (SMTP: the final 250 after DATA; folder: the file renamed into place):
  `outbox_mark_sent`, committed before the next message is even started;
- permanent refusal (5xx): `outbox_mark_failed` with the server's reply, at once;
- temporary refusal (4xx) or no server: `outbox_mark_retry` after `mail.retry_seconds`,
  doubling per attempt, never later than `mail.give_up_hours` after the mail was queued;
  an attempt at or past that point marks the row failed, keeping the last reason.

Why only one duplicate window remains: a row leaves 'pending' only through those marks, and
nothing is sent for a row that is not pending. The single gap is between the server's 250
and the commit of 'sent' (a crash or power cut there resends that one message on restart).
It is kept to one message, not a batch, by committing per message, and receivers can drop
the duplicate because it carries the same Message-ID. Only one process may run
`deliver_due` against a database at a time (`fs-conf serve` does; other commands only queue):
two concurrent deliverers could both pick a row before either marks it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fs_conf.config import Config
from fs_conf.mail.transport import DeliveryFailure, PermanentFailure, Session, Transport
from fs_conf.store import OutboxEntry, Store

__all__ = ["DeliverySummary", "OutboxEntry", "deliver_due", "next_attempt"]

log = logging.getLogger(__name__)

BATCH_LIMIT = 100
"""Rows per call; the scheduler calls again on its next tick for the rest."""
MAX_SESSION_LOSSES = 2
"""Consecutive lost sessions after which the rest of the batch waits for its retry time: the
first loss may be a server ending a long session, the second means it is down."""


@dataclass
class DeliverySummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    """One line per unsent mail: `recipient (key): reason`."""


def next_attempt(entry: OutboxEntry, now: datetime, config: Config) -> datetime | None:
    """When to try `entry` again after a temporary failure at `now`; None: give up.

    The delay is `retry_seconds * 2**attempts` (attempts made before this one), capped so
    that the last try falls on the give-up time rather than after it."""
    deadline = entry.created_at + timedelta(hours=config.mail.give_up_hours)
    if now >= deadline:
        return None
    delay = timedelta(seconds=config.mail.retry_seconds * 2 ** min(entry.attempts, 30))
    return min(now + delay, deadline)


def deliver_due(
    store: Store, transport: Transport, now: datetime, config: Config, limit: int = BATCH_LIMIT
) -> DeliverySummary:
    """Send every outbox row due at `now` (at most `limit`); see the module docstring."""
    summary = DeliverySummary()
    due = store.outbox_due(now, limit)
    if not due:
        return summary
    with transport.session() as session:
        losses, reason = 0, ""
        for position, entry in enumerate(due):
            if losses >= MAX_SESSION_LOSSES:
                for waiting in due[position:]:
                    _temporary(store, waiting, reason, now, config, summary)
                break
            failure = _send(session, entry)
            if failure is None:
                store.outbox_mark_sent(entry.id, now)
                summary.sent += 1
                losses = 0
                continue
            reason = str(failure)
            losses = losses + 1 if failure.session_lost else 0
            if isinstance(failure, PermanentFailure):
                store.outbox_mark_failed(entry.id, reason)
                _note(summary, entry, reason)
                summary.failed += 1
            else:
                _temporary(store, entry, reason, now, config, summary)
    return summary


def _send(session: Session, entry: OutboxEntry) -> DeliveryFailure | None:
    try:
        session.send(entry.recipient, entry.key, entry.message)
    except DeliveryFailure as failure:
        return failure
    return None


def _temporary(
    store: Store,
    entry: OutboxEntry,
    reason: str,
    now: datetime,
    config: Config,
    summary: DeliverySummary,
) -> None:
    retry_at = next_attempt(entry, now, config)
    if retry_at is None:
        reason = f"gave up after {config.mail.give_up_hours} h: {reason}"
        store.outbox_mark_failed(entry.id, reason)
        summary.failed += 1
    else:
        store.outbox_mark_retry(entry.id, reason, retry_at)
        summary.retried += 1
    _note(summary, entry, reason)


def _note(summary: DeliverySummary, entry: OutboxEntry, reason: str) -> None:
    line = f"{entry.recipient} ({entry.key}): {reason}"
    summary.errors.append(line)
    log.warning("mail not delivered: %s", line)
