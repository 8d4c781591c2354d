"""What the call-load benchmarks share: server processes, the simulator's load mode, memory.

A benchmark script runs as an orchestrator (plain Python, no gevent) that starts the server
under test as a child process (the same script with the `serve` argument) and the simulator's
load mode (`python -m fs_conf.sim load ...`) as another, both on 127.0.0.1. The server side
prints `READY <port>` once it listens and, after SIGTERM, one JSON line with its own figures
(`LiveSampler.summary`). Every wait is bounded; whatever does not end in time is killed.
"""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READY = "READY"


def child_env() -> dict[str, str]:
    """The environment for child processes: this checkout first on the import path."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def free_port() -> int:
    """A port nothing listens on right now (for servers that cannot bind port 0 themselves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_status_kib(pid: int, name: str) -> int:
    """A `VmRSS`/`VmHWM` line of /proc/<pid>/status in KiB; 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tcp_counters() -> dict[str, int]:
    """The kernel's TcpExt counters (ListenOverflows, ListenDrops, TCPSynRetrans, ...)."""
    with open("/proc/net/netstat", encoding="ascii") as netstat:
        lines = netstat.read().splitlines()
    counters: dict[str, int] = {}
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            keys, numbers = names.split()[1:], values.split()[1:]
            counters.update({k: int(v) for k, v in zip(keys, numbers, strict=False)})
    return counters


def proc_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # After the command name: state is field 3, utime 14 and stime 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


class ServerProcess:
    """The server under test in a child process: `start()` waits for `READY <port>`,
    `stop()` sends SIGTERM and returns the JSON summary it prints. With `spy`, it runs under
    py-spy, which writes its samples to that file when the server ends."""

    def __init__(self, argv: list[str], ready_timeout: float = 30.0, spy: str = "") -> None:
        self.argv = spy_argv(argv, spy) if spy else argv
        self.spied = bool(spy)
        self.ready_timeout = ready_timeout
        self.port = 0
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._stderr = tempfile.TemporaryFile()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def server_pid(self) -> int:
        """The server's own process (py-spy's child when it runs under py-spy)."""
        assert self._proc is not None
        if not self.spied:
            return self._proc.pid
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text(encoding="ascii").rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == self._proc.pid:
                return int(stat.parent.name)
        return self._proc.pid

    def start(self) -> ServerProcess:
        self._proc = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=child_env()
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(self.ready_timeout) or not self.port:
            self.kill()
            raise RuntimeError(f"server {self.argv} not ready: {self.stderr_tail()}")
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(READY + " "):
                self.port = int(line.split()[1])
                self._ready.set()
        self._ready.set()

    def stop(self, timeout: float = 30.0) -> dict[str, object]:
        """SIGTERM, wait up to `timeout` s (then kill); the summary ({} if none came)."""
        if self._proc is None:
            return {}
        if self._proc.poll() is None:
            os.kill(self.server_pid(), signal.SIGTERM)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        if self._reader is not None:
            self._reader.join(5.0)
        for line in reversed(self.lines):
            if line.startswith("{"):
                return json.loads(line)
        return {}

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5.0)

    def stderr_tail(self, lines: int = 15) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class LoadResult:
    """What one run of the load mode printed, its exit status and its peak RSS."""

    returncode: int
    text: str
    stderr: str
    peak_rss_kib: int
    cpu_seconds: float = 0.0
    timed_out: bool = False
    tcp: dict[str, int] = field(default_factory=dict)


def run_load(args: list[str], timeout: float) -> LoadResult:
    """Run `python -m fs_conf.sim load ARGS`, noting its peak RSS and CPU time and the
    kernel's TCP counters around it; kill it after `timeout` s."""
    before = tcp_counters()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "fs_conf.sim", "load", *args],
            stdout=out,
            stderr=err,
            env=child_env(),
        )
        peak, cpu, timed_out = 0, 0.0, False
        while proc.poll() is None:
            peak = max(peak, proc_status_kib(proc.pid, "VmHWM"))
            cpu = max(cpu, proc_cpu_seconds(proc.pid))
            if time.monotonic() - started > timeout:
                timed_out = True
                proc.kill()
                break
            time.sleep(0.1)
        proc.wait(10.0)
        out.seek(0)
        err.seek(0)
        after = tcp_counters()
        return LoadResult(
            returncode=proc.returncode,
            text=out.read().decode(errors="replace").strip(),
            stderr=err.read().decode(errors="replace").strip(),
            peak_rss_kib=peak,
            cpu_seconds=cpu,
            timed_out=timed_out,
            tcp={k: after.get(k, 0) - v for k, v in before.items() if after.get(k, 0) != v},
        )


