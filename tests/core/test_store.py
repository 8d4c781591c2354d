"""The SQLite store: migrations, round trips of every table, transactions and their nesting."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fs_conf.errors import NotFoundError, ValidationError
from fs_conf.model import (
    Attendance,
    Conference,
    ConferenceStatus,
    Participant,
    ParticipantStatus,
    Role,
    RoomOptions,
)
from fs_conf.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    OutboxStatus,
    OutgoingMail,
    Store,
    open_store,
    outbox_key,
)
from fs_conf.store.db import connect, migrate

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)


def sample(uid: str = "abc@fs_conf", **changes: object) -> Conference:
    conference = Conference(
        title="Weekly sync",
        start=datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        duration=timedelta(minutes=45),
        number="3000",
        external_number="+4930555000",
        guest_pin="01234567",
        moderator_pin="0098765432",
        uid=uid,
        lead=timedelta(minutes=5),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        exdates=[datetime(2030, 3, 11, 10, 0, tzinfo=BERLIN)],
        description="Agenda in the wiki",
        location="Room 1",
        organizer="boss@example.org",
        reply_to="team@example.org",
        options=RoomOptions(start_muted=True, max_members=12),
        participants=[
            Participant("Ann", "ann@example.org", "+4930111", Role.MODERATOR, "00112233", True),
            Participant("Bob", "bob@example.org", None, Role.PARTICIPANT, "01010101"),
            Participant("Cy", None, "1001", Role.PARTICIPANT, "07777777"),
        ],
    )
    for name, value in changes.items():
        setattr(conference, name, value)
    return conference


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "fs_conf.sqlite3", clock=lambda: NOW)
    yield opened
    opened.close()


def test_migrates_an_empty_file_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        tables = {
            row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {
        "conferences",
        "participants",
        "extensions",
        "attendance",
        "outbox",
        "organizer_memory",
        "lockout",
    } <= tables


def test_a_zero_byte_file_is_migrated_like_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "touched.sqlite3"
    path.touch()
    with open_store(path) as store:
        assert store.list_conferences() == []
        assert store.add_conference(sample()).id == 1


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with open_store(path) as first:
        stored = first.add_conference(sample())
    with open_store(path) as second:
        assert second.get_conference(stored.id) == stored
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_migration_runs_only_the_missing_steps(tmp_path: Path) -> None:
    database = connect(tmp_path / "db.sqlite3")
    later = (*MIGRATIONS, ("CREATE TABLE later_step (x INTEGER)",))
    assert migrate(database, later) == SCHEMA_VERSION + 1
    assert migrate(database, later) == SCHEMA_VERSION + 1
    names = [row[0] for row in database.connection.execute("SELECT name FROM sqlite_master")]
    assert names.count("later_step") == 1
    database.close()


def test_a_failing_migration_step_leaves_the_old_version(tmp_path: Path) -> None:
    database = connect(tmp_path / "db.sqlite3")
    broken = (*MIGRATIONS, ("CREATE TABLE half (x INTEGER)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(database, broken)
    connection = database.connection
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert connection.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None
    database.close()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(ValidationError) as error:
        open_store(path)
    assert error.value.field == "database"
    assert "newer fs_conf" in error.value.problem


def test_a_file_that_is_not_sqlite_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database, just some text that is long enough" * 20)
    with pytest.raises(ValidationError) as error:
        open_store(path)
    assert error.value.field == "database"
    assert error.value.value == str(path)


def test_a_missing_folder_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as error:
        open_store(tmp_path / "no" / "such" / "db.sqlite3")
    assert error.value.field == "database"


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store._db.connection.execute(
            "INSERT INTO participants (conference_id, position, name, role, pin, status)"
            " VALUES (999, 0, 'x', 'participant', '1', 'invited')"
        )


def test_conference_round_trip_keeps_every_field(store: Store) -> None:
    original = sample()
    stored = store.add_conference(original)
    assert stored.id is not None
    assert all(p.id is not None for p in stored.participants)
    assert [p.name for p in stored.participants] == ["Ann", "Bob", "Cy"]
    loaded = store.get_conference(stored.id)
    assert loaded == stored
    original.id = stored.id
    for mine, theirs in zip(original.participants, stored.participants, strict=True):
        mine.id = theirs.id
    assert loaded == original
    assert loaded.start.tzinfo == BERLIN
    assert loaded.exdates[0].tzinfo == BERLIN


def test_pins_keep_leading_zeros(store: Store) -> None:
    stored = store.get_conference(store.add_conference(sample()).id)
    assert stored.guest_pin == "01234567"
    assert stored.moderator_pin == "0098765432"
    assert stored.participants[0].pin == "00112233"


def test_add_conference_refuses_objects_that_already_have_ids(store: Store) -> None:
    with pytest.raises(ValueError):
        store.add_conference(sample(id=3))


def test_unknown_conference_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError) as error:
        store.get_conference(42)
    assert error.value.exit_status == 1
    with pytest.raises(NotFoundError):
        store.save_conference(sample(id=42))
    with pytest.raises(NotFoundError):
        store.set_status(42, ConferenceStatus.CANCELLED)


def test_find_by_number_matches_internal_and_external_and_skips_cancelled(store: Store) -> None:
    first = store.add_conference(sample("one@fs_conf"))
    second = store.add_conference(sample("two@fs_conf", number="3001", external_number=""))
    assert [c.id for c in store.find_by_number("3000")] == [first.id]
    assert [c.id for c in store.find_by_number("+4930555000")] == [first.id]
    assert [c.id for c in store.find_by_number("3001")] == [second.id]
    store.set_status(first.id, ConferenceStatus.CANCELLED)
    assert store.find_by_number("3000") == []
    assert [c.id for c in store.find_by_number("3000", include_cancelled=True)] == [first.id]


def test_list_conferences_hides_cancelled_unless_asked(store: Store) -> None:
    kept = store.add_conference(sample("one@fs_conf"))
    gone = store.add_conference(sample("two@fs_conf"))
    store.set_status(gone.id, ConferenceStatus.CANCELLED)
    assert [c.id for c in store.list_conferences()] == [kept.id]
    assert [c.id for c in store.list_conferences(include_cancelled=True)] == [kept.id, gone.id]


def test_uid_is_unique(store: Store) -> None:
    store.add_conference(sample())
    with pytest.raises(sqlite3.IntegrityError):
        store.add_conference(sample())
    assert len(store.list_conferences()) == 1


def test_save_keeps_participant_ids_adds_and_removes(store: Store) -> None:
    stored = store.add_conference(sample())
    ann, bob, cy = stored.participants
    bob.name = "Robert"
    stored.participants = [cy, bob, Participant("Dee", "dee@example.org", pin="55555555")]
    stored.title = "Renamed"
    stored.sequence = 3
    saved = store.save_conference(stored)
    assert [p.name for p in saved.participants] == ["Cy", "Robert", "Dee"]
    assert [p.id for p in saved.participants[:2]] == [cy.id, bob.id]
    assert saved.participants[2].id not in (ann.id, bob.id, cy.id)
    reloaded = store.get_conference(stored.id)
    assert reloaded == saved
    assert (reloaded.title, reloaded.sequence) == ("Renamed", 3)
    count = store._db.connection.execute("SELECT count(*) FROM participants").fetchone()[0]
    assert count == 3


def test_save_refuses_a_participant_of_another_conference(store: Store) -> None:
    first = store.add_conference(sample("one@fs_conf"))
    second = store.add_conference(sample("two@fs_conf"))
    second.participants.append(first.participants[0])
    with pytest.raises(NotFoundError):
        store.save_conference(second)
    assert store.get_conference(second.id).participants == second.participants[:-1]
    assert store.get_conference(first.id) == first


def test_set_status_mailed_and_participant_status(store: Store) -> None:
    stored = store.add_conference(sample())
    store.set_status(stored.id, ConferenceStatus.CANCELLED)
    store.set_mailed(stored.id)
    store.set_participant_status(stored.participants[1].id, ParticipantStatus.JOINED)
    loaded = store.get_conference(stored.id)
    assert loaded.status is ConferenceStatus.CANCELLED
    assert loaded.mailed is True
    assert loaded.participants[1].status is ParticipantStatus.JOINED
    with pytest.raises(NotFoundError):
        store.set_participant_status(9999, ParticipantStatus.LEFT)


def test_extensions_add_up_per_occurrence_and_survive_saves(store: Store) -> None:
    stored = store.add_conference(sample())
    first = stored.start
    second = first + timedelta(weeks=1)
    assert store.add_extension(stored.id, first, 15) == timedelta(minutes=15)
    assert store.add_extension(stored.id, first.astimezone(UTC), 15) == timedelta(minutes=30)
    store.add_extension(stored.id, second, 5)
    store.save_conference(stored)
    assert store.get_conference(stored.id).extensions == {
        first: timedelta(minutes=30),
        second: timedelta(minutes=5),
    }
    with pytest.raises(NotFoundError):
        store.add_extension(999, first, 15)


def test_attendance_join_and_leave(store: Store) -> None:
    stored = store.add_conference(sample())
    start = stored.start
    ann = stored.participants[0]
    joined = Attendance(stored.id, start, "uuid-1", "+4930111", Role.MODERATOR, NOW, ann.id)
    guest = Attendance(stored.id, start, "uuid-2", "0301234", Role.PARTICIPANT, NOW)
    first_id = store.record_join(joined)
    store.record_join(guest)
    store.record_join(
        Attendance(stored.id, start + timedelta(weeks=1), "u3", "1", Role.PARTICIPANT, NOW)
    )
    store.record_leave(first_id, NOW + timedelta(minutes=20))
    store.record_leave(first_id, NOW + timedelta(minutes=30))
    rows = store.attendance_for(stored.id, start)
    assert [(r.call_uuid, r.participant_id) for r in rows] == [("uuid-1", ann.id), ("uuid-2", None)]
    assert rows[0].left_at == NOW + timedelta(minutes=20)
    assert rows[1].left_at is None
    with pytest.raises(NotFoundError):
        store.record_leave(12345, NOW)


def test_removing_a_participant_keeps_their_attendance_as_a_guest(store: Store) -> None:
    stored = store.add_conference(sample())
    bob = stored.participants[1]
    store.record_join(
        Attendance(stored.id, stored.start, "uuid", "1", Role.PARTICIPANT, NOW, bob.id)
    )
    stored.participants.remove(bob)
    store.save_conference(stored)
    assert [r.participant_id for r in store.attendance_for(stored.id, stored.start)] == [None]


def mail(
    conference_id: int, recipient: str, kind: str = "invitation", sequence: int = 0
) -> OutgoingMail:
    return OutgoingMail(
        conference_id, recipient, kind, sequence, f"To: {recipient}\r\n\r\nhi".encode()
    )


def test_outbox_ignores_keys_it_already_has(store: Store) -> None:
    conference_id = store.add_conference(sample()).id
    batch = [mail(conference_id, "ann@example.org"), mail(conference_id, "bob@example.org")]
    assert store.outbox_add(batch) == 2
    assert store.outbox_add([*batch, mail(conference_id, "ann@example.org", sequence=1)]) == 1
    entries = store.outbox_list()
    assert [e.key for e in entries] == [
        f"{conference_id}/ann@example.org/invitation/0",
        f"{conference_id}/bob@example.org/invitation/0",
        f"{conference_id}/ann@example.org/invitation/1",
    ]
    assert entries[0].message == b"To: ann@example.org\r\n\r\nhi"
    assert entries[0].status is OutboxStatus.PENDING
    assert entries[0].created_at == NOW


def test_outbox_key_includes_the_occurrence_when_given() -> None:
    occurrence = datetime(2030, 3, 4, 10, 0, tzinfo=BERLIN)
    assert outbox_key(7, "Ann@Example.org", "reminder", 2, occurrence) == (
        "7/ann@example.org/reminder/2/2030-03-04T09:00:00.000000+00:00"
    )


def test_outbox_delivery_states(store: Store) -> None:
    conference_id = store.add_conference(sample()).id
    store.outbox_add([mail(conference_id, f"p{i}@example.org") for i in range(3)])
    first, second, third = store.outbox_due(NOW, limit=10)
    assert len(store.outbox_due(NOW, limit=2)) == 2
    store.outbox_mark_sent(first.id, NOW)
    store.outbox_mark_retry(second.id, "451 try later", NOW + timedelta(minutes=1))
    store.outbox_mark_failed(third.id, "550 no such user")
    assert store.outbox_due(NOW, 10) == []
    [retry] = store.outbox_due(NOW + timedelta(minutes=1), 10)
    assert (retry.id, retry.attempts, retry.last_error) == (second.id, 1, "451 try later")
    assert [e.id for e in store.outbox_list(OutboxStatus.SENT)] == [first.id]
    assert store.outbox_list(OutboxStatus.SENT)[0].sent_at == NOW
    assert [e.id for e in store.outbox_list(OutboxStatus.FAILED)] == [third.id]
    assert [e.id for e in store.outbox_list(OutboxStatus.PENDING)] == [second.id]
    with pytest.raises(NotFoundError):
        store.outbox_mark_sent(999, NOW)


def test_outbox_add_is_atomic_with_the_change_that_caused_it(store: Store) -> None:
    stored = store.add_conference(sample())
    stored.sequence = 1
    with pytest.raises(RuntimeError), store.transaction():
        store.save_conference(stored)
        store.outbox_add([mail(stored.id, "ann@example.org", sequence=1)])
        raise RuntimeError("renderer crashed")
    assert store.get_conference(stored.id).sequence == 0
    assert store.outbox_list() == []


def test_nested_transaction_failure_undoes_only_the_inner_block(store: Store) -> None:
    with store.transaction():
        kept = store.add_conference(sample("kept@fs_conf"))
        with pytest.raises(RuntimeError), store.transaction():
            store.add_conference(sample("dropped@fs_conf"))
            raise RuntimeError("inner")
        store.set_mailed(kept.id)
    assert [(c.uid, c.mailed) for c in store.list_conferences()] == [("kept@fs_conf", True)]


def test_an_outer_failure_undoes_committed_inner_blocks(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            store.add_conference(sample())
        raise RuntimeError("outer")
    assert store.list_conferences() == []


def test_a_second_connection_does_not_see_uncommitted_work(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with open_store(path) as writer, open_store(path) as reader:
        with writer.transaction():
            writer.add_conference(sample())
            assert reader.list_conferences() == []
        assert len(reader.list_conferences()) == 1


def test_organizer_memory(store: Store) -> None:
    assert store.recall_organizer("boss@example.org") is None
    store.remember_organizer("Boss@Example.org", "team@example.org", "Ann <ann@example.org>")
    store.remember_organizer("boss@example.org", "desk@example.org", "Bob <bob@example.org>")
    memory = store.recall_organizer("BOSS@example.org")
    assert (memory.reply_to, memory.first_invitee) == ("desk@example.org", "Bob <bob@example.org>")


def test_lockout_counts_within_a_window_and_prunes(store: Store) -> None:
    for minutes in (0, 10, 20, 30):
        store.lockout_record("cid:+4930111", NOW + timedelta(minutes=minutes))
    store.lockout_record("number:3000", NOW)
    assert store.lockout_count("cid:+4930111", NOW + timedelta(minutes=10)) == 3
    assert store.lockout_count("cid:+4930111", NOW) == 4
    assert store.lockout_count("cid:other", NOW) == 0
    assert store.lockout_prune(NOW + timedelta(minutes=15)) == 3
    assert store.lockout_count("cid:+4930111", NOW) == 2


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.add_conference(sample(start=datetime(2030, 3, 4, 10, 0)))
    assert store.list_conferences() == []
