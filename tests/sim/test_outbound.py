"""The outbound socket (`socket host:port async full`) against a scripted IVR over TCP."""

from __future__ import annotations

from collections.abc import Callable

import gevent
from gevent.queue import Queue

from fs_conf.sim import Simulator
from tests.sim.conftest import IvrCall, ScriptedIvr, TFrame

PIN_ARGS = "4 4 3 7000 # conference/conf-pin.wav ivr/ivr-please_try_again.wav pin [0-9]+ 3000"

Start = Callable[..., tuple[Simulator, ScriptedIvr]]


def start_session(call: IvrCall, linger: str | None = "linger") -> TFrame:
    data = call.command("connect")
    call.command("myevents")
    if linger:
        call.command(linger)
    return data


def collect_until_closed(call: IvrCall) -> list[TFrame]:
    frames = []
    while True:
        frame = call.conn.read_frame(5)
        if frame is None:
            return frames
        frames.append(frame)


def names(frames: list[TFrame]) -> list[str]:
    out = []
    for frame in frames:
        if frame.content_type.startswith("text/event"):
            event = frame.event
            name = event["Event-Name"]
            if name.startswith("CHANNEL_EXECUTE"):
                name += f" {event['Application']}"
            out.append(name)
        elif frame.content_type == "text/disconnect-notice":
            out.append(f"notice {frame.get('Content-Disposition')}")
        else:
            out.append(frame.get("Reply-Text") or frame.content_type)
    return out


def test_connect_reply_is_channel_data(ivr_sim: Start) -> None:
    seen: Queue = Queue()

    def script(call: IvrCall) -> None:
        seen.put(start_session(call))
        call.command("exit")

    sim, _ = ivr_sim(script)
    sim.call("3000", caller_id="+4930111")
    data: TFrame = seen.get(timeout=5)
    keys = [k for k, _ in data.headers]
    assert keys[0] == "Event-Name" and data.get("Event-Name") == "CHANNEL_DATA"
    assert keys[-4:] == ["Content-Type", "Reply-Text", "Socket-Mode", "Control"]
    assert data.get("Reply-Text") == "%2BOK%0A"
    assert (data.get("Socket-Mode"), data.get("Control")) == ("async", "full")
    assert "Content-Length" not in keys
    assert data.get("Channel-Caller-ID-Number") == "%2B4930111"
    assert data.get("variable_current_application") == "socket"
    assert data.get("Answer-State") == "ringing"


def test_execute_events_carry_application_uuid_and_name(ivr_sim: Start) -> None:
    seen: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        reply = call.command(
            "sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true\n"
            "Event-UUID: c1-answer\nevent-uuid-name: my-answer"
        )
        seen.put(reply.get("Reply-Text"))
        execute = call.wait_event("CHANNEL_EXECUTE")
        answer = call.wait_event("CHANNEL_ANSWER")
        complete = call.wait_event("CHANNEL_EXECUTE_COMPLETE")
        seen.put((execute, answer, complete))
        call.execute("set", "x=1")
        seen.put(call.wait_event("CHANNEL_EXECUTE_COMPLETE"))
        call.command("exit")

    sim, _ = ivr_sim(script)
    sim.call("3000")
    assert seen.get(timeout=5) == "+OK"
    execute, answer, complete = seen.get(timeout=5)
    assert execute["Application-UUID"] == "c1-answer"
    assert execute["Application-UUID-Name"] == "my-answer"
    assert execute["Answer-State"] == "ringing" and answer["Answer-State"] == "answered"
    assert complete["Application-Response"] == "_none_"
    assert complete["Application-UUID"] == "c1-answer"
    generated = seen.get(timeout=5)
    assert len(generated["Application-UUID"]) == 36 and "Application-UUID-Name" not in generated
    assert generated["variable_x"] == "1"


def test_play_and_get_digits_with_phone_keys(ivr_sim: Start) -> None:
    result: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.run_app("answer")
        done = call.run_app("play_and_get_digits", PIN_ARGS, "pagd")
        dtmf = [f.event["DTMF-Digit"] for f in call.frames if f.event.get("Event-Name") == "DTMF"]
        result.put((done, dtmf))
        call.command("exit")

    sim, _ = ivr_sim(script)
    phone = sim.call("3000", caller_id="5551234")
    phone.wait_heard("conference/conf-pin")
    phone.press("1234")
    done, dtmf = result.get(timeout=5)
    assert dtmf == ["1", "2", "3", "4"]
    assert done["variable_pin"] == "1234" and done["variable_read_result"] == "success"
    assert done["Application-Response"] == "_none_"


