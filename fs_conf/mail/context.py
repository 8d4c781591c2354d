"""The variables a mail template sees, built per recipient from a conference.

Pure data: frozen dataclasses whose fields are the names documented for admins
(conference.title, participant.pin, ...). A secret reaches the template only when the
recipient may see it: `moderator` (with the moderator PIN) is None for everyone else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from fs_conf.config import Config
from fs_conf.keypad import SELF_MUTE_KEY, KeypadAction, keypad_from_config
from fs_conf.mail.localize import (
    format_date,
    format_datetime,
    format_duration,
    format_span,
    format_time,
)
from fs_conf.mail.message import one_line
from fs_conf.model import Attendance, Conference, Participant, Role

NUMBER_PLACEHOLDER = "<number>"
PIN_PLACEHOLDER = "<pin>"


@dataclass(frozen=True)
class ConferenceVars:
    title: str
    description: str | Markup
    location: str
    number: str
    external_number: str
    dial_number: str
    start: datetime
    end: datetime
    start_text: str
    end_text: str
    when_text: str
    date_text: str
    start_time_text: str
    end_time_text: str
    timezone: str
    timezone_abbr: str
    lead_minutes: int
    lead_text: str
    duration_minutes: int
    duration_text: str
    extend_minutes: int
    recurring: bool
    recurrence: str
    web_url: str
    sequence: int
    moved_from_text: str = ""
    """Where a sitting moved on its own was before (date and time); '' otherwise."""


@dataclass(frozen=True)
class ParticipantVars:
    name: str
    email: str
    role: str
    is_moderator: bool
    pin: str
    dial_link: str
    dial_text: str


@dataclass(frozen=True)
class ModeratorVars:
    pin: str
    dial_link: str


@dataclass(frozen=True)
class PersonVars:
    name: str
    email: str


@dataclass(frozen=True)
class KeyVars:
    mute_self: str
    mute_all: str
    unmute_all: str
    lock: str
    kick_last: str
    extend: str
    record: str
    end: str


@dataclass(frozen=True)
class AttendanceRow:
    name: str
    caller_id: str
    role: str
    joined_at: datetime
    left_at: datetime | None
    joined_text: str
    left_text: str
    duration_minutes: int
    duration_text: str


@dataclass(frozen=True)
class AttendanceVars:
    rows: tuple[AttendanceRow, ...]
    absent: tuple[str, ...]
    people: int
    """Distinct people who joined (a participant who rejoined counts once; each guest call once)."""


TEMPLATE_TYPES = (
    ConferenceVars,
    ParticipantVars,
    ModeratorVars,
    PersonVars,
    KeyVars,
    AttendanceRow,
    AttendanceVars,
)
"""The types templates read fields of: plain data, nothing a template could misuse."""


@dataclass(frozen=True)
class MailContext:
    """All variables of one mail to one recipient; `variables(html)` gives the template dict."""

    language: str
    kind: str
    conference: ConferenceVars
    participant: ParticipantVars | None
    moderator: ModeratorVars | None
    keys: KeyVars
    organizer: PersonVars
    reply_to: str
    single_occurrence: bool
    attendance: AttendanceVars | None
    description_source: str = field(repr=False, default="")
    pin_for_description: str = field(repr=False, default="")

    def variables(self, html: bool) -> dict[str, Any]:
        """The template namespace; for HTML the description is escaped before its placeholders
        are filled, so neither the organizer's text nor a number can inject markup."""
        description = personal_description(
            self.description_source, self.conference.dial_number, self.pin_for_description, html
        )
        names: dict[str, Any] = {
            "language": self.language,
            "kind": self.kind,
            "conference": replace(self.conference, description=description),
            "keys": self.keys,
            "organizer": self.organizer,
            "reply_to": self.reply_to,
            "single_occurrence": self.single_occurrence,
        }
        if self.participant is not None:
            names["participant"] = self.participant
            names["moderator"] = self.moderator
        if self.attendance is not None:
            names["attendance"] = self.attendance
        return names


def personal_description(text: str, number: str, pin: str, html: bool) -> str | Markup:
    """Fill `<number>` and `<pin>` (the placeholders PBX admins know); in HTML after escaping."""
    if not html:
        return text.replace(NUMBER_PLACEHOLDER, number).replace(PIN_PLACEHOLDER, pin)
    escaped = str(escape(text))
    escaped = escaped.replace(str(escape(NUMBER_PLACEHOLDER)), str(escape(number)))
    escaped = escaped.replace(str(escape(PIN_PLACEHOLDER)), str(escape(pin)))
    return Markup(escaped.replace("\r\n", "\n").replace("\n", "<br>\n"))