def load_figure(text: str, label: str) -> str:
    """The line of the load mode's report that starts with `label` ('' if none)."""
    for line in text.splitlines():
        if line.startswith(label):
            return line
    return ""


def load_number(text: str, key: str) -> float | None:
    """The number after `key` in the load mode's report (`joins/s:`, `p99`, ...)."""
    for line in text.splitlines():
        words = line.replace(":", ": ").split()
        for index, word in enumerate(words[:-1]):
            if word.rstrip(":") == key.rstrip(":"):
                try:
                    return float(words[index + 1])
                except ValueError:
                    continue
    return None


class GcPauses:
    """Times the cyclic garbage collector's runs in this process (they stop every call)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.longest = 0.0
        self.full_runs = 0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = time.perf_counter() - self._began
        self.total += took
        self.longest = max(self.longest, took)
        self.full_runs += info.get("generation") == 2


class LiveSampler:
    """Runs in the server process (a gevent greenlet): every `interval` s it notes the number
    of live calls and, at the highest number seen, this process's RSS (and the memory
    tracemalloc traces, when it is tracing); it also times the garbage collector."""

    def __init__(self, live: Callable[[], int], interval: float = 0.05) -> None:
        self.live = live
        self.interval = interval
        self.baseline_rss_kib = 0
        self.baseline_traced = 0
        self.baseline_cpu = 0.0
        self.peak_live = 0
        self.rss_at_peak_kib = 0
        self.traced_at_peak = 0
        self.gc = GcPauses()
        self._baseline_snapshot: tracemalloc.Snapshot | None = None
        self._peak_snapshot: tracemalloc.Snapshot | None = None
        self._snapshot_live = 0
        self._greenlet: object = None

    def start(self) -> None:
        import gevent

        self.baseline_rss_kib = proc_status_kib(os.getpid(), "VmRSS")
        self.baseline_cpu = sum(os.times()[:2])
        if tracemalloc.is_tracing():
            self.baseline_traced = tracemalloc.get_traced_memory()[0]
            self._baseline_snapshot = tracemalloc.take_snapshot()
        gc.callbacks.append(self.gc)
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        import gevent

        while True:
            self.sample()
            gevent.sleep(self.interval)

    def sample(self) -> None:
        live = self.live()
        if live >= self.peak_live and live > 0:
            self.peak_live = live
            self.rss_at_peak_kib = proc_status_kib(os.getpid(), "VmRSS")
            if tracemalloc.is_tracing():
                self.traced_at_peak = tracemalloc.get_traced_memory()[0]
                # A snapshot costs a pass over the heap: only when the peak grew by half.
                if live >= 1.5 * self._snapshot_live:
                    self._peak_snapshot = tracemalloc.take_snapshot()
                    self._snapshot_live = live

    def top_allocations(self, limit: int = 10) -> list[str]:
        """Where the memory of the live calls was allocated: the source lines that grew most
        from the baseline to the peak, per live call (tracing only)."""
        if self._baseline_snapshot is None or self._peak_snapshot is None:
            return []
        diff = self._peak_snapshot.compare_to(self._baseline_snapshot, "lineno")
        rows = []
        for stat in diff[:limit]:
            frame = stat.traceback[0]
            where = "/".join(Path(frame.filename).parts[-3:])
            per_call = stat.size_diff / 1024 / max(self._snapshot_live, 1)
            rows.append(f"{per_call:7.1f} KiB/call  {where}:{frame.lineno}")
        return rows

    def stop(self) -> None:
        if self.gc in gc.callbacks:
            gc.callbacks.remove(self.gc)
        if self._greenlet is not None:
            self._greenlet.kill()  # type: ignore[attr-defined]

    def summary(self, **extra: object) -> dict[str, object]:
        per_call = (
            (self.rss_at_peak_kib - self.baseline_rss_kib) / self.peak_live if self.peak_live else 0
        )
        traced = (
            (self.traced_at_peak - self.baseline_traced) / 1024 / self.peak_live
            if self.peak_live and self.traced_at_peak
            else 0
        )
        return {
            "baseline_rss_kib": self.baseline_rss_kib,
            "peak_live": self.peak_live,
            "rss_at_peak_kib": self.rss_at_peak_kib,
            "rss_per_call_kib": round(per_call, 1),
            "traced_per_call_kib": round(traced, 1),
            "peak_rss_kib": proc_status_kib(os.getpid(), "VmHWM"),
            "cpu_seconds": round(sum(os.times()[:2]) - self.baseline_cpu, 2),
            "gc_seconds": round(self.gc.total, 2),
            "gc_longest_ms": round(1000 * self.gc.longest, 1),
            "gc_full_runs": self.gc.full_runs,
            "top_allocations": self.top_allocations(),
            **extra,
        }


def describe_server(summary: dict[str, Any], calls: int) -> str:
    """A server's summary as one line: concurrency, memory, CPU, garbage collector."""
    if not summary:
        return "no summary (the server did not end cleanly)"
    cpu = float(summary["cpu_seconds"])
    return (
        f"most calls at once {summary['peak_live']}, peak RSS {mib(summary['peak_rss_kib'])} "
        f"(baseline {mib(summary['baseline_rss_kib'])}, RSS delta per live call "
        f"{summary['rss_per_call_kib']} KiB), CPU {cpu:.1f} s ({1000 * cpu / calls:.1f} ms per "
        f"call), garbage collector {summary['gc_seconds']} s in all, longest pause "
        f"{summary['gc_longest_ms']} ms, {summary['gc_full_runs']} full collections"
    )


