"""What `say` plays: the English sound files mod_say_en picks (pure, no I/O).

`say <module> <type> <method> [<gender>] <text>` (mod_dptools.c SAY_SYNTAX); dates and times
as src/mod/say/mod_say_en/mod_say_en.c en_say_time() reads them.
The types: docs/simulator.md#sessions-and-applications
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DIGIT = "digits/{}.wav"


def say_files(say_type: str, method: str, text: str, timezone: str | None = None) -> list[str]:
    kind = say_type.upper()
    if kind in ("NUMBER", "ITEMS", "PERSONS", "MESSAGES"):
        return _number(text, method.lower())
    if kind in ("CURRENT_DATE_TIME", "CURRENT_DATE", "CURRENT_TIME", "SHORT_DATE_TIME"):
        return _time(kind, text, timezone)
    return _spell(text)


def _number(text: str, method: str) -> list[str]:
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return []
    if method == "iterated":
        return [DIGIT.format(d) for d in digits]
    value = int(digits)
    return _pronounce(value, counted=method == "counted")


def _pronounce(value: int, counted: bool = False) -> list[str]:
    if value == 0:
        return [DIGIT.format("h-0" if counted else "0")]
    files: list[str] = []
    groups = [
        (value // 1_000_000 % 1000, "million"),
        (value // 1000 % 1000, "thousand"),
        (value % 1000, ""),
    ]
    for index, (group, word) in enumerate(groups):
        if not group:
            continue
        last = index == len(groups) - 1 or not any(g for g, _ in groups[index + 1 :])
        files.extend(_group(group, counted and last and not word))
        if word:
            files.append(DIGIT.format(f"h-{word}" if counted and last else word))
    return files


def _group(value: int, counted: bool) -> list[str]:
    """play_group(): hundreds, then tens and units (10..19 are single files)."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    files = []
    if hundreds:
        files.append(DIGIT.format(hundreds))
        files.append(DIGIT.format("h-hundred" if counted and not rest else "hundred"))
    if tens == 1:
        files.append(DIGIT.format(f"{'h-' if counted else ''}{rest}"))
    else:
        if tens:
            files.append(DIGIT.format(f"{'h-' if counted and not units else ''}{tens}0"))
        if units:
            files.append(DIGIT.format(f"{'h-' if counted else ''}{units}"))
    return files


def _time(kind: str, text: str, timezone: str | None) -> list[str]:
    try:
        epoch = int(text.strip())
    except ValueError:
        return _spell(text)
    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    moment = datetime.fromtimestamp(epoch, zone)
    files: list[str] = []
    say_date = kind in ("CURRENT_DATE_TIME", "CURRENT_DATE", "SHORT_DATE_TIME")
    say_time = kind in ("CURRENT_DATE_TIME", "CURRENT_TIME", "SHORT_DATE_TIME")
    if say_date:
        files.append(f"time/day-{(moment.weekday() + 1) % 7}.wav")
        files.append(f"time/mon-{moment.month - 1}.wav")
        files.extend(_pronounce(moment.day, counted=True))
        files.extend(_pronounce(moment.year))
    if say_time:
        if say_date:
            files.append("time/at.wav")
        hour, pm = moment.hour, moment.hour >= 12
        hour = hour - 12 if hour > 12 else (12 if hour == 0 else hour)
        files.extend(_pronounce(hour))
        if moment.minute > 9:
            files.extend(_pronounce(moment.minute))
        elif moment.minute:
            files.append("time/oh.wav")
            files.extend(_pronounce(moment.minute))
        else:
            files.append("time/oclock.wav")
        files.append("time/p-m.wav" if pm else "time/a-m.wav")
    return files


def _spell(text: str) -> list[str]:
    files = []
    for char in text.lower():
        if char.isdigit():
            files.append(DIGIT.format(char))
        elif char.isalpha():
            files.append(f"ascii/{ord(char)}.wav")
    return files
