"""1,000 calls that hang up at random points leave no greenlets, sockets or objects behind."""

from __future__ import annotations

import gc
import os
import random
from collections import Counter

import gevent
import gevent.pool

from fs_conf.esl import Execution, OutboundSession
from fs_conf.ivr.flow import CallFlow
from fs_conf.model import RoomOptions
from fs_conf.sim import Call

from .conftest import GUEST_PIN, MODERATOR_PIN, WRONG_PIN, Bridge, BridgeFactory, wait_until

CALLS = 1000
AT_ONCE = 100
PIN = "conference/conf-pin.wav"


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
        call.wait_heard("conference/conf-welcome.wav")
    if step >= 2:
        call.wait_heard(PIN)
    if step == 3:
        call.press(GUEST_PIN[:3])
    elif step == 4:
        call.press(WRONG_PIN + "#")
        call.wait_heard("conference/conf-bad-pin.wav")
    elif step in (5, 6):
        call.press(GUEST_PIN + "#" if step == 5 else MODERATOR_PIN)
        call.wait_member()


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


def test_a_thousand_calls_hanging_up_at_random_points_leave_nothing(
    bridge_factory: BridgeFactory,
) -> None:
    bridge = bridge_factory(max_calls=AT_ONCE * 2, pins={"lockout_failures": 100_000})
    bridge.conference(options=RoomOptions(announce_names=True))
    rng = random.Random(20300304)
    reached: Counter[int] = Counter()
    hang_up_somewhere(bridge, random.Random(5), Counter())
    bridge.wait_calls_gone()
    before = snapshot()
    pool = gevent.pool.Pool(AT_ONCE)
    for _ in range(CALLS):
        pool.spawn(hang_up_somewhere, bridge, rng, reached)
    pool.join(raise_error=True)
    bridge.wait_calls_gone(timeout=30)
    assert sorted(reached) == list(range(8)) and sum(reached.values()) > CALLS * 0.9
    # The switch's linger timers (Linger-Time of the last calls) run out on their own.
    wait_until(lambda: live_greenlets() <= before["greenlets"], timeout=10)
    after = snapshot()
    assert before["flows"] == before["sessions"] == before["executions"] == 0
    assert after["greenlets"] <= before["greenlets"]
    assert {**after, "greenlets": 0} == {**before, "greenlets": 0}
    names = bridge.tmp_path / "recordings" / "names"
    assert list(names.iterdir()) == []
