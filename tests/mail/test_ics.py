"""iCalendar: VTIMEZONE with RRULE transitions, series across DST, UID/SEQUENCE/METHOD."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from dateutil import tz as dateutil_tz

from fs_conf.errors import ValidationError
from fs_conf.mail.ics import (
    Attendee,
    EventSpec,
    build_calendar,
    calendar_timezone,
    transitions,
    vtimezone,
)

from .conftest import BERLIN, NOW


def event(**changes) -> EventSpec:
    base = dict(
        uid="series-1@pbx.example.com",
        sequence=0,
        stamp=NOW,
        start=datetime(2025, 3, 3, 10, 0, tzinfo=BERLIN),
        end=datetime(2025, 3, 3, 11, 0, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        title="Weekly sync",
        description="Dial +49301234567, PIN 55667788",
        location="Room 2",
        organizer=Attendee("Olivia", "olivia@example.com"),
        attendees=[
            Attendee("Mona", "mona@example.com", chair=True),
            Attendee("Paul", "paul@example.com"),
        ],
        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20251110",
        exdates=[datetime(2025, 3, 17, 10, 0, tzinfo=BERLIN)],
    )
    base.update(changes)
    return EventSpec(**base)


def calendar_of(spec: EventSpec) -> bytes:
    return build_calendar(spec, calendar_timezone(spec))


def only_event(data: bytes) -> icalendar.Event:
    events = list(icalendar.Calendar.from_ical(data).walk("VEVENT"))
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize(
    "zone_name",
    ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Jerusalem", "America/Santiago"],
)
def test_vtimezone_uses_rrules_and_matches_zoneinfo(zone_name: str) -> None:
    text = vtimezone(zone_name, 2025).to_ical()
    assert b"RDATE" not in text
    assert text.count(b"RRULE:FREQ=YEARLY;") == 2
    assert b"BEGIN:STANDARD" in text and b"BEGIN:DAYLIGHT" in text
    # dateutil's tzical reads VTIMEZONEs independently of icalendar and of this module.
    parsed = dateutil_tz.tzical(io.StringIO(text.decode())).get(zone_name)
    zone = ZoneInfo(zone_name)
    samples = [datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=5 * n) for n in range(5260)]
    for year in (2025, 2026, 2027):
        for change in transitions(zone, year):
            instant = (change.local - change.offset_from).replace(tzinfo=UTC)
            samples += [instant - timedelta(seconds=1), instant]
    for moment in samples:
        assert moment.astimezone(parsed).utcoffset() == moment.astimezone(zone).utcoffset(), moment


def test_berlin_rules_are_last_sunday_of_march_and_october() -> None:
    text = vtimezone("Europe/Berlin", 2025).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200" in text


def test_zone_without_dst_has_one_standard_component() -> None:
    component = vtimezone("Asia/Tokyo", 2025)
    parts = [c.name for c in component.subcomponents]
    assert parts == ["STANDARD"]
    assert component.subcomponents[0]["TZOFFSETTO"].td == timedelta(hours=9)


def test_utc_uses_z_times_and_no_vtimezone() -> None:
    spec = event(
        timezone="UTC",
        start=datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
        end=datetime(2025, 3, 3, 10, 0, tzinfo=UTC),
        exdates=[datetime(2025, 3, 17, 9, 0, tzinfo=UTC)],
    )
    data = calendar_of(spec)
    assert b"VTIMEZONE" not in data
    assert b"DTSTART:20250303T090000Z" in data
    assert b"EXDATE:20250317T090000Z" in data


@pytest.mark.parametrize("tzid", ["Europe/Berlin", "Custom/Berlin"])
def test_weekly_series_across_both_dst_changes(tzid: str) -> None:
    """Every Monday at 10:00 Berlin wall time: 09:00 UTC in winter, 08:00 UTC in summer.

    With TZID renamed to one no library knows, the reader must use the VTIMEZONE itself."""
    data = calendar_of(event()).replace(b"Europe/Berlin", tzid.encode())
    calendar = icalendar.Calendar.from_ical(data)
    sittings = recurring_ical_events.of(calendar).between(
        datetime(2025, 1, 1), datetime(2026, 1, 1)
    )
    starts = [s["DTSTART"].dt for s in sittings]
    mondays = [datetime(2025, 3, 3, 10, tzinfo=BERLIN) + timedelta(weeks=n) for n in range(37)]
    expected = [m for m in mondays if m.date() != datetime(2025, 3, 17).date()]
    assert [(s.date(), s.hour, s.minute) for s in starts] == [(m.date(), 10, 0) for m in expected]
    utc_hours = {s.date().isoformat(): s.astimezone(UTC).hour for s in starts}
    assert utc_hours["2025-03-24"] == 9  # last Monday before the change to summer time
    assert utc_hours["2025-03-31"] == 8  # first Monday after it
    assert utc_hours["2025-10-20"] == 8  # last Monday of summer time
    assert utc_hours["2025-10-27"] == 9  # first Monday after the change back
    assert all(s["DTEND"].dt - s["DTSTART"].dt == timedelta(hours=1) for s in sittings)


def test_request_structure() -> None:
    data = calendar_of(event(sequence=3))
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["PRODID"].startswith("-//fs_conf//")
    assert calendar["CALSCALE"] == "GREGORIAN"
    vevent = only_event(data)
    assert "METHOD" not in vevent
    assert vevent["UID"] == "series-1@pbx.example.com"
    assert vevent["SEQUENCE"] == 3
    assert vevent["DTSTAMP"].dt == NOW
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent["DTSTART"].dt.tzinfo is not None
    assert vevent["STATUS"] == "CONFIRMED"
    assert str(vevent["ORGANIZER"]) == "mailto:olivia@example.com"
    assert vevent["ORGANIZER"].params["CN"] == "Olivia"
    attendees = {str(a): a.params for a in vevent["ATTENDEE"]}
    assert attendees["mailto:mona@example.com"]["ROLE"] == "CHAIR"
    assert attendees["mailto:paul@example.com"]["ROLE"] == "REQ-PARTICIPANT"
    for params in attendees.values():
        assert params["RSVP"] == "TRUE" and params["PARTSTAT"] == "NEEDS-ACTION"
    assert vevent["LOCATION"] == "Room 2"
    assert "PIN 55667788" in vevent["DESCRIPTION"]
    alarms = list(vevent.walk("VALARM"))
    assert len(alarms) == 1 and alarms[0]["TRIGGER"].dt == timedelta(minutes=-15)
    assert alarms[0]["ACTION"] == "DISPLAY"
    assert vevent["RRULE"]["UNTIL"][0] == datetime(2025, 11, 10, 22, 59, 59, tzinfo=UTC)
    assert [d.dt for d in vevent["EXDATE"].dts] == [datetime(2025, 3, 17, 10, tzinfo=BERLIN)]


def test_cancellation_keeps_uid_and_is_cancel() -> None:
    data = calendar_of(event(sequence=4, cancelled=True))
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "CANCEL"
    vevent = only_event(data)
    assert vevent["UID"] == "series-1@pbx.example.com"
    assert vevent["SEQUENCE"] == 4
    assert vevent["STATUS"] == "CANCELLED"
    assert not list(vevent.walk("VALARM"))


def test_single_occurrence_change_has_recurrence_id_and_no_rrule() -> None:
    original = datetime(2025, 4, 7, 10, 0, tzinfo=BERLIN)
    data = calendar_of(
        event(
            sequence=2,
            start=original + timedelta(hours=2),
            end=original + timedelta(hours=3),
            recurrence_id=original,
        )
    )
    vevent = only_event(data)
    assert vevent["RECURRENCE-ID"].dt == original
    assert vevent["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert vevent["DTSTART"].dt == original + timedelta(hours=2)
    assert "RRULE" not in vevent and "EXDATE" not in vevent


def test_floating_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        calendar_of(event(start=datetime(2025, 3, 3, 10, 0)))


def test_bad_rrule_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        calendar_of(event(rrule="FREQ=SOMETIMES"))
    assert caught.value.field == "rrule"
