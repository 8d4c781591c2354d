"""Load mode: place many simulated calls into an IVR and measure how fast it answers keys.

Each call dials `number`, which the load dialplan sends to `socket HOST:PORT async full`
(the IVR's outbound socket server, running in another process). When the first prompt
plays, the caller presses `keys` one by one (`w` waits 0.5 s); the latency of a key is the
time from pressing it to the next command the IVR sends on that call. A call counts as
completed when it ends (the IVR hangs up or the call joins a room and `--hold` passes).
Everything runs in greenlets of this process: no thread per call.
"""

from __future__ import annotations

import statistics
import tempfile
import time
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


@dataclass
class LoadReport:
    calls: int = 0
    completed: int = 0
    failed: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def calls_per_second(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)
        return ordered[index]

    def text(self) -> str:
        lines = [
            f"calls: {self.calls} completed: {self.completed} failed: {self.failed}",
            f"elapsed: {self.elapsed:.2f} s  calls/s: {self.calls_per_second:.1f}",
        ]
        if self.latencies:
            ms = [1000 * self.percentile(p) for p in (0.5, 0.9, 0.99)]
            lines.append(
                f"key->next command latency ms: p50 {ms[0]:.1f}  p90 {ms[1]:.1f}  "
                f"p99 {ms[2]:.1f}  max {1000 * max(self.latencies):.1f}  "
                f"mean {1000 * statistics.fmean(self.latencies):.1f} (n={len(self.latencies)})"
            )
        else:
            lines.append("key->next command latency: no key was followed by a command")
        return "\n".join(lines)


class KeyTimer:
    """Pairs each key press with the next command the IVR sends on the same call."""

    def __init__(self) -> None:
        self.pending: dict[str, float] = {}
        self.latencies: list[float] = []

    def pressed(self, uuid: str) -> None:
        self.pending[uuid] = time.monotonic()

    def observe(self, channel: Channel, frame: Frame) -> None:
        started = self.pending.pop(channel.uuid, None)
        if started is not None:
            self.latencies.append(time.monotonic() - started)


def run_load(options: LoadOptions) -> LoadReport:
    if options.calls < 1 or options.concurrency < 1:
        raise ValueError(
            f"load: --calls and --concurrency must be positive "
            f"(got {options.calls}, {options.concurrency})"
        )
    with tempfile.TemporaryDirectory() as folder:
        dialplan = Path(folder) / "load.xml"
        dialplan.write_text(DIALPLAN.format(number=options.number, socket=options.socket))
        config = SimConfig(
            esl_port=0,
            dialplan=dialplan,
            time_scale=options.time_scale,
            max_sessions=max(options.concurrency * 2, 2000),
        )
        with Simulator(config) as sim:
            return _drive(sim, options)


def _drive(sim: Simulator, options: LoadOptions) -> LoadReport:
    timer = KeyTimer()
    sim.ctx.command_observers.append(timer.observe)
    report = LoadReport(calls=options.calls)
    gate = Semaphore(options.concurrency)
    started = time.monotonic()

    def one(index: int) -> None:
        with gate:
            call = sim.call(options.number, caller_id=f"{options.caller_prefix}{index:06d}")
            ok = _run_call(call, options, timer)
            if ok:
                report.completed += 1
            else:
                report.failed += 1

    gevent.joinall([gevent.spawn(one, i) for i in range(options.calls)])
    report.elapsed = time.monotonic() - started
    report.latencies = timer.latencies
    return report


def _run_call(call: Call, options: LoadOptions, timer: KeyTimer) -> bool:
    deadline = time.monotonic() + options.call_timeout
    try:
        call.wait_heard("", timeout=options.call_timeout)
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
