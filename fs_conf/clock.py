"""`SettableClock`: a clock that stands still until its owner moves it.

It fits wherever a `Clock` (a callable returning an aware datetime, see `fs_conf.store`)
is taken. The demo moves it from step to step instead of waiting; tests move it to put
the IVR, the store and the scheduler at the moment they check.
"""

from __future__ import annotations

from datetime import datetime, timedelta


class SettableClock:
    """Returns `now` when called; set `now`, or call `at` or `advance`, to move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> datetime:
        """Move to `moment`; returns it."""
        self.now = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)`, e.g. `advance(minutes=5)`; returns the new now."""
        self.now += timedelta(**delta)
        return self.now