def test_hangup_order_with_linger_then_exit(ivr_sim: Start) -> None:
    frames: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.run_app("answer")
        call.execute("playback", "ivr/ivr-welcome.wav", "pb")
        got = []
        while True:
            frame = call.read()
            got.append(frame)
            if frame.content_type == "text/disconnect-notice":
                break
        call.conn.send("exit\n\n")
        got.extend(collect_until_closed(call))
        frames.put(got)

    sim, _ = ivr_sim(script, default_sound_seconds=100.0)
    phone = sim.call("3000")
    phone.wait_heard("ivr-welcome")
    phone.hangup()
    got = frames.get(timeout=5)
    assert names(got) == [
        "CHANNEL_EXECUTE playback",
        "CHANNEL_HANGUP",
        "CHANNEL_EXECUTE_COMPLETE playback",
        "CHANNEL_UNPARK",
        "CHANNEL_EXECUTE_COMPLETE socket",
        "CHANNEL_STATE",
        "CHANNEL_STATE",
        "CHANNEL_HANGUP_COMPLETE",
        "notice linger",
        "+OK bye",
        "notice disconnect",
    ]
    assert got[2].event["Application-Response"] == "PLAYBACK ERROR"
    assert got[8].get("Linger-Time") == "-1" and got[8].get("Content-Length") == "0"
    assert got[-1].body.startswith("Disconnected, goodbye.")


def test_linger_with_time_then_disconnect(ivr_sim: Start) -> None:
    frames: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call, "linger 5")
        call.run_app("answer")
        call.command("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
        got = collect_until_closed(call)
        frames.put(got)

    sim, _ = ivr_sim(script)
    sim.call("3000")
    got = frames.get(timeout=5)
    assert names(got)[-2:] == ["notice linger", "notice disconnect"]
    assert got[-2].get("Linger-Time") == "5"
    assert got[-1].get("Controlled-Session-UUID") == got[-2].get("Controlled-Session-UUID")


def test_without_linger_disconnect_follows_hangup_complete(ivr_sim: Start) -> None:
    frames: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call, linger=None)
        call.run_app("answer")
        call.command("sendmsg\ncall-command: hangup")
        frames.put(collect_until_closed(call))

    sim, _ = ivr_sim(script)
    phone = sim.call("3000")
    got = frames.get(timeout=5)
    assert names(got)[-2:] == ["CHANNEL_HANGUP_COMPLETE", "notice disconnect"]
    assert phone.wait_hangup() == "NORMAL_CLEARING"


def test_unknown_app_hangs_up_destination_out_of_order(ivr_sim: Start) -> None:
    frames: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.run_app("answer")
        reply = call.execute("nosuchapp", "foo", "bad")
        got = [reply]
        while True:
            frame = call.read()
            got.append(frame)
            if frame.content_type == "text/disconnect-notice":
                break
        frames.put(got)
        call.command("exit")

    sim, _ = ivr_sim(script)
    phone = sim.call("3000")
    got = frames.get(timeout=5)
    assert names(got)[0] == "+OK"
    assert "CHANNEL_EXECUTE nosuchapp" not in names(got)
    assert got[1].event["Hangup-Cause"] == "DESTINATION_OUT_OF_ORDER"
    assert phone.wait_hangup() == "DESTINATION_OUT_OF_ORDER"


def test_lingering_socket_accepts_commands_after_hangup(ivr_sim: Start) -> None:
    replies: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.command("sendmsg\ncall-command: hangup")
        while call.read().content_type != "text/disconnect-notice":
            pass
        replies.put(call.execute("playback", "x.wav").get("Reply-Text"))
        replies.put(call.command("api uptime").content_type)
        call.command("exit")

    sim, _ = ivr_sim(script)
    sim.call("3000")
    assert replies.get(timeout=5) == "+OK"
    assert replies.get(timeout=5) == "api/response"


def test_non_full_socket_refuses_api_and_linger(ivr_sim: Start, tmp_path: object) -> None:
    replies: Queue = Queue()

    def script(call: IvrCall) -> None:
        call.command("connect")
        replies.put(call.command("api status").get("Reply-Text"))
        replies.put(call.command("linger").get("Reply-Text"))
        replies.put(call.command("myevents").get("Reply-Text"))
        call.command("exit")

    sim, ivr = ivr_sim(script)
    sim.ctx.global_vars["ivr_socket"] = ivr.address
    sim.ctx.dialplan.contexts["default"][0].conditions[0].actions[0].data = f"{ivr.address} async"
    sim.call("3000")
    assert [replies.get(timeout=5) for _ in range(3)] == [
        "-ERR command not found",
        "-ERR command not found",
        "+OK Events Enabled",
    ]