def dial_number(conf: Conference, config: Config) -> str:
    """The number invitees dial: the conference's external number, else the configured
    external number, else the internal one (invitees are usually outside the PBX)."""
    return conf.external_number or config.numbers.external or conf.number


def personal_pin(conf: Conference, participant: Participant) -> str:
    """The participant's own PIN; without one, the conference PIN of their role."""
    if participant.pin:
        return participant.pin
    return conf.moderator_pin if participant.role is Role.MODERATOR else conf.guest_pin


def dial_link(number: str, pin: str) -> str:
    """One-tap dial: `tel:<number>,,<pin>%23` (two pauses, then the PIN and #).

    The `#` is percent-encoded as RFC 3966 requires: a raw `#` starts a URL fragment and mail
    clients and phones cut the link there, so the PIN would never be confirmed."""
    return f"tel:{_dialable(number)},,{pin}%23"


def _dialable(number: str) -> str:
    digits = re.sub(r"[^0-9]", "", number)
    return f"+{digits}" if number.strip().startswith("+") else digits


def conference_url(public_url: str, conf: Conference) -> str:
    """The conference page for this conference (the web UI is served at `/`)."""
    base = public_url.rstrip("/") + "/"
    return f"{base}?conference={conf.id}" if conf.id is not None else base


def reply_address(conf: Conference, config: Config) -> str:
    """Where replies go: the conference's reply-to, else the organizer's address, else the
    sender's (bare addresses)."""
    for text in (conf.reply_to, conf.organizer):
        address = person(text).email
        if address:
            return address
    address = parseaddr(config.mail.sender)[1]
    return address if "@" in address else ""


def keypad(config: Config) -> KeyVars:
    """The keys the IVR binds (fs_conf.keypad, with `ivr.keypad` applied)."""
    bound = keypad_from_config(config.ivr.keypad)
    keys = {action.value: bound.key_for(action) for action in KeypadAction}
    return KeyVars(mute_self=SELF_MUTE_KEY, **keys)


def person(text: str, fallback_email: str = "") -> PersonVars:
    """`Name <mail>` or a bare address or a bare name, as organizers are written. The name is
    what stands before the last `<`, as typed (enclosing quotes aside): never read as address
    syntax, where a comma, an `@` or an encoded-word in it would change who is meant."""
    value = text.strip()
    head, bracket, tail = value.rpartition("<")
    if bracket and tail.endswith(">") and "@" in tail:
        email = tail[:-1].strip()
        return PersonVars(name=head.strip().strip('"').strip() or email, email=email)
    if "@" in value and not any(char.isspace() for char in value):
        return PersonVars(name=value, email=value)
    return PersonVars(name=value, email=fallback_email)


@dataclass(frozen=True)
class Window:
    """The start and end the mail talks about: the series' first sitting or one occurrence."""

    start: datetime
    end: datetime
    single_occurrence: bool
    moved_from: datetime | None = None
    """The sitting's time before it was moved on its own (None when it was not)."""


def conference_vars(
    conf: Conference, config: Config, language: str, window: Window, recurrence: str
) -> ConferenceVars:
    zone = ZoneInfo(conf.timezone)
    start = window.start.astimezone(zone)
    end = window.end.astimezone(zone)
    return ConferenceVars(
        title=one_line(conf.title),
        description=conf.description,
        location=one_line(conf.location),
        number=conf.number,
        external_number=conf.external_number or config.numbers.external,
        dial_number=dial_number(conf, config),
        start=start,
        end=end,
        start_text=format_datetime(start, language),
        end_text=format_datetime(end, language),
        when_text=format_span(start, end, language),
        date_text=format_date(start, language),
        start_time_text=format_time(start, language),
        end_time_text=format_time(end, language),
        timezone=conf.timezone,
        timezone_abbr=start.tzname() or conf.timezone,
        lead_minutes=round(conf.lead.total_seconds() / 60),
        lead_text=format_duration(conf.lead, language),
        duration_minutes=round((end - start).total_seconds() / 60),
        duration_text=format_duration(end - start, language),
        extend_minutes=config.conference.extend_minutes,
        recurring=bool(conf.rrule),
        recurrence=recurrence,
        web_url=conference_url(config.web.public_url, conf),
        sequence=conf.sequence,
        moved_from_text=(
            format_datetime(window.moved_from.astimezone(zone), language)
            if window.moved_from
            else ""
        ),
    )


