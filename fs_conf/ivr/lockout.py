"""PIN lockout: too many wrong PINs from one caller ID, or on one dialed number, lock it out.

After `pins.lockout_failures` wrong PINs within `pins.lockout_window_minutes`, counted per
caller ID and per dialed number in the store, further calls are refused at once. Only
entered digits count. Why: docs/ivr.md#pin-lockout
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fs_conf.config import PinsConfig
from fs_conf.store import Store

ANONYMOUS = "anonymous"


def lockout_keys(caller_id: str, number: str) -> tuple[str, str]:
    """The two counters a failure from `caller_id` on `number` adds to."""
    return f"caller:{caller_id.strip() or ANONYMOUS}", f"number:{number.removeprefix('+')}"


class Lockout:
    """Counts wrong PINs and says whether a caller or number is locked out."""

    def __init__(self, store: Store, pins: PinsConfig, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._limit = pins.lockout_failures
        self._window = timedelta(minutes=pins.lockout_window_minutes)
        self._clock = clock

    def locked(self, caller_id: str, number: str) -> bool:
        """True when either counter reached the limit within the window."""
        since = self._clock() - self._window
        return any(
            self._store.lockout_count(key, since) >= self._limit
            for key in lockout_keys(caller_id, number)
        )

    def record_failure(self, caller_id: str, number: str) -> None:
        """Count one wrong PIN; entries older than the window are dropped on the way."""
        now = self._clock()
        with self._store.transaction():
            for key in lockout_keys(caller_id, number):
                self._store.lockout_record(key, now)
            self._store.lockout_prune(now - self._window)