def test_ivr_closing_socket_hangs_up_unless_resume(ivr_sim: Start) -> None:
    def script(call: IvrCall) -> None:
        start_session(call, linger=None)
        call.run_app("answer")
        call.conn.close()

    sim, _ = ivr_sim(script)
    assert sim.call("3000").wait_hangup() == "NORMAL_CLEARING"


def test_ivr_closing_socket_leaves_a_caller_in_the_room_until_they_leave(ivr_sim: Start) -> None:
    """mod_event_socket.c only clears CF_CONTROLLED: the conference application runs on, and
    the socket application ends (hanging up without `resume`) once the caller leaves."""

    def script(call: IvrCall) -> None:
        start_session(call, linger=None)
        call.run_app("answer")
        call.execute("conference", "closing@default")
        call.wait_event("CHANNEL_EXECUTE", Application="conference")
        call.conn.close()

    sim, _ = ivr_sim(script)
    phone = sim.call("3000")
    member = phone.wait_member()
    gevent.sleep(0.2)
    assert phone.alive and phone.member is member
    sim.api(f"conference closing kick {member.id}")
    assert phone.wait_hangup() == "NORMAL_CLEARING"


def test_resume_continues_the_dialplan(ivr_sim: Start, tmp_path: object) -> None:
    def script(call: IvrCall) -> None:
        start_session(call, linger=None)
        call.run_app("answer")
        call.command("resume")
        call.conn.close()

    sim, ivr = ivr_sim(script)
    extension = sim.ctx.dialplan.contexts["default"][0]
    from fs_conf.sim.dialplan import Action

    extension.conditions[0].actions.append(Action("playback", "after-socket.wav"))
    phone = sim.call("3000")
    phone.wait_heard("after-socket.wav")
    assert phone.wait_hangup() == "NORMAL_CLEARING"


def test_getvar_loops_and_dtmf_while_parked(ivr_sim: Start) -> None:
    out: Queue = Queue()

    def script(call: IvrCall) -> None:
        data = start_session(call)
        out.put(call.command("getvar uuid").get("Reply-Text") == data.get("Unique-ID"))
        out.put(call.command("getvar nosuchvar").get("Reply-Text"))
        call.run_app("answer")
        call.command(
            "sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
            "execute-app-arg: tone_stream://%(1000,0,440)\nloops: 3\nEvent-UUID: l3"
        )
        completes = 0
        while completes < 3:
            event = call.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="l3")
            completes += 1
            out.put(event["variable_current_loop"])
        out.put(call.wait_event("DTMF")["DTMF-Digit"])
        call.command("exit")

    sim, _ = ivr_sim(script, time_scale=0.05)
    phone = sim.call("3000")
    assert out.get(timeout=5) is True
    assert out.get(timeout=5) == "-ERR command not found"
    assert [out.get(timeout=5) for _ in range(3)] == ["1", "2", "3"]
    gevent.sleep(0.05)
    phone.press("7")
    assert out.get(timeout=5) == "7"


def test_socket_redirect_sends_the_call_elsewhere() -> None:
    from fs_conf.sim.core import SimConfig
    from tests.sim.conftest import DATA

    seen: Queue = Queue()

    def script(call: IvrCall) -> None:
        seen.put(call.command("connect").get("variable_current_application_data"))
        call.command("exit")

    ivr = ScriptedIvr(script)
    config = SimConfig(dialplan=DATA / "dialplan.xml", time_scale=0.01, socket_redirect=ivr.address)
    try:
        with Simulator(config) as sim:
            sim.call("3000")
            assert seen.get(timeout=5) == "127.0.0.1%3A8084%20async%20full"
    finally:
        ivr.stop()


def _execute_frame(app: str, arg: str, uuid: str, lock_header: str = "") -> str:
    lines = ["sendmsg", "call-command: execute", f"execute-app-name: {app}"]
    lines += [f"execute-app-arg: {arg}", f"Event-UUID: {uuid}"]
    if lock_header:
        lines.append(f"{lock_header}: true")
    return "\n".join(lines)


def _order_after(call: IvrCall, count: int) -> list[str]:
    """The next `count` CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE events, as
    "<name> <Application-UUID>"."""
    order: list[str] = []
    while len(order) < count:
        frame = call.read()
        event = frame.event if frame.content_type.startswith("text/event") else {}
        if event.get("Event-Name", "").startswith("CHANNEL_EXECUTE"):
            order.append(f"{event['Event-Name']} {event['Application-UUID']}")
    return order


