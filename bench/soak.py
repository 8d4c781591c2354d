"""Soak: `fs-conf serve` under mixed load for a set time, and whether its memory stays put.

Three processes on 127.0.0.1:
- this one (plain Python, no gevent): an aiosmtpd server that counts the mails, the memory
  samples of `fs-conf serve`, the report;
- `fs-conf serve`, the console command as an admin runs it (a configuration file, SMTP);
- the load (`soak.py drive`, gevent): the simulator with its Event Socket, and on it
  callers dialing 3400 who type a room's PIN and `#`, stay a few seconds and hang up
  (`--callers` at once, over `--rooms` rooms); one moderator per room pressing `*1` and
  `*2` in turn; conferences created and cancelled through the conference service
  (`fs_conf.conferences`, as `fs-conf conference` does), whose invitations and
  cancellations fs_conf mails; and the inbound Event Socket cut every `--cut-every` seconds
  (fs_conf reconnects).

Prints throughput (calls, keys, mails per second), errors (the load's and the lines
`fs-conf serve` logged at ERROR, count and the first few), p99 latencies (`#` to the IVR's
`execute conference`; a moderator's `*1`/`*2`, from its last key, to every guest
muted/unmuted), the reconnections, and the RSS of `fs-conf serve` after the warm-up and at
the end, with the growth against its bound (< 20 MiB). A key pressed while the Event Socket is cut is lost
(FreeSWITCH has no one to tell): counted apart, not as an error. Asserts nothing. CI runs it
for 60 s, the default:

    PYTHONPATH=. python bench/soak.py [--seconds 60] [--callers 100] [--cut-every 15]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bench._common import ROOT, child_env, free_port, mib, proc_cpu_seconds, proc_status_kib

NUMBER = "3400"
SENDER = "fs_conf <bridge@pbx.example.com>"
PIN_PROMPT = "conference/conf-pin.wav"
GROWTH_BOUND_MIB = 20.0
"""RSS `fs-conf serve` may gain from the end of the warm-up to the end of the run."""
STEP_TIMEOUT = 10.0
"""Real seconds a caller waits for the prompt, the join or a key's confirmation."""
KEEP_CREATED = 10
"""Conferences the churn keeps before cancelling the oldest (its invitations went out)."""
PARTICIPANTS = 3


# -- the load (a process of its own, gevent) --------------------------------------------------
@dataclass
class Figures:
    """What the load counts; printed as one JSON line at the end."""

    calls: int = 0
    joins: int = 0
    join_ms: list[float] = field(default_factory=list)
    keys: int = 0
    key_ms: list[float] = field(default_factory=list)
    keys_lost_to_cuts: int = 0
    keys_not_pressed: int = 0
    created: int = 0
    cancelled: int = 0
    cuts: int = 0
    reconnect_s: list[float] = field(default_factory=list)
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(text)


@dataclass(frozen=True)
class Room:
    guest_pin: str
    moderator_pin: str


