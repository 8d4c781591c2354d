"""What the timetable tests share: a conference to schedule, and local times in a zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fs_conf.model import Conference
from fs_conf.timetable import occurrences

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SECOND = timedelta(seconds=1)


def conference(
    start: datetime,
    rrule: str | None = None,
    minutes: int = 60,
    lead: int = 10,
    timezone: str = "Europe/Berlin",
    **fields: object,
) -> Conference:
    return Conference(
        title="Weekly sync",
        start=start,
        timezone=timezone,
        duration=timedelta(minutes=minutes),
        number="3000",
        guest_pin="123456789",
        moderator_pin="1234567890",
        uid="u@test",
        lead=timedelta(minutes=lead),
        rrule=rrule,
        **fields,
    )


def starts(conf: Conference, begin: datetime, end: datetime) -> list[datetime]:
    return [o.start for o in occurrences(conf, begin, end)]


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)
