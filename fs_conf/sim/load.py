"""Load mode: place many simulated calls into an IVR and measure how fast it answers keys.

Each call dials `number` into the IVR's outbound socket server (another process), presses
`keys` when a prompt plays, and the latency of a key is the time to the IVR's next command.
Everything runs in greenlets of this process. The options: docs/simulator.md#load-mode
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gevent
from gevent.lock import Semaphore

from fs_conf.sim.channel import Channel
from fs_conf.sim.core import SimConfig, Simulator
from fs_conf.sim.phone import Call
from fs_conf.sim.wire import Frame

DIALPLAN = """<include><context name="default"><extension name="load">
<condition field="destination_number" expression="^{number}$">
<action application="socket" data="{socket} async full"/>
</condition></extension></context></include>"""


@dataclass
class LoadOptions:
    calls: int
    concurrency: int
    number: str
    keys: str
    socket: str
    caller_prefix: str = "+4930"
    time_scale: float = 1.0
    call_timeout: float = 30.0
    hold: float = 0.0
    key_gap: float = 0.1
    key_prompt: str = ""
    measure_app: str = ""
    sound_seconds: float = 1.0
    esl: tuple[str, int] = ("127.0.0.1", 0)
    password: str = "ClueCon"
    subscribers: int = 0
    subscribers_timeout: float = 30.0
    conference_config: str | None = None
    ramp: float = 0.0


@dataclass
class LoadReport:
    calls: int = 0
    completed: int = 0
    failed: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    presses: int = 0
    joined: int = 0
    last_join: float = 0.0
    peak_channels: int = 0
    measured: str = "next command"

    @property
    def calls_per_second(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def joins_per_second(self) -> float:
        """Joins from the first call to the last join (holding time excluded)."""
        return self.joined / self.last_join if self.last_join > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)
        return ordered[index]

    def text(self) -> str:
        lines = [
            f"calls: {self.calls} completed: {self.completed} failed: {self.failed}",
            f"elapsed: {self.elapsed:.2f} s  calls/s: {self.calls_per_second:.1f}  "
            f"peak channels: {self.peak_channels}",
        ]
        if self.joined:
            lines.append(
                f"joined: {self.joined}  joins/s: {self.joins_per_second:.1f} "
                f"(last join after {self.last_join:.2f} s)"
            )
        if self.latencies:
            ms = [1000 * self.percentile(p) for p in (0.5, 0.9, 0.99)]
            lines.append(
                f"key->{self.measured} latency ms: p50 {ms[0]:.1f}  p90 {ms[1]:.1f}  "
                f"p99 {ms[2]:.1f}  max {1000 * max(self.latencies):.1f}  "
                f"mean {1000 * statistics.fmean(self.latencies):.1f} (n={len(self.latencies)})"
            )
        elif self.presses:
            lines.append(f"key->{self.measured} latency: no key was followed by it")
        else:
            lines.append(f"key->{self.measured} latency: no keys were pressed")
        return "\n".join(lines)


class KeyTimer:
    """Pairs the last key pressed with the next command the IVR sends on the same call, or
    with its next `sendmsg execute` of application `app`."""

    def __init__(self, app: str = "") -> None:
        self.app = app.lower()
        self.pending: dict[str, float] = {}
        self.latencies: list[float] = []
        self.presses = 0

    def pressed(self, uuid: str) -> None:
        self.presses += 1
        self.pending[uuid] = time.monotonic()

    def observe(self, channel: Channel, frame: Frame) -> None:
        if self.app and (frame.header("execute-app-name") or "").lower() != self.app:
            return
        started = self.pending.pop(channel.uuid, None)
        if started is not None:
            self.latencies.append(time.monotonic() - started)


def run_load(options: LoadOptions) -> LoadReport:
    if options.calls < 1 or options.concurrency < 1:
        raise ValueError(
            f"load: --calls and --concurrency must be positive "
            f"(got {options.calls}, {options.concurrency})"
        )
    for name, value in (
        ("--sound-seconds", options.sound_seconds),
        ("--ramp", options.ramp),
        ("--subscribers-timeout", options.subscribers_timeout),
    ):
        if value < 0:
            raise ValueError(f"load: {name} must be >= 0 (got {value})")
    with tempfile.TemporaryDirectory() as folder:
        dialplan = Path(folder) / "load.xml"
        dialplan.write_text(DIALPLAN.format(number=options.number, socket=options.socket))
        config = SimConfig(
            esl_host=options.esl[0],
            esl_port=options.esl[1],
            password=options.password,
            dialplan=dialplan,
            conference_config=options.conference_config,
            time_scale=options.time_scale,
            default_sound_seconds=options.sound_seconds,
            max_sessions=max(options.concurrency * 2, 2000),
        )
        with Simulator(config) as sim:
            _wait_subscribers(sim, options.subscribers, options.subscribers_timeout)
            return _drive(sim, options)


def _wait_subscribers(sim: Simulator, count: int, timeout: float) -> None:
    """Before any call: wait up to `timeout` real seconds (not scaled: the subscribers are
    other processes starting up) until `count` inbound clients are authenticated and
    subscribed to events; ValueError says how many were when the time ran out."""
    deadline = time.monotonic() + timeout
    while count > 0:
        ready = [c for c in sim.inbound.connections if c.authed and c.sub.enabled]
        if len(ready) >= count:
            return
        if time.monotonic() >= deadline:
            raise ValueError(
                f"load: --subscribers {count}: only {len(ready)} ESL client(s) subscribed "
                f"to events on {sim.esl_address[0]}:{sim.esl_address[1]} within "
                f"--subscribers-timeout {timeout:g} s"
            )
        gevent.sleep(0.05)


def _drive(sim: Simulator, options: LoadOptions) -> LoadReport:
    timer = KeyTimer(options.measure_app)
    sim.ctx.command_observers.append(timer.observe)
    report = LoadReport(calls=options.calls)
    if options.measure_app:
        report.measured = f"{options.measure_app} command"
    gate = Semaphore(options.concurrency)
    started = time.monotonic()

    def one(index: int) -> None:
        sim.ctx.clock.sleep(options.ramp * index / options.calls)
        with gate:
            call = sim.call(options.number, caller_id=f"{options.caller_prefix}{index:06d}")
            ok = _run_call(call, options, timer, lambda: _joined(report, started))
            if ok:
                report.completed += 1
            else:
                report.failed += 1

    gevent.joinall([gevent.spawn(one, i) for i in range(options.calls)])
    report.elapsed = time.monotonic() - started
    report.latencies = timer.latencies
    report.presses = timer.presses
    report.peak_channels = sim.ctx.sessions_peak
    return report


def _joined(report: LoadReport, started: float) -> None:
    report.joined += 1
    report.last_join = time.monotonic() - started


def _run_call(
    call: Call, options: LoadOptions, timer: KeyTimer, on_join: Callable[[], None]
) -> bool:
    deadline = time.monotonic() + options.call_timeout
    try:
        if options.keys:
            call.wait_heard(options.key_prompt, timeout=options.call_timeout)
        for key in options.keys:
            if not call.alive:
                break
            if key == "w":
                call.ctx.clock.sleep(0.5)
                continue
            timer.pressed(call.uuid)
            call.press(key)
            call.ctx.clock.sleep(options.key_gap)
        while call.alive and time.monotonic() < deadline:
            if call.member is not None and options.hold >= 0:
                on_join()
                call.ctx.clock.sleep(options.hold)
                call.hangup()
                break
            call.channel.hungup.wait(timeout=0.05)
        if call.alive:
            call.hangup()
            return False
        return call.wait_hangup(timeout=max(deadline - time.monotonic(), 1.0)) != ""
    except TimeoutError:
        call.hangup()
        return False
