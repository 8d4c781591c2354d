"""The SQLite connection: settings, nestable transactions and schema migration.

Transactions take the write lock up front (`BEGIN IMMEDIATE`) and nest as SAVEPOINTs; work
inside one must not wait on the network (docs/store.md says why).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fs_conf.errors import ValidationError
from fs_conf.store.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another process's write lock before giving up."""


class Database:
    """A SQLite connection with nestable transactions (docs/store.md)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block atomically: all its writes are committed together or none are."""
        with self._lock:
            if self._depth == 0:
                yield from self._outermost("BEGIN IMMEDIATE")
            else:
                yield from self._savepoint()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (a read transaction unless already in one)."""
        with self._lock:
            if self._depth == 0:
                yield from self._outermost("BEGIN DEFERRED")
            else:
                yield self.connection

    def close(self) -> None:
        with self._lock:
            self.connection.close()

    def _outermost(self, begin: str) -> Iterator[sqlite3.Connection]:
        self.connection.execute(begin)
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


def connect(path: str | Path) -> Database:
    """Open (creating if needed) the database file at `path` and bring its schema up to date.

    Raises ValidationError on the `database` key when the file cannot be used.
    """
    try:
        connection = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise ValidationError("database", str(path), f"cannot open SQLite database: {exc}") from exc
    try:
        _configure(connection)
        database = Database(connection)
        migrate(database)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise ValidationError("database", str(path), f"cannot use SQLite database: {exc}") from exc
    except ValidationError:
        connection.close()
        raise
    return database


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
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


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
