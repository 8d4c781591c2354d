"""`fs-conf serve` restarted while rooms run: the new process adopts the running rooms.

FreeSWITCH keeps a caller in `conference` when the IVR's call socket goes away
(mod_event_socket.c only clears CF_CONTROLLED, the conference application runs on), so a
restart of fs_conf, stopped politely (SIGTERM, as `systemctl restart` does) or killed, leaves
the rooms full. The process started next must carry on with them: the moderators' keys act,
the scheduler warns the room before the end and removes everyone at the end, and the
attendance record closes each stay when its caller leaves.

The simulator runs in this process; `fs-conf serve` runs as the console command in a process
of its own, twice, on the same database and ports. While fs_conf is down, one guest hangs up
and the test moves the end 20 s ahead: the warning (a minute before the end) is then due at
once, and the new process plays it and ends the room within the test. Every wait is bounded.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fs_conf.ivr.room_names import room_name
from fs_conf.model import Conference
from fs_conf.prompts import DEFAULTS
from fs_conf.sim import Call, SimConfig, Simulator
from fs_conf.store import open_store
from tests.cli.test_serve import free_port, listening
from tests.ivr.conftest import (
    GUEST_PIN,
    MODERATOR_PIN,
    SHIPPED_CONFERENCE,
    TIME_SCALE,
    wait_until,
    write_dialplan,
)

GUESTS = 3
END_AFTER_RESTART = timedelta(seconds=20)
"""Where the test moves the end while fs_conf is down: the one-minute warning is then due at
once, and the keys have this long to be tried before the end removes everyone."""
WAIT = 20.0
"""The bound on each wait for a process or a key: far above what it takes on a loaded
machine, so a wait that runs out means it did not happen."""


@dataclasses.dataclass
class Rig:
    """The simulator, the configuration file of `fs-conf serve` and the conference."""

    sim: Simulator
    config_file: Path
    database: Path
    port: int
    conference: Conference

    @property
    def room(self) -> str:
        return room_name(self.conference.stored_id)

    def controller_connected(self) -> bool:
        """Whether a room controller is logged in and subscribed on the Event Socket."""
        return any(c.authed and c.sub.enabled for c in list(self.sim.inbound.connections))


class Serve:
    """`fs-conf serve` in a process of its own; its log goes to a file for failures."""

    def __init__(self, rig: Rig, log: Path) -> None:
        self.rig = rig
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Serve:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fs_conf", "--config", str(self.rig.config_file), "serve"],
                stdout=log,
                stderr=log,
            )
        wait_until(lambda: listening(self.rig.port), timeout=WAIT)
        wait_until(self.rig.controller_connected, timeout=WAIT)
        return self

    def end(self, how: signal.Signals) -> None:
        """SIGTERM (a polite stop, which must succeed) or SIGKILL (a crash)."""
        assert self.process is not None
        self.process.send_signal(how)
        status = self.process.wait(timeout=WAIT)
        if how is signal.SIGTERM:
            assert status == 0, self.log.read_text(errors="replace")
        self.process = None
        wait_until(lambda: not self.rig.controller_connected(), timeout=WAIT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    port = free_port()
    sim = Simulator(
        SimConfig(
            dialplan=write_dialplan(tmp_path / "dialplan", port),
            conference_config=SHIPPED_CONFERENCE,
            time_scale=TIME_SCALE,
        )
    ).start()
    database = tmp_path / "fs_conf.sqlite3"
    host, esl_port = sim.esl_address
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(
        f"database: {database}\n"
        f"freeswitch:\n  esl: {{host: {host}, port: {esl_port}, password: {sim.password}}}\n"
        f"  socket: {{host: 127.0.0.1, port: {port}}}\n"
        f"mail: {{transport: folder, folder: {tmp_path / 'mail'}}}\n"
        f"ivr: {{recordings_dir: {tmp_path / 'recordings'}}}\n"
        "scheduler: {warn_before_end_minutes: 1, safety_check_seconds: 1}\n",
        encoding="utf-8",
    )
    with open_store(str(database)) as store:
        conference = store.add_conference(
            Conference(
                title="Running",
                start=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10),
                timezone="UTC",
                duration=timedelta(hours=1),
                number="3400",
                guest_pin=GUEST_PIN,
                moderator_pin=MODERATOR_PIN,
                uid="running@test",
            )
        )
    try:
        yield Rig(sim, config_file, database, port, conference)
    finally:
        sim.stop()


def join(sim: Simulator, pin: str, caller_id: str) -> Call:
    call = sim.call("3400", caller_id=caller_id)
    call.wait_heard("conference/conf-pin.wav", timeout=WAIT)
    call.press(pin + "#")
    call.wait_member(WAIT)
    return call


def end_soon(rig: Rig) -> None:
    """Move the end `END_AFTER_RESTART` ahead (to the second, as a shortened duration)."""
    with open_store(str(rig.database)) as store:
        conference = store.get_conference(rig.conference.stored_id)
        end = datetime.now(UTC) + END_AFTER_RESTART
        store.save_conference(dataclasses.replace(conference, duration=end - conference.start))


def can_speak(call: Call) -> bool:
    member = call.member
    return member is not None and member.can_speak


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_a_restarted_serve_adopts_the_running_room(
    rig: Rig, tmp_path: Path, how: signal.Signals
) -> None:
    first = Serve(rig, tmp_path / "serve-1.log").start()
    second = Serve(rig, tmp_path / "serve-2.log")
    try:
        moderator = join(rig.sim, MODERATOR_PIN, "1001")
        guests = [join(rig.sim, GUEST_PIN, f"20{n:02}") for n in range(GUESTS)]
        leaver = join(rig.sim, GUEST_PIN, "3000")
        callers = [moderator, *guests]

        first.end(how)
        assert all(call.alive and call.member is not None for call in [*callers, leaver])
        leaver.hangup()
        leaver.wait_hangup(WAIT)
        end_soon(rig)
        restarted = datetime.now(UTC).replace(microsecond=0)
        second.start()

        moderator.press("*1")
        moderator.wait_heard(DEFAULTS["muted_all"], timeout=WAIT)
        wait_until(lambda: not any(can_speak(guest) for guest in guests), timeout=WAIT)
        moderator.press("*3")
        moderator.wait_heard(DEFAULTS["room_locked"], timeout=WAIT)
        room = rig.sim.room(rig.room)
        assert room is not None and room.locked

        for call in callers:
            call.wait_heard(DEFAULTS["ending_soon"], timeout=WAIT)
        for call in callers:
            call.wait_heard(DEFAULTS["conference_ending"], timeout=WAIT + END_AFTER_RESTART.seconds)
            call.wait_hangup(WAIT)
        assert rig.sim.room(rig.room) is None
        with open_store(str(rig.database)) as store:
            stays = store.attendance_for(rig.conference.stored_id, rig.conference.start)
        left = {stay.caller_id: stay.left_at for stay in stays}
        assert sorted(left) == sorted(["1001", "3000", *(f"20{n:02}" for n in range(GUESTS))])
        # Each stay ends when its caller left: the leaver's when the new process found them
        # gone, the others' at the end, none when the first process stopped.
        assert [who for who, moment in left.items() if moment is None or moment < restarted] == []
        assert left["3000"] == min(left.values())
    finally:
        first.kill()
        second.kill()
