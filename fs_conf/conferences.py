"""The conference service: create, update and cancel conferences with full validation.

The CLI and the web API hand in what a user typed (`ConferenceRequest`, `ConferenceChanges`);
everything is checked before anything is written, and a bad value raises `ValidationError`
naming the field (the request attribute, e.g. `dial_in_before`) and the value.

Decisions a PBX admin would expect:
- `start` is ISO 8601 or `now` (an ad-hoc conference). Without an offset it is wall time in
  the conference's time zone; with one, that instant shown in the time zone. A wall time
  that does not exist (skipped by a DST change) is refused.
- A one-off conference may not start in the past (a minute of slack absorbs typing the
  current minute); a recurring one may, its series simply started earlier.
- Changing only the time zone keeps the wall time (10:00 stays 10:00, now in the new zone).
- SEQUENCE grows only when a mailed field changes and invitations already went out; PINs
  are never changed by an update (new participants get new PINs).
- Participants may be named from the phone book (`phonebook` key) instead of giving address
  and number; fs_conf.participants reads the SPECs.
- New PINs avoid every PIN of the conferences not cancelled, whatever their number or time,
  so moving a conference later can never make two PINs clash.
- An organizer's reply-to address is remembered and used when their next conference
  names none; their first invitee is remembered for forms to pre-fill (not added silently).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from fs_conf import participants as participant_rules
from fs_conf import pins, schedule
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.model import Conference, ConferenceStatus, Occurrence, Participant, RoomOptions
from fs_conf.phonebook import load_phonebook
from fs_conf.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

PAST_SLACK = timedelta(minutes=1)
"""How far in the past a one-off start may lie: typing the current minute must work."""


@dataclass
class ConferenceRequest:
    """A new conference as a user asked for it; empty/None means the configured default."""

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
    start_muted: bool | None = None
    wait_for_moderator: bool | None = None
    end_with_last_moderator: bool | None = None
    max_members: int | None = None


@dataclass
class ConferenceChanges:
    """Changes to a conference; None (or an empty list) leaves a field as it is."""

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
    """Replaces the whole list; people already invited (same e-mail) keep their id and PIN."""
    add_participants: list[str] = field(default_factory=list)
    remove_participants: list[str] = field(default_factory=list)
    """E-mail addresses or participant ids."""
    add_exdates: list[str] = field(default_factory=list)
    """Occurrence starts (ISO 8601) to skip."""
    start_muted: bool | None = None
    wait_for_moderator: bool | None = None
    end_with_last_moderator: bool | None = None
    max_members: int | None = None


def create_conference(
    store: Store, config: Config, request: ConferenceRequest, now: datetime
) -> Conference:
    """Validate `request`, assign number, PINs and UID, and store the new conference."""
    zone_name = request.timezone or config.conference.timezone
    schedule.validate_timezone(zone_name, "timezone")
    zone = ZoneInfo(zone_name)
    lead_minutes = _default(request.dial_in_before_minutes, config.conference.lead_minutes)
    conference = Conference(
        title=_title(request.title),
        start=parse_start(request.start, zone, now),
        timezone=zone_name,
        duration=_duration(request.duration_minutes),
        lead=_lead(lead_minutes),
        rrule=_rrule(request.rrule),
        description=request.description,
        location=_one_line(request.location, "location"),
        organizer=_email(request.organizer, "organizer"),
        reply_to=_email(request.reply_to, "reply_to"),
        number=config.numbers.internal,
        external_number=config.numbers.external,
        guest_pin="",
        moderator_pin="",
        uid=f"{uuid.uuid4()}@fs_conf",
        options=_options(config, RoomOptions(), request),
        participants=_participants(config, request.participants, "participant"),
    )
    _check_not_past(conference, now)
    participant_rules.check_duplicates(conference.participants, "participant")
    with store.transaction():
        if conference.organizer and not conference.reply_to:
            memory = store.recall_organizer(conference.organizer)
            conference.reply_to = memory.reply_to if memory else ""
        stored = store.add_conference(_with_pins(store, config, conference))
        if conference.organizer:
            first = request.participants[0] if request.participants else ""
            store.remember_organizer(conference.organizer, conference.reply_to, first)
    log.info("created conference %s (%d participants)", stored.id, len(stored.participants))
    return stored


def update_conference(
    store: Store, config: Config, conference_id: int, changes: ConferenceChanges, now: datetime
) -> Conference:
    """Apply `changes` to a stored conference; raises NotFoundError if there is none."""
    with store.transaction():
        before = store.get_conference(conference_id)
        if before.status is ConferenceStatus.CANCELLED:
            raise ValidationError(
                "status", before.status.value, "a cancelled conference cannot be changed"
            )
        after = _changed(config, before, changes, now)
        if after.start != before.start or after.rrule != before.rrule:
            _check_not_past(after, now)
        participant_rules.check_duplicates(after.participants, "participant")
        after = _with_pins(store, config, after)
        if mailed_view(after) != mailed_view(before) and before.mailed:
            after.sequence = before.sequence + 1
        stored = store.save_conference(after)
    log.info("updated conference %s (sequence %d)", stored.id, stored.sequence)
    return stored


def cancel_conference(store: Store, conference_id: int) -> Conference:
    """Mark a conference cancelled (its SEQUENCE grows if it was mailed); cancelling twice is harmless."""
    with store.transaction():
        conference = store.get_conference(conference_id)
        if conference.status is ConferenceStatus.CANCELLED:
            return conference
        conference.status = ConferenceStatus.CANCELLED
        if conference.mailed:
            conference.sequence += 1
        stored = store.save_conference(conference)
    log.info("cancelled conference %s", stored.id)
    return stored


def current_occurrence(conference: Conference, now: datetime) -> Occurrence:
    """The sitting to show: the next (or running) one, else the first one."""
    upcoming = schedule.next_occurrence(conference, now)
    if upcoming is not None:
        return upcoming
    extra = conference.extensions.get(conference.start, timedelta(0))
    return Occurrence(conference.start, conference.start + conference.duration + extra)


def conference_json(conference: Conference, now: datetime) -> dict[str, object]:
    """The conference as the CLI's `--json` and the web API show it (see DESIGN.md)."""
    occurrence = current_occurrence(conference, now)
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
        "end": occurrence.end.isoformat(),
        "timezone": conference.timezone,
        "rrule": conference.rrule,
        "status": conference.status.value,
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


