"""1,000 concurrent calls from the simulator's load mode through a trivial outbound handler.

The handler does what every IVR call starts with: `connect`, `myevents`, `answer`, a
`playback` of a short prompt (bench/hello.wav), `play_and_get_digits` for one digit (prompt
bench/digit.wav), `hangup`. The simulator's callers press `1` when the digit prompt plays;
the latency is from that key to the `hangup` command that follows it.

Two phases, each run once on greenswitch 0.0.19's OutboundESLServer (max_connections raised
above the concurrency) and once on fs_conf.esl's OutboundESLServer, each server in its own
process, the load mode in another, all on 127.0.0.1:
- burst: `--calls` calls, up to `--concurrency` at once, all starting together, prompts of
  `--sound-seconds`: the servers meet a burst of connects. greenswitch drops some of them
  (its documented listen(100) and 100 ms accept polling), which the report explains;
- ramp: `--ramp-calls` calls (default: `--concurrency`) starting evenly over `--ramp`
  seconds with prompts of `--ramp-sound-seconds`, longer than the ramp, so the first call is
  still in its welcome prompt when the last one connects: every call is live at the same
  time in the server ("most calls at once" reaches the number of calls) at an arrival rate
  greenswitch's accept loop keeps up with, and all of them complete.
Prints calls/s, latency percentiles, the most calls the server held at once, peak memory and
CPU of each process and the kernel's listen-queue counters. `--profile DIR` runs each server
under py-spy and prints its hot spots. Asserts nothing.

    PYTHONPATH=. python bench/sim_load.py [--calls 3000] [--concurrency 1000] [--lib both]
        [--phase burst|ramp|both] [--ramp 20] [--ramp-sound-seconds 30]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import (
    LoadResult,
    ServerProcess,
    describe_server,
    free_port,
    load_figure,
    mib,
    print_profile,
    run_load,
    serve_until_terminated,
)

HELLO = "bench/hello.wav"
DIGIT = "bench/digit.wav"
STEP_MARGIN_SECONDS = 30
"""How much longer than a prompt lasts an application may take before the handler gives up."""
# mod_dptools play_and_get_digits: min max tries timeout terminators file invalid_file var regex
PAGD_ARGS = f"1 1 1 5000 # {DIGIT} silence_stream://250 bench_digit \\d+"
LIBS = ("greenswitch", "fs_conf")

GREENSWITCH_DEFECT = """\
greenswitch did not complete every call. The documented defect at work (README.md, "Why fs_conf
has its own Event Socket library"): OutboundESLServer.listen() calls listen(100) and,
whenever accept() finds nothing, sleeps 100 ms before it looks again, so a burst of connects
overflows the accept queue (ListenOverflows above). The kernel drops those handshakes: most
calls get in on the retransmissions (1 s, 3 s, ...), the rest stay connected on the
simulator's side only, waiting for a `connect` that never comes, until --call-timeout.
fs_conf.esl's server accepts on a read watcher with a backlog as deep as max_connections."""


class GreenswitchCall:
    """The trivial handler on greenswitch's OutboundSession (the server already `connect`ed)."""

    def __init__(self, session: Any, step_timeout: float) -> None:
        self.session = session
        self.step_timeout = step_timeout

    def run(self) -> None:
        self.session.myevents()
        for app, arg in (("answer", None), ("playback", HELLO), ("play_and_get_digits", PAGD_ARGS)):
            self.session.call_command(app, arg, block=True, response_timeout=self.step_timeout)
        self.session.hangup()


class FsConfCall:
    """The same handler on fs_conf.esl's OutboundSession."""

    def __init__(self, session: Any, step_timeout: float) -> None:
        self.session = session
        self.step_timeout = step_timeout

    def run(self) -> None:
        session = self.session
        session.myevents()
        session.answer(timeout=self.step_timeout)
        session.playback(HELLO, timeout=self.step_timeout)
        session.play_and_get_digits(
            1, 1, 1, 5000, "#", DIGIT, var="bench_digit", timeout=self.step_timeout
        )
        session.hangup()


def serve(lib: str, port: int, max_connections: int, step_timeout: float) -> None:
    """The server process: one OutboundESLServer until SIGTERM; `step_timeout`: how long an
    application may take (the longest prompt and a margin)."""
    if lib == "greenswitch":
        import gevent
        import greenswitch

        server = greenswitch.OutboundESLServer(
            bind_address="127.0.0.1",
            bind_port=port,
            application=functools.partial(GreenswitchCall, step_timeout=step_timeout),
            max_connections=max_connections,
        )
        listener = gevent.spawn(server.listen)

        def stop() -> None:
            server.stop()
            listener.join(10)

        serve_until_terminated(lambda: port, stop, lambda: server.connection_count, lib=lib)
        return
    from fs_conf.esl import OutboundESLServer

    ours = OutboundESLServer(
        "127.0.0.1",
        0,
        application=functools.partial(FsConfCall, step_timeout=step_timeout),
        max_connections=max_connections,
    )

    def start() -> int:
        ours.start()
        return ours.bound_port or 0

    serve_until_terminated(start, lambda: ours.stop(5.0), lambda: ours.connection_count, lib=lib)


@dataclass(frozen=True)
class Phase:
    """One way of offering the calls: how many, how many at once, when they start."""

    name: str
    what: str
    calls: int
    concurrency: int
    sound_seconds: float
    ramp: float = 0.0

    def load_args(self, port: int, call_timeout: float) -> list[str]:
        return [
            "--calls", str(self.calls),
            "--concurrency", str(self.concurrency),
            "--keys", "1",
            "--key-prompt", DIGIT,
            "--socket", f"127.0.0.1:{port}",
            "--sound-seconds", str(self.sound_seconds),
            "--ramp", str(self.ramp),
            "--call-timeout", str(call_timeout),
        ]  # fmt: skip

    def time_limit(self, call_timeout: float) -> float:
        """How long the load mode may run: the ramp plus every wave of calls timing out."""
        return self.ramp + call_timeout * (self.calls / self.concurrency + 2)


def phases(args: argparse.Namespace) -> list[Phase]:
    ramp_calls = args.ramp_calls or args.concurrency
    offered = [
        Phase(
            "burst",
            f"{args.calls} calls, {args.concurrency} at once, all starting together, prompts "
            f"{args.sound_seconds:g} s",
            args.calls,
            args.concurrency,
            args.sound_seconds,
        ),
        Phase(
            "ramp",
            f"{ramp_calls} calls starting over {args.ramp:g} s, prompts "
            f"{args.ramp_sound_seconds:g} s, so all of them are live at once",
            ramp_calls,
            ramp_calls,
            args.ramp_sound_seconds,
            args.ramp,
        ),
    ]
    return [phase for phase in offered if args.phase in (phase.name, "both")]


def run_phase(lib: str, phase: Phase, args: argparse.Namespace) -> None:
    argv = [sys.executable, __file__, "serve", "--lib", lib, "--port", str(free_port())]
    argv += ["--max-connections", str(max(phase.concurrency * 2, 100))]
    argv += ["--step-timeout", str(phase.sound_seconds + STEP_MARGIN_SECONDS)]
    profile = str(Path(args.profile) / f"sim_load-{phase.name}-{lib}.txt") if args.profile else ""
    process = ServerProcess(argv, spy=profile).start()
    try:
        result = run_load(
            phase.load_args(process.port, args.call_timeout),
            timeout=phase.time_limit(args.call_timeout),
        )
    finally:
        summary = process.stop()
    completed = report(lib, result, summary, phase.calls)
    if phase.ramp and summary:
        live = summary["peak_live"]
        verdict = "all live at once" if live == phase.calls else "not all live at once"
        print(f"  {verdict}: the server held {live} of {phase.calls} calls at the same time")
    if not completed and lib == "greenswitch" and not phase.ramp:
        print(GREENSWITCH_DEFECT)
    if profile:
        print_profile(profile)
        print_profile(profile, only="fs_conf/")


def report(lib: str, result: LoadResult, summary: dict[str, object], calls: int) -> bool:
    """Print one run's figures; True when every call completed."""
    print(f"- {lib} OutboundESLServer")
    for label in ("calls:", "elapsed:", "key->"):
        line = load_figure(result.text, label)
        print(f"  {line}" if line else f"  (no '{label}' line)")
    print(f"  server process: {describe_server(summary, calls)}")
    print(
        f"  load process (simulator): peak RSS {mib(result.peak_rss_kib)}, CPU "
        f"{result.cpu_seconds:.1f} s ({1000 * result.cpu_seconds / calls:.1f} ms per call)"
    )
    counters = ("ListenOverflows", "ListenDrops", "TCPSynRetrans")
    print("  kernel TcpExt: " + ", ".join(f"{k} +{result.tcp.get(k, 0)}" for k in counters))
    if result.timed_out:
        print("  load mode killed at the time limit")
    ok = f"calls: {calls} completed: {calls} failed: 0" in result.text
    if not ok and result.stderr:
        tail = "\n    ".join(result.stderr.splitlines()[-5:])
        print(f"  load mode stderr (last lines):\n    {tail}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve", help="(internal) run the server under test")
    server.add_argument("--lib", choices=LIBS, required=True)
    server.add_argument("--port", type=int, default=0)
    server.add_argument("--max-connections", type=int, default=10_000)
    server.add_argument("--step-timeout", type=float, default=STEP_MARGIN_SECONDS)
    parser.add_argument("--calls", type=int, default=3000, help="burst phase: calls")
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--sound-seconds", type=float, default=0.5, help="burst phase prompts")
    parser.add_argument("--ramp", type=float, default=20.0, help="ramp phase: seconds")
    parser.add_argument(
        "--ramp-calls", type=int, default=0, help="ramp phase: calls (default --concurrency)"
    )
    parser.add_argument(
        "--ramp-sound-seconds",
        type=float,
        default=30.0,
        help="ramp phase prompts; longer than --ramp so every call is live at once",
    )
    parser.add_argument("--phase", choices=("burst", "ramp", "both"), default="both")
    parser.add_argument("--call-timeout", type=float, default=60.0)
    parser.add_argument("--lib", choices=(*LIBS, "both"), default="both")
    parser.add_argument("--profile", metavar="DIR", help="run each server under py-spy into DIR")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.lib, args.port, args.max_connections, args.step_timeout)
        return 0
    if args.phase != "burst" and args.ramp_sound_seconds <= args.ramp:
        parser.error("--ramp-sound-seconds must exceed --ramp, or the first calls end early")
    if args.phase != "burst" and args.call_timeout <= args.ramp_sound_seconds:
        # A call lasts one prompt: the key cuts the digit prompt as soon as it starts.
        parser.error("--call-timeout must exceed --ramp-sound-seconds")
    print(
        f"time scale 1; key '1' at the digit prompt, latency = key -> `hangup` command; "
        f"{os.cpu_count()} CPUs shared by server and load mode"
    )
    for phase in phases(args):
        print(f"--- {phase.name}: {phase.what} ---")
        for lib in LIBS if args.lib == "both" else (args.lib,):
            run_phase(lib, phase, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
