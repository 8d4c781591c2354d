"""Compose the mails a conference event causes: one personal message per recipient.

`build_mails` renders the templates, the calendar part and the message bytes for each
recipient, ready for `store.outbox_add`; `check_templates` lists template problems for
`fs-conf check`. Failures and the calendar data of each kind: docs/mail.md#composition
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from fs_conf.config import LANGUAGES, Config
from fs_conf.errors import ValidationError
from fs_conf.mail.addresses import check_address
from fs_conf.mail.context import (
    MailContext,
    SharedVars,
    Window,
    attendance_vars,
    conference_url,
    dial_number,
    mail_context,
    person,
    recipient_context,
    reply_address,
    shared_vars,
)
from fs_conf.mail.ics import Attendee, EventSpec, calendar_frame, calendar_timezone
from fs_conf.mail.message import Calendar, Envelope, build_message, one_line
from fs_conf.mail.recurrence_text import describe_rrule
from fs_conf.mail.render import PARTS, Renderer
from fs_conf.mail.samples import (
    sample_attendance,
    sample_conference,
    sample_occurrence,
)
from fs_conf.model import Attendance, Conference, Occurrence, Participant, Role
from fs_conf.store import OutgoingMail, outbox_key
from fs_conf.timetable import cancelled_sittings, moved_sittings


class MailKind(StrEnum):
    INVITATION = "invitation"
    UPDATE = "update"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    ATTENDANCE = "attendance"


CALENDAR_KINDS = frozenset({MailKind.INVITATION, MailKind.UPDATE, MailKind.CANCELLATION})
CALENDAR_TEMPLATE = "calendar.txt"


def build_mails(
    conf: Conference,
    kind: MailKind | str,
    config: Config,
    now: datetime,
    occurrence: Occurrence | None = None,
    *,
    original_start: datetime | None = None,
    attendance: Sequence[Attendance] = (),
    renderer: Renderer | None = None,
    keep_failures: bool = False,
    pause: Callable[[], object] = lambda: None,
) -> list[OutgoingMail]:
    """The mails of `kind` for `conf`, one per recipient with an e-mail address.

    `occurrence`: the sitting the mail is about (required for reminder and attendance);
    `attendance`: the join records of that sitting (attendance report); `renderer`: reuse
    compiled templates across calls (it must be for `config.language`); `pause`: called
    after the shared part and after each recipient's mail (the scheduler yields to the
    gevent hub there, so that calls go on while a mass mailing renders).
    Raises ValidationError naming the template file and line if a template fails, unless
    `keep_failures`: then that recipient's mail carries the reason in `error` instead."""
    mail_kind = _kind(kind)
    if occurrence is None and mail_kind in (MailKind.REMINDER, MailKind.ATTENDANCE):
        raise ValidationError("occurrence", None, f"a {mail_kind} mail is about one occurrence")
    if occurrence is not None and mail_kind is MailKind.INVITATION:
        raise ValidationError(
            "occurrence", occurrence.start.isoformat(), "invitations are for the whole conference"
        )
    renderer = renderer or Renderer(config.templates_dir, config.language)
    window = _window(conf, occurrence, original_start)
    recurrence_id = (
        (original_start or occurrence.start) if occurrence and window.single_occurrence else None
    )
    key_time = (original_start or occurrence.start) if occurrence else None
    recurrence = describe_rrule(conf.rrule, config.language, conf.start) if conf.rrule else ""
    composer = _Composer(
        conf,
        mail_kind,
        config,
        now,
        renderer,
        window,
        recurrence,
        recurrence_id,
        key_time,
        keep_failures,
    )
    pause()
    if mail_kind is MailKind.ATTENDANCE:
        return composer.attendance_report(attendance)
    mails = []
    for participant in conf.participants:
        if participant.email:
            mails.append(composer.personal(participant))
            pause()
    return mails


def _kind(kind: MailKind | str) -> MailKind:
    try:
        return MailKind(kind)
    except ValueError as exc:
        known = ", ".join(k.value for k in MailKind)
        raise ValidationError("kind", kind, f"unknown mail kind (known: {known})") from exc


def _window(
    conf: Conference, occurrence: Occurrence | None, original_start: datetime | None
) -> Window:
    if occurrence is None:
        return Window(conf.start, conf.start + conf.duration, single_occurrence=False)
    moved = original_start is not None and original_start != occurrence.start
    return Window(
        occurrence.start,
        occurrence.end,
        single_occurrence=bool(conf.rrule),
        moved_from=original_start if moved else None,
    )


