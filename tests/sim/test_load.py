"""The load mode (fs_conf.sim.load) over real TCP on 127.0.0.1: the options and figures."""

from __future__ import annotations

import socket as pysocket
import time
from collections.abc import Callable

import gevent
import pytest

from fs_conf.sim.load import LoadOptions, LoadReport, run_load
from tests.sim.conftest import DATA, EslTestClient, IvrCall, ScriptedIvr

PIN_PROMPT = "ivr/pin.wav"
PAGD = f"1 1 1 5000 # {PIN_PROMPT} silence_stream://10 digit \\d 2000"


def free_port() -> int:
    with pysocket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def options(ivr: ScriptedIvr, **overrides: object) -> LoadOptions:
    values: dict[str, object] = {
        "calls": 4,
        "concurrency": 4,
        "number": "3000",
        "keys": "1",
        "socket": ivr.address,
        "time_scale": 0.01,
        "call_timeout": 10.0,
        "key_gap": 0.0,
    }
    values.update(overrides)
    return LoadOptions(**values)  # type: ignore[arg-type]


def joining_ivr(seen: dict[str, list[object]]) -> Callable[[IvrCall], None]:
    """Welcome, one digit after the PIN prompt, then `conference load@fsconf`."""

    def script(call: IvrCall) -> None:
        seen["connected"].append(time.monotonic())
        call.command("connect")
        call.command("myevents")
        call.run_app("answer")
        started = time.monotonic()
        call.run_app("playback", "ivr/welcome.wav")
        seen["welcome"].append(time.monotonic() - started)
        done = call.run_app("play_and_get_digits", PAGD)
        seen["digits"].append(done.get("variable_digit"))
        call.run_app("conference", "load@fsconf")

    return script


@pytest.fixture
def seen() -> dict[str, list[object]]:
    return {"connected": [], "welcome": [], "digits": []}


def run_against(script: Callable[[IvrCall], None], **overrides: object) -> LoadReport:
    ivr = ScriptedIvr(script)
    try:
        report = run_load(options(ivr, **overrides))
    finally:
        ivr.stop()
    assert not ivr.errors, ivr.errors
    return report


def test_key_prompt_measured_app_room_profile_and_figures(seen: dict[str, list[object]]) -> None:
    """Keys go in when the PIN prompt plays; latency runs to the `conference` execute; the
    room uses the profile of --conference-config (fsconf: max-members 3), so 3 of 4 callers
    held at once join; every prompt plays --sound-seconds."""
    report = run_against(
        joining_ivr(seen),
        key_prompt=PIN_PROMPT,
        measure_app="conference",
        conference_config=str(DATA / "conference.conf.xml"),
        sound_seconds=5.0,
        hold=30.0,
    )
    assert (report.completed, report.failed, report.joined) == (4, 0, 3)
    assert seen["digits"] == ["1"] * 4
    assert report.measured == "conference command" and len(report.latencies) == 4
    assert report.peak_channels == 4
    assert 0 < report.last_join < report.elapsed
    assert report.joins_per_second == pytest.approx(3 / report.last_join)
    assert min(seen["welcome"]) >= 0.04  # type: ignore[type-var]
    text = report.text()
    assert "joined: 3  joins/s:" in text and "peak channels: 4" in text
    assert "key->conference command latency ms: p50" in text and "(n=4)" in text


def test_ramp_spreads_the_call_starts(seen: dict[str, list[object]]) -> None:
    report = run_against(joining_ivr(seen), calls=4, ramp=40.0, hold=0.0)
    assert report.completed == 4
    starts = sorted(seen["connected"])  # type: ignore[type-var]
    # 40 call-seconds at time scale 0.01: the 4th call starts 0.3 s after the first
    assert starts[-1] - starts[0] >= 0.25  # type: ignore[operator]


def test_calls_wait_for_the_subscribers_on_the_esl_port(seen: dict[str, list[object]]) -> None:
    """--esl/--password/--subscribers: the room controller sees the first room's creation."""
    port = free_port()
    got: list[str] = []

    def controller() -> None:
        gevent.sleep(0.2)
        client = EslTestClient.connect(("127.0.0.1", port), password="pw")
        client.command("event plain CUSTOM conference::maintenance")
        while "conference-create" not in got:
            got.append(client.next_event().event["Action"])
        client.close()

    listener = gevent.spawn(controller)
    report = run_against(
        joining_ivr(seen),
        calls=1,
        esl=("127.0.0.1", port),
        password="pw",
        subscribers=1,
        key_prompt=PIN_PROMPT,
        hold=5.0,
    )
    listener.get(timeout=5)
    assert report.joined == 1 and got == ["conference-create"]


def test_missing_subscribers_give_up_after_their_own_timeout(seen: dict[str, list[object]]) -> None:
    started = time.monotonic()
    with pytest.raises(
        ValueError, match="--subscribers 1: only 0 ESL client.*--subscribers-timeout 0.2 s"
    ):
        run_against(joining_ivr(seen), subscribers=1, subscribers_timeout=0.2, call_timeout=60.0)
    assert time.monotonic() - started < 2.0
    assert seen["connected"] == []


def test_without_keys_the_report_says_none_were_pressed(seen: dict[str, list[object]]) -> None:
    def hang_up(call: IvrCall) -> None:
        call.command("connect")
        call.command("myevents")
        call.run_app("answer")
        call.command("sendmsg\ncall-command: hangup")

    report = run_against(hang_up, calls=2, keys="")
    assert (report.completed, report.presses) == (2, 0)
    assert report.text().endswith("key->next command latency: no keys were pressed")
    assert LoadReport(presses=3).text().endswith("no key was followed by it")
