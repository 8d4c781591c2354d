"""When callers may dial in: each occurrence's join window, [start - lead, end + grace).

`join_state` answers for one conference at one moment: open, too early (and when it opens),
ended, or the window of a sitting cancelled on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fs_conf.model import Conference, Occurrence
from fs_conf.timetable.conference_schedule import ConferenceSchedule
from fs_conf.timetable.wall_time import shift, utc


class JoinKind(StrEnum):
    TOO_EARLY = "too_early"
    OPEN = "open"
    ENDED = "ended"
    CANCELLED = "cancelled"
    """Now falls in the join window of a sitting cancelled on its own, and no other is open."""


@dataclass(frozen=True)
class JoinState:
    """Whether a caller may join now: `opens_at` is set when too early, `occurrence` is the one
    open now, or (when too early) the one that opens next. For a cancelled sitting,
    `occurrence` is that sitting as it would have been and `opens_at` when the next one
    opens (None: no other comes)."""

    kind: JoinKind
    opens_at: datetime | None = None
    occurrence: Occurrence | None = None


def join_state(conf: Conference, now: datetime, grace: timedelta) -> JoinState:
    """Whether a caller may join `conf` at `now`.

    The window of an occurrence is [start - lead, end + grace). Where windows of two
    occurrences overlap, the running occurrence wins, then the one about to start, then the
    one in its grace time. In the window of a sitting cancelled on its own, with none open,
    it is CANCELLED (a moved sitting has its window at its new time).
    """
    schedule = ConferenceSchedule(conf)
    if schedule.cancelled:
        return JoinState(JoinKind.ENDED)
    moment = utc(now, "now")
    lead = schedule.lead
    candidates = schedule.occurrences(
        moment - grace, shift(moment, lead + timedelta(microseconds=1))
    )
    if candidates:
        return JoinState(JoinKind.OPEN, occurrence=_preferred(candidates, moment))
    upcoming = schedule.next_start(shift(moment, lead))
    cancelled = schedule.cancelled_sitting(moment, grace)
    if cancelled is not None:
        opens_at = None if upcoming is None else (upcoming - lead).astimezone(schedule.zone)
        return JoinState(JoinKind.CANCELLED, opens_at=opens_at, occurrence=cancelled)
    if upcoming is None:
        return JoinState(JoinKind.ENDED)
    return JoinState(
        JoinKind.TOO_EARLY,
        opens_at=(upcoming - lead).astimezone(schedule.zone),
        occurrence=schedule.occurrence(upcoming),
    )


def _preferred(candidates: list[Occurrence], now: datetime) -> Occurrence:
    running = [o for o in candidates if o.start <= now < o.end]
    if running:
        return running[0]
    upcoming = [o for o in candidates if o.start > now]
    if upcoming:
        return upcoming[0]
    return candidates[-1]
