"""mod_conference: rooms, members, API texts, flags, caller controls and maintenance events."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import gevent

from fs_conf.sim import Call, Simulator
from tests.sim.conftest import EslTestClient

# conference_record.c conference_record_thread_run(): the headers after Action.
STOP_RECORDING = (
    "Path",
    "Other-Recordings",
    "Samples-Out",
    "Samplerate",
    "Milliseconds-Elapsed",
)


def listen(sim: Simulator) -> EslTestClient:
    client = EslTestClient.connect(sim.esl_address)
    client.command("event plain CUSTOM conference::maintenance")
    return client


def actions(client: EslTestClient, count: int) -> list[dict[str, str]]:
    return [client.next_event().event for _ in range(count)]


def test_join_fires_create_add_floor_and_list_text(sim: Simulator) -> None:
    events = listen(sim)
    first = sim.call("join-r1+moderator", caller_id="5551234")
    sim.wait_room("r1", 1)
    create, add, floor = actions(events, 3)
    assert create["Action"] == "conference-create" and create["Conference-Size"] == "0"
    assert add["Action"] == "add-member" and add["Member-Type"] == "moderator"
    assert (floor["Action"], floor["Old-ID"], floor["New-ID"]) == (
        "floor-change",
        "none",
        add["Member-ID"],
    )
    second = sim.call("join-r1", caller_id="5555678", caller_name="Bob")
    room = sim.wait_room("r1", 2)
    ids = [m.id for m in room.members]
    listing = sim.api("conference r1 list")
    assert listing == (
        f"{ids[1]};{second.channel.name};{second.uuid};Bob;5555678;hear|speak;0;0;100\n"
        f"{ids[0]};{first.channel.name};{first.uuid};;5551234;hear|speak|floor|moderator;0;0;100\n"
    )
    assert sim.api("conference r1 list count") == "2"
    assert sim.api("conference list").startswith(
        "+OK Conference r1 (2 members rate: 8000 flags: running|answered|enforce_min|dynamic|"
        "exit_sound|enter_sound|json_status)\n"
    )
    assert sim.api("conference r1@default list") == "-ERR Conference r1@default not found\n"


def test_xml_and_json_lists(sim: Simulator) -> None:
    sim.call("join-r2", caller_id="100")
    sim.wait_room("r2", 1)
    xml = sim.api("conference r2 xml_list")
    assert xml.startswith(
        '<?xml version="1.0"?>\n<conferences>\n  <conference name="r2" member-count="1"'
    )
    assert "<has_floor>true</has_floor>" in xml and xml.endswith("</conferences>\n")
    text = sim.api("conference r2 json_list")
    assert text.startswith('[{\n\t\t"conference_name":\t"r2",\n')
    data = json.loads(text)
    assert data[0]["members"][0]["caller_id_number"] == "100"
    assert data[0]["members"][0]["flags"]["has_floor"] is True


def test_member_targets_and_error_texts(sim: Simulator) -> None:
    sim.call("join-r3+moderator", caller_id="1")
    sim.wait_room("r3", 1)
    sim.call("join-r3", caller_id="2")
    sim.call("join-r3", caller_id="3")
    room = sim.wait_room("r3", 3)
    mod, two, three = (m.id for m in room.members)
    assert sim.api("conference r3 mute 99") == "-ERR Non-Existant ID 99\n"
    assert sim.api("conference r3 mute non_moderator") == (
        f"+OK mute {three}\n+OK mute {two}\nSkipping moderator (member id {mod}).\n"
    )
    assert [m.can_speak for m in room.members] == [True, False, False]
    assert (
        sim.api("conference r3 unmute all")
        == f"+OK unmute {three}\n+OK unmute {two}\n+OK unmute {mod}\n"
    )
    assert sim.api("conference r3 mute last") == f"+OK mute {three}\n"
    assert sim.api("conference r3 tmute last") == f"+OK unmute {three}\n"
    assert sim.api(f"conference r3 deaf {two}") == f"+OK deaf {two}\n"
    assert room.find(two).flags_text() == "speak"
    assert sim.api(f"conference r3 undeaf {two}") == f"+OK undeaf {two}\n"
    assert sim.api("conference r3 get count") == "3"
    assert sim.api("conference r3 get nosuchparam") == "get <parameter-name>"
    assert sim.api("conference r3 set max_members 5") == "0"
    assert sim.api("conference r3 get max_members") == "5"
    assert sim.api("conference nosuchroom get count") == "-ERR Conference nosuchroom not found\n"
    assert sim.api("conference r3 frob") == "Conference command 'frob' not found.\n"


def test_kick_and_hup_remove_members_and_end_the_room(sim: Simulator) -> None:
    events = listen(sim)
    kicked = sim.call("join-r4", caller_id="1")
    sim.wait_room("r4", 1)
    stays = sim.call("join-r4", caller_id="2")
    room = sim.wait_room("r4", 2)
    first, second = (m.id for m in room.members)
    assert sim.api("conference r4 kick last") == f"+OK kicked {second}\n"
    assert stays.wait_hangup() == "NORMAL_CLEARING"
    assert sim.api(f"conference r4 hup {first}") == f"+OK hup {first}\n"
    assert kicked.wait_hangup() == "NORMAL_CLEARING"
    seen = []
    while not seen or seen[-1] != "conference-destroy":
        seen.append(events.next_event().event["Action"])
    assert "kick-member" in seen and "hup-member" in seen and seen.count("del-member") == 2
    assert sim.api("conference r4 list") == "-ERR Conference r4 not found\n"


def test_lock_refuses_callers_but_not_originated_legs(sim: Simulator) -> None:
    sim.call("join-r5", caller_id="1")
    sim.wait_room("r5", 1)
    assert sim.api("conference r5 lock") == "+OK r5 locked\n"
    refused = sim.call("join-r5", caller_id="2")
    refused.wait_heard("conference/conf-locked.wav")
    assert refused.wait_hangup() == "NORMAL_CLEARING"
    assert len(sim.room("r5").members) == 1
    sim.phone("777", answer=True)
    assert sim.api("originate sim/777 &conference(r5@default)").startswith("+OK ")
    sim.wait_room("r5", 2)
    assert sim.api("conference r5 unlock") == "+OK r5 unlocked\n"


def test_max_members_from_profile_and_set(sim: Simulator) -> None:
    calls = [sim.call("fs-guest-r6", caller_id=str(n)) for n in range(3)]
    sim.wait_room("r6", 3)
    fourth = sim.call("fs-guest-r6", caller_id="4")
    assert fourth.wait_hangup() == "NORMAL_CLEARING"
    assert len(sim.room("r6").members) == 3 and all(c.alive for c in calls)


def test_default_caller_controls_mute_toggle_and_hash_leaves(sim: Simulator) -> None:
    events = listen(sim)
    call = sim.call("join-r7", caller_id="1")
    member = call.wait_member()
    actions(events, 3)
    call.press("0")
    muted = events.wait_event(lambda e: e.get("Action") == "mute-member")
    assert muted["Member-ID"] == str(member.id) and muted["Speak"] == "false"
    call.wait_heard("conference/conf-muted.wav")
    call.press("0")
    events.wait_event(lambda e: e.get("Action") == "unmute-member")
    call.press("#")
    events.wait_event(lambda e: e.get("Action") == "del-member")
    assert call.wait_hangup() == "NORMAL_CLEARING"


def test_moderator_group_multi_digit_event_and_execute_application(sim: Simulator) -> None:
    events = listen(sim)
    completions = EslTestClient.connect(sim.esl_address)
    completions.command("event plain CHANNEL_EXECUTE_COMPLETE")
    call = sim.call("fs-moderator-r8", caller_id="1", variables={"role_flags": "moderator"})
    member = call.wait_member()
    assert member.moderator
    call.press("*1")
    dtmf = events.wait_event(lambda e: e.get("Action") == "dtmf")
    assert (dtmf["DTMF-Key"], dtmf["Data"]) == ("*1", "mute-all")
    call.press("*2")
    app = events.wait_event(lambda e: e.get("Action") == "execute_app")
    assert app["Application"] == "playback conference/conf-muted.wav"
    # keys pressed while that playback runs are consumed by it: wait for its end
    completions.wait_event(lambda e: e.get("Application") == "playback")
    call.press("*3")
    events.wait_event(lambda e: e.get("Action") == "lock")
    assert sim.room("r8").locked
    call.press("*9")
    bare = events.wait_event(lambda e: e.get("Action") == "dtmf")
    assert bare["DTMF-Key"] == "*9" and "Data" not in bare


def test_conference_controls_variable_picks_the_group(sim: Simulator) -> None:
    events = listen(sim)
    call = sim.call(
        "fs-guest-r9",
        caller_id="1",
        variables={"conference_controls": "test-moderator", "role_flags": ""},
    )
    call.wait_member()
    call.press("*9")
    assert events.wait_event(lambda e: e.get("Action") == "dtmf")["DTMF-Key"] == "*9"


def test_endconf_and_mandatory_member_endconf(sim: Simulator) -> None:
    leader = sim.call("join-r10+endconf", caller_id="1")
    sim.wait_room("r10", 1)
    other = sim.call("join-r10", caller_id="2")
    sim.wait_room("r10", 2)
    leader.hangup()
    assert other.wait_hangup() == "NORMAL_CLEARING"
    boss = sim.call("join-r11+mandatory_member_endconf", caller_id="1")
    sim.wait_room("r11", 1)
    guest = sim.call("join-r11", caller_id="2")
    sim.wait_room("r11", 2)
    sim.api(f"conference r11 kick {boss.member.id}")
    assert guest.wait_hangup() == "NORMAL_CLEARING"
    assert sim.api("conference r11 list") == "-ERR Conference r11 not found\n"


def test_flags_mute_and_wait_mod_in_list(sim: Simulator) -> None:
    """The flags of scenario2/case6b: the participant waiting for the moderator holds the
    floor (mod_conference.c conference_thread_run gives it whatever CFLAG_WAIT_MOD says)."""
    waiting = sim.call("join-r12+wait-mod", caller_id="1")
    sim.wait_room("r12", 1)
    assert "flags: wait_mod|running" in sim.api("conference list")
    assert list_flags(sim, "r12") == ["hear|speak|floor"]
    sim.call("join-r12+mute", caller_id="2")
    sim.wait_room("r12", 2)
    assert list_flags(sim, "r12") == ["hear", "hear|speak|floor"]
    sim.call("join-r12+moderator", caller_id="3")
    sim.wait_room("r12", 3)
    assert "wait_mod" not in sim.api("conference list")
    assert list_flags(sim, "r12") == ["hear|speak|moderator", "hear", "hear|speak|floor"]
    # case6b: when the holder leaves, the newest running member takes the floor.
    events = listen(sim)
    waiting.hangup()
    sim.wait_room("r12", 2)
    change = events.wait_event(lambda e: e.get("New-ID", "none") != "none")
    assert (change["Action"], change["Old-ID"], change["Member-Type"]) == (
        "floor-change",
        "none",
        "moderator",
    )
    assert list_flags(sim, "r12") == ["hear|speak|floor|moderator", "hear"]


def list_flags(sim: Simulator, room: str) -> list[str]:
    """The flags column of `conference <room> list`, newest member first."""
    return [row.split(";")[5] for row in sim.api(f"conference {room} list").splitlines()]


def test_play_record_and_their_events(sim: Simulator, tmp_path: Path) -> None:
    events = listen(sim)
    call = sim.call("join-r13", caller_id="1")
    call.wait_member()
    actions(events, 3)
    assert sim.api("conference r13 play conference/conf-alone.wav") == (
        "+OK (play) Playing file conference/conf-alone.wav\n"
    )
    play = events.wait_event(lambda e: e.get("Action") == "play-file")
    assert (play["File"], play["Async"]) == ("conference/conf-alone.wav", "false")
    done = events.wait_event(lambda e: e.get("Action") == "play-file-done")
    assert done["File"].endswith("conference/conf-alone.wav")
    path = tmp_path / "made" / "r13.wav"
    assert sim.api(f"conference r13 record {path}") == f"+OK Record file {path}\n"
    assert events.wait_event(lambda e: e.get("Action") == "start-recording")["Path"] == str(path)
    assert "recording" in sim.api("conference list")
    assert sim.api(f"conference r13 record {path}") == (
        f"-ERR file [{path}] is already being used for recording.\n"
    )
    gevent.sleep(sim.config.time_scale * 5.0)
    assert sim.api("conference r13 norecord all") == (
        f"Stopped recording file {path}\n+OK Stopped recording 0 files\n"
    )
    stop = events.wait_event(lambda e: e.get("Action") == "stop-recording")
    assert [name for name in stop if name in STOP_RECORDING] == list(STOP_RECORDING)
    assert (stop["Other-Recordings"], stop["Samplerate"]) == ("false", "8000")
    with wave.open(str(path), "rb") as recorded:
        frames = recorded.getnframes()
        assert (recorded.getnchannels(), recorded.getsampwidth()) == (1, 2)
        assert recorded.getframerate() == 8000
    assert int(stop["Samples-Out"]) == frames
    assert int(stop["Milliseconds-Elapsed"]) == frames // 8
    # About the 5 call seconds slept; a busy machine adds real time to the call's.
    assert 5.0 <= frames / 8000 < 500.0
    assert sim.api("conference r13 norecord /tmp/none.wav") == (
        "-ERR non-existant recording '/tmp/none.wav'\n+OK Stopped recording 0 files\n"
    )


def test_a_recording_grows_and_ends_with_the_room(sim: Simulator, tmp_path: Path) -> None:
    events = listen(sim)
    call = sim.call("join-r16", caller_id="1")
    call.wait_member()
    path = tmp_path / "r16.wav"
    sim.api(f"conference r16 record {{channels=1}}{path}")
    events.wait_event(lambda e: e.get("Action") == "start-recording")
    sizes = []
    for _ in range(2):
        gevent.sleep(sim.config.time_scale * 10.0)
        sizes.append(path.stat().st_size)
    assert sizes[0] < sizes[1]
    call.hangup()
    stop = events.wait_event(lambda e: e.get("Action") == "stop-recording")
    with wave.open(str(path), "rb") as recorded:
        assert recorded.getnframes() == int(stop["Samples-Out"]) > 0


def test_a_recording_that_cannot_be_opened_says_so(sim: Simulator, tmp_path: Path) -> None:
    events = listen(sim)
    sim.call("join-r17", caller_id="1").wait_member()
    (tmp_path / "file").write_text("not a folder")
    sim.api(f"conference r17 record {tmp_path}/file/r17.wav")
    start = events.wait_event(lambda e: e.get("Action") == "start-recording")
    assert start["Error"] == "File could not be opened for recording"
    assert "recording" not in sim.api("conference list")


def test_dial_and_bgdial_ring_phones_into_the_room(sim: Simulator) -> None:
    events = listen(sim)
    sim.call("join-r14", caller_id="1")
    sim.wait_room("r14", 1)
    phone = sim.phone("+4930999", answer=True)
    assert sim.api("conference r14 dial sim/+4930999 123 Test") == (
        "+OK Call Requested: result: [SUCCESS]\n"
    )
    dialed = phone.wait_call()
    dialed.wait_member()
    busy = sim.phone("555", answer="busy")
    reply = sim.api("conference r14 bgdial sim/555 124 Test2")
    assert reply.startswith("+OK Job-UUID: ")
    result = events.wait_event(lambda e: e.get("Action") == "bgdial-result")
    assert result["Result"] == "USER_BUSY" and result["Job-UUID"] == reply.split()[-1]
    assert busy.calls[0].hangup_cause == "USER_BUSY"


def test_talking_events(sim: Simulator) -> None:
    events = listen(sim)
    call = sim.call("join-r15", caller_id="1")
    member = call.wait_member()
    actions(events, 3)
    room = sim.room("r15")
    room.set_talking(member, True)
    assert (
        events.wait_event(lambda e: e.get("Action", "").endswith("talking"))["Action"]
        == "start-talking"
    )
    assert "talking" in member.flags_text()
    room.set_talking(member, False)
    assert (
        events.wait_event(lambda e: e.get("Action", "").endswith("talking"))["Action"]
        == "stop-talking"
    )
    gevent.sleep(0)


def _grace_room(sim: Simulator, name: str, grace: int) -> tuple[Call, Call]:
    """A room with one mandatory_member_endconf member and one plain member."""
    mandatory = sim.call(f"join-{name}+mandatory_member_endconf", caller_id="1")
    sim.wait_room(name, 1)
    plain = sim.call(f"join-{name}", caller_id="2")
    sim.wait_room(name, 2)
    assert sim.api(f"conference {name} set endconference_grace_time {grace}") == "0"
    return mandatory, plain


def test_endconf_grace_time_ends_the_room_after_the_last_mandatory_member(sim: Simulator) -> None:
    mandatory, plain = _grace_room(sim, "rg1", 30)  # 30 call-seconds: 0.3 s here
    mandatory.hangup()
    gevent.sleep(0.1)
    assert plain.alive and sim.room("rg1") is not None
    assert plain.wait_hangup(timeout=3) == "NORMAL_CLEARING"
    assert sim.room("rg1") is None


def test_a_mandatory_member_joining_within_the_grace_keeps_the_room(sim: Simulator) -> None:
    mandatory, plain = _grace_room(sim, "rg2", 30)
    mandatory.hangup()
    back = sim.call("join-rg2+mandatory_member_endconf", caller_id="3")
    back.wait_member()
    gevent.sleep(0.6)
    room = sim.room("rg2")
    assert room is not None and len(room.members) == 2
    assert plain.alive and back.alive


def test_without_grace_the_last_mandatory_member_ends_the_room_at_once(sim: Simulator) -> None:
    mandatory, plain = _grace_room(sim, "rg3", 0)
    mandatory.hangup()
    assert plain.wait_hangup(timeout=0.3) == "NORMAL_CLEARING"


def state_changes(client: EslTestClient, count: int) -> list[str]:
    """The next `count` actions, leaving out the file events of the prompts they play."""
    found: list[str] = []
    while len(found) < count:
        action = client.next_event().event["Action"]
        if not action.startswith("play-file"):
            found.append(action)
    return found


def test_default_star_key_is_deaf_mute(sim: Simulator) -> None:
    """The built-in "default" caller-controls bind `*` to "deaf mute"
    (conference_loop.c conference_loop_deafmute_toggle): mute and deaf when speaking,
    unmute and undeaf when muted; the sip recording shows the second half."""
    events = listen(sim)
    call = sim.call("join-rs", caller_id="1")
    member = call.wait_member()
    actions(events, 3)  # conference-create, add-member, floor-change
    call.press("*")
    assert state_changes(events, 2) == ["mute-member", "deaf-member"]
    assert (member.can_speak, member.can_hear) == (False, False)  # type: ignore[attr-defined]
    assert sim.api("conference rs list").split(";")[5] == "floor"
    call.press("*")
    assert state_changes(events, 2) == ["unmute-member", "undeaf-member"]
    assert (member.can_speak, member.can_hear) == (True, True)  # type: ignore[attr-defined]


def test_deaf_join_flag(sim: Simulator) -> None:
    events = listen(sim)
    call = sim.call("join-rd+deaf", caller_id="1")
    call.wait_member()
    add = actions(events, 2)[1]
    assert (add["Action"], add["Hear"], add["Speak"]) == ("add-member", "false", "true")
    assert sim.api("conference rd list").split(";")[5] == "speak|floor"
    xml = sim.api("conference rd xml_list")
    assert "<can_hear>false</can_hear>" in xml and "<can_speak>true</can_speak>" in xml


def test_global_list_honours_delim_and_summary(sim: Simulator) -> None:
    """conference_api_sub_list(): `delim` and `summary` apply to `conference list` too."""
    one = sim.call("join-ra", caller_id="1")
    one.wait_member()
    two = sim.call("join-rb", caller_id="2")
    two.wait_member()
    plain = sim.api("conference list")
    piped = sim.api("conference list delim |")
    assert piped == plain.replace(";", "|")
    assert piped.count(f"|{one.uuid}|") == 1 and piped.count(f"|{two.uuid}|") == 1
    assert sim.api('conference list delim "#"') == plain.replace(";", "#")
    summary = sim.api("conference list summary")
    assert summary.splitlines() == [line for line in plain.splitlines() if line.startswith("+OK")]
    assert sim.api("conference ra list delim ,") == sim.api("conference ra list").replace(";", ",")


def test_get_and_set_follow_conference_api_c(sim: Simulator) -> None:
    """conference_api_sub_get / _set: one name (and one value), atoi() numbers, negative
    refused; count and the events' Conference-Size leave ghosts out (count_ghosts)."""
    events = listen(sim)
    sim.call("join-r18", caller_id="1")
    sim.call("join-r18+ghost", caller_id="2")
    sim.wait_room("r18", 2)
    ghost_add = events.wait_event(
        lambda e: e.get("Action") == "add-member" and e.get("Member-Ghost") == "true"
    )
    assert (ghost_add["Conference-Size"], ghost_add["Conference-Ghosts"]) == ("1", "1")
    assert (sim.api("conference r18 get count"), sim.api("conference r18 get count_ghosts")) == (
        "1",
        "1",
    )
    assert sim.api("conference r18 get count extra") == "get <parameter-name>"
    syntax = sim.api("conference r18 set max_members -1")
    assert syntax.startswith("set <max_members|")
    assert sim.api("conference r18 set caller_id_name A B") == syntax
    assert sim.api("conference r18 set max_members 7abc") == "0"
    assert sim.api("conference r18 set max_members x") == "7"
    assert sim.api("conference r18 get max_members") == "0"