def mailed_view(conference: Conference) -> tuple[object, ...]:
    """The fields invitations show: a change to any of them needs a new SEQUENCE."""
    return (
        conference.title,
        conference.description,
        conference.location,
        conference.start,
        conference.timezone,
        conference.duration,
        conference.rrule,
        tuple(conference.exdates),
        tuple((p.name, p.email, p.phone, p.role, p.call) for p in conference.participants),
        conference.status,
    )


def parse_start(text: str, zone: ZoneInfo, now: datetime, field_name: str = "start") -> datetime:
    """`now` or an ISO 8601 date and time, as an aware datetime in `zone`."""
    value = text.strip()
    if value.lower() == "now":
        return now.astimezone(zone).replace(microsecond=0)
    if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", value):
        raise ValidationError(field_name, text, "needs a time of day too, e.g. 2030-03-04T10:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(
            field_name, text, "not an ISO 8601 date and time (e.g. 2030-03-04T10:00 or now)"
        ) from exc
    if parsed.tzinfo is not None:
        return parsed.astimezone(zone)
    local = parsed.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
        raise ValidationError(
            field_name, text, f"this wall time does not exist in {zone.key} (clocks change)"
        )
    return local


def _changed(
    config: Config, before: Conference, changes: ConferenceChanges, now: datetime
) -> Conference:
    """A copy of `before` with `changes` applied and validated (PINs untouched)."""
    after = dataclasses.replace(
        before,
        participants=[dataclasses.replace(p) for p in before.participants],
        exdates=list(before.exdates),
        options=dataclasses.replace(before.options),
    )
    if changes.timezone is not None:
        schedule.validate_timezone(changes.timezone, "timezone")
        after.timezone = changes.timezone
        after.start = before.start.replace(tzinfo=ZoneInfo(changes.timezone))
        after.exdates = [
            moment.replace(tzinfo=ZoneInfo(changes.timezone)) for moment in after.exdates
        ]
    zone = ZoneInfo(after.timezone)
    if changes.start is not None:
        after.start = parse_start(changes.start, zone, now)
    if changes.title is not None:
        after.title = _title(changes.title)
    if changes.duration_minutes is not None:
        after.duration = _duration(changes.duration_minutes)
    if changes.dial_in_before_minutes is not None:
        after.lead = _lead(changes.dial_in_before_minutes)
    if changes.rrule is not None:
        after.rrule = _rrule(changes.rrule)
    if changes.location is not None:
        after.location = _one_line(changes.location, "location")
    if changes.description is not None:
        after.description = changes.description
    if changes.reply_to is not None:
        after.reply_to = _email(changes.reply_to, "reply_to")
    if changes.organizer is not None:
        after.organizer = _email(changes.organizer, "organizer")
    after.options = _options(config, after.options, changes)
    after.participants = _changed_participants(config, after.participants, changes)
    after.exdates = _exdates(after, changes.add_exdates, now)
    return after


