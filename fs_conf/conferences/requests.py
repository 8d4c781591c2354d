"""What users hand the conference service (a new conference, changes to one, a change to one
sitting) and what the service makes of it: the checked forms, and what a creation took from
the organizer's memory."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fs_conf.model import Conference, Participant, RoomOptionChoices


# RoomOptionChoices is generated from RoomOptions: mypy sees no class (and no fields) in it.
@dataclass
class ConferenceRequest(RoomOptionChoices):  # type: ignore[misc]
    """A new conference as a user asked for it; empty/None means the configured default.
    The room options are keyword arguments (RoomOptionChoices)."""

    title: str
    start: str
    duration_minutes: int
    timezone: str = ""
    dial_in_before_minutes: int | None = None
    rrule: str = ""
    location: str = ""
    description: str = ""
    reply_to: str = ""
    organizer: str = ""
    participants: list[str] = field(default_factory=list)
    """Participant SPECs: `Name <email>[;phone=NUMBER][;moderator][;call]`, or a phone-book name."""


# RoomOptionChoices is generated from RoomOptions: mypy sees no class (and no fields) in it.
@dataclass
class ConferenceChanges(RoomOptionChoices):  # type: ignore[misc]
    """Changes to a conference; None (or an empty list) leaves a field as it is. The room
    options are keyword arguments (RoomOptionChoices)."""

    title: str | None = None
    start: str | None = None
    timezone: str | None = None
    duration_minutes: int | None = None
    dial_in_before_minutes: int | None = None
    rrule: str | None = None
    """An empty string removes the recurrence."""
    location: str | None = None
    description: str | None = None
    reply_to: str | None = None
    organizer: str | None = None
    participants: list[str] | None = None
    """Replaces the whole list; people already invited (same e-mail, or same phone number when
    no e-mail is given) keep their id and PIN."""
    add_participants: list[str] = field(default_factory=list)
    remove_participants: list[str] = field(default_factory=list)
    """E-mail addresses or participant ids."""
    add_exdates: list[str] = field(default_factory=list)
    """Sittings (ISO 8601, as `SittingChanges.occurrence`) to cancel, each on its own."""


@dataclass
class SittingChanges:
    """A change to one sitting of a series, as typed: `occurrence` names the sitting (see
    fs_conf.timetable.sitting_changes); then `cancel` it, or give it a new `start` and/or
    `duration_minutes`."""

    occurrence: str
    cancel: bool = False
    start: str | None = None
    duration_minutes: int | None = None


@dataclass(frozen=True)
class TypedParticipant:
    """A participant as the user typed it: parsed, with the field and the SPEC as typed (errors
    name both)."""

    participant: Participant
    field: str
    spec: str


@dataclass(frozen=True)
class Remembered:
    """What a new conference took from its organizer's memory because the request named none
    (empty: not taken)."""

    reply_to: str = ""
    participant: str = ""
    """The remembered first invitee, a SPEC."""

    def as_dict(self) -> dict[str, str]:
        return {name: value for name, value in dataclasses.asdict(self).items() if value}


@dataclass(frozen=True)
class Created:
    conference: Conference
    remembered: Remembered = Remembered()


@dataclass(frozen=True)
class CheckedRequest:
    """A create request that passed every check needing no store (see `check_request`)."""

    conference: Conference
    """The new conference, without ids and PINs."""
    now: datetime


@dataclass(frozen=True)
class CheckedChanges:
    """Changes that passed every check needing no store (see `check_changes`)."""

    changes: ConferenceChanges
    fields: dict[str, Any]
    """Conference fields the changes simply replace, already converted (`duration`, ...),
    each of the type the Conference field has."""
    participants: list[TypedParticipant] | None
    added: list[TypedParticipant]
    now: datetime
