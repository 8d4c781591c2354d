"""Command line: `python -m fs_conf.sim serve ...` and `python -m fs_conf.sim load ...`.

serve runs the simulator as a stand-in FreeSWITCH until interrupted, on the dialplan and
conference.conf.xml shipped with fs_conf unless given others; load places calls
into an IVR's outbound socket server and prints calls/s and key latency percentiles.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

import gevent
from gevent.event import Event as GEvent

from fs_conf.shipped_files import CONFERENCE_CONF, DIALPLAN, shipped_xml_dir
from fs_conf.sim.core import SimConfig, Simulator
from fs_conf.sim.load import LoadOptions, run_load

PHONE_MODES: dict[str, bool | str | None] = {
    "answer": True,
    "reject": False,
    "busy": "busy",
    "never": None,
}


def host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (got {text!r})")
    return host or "127.0.0.1", int(port)


def phone_spec(text: str) -> tuple[str, bool | str | None]:
    number, _, mode = text.partition(":")
    mode = mode or "answer"
    if not number or mode not in PHONE_MODES:
        raise argparse.ArgumentTypeError(
            f"expected NUMBER[:answer|reject|busy|never] (got {text!r})"
        )
    return number, PHONE_MODES[mode]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fs_conf.sim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a stand-in FreeSWITCH")
    serve.add_argument("--esl", type=host_port, default=("127.0.0.1", 8021), help="HOST:PORT")
    serve.add_argument("--password", default="ClueCon")
    serve.add_argument(
        "--dialplan", type=Path, help="dialplan XML file or directory (default: the shipped one)"
    )
    serve.add_argument(
        "--conference-config", type=Path, help="conference.conf.xml (default: the shipped one)"
    )
    serve.add_argument("--sounds-dir", help="where prompts live (real lengths from WAV headers)")
    serve.add_argument("--time-scale", type=float, default=1.0)
    serve.add_argument("--default-sound-seconds", type=float, default=1.0)
    serve.add_argument(
        "--phone",
        type=phone_spec,
        action="append",
        default=[],
        help="register a phone for sim/NUMBER: NUMBER[:answer|reject|busy|never]",
    )
    serve.add_argument(
        "--socket-redirect",
        metavar="HOST:PORT",
        help="connect every socket application here instead of the dialplan's address",
    )
    serve.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="global variable (wins over X-PRE-PROCESS set)",
    )
    load = commands.add_parser("load", help="place calls into an IVR and measure it")
    load.add_argument("--calls", type=int, required=True)
    load.add_argument("--concurrency", type=int, default=10)
    load.add_argument("--number", default="3000")
    load.add_argument("--keys", default="")
    load.add_argument("--socket", required=True, help="the IVR's HOST:PORT")
    load.add_argument("--time-scale", type=float, default=1.0)
    load.add_argument("--call-timeout", type=float, default=30.0)
    load.add_argument(
        "--hold", type=float, default=0.0, help="call-seconds to stay in a room before hanging up"
    )
    load.add_argument(
        "--key-prompt", default="", help="press the keys when a prompt matching this plays"
    )
    load.add_argument(
        "--measure-app",
        default="",
        help="measure from the last key to this application's execute (e.g. conference)",
    )
    load.add_argument(
        "--sound-seconds", type=float, default=1.0, help="call-seconds every prompt plays"
    )
    load.add_argument(
        "--esl", type=host_port, default=("127.0.0.1", 0), help="inbound Event Socket HOST:PORT"
    )
    load.add_argument("--password", default="ClueCon")
    load.add_argument(
        "--subscribers",
        type=int,
        default=0,
        help="wait for this many ESL clients subscribed to events before calling",
    )
    load.add_argument(
        "--subscribers-timeout",
        type=float,
        default=30.0,
        help="real seconds to wait for --subscribers before giving up (exit 2)",
    )
    load.add_argument("--conference-config", help="conference.conf.xml")
    load.add_argument(
        "--ramp", type=float, default=0.0, help="call-seconds over which the calls start"
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    global_vars = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"--set: expected NAME=VALUE (got {item!r})", file=sys.stderr)
            return 2
        global_vars[name] = value
    shipped = shipped_xml_dir()
    dialplan = args.dialplan or shipped / DIALPLAN
    conference_config = args.conference_config or shipped / CONFERENCE_CONF
    config = SimConfig(
        esl_host=args.esl[0],
        esl_port=args.esl[1],
        password=args.password,
        dialplan=dialplan,
        conference_config=conference_config,
        sounds_dir=args.sounds_dir,
        time_scale=args.time_scale,
        default_sound_seconds=args.default_sound_seconds,
        global_vars=global_vars,
        socket_redirect=args.socket_redirect,
    )
    try:
        sim = Simulator(config)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for number, mode in args.phone:
        sim.phone(number, answer=mode)
    stop = GEvent()
    gevent.signal_handler(signal.SIGINT, stop.set)
    gevent.signal_handler(signal.SIGTERM, stop.set)
    print(f"fs_conf.sim: dialplan {dialplan}", flush=True)
    print(f"fs_conf.sim: conference configuration {conference_config}", flush=True)
    with sim:
        host, port = sim.esl_address
        print(f"fs_conf.sim: Event Socket on {host}:{port}", flush=True)
        stop.wait()
    return 0


def load(args: argparse.Namespace) -> int:
    options = LoadOptions(
        calls=args.calls,
        concurrency=args.concurrency,
        number=args.number,
        keys=args.keys,
        socket=args.socket,
        time_scale=args.time_scale,
        call_timeout=args.call_timeout,
        hold=args.hold,
        key_prompt=args.key_prompt,
        measure_app=args.measure_app,
        sound_seconds=args.sound_seconds,
        esl=args.esl,
        password=args.password,
        subscribers=args.subscribers,
        subscribers_timeout=args.subscribers_timeout,
        conference_config=args.conference_config,
        ramp=args.ramp,
    )
    try:
        report = run_load(options)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(report.text(), flush=True)
    return 0 if report.failed == 0 else 1


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return serve(args) if args.command == "serve" else load(args)


if __name__ == "__main__":
    sys.exit(main())
