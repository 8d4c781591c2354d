"""Waiting for another program's lock on the database without stopping the other greenlets.

SQLite's own busy handler sleeps inside the C library, which stops the gevent hub and with it
every call of `fs-conf serve`. So connections have no busy timeout, and the few places that
take a lock retry here, pausing through gevent between tries.
Why: docs/store.md#another-program-holds-the-lock
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import gevent

from fs_conf.errors import DatabaseBusyError

BUSY_WAIT_SECONDS = 10.0
"""How long one transaction waits for a lock another program holds before giving up."""

FIRST_PAUSE = 0.002
LONGEST_PAUSE = 0.1
"""Pauses between tries double from the first to the longest: a lock held for a commit
(milliseconds) is taken soon after it goes, a lock held for long costs ten tries a second."""

T = TypeVar("T")


def is_busy(error: sqlite3.Error) -> bool:
    """True for SQLITE_BUSY and its extended codes (another connection holds the lock)."""
    return error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


def patiently(attempt: Callable[[], T], database: str, wait: float) -> T:
    """`attempt()`, tried again while the database is busy, for up to `wait` seconds.

    `attempt` must leave nothing behind when it fails. Raises DatabaseBusyError naming
    `database` when the lock is still held after `wait` seconds.
    """
    deadline = time.monotonic() + wait
    pause = FIRST_PAUSE
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            left = deadline - time.monotonic()
            if not is_busy(error):
                raise
            if left <= 0:
                raise DatabaseBusyError(database, wait) from error
        # gevent.sleep, not time.sleep: it lets the other greenlets run whether or not the
        # process is monkey-patched (the tests and bench/ are not).
        gevent.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE)
