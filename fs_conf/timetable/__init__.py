"""When a conference happens and when callers may join it (RFC 5545 recurrence in IANA zones).

- `rules`: the schedule inputs checked (time zone, duration, lead, the years of typed times,
  RRULE);
- `wall_time`: local wall time in a zone and instants, each turned into the other;
- `expansion`: a rule expanded on wall time;
- `conference_schedule`: one conference's occurrences (`ConferenceSchedule`), and a series
  refused when it does not repeat from its start (`validate_series`);
- `windows`: when callers may dial in (`join_state`);
- `index`: the occurrences of many conferences, for the scheduler (`OccurrenceIndex`);
- `sitting_changes`: cancelling or moving one sitting of a series.

The rules they follow (DST, COUNT, UNTIL, join windows, overrides): docs/timetable.md.
"""

from fs_conf.timetable.conference_schedule import (
    ConferenceSchedule,
    cancelled_sittings,
    moved_sittings,
    next_occurrence,
    occurrences,
    sitting,
    validate_series,
)
from fs_conf.timetable.index import Due, OccurrenceIndex, due_between
from fs_conf.timetable.rules import (
    MAX_DURATION,
    PAST_SLACK,
    validate_duration,
    validate_lead,
    validate_moment,
    validate_rrule,
    validate_timezone,
)
from fs_conf.timetable.windows import JoinKind, JoinState, join_state

__all__ = [
    "MAX_DURATION",
    "PAST_SLACK",
    "ConferenceSchedule",
    "Due",
    "JoinKind",
    "JoinState",
    "OccurrenceIndex",
    "cancelled_sittings",
    "due_between",
    "join_state",
    "moved_sittings",
    "next_occurrence",
    "occurrences",
    "sitting",
    "validate_duration",
    "validate_lead",
    "validate_moment",
    "validate_rrule",
    "validate_series",
    "validate_timezone",
]
