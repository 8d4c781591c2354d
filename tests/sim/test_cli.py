"""`python -m fs_conf.sim serve` and `load` as separate processes."""

from __future__ import annotations

import os
import signal
import socket as pysocket
import subprocess
import sys
from pathlib import Path

import gevent
from gevent import socket

from tests.sim.conftest import DATA, EslTestClient, IvrCall, ScriptedIvr

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with pysocket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = gevent.get_hub().loop.now() + timeout
    while gevent.get_hub().loop.now() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            gevent.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def test_serve_is_a_stand_in_freeswitch() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fs_conf.sim",
            "serve",
            "--esl",
            f"127.0.0.1:{port}",
            "--password",
            "secret",
            "--dialplan",
            str(DATA / "dialplan.xml"),
            "--conference-config",
            str(DATA / "conference.conf.xml"),
            "--time-scale",
            "0.01",
            "--phone",
            "4711:busy",
        ],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port)
        client = EslTestClient.connect(("127.0.0.1", port), password="secret")
        reply = client.api(
            "originate {origination_caller_id_number=5551234}loopback/4000/default &park()"
        )
        assert reply.startswith("+OK ")
        a_leg = reply.split()[1]
        b_leg = client.api(f"uuid_getvar {a_leg} other_loopback_leg_uuid")
        client.command("event plain CHANNEL_EXECUTE_COMPLETE")
        assert client.api(f"uuid_recv_dtmf {b_leg} 12#").startswith(f"+OK {b_leg} received DTMF")
        done = client.wait_event(lambda e: e.get("Application") == "play_and_get_digits")
        assert done["variable_got"] == "12"
        assert client.api("originate sim/4711 &park()") == "-ERR USER_BUSY\n"
        assert client.api("conference list") == "+OK No active conferences.\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err.decode()
    assert f"Event Socket on 127.0.0.1:{port}" in out.decode()


def test_serve_without_paths_runs_the_shipped_files() -> None:
    """No --dialplan, no --conference-config: the shipped ones, so a moderator key in an
    fs_conf room fires the event fs_conf's room controller listens for."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fs_conf.sim",
            "serve",
            "--esl",
            f"127.0.0.1:{port}",
            "--time-scale",
            "0.01",
            "--phone",
            "4711",
        ],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port)
        listener = EslTestClient.connect(("127.0.0.1", port))
        listener.command("event plain CUSTOM conference::maintenance")
        admin = EslTestClient.connect(("127.0.0.1", port))
        reply = admin.api("originate sim/4711 &conference(trial@fs_conf+flags{moderator})")
        assert reply.startswith("+OK ")
        moderator = reply.split()[1]
        listener.wait_event(lambda e: e.get("Action") == "add-member")
        assert admin.api(f"uuid_recv_dtmf {moderator} *1").startswith("+OK")
        key = listener.wait_event(lambda e: e.get("Action") == "dtmf")
        assert key["DTMF-Key"] == "*1"
        assert key["Conference-Profile-Name"] == "fs_conf"
        listener.close()
        admin.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err.decode()
    shipped = ROOT / "freeswitch"
    lines = out.decode().splitlines()
    assert f"fs_conf.sim: dialplan {shipped / 'dialplan'}" in lines
    assert (
        f"fs_conf.sim: conference configuration {shipped / 'autoload_configs' / 'conference.conf.xml'}"
        in lines
    )


def test_serve_reports_a_bad_dialplan(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<include>")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fs_conf.sim",
            "serve",
            "--esl",
            "127.0.0.1:0",
            "--dialplan",
            str(broken),
        ],
        env=env(),
        capture_output=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "broken.xml: not well-formed" in result.stderr.decode()


def test_load_reports_rate_and_latency() -> None:
    def ivr(call: IvrCall) -> None:
        call.command("connect")
        call.command("myevents")
        call.run_app("answer")
        call.execute(
            "play_and_get_digits",
            "1 4 1 2000 # ivr/prompt.wav ivr/invalid.wav pin \\d+ 500",
            "pagd",
        )
        call.wait_event("DTMF")
        call.command("sendmsg\ncall-command: hangup")

    server = ScriptedIvr(ivr)
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fs_conf.sim",
                "load",
                "--calls",
                "6",
                "--concurrency",
                "3",
                "--number",
                "3000",
                "--keys",
                "1",
                "--socket",
                server.address,
                "--time-scale",
                "0.01",
                "--call-timeout",
                "10",
            ],
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        while proc.poll() is None:
            gevent.sleep(0.05)
        out, err = proc.communicate()
    finally:
        server.stop()
    text = out.decode()
    assert proc.returncode == 0, text + err.decode()
    assert "calls: 6 completed: 6 failed: 0" in text
    assert "calls/s:" in text and "p50" in text and "(n=6)" in text


def load_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "fs_conf.sim", "load", *args]


def test_load_options_on_the_command_line() -> None:
    """--key-prompt, --measure-app, --sound-seconds, --conference-config, --ramp, --hold and
    --esl/--password/--subscribers through argparse, with a room controller subscribed."""

    def ivr(call: IvrCall) -> None:
        call.command("connect")
        call.command("myevents")
        call.run_app("answer")
        call.run_app("playback", "ivr/welcome.wav")
        call.run_app("play_and_get_digits", "1 1 1 5000 # ivr/pin.wav silence_stream://10 d \\d")
        call.run_app("conference", "cli@fsconf")

    server = ScriptedIvr(ivr)
    port = free_port()
    proc = subprocess.Popen(
        load_argv(
            "--calls",
            "2",
            "--concurrency",
            "2",
            "--keys",
            "1",
            "--socket",
            server.address,
            "--time-scale",
            "0.01",
            "--key-prompt",
            "ivr/pin.wav",
            "--measure-app",
            "conference",
            "--sound-seconds",
            "2",
            "--conference-config",
            str(DATA / "conference.conf.xml"),
            "--ramp",
            "4",
            "--hold",
            "20",
            "--esl",
            f"127.0.0.1:{port}",
            "--password",
            "pw",
            "--subscribers",
            "1",
        ),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port)
        controller = EslTestClient.connect(("127.0.0.1", port), password="pw")
        controller.command("event plain CUSTOM conference::maintenance")
        while proc.poll() is None:
            gevent.sleep(0.05)
        out, err = proc.communicate()
        controller.close()
    finally:
        server.stop()
    text = out.decode()
    assert proc.returncode == 0, text + err.decode()
    assert "calls: 2 completed: 2 failed: 0" in text and "peak channels: 2" in text
    assert "joined: 2  joins/s:" in text
    assert "key->conference command latency ms:" in text and "(n=2)" in text


def test_load_gives_up_waiting_for_subscribers() -> None:
    result = subprocess.run(
        load_argv(
            "--calls",
            "1",
            "--socket",
            "127.0.0.1:9",
            "--subscribers",
            "1",
            "--subscribers-timeout",
            "0.2",
        ),
        env=env(),
        capture_output=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "--subscribers-timeout 0.2 s" in result.stderr.decode()