class _Composer:
    """What all recipients of one build_mails call share: the renderer, times, the calendar
    serialised once (only its DESCRIPTION is per recipient)."""

    def __init__(
        self,
        conf: Conference,
        kind: MailKind,
        config: Config,
        now: datetime,
        renderer: Renderer,
        window: Window,
        recurrence: str,
        recurrence_id: datetime | None,
        key_time: datetime | None,
        keep_failures: bool,
    ) -> None:
        self.conf = conf
        self.kind = kind
        self.config = config
        self.now = now
        self.renderer = renderer
        self.window = window
        self.recurrence = recurrence
        self.recurrence_id = recurrence_id
        self.key_time = key_time
        self.keep_failures = keep_failures
        self.addresses = _check_addresses(conf)
        event = self._event() if kind in CALENDAR_KINDS else None
        self.frame = calendar_frame(event, calendar_timezone(event)) if event else None

    @cached_property
    def shared(self) -> SharedVars:
        """Built with the first mail, within its error handling (a failure fails each mail)."""
        return shared_vars(
            self.conf,
            self.config,
            self.kind.value,
            self.config.language,
            self.window,
            self.recurrence,
        )

    def personal(self, participant: Participant) -> OutgoingMail:
        address = self.addresses[participant.email or ""]
        try:
            context = recipient_context(self.shared, self.conf, self.config, participant)
            text_variables = context.variables(html=False)
            calendar = None
            if self.frame is not None:
                description = self.renderer.render(CALENDAR_TEMPLATE, text_variables)
                method = "CANCEL" if self.frame.event.cancelled else "REQUEST"
                calendar = Calendar(self.frame.with_description(description.strip()), method)
            return self._mail(participant.name, address, context, text_variables, calendar)
        except ValidationError as exc:
            return self._failed(address, exc)

    def attendance_report(self, records: Sequence[Attendance]) -> list[OutgoingMail]:
        organizer = person(self.conf.organizer, self.conf.reply_to)
        if not organizer.email:
            return []
        try:
            report = attendance_vars(
                self.conf, records, self.window, self.now, self.config.language
            )
            context = recipient_context(self.shared, self.conf, self.config, None, report)
            return [
                self._mail(
                    organizer.name, organizer.email, context, context.variables(html=False), None
                )
            ]
        except ValidationError as exc:
            return [self._failed(organizer.email, exc)]

    def _failed(self, email: str, exc: ValidationError) -> OutgoingMail:
        """The recipient's mail as a failure record (see the module docstring), or re-raise."""
        if not self.keep_failures:
            raise exc
        return OutgoingMail(
            conference_id=self.conf.id,
            recipient=email,
            kind=self.kind.value,
            sequence=self.conf.sequence,
            message=b"",
            occurrence=self.key_time,
            error=_without_secrets(str(exc), self.conf),
        )

    def _mail(
        self,
        name: str,
        email: str,
        context: MailContext,
        text_variables: dict[str, Any],
        calendar: Calendar | None,
    ) -> OutgoingMail:
        rendered = self.renderer.render_mail(
            self.kind.value, text_variables, context.variables(html=True)
        )
        key = outbox_key(self.conf.id, email, self.kind.value, self.conf.sequence, self.key_time)
        envelope = Envelope(
            sender=self.config.mail.sender,
            recipient_name=name,
            recipient_email=email,
            reply_to=context.reply_to,
            conference_uid=self.conf.uid,
            key=key,
            date=self.now,
        )
        message = build_message(envelope, rendered.subject, rendered.text, rendered.html, calendar)
        return OutgoingMail(
            conference_id=self.conf.id,
            recipient=email,
            kind=self.kind.value,
            sequence=self.conf.sequence,
            message=message,
            occurrence=self.key_time,
        )

    def _event(self) -> EventSpec:
        conf = self.conf
        replies = reply_address(conf, self.config)
        organizer = person(conf.organizer, replies)
        cancelled = self.kind is MailKind.CANCELLATION
        return EventSpec(
            uid=conf.uid,
            sequence=conf.sequence,
            stamp=self.now,
            start=self.window.start,
            end=self.window.end,
            timezone=conf.timezone,
            title=one_line(conf.title),
            description="",
            location=one_line(conf.location) or dial_number(conf, self.config),
            organizer=Attendee(one_line(organizer.name) or replies, replies),
            attendees=[
                Attendee(one_line(p.name), p.email, chair=p.role is Role.MODERATOR)
                for p in conf.participants
                if p.email
            ],
            rrule=conf.rrule,
            exdates=[*conf.exdates, *cancelled_sittings(conf)],
            recurrence_id=self.recurrence_id,
            # a cancelled series takes its exceptions with it (one UID): the series alone
            moved=moved_sittings(conf) if self.recurrence_id is None and not cancelled else (),
            url=conference_url(self.config.web.public_url, conf),
            cancelled=cancelled,
        )


