"""Local wall time in an IANA zone and instants on the time line, each turned into the other.

A rule is expanded on naive wall time and only then placed on the time line (see
docs/timetable.md); these helpers do that placing, fast, since a year of thousands of series
passes through them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1)
EPOCH_UTC = EPOCH.replace(tzinfo=UTC)


def utc_offset(zone: ZoneInfo) -> Callable[[datetime], timedelta]:
    """`zone.utcoffset`, typed as it behaves: a ZoneInfo has an offset for every wall time."""
    return cast(Callable[[datetime], timedelta], zone.utcoffset)


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time: fold=0 takes the first of two ambiguous times,
    and reads a time in a gap with the offset from before the gap (RFC 5545 §3.3.5).

    ZoneInfo reads a naive datetime as its own wall time; this arithmetic gives the same as
    `naive.replace(tzinfo=zone).astimezone(UTC)` several times faster, which counts when a
    year of thousands of series is expanded."""
    return EPOCH_UTC + (naive - utc_offset(zone)(naive) - EPOCH)


def in_zone(moment: datetime, zone: ZoneInfo, zone_epoch: datetime) -> datetime:
    """A UTC instant as local time in `zone` (`zone_epoch` is 1970-01-01 with tzinfo `zone`);
    the fast form of `moment.astimezone(zone)`."""
    return zone.fromutc(zone_epoch + (moment - EPOCH_UTC))


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """Local wall time of `moment` in `zone`; a naive `moment` already is one."""
    if moment.tzinfo is None:
        return moment
    # aware minus aware of another zone is the true difference in time
    return EPOCH + (moment - EPOCH_UTC) + utc_offset(zone)(moment.astimezone(zone))


def instant(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored time (aware, or naive meaning local time in the conference zone) in UTC."""
    if moment.tzinfo is None:
        return localize(moment, zone)
    return moment.astimezone(UTC)


def utc(moment: datetime, name: str) -> datetime:
    """An aware `moment` in UTC; a naive one is a programming error (`name` says which)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def shift(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at the ends of the calendar instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        if delta > timedelta(0):
            return datetime.max.replace(tzinfo=moment.tzinfo)
        return datetime.min.replace(tzinfo=moment.tzinfo)
