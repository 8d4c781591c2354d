"""Deliver the outbox: every queued mail at least once; twice only after a crash, and then
only what was in flight.

`deliver_due` sends the due rows over one transport session; `deliver` sends rows over a
given session. Each row is marked sent, failed or to retry the moment its delivery ends.
Only one deliverer may run against a database at a time.
Why: docs/mail.md#the-delivery-guarantee
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fs_conf.config import Config
from fs_conf.mail.transport import DeliveryFailure, PermanentFailure, Session, Transport
from fs_conf.store import OutboxEntry, Store

__all__ = ["DeliverySummary", "OutboxEntry", "deliver", "deliver_due", "next_attempt"]

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
    """Send every outbox row due at `now` (at most `limit`) over one session; see the
    module docstring."""
    summary = DeliverySummary()
    due = store.outbox_due(now, limit)
    if due:
        with transport.session() as session:
            deliver(store, session, due, now, config, summary)
    return summary


def deliver(
    store: Store,
    session: Session,
    entries: Iterable[OutboxEntry],
    now: datetime,
    config: Config,
    summary: DeliverySummary,
) -> None:
    """Send `entries` one after the other over `session`, each marked the moment its
    delivery ends, and count them in `summary`. Several sessions may take turns at one
    iterator of entries: each entry is taken by one of them."""
    losses, reason = 0, ""
    pending = iter(entries)
    for entry in pending:
        if losses >= MAX_SESSION_LOSSES:
            for waiting in (entry, *pending):
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