def _without_secrets(text: str, conf: Conference) -> str:
    """`text` with every PIN of the conference replaced by `***`."""
    pins = {conf.guest_pin, conf.moderator_pin, *(p.pin for p in conf.participants)}
    for pin in sorted((pin for pin in pins if pin), key=len, reverse=True):
        text = text.replace(pin, "***")
    return text


def _check_addresses(conf: Conference) -> dict[str, str]:
    """Refuse a bad address before anything is rendered (it would end up in headers).
    Returns each participant e-mail as written -> the bare address mail is sent to."""
    for field, text in (("reply_to", conf.reply_to), ("organizer", conf.organizer)):
        if "@" in text:
            # the address as the mails take it: a name beside it is text, not address syntax
            check_address(field, person(text).email or text)
    return {
        p.email: check_address("participant.email", p.email) for p in conf.participants if p.email
    }


def check_templates(config: Config) -> list[str]:
    """Every problem of the templates in use, for `fs-conf check`: each template of each
    language rendered with sample data (for a moderator and a participant), then each kind
    built into complete messages; plus files in `templates_dir` fs_conf would never read."""
    problems = _unknown_files(config.templates_dir)
    now = datetime.now(UTC)
    for language in LANGUAGES:
        language_config = replace(config, language=language)
        renderer = Renderer(config.templates_dir, language)
        for kind in MailKind:
            for problem in _check_kind(language_config, renderer, kind, now):
                if problem not in problems:
                    problems.append(problem)
    return problems


def template_names() -> list[str]:
    """The file names fs_conf reads (besides shared pieces named `_*`)."""
    return [f"{kind.value}.{part}" for kind in MailKind for part in PARTS] + [CALENDAR_TEMPLATE]


def _check_kind(config: Config, renderer: Renderer, kind: MailKind, now: datetime) -> list[str]:
    conf = sample_conference(config, now)
    occurrence = sample_occurrence(conf)
    recurrence = describe_rrule(conf.rrule or "", config.language, conf.start)
    names = [f"{kind.value}.{part}" for part in PARTS]
    if kind in CALENDAR_KINDS:
        names.append(CALENDAR_TEMPLATE)
    per_occurrence = kind in (MailKind.REMINDER, MailKind.ATTENDANCE)
    window = Window(occurrence.start, occurrence.end, per_occurrence)
    if kind is MailKind.ATTENDANCE:
        report = attendance_vars(
            conf, sample_attendance(conf, occurrence), window, now, config.language
        )
        contexts = [
            mail_context(
                conf, config, kind.value, config.language, window, recurrence, None, report
            )
        ]
    else:
        contexts = [
            mail_context(conf, config, kind.value, config.language, window, recurrence, p)
            for p in conf.participants[:2]
        ]
    problems = []
    for context in contexts:
        for name in names:
            try:
                text = renderer.render(name, context.variables(html=name.endswith(".html")))
            except ValidationError as exc:
                problems.append(str(exc))
                continue
            if name.endswith(".subject.txt") and not text.strip():
                problems.append(f"{name}: renders an empty subject")
    if problems:
        return problems
    try:
        build_mails(
            conf,
            kind,
            config,
            now,
            occurrence if per_occurrence else None,
            attendance=sample_attendance(conf, occurrence),
            renderer=renderer,
        )
    except ValidationError as exc:
        return [f"{kind.value} ({config.language}): {exc}"]
    return []


def _unknown_files(templates_dir: str) -> list[str]:
    if not templates_dir:
        return []
    known = set(template_names())
    root = Path(templates_dir)
    problems = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or any(part.startswith(".") for part in relative.parts):
            continue
        in_language = len(relative.parts) == 2 and relative.parts[0] in LANGUAGES
        if len(relative.parts) > 1 and not in_language:
            problems.append(
                f"{path}: not read (templates go in {root} or in {root}/<language>/ with "
                f"language one of {', '.join(LANGUAGES)})"
            )
        elif path.name not in known and not path.name.startswith("_"):
            problems.append(
                f"{path}: not a template name fs_conf reads (known: {', '.join(sorted(known))}; "
                "shared pieces start with _)"
            )
    return problems
