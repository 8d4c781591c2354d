"""The dialplan applications the simulator runs (mod_dptools and friends).

Each is `app(session, expanded_arg)`; waits raise ChannelGone when the caller hangs up.
Responses (current_application_response) follow mod_dptools.c: playback answers
"FILE PLAYED", "FILE NOT FOUND" or "PLAYBACK ERROR"; the rest leave it unset ("_none_").
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from pathlib import Path

from fs_conf.sim.channel import ChannelGone, Interrupted, now_us
from fs_conf.sim.digits import Collector, PagdArgs, ReadOutcome, judge
from fs_conf.sim.export import export_variable
from fs_conf.sim.say import say_files
from fs_conf.sim.separate import separate
from fs_conf.sim.session import AppFunction, Session

log = logging.getLogger(__name__)

GENDERS = frozenset({"FEMININE", "MASCULINE", "NEUTER"})


def app_answer(session: Session, arg: str) -> None:
    session.channel.answer()
    session.channel.set_var("endpoint_disposition", "ANSWER")


def app_pre_answer(session: Session, arg: str) -> None:
    session.channel.pre_answer()
    session.channel.set_var("endpoint_disposition", "EARLY MEDIA")


def app_playback(session: Session, arg: str) -> None:
    """mod_dptools playback_function()."""
    channel = session.channel
    if not arg:
        return
    try:
        result = session.play(arg)
    except ChannelGone:
        channel.set_var("current_application_response", "PLAYBACK ERROR")
        raise
    except Interrupted:
        channel.set_var("current_application_response", "FILE PLAYED")
        raise
    if result.status == "missing":
        channel.set_var("current_application_response", "FILE NOT FOUND")
    else:
        channel.set_var("current_application_response", "FILE PLAYED")


def app_play_and_get_digits(session: Session, arg: str) -> None:
    """switch_play_and_get_digits() with the semantics the recordings show."""
    channel = session.channel
    try:
        args = PagdArgs.parse(arg)
    except ValueError as exc:
        log.error("%s", exc)
        return
    if args.regex and args.var_name:
        channel.set_var(f"{args.var_name}_invalid", None)
    for _try in range(args.tries):
        outcome = _read_once(session, args)
        verdict = judge(outcome, args)
        if verdict.accepted:
            return
        if verdict.invalid_digits is not None:
            channel.set_var(args.var_name, None)
            if args.var_name:
                channel.set_var(f"{args.var_name}_invalid", verdict.invalid_digits)
        if args.invalid_file:
            session.play(args.invalid_file)
    if args.transfer_on_failure:
        # switch_play_and_get_digits(): <extension> [<dialplan> [<context>]], split again
        # with switch_separate_string.
        parts = separate(args.transfer_on_failure)
        session.transfer_to = (parts[0], parts[2] if len(parts) > 2 else channel.profile.context)


def _read_once(session: Session, args: PagdArgs) -> ReadOutcome:
    """switch_ivr_read(): prompt (barge-in), collect, set read_result and the variable."""
    channel = session.channel
    channel.set_var("read_result", None)
    if args.var_name:
        channel.set_var(args.var_name, None)
    collector = Collector(args)

    def on_key(digit: str) -> bool:
        collector.prompt_digit(digit)
        return True

    if args.file and args.file != "silence":
        if session.play(args.file, on_key=on_key).status == "missing":
            # A prompt that cannot be opened ends the try before any key is read, with
            # read_result left unset (src/switch_ivr_play_say.c switch_ivr_read, `goto end`).
            return ReadOutcome("not_found", "", "")
    collector.start_collecting()
    while not collector.done:
        key = session.next_input(collector.next_timeout_ms() / 1000.0)
        if key is None:
            collector.timeout()
        else:
            collector.digit(key[0])
    outcome = collector.outcome()
    if outcome.terminator:
        channel.set_var("read_terminator_used", outcome.terminator)
    channel.set_var("read_result", outcome.read_result)
    if args.var_name and outcome.digits:
        channel.set_var(args.var_name, outcome.digits)
    return outcome


def app_sleep(session: Session, arg: str) -> None:
    """mod_dptools sleep_function(): a key ends the sleep and stays queued."""
    try:
        millis = int(arg.strip() or "0")
    except ValueError:
        log.error("sleep: not a number of milliseconds (%r)", arg)
        return
    session.wait_key_or_time(millis / 1000.0)


def app_set(session: Session, arg: str) -> None:
    name, sep, value = arg.partition("=")
    if not name.strip():
        return
    session.channel.set_var(name.strip(), value if sep else None)


def app_multiset(session: Session, arg: str) -> None:
    """mod_dptools multiset_function(): `[^^<delim>]name=value<delim>name=value...`, each part
    set as `set` sets it; the delimiter is a blank unless `^^` names another."""
    delim = " "
    if arg.startswith("^^") and len(arg) > 2:
        delim, arg = arg[2], arg[3:]
    for part in separate(arg, delim, limit=256):
        app_set(session, part)


def app_unset(session: Session, arg: str) -> None:
    session.channel.set_var(arg.strip(), None)


def app_export(session: Session, arg: str) -> None:
    """mod_dptools export_function(): `name=value`, an empty value unsets (see export.py)."""
    name, _, value = arg.partition("=")
    if not name:
        log.error("export: no variable name specified")
        return
    export_variable(session.channel, name, value or None)


def app_hangup(session: Session, arg: str) -> None:
    session.channel.hangup(arg.strip() or "NORMAL_CLEARING")


def app_transfer(session: Session, arg: str) -> None:
    """transfer <extension> [XML] [context]: hunt the dialplan again."""
    parts = arg.split()
    if not parts:
        return
    context = parts[2] if len(parts) > 2 else session.channel.profile.context
    session.transfer_to = (parts[0], context)
    session.channel.profile.transfer_us = now_us()


def app_park(session: Session, arg: str) -> None:
    session.park()


def app_ring_ready(session: Session, arg: str) -> None:
    session.channel.set_call_state("RINGING")


def app_say(session: Session, arg: str) -> None:
    """mod_dptools say_function(): `<module>[:lang] <type> <method> [<gender>] <text>`."""
    words = arg.split()
    if len(words) < 4:
        log.error("say: usage <module> <say_type> <say_method> [<say_gender>] <text> (got %r)", arg)
        return
    say_type, method = words[1], words[2]
    text = " ".join(words[4:] if len(words) > 4 and words[3].upper() in GENDERS else words[3:])
    channel = session.channel
    for sound in say_files(say_type, method, text, channel.get_var("timezone")):
        session.play(sound)


def app_record(session: Session, arg: str) -> None:
    """mod_dptools record_function(): `<path> [<time_limit_secs>] [<silence_thresh>] [<hits>]`.

    Records until the time limit, a terminator key (playback_terminators, default `*#`
    here as in the record app's on_dtmf) or the hangup, and writes that much silence as a
    8 kHz WAV file so the recording can be played back.
    """
    words = arg.split()
    if not words:
        log.error("record: missing file name")
        return
    path = Path(words[0])
    try:
        limit = float(words[1]) if len(words) > 1 else None
    except ValueError:
        limit = None
    channel = session.channel
    terminators = channel.get_var("playback_terminators") or "*#"
    started = time.monotonic()
    channel.fire("RECORD_START", post=[("Record-File-Path", str(path))])
    try:
        remaining = limit
        while True:
            key = session.next_input(remaining)
            if key is None or key[0] in terminators:
                break
            if limit is not None:
                remaining = max(limit - session.ctx.clock.call_seconds_since(started), 0.0)
    finally:
        seconds = session.ctx.clock.call_seconds_since(started)
        if limit is not None:
            seconds = min(seconds, limit)
        millis = int(seconds * 1000)
        channel.set_var("record_ms", millis)
        channel.set_var("record_samples", millis * 8)
        channel.set_var("record_seconds", millis // 1000)
        _write_silence(path, seconds)
        if channel.alive:
            channel.fire("RECORD_STOP", post=[("Record-File-Path", str(path))])


def _write_silence(path: Path, seconds: float) -> None:
    frames = int(min(seconds, 60.0) * 8000)
    data = b"\0\0" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    try:
        path.write_bytes(header + b"data" + struct.pack("<I", len(data)) + data)
    except OSError as exc:
        log.error("record: cannot write %s (%s)", path, exc)


def app_log(session: Session, arg: str) -> None:
    log.info("dialplan log on %s: %s", session.channel.name, arg)


def build_apps() -> dict[str, AppFunction]:
    """The application table; conference, socket and bridge live in modules of their own."""
    from fs_conf.sim.bridge import app_bridge
    from fs_conf.sim.conference_join import app_conference
    from fs_conf.sim.outbound import app_socket

    table: dict[str, Callable[[Session, str], None]] = {
        "answer": app_answer,
        "pre_answer": app_pre_answer,
        "playback": app_playback,
        "play_and_get_digits": app_play_and_get_digits,
        "sleep": app_sleep,
        "set": app_set,
        "multiset": app_multiset,
        "unset": app_unset,
        "export": app_export,
        "hangup": app_hangup,
        "transfer": app_transfer,
        "park": app_park,
        "ring_ready": app_ring_ready,
        "log": app_log,
        "say": app_say,
        "record": app_record,
        "conference": app_conference,
        "socket": app_socket,
        "bridge": app_bridge,
    }
    return table