def participant_vars(conf: Conference, config: Config, participant: Participant) -> ParticipantVars:
    number = dial_number(conf, config)
    pin = personal_pin(conf, participant)
    return ParticipantVars(
        name=participant.name,
        email=participant.email or "",
        role=str(participant.role),
        is_moderator=participant.role is Role.MODERATOR,
        pin=pin,
        dial_link=dial_link(number, pin),
        dial_text=f"{number},,{pin}#",
    )


def attendance_vars(
    conf: Conference, records: Sequence[Attendance], window: Window, now: datetime, language: str
) -> AttendanceVars:
    """Who joined the occurrence, when and for how long; a stay still open counts until the
    occurrence's end (or now, if earlier)."""
    zone = ZoneInfo(conf.timezone)
    names: dict[int | None, str] = {p.id: p.name for p in conf.participants if p.id is not None}
    rows = []
    for record in sorted(records, key=lambda r: r.joined_at):
        joined = record.joined_at.astimezone(zone)
        left = record.left_at.astimezone(zone) if record.left_at else None
        stay = (left or min(window.end, now).astimezone(zone)) - joined
        rows.append(
            AttendanceRow(
                name=names.get(record.participant_id, record.caller_id),
                caller_id=record.caller_id,
                role=str(record.role),
                joined_at=joined,
                left_at=left,
                joined_text=format_time(joined, language),
                left_text=format_time(left, language) if left else "",
                duration_minutes=max(0, round(stay.total_seconds() / 60)),
                duration_text=format_duration(max(stay, timedelta(0)), language),
            )
        )
    came = {r.participant_id for r in records if r.participant_id is not None}
    guests = sum(1 for r in records if r.participant_id is None)
    absent = tuple(p.name for p in conf.participants if p.id is None or p.id not in came)
    return AttendanceVars(rows=tuple(rows), absent=absent, people=len(came) + guests)


@dataclass(frozen=True)
class SharedVars:
    """The variables every recipient of one mailing gets alike (see the module docstring)."""

    language: str
    kind: str
    conference: ConferenceVars
    keys: KeyVars
    organizer: PersonVars
    reply_to: str
    single_occurrence: bool


def shared_vars(
    conf: Conference, config: Config, kind: str, language: str, window: Window, recurrence: str
) -> SharedVars:
    replies = reply_address(conf, config)
    return SharedVars(
        language=language,
        kind=kind,
        conference=conference_vars(conf, config, language, window, recurrence),
        keys=keypad(config),
        organizer=person(conf.organizer, replies),
        reply_to=replies,
        single_occurrence=window.single_occurrence,
    )


def recipient_context(
    shared: SharedVars,
    conf: Conference,
    config: Config,
    recipient: Participant | None,
    attendance: AttendanceVars | None = None,
) -> MailContext:
    """The context for `recipient` (None: the organizer, for the attendance report)."""
    participant = participant_vars(conf, config, recipient) if recipient else None
    moderator = None
    if recipient is not None and recipient.role is Role.MODERATOR:
        moderator = ModeratorVars(
            pin=conf.moderator_pin,
            dial_link=dial_link(dial_number(conf, config), conf.moderator_pin),
        )
    return MailContext(
        language=shared.language,
        kind=shared.kind,
        conference=shared.conference,
        participant=participant,
        moderator=moderator,
        keys=shared.keys,
        organizer=shared.organizer,
        reply_to=shared.reply_to,
        single_occurrence=shared.single_occurrence,
        attendance=attendance,
        description_source=conf.description,
        pin_for_description=participant.pin if participant else conf.guest_pin,
    )


def mail_context(
    conf: Conference,
    config: Config,
    kind: str,
    language: str,
    window: Window,
    recurrence: str,
    recipient: Participant | None,
    attendance: AttendanceVars | None = None,
) -> MailContext:
    """The context for `recipient` of a mailing of its own (`fs-conf check`'s samples)."""
    shared = shared_vars(conf, config, kind, language, window, recurrence)
    return recipient_context(shared, conf, config, recipient, attendance)
