"""Shared helpers for the scheduler tests: a settable clock, configurations, conferences."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fs_conf.clock import SettableClock
from fs_conf.config import Config, MailConfig, SchedulerConfig
from fs_conf.model import Conference, Participant, Role
from fs_conf.store import Store, open_store
from tests.mail.conftest import smtp_server  # noqa: F401 (a fixture these tests share)

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN)
"""A Monday; the default conference starts then and lasts an hour."""


def make_config(tmp_path: Path, **scheduler: Any) -> Config:
    """Defaults with the database and the mail folder in `tmp_path`; `scheduler` replaces
    fields of the `scheduler` section (reminders on, 15 minutes, unless given)."""
    settings = {"reminder_minutes": 15, "warn_before_end_minutes": 5, **scheduler}
    return dataclasses.replace(
        Config(),
        database=str(tmp_path / "fs_conf.sqlite3"),
        mail=MailConfig(transport="folder", folder=str(tmp_path / "mail")),
        scheduler=SchedulerConfig(**settings),
    )


def people() -> list[Participant]:
    return [
        Participant("Mia Moderator", "mia@example.org", "1001", Role.MODERATOR, "1234567890"),
        Participant("Paul Participant", "paul@example.org", "1002", Role.PARTICIPANT, "123456789"),
        Participant(
            "Petra Phone", "petra@example.org", "1003", Role.PARTICIPANT, "223456789", call=True
        ),
    ]


def conference(**fields: Any) -> Conference:
    """An unsaved one-hour conference at START on 3000 with three participants."""
    values: dict[str, Any] = {
        "title": "Weekly sync",
        "start": START,
        "timezone": "Europe/Berlin",
        "duration": timedelta(hours=1),
        "number": "3000",
        "guest_pin": "323456789",
        "moderator_pin": "4234567890",
        "uid": "weekly@test",
        "lead": timedelta(minutes=10),
        "organizer": "boss@example.org",
        "participants": people(),
    }
    values.update(fields)
    return Conference(**values)


def with_ids(stored: Conference, conference_id: int = 1) -> Conference:
    """`stored` as if saved: the conference and its participants numbered."""
    participants = [
        dataclasses.replace(p, id=10 * conference_id + n)
        for n, p in enumerate(stored.participants, 1)
    ]
    return dataclasses.replace(stored, id=conference_id, participants=participants)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START - timedelta(days=1))


@pytest.fixture
def store(tmp_path: Path, clock: SettableClock) -> Iterator[Store]:
    opened = open_store(tmp_path / "fs_conf.sqlite3", clock=clock)
    yield opened
    opened.close()
