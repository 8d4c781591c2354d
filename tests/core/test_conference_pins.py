"""PIN uniqueness where PINs are given out: create and update through the conference service.

With PINs of four digits (the shortest the config allows) and hundreds of PINs in play, two
would clash almost surely if the service did not keep them apart; the draws are made
reproducible so that every run sees the same near-collisions.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fs_conf import pins
from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    create_conference,
    update_conference,
)
from fs_conf.config import Config, PinsConfig
from fs_conf.errors import ValidationError
from fs_conf.model import Conference
from fs_conf.store import Store, open_store

NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
TINY = PinsConfig(guest_length=4, personal_length=4, moderator_length=4)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return dataclasses.replace(Config(), database=str(tmp_path / "db.sqlite3"), pins=TINY)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    opened = open_store(config.database, clock=lambda: NOW)
    yield opened
    opened.close()


def draw_from(monkeypatch: pytest.MonkeyPatch, draw: Callable[[int], int]) -> None:
    monkeypatch.setattr(pins.secrets, "randbelow", draw)


def people(prefix: str, count: int) -> list[str]:
    return [f"{prefix} {i} <{prefix.lower()}{i}@example.org>" for i in range(count)]


def new(
    store: Store, config: Config, start: str, participants: list[str], **fields: object
) -> Conference:
    request = ConferenceRequest(
        title=f"Call at {start}", start=start, timezone="Europe/Berlin", duration_minutes=60,
        participants=participants, **fields,
    )  # fmt: skip
    return create_conference(store, config, request, NOW)


def every_pin(conferences: Iterable[Conference]) -> list[str]:
    return [
        pin
        for conference in conferences
        for pin in (
            conference.guest_pin,
            conference.moderator_pin,
            *(p.pin for p in conference.participants),
        )
    ]


def test_thirty_overlapping_conferences_with_short_pins_never_share_one(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_from(monkeypatch, random.Random(1).randrange)
    for i in range(30):
        new(store, config, f"2030-03-04T10:{i:02d}", people(f"P{i}", 10))
    found = every_pin(store.list_conferences())
    assert len(found) == 30 * 12
    assert len(set(found)) == len(found)


def test_participants_added_by_updates_get_pins_no_overlapping_conference_has(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    draw_from(monkeypatch, random.Random(2).randrange)
    made = [new(store, config, f"2030-03-04T10:{i:02d}", people(f"A{i}", 2)) for i in range(30)]
    for conference in made:
        changes = ConferenceChanges(add_participants=people(f"B{conference.id}", 8))
        update_conference(store, config, conference.id, changes, NOW)
    found = every_pin(store.list_conferences())
    assert len(found) == 30 * 12
    assert len(set(found)) == len(found)


def replay(monkeypatch: pytest.MonkeyPatch, *values: int) -> None:
    """Every conference created from now on draws `values`, in order, from the start."""
    queue: list[int] = []

    def draw(upper: int) -> int:
        if not queue:
            queue.extend(values)
        return queue.pop(0)

    draw_from(monkeypatch, draw)


def test_only_conferences_that_can_overlap_keep_their_pins_apart(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = (3917, 5082, 7261, 4830)
    replay(monkeypatch, *draws)
    monday = new(store, config, "2030-03-04T10:00", [])
    replay(monkeypatch, *draws)
    tuesday = new(store, config, "2030-03-05T10:00", [])  # cannot overlap: may draw the same
    replay(monkeypatch, *draws)
    overlapping = new(store, config, "2030-03-04T10:30", [])
    assert (monday.guest_pin, monday.moderator_pin) == ("3917", "5082")
    assert (tuesday.guest_pin, tuesday.moderator_pin) == ("3917", "5082")
    assert (overlapping.guest_pin, overlapping.moderator_pin) == ("7261", "4830")


def test_open_ended_series_count_as_overlapping_with_everything_after_them(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = (3917, 5082, 7261, 4830)
    replay(monkeypatch, *draws)
    new(store, config, "2030-03-04T10:00", [], rrule="FREQ=WEEKLY;BYDAY=MO")
    replay(monkeypatch, *draws)
    years_later = new(store, config, "2034-06-06T15:00", [])  # a Tuesday, past the horizon
    assert (years_later.guest_pin, years_later.moderator_pin) == ("7261", "4830")


def test_moving_a_conference_onto_one_that_shares_a_pin_is_refused_naming_the_move(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = (3917, 5082, 7261, 4830)
    replay(monkeypatch, *draws)
    monday = new(store, config, "2030-03-04T10:00", [])
    replay(monkeypatch, *draws)
    tuesday = new(store, config, "2030-03-05T10:00", [])
    with pytest.raises(ValidationError) as error:
        update_conference(
            store, config, tuesday.id, ConferenceChanges(start="2030-03-04T10:30"), NOW
        )
    assert (error.value.field, error.value.value) == ("start", "2030-03-04T10:30")
    assert f"'{monday.title} (id {monday.id})'" in error.value.problem
    assert "3917" not in str(error.value)
    assert store.get_conference(tuesday.id) == tuesday
    # opening the window early enough to meet the other one is a move as well
    with pytest.raises(ValidationError) as error:
        update_conference(
            store, config, tuesday.id, ConferenceChanges(dial_in_before_minutes=1440), NOW
        )
    assert (error.value.field, error.value.value) == ("dial_in_before", 1440)
