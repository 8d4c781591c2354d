"""Invitation, update and cancellation of one conference queued in the outbox, delivered
through a real SMTP server on 127.0.0.1 and parsed back: each calendar's METHOD, UID and
SEQUENCE, and who the attendees are."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import icalendar
import pytest

from fs_conf.mail.compose import build_mails
from fs_conf.mail.delivery import deliver_due
from fs_conf.mail.transport import transport_from_config
from fs_conf.model import Conference
from fs_conf.store import Store, open_store

from .conftest import NOW, SmtpServer, make_conference, make_config


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "fs_conf.sqlite3", clock=lambda: NOW) as opened:
        yield opened


def stored(store: Store, **changes: object) -> Conference:
    conf = make_conference(id=None, **changes)
    conf.participants = [dataclasses.replace(p, id=None) for p in conf.participants]
    return store.add_conference(conf)


def received_calendars(
    smtp_server: SmtpServer, recipient: str
) -> list[tuple[str, icalendar.Calendar]]:
    """(text/calendar method parameter, parsed calendar) of each mail to `recipient`."""
    found = []
    for received in smtp_server.handler.messages:
        if received.recipients != [recipient]:
            continue
        message = message_from_bytes(received.data, policy=policy.default)
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        found.append((part.get_param("method"), icalendar.Calendar.from_ical(part.get_content())))
    return found


def test_invitation_update_and_cancellation_arrive_with_method_uid_and_sequence(
    store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config = make_config(tmp_path, port=smtp_server.port)
    conf = stored(store)
    changed = dataclasses.replace(conf, sequence=1, title="Weekly sync (new room)")
    cancelled = dataclasses.replace(changed, sequence=2)
    for version, kind in ((conf, "invitation"), (changed, "update"), (cancelled, "cancellation")):
        store.outbox_add(build_mails(version, kind, config, NOW), NOW)
    summary = deliver_due(store, transport_from_config(config.mail), NOW, config)
    assert (summary.sent, summary.failed) == (6, 0)

    calendars = received_calendars(smtp_server, "paul@example.com")
    assert [(method, cal["METHOD"]) for method, cal in calendars] == [
        ("REQUEST", "REQUEST"),
        ("REQUEST", "REQUEST"),
        ("CANCEL", "CANCEL"),
    ]
    events = [only_event(cal) for _, cal in calendars]
    assert {str(e["UID"]) for e in events} == {"weekly-sync-7@pbx.example.com"}
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert [str(e["SUMMARY"]) for e in events] == ["Weekly sync", *["Weekly sync (new room)"] * 2]
    assert [str(e.get("STATUS")) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert all("METHOD" not in e for e in events)  # on the VCALENDAR only (ical4j #423)


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def test_attendees_carry_their_names_roles_and_rsvp(
    store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config = make_config(tmp_path, port=smtp_server.port)
    conf = stored(store, organizer="Olivia Organizer <olivia@example.com>")
    store.outbox_add(build_mails(conf, "invitation", config, NOW), NOW)
    deliver_due(store, transport_from_config(config.mail), NOW, config)
    ((_, calendar),) = received_calendars(smtp_server, "mona@example.com")
    event = only_event(calendar)
    attendees = {
        str(a): (a.params["CN"], a.params["ROLE"], a.params["RSVP"]) for a in event["ATTENDEE"]
    }
    assert attendees == {
        "mailto:mona@example.com": ("Mona Moderator", "CHAIR", "TRUE"),
        "mailto:paul@example.com": ("Paul Participant", "REQ-PARTICIPANT", "TRUE"),
    }
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:olivia@example.com"
    assert organizer.params["CN"] == "Olivia Organizer"
