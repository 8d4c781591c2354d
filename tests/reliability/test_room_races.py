"""A room event that comes after the caller or the whole room has gone is no error.

The room controller acts on a room event when it reaches it; by then the caller may have
hung up, and the room may be gone with them: a guest who joins after "mute all" and leaves at
once, a moderator who presses `*1` and hangs up. mod_conference then answers
`-ERR Non-Existant ID` or `-ERR Conference ... not found`: nothing is left to do and nothing
for an admin to look at (found by bench/soak.py, whose callers all leave at its end). The
tests hold the controller's `mute` back until the callers have gone, so the race always goes
the same way.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import gevent
import gevent.event
import pytest

from fs_conf.config import Config
from fs_conf.esl import InboundESL
from fs_conf.ivr.room_control import RoomController
from fs_conf.prompts import DEFAULTS
from fs_conf.sim import Call, SimConfig, Simulator
from fs_conf.store import open_store
from tests.ivr.test_room_keypad import CONFERENCE_CONF, DIALPLAN, NOW, ROOM, make_conference

WAIT = 5.0
LOGGER = "fs_conf.ivr.room_control"


class HeldMutes(InboundESL):
    """An inbound connection that, while `holding`, sends `conference <room> mute ...` only
    once `release` is set."""

    def __init__(self, host: str, port: int, password: str) -> None:
        super().__init__(host, port, password)
        self.holding = False
        self.held = gevent.event.Event()
        self.release = gevent.event.Event()
        self.sent_late = gevent.event.Event()

    def api(self, command: str, timeout: float | None = None) -> str:
        if not (self.holding and command.startswith(f"conference {ROOM} mute ")):
            return super().api(command, timeout)
        self.held.set()
        self.release.wait(WAIT)
        try:
            return super().api(command, timeout)
        finally:
            self.sent_late.set()


@pytest.fixture
def switch(tmp_path: Path) -> Iterator[tuple[Simulator, HeldMutes]]:
    dialplan = tmp_path / "dialplan.xml"
    dialplan.write_text(DIALPLAN, encoding="utf-8")
    sim = Simulator(
        SimConfig(dialplan=dialplan, conference_config=CONFERENCE_CONF, time_scale=0.01)
    ).start()
    store = open_store(tmp_path / "fs_conf.sqlite3", clock=lambda: NOW)
    store.add_conference(make_conference())
    config = dataclasses.replace(Config(), database=str(tmp_path / "fs_conf.sqlite3"))
    esl = HeldMutes(*sim.esl_address, sim.password)
    esl.connect()
    controller = RoomController(config, store, esl, clock=lambda: NOW)
    controller.start()
    try:
        yield sim, esl
    finally:
        controller.stop()
        esl.stop()
        sim.stop()
        store.close()


def join(sim: Simulator, who: str, caller_id: str) -> Call:
    call = sim.call(f"{who}-1", caller_id=caller_id)
    call.wait_member(WAIT)
    return call


def leave(call: Call) -> None:
    call.hangup()
    call.wait_hangup(WAIT)


def released(esl: HeldMutes, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Let the held mute go; the room controller's log records from then on."""
    with caplog.at_level(logging.INFO, logger=LOGGER):
        esl.release.set()
        assert esl.sent_late.wait(WAIT)
        gevent.sleep(0.1)
    return [record for record in caplog.records if record.name == LOGGER]


def problems(records: list[logging.LogRecord]) -> list[str]:
    return [record.getMessage() for record in records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("last", [False, True], ids=["room-stays", "room-gone"])
def test_a_guest_gone_before_the_late_mute_is_no_error(
    switch: tuple[Simulator, HeldMutes], caplog: pytest.LogCaptureFixture, last: bool
) -> None:
    sim, esl = switch
    moderator = join(sim, "mod", "+4930100")
    moderator.press("*1")
    moderator.wait_heard(DEFAULTS["muted_all"], timeout=WAIT)
    esl.holding = True
    leave(join(sim, "part", "+4930201"))
    if last:
        leave(moderator)
        assert sim.room(ROOM) is None
    records = released(esl, caplog)
    assert problems(records) == []
    expected = "came after the room closed" if last else "left before the mute"
    assert any(expected in record.getMessage() for record in records)


def test_a_key_from_a_room_that_closed_before_it_acted_is_no_error(
    switch: tuple[Simulator, HeldMutes], caplog: pytest.LogCaptureFixture
) -> None:
    sim, esl = switch
    moderator = join(sim, "mod", "+4930100")
    esl.holding = True
    moderator.press("*1")
    assert esl.held.wait(WAIT)
    leave(moderator)
    assert sim.room(ROOM) is None
    records = released(esl, caplog)
    assert problems(records) == []
    assert any("came after the room closed" in record.getMessage() for record in records)


def test_a_key_lost_with_the_event_socket_is_a_warning_not_an_error(
    switch: tuple[Simulator, HeldMutes], caplog: pytest.LogCaptureFixture
) -> None:
    """The connection's end is itself warned of (the IVR server reconnects); the key it took
    along is worth a warning, not an error an admin must act on."""
    sim, esl = switch
    moderator = join(sim, "mod", "+4930100")
    esl.holding = True
    moderator.press("*1")
    assert esl.held.wait(WAIT)
    for connection in list(sim.inbound.connections):
        connection.abort()
    assert esl.disconnected.wait(WAIT)
    records = released(esl, caplog)
    assert [r.levelname for r in records if r.levelno >= logging.WARNING] == ["WARNING"]
    assert "not acted on" in problems(records)[0]