class Load:
    """The simulator and the greenlets that load fs_conf through it until `deadline`.
    (fs_conf is imported here, not at the top: the orchestrator never loads gevent.)"""

    def __init__(self, args: argparse.Namespace) -> None:
        from fs_conf.config import load_config
        from fs_conf.sim import SimConfig, Simulator
        from fs_conf.sim.load import KeyTimer
        from fs_conf.store import open_store

        self.args = args
        self.config = load_config(args.config)
        self.store = open_store(self.config.database)
        self.figures = Figures()
        self.random = random.Random(args.seed)
        self.deadline = 0.0
        self.joins = KeyTimer("conference")
        shipped = ROOT / "freeswitch"
        self.sim = Simulator(
            SimConfig(
                esl_port=args.esl_port,
                dialplan=shipped / "dialplan",
                conference_config=shipped / "autoload_configs" / "conference.conf.xml",
                time_scale=args.time_scale,
                default_sound_seconds=args.sound_seconds,
                socket_redirect=f"127.0.0.1:{args.socket_port}",
                max_sessions=4 * args.callers + 100,
            )
        )
        self.sim.ctx.command_observers.append(self.joins.observe)
        self.rooms = [self._room(n) for n in range(args.rooms)]

    def _room(self, number: int) -> Room:
        from fs_conf.conferences import ConferenceRequest, create_conference
        from fs_conf.scheduler.wake import notify

        request = ConferenceRequest(title=f"Soak room {number}", start="now", duration_minutes=240)
        conference = create_conference(self.store, self.config, request, datetime.now(UTC))
        notify(self.config.database)
        return Room(conference.guest_pin, conference.moderator_pin)

    def controller_subscribed(self) -> bool:
        """Whether fs_conf's inbound connection is logged in and subscribed to events."""
        return any(
            c.authed and c.sub.enabled and not c.closed for c in list(self.sim.inbound.connections)
        )

    def wait_subscribed(self, timeout: float) -> bool:
        import gevent

        deadline = time.monotonic() + timeout
        while not self.controller_subscribed():
            if time.monotonic() > deadline:
                return False
            gevent.sleep(0.01)
        return True

    def run(self) -> Figures:
        import gevent

        began = time.monotonic()
        self.deadline = began + self.args.seconds
        workers: list[Callable[[], None]] = [self._churn, self._cutter]
        workers += [lambda room=room: self._moderator(room) for room in self.rooms]
        workers += [lambda slot=slot: self._caller(slot) for slot in range(self.args.callers)]
        gevent.joinall([gevent.spawn(work) for work in workers])
        self.figures.elapsed = time.monotonic() - began
        self.figures.join_ms = [1000 * s for s in self.joins.latencies]
        self.sim.stop()
        self.store.close()
        return self.figures

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    # -- callers and moderators ---------------------------------------------------------
    def _enter(self, pin: str, caller_id: str) -> Any:
        """Dial, type the PIN and `#` (timed from the `#`), wait to be in the room."""
        call = self.sim.call(NUMBER, caller_id=caller_id)
        try:
            call.wait_heard(PIN_PROMPT, timeout=STEP_TIMEOUT)
            call.press(pin)
            self.joins.pressed(call.uuid)
            call.press("#")
            call.wait_member(STEP_TIMEOUT)
        except TimeoutError as error:
            self.figures.error(f"caller {caller_id}: {error}; last heard {call.heard[-3:]}")
            call.hangup()
            return None
        self.figures.joins += 1
        return call

    def _caller(self, slot: int) -> None:
        count = 0
        while self._left() > 0:
            count += 1
            room = self.random.choice(self.rooms)
            call = self._enter(room.guest_pin, f"+4930{slot:03}{count:05}")
            if call is None:
                continue
            stay = min(self.random.uniform(self.args.stay_min, self.args.stay_max), self._left())
            if call.channel.hungup.wait(max(stay, 0.0)):
                self.figures.error(f"caller {slot}/{count}: dropped from the room")
                continue
            call.hangup()
            call.wait_hangup(STEP_TIMEOUT)
            self.figures.calls += 1

    def _moderator(self, room: Room) -> None:
        import gevent

        count = pressed = 0
        while self._left() > 0:
            count += 1
            call = self._enter(room.moderator_pin, f"+4940{room.moderator_pin[-4:]}{count:02}")
            while call is not None and call.alive and self._left() > self.args.key_every:
                gevent.sleep(self.args.key_every)
                if self._press(call, mute=pressed % 2 == 0):
                    pressed += 1
            if call is not None:
                call.hangup()

    def _press(self, call: Any, mute: bool) -> bool:
        """`*1` (mute) or `*2` (unmute all), timed until every guest who was in the room
        then is so; False when not pressed (Event Socket cut, or nobody to mute)."""
        import gevent

        member = call.member
        guests = [m for m in member.room.members if not m.moderator] if member else []
        if not guests or not self.controller_subscribed():
            self.figures.keys_not_pressed += 1
            return False
        cuts = self.figures.cuts
        call.press("*1" if mute else "*2")
        began = time.monotonic()  # from the last key (press() waits between the two)
        while any(m.can_speak == mute for m in guests if m in m.room.members):
            if time.monotonic() - began > STEP_TIMEOUT:
                if self.figures.cuts != cuts:
                    self.figures.keys_lost_to_cuts += 1
                else:
                    self.figures.error(f"moderator {'*1' if mute else '*2'}: no effect")
                return True
            gevent.sleep(0.005)
        self.figures.keys += 1
        self.figures.key_ms.append(1000 * (time.monotonic() - began))
        return True

    # -- conferences and the Event Socket ------------------------------------------------
    def _churn(self) -> None:
        import gevent

        from fs_conf.conferences import ConferenceRequest, cancel_conference, create_conference
        from fs_conf.errors import FsConfError
        from fs_conf.scheduler.wake import notify

        created: deque[int] = deque()
        while self._left() > self.args.churn_every:
            gevent.sleep(self.args.churn_every)
            number = self.figures.created
            start = datetime.now(UTC) + timedelta(days=1)
            request = ConferenceRequest(
                title=f"Soak {number}",
                start=start.strftime("%Y-%m-%dT%H:%M"),
                duration_minutes=30,
                participants=[
                    f"Person {n} <p{n}.{number}@example.org>" for n in range(PARTICIPANTS)
                ],
            )
            try:
                conference = create_conference(self.store, self.config, request, datetime.now(UTC))
                created.append(conference.stored_id)
                self.figures.created += 1
                if len(created) > KEEP_CREATED:
                    cancel_conference(self.store, created.popleft())
                    self.figures.cancelled += 1
            except FsConfError as error:
                self.figures.error(f"conference service: {error}")
            notify(self.config.database)

    def _cutter(self) -> None:
        import gevent

        while self._left() > self.args.cut_every:
            gevent.sleep(self.args.cut_every)
            self.figures.cuts += 1
            began = time.monotonic()
            for connection in list(self.sim.inbound.connections):
                connection.abort()
            if self.wait_subscribed(STEP_TIMEOUT):
                self.figures.reconnect_s.append(time.monotonic() - began)
            else:
                self.figures.error(f"no reconnection within {STEP_TIMEOUT:g} s of a cut")


