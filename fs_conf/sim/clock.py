"""Simulated time: every duration the simulator waits is multiplied by one scale factor.

FreeSWITCH timings (prompt lengths, play_and_get_digits timeouts, sleep, linger) are given in
"call seconds"; `time_scale` turns them into real seconds so tests can run a 10-second call
in a few milliseconds. Timestamps in events stay wall-clock time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import gevent
from gevent.event import Event as GEvent


@dataclass
class Clock:
    """Scaled waits; `time_scale` 1.0 is real time, 0.01 runs a hundred times faster."""

    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError(f"time_scale must be positive (got {self.time_scale!r})")

    def real(self, call_seconds: float) -> float:
        return max(call_seconds, 0.0) * self.time_scale

    def sleep(self, call_seconds: float) -> None:
        gevent.sleep(self.real(call_seconds))

    def wait(self, event: GEvent, call_seconds: float | None) -> bool:
        """Wait for a gevent Event at most `call_seconds` (None: forever); True if it is set."""
        timeout = None if call_seconds is None else self.real(call_seconds)
        return bool(event.wait(timeout))

    @staticmethod
    def now() -> float:
        return time.time()

    def call_seconds_since(self, real_start: float) -> float:
        """Convert a real elapsed interval back into call seconds."""
        return (time.monotonic() - real_start) / self.time_scale
