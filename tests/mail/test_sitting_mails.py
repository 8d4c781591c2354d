"""Mails about one sitting of a series changed on its own, and the series mails that carry
such changes, delivered through a real SMTP server and read back with `icalendar`; the
sittings a calendar client sees are expanded with `recurring-ical-events`, an independent
implementation, across both clock changes in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import recurring_ical_events

from fs_conf.mail.compose import build_mails
from fs_conf.mail.transport import SmtpTransport
from fs_conf.model import Conference, OccurrenceOverride, OverrideStatus
from fs_conf.store import OutgoingMail
from fs_conf.timetable import occurrences, sitting

from .conftest import BERLIN, NOW, SmtpServer, make_conference, make_config

CANCELLED = datetime(2025, 3, 24, 10, 0, tzinfo=BERLIN)
"""The last Monday in winter time, cancelled."""
MOVED_SPRING = datetime(2025, 3, 31, 10, 0, tzinfo=BERLIN)
"""The first Monday in summer time, moved to Tuesday 15:00 for 90 minutes."""
MOVED_AUTUMN = datetime(2025, 10, 27, 10, 0, tzinfo=BERLIN)
"""The first Monday back in winter time, moved back across the change to Friday 09:00."""


def changed_series() -> Conference:
    """The sample weekly series (Mondays 10:00 from 3 March to 10 November 2025, 17 March an
    EXDATE) with three sittings changed on their own, the last change mailed as SEQUENCE 3."""
    return make_conference(
        sequence=3,
        series_sequence=0,
        overrides=[
            OccurrenceOverride(CANCELLED, OverrideStatus.CANCELLED, sequence=1),
            OccurrenceOverride(
                MOVED_SPRING, OverrideStatus.MOVED,
                datetime(2025, 4, 1, 15, 0, tzinfo=BERLIN), timedelta(minutes=90), sequence=2,
            ),
            OccurrenceOverride(
                MOVED_AUTUMN, OverrideStatus.MOVED,
                datetime(2025, 10, 24, 9, 0, tzinfo=BERLIN), timedelta(minutes=60), sequence=3,
            ),
        ],
    )  # fmt: skip


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)


def calendar_of(message: EmailMessage) -> tuple[icalendar.Calendar, str]:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content()), part.get_param("method")


def sitting_mails(conf: Conference, original: datetime, tmp_path: Path) -> list[OutgoingMail]:
    """What the scheduler queues for one changed sitting (fs_conf.scheduler.mailing)."""
    override = next(o for o in conf.overrides if o.original_start == original)
    config = make_config(tmp_path)
    if override.status is OverrideStatus.CANCELLED:
        return build_mails(conf, "cancellation", config, NOW, sitting(conf, original))
    return build_mails(
        conf, "update", config, NOW, sitting(conf, original), original_start=original
    )


def deliver(
    smtp_server: SmtpServer, tmp_path: Path, mails: list[OutgoingMail]
) -> list[EmailMessage]:
    config = make_config(tmp_path, port=smtp_server.port)
    transport = SmtpTransport(config.mail.smtp, "bridge@pbx.example.com")
    with transport.session() as session:
        for mail in mails:
            session.send(mail.recipient, mail.key, mail.message)
    return [parse(m.data) for m in smtp_server.handler.messages]


def test_a_cancelled_sitting_is_a_cancel_with_its_recurrence_id(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    mails = sitting_mails(changed_series(), CANCELLED, tmp_path)
    assert [m.recipient for m in mails] == ["mona@example.com", "paul@example.com"]
    received = deliver(smtp_server, tmp_path, mails)
    paul = next(m for m in received if m["To"].addresses[0].addr_spec == "paul@example.com")
    assert paul["Subject"] == "Cancelled: Weekly sync on Monday, 24 March 2025"
    text = paul.get_body(("plain",)).get_content()
    assert (
        "has cancelled the conference on Monday, 24 March 2025, 10:00. The other dates stay as they were."
        in text
    )
    calendar, method = calendar_of(paul)
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
    [vevent] = calendar.walk("VEVENT")
    assert vevent["UID"] == "weekly-sync-7@pbx.example.com"
    assert vevent["SEQUENCE"] == 3
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["RECURRENCE-ID"].dt == CANCELLED
    assert vevent["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert vevent["DTSTART"].dt == CANCELLED and vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert "RRULE" not in vevent and "EXDATE" not in vevent
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]


def test_a_moved_sitting_is_a_request_for_its_recurrence_id(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    mails = sitting_mails(changed_series(), MOVED_SPRING, tmp_path)
    [paul] = [m for m in deliver(smtp_server, tmp_path, mails) if "paul@" in m["To"]]
    assert paul["Subject"] == "Updated: Weekly sync (Tuesday, 1 April 2025, 15:00)"
    text = paul.get_body(("plain",)).get_content()
    assert (
        "has moved the conference of Monday, 31 March 2025, 10:00 to Tuesday, 1 April 2025, 15:00;"
        " the other dates stay as they were." in text
    )
    html = paul.get_body(("html",)).get_content()
    assert "has moved the conference of Monday, 31 March 2025, 10:00 to Tuesday" in html
    assert "Tuesday, 1 April 2025, 15:00 – 16:30" in text
    assert "Your PIN:  55667788" in text  # an update carries the PIN, as the invitation did
    calendar, method = calendar_of(paul)
    assert method == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert vevent["RECURRENCE-ID"].dt == MOVED_SPRING
    assert vevent["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert vevent["DTSTART"].dt == datetime(2025, 4, 1, 15, 0, tzinfo=BERLIN)
    assert vevent["DTEND"].dt == datetime(2025, 4, 1, 16, 30, tzinfo=BERLIN)
    assert (vevent["UID"], vevent["SEQUENCE"], vevent["STATUS"]) == (
        "weekly-sync-7@pbx.example.com",
        3,
        "CONFIRMED",
    )
    assert "RRULE" not in vevent


def test_each_sitting_mail_has_its_own_outbox_key(tmp_path: Path) -> None:
    conf = changed_series()
    keys = [
        m.key
        for original in (CANCELLED, MOVED_SPRING, MOVED_AUTUMN)
        for m in sitting_mails(conf, original, tmp_path)
    ]
    series = [m.key for m in build_mails(conf, "update", make_config(tmp_path), NOW)]
    assert len(set(keys + series)) == len(keys) + len(series) == 8
    # keyed by the sitting's original start (its RECURRENCE-ID), in UTC
    assert "7/paul@example.com/update/3/2025-03-31T08:00:00.000000+00:00" in keys
    assert "7/paul@example.com/cancellation/3/2025-03-24T09:00:00.000000+00:00" in keys


def expected_starts() -> list[datetime]:
    mondays = [datetime(2025, 3, 3, 10, tzinfo=BERLIN) + timedelta(weeks=n) for n in range(37)]
    skipped = {datetime(2025, 3, 17, 10, tzinfo=BERLIN), CANCELLED, MOVED_SPRING, MOVED_AUTUMN}
    moved = [datetime(2025, 4, 1, 15, tzinfo=BERLIN), datetime(2025, 10, 24, 9, tzinfo=BERLIN)]
    return sorted([m for m in mondays if m not in skipped] + moved)


def sittings_seen(calendar: icalendar.Calendar) -> list[tuple[datetime, datetime]]:
    """The sittings a client shows: every expanded event that is not cancelled."""
    events = recurring_ical_events.of(calendar).between(datetime(2025, 1, 1), datetime(2026, 1, 1))
    return [
        (e["DTSTART"].dt, e["DTEND"].dt)
        for e in events
        if str(e.get("STATUS", "CONFIRMED")) != "CANCELLED"
    ]


def test_the_latest_series_mail_alone_shows_every_sitting_right(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conf = changed_series()
    mails = build_mails(conf, "update", make_config(tmp_path), NOW)
    [paul] = [m for m in deliver(smtp_server, tmp_path, mails) if "paul@" in m["To"]]
    calendar, method = calendar_of(paul)
    assert method == "REQUEST"
    master, *instances = calendar.walk("VEVENT")
    assert "RRULE" in master and "RECURRENCE-ID" not in master
    assert [d.dt for d in master["EXDATE"].dts] == [
        datetime(2025, 3, 17, 10, tzinfo=BERLIN),
        CANCELLED,
    ]
    assert [(i["RECURRENCE-ID"].dt, i["DTSTART"].dt) for i in instances] == [
        (MOVED_SPRING, datetime(2025, 4, 1, 15, tzinfo=BERLIN)),
        (MOVED_AUTUMN, datetime(2025, 10, 24, 9, tzinfo=BERLIN)),
    ]
    assert all(
        i["UID"] == master["UID"] and i["SEQUENCE"] == master["SEQUENCE"] == 3 for i in instances
    )
    assert all("55667788" in i["DESCRIPTION"] for i in instances)  # each instance is dialled alike

    seen = sittings_seen(calendar)
    assert [start for start, _ in seen] == expected_starts()
    # wall time kept across both changes, the moved ones at their own offsets and lengths
    by_day = {
        start.date().isoformat(): (start.astimezone(UTC).hour, end - start) for start, end in seen
    }
    assert by_day["2025-03-10"] == (9, timedelta(hours=1))
    assert by_day["2025-04-01"] == (13, timedelta(minutes=90))
    assert by_day["2025-04-07"] == (8, timedelta(hours=1))
    assert by_day["2025-10-24"] == (7, timedelta(hours=1))
    assert by_day["2025-11-03"] == (9, timedelta(hours=1))
    # and it is what fs_conf itself schedules
    ours = occurrences(conf, datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert seen == [(o.start, o.end) for o in ours]


def test_a_client_applying_each_mail_in_turn_sees_the_same(tmp_path: Path) -> None:
    """Invitation first (before any change), then one mail per changed sitting: the client
    files each instance under the series' UID; with a VTIMEZONE no library knows by name."""
    conf = changed_series()
    config = make_config(tmp_path)
    invitation = build_mails(make_conference(), "invitation", config, NOW)[1]
    client, _ = calendar_of(parse(invitation.message.replace(b"Europe/Berlin", b"Custom/Berlin")))
    for original in (CANCELLED, MOVED_SPRING, MOVED_AUTUMN):
        mail = sitting_mails(conf, original, tmp_path)[1]
        received, _ = calendar_of(parse(mail.message.replace(b"Europe/Berlin", b"Custom/Berlin")))
        [instance] = received.walk("VEVENT")
        client.add_component(instance)
    assert [start for start, _ in sittings_seen(client)] == expected_starts()
