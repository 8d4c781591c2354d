"""The SEQUENCE of a conference's mails and calendar entries: it grows when a change touches
what invitations already sent show (`mailed_view`); `series_sequence` only when the change is
more than single sittings (`series_view`)."""

from __future__ import annotations

import dataclasses

from fs_conf.model import Conference
from fs_conf.timetable import sitting_changes


def sequenced(before: Conference, after: Conference) -> Conference:
    """`after` with the SEQUENCE its mails need: one more when invitations went out and
    anything they show changed; `series_sequence` too when that was more than single
    sittings. Overrides new since `before` are marked with the SEQUENCE they go out with."""
    if before.mailed and mailed_view(after) != mailed_view(before):
        series = after.series_sequence
        if series_view(after) != series_view(before):
            series = before.sequence + 1
        after = dataclasses.replace(after, sequence=before.sequence + 1, series_sequence=series)
    return dataclasses.replace(after, overrides=sitting_changes.stamped(before, after))


def mailed_view(conference: Conference) -> tuple[object, ...]:
    """Everything invitations, updates and their calendar entries show (fs_conf.mail): a
    change to any of it needs a new SEQUENCE."""
    return (*series_view(conference), sitting_changes.overrides_view(conference))


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
