"""How values are written into SQLite columns and read back.

Instants are UTC ISO 8601 text with microseconds ("2025-03-01T09:00:00.000000+00:00"):
fixed width, so comparing the text compares the times. Durations are whole seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def utc_text(moment: datetime) -> str:
    """The column text of an aware datetime; naive ones are refused (their instant is unknown)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"naive datetime {moment.isoformat()} cannot be stored: give it a time zone"
        )
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def optional_utc_text(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def optional_from_utc_text(text: str | None) -> datetime | None:
    return None if text is None else from_utc_text(text)


def local(text: str, zone: ZoneInfo) -> datetime:
    """A stored instant shown in a conference's own time zone (recurrence keeps its wall time)."""
    return from_utc_text(text).astimezone(zone)


def seconds(duration: timedelta) -> int:
    return int(duration.total_seconds())


def duration(value: int) -> timedelta:
    return timedelta(seconds=value)
