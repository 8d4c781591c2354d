"""Schema version 5: sittings cancelled or moved on their own (occurrence_overrides) and each
conference's `series_sequence`; a version 4 database with data comes through it with every
row, atomically, and the overrides round-trip through the store."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import schema_v4_rows

from fs_conf.model import Conference, OccurrenceOverride, OverrideStatus, Participant, Role
from fs_conf.store import MIGRATIONS, SCHEMA_VERSION, open_store
from fs_conf.store.db import Database, migrate

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
START = datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN)
VERSION_BEFORE = 4


def conference(uid: str, sequence: int) -> Conference:
    return Conference(
        title=f"Sync {uid}", start=START, timezone="Europe/Berlin", duration=timedelta(minutes=45),
        number="3400", guest_pin=f"1{uid}4567890"[:9], moderator_pin=f"2{uid}45678901"[:10],
        uid=f"{uid}@fs_conf", rrule="FREQ=WEEKLY", sequence=sequence, mailed=sequence > 0,
        participants=[Participant("P", f"p.{uid}@example.org", "101", Role.PARTICIPANT, f"3{uid}4567890"[:9])],
    )  # fmt: skip


def version_4(path: Path) -> Database:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    database = Database(connection)
    assert migrate(database, MIGRATIONS[:VERSION_BEFORE]) == VERSION_BEFORE
    with database.transaction() as writing:
        schema_v4_rows.insert_conference(writing, conference("a", 0), NOW)
        schema_v4_rows.insert_conference(writing, conference("b", 3), NOW)
    return database


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def test_version_4_gains_overrides_and_series_sequence_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    version_4(path).close()
    conferences_before, participants_before = rows(path, "conferences"), rows(path, "participants")

    with open_store(path) as store:
        first, second = store.list_conferences()

    # every old column as it was, the new one last; every change so far was to the series
    assert [row[:-1] for row in rows(path, "conferences")] == conferences_before
    assert [row[-1] for row in rows(path, "conferences")] == [0, 3]
    assert rows(path, "participants") == participants_before
    assert (first.series_sequence, second.series_sequence) == (0, 3)
    assert first.overrides == second.overrides == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_failing_step_5_leaves_version_4_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    database = version_4(path)
    before = rows(path, "conferences")
    broken = (*MIGRATIONS[:VERSION_BEFORE], (*MIGRATIONS[VERSION_BEFORE], "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(database, broken)
    database.close()
    assert rows(path, "conferences") == before
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == VERSION_BEFORE
        tables = {
            row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert "occurrence_overrides" not in tables


def test_overrides_round_trip_in_the_conference_zone(tmp_path: Path) -> None:
    moved = OccurrenceOverride(
        START + timedelta(weeks=4), OverrideStatus.MOVED,
        datetime(2030, 4, 2, 14, 0, tzinfo=UTC), timedelta(minutes=90), sequence=4,
    )  # fmt: skip
    cancelled = OccurrenceOverride(START + timedelta(weeks=1), OverrideStatus.CANCELLED, sequence=3)
    with open_store(tmp_path / "db.sqlite3", clock=lambda: NOW) as store:
        stored = store.add_conference(
            dataclasses.replace(conference("c", 4), overrides=[cancelled, moved], series_sequence=2)
        )
        assert stored.series_sequence == 2
        assert stored.overrides == [cancelled, moved]
        assert stored.overrides[1].start.tzinfo == BERLIN
        assert stored.overrides[1].start.hour == 16  # 14:00 UTC in Berlin summer time
        # saving replaces the set: one removed, none duplicated
        stored.overrides = [moved]
        assert store.save_conference(stored).overrides == [moved]


def test_a_moved_override_needs_its_start_and_duration(tmp_path: Path) -> None:
    with open_store(tmp_path / "db.sqlite3", clock=lambda: NOW) as store:
        stored = store.add_conference(conference("d", 0))
        stored.overrides = [OccurrenceOverride(START, OverrideStatus.MOVED)]
        with pytest.raises(sqlite3.IntegrityError):
            store.save_conference(stored)
        assert store.get_conference(stored.id).overrides == []
