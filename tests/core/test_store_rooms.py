"""The store's room state and ended occurrences (migration step 2)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fs_conf.clock import SettableClock
from fs_conf.errors import NotFoundError
from fs_conf.model import Conference, RoomState
from fs_conf.store import MIGRATIONS, SCHEMA_VERSION, Store, open_store
from fs_conf.store.db import Database, migrate

NOW = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def store(tmp_path: Path, clock: SettableClock) -> Iterator[Store]:
    with open_store(tmp_path / "fs_conf.sqlite3", clock=clock) as opened:
        opened.add_conference(
            Conference(
                title="Sync",
                start=NOW,
                timezone="UTC",
                duration=timedelta(hours=1),
                number="3000",
                guest_pin="01234567",
                moderator_pin="0123456789",
                uid="sync@test",
            )
        )
        yield opened


def test_room_state_round_trip_and_update(store: Store) -> None:
    assert store.room_state(1) is None
    state = RoomState(1, NOW, muted_all=True, locked=True, recording="/r/1/x.wav", recordings=1)
    store.save_room_state(state)
    assert store.room_state(1) == state
    changed = RoomState(1, NOW + timedelta(days=7))
    store.save_room_state(changed)
    assert store.room_state(1) == changed
    assert store.room_states() == [changed]


def test_room_state_without_occurrence(store: Store) -> None:
    store.save_room_state(RoomState(1, locked=True))
    assert store.room_state(1) == RoomState(1, None, locked=True)


def test_room_state_of_an_unknown_conference(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.save_room_state(RoomState(99, NOW))


def test_ending_an_occurrence_keeps_the_first_time(store: Store, clock: SettableClock) -> None:
    assert store.occurrence_ended(1, NOW) is None
    clock.now = NOW + timedelta(minutes=20)
    store.end_occurrence(1, NOW)
    clock.now = NOW + timedelta(minutes=30)
    store.end_occurrence(1, NOW)
    assert store.occurrence_ended(1, NOW) == NOW + timedelta(minutes=20)
    assert store.occurrence_ended(1, NOW + timedelta(days=7)) is None
    with pytest.raises(NotFoundError):
        store.end_occurrence(99, NOW)


def test_a_version_1_database_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    assert migrate(Database(connection), MIGRATIONS[:1]) == 1
    connection.close()
    with open_store(path) as upgraded:
        assert upgraded.room_states() == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
