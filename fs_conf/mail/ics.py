"""iCalendar (RFC 5545 / iTIP RFC 5546) for invitations, updates and cancellations.

The VTIMEZONE is built here from zoneinfo with yearly RRULE transitions, because Outlook
shifts weekly series with icalendar's RDATE lists (iCalcreator #86).
What calendar clients need: docs/mail.md#what-calendar-clients-need
"""

from __future__ import annotations

import calendar as monthcal
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from icalendar.parser import Contentline

from fs_conf import __version__
from fs_conf.errors import ValidationError
from fs_conf.mail import folding
from fs_conf.model import Occurrence

PRODID = f"-//fs_conf//fs_conf {__version__}//EN"
UTC_NAMES = frozenset(
    {
        "UTC",
        "Etc/UTC",
        "UCT",
        "Etc/UCT",
        "Universal",
        "Etc/Universal",
        "Zulu",
        "Etc/Zulu",
        "GMT",
        "Etc/GMT",
        "GMT0",
        "Etc/GMT0",
        "GMT+0",
        "Etc/GMT+0",
        "GMT-0",
        "Etc/GMT-0",
        "Greenwich",
        "Etc/Greenwich",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
"""RFC 5545's CONTROL (all but HTAB) and the C1 controls."""
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RULE_CHECK_YEARS = 5
_CACHED_TIMEZONES = 64
"""Distinct (zone, year) VTIMEZONEs kept: a year's mailings use a handful of zones."""


class Text(icalendar.vText):
    """A TEXT value escaped as RFC 5545 section 3.3.11 says: the backslash first, so a typed
    `\\N` stays two characters (icalendar's vText turns it into a line break first). Line
    breaks become `\\n`; other control characters, which TEXT cannot hold, spaces."""

    __slots__ = ()

    def to_ical(self) -> bytes:
        escaped = (
            self.replace("\\", "\\\\")
            .replace(";", "\\;")
            .replace(",", "\\,")
            .replace("\r\n", "\\n")
            .replace("\n", "\\n")
            .replace("\r", "\\n")
        )
        return _CONTROL.sub(" ", escaped).encode("utf-8")


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    chair: bool = False


@dataclass(frozen=True)
class EventSpec:
    """One VEVENT to send. `recurrence_id` set: the message concerns that occurrence only.
    `moved`: sittings of the series moved on their own, each sent as a VEVENT of its own
    beside the series (same UID, RECURRENCE-ID its `original_start`), as Outlook and Google
    send exceptions; cancelled ones are in `exdates`."""

    uid: str
    sequence: int
    stamp: datetime
    start: datetime
    end: datetime
    timezone: str
    title: str
    description: str
    location: str
    organizer: Attendee
    attendees: Sequence[Attendee] = ()
    rrule: str | None = None
    exdates: Sequence[datetime] = ()
    recurrence_id: datetime | None = None
    moved: Sequence[Occurrence] = ()
    url: str = ""
    cancelled: bool = False
    alarm_minutes: int = 15


def calendar_timezone(event: EventSpec) -> icalendar.Timezone | None:
    """The VTIMEZONE `event` needs (None for UTC). Finding the rules scans the zone's year
    and the next ones (several milliseconds), and depends on nothing but the zone and the
    year, so it is computed once per pair and shared: callers only serialise it."""
    if event.timezone in UTC_NAMES:
        return None
    return _shared_vtimezone(event.timezone, event.start.astimezone(ZoneInfo(event.timezone)).year)


@lru_cache(maxsize=_CACHED_TIMEZONES)
def _shared_vtimezone(zone_name: str, year: int) -> icalendar.Timezone:
    return vtimezone(zone_name, year)


def build_calendar(event: EventSpec, timezone: icalendar.Timezone | None) -> bytes:
    """The complete VCALENDAR: METHOD:CANCEL when `event.cancelled`, else METHOD:REQUEST.
    `timezone` is `calendar_timezone(event)`."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if event.cancelled else "REQUEST")
    if timezone is not None:
        cal.add_component(timezone)
    cal.add_component(_vevent(event, ZoneInfo(event.timezone), timezone is None))
    for sitting in event.moved:
        instance = replace(
            event,
            start=sitting.start,
            end=sitting.end,
            recurrence_id=sitting.original_start,
            moved=(),
        )
        cal.add_component(_vevent(instance, ZoneInfo(event.timezone), timezone is None))
    return folding.serialise(cal)


_DESCRIPTION_SLOT = "fs-conf-description-slot"


@dataclass(frozen=True)
class CalendarFrame:
    """One event serialised once for all its recipients, split around its DESCRIPTION, the
    only calendar line that differs per recipient (it carries their PIN).

    `head`/`tail` are None when the slot line was not unique (a title equal to the slot text
    would put it in the VALARM too); then each recipient's calendar is built in full."""

    event: EventSpec
    timezone: icalendar.Timezone | None
    head: bytes | None
    tail: bytes | None

    def with_description(self, description: str) -> bytes:
        """Exactly `build_calendar(replace(event, description=description), timezone)`."""
        if self.head is None or self.tail is None:
            return build_calendar(replace(self.event, description=description), self.timezone)
        # The same call icalendar's Component.content_line makes, so the escaping is the
        # same as `_vevent`'s, and so is the folding at 75 octets (`fs_conf.mail.folding`).
        line = Contentline.from_parts("DESCRIPTION", icalendar.Parameters(), Text(description))
        return self.head + folding.content_line(line) + self.tail


def calendar_frame(event: EventSpec, timezone: icalendar.Timezone | None) -> CalendarFrame:
    """`event` serialised once; `with_description` fills in each recipient's description.
    `timezone` is `calendar_timezone(event)`."""
    data = build_calendar(replace(event, description=_DESCRIPTION_SLOT), timezone)
    parts = data.split(f"\r\nDESCRIPTION:{_DESCRIPTION_SLOT}\r\n".encode())
    if len(parts) != 2:
        return CalendarFrame(event, timezone, None, None)
    return CalendarFrame(event, timezone, parts[0] + b"\r\n", b"\r\n" + parts[1])


def _vevent(event: EventSpec, zone: ZoneInfo, utc: bool) -> icalendar.Event:
    def moment(value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValidationError("start", value.isoformat(), "calendar times need a time zone")
        return value.astimezone(UTC if utc else zone)

    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("dtstart", moment(event.start))
    vevent.add("dtend", moment(event.end))
    if event.recurrence_id is not None:
        vevent.add("recurrence-id", moment(event.recurrence_id))
    elif event.rrule:
        vevent.add("rrule", parse_rrule(event.rrule, zone))
        if event.exdates:
            vevent.add("exdate", [moment(d) for d in sorted(event.exdates)])
    vevent.add("summary", Text(event.title))
    vevent.add("description", Text(event.description))
    if event.location:
        vevent.add("location", Text(event.location))
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add(
        "organizer",
        _address(event.organizer),
        parameters={"CN": parameter_text(event.organizer.name)},
    )
    for person in event.attendees:
        vevent.add("attendee", _address(person), parameters=_attendee_parameters(person))
    if not event.cancelled and event.alarm_minutes > 0:
        vevent.add_component(_alarm(event.title, event.alarm_minutes))
    return vevent


def _address(person: Attendee) -> icalendar.vCalAddress:
    return icalendar.vCalAddress(f"mailto:{person.email}")


def _attendee_parameters(person: Attendee) -> dict[str, str]:
    return {
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "CHAIR" if person.chair else "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
        "CN": parameter_text(person.name or person.email),
    }


def parameter_text(text: str) -> str:
    """`text` for a parameter value (a name in CN): a backslash as the full-width `＼`.
    Parameter values have no escapes (RFC 5545 section 3.2), yet parsers skip a quote or
    delimiter after a backslash (libical's parser_get_next_char, icalendar), so a name
    ending in one would run into the address."""
    return text.replace("\\", "\uff3c")


def _alarm(title: str, minutes: int) -> icalendar.Alarm:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", Text(title))
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm


def parse_rrule(text: str, zone: ZoneInfo) -> icalendar.vRecur:
    """The RRULE value; an UNTIL given as a date or local time becomes UTC, as RFC 5545
    requires when DTSTART has a TZID (clients otherwise drop or keep the last occurrence)."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    try:
        recur = icalendar.vRecur.from_ical(value)
    except (ValueError, TypeError) as exc:
        raise ValidationError("rrule", text, f"not a valid RFC 5545 RRULE: {exc}") from exc
    if "FREQ" not in recur:
        raise ValidationError("rrule", text, "RRULE needs FREQ")
    if "UNTIL" in recur:
        recur["UNTIL"] = [_utc_until(u, zone) for u in recur["UNTIL"]]
    return recur


def _utc_until(until: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(until, datetime):
        until = datetime.combine(until, time(23, 59, 59))
    if until.tzinfo is None:
        until = until.replace(tzinfo=zone)
    return until.astimezone(UTC)


@dataclass(frozen=True)
class Transition:
    """A change of UTC offset: the local wall time it happens at (in the old offset)."""

    local: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str


@dataclass(frozen=True)
class YearlyRule:
    """`weekday` of `month`: the `ordinal`-th (-1: last) or the first on/after `first_day`."""

    month: int
    weekday: int
    at: time
    ordinal: int | None = None
    first_day: int | None = None

    def date_in(self, year: int) -> date:
        days = monthcal.monthrange(year, self.month)[1]
        candidates = [
            date(year, self.month, d)
            for d in range(1, days + 1)
            if date(year, self.month, d).weekday() == self.weekday
        ]
        if self.first_day is not None:
            return next(d for d in candidates if d.day >= self.first_day)
        return candidates[-1] if self.ordinal == -1 else candidates[(self.ordinal or 1) - 1]

    def recur(self) -> icalendar.vRecur:
        code = _WEEKDAY_CODES[self.weekday]
        if self.first_day is not None:
            days = list(range(self.first_day, self.first_day + 7))
            return icalendar.vRecur(
                {"FREQ": "YEARLY", "BYMONTH": self.month, "BYDAY": code, "BYMONTHDAY": days}
            )
        return icalendar.vRecur(
            {"FREQ": "YEARLY", "BYMONTH": self.month, "BYDAY": f"{self.ordinal}{code}"}
        )


def vtimezone(zone_name: str, year: int) -> icalendar.Timezone:
    """A VTIMEZONE for `zone_name` with the rules in force in `year` (never empty).

    Each component's DTSTART is the rule's onset in the year before, so that every event
    from `year` on falls after an onset, as RFC 5545 requires."""
    zone = ZoneInfo(zone_name)
    tz = icalendar.Timezone()
    tz.add("tzid", zone_name)
    changes = transitions(zone, year)
    if len(changes) == 2 and changes[0].offset_to == changes[1].offset_from:
        later = [
            t for y in range(year + 1, year + 1 + _RULE_CHECK_YEARS) for t in transitions(zone, y)
        ]
        for change in changes:
            rule = yearly_rule(change, later)
            onset = datetime.combine(rule.date_in(year - 1), rule.at)
            tz.add_component(_observance(change, onset, rule.recur()))
    else:
        moment = datetime(year, 7, 1, tzinfo=UTC).astimezone(zone)
        offset = moment.utcoffset() or timedelta(0)
        fixed = Transition(datetime(1970, 1, 1), offset, offset, moment.tzname() or zone_name)
        tz.add_component(_observance(fixed, fixed.local, None))
    return tz


def _observance(
    change: Transition, onset: datetime, recur: icalendar.vRecur | None
) -> icalendar.Component:
    daylight = change.offset_to > change.offset_from
    part = icalendar.TimezoneDaylight() if daylight else icalendar.TimezoneStandard()
    part.add("dtstart", onset)
    part.add("tzoffsetfrom", change.offset_from)
    part.add("tzoffsetto", change.offset_to)
    part.add("tzname", change.name)
    if recur is not None:
        part.add("rrule", recur)
    return part


def transitions(zone: ZoneInfo, year: int) -> list[Transition]:
    """The offset changes of `zone` in `year`, found by scanning days and bisecting to the
    second (zoneinfo does not expose its transition table)."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    while moment < end:
        later = moment + step
        if _offset(zone, moment) != _offset(zone, later):
            found.append(_bisect(zone, moment, later))
        moment = later
    return found


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


def _bisect(zone: ZoneInfo, before: datetime, after: datetime) -> Transition:
    old = _offset(zone, before)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if _offset(zone, middle) == old:
            before = middle
        else:
            after = middle
    instant = after.replace(microsecond=0)
    if _offset(zone, instant) == old:
        instant += timedelta(seconds=1)
    new = instant.astimezone(zone)
    local = (instant + old).replace(tzinfo=None)
    return Transition(local, old, new.utcoffset() or timedelta(0), new.tzname() or zone.key)


def yearly_rule(change: Transition, later: Sequence[Transition]) -> YearlyRule:
    """The rule behind `change`: 'n-th/last weekday of month' if that reproduces the same
    change in the `later` years, else 'weekday on or after day d' (e.g. Chile's first Sunday
    on or after the 2nd), else the n-th/last form of this year (best effort for zones
    without a calendar rule, such as Morocco's)."""
    day = change.local.date()
    last_day = monthcal.monthrange(day.year, day.month)[1]
    ordinal = -1 if day.day + 7 > last_day else (day.day - 1) // 7 + 1
    basic = YearlyRule(day.month, day.weekday(), change.local.time(), ordinal=ordinal)
    same = [
        t.local.date()
        for t in later
        if (t.offset_from, t.offset_to) == (change.offset_from, change.offset_to)
        and t.local.month == change.local.month
    ]
    if all(basic.date_in(d.year) == d for d in same):
        return basic
    first_day = min([day.day, *(d.day for d in same)])
    if first_day + 6 <= last_day:
        on_or_after = YearlyRule(day.month, day.weekday(), change.local.time(), first_day=first_day)
        if all(on_or_after.date_in(d.year) == d for d in same):
            return on_or_after
    return basic
