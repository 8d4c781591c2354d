"""Schema version 4: conference and participant ids are never used twice, and a database of
version 3 with data comes through the rebuild with every row, atomically."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import schema_v4_rows

from fs_conf.model import Attendance, Conference, Participant, Role, RoomState
from fs_conf.store import MIGRATIONS, SCHEMA_VERSION, Callout, Mailing, Recipient, Store, open_store
from fs_conf.store.db import Database, migrate
from fs_conf.store.outbox import OutgoingMail

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
START = datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN)
VERSION_BEFORE = 3


def conference(uid: str, people: int) -> Conference:
    return Conference(
        title=f"Sync {uid}",
        start=START,
        timezone="Europe/Berlin",
        duration=timedelta(minutes=45),
        number="3000",
        guest_pin=f"1{uid}4567890"[:9],
        moderator_pin=f"2{uid}45678901"[:10],
        uid=f"{uid}@fs_conf",
        participants=[
            Participant(
                f"P{i}",
                f"p{i}.{uid}@example.org",
                f"10{i}",
                Role.PARTICIPANT,
                f"3{uid}{i}4567890"[:9],
            )
            for i in range(people)
        ],
    )


def old_database(path: Path, steps: int = VERSION_BEFORE) -> Database:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    database = Database(connection)
    assert migrate(database, MIGRATIONS[:steps]) == steps
    return database


def fill_version_3(path: Path) -> int:
    """Rows in every table of a version 3 database; returns the highest participant id ever
    used, whose participant was removed after the scheduler called them."""
    database = old_database(path)
    store = Store(database, clock=lambda: NOW)
    # conferences as version 3 writes them: the store's own code writes the newest schema
    with database.transaction() as connection:
        first = schema_v4_rows.insert_conference(connection, conference("a", 3), NOW)
        second = schema_v4_rows.insert_conference(connection, conference("b", 2), NOW)
    highest = second.participants[-1]
    store.mark_task_done(second.id, START, f"callout:{highest.id}")
    with database.transaction() as connection:
        schema_v4_rows.remove_participant(connection, highest.id)
        schema_v4_rows.add_extension(connection, first.id, START, timedelta(minutes=15))
    attended = store.record_join(
        Attendance(
            first.id, START, "uuid-1", "101", Role.PARTICIPANT, NOW, first.participants[1].id
        )
    )
    store.record_leave(attended, NOW + timedelta(minutes=30))
    store.outbox_add(
        [OutgoingMail(first.id, "p0.a@example.org", "invitation", 0, b"To: p0\r\n\r\nhi")]
    )
    store.add_callout(Callout("call-1", first.id, first.participants[0].id, START, "ab" * 32, NOW))
    store.save_room_state(RoomState(first.id, START, muted_all=True))
    store.end_occurrence(first.id, START)
    store.save_mailing(Mailing(first.id, 0, (Recipient("p0.a@example.org", "P0"),), NOW))
    store.remember_organizer("boss@example.org", "team@example.org", "P0 <p0.a@example.org>")
    store.lockout_record("cid:101", NOW)
    store.close()
    assert highest.id is not None
    return highest.id


def tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (SQLite's own bookkeeping aside), in rowid order."""
    with sqlite3.connect(path) as raw:
        names = [
            row[0]
            for row in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        return {
            name: raw.execute(f"SELECT * FROM {name} ORDER BY rowid").fetchall() for name in names
        }


def schema_sql(path: Path, table: str) -> str:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]


def test_version_3_is_rebuilt_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    fill_version_3(path)
    before = tables(path)
    assert all(
        before[name] for name in ("conferences", "participants", "attendance", "outbox", "callouts")
    )
    assert "AUTOINCREMENT" not in schema_sql(path, "participants")

    # step 4 alone: later steps add tables and columns of their own
    database = old_database(path)
    assert migrate(database, MIGRATIONS[: VERSION_BEFORE + 1]) == VERSION_BEFORE + 1
    database.close()

    assert tables(path) == before
    for table in ("conferences", "participants"):
        assert "AUTOINCREMENT" in schema_sql(path, table)
    with sqlite3.connect(path) as raw:
        assert (
            raw.execute("PRAGMA user_version").fetchone()[0] == VERSION_BEFORE + 1 <= SCHEMA_VERSION
        )
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {
            row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert {
        "conferences_number",
        "conferences_external_number",
        "participants_conference",
    } <= indexes


def test_after_the_migration_no_id_is_used_twice(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    removed = fill_version_3(path)
    with open_store(path, clock=lambda: NOW) as store:
        first, second = store.list_conferences()
        # the participant removed before the migration had the highest id, and the scheduler
        # marked their call-out done: a newcomer must not inherit that mark
        second.participants.append(Participant("New", "new@example.org", "199"))
        newcomer = store.save_conference(second).participants[-1]
        assert newcomer.id is not None and newcomer.id > removed
        # removing the newest participant again frees no id either
        second = store.get_conference(second.id)
        second.participants.pop()
        store.save_conference(second)
        second.participants.append(Participant("Later", "later@example.org"))
        later = store.save_conference(second).participants[-1]
        assert later.id is not None and later.id > newcomer.id
        assert store.add_conference(conference("c", 1)).id == second.id + 1
        # foreign keys are back on for the store's connection
        with pytest.raises(sqlite3.IntegrityError), store.transaction():
            store.record_join(Attendance(999, START, "uuid-9", "1", Role.PARTICIPANT, NOW))


def test_a_new_database_never_reuses_a_participant_id(tmp_path: Path) -> None:
    with open_store(tmp_path / "new.sqlite3", clock=lambda: NOW) as store:
        stored = store.add_conference(conference("a", 2))
        last = stored.participants.pop()
        store.save_conference(stored)
        stored.participants.append(Participant("Next", "next@example.org"))
        assert store.save_conference(stored).participants[-1].id == (last.id or 0) + 1


def test_a_failing_rebuild_leaves_version_3_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    fill_version_3(path)
    before = tables(path)
    database = old_database(path)
    broken = (*MIGRATIONS[:VERSION_BEFORE], (*MIGRATIONS[VERSION_BEFORE], "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(database, broken)
    assert database.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    database.close()
    assert tables(path) == before
    assert "AUTOINCREMENT" not in schema_sql(path, "participants")
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == VERSION_BEFORE
