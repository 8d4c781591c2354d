"""A recurrence rule in words, in English and German."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from fs_conf.errors import ValidationError
from fs_conf.mail.recurrence_text import describe_rrule

BERLIN = ZoneInfo("Europe/Berlin")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("rule", "english", "german"),
    [
        ("FREQ=DAILY", "every day", "jeden Tag"),
        ("FREQ=DAILY;INTERVAL=2", "every 2 days", "alle 2 Tage"),
        (
            "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
            "every weekday (Monday to Friday)",
            "montags bis freitags",
        ),
        ("FREQ=WEEKLY;BYDAY=MO", "every week on Monday", "jede Woche am Montag"),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            "every week on Monday, Wednesday and Friday",
            "jede Woche am Montag, Mittwoch und Freitag",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,MO",
            "every 2 weeks on Monday and Thursday",
            "alle 2 Wochen am Montag und Donnerstag",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "every month on the last Friday",
            "jeden Monat am letzten Freitag",
        ),
        (
            "FREQ=MONTHLY;BYDAY=2TU",
            "every month on the second Tuesday",
            "jeden Monat am zweiten Dienstag",
        ),
        (
            "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
            "every month on the last Friday",
            "jeden Monat am letzten Freitag",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=31", "every month on the 31st", "jeden Monat am 31."),
        (
            "FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
            "every month on the 1st, the 15th and the last day",
            "jeden Monat am 1., 15. und letzten Tag",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=22",
            "every 3 months on the 22nd",
            "alle 3 Monate am 22.",
        ),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "every month on the last weekday",
            "jeden Monat am letzten Werktag",
        ),
        (
            "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            "every year on the last Sunday of March",
            "jedes Jahr am letzten Sonntag im März",
        ),
        (
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24",
            "every year on 24 December",
            "jedes Jahr am 24. Dezember",
        ),
        ("FREQ=HOURLY;INTERVAL=4", "every 4 hours", "alle 4 Stunden"),
        (
            "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
            "every week on Monday, 10 times",
            "jede Woche am Montag, 10-mal",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;COUNT=1",
            "every week on Monday, once",
            "jede Woche am Montag, einmal",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20251231",
            "every week on Monday, until 31 December 2025",
            "jede Woche am Montag, bis zum 31.12.2025",
        ),
        (
            "FREQ=YEARLY;BYWEEKNO=20",
            "every year, following a custom pattern",
            "jedes Jahr nach einem eigenen Muster",
        ),
        (
            "FREQ=MONTHLY;BYMONTH=1,7;BYMONTHDAY=1",
            "every month, following a custom pattern",
            "jeden Monat nach einem eigenen Muster",
        ),
    ],
)
def test_describe_rrule(rule: str, english: str, german: str) -> None:
    assert describe_rrule(rule) == english
    assert describe_rrule(rule, "de") == german


def test_describe_rrule_takes_implicit_days_and_the_until_zone_from_the_start() -> None:
    start = local(BERLIN, 2025, 3, 5, 9)  # a Wednesday
    assert describe_rrule("FREQ=WEEKLY", "en", start) == "every week on Wednesday"
    assert describe_rrule("FREQ=MONTHLY", "de", start) == "jeden Monat am 5."
    assert describe_rrule("FREQ=YEARLY", "en", start) == "every year on 5 March"
    assert describe_rrule("FREQ=WEEKLY", "en") == "every week"
    # 23:30 UTC on the 31st is already the 1st in Berlin
    assert (
        describe_rrule("FREQ=DAILY;UNTIL=20251231T233000Z", "en", start)
        == "every day, until 1 January 2026"
    )


def test_describe_rrule_rejects_unknown_language_and_bad_rule() -> None:
    with pytest.raises(ValidationError, match="language: must be one of en, de"):
        describe_rrule("FREQ=DAILY", "fr")
    with pytest.raises(ValidationError, match="FREQ is missing"):
        describe_rrule("BYDAY=MO")
