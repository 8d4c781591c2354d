"""What the `fs-conf` commands and the demo print, as JSON (`--json`, keys documented in the
README) and as text: conferences, remembered values, organizers, outbox mails and members."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from fs_conf.conferences import Remembered, current_occurrence, upcoming_occurrence
from fs_conf.esl import Member
from fs_conf.mail.recurrence_text import describe_rrule
from fs_conf.model import (
    ROOM_OPTIONS,
    Conference,
    OccurrenceOverride,
    OverrideStatus,
    Role,
    RoomOptions,
)
from fs_conf.store import OrganizerMemory, OutboxEntry, OutboxStatus


def conference_json(conference: Conference, now: datetime) -> dict[str, object]:
    """The conference as the CLI's `--json` shows it (keys documented in the README).

    `start` and `end` are one sitting, the first one as scheduled (DTSTART and DTSTART plus
    the duration, as calendars show it); `next_start` and `next_end` the sitting running at
    `now` or the next one, extensions included, both null when none will come.
    """
    upcoming = upcoming_occurrence(conference, now)
    return {
        "id": conference.id,
        "title": conference.title,
        "number": conference.number,
        "external_number": conference.external_number,
        "guest_pin": conference.guest_pin,
        "moderator_pin": conference.moderator_pin,
        "uid": conference.uid,
        "sequence": conference.sequence,
        "start": conference.start.isoformat(),
        "end": (conference.start + conference.duration).isoformat(),
        "next_start": None if upcoming is None else upcoming.start.isoformat(),
        "next_end": None if upcoming is None else upcoming.end.isoformat(),
        "timezone": conference.timezone,
        "rrule": conference.rrule,
        "status": conference.status.value,
        "organizer": conference.organizer,
        "reply_to": conference.reply_to,
        "options": dataclasses.asdict(conference.options),
        "exceptions": [_exception_json(override) for override in conference.overrides],
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "email": p.email,
                "phone": p.phone,
                "role": p.role.value,
                "pin": p.pin,
                "call": p.call,
                "status": p.status.value,
            }
            for p in conference.participants
        ],
    }


def _exception_json(override: OccurrenceOverride) -> dict[str, object]:
    """One sitting changed on its own; `start` and `end` are null for a cancelled one."""
    start = end = None
    if override.status is OverrideStatus.MOVED and override.start and override.duration:
        start = override.start.isoformat()
        end = (override.start + override.duration).isoformat()
    return {
        "original_start": override.original_start.isoformat(),
        "status": override.status.value,
        "start": start,
        "end": end,
    }


def format_remembered(organizer: str, remembered: Remembered) -> str:
    """Which of the organizer's remembered values a new conference took."""
    lines = [f"Used what is remembered for {organizer}:"]
    if remembered.reply_to:
        lines.append(f"  Reply-To:      {remembered.reply_to}")
    if remembered.participant:
        lines.append(f"  Participant:   {remembered.participant}")
    return "\n".join(lines)


def organizer_json(memory: OrganizerMemory) -> dict[str, object]:
    """What is remembered for an organizer's next conference (`fs-conf organizer show`)."""
    return {
        "organizer": memory.organizer,
        "reply_to": memory.reply_to,
        "first_invitee": memory.first_invitee,
    }


def format_organizer(memory: OrganizerMemory) -> str:
    """What is remembered for an organizer's next conference, `(none)` for what is not."""
    return "\n".join(
        (
            f"Organizer {memory.organizer}",
            f"  Reply-To:      {memory.reply_to or '(none)'}",
            f"  First invitee: {memory.first_invitee or '(none)'}",
        )
    )


def outbox_json(entry: OutboxEntry) -> dict[str, object]:
    """One outbox row for `fs-conf outbox --json` (times ISO 8601 in UTC)."""

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": entry.id,
        "status": entry.status.value,
        "kind": entry.kind,
        "recipient": entry.recipient,
        "conference_id": entry.conference_id,
        "sequence": entry.sequence,
        "occurrence": when(entry.occurrence),
        "attempts": entry.attempts,
        "next_attempt_at": when(entry.next_attempt_at),
        "last_error": entry.last_error,
        "created_at": when(entry.created_at),
        "sent_at": when(entry.sent_at),
    }


