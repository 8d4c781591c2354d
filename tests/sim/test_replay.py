"""Fidelity: replay the client side of each recording and compare what comes back.

For every recording folder the client commands of all its connections (inbound ESL
clients, and the outbound handler's bytes `outbound-*.s2c.bin`) are sent to the simulator
in the recorded order (see replay.py for the gating). Per connection the test compares:

- replies: every command/reply (Reply-Text, extra header names), api/response (body with
  UUIDs, dates, member ids, uptime and run times normalised; `show channels` only as a
  kind, because FreeSWITCH's core database lags calls by ~1.5 s) and the connect reply
  (all header names in order, variables included), in order;
- events, per channel (and per conference for room events without a member): the event
  kinds in order and every header name in order, `variable_*` included;
- the disconnect notices: header names, disposition and body.

Left out, because FreeSWITCH itself is not deterministic there (the recordings README and
FINDINGS show both outcomes): CHANNEL_PARK on the outbound socket (it races `myevents`),
the order of replies against events and of events across channels, the position of the
linger notice, CHANNEL_UNPARK before or after CHANNEL_HANGUP, Hangup-Cause on the
CHANNEL_EXECUTE_COMPLETE of park/conference and on CHANNEL_UNPARK (which leg ended first),
the conference's file events (play-file-done, play-file-member-done: mixer timing) and,
in case6/case6b, floor-change (who gets the floor after the holder leaves). The variable
conference_call_key (case5 only) is not modelled. `sip` is covered by
test_sip_outbound_handler below: sipp and RTP cannot be replayed.
"""

from __future__ import annotations

import difflib
import struct
from collections.abc import Iterator
from pathlib import Path

import gevent
import pytest
from gevent.server import StreamServer

from fs_conf.sim import Call, SimConfig, Simulator
from tests.sim.conftest import DATA, RECORDINGS, FrameSocket, TFrame
from tests.sim.replay import Replayer, streams

pytestmark = pytest.mark.skipif(not RECORDINGS.is_dir(), reason="recordings not present")

FILE_EVENTS = frozenset({"play-file-done", "play-file-member-done"})
FLOOR_RACES = frozenset({"case6_conference_api", "case6b_conference_api_dialplan_joins"})
PROMPTS = (
    "ivr/ivr-welcome.wav",
    "ivr/ivr-please_try_again.wav",
    "ivr/ivr-that_was_an_invalid_entry.wav",
    "conference/conf-pin.wav",
    "conference/conf-enter_conf_number.wav",
    "conference/conf-alone.wav",
    "conference/conf-muted.wav",
    "conference/conf-unmuted.wav",
    "conference/conf-locked.wav",
    "conference/conf-is-locked.wav",
    "conference/conf-is-unlocked.wav",
    "conference/conf-kicked.wav",
)


def folders() -> list[str]:
    if not RECORDINGS.is_dir():
        return []
    names = ["scenario1", "protocol_misc"]
    names += [f"scenario2/{p.name}" for p in sorted((RECORDINGS / "scenario2").glob("case*"))]
    return [n for n in names if (RECORDINGS / n).is_dir()]


# The kicked sound played 2.37 s from `kick last` to the kicked leg's hangup in case6 and was
# still playing when scenario1's hupall came 1.04 s after its kick. The replay runs at its own
# pace, so the file is made long enough to still play at that hupall however slow the machine.
SECONDS = {"conference/conf-kicked.wav": 20.0}


def write_sounds(root: Path) -> None:
    """WAV files for every prompt the recordings play, one second unless SECONDS says
    otherwise (nosuchfile stays missing)."""
    for relative in PROMPTS:
        data = b"\0\0" * int(8000 * SECONDS.get(relative, 1.0))
        header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
        header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
        header += b"data" + struct.pack("<I", len(data))
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(header + data)


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    write_sounds(tmp_path)
    return tmp_path


def skip_for(folder: str, connection: str) -> frozenset[str]:
    skip = set(FILE_EVENTS)
    if connection.startswith("outbound"):
        skip.add("CHANNEL_PARK")
    if folder.split("/")[-1] in FLOOR_RACES:
        skip.add("floor-change")
    return frozenset(skip)


def replay_config(sounds: Path, socket_port: int) -> SimConfig:
    return SimConfig(
        dialplan=DATA / "replay" / "dialplan.xml",
        conference_config=DATA / "replay" / "conference.conf.xml",
        time_scale=0.05,
        sounds_dir=sounds,
        hostname="vm",
        global_vars={"ivr_socket": f"127.0.0.1:{socket_port}"},
    )


def differences(
    name: str,
    recorded: dict[str, list[tuple[object, ...]]],
    got: dict[str, list[tuple[object, ...]]],
) -> list[str]:
    """Readable differences: the kinds that differ, or the header names of the first frame."""
    out = []
    for key in sorted(set(recorded) | set(got)):
        want, have = recorded.get(key, []), got.get(key, [])
        if want == have:
            continue
        kinds_want = [str(x[0]) for x in want]
        kinds_have = [str(x[0]) for x in have]
        if kinds_want != kinds_have:
            diff = difflib.unified_diff(
                kinds_want, kinds_have, "recorded", "simulator", lineterm="", n=1
            )
        else:
            first = next(i for i, (a, b) in enumerate(zip(want, have, strict=True)) if a != b)
            diff = difflib.unified_diff(
                [str(x) for x in _flatten(want[first])],
                [str(x) for x in _flatten(have[first])],
                f"recorded #{first}",
                f"simulator #{first}",
                lineterm="",
                n=1,
            )
        out.append(f"{name} / {key}:\n" + "\n".join(diff))
    return out


