"""Deliver the outbox: every queued mail at least once; twice only after a crash, and then
only what was in flight (see "The guarantee").

A mail is rendered once, when it is queued (`store.outbox_add`, in the same transaction as
the change that caused it); the row holds the complete message bytes and a unique key
(conference, recipient, kind, SEQUENCE, occurrence), so queueing it again adds nothing and
every retry sends exactly the same bytes with the same Message-ID.

`deliver_due` takes the due rows and sends them over one transport session (one SMTP
connection per batch); `deliver` sends rows over a session, and the scheduler's courier runs
it on several sessions side by side (`fs_conf.scheduler.courier`). Each row is marked the
moment its own delivery ends:

- accepted (SMTP: the final 250 after DATA; folder: the file renamed into place):
  `outbox_mark_sent`, committed before the session sends anything else, and before any
  other session of the transport may end a message (the SMTP transport's window);
- permanent refusal (5xx): `outbox_mark_failed` with the server's reply, at once;
- temporary refusal (4xx) or no server: `outbox_mark_retry` after `mail.retry_seconds`,
  doubling per attempt, never later than `mail.give_up_hours` after the mail was queued;
  an attempt at or past that point marks the row failed, keeping the last reason.

The guarantee, precisely:

- Every queued mail is delivered (or fails with its reason): a row leaves 'pending' only
  through those marks, so a crash at any point leaves it pending and the next run sends it.
- Nothing is sent twice while the process lives: nothing is sent for a row that is not
  pending, a session marks a row before it starts the next one, and a batch is taken only
  when every row of the batch before is marked.
- A crash of the process (SIGKILL, an exception, an OOM kill) can repeat at most one mail,
  however many SMTP sessions deliver side by side: the one whose delivery the server had
  acknowledged, or was about to, while its 'sent' mark was not yet committed (a session
  sends a message's final dot only when no other message is in that state). That window
  runs from the moment the server takes the message (it queues it before it answers 250)
  to the commit of the mark: the 250's way back over the network plus one local commit
  (no fsync), a fraction of a millisecond on a LAN. The repeat is the same bytes with the same Message-ID, which systems that suppress
  duplicates drop or show once (Gmail shows one; Cyrus suppresses duplicate deliveries;
  a Sieve `duplicate` rule, RFC 7352, can discard it).
- A power cut or kernel crash can repeat the mails marked sent shortly before it: the
  store commits without an fsync (SQLite `synchronous=NORMAL`, see `fs_conf.store.db`),
  so the last marks may be undone; again byte-identical repeats.
- The folder transport writes each mail to a file named by its key, atomically: a repeat
  replaces the file with the same bytes, so the folder holds each mail exactly once.

Why the window cannot be closed: the server's acceptance and the local mark are two
durable writes in two systems, and SMTP gives the sender no way to make them one (no
two-phase commit) or to ask afterwards whether a message was taken (no query by Message-ID,
no idempotency key). Committing the mark before the final dot turns a crash there into a
lost mail instead of a repeated one. Committing a 'sending' mark before DATA does not help
either: after a crash that row is in doubt, and to guarantee delivery it must be sent again,
so it would only name the suspect mail, at one more commit per message. Holding the mark's
transaction open across DATA would shrink the window by one UPDATE but block every other
writer (the IVR) for the server's round trip. So fs_conf keeps at-least-once with the
window as small as it is, and the stable Message-ID to make the rare repeat harmless.

Only one deliverer may run against a database at a time (`fs-conf serve`'s scheduler, see
`fs_conf.scheduler.courier`; other commands only queue): two concurrent deliverers could
both pick a row before either marks it.
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
