"""Render again the mails that failed to render, once the admin fixed the templates.

`rerender_failed` (`fs-conf outbox --retry`) renders each failed mail again under the same
outbox key (same SEQUENCE, same Message-ID) and queues it in place of the failed row; mails
that are out of date are left as they are. Which: docs/scheduler.md#re-rendering-failed-mails
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from fs_conf.config import Config
from fs_conf.mail.compose import CALENDAR_KINDS, MailKind, build_mails
from fs_conf.mail.render import Renderer
from fs_conf.model import Conference, ConferenceStatus, Occurrence, Participant
from fs_conf.scheduler.mailing import without_pins
from fs_conf.scheduler.plan import is_live
from fs_conf.store import OutboxEntry, OutboxStatus, OutgoingMail, Store
from fs_conf.timetable import ConferenceSchedule, sitting


@dataclass
class RerenderSummary:
    queued: int = 0
    """Mails rendered and queued for delivery."""
    failed: list[str] = field(default_factory=list)
    """`recipient (key): reason` of mails whose template still fails."""
    skipped: list[str] = field(default_factory=list)
    """`recipient (key): why` of mails left as they are (out of date)."""

    def lines(self) -> list[str]:
        """What `fs-conf outbox --retry` prints before the listing."""
        shown = [f"Rendered again and queued {self.queued} mails."]
        shown += [f"still failing: {line}" for line in self.failed]
        shown += [f"left as it is: {line}" for line in self.skipped]
        return shown


def rerender_failed(store: Store, config: Config, now: datetime) -> RerenderSummary:
    """Render and queue again every mail that failed to render; see the module docstring."""
    summary = RerenderSummary()
    renderer = Renderer(config.templates_dir, config.language)
    failed = [entry for entry in store.outbox_list(OutboxStatus.FAILED) if entry.unrendered]
    for _, group in itertools.groupby(sorted(failed, key=_batch), key=_batch):
        entries = list(group)
        conference_id = entries[0].conference_id
        if conference_id is None:
            _skip(summary, entries, "not a conference's mail")
            continue
        conference = store.get_conference(conference_id)
        reason = _out_of_date(conference, entries[0], now)
        if reason:
            _skip(summary, entries, reason)
        else:
            _rerender(store, config, renderer, conference, entries, now, summary)
    return summary


def _rerender(
    store: Store,
    config: Config,
    renderer: Renderer,
    conference: Conference,
    entries: Sequence[OutboxEntry],
    now: datetime,
    summary: RerenderSummary,
) -> None:
    """Render one batch and queue, in place of the failed rows, what rendered."""
    wanted = {entry.recipient.lower() for entry in entries}
    mails = _render(store, config, renderer, conference, entries, now)
    rendered = {m.recipient.lower(): m for m in mails if m.recipient.lower() in wanted}
    with store.transaction():
        store.outbox_add(list(rendered.values()), now)
        sent_something = any(not mail.error for mail in rendered.values())
        if sent_something and MailKind(entries[0].kind) in CALENDAR_KINDS and not conference.mailed:
            # As a first mailing does: from now on a change raises SEQUENCE and is mailed.
            store.set_mailed(_stored_id(conference))
    for entry in entries:
        mail = rendered.get(entry.recipient.lower())
        if mail is None:
            _skip(summary, [entry], "no longer a recipient of this mail")
        elif mail.error:
            summary.failed.append(f"{entry.recipient} ({entry.key}): {mail.error}")
        else:
            summary.queued += 1


def _batch(entry: OutboxEntry) -> tuple[int, str, int, str]:
    """Mails rendered together: one conference, kind, SEQUENCE and sitting."""
    occurrence = "" if entry.occurrence is None else entry.occurrence.isoformat()
    return (entry.conference_id or 0, entry.kind, entry.sequence, occurrence)


def _out_of_date(conference: Conference, entry: OutboxEntry, now: datetime) -> str:
    kind = MailKind(entry.kind)
    if kind in CALENDAR_KINDS and entry.sequence != conference.sequence:
        return f"replaced by the mails of sequence {conference.sequence}"
    if kind in (MailKind.INVITATION, MailKind.UPDATE):
        if conference.status is ConferenceStatus.CANCELLED:
            return "the conference is cancelled"
        if not is_live(conference, now):
            return "the conference is over"
    if kind is MailKind.REMINDER and entry.occurrence is not None and entry.occurrence <= now:
        return "the sitting has begun"
    return ""


def _render(
    store: Store,
    config: Config,
    renderer: Renderer,
    conference: Conference,
    entries: Sequence[OutboxEntry],
    now: datetime,
) -> list[OutgoingMail]:
    first = entries[0]
    kind = MailKind(first.kind)
    # Reminders and reports carry no calendar: their SEQUENCE is only part of the key.
    source = replace(conference, sequence=first.sequence)
    occurrence = None if first.occurrence is None else _sitting(conference, first.occurrence, kind)
    # a calendar mail about one sitting is keyed by the sitting's original start
    original_start = first.occurrence if kind in CALENDAR_KINDS else None
    records = []
    if kind is MailKind.CANCELLATION:
        source = without_pins(conference, [_person(conference, e.recipient) for e in entries])
    elif kind is MailKind.ATTENDANCE and occurrence is not None:
        records = store.attendance_for(first.conference_id or 0, occurrence.start)
    return build_mails(
        source,
        kind,
        config,
        now,
        occurrence,
        original_start=original_start,
        attendance=records,
        renderer=renderer,
        keep_failures=True,
    )


def _sitting(conference: Conference, start: datetime, kind: MailKind) -> Occurrence:
    """The sitting a mail is about, with the extensions it was given and, when it was moved
    on its own, its own times: `start` is its original start for an update or cancellation
    of that sitting alone, its start for a reminder or report."""
    if kind in CALENDAR_KINDS:
        return sitting(conference, start)
    return ConferenceSchedule(conference).occurrence(start)


def _person(conference: Conference, email: str) -> Participant:
    """The participant with this address, or (removed since) someone known by it alone."""
    for participant in conference.participants:
        if (participant.email or "").lower() == email.lower():
            return participant
    return Participant(name="", email=email)


def _skip(summary: RerenderSummary, entries: Sequence[OutboxEntry], reason: str) -> None:
    summary.skipped.extend(f"{entry.recipient} ({entry.key}): {reason}" for entry in entries)


def _stored_id(conference: Conference) -> int:
    if conference.id is None:
        raise ValueError(f"conference {conference.title!r} is not stored (it has no id)")
    return conference.id
