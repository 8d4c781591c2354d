"""The shared-work paths of mass mailing give exactly the bytes of a straightforward build:
the calendar serialised once per call (only DESCRIPTION per recipient) and the MIME written
part by part instead of through an EmailMessage tree."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import icalendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fs_conf.errors import ValidationError
from fs_conf.mail import compose, headers
from fs_conf.mail.compose import build_mails
from fs_conf.mail.ics import Attendee, CalendarFrame, EventSpec, calendar_frame, calendar_timezone
from fs_conf.mail.message import (
    CALENDAR_FILENAME,
    Calendar,
    Envelope,
    build_message,
    message_id,
    one_line,
    parse_address,
)
from fs_conf.model import Participant, Role

from .conftest import NOW, make_conference, make_config

BOUNDARY = re.compile(rb"={15}\d{19}==")


def normalised(data: bytes) -> bytes:
    """Boundaries are random per message: number them in order of appearance."""
    seen: dict[bytes, bytes] = {}
    return BOUNDARY.sub(lambda m: seen.setdefault(m.group(), b"BOUNDARY%d" % len(seen)), data)


def reference_message(
    envelope: Envelope, subject: str, text: str, html: str, calendar: Calendar | None
) -> bytes:
    """The message built the straightforward way, with an EmailMessage tree."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = address_header("From", parse_address("mail.sender", envelope.sender))
    to = parse_address("participant.email", envelope.recipient_email)
    msg["To"] = address_header(
        "To", Address(one_line(envelope.recipient_name), to.username, to.domain)
    )
    if envelope.reply_to:
        msg["Reply-To"] = address_header("Reply-To", parse_address("reply_to", envelope.reply_to))
    subject_line = headers.unstructured("Subject", one_line(subject))
    msg["Subject"] = FsConfLine(subject_line) if b"=?" in subject_line else one_line(subject)
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = message_id(envelope.conference_uid, envelope.key, envelope.sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if calendar is not None:
        msg.add_alternative(
            calendar.data.decode("utf-8"),
            subtype="calendar",
            params={"method": calendar.method},
            cte="7bit" if calendar.data.isascii() else "base64",
        )
        msg.add_attachment(
            calendar.data, maintype="application", subtype="ics", filename=CALENDAR_FILENAME
        )
    return msg.as_bytes(policy=policy.SMTP)


class FsConfLine(str):
    """A header line as fs_conf writes it, carried through the EmailMessage tree unchanged:
    text that needs encoded-words, which fs_conf encodes itself (tests/mail/test_headers.py
    holds those lines to reading back as given)."""

    def __new__(cls, line: bytes) -> FsConfLine:
        name, _, value = line.decode("ascii").partition(":")
        header = super().__new__(cls, value)
        header.name = name
        header.line = line.decode("ascii")
        return header

    name: str
    line: str

    def fold(self, *, policy: object) -> str:
        return self.line


def address_header(name: str, address: Address) -> object:
    """The email package's header, or fs_conf's line where the name needs encoded-words."""
    line = headers.address(name, address)
    return FsConfLine(line) if b"=?" in line else address


LONG = "Übersicht über alle Punkte, mit Kommas; Semikolons = Gleichheitszeichen " * 4
CASES = [
    ("Mona Moderator", "mona@example.com", "olivia@example.com", "Invitation", "Hi\n", "<p>x</p>"),
    ("Jürgen Weiß, Jr.", "jo@bücher.example", "", "Einladung: " + LONG, LONG + "\r\nEnde", LONG),
    ("", "a@example.com", "Olivia <o@example.com>", "x" * 200, "", "\n\n"),
    ("Tab\tName", "b@example.com", "", "line\nbreak", "=3D trailing space \nend", "é" * 300),
]
CALENDARS = [
    None,
    Calendar(b"BEGIN:VCALENDAR\r\nSUMMARY:ascii\r\nEND:VCALENDAR\r\n", "REQUEST"),
    Calendar(
        ("BEGIN:VCALENDAR\r\nDESCRIPTION:Grüße " + "ä" * 200 + "\r\nEND:VCALENDAR\r\n").encode(),
        "CANCEL",
    ),
]


@pytest.mark.parametrize("calendar", CALENDARS)
@pytest.mark.parametrize("case", CASES)
def test_message_bytes_equal_an_email_message_tree(
    case: tuple[str, ...], calendar: Calendar | None
) -> None:
    name, email, reply_to, subject, text, html = case
    envelope = Envelope(
        "Conference Bridge <bridge@pbx.example.com>", name, email, reply_to, "uid-1", "key-1", NOW
    )
    fast = build_message(envelope, subject, text, html, calendar)
    assert normalised(fast) == normalised(
        reference_message(envelope, subject, text, html, calendar)
    )


def per_recipient_frame(event: EventSpec, timezone: icalendar.Timezone | None) -> CalendarFrame:
    """No shared serialisation: every recipient's calendar built in full."""
    return CalendarFrame(event, timezone, None, None)


def calendar_of(message: bytes) -> icalendar.Calendar:
    mail = message_from_bytes(message, policy=policy.SMTP)
    part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_content())


