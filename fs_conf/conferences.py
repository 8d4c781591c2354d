"""The conference service: create, update and cancel conferences with full validation.

The CLI and the web API hand in what a user typed (`ConferenceRequest`, `ConferenceChanges`);
everything is checked before anything is written, and a bad value raises `ValidationError`
naming the field (the request attribute, e.g. `dial_in_before`) and the value as typed.
Checks that need no store come first (`check_request`, `check_changes`), so that a command
with bad input does not even open, let alone create, the database; `create_checked` and
`update_checked` then do the rest in one transaction.

Decisions a PBX admin would expect:
- `start` is ISO 8601 or `now` (an ad-hoc conference). Without an offset it is wall time in
  the conference's time zone; with one, that instant shown in the time zone. A wall time
  that does not exist (skipped by a DST change) is refused.
- A one-off conference may not start in the past (a minute of slack absorbs typing the
  current minute); a recurring one may, its series simply started earlier.
- Changing only the time zone keeps the wall time (10:00 stays 10:00, now in the new zone).
- SEQUENCE grows only when a field that mails or calendar entries show changes
  (`mailed_view`) and invitations already went out.
- One sitting of a series can be cancelled or moved on its own (`change_sitting`, rules in
  fs_conf.sittings); that raises the SEQUENCE but not `series_sequence`, so the scheduler
  mails only that sitting's change. `--exdate` cancels a sitting in the same way. Changing
  when the series happens (start, time zone, recurrence) drops every such change, as
  Outlook does: the sittings the new rule makes are new sittings.
- PINs are never changed by an update (new participants get new PINs), with one exception:
  a participant promoted to moderator whose PIN is shorter than `pins.moderator_length`
  gets a new PIN of that length, because a PIN that grants moderator rights must be as hard
  to guess as the moderator PIN; the update mail carries it. Demotion keeps the longer PIN.
- A participant listed again keeps their id, PIN and status: matched by e-mail address, or
  by phone number when the new entry has no address.
- Participants may be named from the phone book (`phonebook` key) instead of giving address
  and number; fs_conf.participants reads the SPECs.
- PINs are unique among conferences whose join windows can overlap (fs_conf.pins), whatever
  their number. Moving a conference so that it could be joined together with one that
  shares a PIN is refused, naming the change: PINs once given stay.
- An organizer's reply-to address and first invitee are remembered (issue 5's remembered
  fields): a new conference of theirs that names no reply-to address uses the remembered
  one, and one that names no participant invites the remembered first invitee; `Created`
  says which values were taken.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fs_conf import participants as participant_rules
from fs_conf import pins, schedule, sittings
from fs_conf.config import Config
from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.model import (
    Conference,
    ConferenceStatus,
    Occurrence,
    OccurrenceOverride,
    OverrideStatus,
    Participant,
    Role,
    RoomOptions,
)
from fs_conf.phonebook import load_phonebook
from fs_conf.store import OrganizerMemory, Store

log = logging.getLogger(__name__)

MAX_LEAD = timedelta(hours=24)
"""The longest dial-in lead time (as `conference.lead_minutes` in the config)."""
ROOM_OPTIONS = tuple(f.name for f in dataclasses.fields(RoomOptions))
"""The per-conference room options; requests, changes and the config's `conference` key name
them alike."""


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
    announce_names: bool | None = None


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
    """Replaces the whole list; people already invited (same e-mail, or same phone number when
    no e-mail is given) keep their id and PIN."""
    add_participants: list[str] = field(default_factory=list)
    remove_participants: list[str] = field(default_factory=list)
    """E-mail addresses or participant ids."""
    add_exdates: list[str] = field(default_factory=list)
    """Sittings (ISO 8601, as `SittingChanges.occurrence`) to cancel, each on its own."""
    start_muted: bool | None = None
    wait_for_moderator: bool | None = None
    end_with_last_moderator: bool | None = None
    max_members: int | None = None
    announce_names: bool | None = None


@dataclass
class SittingChanges:
    """A change to one sitting of a series, as typed: `occurrence` names the sitting (see
    fs_conf.sittings); then `cancel` it, or give it a new `start` and/or `duration_minutes`."""

    occurrence: str
    cancel: bool = False
    start: str | None = None
    duration_minutes: int | None = None


@dataclass(frozen=True)
class Given:
    """A participant as the user gave it: parsed, with the field and the SPEC as typed."""

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
    fields: dict[str, object]
    """Conference fields the changes simply replace, already converted (`duration`, ...)."""
    participants: list[Given] | None
    added: list[Given]
    now: datetime


def create_conference(
    store: Store, config: Config, request: ConferenceRequest, now: datetime
) -> Conference:
    """Validate `request`, assign number, PINs and UID, and store the new conference."""
    return create_checked(store, config, check_request(config, request, now)).conference


def check_request(config: Config, request: ConferenceRequest, now: datetime) -> CheckedRequest:
    """Every check of a new conference that needs no store; raises ValidationError."""
    zone_name = request.timezone or config.conference.timezone
    schedule.validate_timezone(zone_name, "timezone")
    zone = ZoneInfo(zone_name)
    lead_minutes = config.conference.lead_minutes
    if request.dial_in_before_minutes is not None:
        lead_minutes = request.dial_in_before_minutes
    given = _given(config, request.participants, "participant")
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
        options=_options(config, None, request),
        participants=[g.participant for g in given],
    )
    _check_not_past(conference, now, "start", request.start)
    _check_duplicates([], given)
    return CheckedRequest(conference, now)


def create_checked(store: Store, config: Config, checked: CheckedRequest) -> Created:
    """Store a checked request: the organizer's remembered values fill what it left empty,
    PINs are drawn, and the organizer's reply-to and first invitee are remembered."""
    with store.transaction():
        conference, remembered = _with_remembered(store, config, checked.conference)
        stored = store.add_conference(_with_pins(store, config, conference, checked.now))
        if stored.organizer:
            first = stored.participants[0] if stored.participants else None
            spec = participant_rules.format_spec(first) if first else ""
            store.remember_organizer(stored.organizer, stored.reply_to, spec)
    log.info("created conference %s (%d participants)", stored.id, len(stored.participants))
    return Created(stored, remembered)