def _second_app_during_playback(ivr_sim: Start, lock_header: str) -> list[str]:
    """A long playback sent with `lock_header`, then `set` while it plays."""
    seen: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.run_app("answer")
        call.command(_execute_frame("playback", "ivr/ivr-welcome.wav", "long", lock_header))
        call.wait_event("CHANNEL_EXECUTE", Application_UUID="long")
        call.execute("set", "x=1", "short")
        seen.put(_order_after(call, 3))
        call.command("exit")

    sim, _ = ivr_sim(script, default_sound_seconds=30.0)
    sim.call("3000")
    return seen.get(timeout=5)


def test_event_lock_holds_the_next_execute_until_the_locked_app_ends(ivr_sim: Start) -> None:
    """CF_EVENT_LOCK: switch_core_session_dequeue_private_event() hands out nothing while
    the locked message's application runs."""
    assert _second_app_during_playback(ivr_sim, "event-lock") == [
        "CHANNEL_EXECUTE_COMPLETE long",
        "CHANNEL_EXECUTE short",
        "CHANNEL_EXECUTE_COMPLETE short",
    ]


def test_without_event_lock_the_next_execute_runs_inside_the_playback(ivr_sim: Start) -> None:
    """switch_ivr_play_file() parses queued messages while it plays: `set` runs nested."""
    assert _second_app_during_playback(ivr_sim, "") == [
        "CHANNEL_EXECUTE short",
        "CHANNEL_EXECUTE_COMPLETE short",
        "CHANNEL_EXECUTE_COMPLETE long",
    ]


def test_event_lock_pri_alone_holds_no_sendmsg_back(ivr_sim: Start) -> None:
    """event-lock-pri locks only the priority queue, which sendmsg never fills."""
    assert _second_app_during_playback(ivr_sim, "event-lock-pri")[0] == "CHANNEL_EXECUTE short"


def _hangup_during_playback(ivr_sim: Start, lock_header: str) -> str:
    """The playback's Application-Response when `sendmsg hangup` arrives while it plays."""
    seen: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.run_app("answer")
        call.command(_execute_frame("playback", "ivr/ivr-welcome.wav", "long", lock_header))
        call.wait_event("CHANNEL_EXECUTE", Application_UUID="long")
        call.command("sendmsg\ncall-command: hangup")
        done = call.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="long")
        seen.put(done["Application-Response"])
        call.command("exit")

    sim, _ = ivr_sim(script, default_sound_seconds=30.0)
    phone = sim.call("3000")
    response = seen.get(timeout=5)
    assert phone.wait_hangup() == "NORMAL_CLEARING"
    return response


def test_locked_playback_finishes_before_a_queued_hangup(ivr_sim: Start) -> None:
    assert _hangup_during_playback(ivr_sim, "event-lock") == "FILE PLAYED"


def test_unlocked_playback_is_cut_by_a_queued_hangup(ivr_sim: Start) -> None:
    assert _hangup_during_playback(ivr_sim, "") == "PLAYBACK ERROR"


def test_uuid_break_leaves_a_member_in_the_room_and_works_once_it_left(ivr_sim: Start) -> None:
    """conference_loop_output() ignores CF_BREAK; after the member left, a playback stops."""
    out: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        call.run_app("answer")
        call.run_app("conference", "rb@default", "room")
        call.execute("playback", "ivr/ivr-welcome.wav", "after")
        call.wait_event("CHANNEL_EXECUTE", Application_UUID="after")
        out.put("playing")
        out.put(call.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="after"))
        call.command("exit")

    sim, _ = ivr_sim(script, default_sound_seconds=1000.0)
    phone = sim.call("3000")
    member = phone.wait_member()
    assert sim.api(f"uuid_break {phone.uuid}") == ""
    gevent.sleep(0.05)
    assert phone.member is member
    sim.api(f"conference rb hup {member.id}")  # type: ignore[attr-defined]
    assert out.get(timeout=5) == "playing"
    assert phone.member is None and phone.channel.conference_member is None
    assert sim.api(f"uuid_break {phone.uuid}") == ""
    done = out.get(timeout=3)
    assert done["Application-Response"] == "FILE PLAYED"
    assert phone.alive


def _events(call: IvrCall, until: Callable[[dict[str, str]], bool]) -> list[dict[str, str]]:
    """Events on the call socket up to and including the first one `until` accepts."""
    got: list[dict[str, str]] = []
    while not got or not until(got[-1]):
        frame = call.read()
        if frame.content_type.startswith("text/event"):
            got.append(frame.event)
    return got


