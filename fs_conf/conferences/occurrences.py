"""Which sitting of a conference to show: the one running or next, for `fs-conf conference`
and the demo."""

from __future__ import annotations

from datetime import datetime, timedelta

from fs_conf import timetable
from fs_conf.model import Conference, ConferenceStatus, Occurrence


def current_occurrence(conference: Conference, now: datetime) -> Occurrence:
    """The sitting to show: the next (or running) one, else the first one."""
    upcoming = timetable.next_occurrence(conference, now)
    if upcoming is not None:
        return upcoming
    extra = conference.extensions.get(conference.start, timedelta(0))
    return Occurrence(conference.start, conference.start + conference.duration + extra)


def upcoming_occurrence(conference: Conference, now: datetime) -> Occurrence | None:
    """The sitting running at `now`, else the next one; None when none will come (the
    series is over or the conference is cancelled)."""
    if conference.status is ConferenceStatus.CANCELLED:
        return None
    return timetable.next_occurrence(conference, now)