def serve_until_terminated(
    start: Callable[[], int], stop: Callable[[], None], live: Callable[[], int], **extra: object
) -> None:
    """The server side: `start()` returns the port it listens on; runs until SIGTERM, then
    `stop()`, and prints the summary as one JSON line."""
    import gevent
    import gevent.event

    done = gevent.event.Event()
    handler = gevent.signal_handler(signal.SIGTERM, done.set)
    sampler = LiveSampler(live)
    port = start()
    sampler.start()
    print(f"{READY} {port}", flush=True)
    done.wait()
    sampler.sample()
    sampler.stop()
    handler.cancel()
    with gevent.Timeout(20, False):
        stop()
    print(json.dumps(sampler.summary(**extra)), flush=True)


SPY = str(Path(sys.executable).with_name("py-spy"))
IDLE_FRAMES = ("Hub.run (", "acquire_with_timeout (")
"""Where a sampled thread waits for work: the gevent hub, and the idle workers of gevent's
thread pool (its resolver starts one), which --idle samples too."""
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*):\d+\)$")


def spy_argv(argv: list[str], output: str) -> list[str]:
    """`argv` run under py-spy (pip install py-spy), sampling 250 times a second from outside
    the process (no cost per call, not confused by greenlet switches), idle time included."""
    options = ["--nonblocking", "--idle", "-r", "250", "-f", "raw", "-o", output]
    return [SPY, "record", *options, "--", *argv]


def print_profile(path: str, limit: int = 12, only: str = "") -> None:
    """What a py-spy raw file says: the functions most often running (own) and most often on
    the stack (total), as shares of the busy samples (not idle in the gevent hub); `only`
    keeps the functions whose file path contains it."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = idle = 0
    with open(path, encoding="utf-8") as raw:
        for line in raw:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            count = int(count_text)
            frames = [_function(frame) for frame in stack.split(";")]
            samples += count
            if not stack or frames[-1].startswith(IDLE_FRAMES):
                idle += count
                continue
            own[frames[-1]] += count
            for frame in set(frames):
                total[frame] += count
    busy = max(samples - idle, 1)
    print(f"  py-spy ({path}): {samples} samples, {100 * idle / max(samples, 1):.0f} % idle")
    for kind, counts in (("own", own), ("total", total)):
        rows = [(n, where) for where, n in counts.most_common() if only in where][:limit]
        print(f"  top {len(rows)} by {kind} share of busy time{f' in {only!r}' if only else ''}:")
        for count, where in rows:
            print(f"    {100 * count / busy:5.1f} %  {where}")


def _function(frame: str) -> str:
    match = _FRAME.match(frame)
    if match is None:
        return frame
    return f"{match['name']} ({'/'.join(Path(match['file']).parts[-3:])})"