def organizer_memory(store: Store, organizer: str) -> OrganizerMemory:
    """What is remembered for `organizer`'s next conference; NotFoundError when nothing is."""
    memory = store.recall_organizer(organizer)
    if memory is None:
        raise NotFoundError("organizer", organizer)
    return memory


def update_conference(
    store: Store, config: Config, conference_id: int, changes: ConferenceChanges, now: datetime
) -> Conference:
    """Apply `changes` to a stored conference; raises NotFoundError if there is none."""
    return update_checked(store, config, conference_id, check_changes(config, changes, now))


def check_changes(config: Config, changes: ConferenceChanges, now: datetime) -> CheckedChanges:
    """Every check of `changes` that needs no store; raises ValidationError."""
    if changes.timezone is not None:
        schedule.validate_timezone(changes.timezone, "timezone")
    # Only the form of times can be checked here: whether a wall time exists depends on the
    # conference's time zone, and whether an exdate is an occurrence on its schedule.
    zone = ZoneInfo(changes.timezone or "UTC")
    if changes.start is not None:
        parse_start(changes.start, zone, now)
    for text in changes.add_exdates:
        parse_start(text, zone, now, "exdate")
    if changes.max_members is not None:
        _check_max_members(changes.max_members)
    replaced = None
    if changes.participants is not None:
        replaced = _given(config, changes.participants, "participant")
        _check_duplicates([], replaced)
    added = _given(config, changes.add_participants, "add_participant")
    _check_duplicates([], added)
    return CheckedChanges(changes, _replaced_fields(changes), replaced, added, now)


def update_checked(
    store: Store, config: Config, conference_id: int, checked: CheckedChanges
) -> Conference:
    """Apply checked changes to a stored conference in one transaction; raises NotFoundError
    if there is none."""
    changes, now = checked.changes, checked.now
    with store.transaction():
        before = store.get_conference(conference_id)
        if before.status is ConferenceStatus.CANCELLED:
            raise ValidationError(
                "status", before.status.value, "a cancelled conference cannot be changed"
            )
        after = _changed(config, before, checked)
        if after.start != before.start or after.rrule != before.rrule:
            _check_not_past(after, now, *(_schedule_change(changes) or ("start", "")))
        after = _with_pins_after(store, config, after, now, _schedule_change(changes))
        stored = store.save_conference(_sequenced(before, after))
    log.info("updated conference %s (sequence %d)", stored.id, stored.sequence)
    return stored


def check_sitting_changes(changes: SittingChanges, now: datetime) -> SittingChanges:
    """Every check of a change to one sitting that needs no store; raises ValidationError."""
    # Only the form of the times: they are read in the conference's time zone later.
    parse_start(changes.occurrence, ZoneInfo("UTC"), now, "occurrence")
    if changes.cancel:
        return changes
    if changes.start is None and changes.duration_minutes is None:
        raise ValidationError(
            "occurrence",
            changes.occurrence,
            "say what changes for this sitting: --start and/or --duration",
        )
    if changes.start is not None:
        parse_start(changes.start, ZoneInfo("UTC"), now)
    if changes.duration_minutes is not None:
        _duration(changes.duration_minutes)
    return changes