def _flatten(item: tuple[object, ...]) -> list[object]:
    flat: list[object] = []
    for part in item:
        flat.extend(part if isinstance(part, tuple) else [part])
    return flat


@pytest.fixture
def replay_server() -> Iterator[tuple[StreamServer, dict[str, Replayer]]]:
    holder: dict[str, Replayer] = {}
    server = StreamServer(
        ("127.0.0.1", 0), lambda sock, addr: holder["replayer"].accept(sock, addr)
    )
    server.start()
    yield server, holder
    server.stop(timeout=1)


@pytest.mark.parametrize("folder", folders())
def test_replay_recording(
    folder: str, sounds: Path, replay_server: tuple[StreamServer, dict[str, Replayer]]
) -> None:
    server, holder = replay_server
    with Simulator(replay_config(sounds, server.address[1])) as sim:
        replayer = Replayer(RECORDINGS / folder, sim, lambda name: skip_for(folder, name))
        holder["replayer"] = replayer
        try:
            replayer.run(gate_timeout=1.0)
            problems: list[str] = []
            for name, conn in replayer.recorded.items():
                live = replayer.live.get(name)
                skip = skip_for(folder, name)
                recorded = streams([f for _, f in conn.frames], True, skip)
                got = streams(list(live.frames) if live else [], True, skip)
                problems.extend(differences(name, recorded, got))
        finally:
            replayer.stop()
    assert not problems, "\n\n".join(problems)


def test_sip_outbound_handler(sounds: Path) -> None:
    """sip/: the recorded handler's bytes against a simulated SIP caller.

    sipp cannot be replayed, so the caller is a simulator phone on 3000 (caller ID and name
    "sipp") that does what sipp did: 1234 at the PIN prompt, # once in the room (the
    default caller controls take it out of the room), then hangs up. Compared: the replies
    (reply texts; the connect reply's header names without the SIP-specific variables,
    which come from the INVITE), the notices and the outbound events, kinds and
    non-variable header names in order (the channel names differ: sofia/lo/... there).
    """
    folder = RECORDINGS / "sip"
    if not folder.is_dir():
        pytest.skip("sip recording not present")
    holder: dict[str, Replayer] = {}
    server = StreamServer(
        ("127.0.0.1", 0), lambda sock, addr: holder["replayer"].accept(sock, addr)
    )
    server.start()
    try:
        with Simulator(replay_config(sounds, server.address[1])) as sim:
            replayer = Replayer(folder, sim, lambda name: frozenset({"CHANNEL_PARK"}))
            replayer.recorded = {
                k: v for k, v in replayer.recorded.items() if k.startswith("outbound")
            }
            holder["replayer"] = replayer
            call = sim.call("3000", caller_id="sipp", caller_name="sipp")
            caller = gevent.spawn(_press_after_prompt, call)
            try:
                replayer.run(gate_timeout=1.0)
                caller.join(timeout=5)
                conn = replayer.recorded["outbound-0001"]
                live = replayer.live["outbound-0001"]
                skip = frozenset({"CHANNEL_PARK"})
                recorded = _one_channel(
                    streams([_strip_sip(f) for _, f in conn.frames], False, skip)
                )
                got = _one_channel(streams([_strip_sip(f) for f in live.frames], False, skip))
                problems = differences("outbound-0001", recorded, got)
            finally:
                replayer.stop()
    finally:
        server.stop(timeout=1)
    assert not problems, "\n\n".join(problems)


def _press_after_prompt(call: Call) -> None:
    call.wait_heard("conference/conf-pin", timeout=5)
    call.press("1234")
    call.wait_member(timeout=5)
    call.press("#")
    while call.member is not None:
        gevent.sleep(0.01)
    call.hangup()


def _one_channel(found: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {"events": []}
    for key, value in found.items():
        if key.startswith("events"):
            out["events"].extend(value)
        else:
            out[key] = value
    return out


def _strip_sip(frame: TFrame) -> TFrame:
    """Drop the connect reply's variables (they describe the SIP INVITE)."""
    if frame.get("Event-Name") == "CHANNEL_DATA":
        headers = [(k, v) for k, v in frame.headers if not k.startswith("variable_")]
        return TFrame(frame.raw, headers, frame.body)
    return frame


def test_replayer_reads_every_recorded_connection() -> None:
    """The loader splits each stream into whole frames and commands (no leftovers)."""
    from tests.sim.replay import load

    for name in folders():
        for conn in load(RECORDINGS / name).values():
            assert conn.frames or conn.commands
            for _t, frame in conn.frames:
                assert isinstance(frame, TFrame)
    assert FrameSocket