LONG_DESCRIPTION = (
    "Agenda, part one; part two: Grüße an alle.\nDial <number> and enter <pin>, then wait. "
    + "Backslash \\ and commas, " * 6
)


@pytest.mark.parametrize("kind", ["invitation", "update", "cancellation"])
@pytest.mark.parametrize(
    "description", ["Agenda in the wiki.\nDial <number> and enter <pin>.", LONG_DESCRIPTION]
)
def test_shared_calendar_gives_the_per_recipient_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, description: str
) -> None:
    conf = make_conference(description=description)
    config = make_config(tmp_path)
    fast = build_mails(conf, kind, config, NOW)
    monkeypatch.setattr(compose, "calendar_frame", per_recipient_frame)
    slow = build_mails(conf, kind, config, NOW)
    assert [m.recipient for m in fast] == ["mona@example.com", "paul@example.com"]
    assert [normalised(m.message) for m in fast] == [normalised(m.message) for m in slow]


def test_each_calendar_description_has_the_recipients_own_pin(tmp_path: Path) -> None:
    conf = make_conference(description=LONG_DESCRIPTION)
    mails = build_mails(conf, "invitation", make_config(tmp_path), NOW)
    pins = {p.email: p.pin for p in conf.participants if p.email}
    for mail in mails:
        event = calendar_of(mail.message).walk("VEVENT")[0]
        text = str(event["DESCRIPTION"])
        assert f"enter {pins[mail.recipient]}," in text
        others = [pin for email, pin in pins.items() if email != mail.recipient]
        assert not any(pin in text for pin in others)
    moderator, participant = (
        str(calendar_of(m.message).walk("VEVENT")[0]["DESCRIPTION"]) for m in mails
    )
    assert conf.moderator_pin in moderator
    assert conf.moderator_pin not in participant


def test_a_title_equal_to_the_slot_text_falls_back_to_full_builds(tmp_path: Path) -> None:
    conf = make_conference(title="fs-conf-description-slot")
    event = EventSpec(
        uid=conf.uid,
        sequence=0,
        stamp=NOW,
        start=conf.start,
        end=conf.start + conf.duration,
        timezone=conf.timezone,
        title=conf.title,
        description="",
        location="",
        organizer=Attendee("Olivia", "olivia@example.com"),
    )
    assert calendar_frame(event, calendar_timezone(event)).head is None
    mails = build_mails(conf, "invitation", make_config(tmp_path), NOW)
    vevent = calendar_of(mails[1].message).walk("VEVENT")[0]
    assert "55667788" in str(vevent["DESCRIPTION"])
    assert str(vevent["SUMMARY"]) == "fs-conf-description-slot"


def test_moderator_and_participant_mails_differ_only_in_personal_parts(tmp_path: Path) -> None:
    conf = make_conference(
        participants=[
            Participant(
                "Mona Moderator", "mona@example.com", "201", Role.MODERATOR, "11223344", id=1
            ),
            Participant(
                "Paul Participant", "paul@example.com", "202", Role.PARTICIPANT, "55667788", id=2
            ),
        ]
    )
    moderator, participant = build_mails(conf, "invitation", make_config(tmp_path), NOW)
    assert b"7306194825" in moderator.message
    assert b"7306194825" not in participant.message
    assert b"55667788" in participant.message and b"55667788" not in moderator.message


NAME = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z .,'-]{0,40}", fullmatch=True),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17F), max_size=50),
)
SUBJECT = st.one_of(
    st.from_regex(r"[ -~]{0,100}", fullmatch=True),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=120),
)
EMAIL = st.one_of(
    st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9-]{1,20}(\.[a-z]{2,8}){1,2}", fullmatch=True),
    st.sampled_from(
        ["jo@bücher.example", "Olivia <o@example.com>", '"Quoted, Name" <q@example.org>']
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    NAME,
    EMAIL,
    st.sampled_from(["", "olivia@example.com", "Olivia Organizer <o@example.com>"]),
    SUBJECT,
)
def test_generated_messages_equal_an_email_message_tree(
    name: str, email: str, reply_to: str, subject: str
) -> None:
    try:
        parse_address("participant.email", email)
    except ValidationError:
        assume(False)
    envelope = Envelope(
        "Conference Bridge <bridge@pbx.example.com>", name, email, reply_to, "uid-7", "key-7", NOW
    )
    calendar = CALENDARS[1]
    fast = build_message(envelope, subject, "Hello\n", "<p>Hello</p>\n", calendar)
    assert normalised(fast) == normalised(
        reference_message(envelope, subject, "Hello\n", "<p>Hello</p>\n", calendar)
    )