def change_sitting(
    store: Store, config: Config, conference_id: int, changes: SittingChanges, now: datetime
) -> Conference:
    """Cancel or move one sitting of a stored series in one transaction (checked with
    `check_sitting_changes` first); raises NotFoundError if there is no such conference."""
    with store.transaction():
        before = store.get_conference(conference_id)
        if before.status is ConferenceStatus.CANCELLED:
            raise ValidationError(
                "status", before.status.value, "a cancelled conference cannot be changed"
            )
        zone = ZoneInfo(before.timezone)
        named = parse_start(changes.occurrence, zone, now, "occurrence")
        original = sittings.find_sitting(before, named, "occurrence", changes.occurrence)
        if changes.cancel:
            after = sittings.cancel_sitting(before, original, now, "occurrence", changes.occurrence)
        else:
            move = _move(changes, zone, now)
            after = sittings.move_sitting(before, original, move, now, changes.occurrence)
            moved = ("start", move.start_typed) if move.start else ("duration", move.duration_typed)
            after = _with_pins_after(store, config, after, now, moved)
        stored = store.save_conference(_sequenced(before, after)) if after != before else before
    log.info("conference %s: sitting of %s %s (sequence %d)", stored.id, original.isoformat(),
             "cancelled" if changes.cancel else "moved", stored.sequence)
    return stored


def _move(changes: SittingChanges, zone: ZoneInfo, now: datetime) -> sittings.Move:
    start = None if changes.start is None else parse_start(changes.start, zone, now)
    minutes = changes.duration_minutes
    return sittings.Move(
        start=start,
        duration=None if minutes is None else _duration(minutes),
        start_typed=changes.start or "",
        duration_typed=minutes,
    )


def _sequenced(before: Conference, after: Conference) -> Conference:
    """`after` with the SEQUENCE its mails need: one more when invitations went out and
    anything they show changed; `series_sequence` too when that was more than single
    sittings. Overrides new since `before` are marked with the SEQUENCE they go out with."""
    if before.mailed and mailed_view(after) != mailed_view(before):
        series = after.series_sequence
        if series_view(after) != series_view(before):
            series = before.sequence + 1
        after = dataclasses.replace(after, sequence=before.sequence + 1, series_sequence=series)
    return dataclasses.replace(after, overrides=sittings.stamped(before, after))


def cancel_conference(store: Store, conference_id: int) -> Conference:
    """Mark a conference cancelled (its SEQUENCE grows if it was mailed); cancelling twice is harmless."""
    with store.transaction():
        conference = store.get_conference(conference_id)
        if conference.status is ConferenceStatus.CANCELLED:
            return conference
        conference.status = ConferenceStatus.CANCELLED
        if conference.mailed:
            conference.sequence += 1
            conference.series_sequence = conference.sequence
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


def upcoming_occurrence(conference: Conference, now: datetime) -> Occurrence | None:
    """The sitting running at `now`, else the next one; None when none will come (the
    series is over or the conference is cancelled)."""
    if conference.status is ConferenceStatus.CANCELLED:
        return None
    return schedule.next_occurrence(conference, now)


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
    moved = override.status is OverrideStatus.MOVED and override.start and override.duration
    return {
        "original_start": override.original_start.isoformat(),
        "status": override.status.value,
        "start": override.start.isoformat() if moved else None,
        "end": (override.start + override.duration).isoformat() if moved else None,
    }


def mailed_view(conference: Conference) -> tuple[object, ...]:
    """Everything invitations, updates and their calendar entries show (fs_conf.mail): a
    change to any of it needs a new SEQUENCE."""
    return (*series_view(conference), sittings.overrides_view(conference))


