"""One sitting of a stored series cancelled or moved on its own, the change checked without a
store first (`check_sitting_changes`); the rules are fs_conf.timetable.sitting_changes. This
raises the SEQUENCE but not `series_sequence`: the scheduler mails only that sitting's change."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from fs_conf.conferences.fields import parse_duration, parse_start
from fs_conf.conferences.pin_assignment import with_pins_after
from fs_conf.conferences.requests import SittingChanges
from fs_conf.conferences.sequence import sequenced
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.model import Conference, ConferenceStatus
from fs_conf.store import Store
from fs_conf.timetable import sitting_changes

log = logging.getLogger(__name__)


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
        parse_duration(changes.duration_minutes)
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
        original = sitting_changes.find_sitting(before, named, "occurrence", changes.occurrence)
        if changes.cancel:
            after = sitting_changes.cancel_sitting(
                before, original, now, "occurrence", changes.occurrence
            )
        else:
            move = _move(changes, zone, now)
            after = sitting_changes.move_sitting(before, original, move, now, changes.occurrence)
            moved = ("start", move.start_typed) if move.start else ("duration", move.duration_typed)
            after = with_pins_after(store, config, after, now, moved)
        stored = store.save_conference(sequenced(before, after)) if after != before else before
    log.info(
        "conference %s: sitting of %s %s (sequence %d)",
        stored.id,
        original.isoformat(),
        "cancelled" if changes.cancel else "moved",
        stored.sequence,
    )
    return stored


def _move(changes: SittingChanges, zone: ZoneInfo, now: datetime) -> sitting_changes.Move:
    start = None if changes.start is None else parse_start(changes.start, zone, now)
    minutes = changes.duration_minutes
    return sitting_changes.Move(
        start=start,
        duration=None if minutes is None else parse_duration(minutes),
        start_typed=changes.start or "",
        duration_typed=minutes,
    )
