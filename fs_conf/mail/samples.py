"""Sample data that exercises every template branch: `fs-conf check` renders with it.

A weekly conference with a description holding both placeholders, a moderator and two
participants (so moderator-only lines are rendered too) and an attendance record set with a
rejoin, a guest and a stay still open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fs_conf.config import Config
from fs_conf.model import Attendance, Conference, Occurrence, Participant, Role


def sample_conference(config: Config, now: datetime) -> Conference:
    zone = ZoneInfo(config.conference.timezone)
    day = now.astimezone(zone) + timedelta(days=7 - now.astimezone(zone).weekday())
    start = day.replace(hour=10, minute=0, second=0, microsecond=0)
    return Conference(
        id=1,
        title="Weekly team call",
        start=start,
        timezone=config.conference.timezone,
        duration=timedelta(minutes=45),
        lead=timedelta(minutes=config.conference.lead_minutes),
        number=config.numbers.internal,
        external_number=config.numbers.external,
        guest_pin="40518273",
        moderator_pin="7306194825",
        uid="sample-conference@fs_conf",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        exdates=[start + timedelta(weeks=2)],
        description="Status and next steps.\nDial <number>, then enter <pin> and #.",
        location="Meeting room 2",
        organizer="olivia@example.com",
        reply_to="olivia@example.com",
        sequence=1,
        participants=[
            Participant(
                "Mona Moderator", "mona@example.com", "201", Role.MODERATOR, "11223344", id=1
            ),
            Participant(
                "Paul Participant", "paul@example.com", "202", Role.PARTICIPANT, "55667788", id=2
            ),
            Participant("Gina Guest", "gina@example.org", None, Role.PARTICIPANT, "99001122", id=3),
        ],
    )


def sample_occurrence(conf: Conference) -> Occurrence:
    return Occurrence(conf.start, conf.start + conf.duration)


def sample_attendance(conf: Conference, occurrence: Occurrence) -> list[Attendance]:
    def stay(
        participant_id: int | None, caller: str, role: Role, joined: int, left: int | None
    ) -> Attendance:
        return Attendance(
            conference_id=conf.id or 0,
            occurrence_start=occurrence.start,
            call_uuid=f"sample-{caller}-{joined}",
            caller_id=caller,
            role=role,
            joined_at=occurrence.start + timedelta(minutes=joined),
            left_at=None if left is None else occurrence.start + timedelta(minutes=left),
            participant_id=participant_id,
        )

    return [
        stay(1, "201", Role.MODERATOR, -2, 45),
        stay(2, "202", Role.PARTICIPANT, 1, 20),
        stay(2, "202", Role.PARTICIPANT, 22, None),
        stay(None, "+4930123456", Role.PARTICIPANT, 5, 30),
    ]
