"""1,000 concurrent calls from the simulator's load mode through a trivial outbound handler.

The handler does what every IVR call starts with: `connect`, `myevents`, `answer`, a
`playback` of a short prompt (bench/hello.wav), `play_and_get_digits` for one digit (prompt
bench/digit.wav), `hangup`. The simulator's callers press `1` when the digit prompt plays;
the latency is from that key to the `hangup` command that follows it. Every prompt plays
`--sound-seconds` seconds (time scale 1). Up to `--concurrency` calls run at once; they all
start together, so the servers also meet a burst of connects.

It runs once on greenswitch 0.0.19's OutboundESLServer (max_connections raised above the
concurrency) and once on fs_conf.esl's OutboundESLServer, each server in its own process, the
load mode in another, all on 127.0.0.1. Prints calls/s, latency percentiles, the most calls
the server held at once, peak memory and CPU of each process and the kernel's listen-queue
counters. When greenswitch does not complete every call, it says which of its documented
defects is at work. `--profile DIR` runs each server under py-spy and prints its hot spots.
Asserts nothing.

    PYTHONPATH=. python bench/sim_load.py [--calls 3000] [--concurrency 1000] [--lib both]
"""

from __future__ import annotations

import argparse
import os
import sys
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
STEP_TIMEOUT_SECONDS = 30
# mod_dptools play_and_get_digits: min max tries timeout terminators file invalid_file var regex
PAGD_ARGS = f"1 1 1 5000 # {DIGIT} silence_stream://250 bench_digit \\d+"
LIBS = ("greenswitch", "fs_conf")

GREENSWITCH_DEFECT = """\
greenswitch did not complete every call. The documented defect at work (DESIGN.md, "The Event
Socket library"; fs_conf/esl/__init__.py): OutboundESLServer.listen() calls listen(100) and,
whenever accept() finds nothing, sleeps 100 ms before it looks again, so a burst of connects
overflows the accept queue (ListenOverflows above). The kernel drops those handshakes: most
calls get in on the retransmissions (1 s, 3 s, ...), the rest stay connected on the
simulator's side only, waiting for a `connect` that never comes, until --call-timeout.
fs_conf.esl's server accepts on a read watcher with a backlog as deep as max_connections."""


class GreenswitchCall:
    """The trivial handler on greenswitch's OutboundSession (the server already `connect`ed)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def run(self) -> None:
        self.session.myevents()
        for app, arg in (("answer", None), ("playback", HELLO), ("play_and_get_digits", PAGD_ARGS)):
            self.session.call_command(app, arg, block=True, response_timeout=STEP_TIMEOUT_SECONDS)
        self.session.hangup()


class FsConfCall:
    """The same handler on fs_conf.esl's OutboundSession."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def run(self) -> None:
        session = self.session
        session.myevents()
        session.answer(timeout=STEP_TIMEOUT_SECONDS)
        session.playback(HELLO, timeout=STEP_TIMEOUT_SECONDS)
        session.play_and_get_digits(
            1, 1, 1, 5000, "#", DIGIT, var="bench_digit", timeout=STEP_TIMEOUT_SECONDS
        )
        session.hangup()


def serve(lib: str, port: int, max_connections: int) -> None:
    """The server process: one OutboundESLServer until SIGTERM."""
    if lib == "greenswitch":
        import gevent
        import greenswitch

        server = greenswitch.OutboundESLServer(
            bind_address="127.0.0.1",
            bind_port=port,
            application=GreenswitchCall,
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
        "127.0.0.1", 0, application=FsConfCall, max_connections=max_connections
    )

    def start() -> int:
        ours.start()
        return ours.bound_port or 0

    serve_until_terminated(start, lambda: ours.stop(5.0), lambda: ours.connection_count, lib=lib)


def report(lib: str, result: LoadResult, summary: dict[str, object], calls: int) -> bool:
    """Print one run's figures; True when every call completed."""
    print(f"--- {lib} OutboundESLServer ---")
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
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--sound-seconds", type=float, default=0.5)
    parser.add_argument("--call-timeout", type=float, default=60.0)
    parser.add_argument("--lib", choices=(*LIBS, "both"), default="both")
    parser.add_argument("--profile", metavar="DIR", help="run each server under py-spy into DIR")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.lib, args.port, args.max_connections)
        return 0
    print(
        f"{args.calls} calls, {args.concurrency} at once, prompts {args.sound_seconds:g} s, time "
        f"scale 1; key '1' at the digit prompt, latency = key -> `hangup` command; "
        f"{os.cpu_count()} CPUs shared by server and load mode"
    )
    for lib in LIBS if args.lib == "both" else (args.lib,):
        argv = [sys.executable, __file__, "serve", "--lib", lib, "--port", str(free_port())]
        argv += ["--max-connections", str(max(args.concurrency * 2, 100))]
        profile = str(Path(args.profile) / f"sim_load-{lib}.txt") if args.profile else ""
        process = ServerProcess(argv, spy=profile).start()
        try:
            result = run_load(
                [
                    "--calls", str(args.calls),
                    "--concurrency", str(args.concurrency),
                    "--keys", "1",
                    "--key-prompt", DIGIT,
                    "--socket", f"127.0.0.1:{process.port}",
                    "--sound-seconds", str(args.sound_seconds),
                    "--call-timeout", str(args.call_timeout),
                ],
                timeout=args.call_timeout * (args.calls / args.concurrency + 2),
            )
        finally:
            summary = process.stop()
        if not report(lib, result, summary, args.calls) and lib == "greenswitch":
            print(GREENSWITCH_DEFECT)
        if profile:
            print_profile(profile)
            print_profile(profile, only="fs_conf/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
