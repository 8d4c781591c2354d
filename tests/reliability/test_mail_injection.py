"""User text reaches the mails as literal text (issue 10, items 1 and 14): an encoded-word a
user types adds no header, changes no recipient and replaces no part; it reads back as typed,
in every mail kind and both languages, and so does the calendar data."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from fs_conf.cli.main import main
from fs_conf.conferences import ConferenceRequest, check_request
from fs_conf.config import Config, load_config
from fs_conf.errors import ValidationError
from fs_conf.mail.compose import CALENDAR_KINDS, MailKind, build_mails
from fs_conf.mail.delivery import deliver_due
from fs_conf.mail.transport import FolderTransport
from fs_conf.model import Attendance, Conference, Occurrence, Role
from fs_conf.store import OutgoingMail, open_store
from tests.mail.conftest import display_name, make_config

NOW = datetime(2099, 3, 1, 12, 0, tzinfo=UTC)
SENDER = ("Conference Bridge", "bridge@pbx.example.com")
CLEAN_TITLE = "CleanTitle"
ORGANIZER = "olivia@example.com"
REPLY_TO = "reply@example.com"
RECIPIENTS = ("mona@example.com", "paul@example.com")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bqBQ]\?[^?\s]*\?=")
BCC_WORD = "=?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?="
"""`\r\nBcc: evil@example.com` as an encoded-word, as the issue typed it."""
NEW_BODY_WORD = (
    "=?utf-8?b?DQpDb250ZW50LVR5cGU6IHRleHQvcGxhaW4NCg0KUGF5IGF0IGh0dHBzOi8vZXZpbC5leGFtcGxlLw==?="
)
"""`\r\nContent-Type: text/plain\r\n\r\nPay at https://evil.example/`: a message of its own."""

# (kind, which sitting): the series, one sitting of the weekly series, or one moved on its own
MAILS = [
    (MailKind.INVITATION, None),
    (MailKind.UPDATE, None),
    (MailKind.UPDATE, "sitting"),
    (MailKind.UPDATE, "moved"),
    (MailKind.CANCELLATION, None),
    (MailKind.CANCELLATION, "sitting"),
    (MailKind.REMINDER, "sitting"),
    (MailKind.ATTENDANCE, "sitting"),
]
LANGUAGES = ["en", "de"]

FRAGMENTS = [
    "=?", "?=", BCC_WORD, NEW_BODY_WORD, "=?utf-8?q?=0D=0AX-Injected:_yes?=",
    "=?iso-8859-1?q?caf=E9?=", "=?utf-8?b?", "?q?", "=?x?=", "'", "\\", "\\N", "\\n",
    "\\\\server\\New folder", ",", ":", "@", "(", ")", "[", "]", "^", "=", "ü", "ß", "日本語",
    "😀", "\u202e", "\u00a0", "x" * 60, "ä" * 30, " ", "  ",
]  # fmt: skip
"""Encoded-words and their look-alikes, backslashes, non-ASCII, long runs."""
TYPABLE = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"))
"""Characters the service takes in a line of text (no control character, no line break)."""


def line_text(most: int, *extra: str) -> st.SearchStrategy[str]:
    """Text the service's checks let through (at most `most` characters), with `extra`
    characters added to the fragments."""
    pieces = st.one_of(st.sampled_from([*FRAGMENTS, *extra]), st.text(TYPABLE, max_size=8))
    return st.lists(pieces, max_size=8).map(lambda text: "".join(text)[:most])


NAME = line_text(100).map(lambda text: re.sub('[<>";]', "", text))
"""A participant's name as `Name <address>` takes it (no <, >, " or ;)."""
TITLE = line_text(200, '"', ";", "<", ">").filter(str.strip)
LOCATION = line_text(200, '"', ";", "<", ">")
DESCRIPTION = st.lists(line_text(200, '"', ";", "<", ">"), max_size=3).map("\n".join)


def shown(text: str) -> str:
    """A single-line text as the mails show it: white space and control characters (which
    no header may hold) collapsed to single spaces (docs/mail.md#user-text-in-headers)."""
    return " ".join(CONTROL.sub(" ", text).split())


