"""What the scheduler must do and when: pure planning from the conferences and the store's marks.

`plan(conferences, markers, now, config)` lists every task not yet done, in order of its due
time; `due(tasks, now)` are those to run now and `next_due(tasks, now)` is when to wake next.
No I/O: the same inputs always give the same plan, which makes the scheduler restart-safe.
A conference whose sittings cannot be computed is handed to `set_aside` and left out, so that
it cannot stop the others. The tasks and when each is due: docs/scheduler.md#the-plan
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fs_conf.config import Config
from fs_conf.model import Conference, ConferenceStatus, Occurrence, OccurrenceOverride, Participant
from fs_conf.store import Mailing, Recipient, TaskKey
from fs_conf.timetable import OccurrenceIndex, next_occurrence

LOOKBACK = timedelta(days=1)
"""How long a task may be overdue and still run (after the scheduler was down)."""
HORIZON = timedelta(days=1)
"""How far ahead one plan looks; the scheduler plans again before it runs out."""
ATTENDANCE_SETTLE = timedelta(seconds=30)
"""Wait between the end of an occurrence and its attendance report."""

SetAside = Callable[[Conference, Exception], None]
"""Told of a conference left out of the plan and of why (its sittings cannot be computed)."""


class TaskKind(StrEnum):
    """Kinds of task, in the order tasks due at the same moment run."""

    MAILING = "mailing"
    REMINDER = "reminder"
    CALLOUT = "callout"
    WARNING = "warning"
    END = "end"
    ATTENDANCE = "attendance"


_ORDER = {kind: position for position, kind in enumerate(TaskKind)}


@dataclass(frozen=True, eq=False)
class Task:
    """One thing to do for one conference (and occurrence); `name` is its mark in the store."""

    kind: TaskKind
    conference: Conference
    due: datetime
    name: str
    occurrence: Occurrence | None = None
    participant: Participant | None = None
    expires: datetime | None = None
    """Not worth doing from this moment on (None: always worth doing)."""

    @property
    def key(self) -> tuple[int, datetime | None, str]:
        """Identifies the task: (conference id, occurrence start in UTC or None, name); for an
        occurrence task it is the `TaskKey` the store marks it done under."""
        start = None if self.occurrence is None else self.occurrence.start.astimezone(UTC)
        return (_id(self.conference), start, self.name)


@dataclass(frozen=True)
class Markers:
    """What the store says is done: occurrence tasks, mailings, occurrences ended early."""

    done: frozenset[TaskKey] = frozenset()
    mailings: Mapping[int, Mailing] = field(default_factory=dict)
    ended: Mapping[tuple[int, datetime], datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class MailingPlan:
    """Who gets which mail after a change, and who holds an invitation afterwards."""

    invite: tuple[Participant, ...] = ()
    update: tuple[Participant, ...] = ()
    cancel: tuple[Participant, ...] = ()
    """Current participants of a cancelled conference, or people removed from it (as stubs)."""
    recipients: tuple[Recipient, ...] = ()
    sittings: tuple[OccurrenceOverride, ...] = ()
    """Sittings changed on their own since the last mailing while the series stayed as it
    was: `update` gets one mail about each of them instead of the whole series."""

    @property
    def empty(self) -> bool:
        return not (self.invite or self.update or self.cancel)


def plan(
    conferences: Iterable[Conference],
    markers: Markers,
    now: datetime,
    config: Config,
    horizon: timedelta = HORIZON,
    *,
    set_aside: SetAside | None = None,
) -> list[Task]:
    """Every task not yet done that is due by `now + horizon`, earliest first. A conference
    whose sittings cannot be computed (a row no check passed: an older version's, another
    tool's) is handed to `set_aside` and gets no task; without `set_aside` its error is
    raised."""
    failed: set[int] = set()

    def fail(conference: Conference, error: Exception) -> None:
        if set_aside is None:
            raise error
        failed.add(_id(conference))
        set_aside(conference, error)

    tasks: list[Task] = []
    scheduled: list[Conference] = []
    for conference in conferences:
        mailing = markers.mailings.get(_id(conference))
        try:
            if mailing_needed(conference, mailing, now):
                name = f"mailing:{conference.sequence}"
                tasks.append(Task(TaskKind.MAILING, conference, now, name))
        except Exception as error:
            fail(conference, error)
            continue
        if conference.status is ConferenceStatus.SCHEDULED:
            scheduled.append(conference)
    grace = timedelta(minutes=config.conference.grace_minutes)
    reminder = timedelta(minutes=config.scheduler.reminder_minutes)
    low, high = now - LOOKBACK - grace, now + horizon + reminder
    for conference, occurrences in _expanded(scheduled, low, high, fail):
        mailing = markers.mailings.get(_id(conference))
        since = mailing.first_seen_at if mailing is not None else now
        try:
            for occurrence in occurrences:
                tasks.extend(_occurrence_tasks(conference, occurrence, since, markers, config))
        except Exception as error:
            fail(conference, error)
    kept = [
        task
        for task in tasks
        if task.conference.id not in failed and _pending(task, markers, now, horizon)
    ]
    return sorted(kept, key=lambda task: (task.due, _ORDER[task.kind]))


def _expanded(
    conferences: list[Conference], low: datetime, high: datetime, fail: SetAside
) -> list[tuple[Conference, list[Occurrence]]]:
    """The occurrences of `conferences` overlapping [low, high), conference by conference;
    one whose sittings cannot be computed goes to `fail`, the others are expanded."""
    index = OccurrenceIndex()
    added = []
    for conference in conferences:
        try:
            index.add(conference)
        except Exception as error:
            fail(conference, error)
            continue
        added.append(conference)
    try:
        return index.expand(low, high)
    except Exception:  # one of them cannot be computed: expanding each alone finds which
        return _each_alone(added, low, high, fail)


def _each_alone(
    conferences: list[Conference], low: datetime, high: datetime, fail: SetAside
) -> list[tuple[Conference, list[Occurrence]]]:
    expanded = []
    for conference in conferences:
        try:
            expanded.extend(OccurrenceIndex([conference]).expand(low, high))
        except Exception as error:
            fail(conference, error)
    return expanded


def due(tasks: Iterable[Task], now: datetime) -> list[Task]:
    """The tasks to run at `now`, in order (an older plan may hold tasks expired since)."""
    return [task for task in tasks if task.due <= now and not _expired(task, now)]


def next_due(tasks: Iterable[Task], now: datetime) -> datetime | None:
    """When the next task after `now` falls due; None when there is none."""
    return min((task.due for task in tasks if task.due > now), default=None)


def _pending(task: Task, markers: Markers, now: datetime, horizon: timedelta) -> bool:
    if task.due > now + horizon or task.due < now - LOOKBACK:
        return False
    if _expired(task, now):
        return False
    return task.kind is TaskKind.MAILING or task.key not in markers.done


def _expired(task: Task, now: datetime) -> bool:
    return task.expires is not None and now >= task.expires


def _occurrence_tasks(
    conference: Conference,
    occurrence: Occurrence,
    since: datetime,
    markers: Markers,
    config: Config,
) -> list[Task]:
    close = occurrence.end + timedelta(minutes=config.conference.grace_minutes)
    ended = markers.ended.get((_id(conference), occurrence.start.astimezone(UTC)))
    early = ended is not None and ended < close
    if ended is not None and early:
        close = ended
    if close <= since:
        return []
    tasks = [] if early else _before_close(conference, occurrence, close, since, config)
    end = Task(TaskKind.END, conference, close, "end", occurrence)
    tasks.append(end)
    if end.key in markers.done:
        report = close + ATTENDANCE_SETTLE
        tasks.append(Task(TaskKind.ATTENDANCE, conference, report, "attendance", occurrence))
    return tasks


def _before_close(
    conference: Conference,
    occurrence: Occurrence,
    close: datetime,
    since: datetime,
    config: Config,
) -> list[Task]:
    """Reminder, call-outs and warning of an occurrence that runs its full time."""
    start, settings = occurrence.start, config.scheduler
    tasks = []
    if settings.reminder_minutes:
        at = start - timedelta(minutes=settings.reminder_minutes)
        if at >= since:
            tasks.append(
                Task(TaskKind.REMINDER, conference, at, "reminder", occurrence, None, start)
            )
    for person in conference.participants:
        if person.call and person.phone and person.id is not None:
            name = f"callout:{person.id}"
            callout = Task(
                TaskKind.CALLOUT, conference, start, name, occurrence, person, occurrence.end
            )
            tasks.append(callout)
    if settings.warn_before_end_minutes:
        at = close - timedelta(minutes=settings.warn_before_end_minutes)
        if at > start:
            name = f"warning:{close.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            tasks.append(Task(TaskKind.WARNING, conference, at, name, occurrence, None, close))
    return tasks


# --- mailings ---------------------------------------------------------------------------------


def invited(conference: Conference) -> tuple[Recipient, ...]:
    """The conference's participants with an e-mail address, as recipients."""
    return tuple(Recipient(p.email, p.name) for p in conference.participants if p.email)


def is_live(conference: Conference, now: datetime) -> bool:
    """Whether the conference has an occurrence running or still to come (status aside)."""
    scheduled = replace(conference, status=ConferenceStatus.SCHEDULED)
    return next_occurrence(scheduled, now) is not None


def mailing_needed(conference: Conference, mailing: Mailing | None, now: datetime) -> bool:
    """Whether the conference differs from what was last mailed in a way mails must tell."""
    if mailing is None or mailing.sequence != conference.sequence:
        return True
    if conference.status is ConferenceStatus.CANCELLED:
        return False
    current = {recipient.key for recipient in invited(conference)}
    return current != {recipient.key for recipient in mailing.recipients} and is_live(
        conference, now
    )


def plan_mailing(
    conference: Conference, mailing: Mailing | None, now: datetime, *, resend: bool = False
) -> MailingPlan:
    """Who gets an invitation, an update or a cancellation now.

    First mailing: everyone is invited. Later: people added are invited, people removed get
    a cancellation, everyone else gets an update when the SEQUENCE grew (about each changed
    sitting alone when only single sittings changed: `changed_sittings`). `resend` invites
    everyone again (`fs-conf conference invite`). A cancelled conference sends a cancellation
    to everyone who holds an invitation. A conference that is over sends nothing.
    """
    held = {recipient.key: recipient for recipient in (mailing.recipients if mailing else ())}
    if conference.status is ConferenceStatus.CANCELLED:
        current = {_email_key(p): p for p in conference.participants if p.email}
        cancel = tuple(current.get(key) or _stub(recipient) for key, recipient in held.items())
        return MailingPlan(cancel=cancel)
    if not is_live(conference, now):
        return MailingPlan(recipients=tuple(held.values()))
    people = [p for p in conference.participants if p.email]
    keys = {_email_key(p) for p in people}
    removed = tuple(_stub(recipient) for key, recipient in held.items() if key not in keys)
    recipients = invited(conference)
    if mailing is None or resend:
        return MailingPlan(invite=tuple(people), cancel=removed, recipients=recipients)
    added = tuple(p for p in people if _email_key(p) not in held)
    kept = tuple(p for p in people if _email_key(p) in held)
    update = kept if conference.sequence != mailing.sequence else ()
    sittings = changed_sittings(conference, mailing) if update else ()
    return MailingPlan(
        invite=added, update=update, cancel=removed, recipients=recipients, sittings=sittings
    )


def changed_sittings(conference: Conference, mailing: Mailing) -> tuple[OccurrenceOverride, ...]:
    """The sittings changed on their own since `mailing`, if nothing else changed since (the
    whole series was last changed no later than it was mailed); else none: an update of the
    whole series, which carries every sitting's change, replaces them."""
    if conference.series_sequence > mailing.sequence:
        return ()
    return tuple(o for o in conference.overrides if o.sequence > mailing.sequence)


def _email_key(participant: Participant) -> str:
    return (participant.email or "").lower()


def _stub(recipient: Recipient) -> Participant:
    """A former participant, enough to address a cancellation to."""
    return Participant(name=recipient.name, email=recipient.email)


def _id(conference: Conference) -> int:
    if conference.id is None:
        raise ValueError(f"conference {conference.title!r} is not stored (it has no id)")
    return conference.id
