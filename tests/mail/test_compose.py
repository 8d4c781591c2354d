"""Composition: every kind, per-recipient content, delivered through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from fs_conf.errors import ValidationError
from fs_conf.mail.compose import build_mails
from fs_conf.mail.transport import SmtpTransport
from fs_conf.model import Attendance, Occurrence, Role

from .conftest import BERLIN, NOW, SmtpServer, make_conference, make_config


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)


def calendar_part(message: EmailMessage) -> tuple[icalendar.Calendar, str]:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return icalendar.Calendar.from_ical(parts[0].get_content()), parts[0].get_param("method")


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def occurrence_on(day: int, month: int = 4) -> Occurrence:
    start = make_conference().start.replace(month=month, day=day)
    return Occurrence(start, start + timedelta(hours=1))


def test_invitation_through_smtp(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = make_config(tmp_path, port=smtp_server.port)
    mails = build_mails(make_conference(), "invitation", config, NOW)
    assert [m.recipient for m in mails] == ["mona@example.com", "paul@example.com"]  # no phone-only
    transport = SmtpTransport(config.mail.smtp, "bridge@pbx.example.com")
    with transport.session() as session:
        for mail in mails:
            session.send(mail.recipient, mail.key, mail.message)
    received = {m.recipients[0]: parse(m.data) for m in smtp_server.handler.messages}

    paul = received["paul@example.com"]
    assert paul["To"] == "Paul Participant <paul@example.com>"
    assert paul.get_content_type() == "multipart/mixed"
    text = paul.get_body(("plain",)).get_content()
    assert "Repeats:   every week on Monday, until 10 November 2025" in text
    assert "Your PIN:  55667788" in text
    assert "Dial +49301234567 and enter 55667788." in text
    assert "Internal:  3000" in text
    calendar, method = calendar_part(paul)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    vevent = only_event(calendar)
    assert vevent["UID"] == "weekly-sync-7@pbx.example.com" and vevent["SEQUENCE"] == 0
    assert vevent["DTSTART"].dt == make_conference().start
    assert "55667788" in vevent["DESCRIPTION"] and "+49301234567" in vevent["DESCRIPTION"]
    assert "7306194825" not in vevent["DESCRIPTION"]
    assert {str(a) for a in vevent["ATTENDEE"]} == {
        "mailto:mona@example.com",
        "mailto:paul@example.com",
    }

    mona = received["mona@example.com"]
    vevent = only_event(calendar_part(mona)[0])
    assert "11223344" in vevent["DESCRIPTION"] and "7306194825" in vevent["DESCRIPTION"]


def test_update_keeps_uid_and_raises_sequence(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = build_mails(make_conference(), "invitation", config, NOW)[0]
    update = build_mails(
        make_conference(sequence=1, title="Weekly sync (new time)"), "update", config, NOW
    )[0]
    assert first.key != update.key
    old, new = (
        only_event(calendar_part(parse(first.message))[0]),
        only_event(calendar_part(parse(update.message))[0]),
    )
    assert old["UID"] == new["UID"]
    assert (old["SEQUENCE"], new["SEQUENCE"]) == (0, 1)
    assert calendar_part(parse(update.message))[1] == "REQUEST"
    assert parse(update.message)["Subject"].startswith("Updated: Weekly sync (new time)")


def test_cancellation_of_the_series(tmp_path: Path) -> None:
    mail = build_mails(make_conference(sequence=2), "cancellation", make_config(tmp_path), NOW)[1]
    message = parse(mail.message)
    calendar, method = calendar_part(message)
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
    vevent = only_event(calendar)
    assert vevent["STATUS"] == "CANCELLED" and vevent["SEQUENCE"] == 2
    assert vevent["UID"] == "weekly-sync-7@pbx.example.com"
    assert "RRULE" in vevent
    assert message["Subject"] == "Cancelled: Weekly sync"
    assert "55667788" not in message.get_body(("plain",)).get_content()


def test_cancellation_of_one_occurrence(tmp_path: Path) -> None:
    sitting = occurrence_on(7)
    mail = build_mails(
        make_conference(sequence=3), "cancellation", make_config(tmp_path), NOW, sitting
    )[0]
    vevent = only_event(calendar_part(parse(mail.message))[0])
    assert vevent["RECURRENCE-ID"].dt == sitting.start
    assert vevent["STATUS"] == "CANCELLED" and "RRULE" not in vevent
    assert mail.occurrence == sitting.start
    assert parse(mail.message)["Subject"] == "Cancelled: Weekly sync on Monday, 7 April 2025"


def test_moved_occurrence_names_its_original_start(tmp_path: Path) -> None:
    original = occurrence_on(14)
    moved = Occurrence(original.start + timedelta(days=1), original.end + timedelta(days=1))
    mail = build_mails(
        make_conference(sequence=4),
        "update",
        make_config(tmp_path),
        NOW,
        moved,
        original_start=original.start,
    )[1]
    vevent = only_event(calendar_part(parse(mail.message))[0])
    assert vevent["RECURRENCE-ID"].dt == original.start
    assert vevent["DTSTART"].dt == moved.start
    text = parse(mail.message).get_body(("plain",)).get_content()
    assert (
        "moved the conference of Monday, 14 April 2025, 10:00 to Tuesday, 15 April 2025, 10:00"
        in text
    )


def test_one_off_conference_occurrence_update_has_no_recurrence_id(tmp_path: Path) -> None:
    conf = make_conference(rrule=None, exdates=[], sequence=1)
    extended = Occurrence(conf.start, conf.start + timedelta(minutes=75))
    vevent = only_event(
        calendar_part(
            parse(build_mails(conf, "update", make_config(tmp_path), NOW, extended)[0].message)
        )[0]
    )
    assert "RECURRENCE-ID" not in vevent and "RRULE" not in vevent
    assert vevent["DTEND"].dt - vevent["DTSTART"].dt == timedelta(minutes=75)


def test_reminder_per_occurrence_without_calendar(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "reminder", config, NOW)
    assert caught.value.field == "occurrence"
    first = build_mails(make_conference(), "reminder", config, NOW, occurrence_on(7))
    second = build_mails(make_conference(), "reminder", config, NOW, occurrence_on(14))
    assert {m.key for m in first}.isdisjoint({m.key for m in second})
    message = parse(first[1].message)
    assert message.get_content_type() == "multipart/alternative"
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert message["Subject"] == "Reminder: Weekly sync at 10:00"
    assert "Your PIN:  55667788" in message.get_body(("plain",)).get_content()


def test_attendance_report_to_the_organizer(tmp_path: Path) -> None:
    conf = make_conference(organizer="Olivia Organizer <olivia@example.com>")
    sitting = occurrence_on(7)

    def stay(pid, caller, role, joined, left):
        return Attendance(
            conference_id=7,
            occurrence_start=sitting.start,
            call_uuid=f"{caller}{joined}",
            caller_id=caller,
            role=role,
            participant_id=pid,
            joined_at=sitting.start + timedelta(minutes=joined),
            left_at=None if left is None else sitting.start + timedelta(minutes=left),
        )

    records = [
        stay(2, "202", Role.PARTICIPANT, 3, 33),
        stay(1, "201", Role.MODERATOR, -1, None),
        stay(None, "+4917012345", Role.PARTICIPANT, 10, 25),
    ]
    mails = build_mails(
        conf, "attendance", make_config(tmp_path), sitting.end, sitting, attendance=records
    )
    assert [m.recipient for m in mails] == ["olivia@example.com"]
    message = parse(mails[0].message)
    assert message["To"] == "Olivia Organizer <olivia@example.com>"
    assert message["Subject"] == "Attendance: Weekly sync on Monday, 7 April 2025"
    text = message.get_body(("plain",)).get_content()
    lines = [line for line in text.splitlines() if line.startswith("  ")]
    assert lines == [
        "  09:59-end    1 hour 1 minute     Mona Moderator (201), moderator",
        "  10:03-10:33  30 minutes          Paul Participant (202)",
        "  10:10-10:25  15 minutes          +4917012345",
    ]
    assert "3 people took part." in text
    assert "Invited but not there: Phone Only" in text
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert "Mona Moderator" in message.get_body(("html",)).get_content()


def test_unknown_kind_and_invitation_for_one_occurrence_are_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "newsletter", config, NOW)
    assert caught.value.field == "kind"
    with pytest.raises(ValidationError):
        build_mails(make_conference(), "invitation", config, NOW, occurrence_on(7))


def test_times_are_shown_in_the_conference_zone(tmp_path: Path) -> None:
    conf = make_conference(start=make_conference().start.astimezone(BERLIN).replace(month=7, day=7))
    text = parse(build_mails(conf, "invitation", make_config(tmp_path), NOW)[0].message)
    body = text.get_body(("plain",)).get_content()
    assert "Monday, 7 July 2025, 10:00 – 11:00 (CEST, Europe/Berlin)" in body


def test_an_organizer_known_by_address_alone_is_addressed_without_a_repeated_name(
    tmp_path: Path,
) -> None:
    conf = make_conference(organizer="olivia@example.com")
    sitting = occurrence_on(7)
    (mail,) = build_mails(conf, "attendance", make_config(tmp_path), sitting.end, sitting)
    raw = mail.message.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nTo: olivia@example.com\r\n" in raw
    assert parse(mail.message)["To"] == "olivia@example.com"
