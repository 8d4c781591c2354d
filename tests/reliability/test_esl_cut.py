"""The inbound Event Socket (FreeSWITCH's port 8021) cut while the rooms are full.

200 callers sit in four rooms and 50 more are in the PIN prompt when FreeSWITCH's Event
Socket listener goes away with every inbound connection (as when mod_event_socket is
reloaded or the link to it breaks) and comes back, after a second or after a longer
outage. The calls are not on that
connection: each has its own outbound socket, and FreeSWITCH keeps calls when an inbound
client goes away. So the callers in the rooms stay there, those in the prompt finish their
PIN entry meanwhile and join (or, with a wrong PIN, hear the goodbye), and once FreeSWITCH
answers again the room controller is back: a moderator's `*1` mutes the room.

The time from the listener's return to the mute is printed (the issue's target is 2 s, for
any length of outage); the test only waits for it, up to `CONTROL_BOUND`.
"""

from __future__ import annotations

import time

import gevent
import gevent.pool
import pytest

from fs_conf.prompts import DEFAULTS
from fs_conf.sim import Call
from fs_conf.sim.inbound import InboundServer
from tests.ivr.conftest import Bridge, BridgeFactory, wait_until

ROOMS = 4
IN_ROOMS = 200
IN_PROMPT = 50
WRONG_PINS = 5
"""Callers in the prompt who type a wrong PIN; one try each, so 5 failures, far below the
lockout of the dialed number."""
OUTAGES = {"brief": 1.0, "long": 20.0}
"""How long FreeSWITCH's Event Socket is gone, in seconds (the prompt callers enter their
PINs meanwhile); the long one outlasts several reconnection attempts."""
CONTROL_BOUND = 6.0
"""How long a moderator's key may take to act after the listener is back: the issue's 2 s
plus 4 s for a loaded CI machine (the figure itself is printed, not asserted)."""
WAIT = 30.0
"""Bound on each caller's next step with 250 calls in one process on a busy machine."""
PIN_PROMPT = "conference/conf-pin.wav"


def guest_pin(room: int) -> str:
    return f"3{room}345678"


def moderator_pin(room: int) -> str:
    return f"4{room}45678901"


def enter(bridge: Bridge, pin: str, caller_id: str) -> Call:
    call = bridge.call(caller_id=caller_id)
    call.wait_heard(PIN_PROMPT, timeout=WAIT)
    call.press(pin + "#")
    call.wait_member(WAIT)
    return call


def fill_rooms(bridge: Bridge) -> tuple[list[Call], list[list[Call]]]:
    """One moderator and the guests in each room, joined through the IVR, 50 at a time."""
    pool = gevent.pool.Pool(50)
    moderators = [
        pool.spawn(enter, bridge, moderator_pin(room), f"1{room}00") for room in range(ROOMS)
    ]
    per_room = IN_ROOMS // ROOMS - 1
    guests = [
        [pool.spawn(enter, bridge, guest_pin(room), f"2{room}{n:03}") for n in range(per_room)]
        for room in range(ROOMS)
    ]
    pool.join(raise_error=True)
    return [g.value for g in moderators], [[g.value for g in room] for room in guests]


def cut(bridge: Bridge) -> tuple[str, int]:
    """Stop FreeSWITCH's Event Socket listener and drop its connections; returns its address."""
    address = bridge.sim.esl_address
    bridge.sim.inbound.stop()
    wait_until(lambda: not bridge.ivr.inbound.connected, timeout=WAIT)
    return address


def listen_again(bridge: Bridge, address: tuple[str, int]) -> None:
    """FreeSWITCH's Event Socket listens again on the same address."""
    host, port = address
    bridge.sim.inbound = InboundServer(bridge.sim.ctx, host, port, bridge.sim.password)
    bridge.sim.inbound.start()


def can_speak(call: Call) -> bool:
    member = call.member
    return member is not None and member.can_speak


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_callers_stay_and_control_returns_after_the_event_socket_is_cut(
    bridge_factory: BridgeFactory, outage: str
) -> None:
    bridge = bridge_factory(
        max_calls=IN_ROOMS + IN_PROMPT + 10,
        pins={"tries_per_call": 1},
        # 300 call-seconds are 6 real seconds here: the prompt callers wait past the outage.
        ivr={"pin_timeout_seconds": 300},
    )
    for room in range(ROOMS):
        bridge.conference(guest_pin=guest_pin(room), moderator_pin=moderator_pin(room))
    moderators, guests = fill_rooms(bridge)
    in_rooms = moderators + [call for room in guests for call in room]
    prompt = [bridge.call(caller_id=f"3{n:03}") for n in range(IN_PROMPT)]
    for call in prompt:
        call.wait_heard(PIN_PROMPT, timeout=WAIT)

    address = cut(bridge)
    cut_at = time.monotonic()
    for n, call in enumerate(prompt):
        call.press(("99999999" if n < WRONG_PINS else guest_pin(n % ROOMS)) + "#")
    for call in prompt[:WRONG_PINS]:
        call.wait_heard(DEFAULTS["goodbye"], timeout=WAIT)
        call.wait_hangup(WAIT)
    for call in prompt[WRONG_PINS:]:
        call.wait_member(WAIT)
    gevent.sleep(max(0.0, cut_at + OUTAGES[outage] - time.monotonic()))
    assert not bridge.ivr.inbound.connected
    assert all(call.alive and call.member is not None for call in in_rooms)

    listen_again(bridge, address)
    back = time.monotonic()
    moderator, room = moderators[0], guests[0]
    # A key pressed before the controller is back is lost (FreeSWITCH has no one to tell),
    # so the moderator presses again, as a person would.
    while any(can_speak(guest) for guest in room):
        assert time.monotonic() - back < CONTROL_BOUND, "*1 did not act after the cut"
        moderator.press("*1")
        gevent.sleep(0.25)
    took = time.monotonic() - back
    moderator.wait_heard(DEFAULTS["muted_all"], timeout=WAIT)
    print(f"\n{outage} outage: Event Socket back -> *1 acted in {took:.2f} s (target 2 s)")
    assert all(can_speak(guest) for other in guests[1:] for guest in other)
    assert all(call.alive and call.member is not None for call in in_rooms + prompt[WRONG_PINS:])
