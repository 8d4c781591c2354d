"""Turn a conference's changes and sittings into queued mails, each together with its mark.

`Mailer` renders, then in one transaction checks that the conference is still what was
rendered, queues the mails and records what was mailed: a crash leaves both or neither.
A template failure is stored as a failed mail, never half-sent; cancellations never carry a
PIN. Why: docs/scheduler.md#mailings
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from fs_conf.config import Config
from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.mail.compose import MailKind, build_mails
from fs_conf.mail.render import CurrentTemplates
from fs_conf.model import (
    Attendance,
    Conference,
    ConferenceStatus,
    Occurrence,
    OccurrenceOverride,
    OverrideStatus,
    Participant,
    ParticipantStatus,
)
from fs_conf.scheduler.plan import MailingPlan, Task, TaskKind, plan_mailing
from fs_conf.store import Mailing, OutgoingMail, Store
from fs_conf.timetable import sitting

log = logging.getLogger(__name__)

Offload = Callable[..., Any]
"""Runs `func(*args, **kwargs)` and returns its result (`run_here`, or a test's counter)."""

RESEND_ATTEMPTS = 5
"""How often `resend` renders again when the conference keeps changing underneath it."""


def run_here(
    func: Callable[..., Any], args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
) -> Any:
    """The trivial `Offload`: call it here."""
    return func(*args, **(kwargs or {}))


class Mailer:
    """Renders and queues the scheduler's mails; see the module docstring."""

    def __init__(
        self,
        config: Config,
        store: Store,
        offload: Offload = run_here,
        pause: Callable[[], object] = lambda: None,
    ) -> None:
        self._config = config
        self._store = store
        self._offload = offload
        self._pause = pause
        self._templates = CurrentTemplates(config.templates_dir, config.language)

    def mail_changes(self, conference: Conference, mailing: Mailing | None, now: datetime) -> bool:
        """Queue the invitations, updates and cancellations the conference's state calls for
        (`plan_mailing`), with the new mailing mark. False: it changed meanwhile, plan again."""
        plan = plan_mailing(conference, mailing, now)
        mails = self._render_plan(conference, plan, now, keep_failures=True)
        return self._commit_mailing(conference, conference, mailing, plan, mails, now)

    def resend(self, conference_id: int, now: datetime) -> int:
        """Invite everyone again (`fs-conf conference invite`); returns how many invitations
        were queued (people removed meanwhile get their cancellation too). Once anything was
        mailed, the SEQUENCE grows, so the new invitations are new mails (a repeat of an old
        one would be dropped by its outbox key, and by mail programs that drop a Message-ID
        they have seen) and replace the old calendar entry. While nothing was (every mail
        failed to render), the SEQUENCE stays and the invitations take the failed rows' place.
        A template that fails raises its ValidationError (file and line); nothing is written."""
        for _ in range(RESEND_ATTEMPTS):
            conference = self._store.get_conference(conference_id)
            if conference.status is ConferenceStatus.CANCELLED:
                raise ValidationError(
                    "ID", conference_id, "the conference is cancelled: nobody to invite"
                )
            mailing = self._store.mailing(conference_id)
            target = (
                replace(conference, sequence=conference.sequence + 1)
                if conference.mailed
                else conference
            )
            plan = plan_mailing(target, mailing, now, resend=True)
            if not plan.invite:
                raise ValidationError(
                    "ID",
                    conference_id,
                    "nothing to send: the conference is over or nobody has an e-mail address",
                )
            mails = self._render_plan(target, plan, now, keep_failures=False)
            if self._commit_mailing(conference, target, mailing, plan, mails, now):
                return sum(1 for mail in mails if mail.kind == MailKind.INVITATION)
        raise ValidationError(
            "ID", conference_id, "the conference kept changing while mails were rendered; try again"
        )

    def mail_occurrence(
        self, task: Task, now: datetime, attendance: Sequence[Attendance] = ()
    ) -> bool:
        """Queue a reminder or an attendance report and mark the task done, together.
        False: the conference changed meanwhile, plan again."""
        kinds = {TaskKind.REMINDER: MailKind.REMINDER, TaskKind.ATTENDANCE: MailKind.ATTENDANCE}
        if task.kind not in kinds or task.occurrence is None:
            raise ValueError(f"{task.kind} is not a mail about one occurrence")
        conference = task.conference
        mails = self._render(
            conference, kinds[task.kind], now, task.occurrence, attendance, keep_failures=True
        )
        with self._store.transaction():
            if not self._unchanged(conference):
                return False
            self._store.outbox_add(mails, now)
            self._store.mark_task_done(_stored_id(conference), task.occurrence.start, task.name)
        log.info(
            "conference %s: %s for %s queued (%d mails)",
            conference.id,
            task.kind,
            task.occurrence.start.isoformat(),
            len(mails),
        )
        _log_failures(mails)
        return True

    # -- rendering -------------------------------------------------------------------------------

    def _render_plan(
        self, conference: Conference, plan: MailingPlan, now: datetime, *, keep_failures: bool
    ) -> list[OutgoingMail]:
        mails: list[OutgoingMail] = []
        series_update = () if plan.sittings else plan.update
        for kind, people in ((MailKind.INVITATION, plan.invite), (MailKind.UPDATE, series_update)):
            if people:
                rendered = self._render(conference, kind, now, keep_failures=keep_failures)
                mails.extend(_addressed_to(rendered, people))
        for override in plan.sittings:
            rendered = self._render_sitting(conference, override, plan.update, now, keep_failures)
            mails.extend(_addressed_to(rendered, plan.update))
        if plan.cancel:
            cancelled = without_pins(conference, plan.cancel)
            mails.extend(
                self._render(cancelled, MailKind.CANCELLATION, now, keep_failures=keep_failures)
            )
        return mails

    def _render_sitting(
        self,
        conference: Conference,
        override: OccurrenceOverride,
        people: Sequence[Participant],
        now: datetime,
        keep_failures: bool,
    ) -> list[OutgoingMail]:
        """The mails to `people` about one sitting changed on its own."""
        changed = sitting(conference, override.original_start)
        if override.status is OverrideStatus.CANCELLED:
            cancelled = without_pins(conference, people)
            return self._render(
                cancelled, MailKind.CANCELLATION, now, changed, keep_failures=keep_failures
            )
        return self._render(
            conference,
            MailKind.UPDATE,
            now,
            changed,
            original_start=override.original_start,
            keep_failures=keep_failures,
        )

    def _render(
        self,
        conference: Conference,
        kind: MailKind,
        now: datetime,
        occurrence: Occurrence | None = None,
        attendance: Sequence[Attendance] = (),
        *,
        original_start: datetime | None = None,
        keep_failures: bool,
    ) -> list[OutgoingMail]:
        options = {
            "original_start": original_start,
            "attendance": attendance,
            "renderer": self._templates.renderer(),
            "keep_failures": keep_failures,
            "pause": self._pause,
        }
        return self._offload(
            build_mails, (conference, kind, self._config, now, occurrence), options
        )

    # -- committing ------------------------------------------------------------------------------

    def _commit_mailing(
        self,
        rendered_from: Conference,
        mailed: Conference,
        mailing: Mailing | None,
        plan: MailingPlan,
        mails: list[OutgoingMail],
        now: datetime,
    ) -> bool:
        conference_id = _stored_id(rendered_from)
        with self._store.transaction():
            if not self._unchanged(rendered_from) or self._store.mailing(conference_id) != mailing:
                log.info(
                    "conference %s changed while its mails were rendered; planning again",
                    conference_id,
                )
                return False
            if mailed.sequence != rendered_from.sequence:
                self._store.save_conference(
                    replace(self._store.get_conference(conference_id), sequence=mailed.sequence)
                )
            self._store.outbox_add(mails, now)
            first_seen = mailing.first_seen_at if mailing is not None else now
            self._store.save_mailing(
                Mailing(conference_id, mailed.sequence, plan.recipients, first_seen)
            )
            # Only a rendered mail counts (from then on a change raises SEQUENCE): while every
            # mail failed to render, a retry or `invite` sends them under their own keys.
            if any(not mail.error for mail in mails) and not rendered_from.mailed:
                self._store.set_mailed(conference_id)
        log.info(
            "conference %s (sequence %d): %d invitations, %d updates, %d cancellations queued",
            conference_id,
            mailed.sequence,
            len(plan.invite),
            len(plan.update),
            len(plan.cancel),
        )
        _log_failures(mails)
        return True

    def _unchanged(self, conference: Conference) -> bool:
        try:
            current = self._store.get_conference(_stored_id(conference))
        except NotFoundError:
            return False
        return mail_view(current) == mail_view(conference)


def mail_view(conference: Conference) -> Conference:
    """The conference as mails show it: without what callers change (participant status,
    extensions) and without the `mailed` flag the mailing itself sets."""
    return replace(
        conference,
        participants=[
            replace(p, status=ParticipantStatus.INVITED) for p in conference.participants
        ],
        extensions={},
        mailed=False,
    )


def _addressed_to(mails: list[OutgoingMail], people: Sequence[Participant]) -> list[OutgoingMail]:
    """The mails to these people (by e-mail address, in any case)."""
    wanted = {(p.email or "").lower() for p in people}
    return [mail for mail in mails if mail.recipient.lower() in wanted]


def without_pins(conference: Conference, people: Sequence[Participant]) -> Conference:
    """The conference as cancellations show it: to `people`, with no PIN anywhere."""
    return replace(
        conference,
        guest_pin="",
        moderator_pin="",
        participants=[replace(p, pin="") for p in people],
    )


def _log_failures(mails: Sequence[OutgoingMail]) -> None:
    for mail in mails:
        if mail.error:
            log.warning(
                "conference %s: %s to %r not rendered, kept in the outbox as failed: %r",
                mail.conference_id,
                mail.kind,
                mail.recipient,
                mail.error,
            )


def _stored_id(conference: Conference) -> int:
    if conference.id is None:
        raise ValueError(f"conference {conference.title!r} is not stored (it has no id)")
    return conference.id
