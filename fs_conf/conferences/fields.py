"""Single fields of a request as typed, checked and converted into a conference's values: title,
location, description, e-mail addresses, start, duration, lead, recurrence and room options. A
bad value raises ValidationError naming the field and the value as typed."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fs_conf import participants as participant_rules
from fs_conf import timetable
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.mail.addresses import check_address
from fs_conf.model import ROOM_OPTIONS, Conference, Count, RoomOptions

MAX_LEAD = timedelta(hours=24)
"""The longest dial-in lead time (as `conference.lead_minutes` in the config)."""
MAX_TITLE_LENGTH = 200
MAX_LOCATION_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 4000
_FAR_MINUTES = 10**9
"""Beyond every range of minutes (some 1900 years), yet well within what timedelta holds."""


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
    timetable.validate_moment(parsed, field_name, text)
    if parsed.tzinfo is not None:
        return parsed.astimezone(zone)
    local = parsed.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
        raise ValidationError(
            field_name, text, f"this wall time does not exist in {zone.key} (clocks change)"
        )
    return local


def check_not_past(conference: Conference, now: datetime, field_name: str, typed: object) -> None:
    """A one-off conference may not start in the past; `field_name` and `typed` are the input
    that put its start there (the start itself, or a time zone or recurrence change)."""
    if conference.rrule or conference.start >= now - timetable.PAST_SLACK:
        return
    problem = "lies in the past (use `now` for a conference starting now)"
    if field_name != "start":
        problem = f"puts the start in the past ({conference.start:%Y-%m-%d %H:%M %Z})"
    raise ValidationError(field_name, typed, problem)


def parse_title(text: str) -> str:
    title = participant_rules.check_text(text, "title", MAX_TITLE_LENGTH).strip()
    if not title:
        raise ValidationError("title", text, "must not be empty")
    return title


def parse_location(text: str) -> str:
    return participant_rules.check_text(text, "location", MAX_LOCATION_LENGTH)


def parse_description(text: str) -> str:
    """Several lines are allowed here, nothing else that is not printable."""
    return participant_rules.check_text(text, "description", MAX_DESCRIPTION_LENGTH, lines=True)


def parse_email(text: str, field_name: str) -> str:
    value = text.strip()
    return deliverable_email(value, field_name) if value else ""


def deliverable_email(address: str, field_name: str) -> str:
    """`address` if it is well formed and the mail can be sent to it: the mail's own parser
    decides, so that nothing is stored whose mails would then fail to render."""
    address = participant_rules.validate_email(address, field_name)
    check_address(field_name, address)
    return address


def parse_duration(minutes: int) -> timedelta:
    return _length(minutes, "duration", timetable.validate_duration)


def parse_lead(minutes: int) -> timedelta:
    return _length(minutes, "dial_in_before", _validate_lead)


def _validate_lead(lead: timedelta, field_name: str) -> timedelta:
    timetable.validate_lead(lead, field_name)
    if lead > MAX_LEAD:
        raise ValidationError(field_name, lead, "must be at most 1440 minutes (24 hours)")
    return lead


def _length(
    minutes: int, field_name: str, validate: Callable[[timedelta, str], timedelta]
) -> timedelta:
    """`minutes` as a length of time that `validate` accepts. It sees a count held at
    `_FAR_MINUTES` either way, so that no count overflows timedelta; errors show the count as
    typed."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError(field_name, minutes, "must be a whole number of minutes")
    held = max(-_FAR_MINUTES, min(minutes, _FAR_MINUTES))
    try:
        validate(timedelta(minutes=held), field_name)
    except ValidationError as error:
        raise ValidationError(field_name, minutes, error.problem) from None
    return timedelta(minutes=minutes)


def parse_rrule(text: str) -> str | None:
    value = text.strip()
    return timetable.validate_rrule(value, "rrule") if value else None


def chosen_options(config: Config, current: RoomOptions | None, choices: object) -> RoomOptions:
    """The room options `choices` (a RoomOptionChoices) sets, the others as they were
    (`current`) or, for a new conference (None), as the `conference` config key has them."""
    base = current
    if base is None:
        base = RoomOptions(**{name: getattr(config.conference, name) for name in ROOM_OPTIONS})
    chosen = {
        name: getattr(choices, name) for name in ROOM_OPTIONS if getattr(choices, name) is not None
    }
    options = dataclasses.replace(base, **chosen)
    check_counts(options)
    return options


def check_counts(options: object) -> None:
    """Refuse a count out of its range among the room options `options` (RoomOptions or
    RoomOptionChoices) holds; None is no choice."""
    for name, about in ROOM_OPTIONS.items():
        value = getattr(options, name)
        if isinstance(about, Count) and value is not None and value < 0:
            raise ValidationError(name, value, f"must be 0 ({about.zero}) or more")
        if isinstance(about, Count) and value is not None and value > about.most:
            raise ValidationError(name, value, f"must be at most {about.most}")