def series_view(conference: Conference) -> tuple[object, ...]:
    """What mails show of the whole series (all but single sittings' changes). Participants
    without an e-mail address get no mail and are no calendar attendee; phone numbers and
    call-outs are shown nowhere."""
    return (
        conference.title,
        conference.description,
        conference.location,
        conference.number,
        conference.external_number,
        conference.start,
        conference.timezone,
        conference.duration,
        conference.lead,
        conference.rrule,
        tuple(conference.exdates),
        conference.organizer,
        conference.reply_to,
        conference.guest_pin,
        conference.moderator_pin,
        tuple((p.name, p.email, p.role, p.pin) for p in conference.participants if p.email),
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


def _replaced_fields(changes: ConferenceChanges) -> dict[str, object]:
    """The Conference fields `changes` simply replace, each checked and converted."""
    checks = {
        "title": (changes.title, _title),
        "duration": (changes.duration_minutes, _duration),
        "lead": (changes.dial_in_before_minutes, _lead),
        "rrule": (changes.rrule, _rrule),
        "location": (changes.location, lambda text: _one_line(text, "location")),
        "description": (changes.description, str),
        "reply_to": (changes.reply_to, lambda text: _email(text, "reply_to")),
        "organizer": (changes.organizer, lambda text: _email(text, "organizer")),
    }
    return {name: check(value) for name, (value, check) in checks.items() if value is not None}


def _changed(config: Config, before: Conference, checked: CheckedChanges) -> Conference:
    """A copy of `before` with the checked changes applied (new participants without PINs)."""
    changes = checked.changes
    after = dataclasses.replace(
        before,
        participants=[dataclasses.replace(p) for p in before.participants],
        exdates=list(before.exdates),
        options=_options(config, before.options, changes),
        **checked.fields,
    )
    if changes.timezone is not None:
        zone = ZoneInfo(changes.timezone)
        after.timezone = changes.timezone
        after.start = before.start.replace(tzinfo=zone)
        after.exdates = [moment.replace(tzinfo=zone) for moment in after.exdates]
    if changes.start is not None:
        after.start = parse_start(changes.start, ZoneInfo(after.timezone), checked.now)
    after.participants = _changed_participants(config, after.participants, checked)
    if (after.start, after.timezone, after.rrule) != (before.start, before.timezone, before.rrule):
        after.overrides = []
    return _cancel_sittings(after, changes.add_exdates, checked.now)


def _schedule_change(changes: ConferenceChanges) -> tuple[str, object] | None:
    """The first change to when the conference can be joined, as typed (errors name it)."""
    given = {
        "start": changes.start,
        "timezone": changes.timezone,
        "rrule": changes.rrule,
        "duration": changes.duration_minutes,
        "dial_in_before": changes.dial_in_before_minutes,
    }
    return next(((name, value) for name, value in given.items() if value is not None), None)


def _changed_participants(
    config: Config, current: list[Participant], checked: CheckedChanges
) -> list[Participant]:
    result = current
    if checked.participants is not None:
        listed = [g.participant for g in checked.participants]
        result = _keep_identities(listed, current, config.pins.moderator_length)
    for text in checked.changes.remove_participants:
        gone = _find_participant(result, text)
        result = [p for p in result if p is not gone]
    _check_duplicates(result, checked.added)
    return result + [g.participant for g in checked.added]


def _keep_identities(
    listed: list[Participant], current: list[Participant], moderator_length: int
) -> list[Participant]:
    """`listed` with the people already invited matched to who they were: by e-mail address
    first, then, for entries without one, by phone number; each current participant matches
    at most once (two entries must never share one id)."""
    unclaimed = list(current)
    matched: dict[int, Participant] = {}
    for same in (_same_email, _same_phone):
        for position, new in enumerate(listed):
            old = None if position in matched else next((o for o in unclaimed if same(new, o)), None)
            if old is not None:
                matched[position] = old
                unclaimed.remove(old)
    return [
        _kept(new, matched[position], moderator_length) if position in matched else new
        for position, new in enumerate(listed)
    ]


def _same_email(new: Participant, old: Participant) -> bool:
    return bool(new.email and old.email and new.email.casefold() == old.email.casefold())


def _same_phone(new: Participant, old: Participant) -> bool:
    return bool(not new.email and new.phone and new.phone == old.phone)


def _kept(new: Participant, old: Participant, moderator_length: int) -> Participant:
    """`new` as the participant `old` was: same id, PIN and status. A PIN too short for the
    moderator rights a promotion gives is dropped, so that a new one is drawn."""
    pin = old.pin
    if new.role is Role.MODERATOR and len(pin) < moderator_length:
        pin = ""
    return dataclasses.replace(new, id=old.id, pin=pin, status=old.status)


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


def _cancel_sittings(conference: Conference, typed: list[str], now: datetime) -> Conference:
    """`conference` with the sittings `--exdate` names cancelled, each on its own."""
    zone = ZoneInfo(conference.timezone)
    for text in typed:
        moment = parse_start(text, zone, now, "exdate")
        original = sittings.find_sitting(conference, moment, "exdate", text)
        conference = sittings.cancel_sitting(conference, original, now, "exdate", text)
    return conference


def _given(config: Config, specs: list[str], field_name: str) -> list[Given]:
    phonebook = load_phonebook(config.phonebook) if config.phonebook and specs else None
    return [
        Given(participant_rules.parse_spec(spec, field_name, phonebook), field_name, spec)
        for spec in specs
    ]


def _check_duplicates(base: list[Participant], given: list[Given]) -> None:
    """Refuse a given participant whose address or number someone in `base` or an earlier
    given one has, naming the SPEC as typed (`base` never holds duplicates itself)."""
    found = participant_rules.first_duplicate([*base, *(g.participant for g in given)])
    if found is not None:
        culprit = given[found.index - len(base)]
        raise ValidationError(culprit.field, culprit.spec, found.problem)


def _with_remembered(
    store: Store, config: Config, conference: Conference
) -> tuple[Conference, Remembered]:
    """`conference` with what its organizer's memory holds for what it left empty: the
    reply-to address and, when nobody is invited, the remembered first invitee."""
    memory = store.recall_organizer(conference.organizer) if conference.organizer else None
    if memory is None:
        return conference, Remembered()
    remembered = Remembered(
        reply_to="" if conference.reply_to else memory.reply_to,
        participant="" if conference.participants else memory.first_invitee,
    )
    filled = dataclasses.replace(conference, reply_to=conference.reply_to or memory.reply_to)
    if remembered.participant:
        filled.participants = [_remembered_invitee(config, memory)]
    return filled, remembered


def _remembered_invitee(config: Config, memory: OrganizerMemory) -> Participant:
    phonebook = load_phonebook(config.phonebook) if config.phonebook else None
    try:
        return participant_rules.parse_spec(memory.first_invitee, "participant", phonebook)
    except ValidationError as error:
        raise ValidationError(
            "organizer",
            memory.organizer,
            f"the remembered first invitee {memory.first_invitee!r} is no longer valid"
            f" ({error.problem}); name the participants",
        ) from error


def _with_pins(store: Store, config: Config, conference: Conference, now: datetime) -> Conference:
    """`conference` with its empty PINs filled, unique among the conferences that can be
    joined at the same time (fs_conf.pins)."""
    rule = pins.OverlapRule(now=now, grace=timedelta(minutes=config.conference.grace_minutes))
    policy = pins.PinPolicy.from_config(config.pins)
    return pins.assign_pins(conference, policy, store.list_conferences(), rule)


def _with_pins_after(
    store: Store,
    config: Config,
    conference: Conference,
    now: datetime,
    moved: tuple[str, object] | None,
) -> Conference:
    """As `_with_pins`, after changes: a kept PIN that now clashes was brought into overlap by
    a change of the schedule, `moved` (the field and the value as typed), which the error
    names."""
    try:
        return _with_pins(store, config, conference, now)
    except pins.PinClash as clash:
        if moved is None:
            raise
        raise ValidationError(
            *moved,
            f"the conference could then be joined at the same time as"
            f" {pins.describe(clash.other)!r}, which has one of its PINs; PINs once given"
            f" do not change, so choose another time",
        ) from clash


def _options(
    config: Config, current: RoomOptions | None, given: ConferenceRequest | ConferenceChanges
) -> RoomOptions:
    """The room options `given` sets, the others as they were (`current`) or, for a new
    conference (None), as the `conference` config key has them."""
    base = current
    if base is None:
        base = RoomOptions(**{name: getattr(config.conference, name) for name in ROOM_OPTIONS})
    chosen = {name: getattr(given, name) for name in ROOM_OPTIONS if getattr(given, name) is not None}
    options = dataclasses.replace(base, **chosen)
    _check_max_members(options.max_members)
    return options


def _check_max_members(value: int) -> None:
    if value < 0:
        raise ValidationError("max_members", value, "must be 0 (no limit) or more")


def _check_not_past(conference: Conference, now: datetime, field_name: str, typed: object) -> None:
    """A one-off conference may not start in the past; `field_name` and `typed` are the input
    that put its start there (the start itself, or a time zone or recurrence change)."""
    if conference.rrule or conference.start >= now - schedule.PAST_SLACK:
        return
    problem = "lies in the past (use `now` for a conference starting now)"
    if field_name != "start":
        problem = f"puts the start in the past ({conference.start:%Y-%m-%d %H:%M %Z})"
    raise ValidationError(field_name, typed, problem)


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
    if lead > MAX_LEAD:
        raise ValidationError("dial_in_before", minutes, "must be at most 1440 minutes (24 hours)")
    return lead


def _rrule(text: str) -> str | None:
    value = text.strip()
    return schedule.validate_rrule(value, "rrule") if value else None
