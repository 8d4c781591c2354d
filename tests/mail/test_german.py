"""German mails of every kind: German words in subject, text and HTML, dates written the
German way, the calendar's description in German too."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from fs_conf.mail.compose import build_mails
from fs_conf.model import Attendance, Occurrence, Role

from .conftest import NOW, make_conference, make_config

SITTING_START = make_conference().start.replace(month=4, day=7)
SITTING = Occurrence(SITTING_START, SITTING_START + timedelta(hours=1))
"""Monday 7 April 2025, 10:00 Europe/Berlin: summer time (CEST)."""


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content()


def german(tmp_path: Path):
    return dataclasses.replace(make_config(tmp_path), language="de")


@pytest.mark.parametrize(
    ("kind", "occurrence", "subject", "words"),
    [
        (
            "update", None,
            "Geändert: Weekly sync (Montag, 3. März 2025, 10:00 Uhr)",
            ["Hallo Paul Participant", "hat die Telefonkonferenz geändert",
             "Montag, 3. März 2025, 10:00 – 11:00 Uhr (CET", "jede Woche am Montag, bis zum 10.11.2025",
             "Dauer:     1 Stunde", "Ihre PIN:   55667788", "So nehmen Sie teil"],
        ),
        (
            "cancellation", None,
            "Abgesagt: Weekly sync",
            ["Hallo Paul Participant", "hat die Telefonkonferenz abgesagt",
             "Ihre PIN wird für diese Konferenz nicht mehr gebraucht"],
        ),
        (
            "cancellation", SITTING,
            "Abgesagt: Weekly sync am Montag, 7. April 2025",
            ["hat den Termin am Montag, 7. April 2025, 10:00 Uhr abgesagt",
             "Die anderen Termine bleiben, wie sie waren"],
        ),
        (
            "reminder", SITTING,
            "Erinnerung: Weekly sync um 10:00 Uhr",
            ["zur Erinnerung: die Telefonkonferenz beginnt am Montag, 7. April 2025, 10:00 Uhr",
             "Sie können sich 10 Minuten vor Beginn einwählen", "Tasten während des Gesprächs"],
        ),
    ],
)  # fmt: skip
def test_every_participant_mail_is_german(
    tmp_path: Path, kind: str, occurrence: Occurrence | None, subject: str, words: list[str]
) -> None:
    conf = make_conference(sequence=1)
    mails = build_mails(conf, kind, german(tmp_path), NOW, occurrence)
    message = parse(next(m for m in mails if m.recipient == "paul@example.com").message)
    assert message["Subject"] == subject
    text, html = body(message, "plain"), body(message, "html")
    for word in words:
        assert word in text, word
    assert "Hallo Paul Participant" in html
    for english in ("Hello", "Your PIN", "minutes", "Monday", "March", "Duration", "Repeats"):
        assert english not in text and english not in html, english


def test_the_calendar_description_is_german_too(tmp_path: Path) -> None:
    mail = build_mails(make_conference(sequence=1), "update", german(tmp_path), NOW)[1]
    (part,) = [p for p in parse(mail.message).walk() if p.get_content_type() == "text/calendar"]
    (event,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert "Rufnummer:  +49301234567" in description and "Ihre PIN:   55667788" in description
    cancelled = build_mails(make_conference(sequence=2), "cancellation", german(tmp_path), NOW)[1]
    (part,) = [
        p for p in parse(cancelled.message).walk() if p.get_content_type() == "text/calendar"
    ]
    (event,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert "Abgesagt." in str(event["DESCRIPTION"])


def test_the_attendance_report_is_german(tmp_path: Path) -> None:
    conf = make_conference(organizer="Olivia Organizer <olivia@example.com>")
    records = [
        Attendance(
            conference_id=7, occurrence_start=SITTING.start, call_uuid="a", caller_id="202",
            role=Role.PARTICIPANT, participant_id=2,
            joined_at=SITTING.start + timedelta(minutes=3),
            left_at=SITTING.start + timedelta(minutes=33),
        ),
        Attendance(
            conference_id=7, occurrence_start=SITTING.start, call_uuid="b", caller_id="201",
            role=Role.MODERATOR, participant_id=1,
            joined_at=SITTING.start - timedelta(minutes=1), left_at=None,
        ),
    ]  # fmt: skip
    (mail,) = build_mails(
        conf, "attendance", german(tmp_path), SITTING.end, SITTING, attendance=records
    )
    message = parse(mail.message)
    assert message["Subject"] == "Teilnahme: Weekly sync am Montag, 7. April 2025"
    text = body(message, "plain")
    assert "Hallo Olivia Organizer" in text
    assert "am Montag, 7. April 2025, 10:00 – 11:00 Uhr haben teilgenommen:" in text
    assert "09:59-Ende" in text and ", Moderator" in text
    assert "30 Minuten" in text
    assert "2 Personen haben teilgenommen." in text
    assert "Eingeladen, aber nicht dabei: Phone Only" in text
    assert "haben teilgenommen" in body(message, "html")
