"""The data fs_conf works with: conferences, participants, attendance.

Plain dataclasses with no I/O. Times are timezone-aware `datetime`s; a conference's
`start` is expressed in its own IANA `timezone` so that recurrence keeps local wall time.
PINs are digit strings (a leading zero is significant).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    MODERATOR = "moderator"
    PARTICIPANT = "participant"


class ParticipantStatus(StrEnum):
    INVITED = "invited"
    JOINED = "joined"
    LEFT = "left"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class ConferenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class OverrideStatus(StrEnum):
    CANCELLED = "cancelled"
    MOVED = "moved"


@dataclass
class Participant:
    name: str
    email: str | None
    phone: str | None = None
    role: Role = Role.PARTICIPANT
    pin: str = ""
    call: bool = False
    status: ParticipantStatus = ParticipantStatus.INVITED
    id: int | None = None


@dataclass(frozen=True)
class Switch:
    """A room option that is on or off (off by default): `shown` is what `fs-conf conference
    show` says when it is on, `help` the help of its flags `--x`/`--no-x`."""

    shown: str
    help: str


@dataclass(frozen=True)
class Count:
    """A room option that counts, from 0 (meaning `zero`, the default) to `most` (higher is
    surely a typo in the configuration): `shown` is what `fs-conf conference show` says when
    it is above 0, the number in place of `{}`; `help` is the help of its flag `--x N`,
    `--no-x` sets 0."""

    shown: str
    help: str
    zero: str
    most: int


_ABOUT = "fs_conf.room_option"
"""The key of a RoomOptions field's metadata that describes it (a `Switch` or a `Count`)."""


def _switch(shown: str, help: str) -> bool:
    return field(default=False, metadata={_ABOUT: Switch(shown, help)})


def _count(shown: str, help: str, zero: str, most: int) -> int:
    return field(default=0, metadata={_ABOUT: Count(shown, help, zero, most)})


@dataclass(frozen=True)
class RoomOptions:
    """Per-conference behaviour of the room; defaults come from the `conference` config key.

    The one definition of the room options: the config keys, the command-line flags, the
    JSON keys and what `fs-conf conference show` says are made from these fields (a new
    option is one field here, plus what the IVR does with it)."""

    start_muted: bool = _switch("participants start muted", "participants join muted")
    wait_for_moderator: bool = _switch(
        "wait for a moderator", "participants wait until a moderator joins"
    )
    end_with_last_moderator: bool = _switch(
        "ends with the last moderator", "end the room when the last moderator leaves"
    )
    max_members: int = _count("at most {} members", "at most N members", "no limit", 10_000)
    announce_names: bool = _switch(
        "names announced", "callers say their name, played to the room on join and leave"
    )


ROOM_OPTIONS: dict[str, Switch | Count] = {
    option.name: option.metadata[_ABOUT]
    for option in sorted(
        dataclasses.fields(RoomOptions),
        key=lambda option: isinstance(option.metadata[_ABOUT], Count),
    )
}
"""Every room option's description by name: switches first, then counts, the order in which
`fs-conf conference show` and `--help` list them."""

# Generated from RoomOptions, not written out, so that the options stay defined once. Type
# checkers cannot see the fields of a generated class: subclasses need a `type: ignore`.
RoomOptionChoices: Any = dataclasses.make_dataclass(
    "RoomOptionChoices",
    [
        (option.name, f"{option.type} | None", field(default=None))
        for option in dataclasses.fields(RoomOptions)
    ],
    kw_only=True,
    namespace={
        "__module__": __name__,
        "__doc__": "The room options a user chose, as keyword arguments named as in"
        " RoomOptions; None: not chosen (the configured default, or as it was).",
    },
)


@dataclass(frozen=True)
class OccurrenceOverride:
    """One sitting of a series changed on its own (an iCalendar exception, RFC 5545 §3.8.4.4).

    The sitting is known by where the series puts it, `original_start` (its RECURRENCE-ID),
    whatever happens to it later. Cancelled: it does not take place. Moved: it takes place
    from `start` for `duration` instead (both always set for a moved sitting, so it keeps
    the time it was given when the series' duration changes later). `sequence` is the
    conference's SEQUENCE the change was made with: the scheduler announces, sitting by
    sitting, the changes newer than what it last mailed.
    """

    original_start: datetime
    status: OverrideStatus
    start: datetime | None = None
    duration: timedelta | None = None
    sequence: int = 0


@dataclass
class Conference:
    title: str
    start: datetime
    timezone: str
    duration: timedelta
    number: str
    guest_pin: str
    moderator_pin: str
    uid: str
    lead: timedelta = timedelta(minutes=10)
    rrule: str | None = None
    exdates: list[datetime] = field(default_factory=list)
    description: str = ""
    location: str = ""
    organizer: str = ""
    reply_to: str = ""
    external_number: str = ""
    sequence: int = 0
    status: ConferenceStatus = ConferenceStatus.SCHEDULED
    options: RoomOptions = field(default_factory=RoomOptions)
    participants: list[Participant] = field(default_factory=list)
    extensions: dict[datetime, timedelta] = field(default_factory=dict)
    """Extra time granted to single occurrences (key: the occurrence's start), e.g. by `*6`."""
    mailed: bool = False
    """True once an invitation went out: from then on no PIN of this conference may change."""
    overrides: list[OccurrenceOverride] = field(default_factory=list)
    """Sittings of the series cancelled or moved one by one, in order of `original_start`."""
    series_sequence: int = 0
    """The SEQUENCE of the last mailed change to the whole series (not to one sitting): when
    it is not newer than the last mailing, updates announce only the changed sittings."""
    id: int | None = None

    @property
    def stored_id(self) -> int:
        """The id of a conference that came from the store; one not stored yet has none."""
        if self.id is None:
            raise ValueError(f"conference {self.title!r} has not been stored yet")
        return self.id

    @property
    def moderators(self) -> list[Participant]:
        return [p for p in self.participants if p.role is Role.MODERATOR]


@dataclass(frozen=True)
class Occurrence:
    """One concrete sitting of a conference, computed from its recurrence (never stored).

    `original_start` is set for a sitting moved on its own (`OccurrenceOverride`): where the
    series puts it, its iCalendar RECURRENCE-ID."""

    start: datetime
    end: datetime
    original_start: datetime | None = None


@dataclass
class Attendance:
    """One call's stay in a room: who (participant id, or None for a guest), when, from where."""

    conference_id: int
    occurrence_start: datetime
    call_uuid: str
    caller_id: str
    role: Role
    joined_at: datetime
    participant_id: int | None = None
    left_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class RoomState:
    """The moderators' settings of one room during one occurrence.

    `muted_all`: non-moderators are muted, including those who join later (the IVR joins
    them with +flags{mute}). `locked`: mirrors mod_conference's lock of the room.
    `recording`: the file being recorded, "" when not recording. `recordings`: how many
    recordings this occurrence has started, so that each gets its own file.
    `occurrence_start` says which occurrence the settings belong to; a new occurrence
    starts from a fresh state.
    """

    conference_id: int
    occurrence_start: datetime | None = None
    muted_all: bool = False
    locked: bool = False
    recording: str = ""
    recordings: int = 0