def format_outbox_row(entry: OutboxEntry) -> str:
    """One line of `fs-conf outbox`: the mail, its state, and when it is tried next."""
    conference = "-" if entry.conference_id is None else str(entry.conference_id)
    line = (
        f"{entry.id:>5}  {entry.status.value:<7}  {entry.kind:<12}  {entry.recipient}"
        f"  conference {conference}  attempts {entry.attempts}"
    )
    if entry.next_attempt_at is not None and entry.status is OutboxStatus.PENDING:
        line += f"  next {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
    if entry.last_error:
        line += f"  error: {entry.last_error}"
    return line


def member_json(member: Member) -> dict[str, object]:
    """One member of a live room for `fs-conf conference members --json`."""
    return {
        "id": member.id,
        "name": member.caller_id_name,
        "number": member.caller_id_number,
        "uuid": member.uuid,
        "moderator": member.is_moderator,
        "muted": member.muted,
        "deaf": member.deaf,
    }


def format_member_row(member: Member) -> str:
    """One line of `fs-conf conference members`: id, caller, role, and whether muted."""
    role = "moderator" if member.is_moderator else "participant"
    state = "muted" if member.muted else ""
    return f"{member.id:>4}  {member.caller_id_name:<24} {member.caller_id_number:<16} {role:<11} {state}"


def format_conference(
    conference: Conference, now: datetime, language: str, heading: str = "Conference"
) -> str:
    """A conference for people: numbers, PINs, times and each participant's personal PIN."""
    occurrence = current_occurrence(conference, now)
    number = conference.number
    if conference.external_number:
        number += f" (external {conference.external_number})"
    lines = [
        f"{heading} {conference.id}: {conference.title}",
        f"  Number:        {number}",
        f"  Guest PIN:     {conference.guest_pin}",
        f"  Moderator PIN: {conference.moderator_pin}",
        f"  Start:         {_when(occurrence.start)} - {occurrence.end:%H:%M} ({conference.timezone})",
        f"  Dial-in from:  {_when(occurrence.start - conference.lead)}",
    ]
    if conference.rrule:
        lines.append(f"  Repeats:       {describe_rrule(conference.rrule, language)}")
    for label, value in (
        ("Location", conference.location),
        ("Organizer", conference.organizer),
        ("Reply-To", conference.reply_to),
    ):
        if value:
            lines.append(f"  {label + ':':<14} {value}")
    lines.extend(format_exceptions(conference))
    lines.append(f"  Room:          {format_options(conference.options)}")
    lines.append(f"  Status:        {conference.status.value} (sequence {conference.sequence})")
    lines.append(f"  UID:           {conference.uid}")
    if conference.participants:
        lines.append("  Participants:")
    for participant in conference.participants:
        contact = f" <{participant.email}>" if participant.email else ""
        extras = [
            participant.role.value if participant.role is Role.MODERATOR else "",
            f"PIN {participant.pin}",
        ]
        if participant.phone:
            extras.append(("called at " if participant.call else "phone ") + participant.phone)
        details = ", ".join(extra for extra in extras if extra)
        lines.append(
            f"    {participant.id}: {participant.name}{contact} - {details} [{participant.status.value}]"
        )
    return "\n".join(lines)


def format_exceptions(conference: Conference) -> list[str]:
    """The sittings cancelled or moved on their own, one line each (none: no lines)."""
    lines = ["  Exceptions:"] if conference.overrides else []
    for override in conference.overrides:
        change = "cancelled"
        if override.status is OverrideStatus.MOVED and override.start and override.duration:
            end = override.start + override.duration
            change = f"moved to {_when(override.start)} - {end:%H:%M}"
        lines.append(f"    {_when(override.original_start)}: {change}")
    return lines


def format_options(options: RoomOptions) -> str:
    """The room options that are on (a count: above 0), in words ("no special options" when
    none is)."""
    words = [
        about.shown.format(getattr(options, name))
        for name, about in ROOM_OPTIONS.items()
        if getattr(options, name)
    ]
    return ", ".join(words) or "no special options"


def format_row(conference: Conference, now: datetime) -> str:
    """One line of `fs-conf conference list`: id, next sitting, number, status, title."""
    occurrence = current_occurrence(conference, now)
    repeat = " (repeats)" if conference.rrule else ""
    return (
        f"{conference.id:>4}  {_when(occurrence.start)}  {conference.number:<8} "
        f"{conference.status.value:<9}  {conference.title}{repeat}"
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")