def drive(args: argparse.Namespace) -> int:
    """The load process: rooms, simulator, `READY`; once fs_conf subscribed, `LOAD`, the
    run, and the figures as one JSON line."""
    logging.basicConfig(level=logging.ERROR)
    load = Load(args)
    load.sim.start()
    print("READY", flush=True)
    if not load.wait_subscribed(60.0):
        print(json.dumps({"fatal": "fs-conf serve did not subscribe to events within 60 s"}))
        return 1
    print("LOAD", flush=True)
    print(json.dumps(asdict(load.run())), flush=True)
    return 0


# -- the orchestrator (plain Python) -------------------------------------------------------
class MailCounter:
    """aiosmtpd handler: accepts every mail and notes when it came."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.arrivals.append(time.monotonic())
        return "250 2.0.0 accepted"


class MemorySampler(threading.Thread):
    """Samples a process's RSS every `interval` s: (monotonic time, KiB)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.samples.append((time.monotonic(), proc_status_kib(self.pid, "VmRSS")))

    def at(self, moment: float) -> int:
        """The first sample at or after `moment` (the last one if none is)."""
        later = [kib for taken, kib in self.samples if taken >= moment]
        return later[0] if later else self.samples[-1][1]


def write_config(folder: Path, esl_port: int, socket_port: int, smtp_port: int) -> Path:
    config = folder / "fs_conf.yaml"
    config.write_text(
        f"database: {folder / 'fs_conf.sqlite3'}\n"
        "log_level: WARNING\n"
        "freeswitch:\n"
        f"  esl: {{host: 127.0.0.1, port: {esl_port}, password: ClueCon}}\n"
        f"  socket: {{host: 127.0.0.1, port: {socket_port}}}\n"
        f"numbers: {{internal: '{NUMBER}'}}\n"
        f"mail: {{transport: smtp, sender: '{SENDER}', smtp: {{host: 127.0.0.1, port: {smtp_port}}}}}\n"
        f"ivr: {{recordings_dir: {folder / 'recordings'}}}\n",
        encoding="utf-8",
    )
    return config


