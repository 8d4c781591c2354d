"""Changing a stored conference: the changes checked without a store (`check_changes`), then
applied in one transaction (`update_checked`): fields, participants, cancelled sittings, kept
and new PINs, the SEQUENCE; and cancelling a conference (`cancel_conference`)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fs_conf import timetable
from fs_conf.conferences.fields import (
    check_counts,
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
from fs_conf.conferences.participant_list import (
    changed_participants,
    check_duplicates,
    typed_participants,
)
from fs_conf.conferences.pin_assignment import with_pins_after
from fs_conf.conferences.requests import CheckedChanges, ConferenceChanges
from fs_conf.conferences.sequence import sequenced
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.model import Conference, ConferenceStatus
from fs_conf.store import Store
from fs_conf.timetable import sitting_changes

log = logging.getLogger(__name__)


def update_conference(
    store: Store, config: Config, conference_id: int, changes: ConferenceChanges, now: datetime
) -> Conference:
    """Apply `changes` to a stored conference; raises NotFoundError if there is none."""
    return update_checked(store, config, conference_id, check_changes(config, changes, now))


def check_changes(config: Config, changes: ConferenceChanges, now: datetime) -> CheckedChanges:
    """Every check of `changes` that needs no store; raises ValidationError."""
    if changes.timezone is not None:
        timetable.validate_timezone(changes.timezone, "timezone")
    # Only the form of times can be checked here: whether a wall time exists depends on the
    # conference's time zone, and whether an exdate is an occurrence on its schedule.
    zone = ZoneInfo(changes.timezone or "UTC")
    if changes.start is not None:
        parse_start(changes.start, zone, now)
    for text in changes.add_exdates:
        parse_start(text, zone, now, "exdate")
    check_counts(changes)
    replaced = None
    if changes.participants is not None:
        replaced = typed_participants(config, changes.participants, "participant")
        check_duplicates([], replaced)
    added = typed_participants(config, changes.add_participants, "add_participant")
    check_duplicates([], added)
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
            check_not_past(after, now, *(_schedule_change(changes) or ("start", "")))
        if _timing(after) != _timing(before):
            timetable.validate_series(after, *_series_change(changes))
        after = with_pins_after(store, config, after, now, _schedule_change(changes))
        stored = store.save_conference(sequenced(before, after))
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
            conference.series_sequence = conference.sequence
        stored = store.save_conference(conference)
    log.info("cancelled conference %s", stored.id)
    return stored


def _replaced_fields(changes: ConferenceChanges) -> dict[str, Any]:
    """The Conference fields `changes` simply replace, each checked and converted."""
    # each field: (the value as typed, None: unchanged; what checks and converts it)
    checks: dict[str, tuple[Any, Callable[[Any], object]]] = {
        "title": (changes.title, parse_title),
        "duration": (changes.duration_minutes, parse_duration),
        "lead": (changes.dial_in_before_minutes, parse_lead),
        "rrule": (changes.rrule, parse_rrule),
        "location": (changes.location, parse_location),
        "description": (changes.description, parse_description),
        "reply_to": (changes.reply_to, lambda text: parse_email(text, "reply_to")),
        "organizer": (changes.organizer, lambda text: parse_email(text, "organizer")),
    }
    return {name: check(value) for name, (value, check) in checks.items() if value is not None}


def _changed(config: Config, before: Conference, checked: CheckedChanges) -> Conference:
    """A copy of `before` with the checked changes applied (new participants without PINs)."""
    changes = checked.changes
    after = dataclasses.replace(
        before,
        participants=[dataclasses.replace(p) for p in before.participants],
        exdates=list(before.exdates),
        options=chosen_options(config, before.options, changes),
        **checked.fields,
    )
    if changes.timezone is not None:
        zone = ZoneInfo(changes.timezone)
        after.timezone = changes.timezone
        after.start = before.start.replace(tzinfo=zone)
        after.exdates = [moment.replace(tzinfo=zone) for moment in after.exdates]
    if changes.start is not None:
        after.start = parse_start(changes.start, ZoneInfo(after.timezone), checked.now)
    after.participants = changed_participants(
        after.participants,
        checked.participants,
        changes.remove_participants,
        checked.added,
        config.pins.moderator_length,
    )
    if _timing(after) != _timing(before):
        after.overrides = []
    return _cancel_sittings(after, changes.add_exdates, checked.now)


def _timing(conference: Conference) -> tuple[object, ...]:
    """What decides when the sittings of a series are: a change of it makes new sittings."""
    return (conference.start, conference.timezone, conference.rrule)


def _schedule_change(changes: ConferenceChanges) -> tuple[str, object] | None:
    """The first change to when the conference can be joined, as typed (errors name it)."""
    typed = {
        "start": changes.start,
        "timezone": changes.timezone,
        "rrule": changes.rrule,
        "duration": changes.duration_minutes,
        "dial_in_before": changes.dial_in_before_minutes,
    }
    return next(((name, value) for name, value in typed.items() if value is not None), None)


def _series_change(changes: ConferenceChanges) -> tuple[str, object]:
    """The change errors about a series that does not repeat name: the rule, if it changed."""
    if changes.rrule is not None:
        return "rrule", changes.rrule
    return _schedule_change(changes) or ("start", "")


def _cancel_sittings(conference: Conference, typed: list[str], now: datetime) -> Conference:
    """`conference` with the sittings `--exdate` names cancelled, each on its own."""
    zone = ZoneInfo(conference.timezone)
    for text in typed:
        moment = parse_start(text, zone, now, "exdate")
        original = sitting_changes.find_sitting(conference, moment, "exdate", text)
        conference = sitting_changes.cancel_sitting(conference, original, now, "exdate", text)
    return conference