def in_calendar(text: str) -> str:
    """A multi-line text as the calendar data holds it: line breaks as line feeds, other
    control characters (which iCalendar TEXT cannot hold) as spaces."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", lines)


def in_parameter(text: str) -> str:
    """A name as a calendar parameter holds it: a backslash as the full-width one."""
    return text.replace("\\", "\uff3c")


@dataclasses.dataclass(frozen=True)
class Typed:
    """What a user typed into the fields that reach the mails."""

    title: str
    location: str
    description: str
    names: tuple[str, str]
    organizer_name: str
    reply_to_name: str


def service_conference(config: Config, typed: Typed) -> Conference:
    """The conference the service makes of `typed` (ids and PINs as a store would draw them);
    the organizer and reply-to with a name beside the address, as the model holds them."""
    request = ConferenceRequest(
        title=typed.title,
        start="2099-03-02T10:00",
        duration_minutes=60,
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;COUNT=6",
        location=typed.location,
        description=typed.description,
        organizer=ORGANIZER,
        reply_to=REPLY_TO,
        participants=[
            f"{typed.names[0]} <{RECIPIENTS[0]}>;moderator",
            f"{typed.names[1]} <{RECIPIENTS[1]}>",
        ],
    )
    conference = check_request(config, request, NOW).conference
    participants = [
        dataclasses.replace(person, id=number, pin=f"5566778{number}")
        for number, person in enumerate(conference.participants, start=1)
    ]
    return dataclasses.replace(
        conference,
        id=7,
        guest_pin="40518273",
        moderator_pin="7306194825",
        participants=participants,
        organizer=f"{typed.organizer_name} <{ORGANIZER}>",
        reply_to=f"{typed.reply_to_name} <{REPLY_TO}>",
    )


def config_in(language: str) -> Config:
    """The test configuration in `language` (its mail folder is never written)."""
    return dataclasses.replace(make_config(Path("/nonexistent")), language=language)


def mails_of(
    conference: Conference, config: Config, kind: MailKind, which: str | None
) -> list[OutgoingMail]:
    """The mails of `kind` about the series (`which` None), its second sitting, or that
    sitting moved by two hours on its own; the attendance report lists two calls."""
    second = conference.start + timedelta(weeks=1)
    sitting = Occurrence(second, second + conference.duration)
    original_start = None
    if which == "moved":
        original_start = second
        sitting = Occurrence(second + timedelta(hours=2), second + timedelta(hours=3))
    attendance = [
        Attendance(7, sitting.start, "call-1", "+4930123", Role.MODERATOR, sitting.start, 1),
        Attendance(7, sitting.start, "call-2", "guest", Role.PARTICIPANT, sitting.start),
    ]
    return build_mails(
        conference,
        kind,
        config,
        NOW,
        sitting if which else None,
        original_start=original_start,
        attendance=attendance,
    )


@cache
def clean_mail(kind: MailKind, which: str | None, language: str) -> EmailMessage:
    """The same mail for a conference of plain words."""
    config = config_in(language)
    plain = Typed(CLEAN_TITLE, "", "", ("Mona", "Paul"), "Olivia", "Replies")
    return parse(mails_of(service_conference(config, plain), config, kind, which)[0].message)


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    inline = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(inline.get_content())


def organizer_name(typed: Typed) -> str:
    """The name before the organizer's `<address>`, as typed (enclosing quotes aside)."""
    return shown(typed.organizer_name.strip().strip('"').strip()) or ORGANIZER


def structure(message: EmailMessage) -> list[tuple[str, str | None]]:
    return [(part.get_content_type(), part.get_filename()) for part in message.walk()]


def assert_literal_headers(message: EmailMessage, clean: EmailMessage) -> None:
    """The headers of a clean mail and no other; no line break or control character in a
    value; every header read without a defect; every encoded-word at most 75 characters."""
    assert message.keys() == clean.keys()
    assert not message.defects
    for name, value in message.items():
        assert not CONTROL.search(str(value)), name
        assert not value.defects, (name, value.defects)
    for name, raw in message.raw_items():
        assert all(len(word) <= 75 for word in ENCODED_WORD.findall(raw)), (name, raw)