def _changed_participants(
    config: Config, current: list[Participant], changes: ConferenceChanges
) -> list[Participant]:
    result = current
    if changes.participants is not None:
        result = [
            _keep_identity(p, current)
            for p in _participants(config, changes.participants, "participant")
        ]
    for text in changes.remove_participants:
        gone = _find_participant(result, text)
        result = [p for p in result if p is not gone]
    return result + _participants(config, changes.add_participants, "add_participant")


def _keep_identity(new: Participant, current: list[Participant]) -> Participant:
    """A participant re-listed with the same e-mail keeps their id, PIN and status."""
    for old in current:
        if new.email and old.email and new.email.lower() == old.email.lower():
            return dataclasses.replace(new, id=old.id, pin=old.pin, status=old.status)
    return new


def _find_participant(participants: list[Participant], text: str) -> Participant:
    key = text.strip()
    for participant in participants:
        if key.isdigit() and participant.id == int(key):
            return participant
        if participant.email and participant.email.lower() == key.lower():
            return participant
    raise ValidationError(
        "remove_participant", text, "no participant with this e-mail address or id"
    )


def _exdates(conference: Conference, added: list[str], now: datetime) -> list[datetime]:
    """Existing skipped occurrences plus `added`, each of which must be an occurrence."""
    result = list(conference.exdates)
    zone = ZoneInfo(conference.timezone)
    for text in added:
        moment = parse_start(text, zone, now, "exdate")
        if not conference.rrule:
            raise ValidationError(
                "exdate", text, "only a recurring conference has occurrences to skip"
            )
        window = schedule.occurrences(
            dataclasses.replace(conference, exdates=[]),
            moment - timedelta(seconds=1),
            moment + timedelta(seconds=1),
        )
        # Compared in UTC: aware datetimes in a repeated autumn hour never compare equal
        # across zones, and within one zone they compare by wall time, ignoring `fold`.
        instant = moment.astimezone(UTC)
        if not any(occurrence.start.astimezone(UTC) == instant for occurrence in window):
            raise ValidationError(
                "exdate", text, "not the start of an occurrence of this conference"
            )
        if all(existing.astimezone(UTC) != instant for existing in result):
            result.append(moment)
    return sorted(result)


def _participants(config: Config, specs: list[str], field_name: str) -> list[Participant]:
    phonebook = load_phonebook(config.phonebook) if config.phonebook and specs else None
    return [participant_rules.parse_spec(spec, field_name, phonebook) for spec in specs]


def _with_pins(store: Store, config: Config, conference: Conference) -> Conference:
    """`conference` with its empty PINs filled, avoiding every PIN of the live conferences."""
    return pins.assign_pins(
        conference, pins.PinPolicy.from_config(config.pins), store.list_conferences()
    )


def _options(
    config: Config, current: RoomOptions, given: ConferenceRequest | ConferenceChanges
) -> RoomOptions:
    defaults = config.conference
    is_new = isinstance(given, ConferenceRequest)
    options = RoomOptions(
        start_muted=_default(
            given.start_muted, defaults.start_muted if is_new else current.start_muted
        ),
        wait_for_moderator=_default(
            given.wait_for_moderator,
            defaults.wait_for_moderator if is_new else current.wait_for_moderator,
        ),
        end_with_last_moderator=_default(
            given.end_with_last_moderator,
            defaults.end_with_last_moderator if is_new else current.end_with_last_moderator,
        ),
        max_members=_default(
            given.max_members, defaults.max_members if is_new else current.max_members
        ),
        announce_names=defaults.announce_names if is_new else current.announce_names,
    )
    if options.max_members < 0:
        raise ValidationError("max_members", options.max_members, "must be 0 (no limit) or more")
    return options


def _check_not_past(conference: Conference, now: datetime) -> None:
    if not conference.rrule and conference.start < now - PAST_SLACK:
        raise ValidationError(
            "start",
            conference.start.isoformat(),
            "lies in the past (use `now` for a conference starting now)",
        )


def _title(text: str) -> str:
    title = _one_line(text, "title").strip()
    if not title:
        raise ValidationError("title", text, "must not be empty")
    return title


def _one_line(text: str, field_name: str) -> str:
    if "\n" in text or "\r" in text:
        raise ValidationError(field_name, text, "must be one line")
    return text


def _email(text: str, field_name: str) -> str:
    value = text.strip()
    return participant_rules.validate_email(value, field_name) if value else ""


def _duration(minutes: int) -> timedelta:
    duration = timedelta(minutes=minutes)
    schedule.validate_duration(duration, "duration")
    return duration


def _lead(minutes: int) -> timedelta:
    lead = timedelta(minutes=minutes)
    schedule.validate_lead(lead, "dial_in_before")
    return lead


def _rrule(text: str) -> str | None:
    value = text.strip()
    return schedule.validate_rrule(value, "rrule") if value else None


def _default(value: T | None, default: T) -> T:
    return default if value is None else value
