"""1,000 calls that hang up at random points leave no greenlets, sockets, objects or memory
behind.

Memory is measured with tracemalloc, which sees every Python allocation made while it runs:
it is started after a warm-up (caches that fill once, such as compiled expressions, SQLite
statements and gevent's pools, are full by then) and the memory still allocated after the
1,000 calls, from allocations made during them, must be about nothing. A call's flow,
session and events take tens of KiB, so keeping even a small part of every call shows.
Tracing makes every allocation slower (the calls take about four times as long), which is
why only the measured calls are traced.
"""

from __future__ import annotations

import gc
import os
import random
import tracemalloc
from collections import Counter

import gevent
import gevent.pool

from fs_conf.esl import Execution, OutboundSession
from fs_conf.ivr.flow import CallFlow
from fs_conf.model import RoomOptions
from fs_conf.sim import Call
from fs_conf.sim.wire import url_encode

from .conftest import GUEST_PIN, MODERATOR_PIN, TIME_SCALE, WRONG_PIN, Bridge, BridgeFactory

CALLS = 1000
AT_ONCE = 100
WARM_UP = 100
PIN = "conference/conf-pin.wav"

WAIT = 30.0
"""Real seconds a caller waits for the next step: traced, a hundred calls at once are slow."""

MEMORY_LEFT = 256 * 1024
"""Bytes allocated during the 1,000 calls that may still be in use after them, a quarter
KiB a call: bounded caches that keep filling (occurrences, decoded store values, gevent's
loop) take about 150 KiB; keeping one call's channel data alone would take tens of MiB."""


def live_greenlets() -> int:
    """Greenlets spawned by fs_conf, the simulator or gevent's servers and still running.
    (gevent's resolver thread pool grows on demand; its workers are threads, not calls.)"""
    return sum(1 for o in gc.get_objects() if isinstance(o, gevent.Greenlet) and not o.dead)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def instances(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


def snapshot() -> dict[str, int]:
    gc.collect()
    return {
        "greenlets": live_greenlets(),
        "fds": open_fds(),
        "flows": instances(CallFlow),
        "sessions": instances(OutboundSession),
        "executions": instances(Execution),
        "calls": instances(Call),
    }


def walk(call: Call, step: int, rng: random.Random) -> None:
    """Follow the flow up to point `step` (0: not at all, 7: a random short while)."""
    if step == 7:
        gevent.sleep(rng.random() * 0.05)
        return
    if step == 1:
        call.wait_heard("conference/conf-welcome.wav", timeout=WAIT)
    if step >= 2:
        call.wait_heard(PIN, timeout=WAIT)
    if step == 3:
        call.press(GUEST_PIN[:3])
    elif step == 4:
        call.press(WRONG_PIN + "#")
        call.wait_heard("conference/conf-bad-pin.wav", timeout=WAIT)
    elif step in (5, 6):
        call.press(GUEST_PIN + "#" if step == 5 else MODERATOR_PIN)
        call.wait_member(timeout=WAIT)


def hang_up_somewhere(bridge: Bridge, rng: random.Random, reached: Counter[int]) -> None:
    """One caller who gives up at a random point of the flow (or in the room); `reached`
    counts the points that were reached before the hangup."""
    call = bridge.call(caller_id=str(rng.randrange(1000, 9999)))
    step = rng.randrange(8)
    try:
        walk(call, step, rng)
        reached[step] += 1
    except TimeoutError:
        pass
    finally:
        call.hangup()


def calls(bridge: Bridge, count: int, rng: random.Random, reached: Counter[int]) -> None:
    """`count` callers, `AT_ONCE` at a time, each giving up at a random point."""
    pool = gevent.pool.Pool(AT_ONCE)
    for _ in range(count):
        pool.spawn(hang_up_somewhere, bridge, rng, reached)
    pool.join(raise_error=True)
    bridge.wait_calls_gone(timeout=30)


def settle(bridge: Bridge) -> None:
    """Wait until the switch's linger timers of the last calls (`linger` with the IVR's
    command timeout) have run out: the number of live greenlets stops falling."""
    linger = bridge.config.ivr.command_timeout_seconds * TIME_SCALE
    count = live_greenlets()
    while True:
        gevent.sleep(linger * 2)
        now = live_greenlets()
        if now >= count:
            return
        count = now


def calls_memory(bridge: Bridge, rng: random.Random, reached: Counter[int]) -> int:
    """Bytes allocated during `CALLS` calls and still allocated once they are over, from
    places that left more than one block. A place holding a single block is a shared table
    that grew meanwhile (the interpreter's interned strings, a cache's dict) and would have
    grown for any work; whatever each call leaves behind is a block per call. The
    simulator's cache of url-encoded header values (bounded, fs_conf.sim.wire) is the
    switch's, not fs_conf's: it is emptied before the count."""
    tracemalloc.start()
    try:
        calls(bridge, CALLS, rng, reached)
        settle(bridge)
        url_encode.cache_clear()
        gc.collect()
        places = [s for s in tracemalloc.take_snapshot().statistics("lineno") if s.count > 1]
    finally:
        tracemalloc.stop()
    left = sum(place.size for place in places)
    assert left < MEMORY_LEFT, f"{left} bytes of the calls still allocated: {places[:8]}"
    return left


def test_a_thousand_calls_hanging_up_at_random_points_leave_nothing(
    bridge_factory: BridgeFactory,
) -> None:
    bridge = bridge_factory(
        max_calls=AT_ONCE * 2,
        pins={"lockout_failures": 100_000},
        # Traced, the hub can be late by more than the usual PIN timeouts (0.4 s and 0.1 s
        # of real time at the tests' time scale): no caller may time out by accident.
        ivr={"pin_timeout_seconds": 1000, "digit_timeout_seconds": 250},
    )
    bridge.conference(options=RoomOptions(announce_names=True, max_members=AT_ONCE * 2))
    calls(bridge, WARM_UP, random.Random(5), Counter())
    settle(bridge)
    before = snapshot()
    reached: Counter[int] = Counter()
    calls_memory(bridge, random.Random(20300304), reached)
    after = snapshot()
    assert sorted(reached) == list(range(8)) and sum(reached.values()) > CALLS * 0.9
    assert before["flows"] == before["sessions"] == before["executions"] == 0
    assert after == before
    names = bridge.tmp_path / "recordings" / "names"
    assert list(names.iterdir()) == []
    assert bridge.ivr.services.seats.held == {}
