"""A recurrence rule in words for mails and the command line, e.g. "every week on Monday" or
"jeden Monat am letzten Freitag", in the languages of `fs_conf.mail.rule_words`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fs_conf.errors import ValidationError
from fs_conf.mail.rule_words import RULE_WORDS, RuleWords
from fs_conf.timetable.rules import BYDAY_ENTRY, WEEKDAYS, parse_rrule, until_value

_WORKWEEK = ("MO", "TU", "WE", "TH", "FR")


def describe_rrule(rrule: str, language: str = "en", start: datetime | None = None) -> str:
    """The recurrence in words for mails, e.g. "every week on Monday" or
    "jeden Monat am letzten Freitag", lower case, with COUNT and UNTIL appended.

    `start` (the conference start, aware) supplies the day the rule leaves implicit and the
    zone UNTIL is shown in. Rules beyond the common forms get a generic sentence.
    """
    if language not in RULE_WORDS:
        raise ValidationError("language", language, f"must be one of {', '.join(RULE_WORDS)}")
    words = RULE_WORDS[language]
    parts = parse_rrule(rrule, "rrule")
    phrase = _describe_pattern(parts, words, start)
    if phrase is None:
        phrase = words.custom.format(every=_every(parts, words))
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        phrase += ", " + (words.once if count == 1 else words.times.format(n=count))
    if "UNTIL" in parts:
        phrase += ", " + words.until.format(date=_until_text(parts["UNTIL"], words, start))
    return phrase


def _every(parts: dict[str, str], words: RuleWords) -> str:
    interval = int(parts.get("INTERVAL", "1"))
    single, plural = words.every[parts["FREQ"]]
    return single if interval == 1 else plural.format(n=interval)


def _describe_pattern(
    parts: dict[str, str], words: RuleWords, start: datetime | None
) -> str | None:
    handled = {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "WKST",
        "BYDAY",
        "BYMONTHDAY",
        "BYMONTH",
        "BYSETPOS",
    }
    if parts["FREQ"] == "MONTHLY" and _is_workday_position(parts, words):
        position = words.positions[int(parts["BYSETPOS"])]
        return _on(_every(parts, words), words.position_workday.format(position=position), words)
    days = _bydays(parts)
    if set(parts) - handled or days is None:
        return None
    freq = parts["FREQ"]
    if freq == "HOURLY":
        plain = set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}
        return _every(parts, words) if plain else None
    if freq in ("DAILY", "WEEKLY"):
        return _describe_days(parts, days, words, start)
    if freq == "MONTHLY":
        return _describe_month(parts, days, words, start)
    return _describe_year(parts, days, words, start)


def _is_workday_position(parts: dict[str, str], words: RuleWords) -> bool:
    """BYDAY=MO,TU,WE,TH,FR;BYSETPOS=n: the n-th working day of the month."""
    if set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYSETPOS"}:
        return False
    return (
        set(parts.get("BYDAY", "").split(",")) == set(_WORKWEEK)
        and re.fullmatch(r"-?\d+", parts.get("BYSETPOS", "")) is not None
        and int(parts["BYSETPOS"]) in words.positions
    )


def _bydays(parts: dict[str, str]) -> list[tuple[int | None, int]] | None:
    """BYDAY as (position, weekday) pairs; a single-day BYSETPOS becomes the position."""
    entries = []
    for value in parts["BYDAY"].split(",") if "BYDAY" in parts else []:
        match = BYDAY_ENTRY.match(value)
        assert match is not None
        position = int(match.group(1)) if match.group(1) else None
        entries.append((position, WEEKDAYS.index(match.group(2))))
    if "BYSETPOS" in parts:
        positions = parts["BYSETPOS"].split(",")
        if (
            len(entries) != 1
            or entries[0][0] is not None
            or len(positions) != 1
            or "BYMONTHDAY" in parts
        ):
            return None
        entries = [(int(positions[0]), entries[0][1])]
    return entries


def _describe_days(
    parts: dict[str, str],
    days: list[tuple[int | None, int]],
    words: RuleWords,
    start: datetime | None,
) -> str | None:
    if "BYMONTH" in parts or "BYMONTHDAY" in parts:
        return None
    every = _every(parts, words)
    interval = int(parts.get("INTERVAL", "1"))
    weekdays = sorted({day for _, day in days})
    if not weekdays:
        if parts["FREQ"] == "DAILY" or start is None:
            return every
        weekdays = [start.weekday()]
    if interval == 1 and [WEEKDAYS[d] for d in weekdays] == list(_WORKWEEK):
        return words.workweek
    names = _join([words.days[d] for d in weekdays], words)
    if parts["FREQ"] == "DAILY":
        return words.every_day_named.format(days=names) if interval == 1 else None
    return _on(every, names, words)


def _describe_month(
    parts: dict[str, str],
    days: list[tuple[int | None, int]],
    words: RuleWords,
    start: datetime | None,
) -> str | None:
    if "BYMONTH" in parts or ("BYMONTHDAY" in parts and days):
        return None
    every = _every(parts, words)
    if "BYMONTHDAY" in parts:
        items = [_month_day(int(value), words) for value in parts["BYMONTHDAY"].split(",")]
        named = [item for item in items if item is not None]
        return None if len(named) != len(items) else _on(every, _join(named, words), words)
    if days and all(position is None for position, _ in days):
        # every Monday of every month is every Monday
        if int(parts.get("INTERVAL", "1")) != 1:
            return None
        return words.every_day_named.format(days=_join([words.days[d] for _, d in days], words))
    if days:
        detail = _weekday_positions(days, words, month=None)
        return None if detail is None else _on(every, detail, words)
    if start is None:
        return every
    return _on(every, _month_day(start.day, words) or "", words)


def _describe_year(
    parts: dict[str, str],
    days: list[tuple[int | None, int]],
    words: RuleWords,
    start: datetime | None,
) -> str | None:
    every = _every(parts, words)
    months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    if len(months) > 1:
        return None
    if days:
        if not months or "BYMONTHDAY" in parts:
            return None
        detail = _weekday_positions(days, words, month=months[0])
        return None if detail is None else _on(every, detail, words)
    month = months[0] if months else (start.month if start is not None else None)
    if "BYMONTHDAY" in parts:
        values = [int(value) for value in parts["BYMONTHDAY"].split(",")]
        day = values[0] if len(values) == 1 and values[0] > 0 else None
    else:
        day = start.day if start is not None else None
    if month is None or day is None:
        return every if not months and "BYMONTHDAY" not in parts else None
    return _on(every, words.date.format(day=day, month=words.months[month - 1]), words)


def _weekday_positions(
    days: list[tuple[int | None, int]], words: RuleWords, month: int | None
) -> str | None:
    """ "the last Friday", "am zweiten Dienstag im März"; None when a day has no position."""
    items = []
    for position, day in days:
        if position is None or position not in words.positions:
            return None
        template = words.position_day if month is None else words.position_day_of_month
        month_name = "" if month is None else words.months[month - 1]
        items.append(
            template.format(
                position=words.positions[position], day=words.days[day], month=month_name
            )
        )
    return _join(items, words)


def _month_day(day: int, words: RuleWords) -> str | None:
    if day == -1:
        return words.last_day
    if day < 0:
        position = words.positions.get(day)
        return None if position is None else words.last_day_n.format(position=position)
    return words.month_day.format(day=words.ordinal(day))


def _on(every: str, detail: str, words: RuleWords) -> str:
    return f"{every} {words.on} {detail}" if detail else every


def _join(items: list[str], words: RuleWords) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {words.conjunction} {items[-1]}"


def _until_text(value: str, words: RuleWords, start: datetime | None) -> str:
    moment = until_value(value, value, "rrule")
    if value.endswith("Z") and start is not None and start.tzinfo is not None:
        moment = moment.replace(tzinfo=UTC).astimezone(start.tzinfo)
    month = words.months[moment.month - 1]
    return words.until_date.format(
        day=moment.day, month=month, month_number=moment.month, year=moment.year
    )
