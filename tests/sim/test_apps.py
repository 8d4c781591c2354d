"""Dialplan applications, sound lengths and the remaining API commands."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from gevent.queue import Queue

from fs_conf.sim import Simulator
from fs_conf.sim.core import SimConfig
from fs_conf.sim.sounds import SoundLibrary, silence_seconds, tone_seconds, wav_seconds
from tests.sim.conftest import DATA, EslTestClient, IvrCall, ScriptedIvr, make_config

Start = Callable[..., tuple[Simulator, ScriptedIvr]]


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    data = b"\0\0" * int(rate * seconds)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + b"data" + struct.pack("<I", len(data)) + data)


def test_sound_lengths(tmp_path: Path) -> None:
    write_wav(tmp_path / "ivr" / "two.wav", 2.0)
    assert wav_seconds(tmp_path / "ivr" / "two.wav") == 2.0
    assert wav_seconds(DATA / "dialplan.xml") is None
    assert tone_seconds("%(200,0,500,600,700)") == 0.2
    assert tone_seconds("%(100,100,350);loops=3") == 0.6
    assert tone_seconds("%(100,100,350);loops=-1") is None
    assert silence_seconds("1500") == 1.5 and silence_seconds("-1") is None
    library = SoundLibrary(tmp_path, 7.0)
    assert library.resolve("ivr/two.wav").seconds == 2.0
    assert not library.resolve("ivr/missing.wav").exists
    assert SoundLibrary(None, 7.0).resolve("x.wav").seconds == 7.0
    assert SoundLibrary(None, 7.0).resolve("say:one two three").seconds == pytest.approx(1.2)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    dialplan = tmp_path / "d.xml"
    dialplan.write_text(
        '<context name="default"><extension name="p"><condition field="destination_number" '
        'expression="^1$"><action application="answer"/><action application="playback" '
        'data="nope.wav"/><action application="set" data="r=${current_application_response}"/>'
        "</condition></extension></context>"
    )
    with Simulator(SimConfig(dialplan=dialplan, sounds_dir=tmp_path, time_scale=0.01)) as sim:
        call = sim.call("1")
        call.wait_hangup()
        assert call.var("r") == "FILE NOT FOUND" and call.heard == []


def test_multiset_sets_each_pair_with_a_blank_or_its_own_delimiter(tmp_path: Path) -> None:
    dialplan = tmp_path / "d.xml"
    dialplan.write_text(
        '<context name="default"><extension name="m"><condition field="destination_number" '
        'expression="^1$"><action application="multiset" data="a=1 b=two"/>'
        '<action application="multiset" data="^^|c=x y|d=${a}|e="/>'
        '<action application="hangup"/></condition></extension></context>'
    )
    with Simulator(SimConfig(dialplan=dialplan, time_scale=0.01)) as sim:
        call = sim.call("1")
        call.wait_hangup()
        # mod_dptools multiset_function(): split on the delimiter, each part set by base_set.
        assert [call.var(name) for name in "abcde"] == ["1", "two", "x y", "1", None]


def test_transfer_export_pre_answer_and_silence(tmp_path: Path) -> None:
    dialplan = tmp_path / "d.xml"
    dialplan.write_text(
        '<context name="default">'
        '<extension name="a"><condition field="destination_number" expression="^1$">'
        '<action application="pre_answer"/><action application="export" data="team=blue"/>'
        '<action application="transfer" data="2 XML default"/></condition></extension>'
        '<extension name="b"><condition field="destination_number" expression="^2$">'
        '<action application="playback" data="silence_stream://500"/>'
        '<action application="playback" data="tone_stream://%(100,0,440)"/>'
        "</condition></extension></context>"
    )
    with Simulator(SimConfig(dialplan=dialplan, time_scale=0.01)) as sim:
        call = sim.call("1")
        call.wait_hangup()
        assert call.heard == ["silence_stream://500", "tone_stream://%(100,0,440)"]
        assert call.var("team") == "blue" and call.var("export_vars") == "team"
        assert call.var("endpoint_disposition") == "EARLY MEDIA"


def test_uuid_break_stops_a_playback(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    client.command("event plain CHANNEL_EXECUTE_COMPLETE")
    call = sim.call("3003")
    client.command(
        f"sendmsg {call.uuid}\ncall-command: execute\nexecute-app-name: playback\n"
        "execute-app-arg: silence_stream://0\nEvent-UUID: long"
    )
    call.wait_heard("silence_stream://0")
    assert client.api(f"uuid_break {call.uuid}") == "-ERR no reply\n"
    done = client.wait_event(lambda e: e.get("Application-UUID") == "long")
    assert done["Application-Response"] == "FILE PLAYED"


def test_originate_into_an_extension_and_reloadxml(sim: Simulator, tmp_path: Path) -> None:
    phone = sim.phone("200", answer=True)
    assert sim.api("originate sim/200 4000 XML default").startswith("+OK ")
    call = phone.wait_call()
    call.wait_heard("ivr/ivr-enter.wav")
    call.press("9#")
    assert call.wait_heard("you entered") == "you entered 9"
    assert sim.api("reloadxml") == "+OK [Success]\n"
    assert sim.api("global_setvar color=green") == "+OK\n"
    assert sim.api("global_getvar color") == "green"


def test_mintwo_member_left_alone_ends_the_room() -> None:
    with Simulator(make_config()) as sim:
        keeper = sim.call("join-r1+mintwo", caller_id="1")
        sim.wait_room("r1", 1)
        other = sim.call("join-r1", caller_id="2")
        sim.wait_room("r1", 2)
        other.hangup()
        assert keeper.wait_hangup() == "NORMAL_CLEARING"


def test_static_socket_answers_sendmsg_after_the_app(ivr_sim: Start) -> None:
    """Without `async` the reply comes after the application, its events after the reply."""
    out: Queue = Queue()

    def script(call: IvrCall) -> None:
        data = call.command("connect")
        out.put(data.get("Socket-Mode"))
        call.command("myevents")
        reply = call.command(
            "sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: a.wav"
        )
        out.put((reply.get("Reply-Text"), [f.event.get("Event-Name") for f in call.frames[:-1]]))
        out.put([call.read().event.get("Event-Name") for _ in range(2)])
        call.command("exit")

    sim, ivr = ivr_sim(script)
    sim.ctx.dialplan.contexts["default"][0].conditions[0].actions[0].data = ivr.address
    sim.call("3000")
    assert out.get(timeout=5) == "static"
    reply, before = out.get(timeout=5)
    assert reply == "+OK" and "CHANNEL_EXECUTE" not in before
    assert out.get(timeout=5) == ["CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"]


def test_say_numbers_and_dates() -> None:
    from fs_conf.sim.say import say_files

    assert say_files("NUMBER", "pronounced", "3") == ["digits/3.wav"]
    assert say_files("NUMBER", "pronounced", "221") == [
        "digits/2.wav",
        "digits/hundred.wav",
        "digits/20.wav",
        "digits/1.wav",
    ]
    assert say_files("NUMBER", "pronounced", "1015") == [
        "digits/1.wav",
        "digits/thousand.wav",
        "digits/15.wav",
    ]
    assert say_files("NUMBER", "iterated", "105") == [
        "digits/1.wav",
        "digits/0.wav",
        "digits/5.wav",
    ]
    assert say_files("NUMBER", "counted", "21") == ["digits/20.wav", "digits/h-1.wav"]
    # 2026-11-23 14:05 UTC, a Monday, said in Berlin (15:05)
    files = say_files("CURRENT_DATE_TIME", "pronounced", "1795442700", "Europe/Berlin")
    assert files[:3] == ["time/day-1.wav", "time/mon-10.wav", "digits/20.wav"]
    assert files[-5:] == [
        "time/at.wav",
        "digits/3.wav",
        "time/oh.wav",
        "digits/5.wav",
        "time/p-m.wav",
    ]


def test_say_and_record_apps(tmp_path: Path) -> None:
    dialplan = tmp_path / "d.xml"
    name = tmp_path / "name.wav"
    dialplan.write_text(
        '<context name="default"><extension name="p"><condition field="destination_number" '
        'expression="^1$"><action application="answer"/>'
        '<action application="say" data="en NUMBER pronounced 12"/>'
        f'<action application="record" data="{name} 5"/>'
        f'<action application="playback" data="{name}"/>'
        "</condition></extension></context>"
    )
    with Simulator(SimConfig(dialplan=dialplan, time_scale=0.01)) as sim:
        call = sim.call("1")
        call.wait_heard("digits/12.wav")
        call.press("#")
        call.wait_heard(str(name))
        call.wait_hangup()
        assert call.var("record_ms") is not None and name.is_file()
        assert wav_seconds(name) is not None


def test_enforce_security_and_max_members_variables(sim: Simulator) -> None:
    first = sim.call("join-v1", caller_id="1", variables={"conference_max_members": "2"})
    room = sim.wait_room("v1", 1)
    assert room.max_members == 2
    sim.api("conference v1 lock")
    bypass = sim.call("join-v1", caller_id="2", variables={"conference_enforce_security": "false"})
    sim.wait_room("v1", 2)
    full = sim.call("join-v1", caller_id="3", variables={"conference_enforce_security": "false"})
    assert full.wait_hangup() == "NORMAL_CLEARING"
    assert first.alive and bypass.alive


EXPORT_PLAN = (
    '<context name="default">'
    '<extension name="x"><condition field="destination_number" expression="^7$">'
    '<action application="export" data="team=blue"/>'
    '<action application="export" data="nolocal:side=left"/>'
    '<action application="bridge" data="{team=red}sim/4711"/>'
    "</condition></extension>"
    '<extension name="y"><condition field="destination_number" expression="^8$">'
    '<action application="answer"/>'
    '<action application="export" data="seen=yes"/>'
    '<action application="park"/>'
    "</condition></extension></context>"
)


def test_export_reaches_legs_created_later_nolocal_only_those(tmp_path: Path) -> None:
    """switch_channel_export_variable_var_check(): set here (nolocal: under its prefixed
    name), listed in export_vars; the bridged leg gets the plain names, its own {vars} win."""
    dialplan = tmp_path / "d.xml"
    dialplan.write_text(EXPORT_PLAN)
    with Simulator(SimConfig(dialplan=dialplan, time_scale=0.01)) as sim:
        phone = sim.phone("4711", answer=True)
        caller = sim.call("7")
        far = phone.wait_call()
        assert far.wait_answered()
        assert caller.var("team") == "blue" and caller.var("side") is None
        assert caller.var("nolocal:side") == "left"
        assert caller.var("export_vars") == "team,nolocal:side"
        assert (far.var("team"), far.var("side")) == ("red", "left")
        assert far.var("export_vars") == "team,nolocal:side"
        caller.hangup()


def test_export_leaves_an_existing_peer_alone(tmp_path: Path) -> None:
    dialplan = tmp_path / "d.xml"
    dialplan.write_text(EXPORT_PLAN)
    with Simulator(SimConfig(dialplan=dialplan, time_scale=0.01)) as sim:
        a_leg = sim.api("originate loopback/8/default &park()").split()[1]
        b_leg = sim.api(f"uuid_getvar {a_leg} other_loopback_leg_uuid")
        while sim.api(f"uuid_getvar {b_leg} seen") != "yes":
            sim.ctx.clock.sleep(0.1)
        assert sim.api(f"uuid_getvar {a_leg} seen") == "_undef_"
        assert sim.api(f"uuid_getvar {b_leg} export_vars") == "seen"
