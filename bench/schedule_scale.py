"""How fast the schedule answers the scheduler's questions for 10,000 conferences.

Builds 10,000 in-memory conferences (a fixed random mix: 60 % one-off within the next year,
the rest weekly, workday-daily, fortnightly, monthly and yearly series in four time zones,
some started years ago, some limited by COUNT or UNTIL, some with EXDATEs), then times:
parsing them into an `OccurrenceIndex`, finding what is due in the next minute (the first
question to a fresh index, where every series expands its next day, as the median of three;
sixty more minute by minute, and one a day later when each series expands its
next day), and expanding every occurrence of the next 365 days (as one sorted timeline, and
conference by conference). Prints figures next to the targets; asserts nothing.

    PYTHONPATH=. python bench/schedule_scale.py [--conferences N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fs_conf.model import Conference
from fs_conf.timetable import OccurrenceIndex

ZONES = ("Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo")
SERIES = (
    # (weight, rule); {day} is replaced by a random weekday
    (25, "FREQ=WEEKLY;BYDAY={day}"),
    (7, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    (3, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=200"),
    (4, "FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"),
    (2, "FREQ=MONTHLY;BYDAY=-1FR"),
    (1, "FREQ=MONTHLY;BYMONTHDAY=31"),
    (1, "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20300101T000000Z"),
    (1, "FREQ=YEARLY"),
)
ONE_OFF_SHARE = 0.6


def make_conferences(count: int, now: datetime, rng: random.Random) -> list[Conference]:
    rules = [rule for weight, rule in SERIES for _ in range(weight)]
    conferences = []
    for number in range(count):
        zone_name = rng.choice(ZONES)
        zone = ZoneInfo(zone_name)
        recurring = rng.random() >= ONE_OFF_SHARE
        if recurring:
            day = now.astimezone(zone).date() - timedelta(days=rng.randrange(0, 3 * 365))
            rule = rng.choice(rules).format(day=rng.choice(("MO", "TU", "WE", "TH", "FR")))
        else:
            day = now.astimezone(zone).date() + timedelta(days=rng.randrange(0, 365))
            rule = None
        start = datetime(
            day.year,
            day.month,
            day.day,
            rng.randrange(7, 19),
            rng.choice((0, 15, 30, 45)),
            tzinfo=zone,
        )
        exdates = (
            [start + timedelta(weeks=rng.randrange(1, 150))]
            if recurring and rng.random() < 0.2
            else []
        )
        conferences.append(
            Conference(
                title=f"conference {number}",
                start=start,
                timezone=zone_name,
                duration=timedelta(minutes=rng.choice((15, 30, 45, 60, 90))),
                number="3000",
                guest_pin=f"{number:09d}",
                moderator_pin=f"{number:010d}",
                uid=f"bench-{number}@fs_conf",
                rrule=rule,
                exdates=exdates,
                id=number + 1,
            )
        )
    return conferences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conferences", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=5545)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    conferences = make_conferences(args.conferences, now, random.Random(args.seed))
    series = sum(1 for c in conferences if c.rrule)
    print(
        f"{len(conferences)} conferences: {len(conferences) - series} one-off, {series} recurring"
    )

    builds, firsts = [], []
    for _ in range(3):
        began = time.perf_counter()
        index = OccurrenceIndex(conferences)
        builds.append(time.perf_counter() - began)
        began = time.perf_counter()
        due = index.due_between(now, now + timedelta(minutes=1))
        firsts.append(time.perf_counter() - began)
    print(
        f"build index (parse every rule once):     {1000 * statistics.median(builds):8.1f} ms  (median of 3)"
    )
    print(
        f"due in the next minute, first question:  {1000 * statistics.median(firsts):8.1f} ms  "
        f"(median of 3 fresh indexes, {len(due)} due)   target < 50 ms"
    )

    timings, found = [], 0
    for minute in range(1, 61):
        start = now + timedelta(minutes=minute)
        began = time.perf_counter()
        found += len(index.due_between(start, start + timedelta(minutes=1)))
        timings.append(time.perf_counter() - began)
    print(
        f"due in the next minute, 60 more minutes: {1000 * statistics.mean(timings):8.1f} ms mean, "
        f"{1000 * max(timings):.1f} ms max ({found} due)   target < 50 ms"
    )

    next_day = now + timedelta(days=1, minutes=1)
    began = time.perf_counter()
    index.due_between(next_day, next_day + timedelta(minutes=1))
    print(
        f"due in the next minute, a day later:     {1000 * (time.perf_counter() - began):8.1f} ms  "
        "(each series expands its next day)   target < 50 ms"
    )

    began = time.perf_counter()
    year = index.overlapping(now, now + timedelta(days=365))
    print(
        f"every occurrence of the next 365 days:   {time.perf_counter() - began:8.2f} s    "
        f"({len(year)} occurrences, one sorted timeline)   target < 2 s"
    )
    del year
    began = time.perf_counter()
    count = sum(
        len(found)
        for _, found in OccurrenceIndex(conferences).expand(now, now + timedelta(days=365))
    )
    print(
        f"the same, conference by conference:      {time.perf_counter() - began:8.2f} s    "
        f"({count} occurrences, fresh index)   target < 2 s"
    )


if __name__ == "__main__":
    main()
