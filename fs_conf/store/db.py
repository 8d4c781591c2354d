"""The SQLite connection: settings, nestable transactions and schema migration.

Transactions take the write lock up front (`BEGIN IMMEDIATE`) and nest as SAVEPOINTs; work
inside one must not wait on the network. A lock another program holds is waited for without
stopping the other greenlets (`store.busy`). Why: docs/store.md
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fs_conf.errors import FsConfError, ValidationError
from fs_conf.store.busy import BUSY_WAIT_SECONDS, patiently
from fs_conf.store.migrations import MIGRATIONS

PRIVATE_FILE = 0o600
"""A new database file's permissions: it holds every PIN (docs/store.md#permissions)."""


class Database:
    """A SQLite connection with nestable transactions (docs/store.md).

    A transaction waits up to `busy_wait` seconds for a lock another connection holds.
    """

    def __init__(
        self, connection: sqlite3.Connection, busy_wait: float = BUSY_WAIT_SECONDS
    ) -> None:
        self.connection = connection
        self.busy_wait = busy_wait
        self.file: str = connection.execute("PRAGMA database_list").fetchone()[2]
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block atomically: all its writes are committed together or none are."""
        outermost = self._take_turn(_begin_writing)
        try:
            if outermost:
                yield from self._outermost()
            else:
                yield from self._savepoint()
        finally:
            self._lock.release()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (a read transaction unless already in one)."""
        outermost = self._take_turn(_begin_reading)
        try:
            if outermost:
                yield from self._outermost()
            else:
                yield self.connection
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self.connection.close()

    def _take_turn(self, begin: Callable[[sqlite3.Connection], None]) -> bool:
        """Take this connection's lock and, outside a transaction, begin one; True if begun.

        While SQLite's lock is held elsewhere, the turn is given up between tries, so that
        other greenlets may read through this connection meanwhile.
        """

        def attempt() -> bool:
            self._lock.acquire()
            try:
                if self._depth == 0:
                    begin(self.connection)
                    return True
            except BaseException:
                self._lock.release()
                raise
            return False

        return patiently(attempt, self.file, self.busy_wait)

    def _outermost(self) -> Iterator[sqlite3.Connection]:
        self._depth = 1
        try:
            yield self.connection
        except BaseException:
            self._depth = 0
            self.connection.execute("ROLLBACK")
            raise
        self._depth = 0
        self.connection.execute("COMMIT")

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        name = f"sp{self._depth}"
        self.connection.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self.connection
        except BaseException:
            self._depth -= 1
            self.connection.execute(f"ROLLBACK TO {name}")
            self.connection.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        self.connection.execute(f"RELEASE {name}")


def _begin_writing(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")


def _begin_reading(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN DEFERRED")
    try:
        # Take the snapshot now: a lock that keeps readers out (WAL recovery, a program in
        # `locking_mode=EXCLUSIVE`) is then met here, where it is waited for, not half-way.
        connection.execute("PRAGMA schema_version").fetchone()
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def connect(path: str | Path, busy_wait: float = BUSY_WAIT_SECONDS) -> Database:
    """Open (creating if needed) the database file at `path` and bring its schema up to date.

    Raises ValidationError on the `database` key when the file cannot be used, and
    DatabaseBusyError when another program holds its lock for longer than `busy_wait` s.
    """
    _create_private(path)
    try:
        # No busy timeout: SQLite's busy handler would sleep with every greenlet stopped;
        # fs_conf.store.busy waits instead.
        connection = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=0
        )
    except sqlite3.Error as exc:
        raise ValidationError("database", str(path), f"cannot open SQLite database: {exc}") from exc
    try:
        database = Database(connection, busy_wait)
        patiently(lambda: _configure(connection), database.file, busy_wait)
        migrate(database)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise ValidationError("database", str(path), f"cannot use SQLite database: {exc}") from exc
    except FsConfError:
        connection.close()
        raise
    return database


def _create_private(path: str | Path) -> None:
    """Create the database file for its owner alone; SQLite then gives its `-wal` and `-shm`
    files the same permissions. An existing file keeps the permissions its admin chose."""
    if str(path) in ("", ":memory:"):  # SQLite's databases without a file
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    except OSError as exc:
        raise ValidationError(
            "database", str(path), f"cannot create SQLite database: {exc.strerror}"
        ) from exc
    try:
        os.fchmod(descriptor, PRIVATE_FILE)  # exactly these, whatever the umask took away
    finally:
        os.close(descriptor)


def _configure(connection: sqlite3.Connection) -> None:
    # WAL lets the IVR read while the CLI or scheduler writes. NORMAL (no fsync per commit,
    # the WAL is synced at each checkpoint) keeps every commit across a killed process and the
    # file consistent across a power cut, which may only undo the last commits before it. FULL
    # would also keep those, at the price of an fsync per commit that stalls the gevent hub,
    # and with it every call, for milliseconds each time: a mail whose "sent" mark a power cut
    # undid is sent again with the same Message-ID, as after any crash (fs_conf.mail.delivery).
    connection.execute("PRAGMA journal_mode = WAL").fetchone()
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row the INSERT just run on `cursor` added."""
    row_id = cursor.lastrowid
    if row_id is None:  # sqlite3 leaves it None only on a cursor that never inserted a row
        raise TypeError("the statement inserted no row")
    return row_id


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(database: Database, steps: tuple[tuple[str, ...], ...] = MIGRATIONS) -> int:
    """Run the steps the database has not seen yet, each with its version bump in one
    transaction; returns the resulting version. Safe when several processes open at once:
    the version is re-read under the write lock.

    Foreign keys are off while steps run, and checked before each step commits: a step
    that rebuilds a table (SQLite's way to change a primary key) drops the old one, and
    with foreign keys on that drop would first delete, through ON DELETE CASCADE, every
    row that refers to it. The pragma only takes effect outside a transaction.
    """
    with database.reading() as connection:
        version = schema_version(connection)
    if version > len(steps):
        raise ValidationError(
            "database",
            f"schema version {version}",
            f"written by a newer fs_conf (this one knows up to version {len(steps)})",
        )
    if version == len(steps):
        return version
    database.connection.execute("PRAGMA foreign_keys = OFF")
    try:
        while version < len(steps):
            with database.transaction() as connection:
                version = schema_version(connection)
                if version >= len(steps):
                    break
                for statement in steps[version]:
                    connection.execute(statement)
                _check_foreign_keys(connection, version + 1)
                version += 1
                connection.execute(f"PRAGMA user_version = {version}")
    finally:
        database.connection.execute("PRAGMA foreign_keys = ON")
    return version


def _check_foreign_keys(connection: sqlite3.Connection, version: int) -> None:
    broken = connection.execute("PRAGMA foreign_key_check").fetchone()
    if broken is not None:
        table, rowid, parent, _ = broken
        raise sqlite3.IntegrityError(
            f"migration to schema version {version} leaves row {rowid} of {table}"
            f" pointing to a missing row of {parent}"
        )