def assert_recipients(message: EmailMessage, email: str, name: str) -> None:
    """From the sender, to `email` alone (named `name`), replies to the reply-to address."""
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == SENDER
    [to] = message["To"].addresses
    assert to.addr_spec == email
    shown_name = "" if name.lower() == email else name
    assert display_name(dict(message.raw_items())["To"]) == shown_name
    [reply_to] = message["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == ("", REPLY_TO)


def assert_calendar(
    message: EmailMessage, conference: Conference, typed: Typed, clean: EmailMessage
) -> None:
    """The calendar part and the attachment hold the same data, with the typed texts."""
    inline = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    attached = next(p for p in message.walk() if p.get_content_type() == "application/ics")
    assert attached.get_content() == inline.get_content().encode("utf-8")
    calendar = calendar_of(message)
    title = shown(conference.title)
    dial_number = str(calendar_of(clean).walk("VEVENT")[0]["LOCATION"])
    for event in calendar.walk("VEVENT"):
        assert str(event["SUMMARY"]) == title
        assert str(event["LOCATION"]) == (shown(typed.location) or dial_number)
        description = in_calendar(typed.description.lstrip())
        assert str(event["DESCRIPTION"]).startswith(description)
        names = {str(a): a.params["CN"] for a in event["ATTENDEE"]}
        expected = {
            f"mailto:{p.email}": in_parameter(shown(p.name) or p.email or "")
            for p in conference.participants
        }
        assert names == expected
        assert event["ORGANIZER"].params["CN"] == in_parameter(organizer_name(typed))
        for alarm in event.walk("VALARM"):
            assert str(alarm["DESCRIPTION"]) == title


def check_mails(typed: Typed, kind: MailKind, which: str | None, language: str) -> None:
    config = config_in(language)
    try:
        conference = service_conference(config, typed)
    except ValidationError:
        reject()  # text the service refuses never reaches a mail
    mails = mails_of(conference, config, kind, which)
    clean = clean_mail(kind, which, language)
    if kind is MailKind.ATTENDANCE:
        people = {ORGANIZER: organizer_name(typed)}
    else:
        people = {p.email: shown(p.name) for p in conference.participants if p.email}
    assert sorted(mail.recipient for mail in mails) == sorted(people)
    for mail in mails:
        assert not mail.error
        message = parse(mail.message)
        assert_literal_headers(message, clean)
        assert_recipients(message, mail.recipient, people[mail.recipient])
        subject = str(clean["Subject"]).replace(CLEAN_TITLE, conference.title)
        # the email package's reader keeps the fold's space when the policy starts the
        # Subject on its second line (mail programs drop it)
        assert str(message["Subject"]).lstrip(" ") == shown(subject)
        assert structure(message) == structure(clean)
        if kind in CALENDAR_KINDS:
            assert_calendar(message, conference, typed, clean)


TYPED = st.builds(
    Typed,
    title=TITLE,
    location=LOCATION,
    description=DESCRIPTION.filter(lambda text: "<pin>" not in text and "<number>" not in text),
    names=st.tuples(NAME, NAME),
    organizer_name=line_text(100, '"', ";", "<", ">"),
    reply_to_name=line_text(100, '"', ";", "<", ">"),
)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "which"), MAILS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed=TYPED)
@example(
    typed=Typed(
        f"x {BCC_WORD} y",
        "\\\\server\\New folder",
        f"{NEW_BODY_WORD}\n\\\\server\\New folder",
        (BCC_WORD, f"Eve {NEW_BODY_WORD}"),
        f"Olivia {BCC_WORD}",
        BCC_WORD,
    )
)
def test_typed_text_stays_literal_in_every_mail(
    kind: MailKind, which: str | None, language: str, typed: Typed
) -> None:
    check_mails(typed, kind, which, language)


CREATE = [
    "conference", "create", "--title", f"x {BCC_WORD} y", "--start", "2099-01-12T10:00",
    "--duration", "30", "--location", "\\\\server\\New folder",
    "--participant", "Eve <eve@example.com>",
    "--participant", f"{BCC_WORD} <frank@example.com>",
    "--participant", f"{NEW_BODY_WORD} <grace@example.com>", "--json",
]  # fmt: skip


def test_the_issues_encoded_words_add_no_header_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(
        f"database: {tmp_path / 'db.sqlite3'}\nmail: {{folder: {tmp_path / 'mail'}}}\n",
        encoding="utf-8",
    )
    assert main(["--config", str(config_file), *CREATE]) == 0
    conference_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["--config", str(config_file), "conference", "invite", str(conference_id)]) == 0
    config = load_config(config_file)
    with open_store(config.database) as store:
        deliver_due(store, FolderTransport(config.mail.folder), datetime.now(UTC), config)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 3
    for path in files:
        message = parse(path.read_bytes())
        assert message.keys() == [
            "From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted",
            "MIME-Version", "Content-Type",
        ]  # fmt: skip
        assert str(message["Subject"]).startswith(f"Invitation: x {BCC_WORD} y (")
        [to] = message["To"].addresses
        name = {"eve": "Eve", "frank": BCC_WORD, "grace": NEW_BODY_WORD}[to.username]
        assert display_name(dict(message.raw_items())["To"]) == name
        assert message.get_content_type() == "multipart/mixed"
        inline = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        [event] = icalendar.Calendar.from_ical(inline.get_content()).walk("VEVENT")
        assert str(event["SUMMARY"]) == f"x {BCC_WORD} y"
        assert str(event["LOCATION"]) == "\\\\server\\New folder"


def test_control_characters_stored_before_the_checks_reach_no_header() -> None:
    """A conference from before the input checks refused control characters."""
    config = config_in("en")
    plain = Typed("Sync", "Room 2", "Agenda", ("Mona", "Paul"), "Olivia", "Replies")
    conference = service_conference(config, plain)
    conference = dataclasses.replace(
        conference,
        title="Sync\x1b[2J\x00now\x85\u2028",
        location="Room\x07 2",
        description="Agenda\x0c\x1b[31m red",
        participants=[
            dataclasses.replace(conference.participants[0], name="Mona\x9b\x1b]0;x\x07"),
            conference.participants[1],
        ],
    )
    for mail in mails_of(conference, config, MailKind.INVITATION, None):
        message = parse(mail.message)
        assert message.keys() == clean_mail(MailKind.INVITATION, None, "en").keys()
        assert all(not CONTROL.search(str(value)) for value in message.values())
        assert str(message["Subject"]).startswith("Invitation: Sync [2J now (")
        [event] = calendar_of(message).walk("VEVENT")
        assert str(event["SUMMARY"]) == "Sync [2J now"
        assert str(event["LOCATION"]) == "Room 2"
        assert str(event["DESCRIPTION"]).startswith("Agenda  [31m red\n")
        names = [attendee.params["CN"] for attendee in event["ATTENDEE"]]
        assert names == ["Mona ]0;x", "Paul"]
