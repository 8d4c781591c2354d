"""The words that describe a recurrence rule in mails, one `RuleWords` per language.

`fs_conf.mail.recurrence_text` puts them together; a new language is a new instance here.
Templates are `str.format` strings; the fields each one gets are in braces in its
docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fs_conf.mail.localize import MONTHS, WEEKDAYS


@dataclass(frozen=True)
class RuleWords:
    """The words of one language for `describe_rrule`."""

    every: Mapping[str, tuple[str, str]]
    """Per FREQ: "every week", and "every {n} weeks"."""
    days: tuple[str, ...]
    """Monday to Sunday."""
    months: tuple[str, ...]
    """January to December."""
    positions: Mapping[int, str]
    """Positions of BYDAY and BYSETPOS: 1 "first", -1 "last", ..."""
    ordinal: Callable[[int], str]
    """A day of the month as an ordinal: "31st"."""
    on: str
    """Between the interval and the days: "every week on Monday"."""
    conjunction: str
    """Before the last item of a list: "Monday and Friday"."""
    workweek: str
    """Monday to Friday every week."""
    every_day_named: str
    """English: "every {days}"."""
    position_day: str
    """English: "the {position} {day}"."""
    position_day_of_month: str
    """English: "the {position} {day} of {month}"."""
    month_day: str
    """English: "the {day}", {day} being an `ordinal`."""
    last_day: str
    """The last day of the month."""
    last_day_n: str
    """English: "the {position} day", counted from the end of the month."""
    position_workday: str
    """English: "the {position} weekday"."""
    date: str
    """English: "{day} {month}", {day} being a number."""
    until_date: str
    """English: "{day} {month} {year}"; {month_number} is there too."""
    custom: str
    """English: "{every}, following a custom pattern"."""
    once: str
    """COUNT=1."""
    times: str
    """English: "{n} times"."""
    until: str
    """English: "until {date}"."""


def _english_ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _german_ordinal(number: int) -> str:
    return f"{number}."


ENGLISH = RuleWords(
    every={
        "HOURLY": ("every hour", "every {n} hours"),
        "DAILY": ("every day", "every {n} days"),
        "WEEKLY": ("every week", "every {n} weeks"),
        "MONTHLY": ("every month", "every {n} months"),
        "YEARLY": ("every year", "every {n} years"),
    },
    days=WEEKDAYS["en"],
    months=MONTHS["en"],
    positions={
        1: "first",
        2: "second",
        3: "third",
        4: "fourth",
        5: "fifth",
        -1: "last",
        -2: "second to last",
        -3: "third to last",
    },  # fmt: skip
    ordinal=_english_ordinal,
    on="on",
    conjunction="and",
    workweek="every weekday (Monday to Friday)",
    every_day_named="every {days}",
    position_day="the {position} {day}",
    position_day_of_month="the {position} {day} of {month}",
    month_day="the {day}",
    last_day="the last day",
    last_day_n="the {position} day",
    position_workday="the {position} weekday",
    date="{day} {month}",
    until_date="{day} {month} {year}",
    custom="{every}, following a custom pattern",
    once="once",
    times="{n} times",
    until="until {date}",
)

GERMAN = RuleWords(
    every={
        "HOURLY": ("jede Stunde", "alle {n} Stunden"),
        "DAILY": ("jeden Tag", "alle {n} Tage"),
        "WEEKLY": ("jede Woche", "alle {n} Wochen"),
        "MONTHLY": ("jeden Monat", "alle {n} Monate"),
        "YEARLY": ("jedes Jahr", "alle {n} Jahre"),
    },
    days=WEEKDAYS["de"],
    months=MONTHS["de"],
    positions={
        1: "ersten",
        2: "zweiten",
        3: "dritten",
        4: "vierten",
        5: "fünften",
        -1: "letzten",
        -2: "vorletzten",
        -3: "drittletzten",
    },  # fmt: skip
    ordinal=_german_ordinal,
    on="am",
    conjunction="und",
    workweek="montags bis freitags",
    every_day_named="jeden {days}",
    position_day="{position} {day}",
    position_day_of_month="{position} {day} im {month}",
    month_day="{day}",
    last_day="letzten Tag",
    last_day_n="{position} Tag",
    position_workday="{position} Werktag",
    date="{day}. {month}",
    until_date="{day:02d}.{month_number:02d}.{year}",
    custom="{every} nach einem eigenen Muster",
    once="einmal",
    times="{n}-mal",
    until="bis zum {date}",
)

RULE_WORDS: Mapping[str, RuleWords] = {"en": ENGLISH, "de": GERMAN}
"""The languages `describe_rrule` speaks."""