def listening(port: int) -> bool:
    """True once something listens on `port` (binding it fails), without connecting."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def wait_line(process: subprocess.Popen[str], word: str, timeout: float) -> str:
    """The next stdout line of `process` starting with `word` (RuntimeError at its end)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        if line.startswith(word):
            return line
        if time.monotonic() > deadline:
            break
    raise RuntimeError(f"the load process never said {word!r}")


def error_lines(log: Path) -> list[str]:
    return [
        line.strip()[:200]
        for line in log.read_text(errors="replace").splitlines()
        if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)]


def spread(values: list[float], unit: str) -> str:
    if not values:
        return "none measured"
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    return f"p50 {p50:.1f} {unit}, p99 {p99:.1f} {unit}, max {max(values):.1f} {unit} (n={len(values)})"


def soak(args: argparse.Namespace) -> int:
    counter = MailCounter()
    smtp = Controller(counter, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        esl_port, socket_port = free_port(), free_port()
        config = write_config(folder, esl_port, socket_port, smtp.port)
        log = folder / "serve.log"
        base = [sys.executable, __file__, "drive", "--config", str(config)]
        options = ["--esl-port", str(esl_port), "--socket-port", str(socket_port)]
        for name in ("seconds", "callers", "rooms", "stay_min", "stay_max", "key_every"):
            options += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        for name in ("churn_every", "cut_every", "time_scale", "sound_seconds", "seed"):
            options += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        load = subprocess.Popen(
            base + options, stdout=subprocess.PIPE, text=True, env=child_env(), cwd=ROOT
        )
        with log.open("w") as log_file:
            serve = subprocess.Popen(
                [sys.executable, "-m", "fs_conf", "--config", str(config), "serve"],
                stdout=log_file,
                stderr=log_file,
                env=child_env(),
            )
        try:
            wait_line(load, "READY", 60.0)
            deadline = time.monotonic() + 60.0
            while not listening(socket_port) and time.monotonic() < deadline:
                time.sleep(0.05)
            wait_line(load, "LOAD", 60.0)
            began = time.monotonic()
            sampler = MemorySampler(serve.pid)
            sampler.start()
            cpu_before = proc_cpu_seconds(serve.pid), proc_cpu_seconds(load.pid)
            figures = json.loads(wait_line(load, "{", args.seconds + 120.0))
            ended = time.monotonic()
            cpu = (
                proc_cpu_seconds(serve.pid) - cpu_before[0],
                proc_cpu_seconds(load.pid) - cpu_before[1],
            )
            sampler.done.set()
            sampler.join()
        finally:
            if serve.poll() is None:
                serve.send_signal(signal.SIGTERM)
            serve.wait(30)
            load.wait(30)
            smtp.stop()
        mails = [t for t in counter.arrivals if began <= t <= ended]
        report(args, figures, mails, sampler, began, cpu, error_lines(log))
    return 0


def report(
    args: argparse.Namespace,
    figures: dict[str, Any],
    mails: list[float],
    sampler: MemorySampler,
    began: float,
    cpu: tuple[float, float],
    logged: list[str],
) -> None:
    seconds = figures["elapsed"]
    warm_up = min(args.warm_up, seconds / 3)
    print(
        f"Soak: {seconds:.0f} s of mixed load, {os.cpu_count()} CPUs shared by fs-conf serve, "
        f"the load (simulator, time scale {args.time_scale:g}) and the SMTP server"
    )
    print("--- throughput ---")
    print(
        f"  calls: {figures['calls']} joined, stayed {args.stay_min:g}-{args.stay_max:g} s and "
        f"left ({figures['calls'] / seconds:.1f}/s; {args.callers} callers at once)"
    )
    print(f"  keys: {figures['keys']} acted ({figures['keys'] / seconds:.2f}/s)")
    print(f"  mails: {len(mails)} delivered over SMTP ({len(mails) / seconds:.1f}/s)")
    print(
        f"  conferences: {figures['created']} created, {figures['cancelled']} cancelled "
        "through the conference service"
    )
    print(
        f"  Event Socket cut {figures['cuts']} times, subscribed again after "
        f"{spread(figures['reconnect_s'], 's')}; keys lost to a cut "
        f"{figures['keys_lost_to_cuts']}, not pressed (cut, or nobody to mute) "
        f"{figures['keys_not_pressed']}"
    )
    print("--- latency ---")
    print(f"  '#' -> `execute conference`: {spread(figures['join_ms'], 'ms')}")
    print(f"  moderator `*1`/`*2` -> the guests muted/unmuted: {spread(figures['key_ms'], 'ms')}")
    errors = figures["errors"] + len(logged)
    print(f"--- errors: {errors} ---")
    print(f"  load: {figures['errors']}, fs-conf serve logged at ERROR: {len(logged)}")
    for line in (figures["first_errors"] + logged)[:5]:
        print(f"    {line}")
    start, end = sampler.at(began + warm_up), sampler.samples[-1][1]
    middle = sampler.at(began + (warm_up + seconds) / 2)
    growth = (end - start) / 1024
    peak = max(kib for _, kib in sampler.samples)
    verdict = "met" if growth < GROWTH_BOUND_MIB else "MISSED"
    print("--- memory of fs-conf serve ---")
    print(
        f"  RSS after {warm_up:.0f} s of warm-up {mib(start)}, half-way {mib(middle)}, "
        f"at the end {mib(end)}, "
        f"peak {mib(peak)}; CPU {cpu[0]:.1f} s ({100 * cpu[0] / seconds:.0f} % of a core; "
        f"the load process {100 * cpu[1] / seconds:.0f} %)"
    )
    print(
        f"  growth after warm-up {growth:.1f} MiB: {growth / GROWTH_BOUND_MIB:.2f} of the bound "
        f"(< {GROWTH_BOUND_MIB:g} MiB: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    inner = commands.add_parser("drive", help="(internal) run the load")
    inner.add_argument("--config", required=True)
    inner.add_argument("--esl-port", type=int, required=True)
    inner.add_argument("--socket-port", type=int, required=True)
    for target in (parser, inner):
        target.add_argument("--seconds", type=float, default=60.0)
        target.add_argument("--callers", type=int, default=100, help="callers at once")
        target.add_argument("--rooms", type=int, default=20)
        target.add_argument("--stay-min", type=float, default=2.0, help="seconds in the room")
        target.add_argument("--stay-max", type=float, default=8.0)
        target.add_argument("--key-every", type=float, default=2.0, help="per moderator")
        target.add_argument("--churn-every", type=float, default=1.0, help="create+cancel")
        target.add_argument("--cut-every", type=float, default=15.0)
        target.add_argument("--time-scale", type=float, default=1.0, help="of the switch")
        target.add_argument("--sound-seconds", type=float, default=0.0, help="each prompt")
        target.add_argument("--seed", type=int, default=10)
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds before RSS counts")
    args = parser.parse_args()
    if args.command == "drive":
        return drive(args)
    return soak(args)


if __name__ == "__main__":
    sys.exit(main())
