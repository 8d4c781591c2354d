"""Creating a conference: the request checked without a store (`check_request`), then stored
in one transaction (`create_checked`) with its PINs drawn and what the organizer's memory
holds for what it left empty; the organizer's reply-to and first invitee are remembered."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fs_conf import participants as participant_rules
from fs_conf import timetable
from fs_conf.conferences.fields import (
    check_not_past,
    chosen_options,
    parse_description,
    parse_duration,
    parse_email,
    parse_lead,
    parse_location,
    parse_rrule,
    parse_start,
    parse_title,
)
from fs_conf.conferences.participant_list import check_duplicates, typed_participants
from fs_conf.conferences.pin_assignment import with_pins
from fs_conf.conferences.requests import CheckedRequest, ConferenceRequest, Created, Remembered
from fs_conf.config import Config
from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.model import Conference, Participant
from fs_conf.phonebook import load_phonebook
from fs_conf.store import OrganizerMemory, Store

log = logging.getLogger(__name__)


def create_conference(
    store: Store, config: Config, request: ConferenceRequest, now: datetime
) -> Conference:
    """Validate `request`, assign number, PINs and UID, and store the new conference."""
    return create_checked(store, config, check_request(config, request, now)).conference


def check_request(config: Config, request: ConferenceRequest, now: datetime) -> CheckedRequest:
    """Every check of a new conference that needs no store; raises ValidationError."""
    zone_name = request.timezone or config.conference.timezone
    timetable.validate_timezone(zone_name, "timezone")
    zone = ZoneInfo(zone_name)
    lead_minutes = config.conference.lead_minutes
    if request.dial_in_before_minutes is not None:
        lead_minutes = request.dial_in_before_minutes
    typed = typed_participants(config, request.participants, "participant")
    conference = Conference(
        title=parse_title(request.title),
        start=parse_start(request.start, zone, now),
        timezone=zone_name,
        duration=parse_duration(request.duration_minutes),
        lead=parse_lead(lead_minutes),
        rrule=parse_rrule(request.rrule),
        description=parse_description(request.description),
        location=parse_location(request.location),
        organizer=parse_email(request.organizer, "organizer"),
        reply_to=parse_email(request.reply_to, "reply_to"),
        number=config.numbers.internal,
        external_number=config.numbers.external,
        guest_pin="",
        moderator_pin="",
        uid=f"{uuid.uuid4()}@fs_conf",
        options=chosen_options(config, None, request),
        participants=[t.participant for t in typed],
    )
    check_not_past(conference, now, "start", request.start)
    timetable.validate_series(conference, "rrule", request.rrule)
    check_duplicates([], typed)
    return CheckedRequest(conference, now)


def create_checked(store: Store, config: Config, checked: CheckedRequest) -> Created:
    """Store a checked request: the organizer's remembered values fill what it left empty,
    PINs are drawn, and the organizer's reply-to and first invitee are remembered."""
    with store.transaction():
        conference, remembered = _with_remembered(store, config, checked.conference)
        stored = store.add_conference(with_pins(store, config, conference, checked.now))
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