def test_event_custom_after_myevents_hears_only_the_own_room_events(ivr_sim: Start) -> None:
    """mod_event_socket event_handler(): with myevents only events whose Unique-ID is the
    call's pass, so the member's own room events arrive and the room's others do not."""
    out: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        out.put(call.command("event plain CUSTOM conference::maintenance").get("Reply-Text"))
        call.run_app("answer")
        call.execute("conference", "re@default", "room")
        got = _events(call, lambda e: e.get("Action") == "mute-member")
        out.put([(e.get("Action"), e.get("Unique-ID")) for e in got if e.get("Action")])
        call.command("exit")

    sim, _ = ivr_sim(script)
    phone = sim.call("3000")
    assert out.get(timeout=5) == "+OK event listener enabled plain"
    member = phone.wait_member()
    other = sim.call("join-re", caller_id="2")
    other.wait_member()
    sim.api("conference re lock")
    sim.api(f"conference re mute {other.member.id}")  # type: ignore[union-attr]
    sim.api(f"conference re mute {member.id}")  # type: ignore[attr-defined]
    actions = out.get(timeout=5)
    assert ("add-member", phone.uuid) in actions
    assert actions[-1] == ("mute-member", phone.uuid)
    assert all(uuid == phone.uuid for _, uuid in actions)


def test_event_without_myevents_hears_every_channel_and_filter_narrows(ivr_sim: Start) -> None:
    out: Queue = Queue()
    steps: Queue = Queue()

    def script(call: IvrCall) -> None:
        call.command("connect")
        out.put(call.command("event plain CHANNEL_CREATE CHANNEL_ANSWER").get("Reply-Text"))
        first, second = steps.get(timeout=5), steps.get(timeout=5)
        created = _events(call, lambda e: e.get("Unique-ID") == second)
        out.put({first, second} <= {e["Unique-ID"] for e in created})
        out.put(call.command(f"filter Unique-ID {second}").get("Reply-Text"))
        steps.get(timeout=5)
        answered = _events(call, lambda e: e.get("Event-Name") == "CHANNEL_ANSWER")
        out.put([(e["Event-Name"], e["Unique-ID"]) for e in answered])
        out.put(call.command(f"filter delete Unique-ID {second}").get("Reply-Text"))
        call.command("exit")

    sim, _ = ivr_sim(script)
    sim.call("3000")
    assert out.get(timeout=5) == "+OK event listener enabled plain"
    first = sim.call("3003", caller_id="1")
    second = sim.call("3003", caller_id="2")
    steps.put(first.uuid)
    steps.put(second.uuid)
    assert out.get(timeout=5) is True
    assert out.get(timeout=5) == f"+OK filter added. [Unique-ID]=[{second.uuid}]"
    sim.api(f"uuid_answer {first.uuid}")
    sim.api(f"uuid_answer {second.uuid}")
    steps.put("answered")
    assert out.get(timeout=5) == [("CHANNEL_ANSWER", second.uuid)]
    assert out.get(timeout=5) == f"+OK filter deleted. [Unique-ID][{second.uuid}]"


def test_noevents_keeps_the_myevents_restriction(ivr_sim: Start) -> None:
    """noevents clears the event list but not LFLAG_MYEVENTS (mod_event_socket.c)."""
    out: Queue = Queue()
    steps: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call, linger=None)
        out.put(call.command("noevents").get("Reply-Text"))
        out.put(call.command("myevents").get("Reply-Text"))
        call.command("event plain ALL")
        seen = len(call.frames)
        out.put("subscribed")
        steps.get(timeout=5)
        call.run_app("answer")
        out.put({f.event.get("Unique-ID") for f in call.frames[seen:] if f.event})
        call.command("exit")

    sim, _ = ivr_sim(script)
    phone = sim.call("3000")
    assert out.get(timeout=5) == "+OK no longer listening for events"
    assert out.get(timeout=5) == "-ERR aready enabled."
    assert out.get(timeout=5) == "subscribed"
    other = sim.call("3003", caller_id="other")
    sim.api(f"uuid_answer {other.uuid}")
    steps.put("go")
    assert out.get(timeout=5) == {phone.uuid}


def test_sendmsg_to_an_unknown_uuid_on_the_call_socket(ivr_sim: Start) -> None:
    out: Queue = Queue()

    def script(call: IvrCall) -> None:
        start_session(call)
        reply = call.command("sendmsg 00000000-0000-4000-8000-000000000000\ncall-command: hangup")
        out.put(reply.get("Reply-Text"))
        call.command("exit")

    sim, _ = ivr_sim(script)
    phone = sim.call("3000")
    assert out.get(timeout=5) == "-ERR invalid session id [00000000-0000-4000-8000-000000000000]"
    assert phone.wait_hangup() == "NORMAL_CLEARING"
