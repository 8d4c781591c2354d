"""Dates, times and durations in words for the mail templates, in English and German.

Kept in code rather than in a locale database because fs_conf ships two languages and
must not depend on the system's locales (a container often has only C.UTF-8).
"""

from __future__ import annotations

from datetime import datetime, timedelta

WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}
_UNITS = {
    "en": {"hour": ("hour", "hours"), "minute": ("minute", "minutes")},
    "de": {"hour": ("Stunde", "Stunden"), "minute": ("Minute", "Minuten")},
}


def _lang(language: str) -> str:
    return language if language in WEEKDAYS else "en"


def format_date(moment: datetime, language: str) -> str:
    """'Monday, 3 March 2025' / 'Montag, 3. März 2025' (in the zone `moment` carries)."""
    lang = _lang(language)
    weekday = WEEKDAYS[lang][moment.weekday()]
    month = MONTHS[lang][moment.month - 1]
    if lang == "de":
        return f"{weekday}, {moment.day}. {month} {moment.year}"
    return f"{weekday}, {moment.day} {month} {moment.year}"


def format_time(moment: datetime, language: str) -> str:
    """24-hour clock, which readers of both languages in a PBX setting expect: '09:30'."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_datetime(moment: datetime, language: str) -> str:
    """'Monday, 3 March 2025, 09:30' / 'Montag, 3. März 2025, 09:30 Uhr'."""
    text = f"{format_date(moment, language)}, {format_time(moment, language)}"
    return f"{text} Uhr" if _lang(language) == "de" else text


def format_span(start: datetime, end: datetime, language: str) -> str:
    """'Monday, 3 March 2025, 09:30 – 10:30'; the end's date is repeated only if it differs."""
    if start.date() == end.date():
        text = f"{format_date(start, language)}, {format_time(start, language)} – {format_time(end, language)}"
        return f"{text} Uhr" if _lang(language) == "de" else text
    return f"{format_datetime(start, language)} – {format_datetime(end, language)}"


def format_duration(duration: timedelta, language: str) -> str:
    """'1 hour 30 minutes' / '1 Stunde 30 Minuten'; rounded to whole minutes, '0 minutes' at
    least."""
    lang = _lang(language)
    minutes = max(0, round(duration.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(_count(hours, _UNITS[lang]["hour"]))
    if rest or not hours:
        parts.append(_count(rest, _UNITS[lang]["minute"]))
    return " ".join(parts)


def _count(value: int, forms: tuple[str, str]) -> str:
    return f"{value} {forms[0] if value == 1 else forms[1]}"
