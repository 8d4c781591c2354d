"""OutboundSession and OutboundESLServer against a scripted FreeSWITCH and replayed recordings.

Tests named after a greenswitch defect show that defect fixed.
"""

from __future__ import annotations

import gc
import logging
import socket as stdlib_socket
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import pytest

from fs_conf.esl import (
    CommandError,
    DigitsResult,
    ESLTimeout,
    OutboundESLServer,
    OutboundSession,
    OutboundSessionHasGoneAway,
)

from .peer import (
    RECORDINGS,
    Peer,
    ReplayPeer,
    command_headers,
    disconnect_notice,
    event_plain,
    eventually,
    reply,
    split_commands,
)

SAMPLES = RECORDINGS / "samples"
CHANNEL_DATA = (SAMPLES / "outbound-0001__command_reply_CHANNEL_DATA.raw").read_bytes()
UUID = "0291e223-84b7-4028-8e76-ab72aea9d764"
Script = Callable[[OutboundSession], Any]


class ScriptedCall:
    """The application the server runs: calls `script(session)`, keeps its outcome."""

    def __init__(
        self, session: OutboundSession, script: Script, outcome: gevent.event.AsyncResult
    ) -> None:
        self.session = session
        self.script = script
        self.outcome = outcome

    def run(self) -> None:
        try:
            self.outcome.set(self.script(self.session))
        except BaseException as exc:
            self.outcome.set_exception(exc)
            raise


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[OutboundESLServer, gevent.event.AsyncResult]]]:
    servers: list[OutboundESLServer] = []

    def start(script: Script, **options: Any) -> tuple[OutboundESLServer, gevent.event.AsyncResult]:
        outcome: gevent.event.AsyncResult = gevent.event.AsyncResult()
        options.setdefault("exit_timeout", 0.2)
        server = OutboundESLServer(
            "127.0.0.1", 0, lambda session: ScriptedCall(session, script, outcome), **options
        )
        server.start()
        servers.append(server)
        return server, outcome

    yield start
    for server in servers:
        server.stop(timeout=1.0)


def dial(server: OutboundESLServer) -> Peer:
    """FreeSWITCH's socket app connecting, answering `connect` with recorded channel data."""
    peer = Peer.connect(server.bound_port)
    assert peer.read_command() == b"connect\n\n"
    peer.send(CHANNEL_DATA)
    return peer


def expect(peer: Peer, command: bytes, answer: bytes = reply("+OK")) -> bytes:
    got = peer.read_command()
    assert got is not None and got.startswith(command), got
    peer.send(answer)
    return got


def execute_event(name: str, app: str, app_uuid: str, **headers: str) -> bytes:
    return event_plain(
        {
            "Event-Name": name,
            "Unique-ID": UUID,
            "Application": app,
            "Application-UUID": app_uuid,
            "variable_current_application": app,
            **headers,
        }
    )


def test_polling_defect_accept_without_polling_and_bind_port_zero(serve: Callable) -> None:
    server, outcome = serve(lambda s: (s.uuid, s.caller_id_number, s.destination_number))
    assert server.bound_port and server.bound_port > 0
    loop = gevent.get_hub().loop
    before = loop.iteration
    gevent.sleep(0.5)
    # A 100 ms accept poll would have woken the idle loop about five times.
    assert loop.iteration - before < 3
    peer = dial(server)
    assert outcome.get(timeout=2) == (UUID, "5551234", "3000")
    assert peer.read_command() == b"exit\n\n"


def test_bind_port_defect_port_in_use_raises_oserror_not_sys_exit(serve: Callable) -> None:
    taken = stdlib_socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    server = OutboundESLServer("127.0.0.1", taken.getsockname()[1], lambda s: None)
    with pytest.raises(OSError):
        server.start()
    taken.close()


def test_listen_blocks_until_stop() -> None:
    server = OutboundESLServer("127.0.0.1", 0, lambda s: None)
    listening = gevent.spawn(server.listen)
    assert eventually(lambda: server.bound_port is not None)
    assert not listening.ready()
    server.stop(timeout=0.5)
    listening.get(timeout=2)
    assert server.bound_port is None


def test_server_refuses_a_missing_application() -> None:
    with pytest.raises(ValueError, match="application"):
        OutboundESLServer(bind_port=0)


def test_connect_returns_url_decoded_channel_data(serve: Callable) -> None:
    server, outcome = serve(lambda s: s.connect())
    dial(server)
    data = outcome.get(timeout=2)
    assert data["variable_current_application_data"] == "127.0.0.1:8084 async full"
    assert data["Unique-ID"] == UUID


def test_application_uuid_defect_execute_matched_by_application_uuid(serve: Callable) -> None:
    checked = [gevent.event.Event(), gevent.event.Event()]

    def script(s: OutboundSession) -> dict[str, Any]:
        first = s.execute("playback", "a.wav", wait=False)
        second = s.execute("playback", "b.wav", wait=False)
        s.next_event("DTMF", timeout=2)
        state = {"after_foreign": (first.done, second.done)}
        checked[0].set()
        done = second.wait(2)
        state["second"] = (done["Application-UUID"] == second.event_uuid, first.done)
        checked[1].set()
        state["first"] = first.wait(2)["Application-UUID"] == first.event_uuid
        return state

    server, outcome = serve(script)
    peer = dial(server)
    uuids = [command_headers(expect(peer, b"sendmsg\n"))["Event-UUID"] for _ in range(2)]
    # A playback started elsewhere (caller-controls execute_application) completes first.
    peer.send(execute_event("CHANNEL_EXECUTE_COMPLETE", "playback", "f" * 8 + uuids[0][8:]))
    peer.send(event_plain({"Event-Name": "DTMF", "Unique-ID": UUID, "DTMF-Digit": "1"}))
    assert checked[0].wait(2)
    peer.send(execute_event("CHANNEL_EXECUTE_COMPLETE", "playback", uuids[1]))
    assert checked[1].wait(2)
    peer.send(execute_event("CHANNEL_EXECUTE_COMPLETE", "playback", uuids[0]))
    assert outcome.get(timeout=2) == {
        "after_foreign": (False, False),
        "second": (True, False),
        "first": True,
    }


def test_execute_sends_event_uuid_event_lock_and_arguments(serve: Callable) -> None:
    server, outcome = serve(
        lambda s: s.execute("playback", "ivr/ivr-welcome.wav", wait=False).event_uuid
    )
    peer = dial(server)
    command = expect(peer, b"sendmsg\n")
    event_uuid = outcome.get(timeout=2)
    assert (
        command
        == (
            "sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
            "execute-app-arg: ivr/ivr-welcome.wav\nevent-lock: true\n"
            f"Event-UUID: {event_uuid}\n\n"
        ).encode()
    )


def test_no_timeout_defect_execute_times_out_and_removes_its_registration(serve: Callable) -> None:
    def script(s: OutboundSession) -> int:
        with pytest.raises(ESLTimeout, match="did not complete within 0.1s"):
            s.playback("slow.wav", timeout=0.1)
        return s.pending_executions

    server, outcome = serve(script)
    peer = dial(server)
    expect(peer, b"sendmsg\n")
    assert outcome.get(timeout=2) == 0


def test_execute_refused_by_freeswitch_raises_and_forgets(serve: Callable) -> None:
    def script(s: OutboundSession) -> int:
        with pytest.raises(CommandError, match="-ERR"):
            s.answer()
        return s.pending_executions

    server, outcome = serve(script)
    peer = dial(server)
    expect(peer, b"sendmsg\n", reply("-ERR no such channel"))
    assert outcome.get(timeout=2) == 0


def test_no_timeout_defect_outbound_connect_times_out(serve: Callable) -> None:
    server, outcome = serve(lambda s: "never runs", connect_timeout=0.2)
    peer = Peer.connect(server.bound_port)
    assert peer.read_command() == b"connect\n\n"
    assert eventually(lambda: server.connecting_count == 0)
    # A peer that sends no channel data is not FreeSWITCH: closed without `exit`.
    assert peer.read_command() is None
    assert server.connection_count == 0
    assert not outcome.ready()


def test_the_oldest_connection_waiting_for_channel_data_makes_way_for_a_new_one(
    serve: Callable,
) -> None:
    server, outcome = serve(lambda s: s.playback("ivr/ivr-welcome.wav"), max_connections=1)
    idle = Peer.connect(server.bound_port)
    assert idle.read_command() == b"connect\n\n"
    peer = dial(server)
    expect(peer, b"sendmsg\n")
    assert idle.read_command() is None
    assert (server.connection_count, server.connecting_count) == (1, 0)
    peer.close()
    idle.close()


def test_tcp_close_defect_pending_playback_fails_and_the_call_count_drops(serve: Callable) -> None:
    server, outcome = serve(lambda s: s.playback("ivr/ivr-welcome.wav"))
    peer = dial(server)
    expect(peer, b"sendmsg\n")
    assert server.connection_count == 1
    peer.close()
    with pytest.raises(OutboundSessionHasGoneAway, match="socket closed"):
        outcome.get(timeout=2)
    assert eventually(lambda: server.connection_count == 0)


def test_disconnect_notice_defect_linger_notice_then_more_frames_are_parsed(
    serve: Callable,
) -> None:
    def script(s: OutboundSession) -> tuple:
        s.linger()
        with pytest.raises(OutboundSessionHasGoneAway, match="hung up"):
            s.playback("ivr/ivr-welcome.wav")
        complete = s.next_event("CHANNEL_HANGUP_COMPLETE", timeout=2)
        with pytest.raises(OutboundSessionHasGoneAway):
            s.execute("playback", "again.wav")
        return s.hangup_cause, s.lingering, complete["Hangup-Cause"], s.connected

    server, outcome = serve(script)
    peer = dial(server)
    expect(peer, b"linger\n\n", reply("+OK will linger"))
    app_uuid = command_headers(expect(peer, b"sendmsg\n"))["Event-UUID"]
    peer.send(
        event_plain(
            {"Event-Name": "CHANNEL_HANGUP", "Unique-ID": UUID, "Hangup-Cause": "NORMAL_CLEARING"}
        )
    )
    peer.send((SAMPLES / "outbound-0001__text_disconnect-notice.raw").read_bytes())
    peer.send(
        execute_event(
            "CHANNEL_EXECUTE_COMPLETE",
            "playback",
            app_uuid,
            **{"Application-Response": "PLAYBACK ERROR"},
        )
    )
    peer.send(
        (SAMPLES / "outbound-0001__text_event-plain_CHANNEL_HANGUP_COMPLETE.raw").read_bytes()
    )
    assert outcome.get(timeout=2) == ("NORMAL_CLEARING", True, "NORMAL_CLEARING", False)
    assert peer.read_command() == b"exit\n\n"
    peer.send(reply("+OK bye") + disconnect_notice())
    assert eventually(lambda: server.connection_count == 0)


def test_disconnect_notice_without_linger_fails_pending_execution(serve: Callable) -> None:
    server, outcome = serve(lambda s: s.playback("ivr/ivr-welcome.wav"))
    peer = dial(server)
    expect(peer, b"sendmsg\n")
    peer.send(disconnect_notice())
    with pytest.raises(OutboundSessionHasGoneAway, match="disconnect notice"):
        outcome.get(timeout=2)


def test_stop_defect_server_stop_does_not_hang_when_the_peer_never_answers_exit(
    serve: Callable,
) -> None:
    server, outcome = serve(lambda s: s.playback("ivr/ivr-welcome.wav", timeout=None))
    peer = dial(server)
    expect(peer, b"sendmsg\n")
    server.stop(timeout=1.0)
    with pytest.raises(OutboundSessionHasGoneAway):
        outcome.get(timeout=2)
    assert peer.read_command() == b"exit\n\n"
    assert peer.wait_closed()
    assert server.connection_count == 0


def test_session_stop_is_bounded_when_exit_is_never_answered(serve: Callable) -> None:
    server, outcome = serve(lambda s: s.stop(timeout=0.1) or s.connected)
    peer = dial(server)
    assert peer.read_command() == b"exit\n\n"
    assert outcome.get(timeout=2) is False


def test_max_connections_refuses_the_extra_call(serve: Callable) -> None:
    release = gevent.event.Event()
    server, outcome = serve(lambda s: release.wait(2), max_connections=1)
    first = dial(server)
    extra = dial(server)
    assert extra.read_command() == b"exit\n\n"
    assert extra.wait_closed()
    release.set()
    assert outcome.get(timeout=2) is True
    assert first.read_command() == b"exit\n\n"


def test_application_exception_is_logged_and_other_calls_continue(
    serve: Callable, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def script(s: OutboundSession) -> str:
        calls.append(s.uuid)
        if len(calls) == 1:
            raise RuntimeError("bug in call one")
        return "second call fine"

    server, outcome = serve(script)
    failing = dial(server)
    assert failing.read_command() == b"exit\n\n"
    assert failing.wait_closed()
    assert "bug in call one" in caplog.text
    server.application = lambda session: ScriptedCall(session, script, second_outcome)
    second_outcome: gevent.event.AsyncResult = gevent.event.AsyncResult()
    dial(server)
    assert second_outcome.get(timeout=2) == "second call fine"


def test_dtmf_queue_while_conference_runs(serve: Callable) -> None:
    def script(s: OutboundSession) -> tuple:
        room = s.execute("conference", "room@default", wait=False, timeout=None)
        started = s.next_event("CHANNEL_EXECUTE", timeout=2)
        keys = [s.next_dtmf(timeout=2), s.next_dtmf(timeout=2)]
        quiet = s.next_dtmf(timeout=0.05)
        done = room.wait(2)
        return keys, quiet, started["Application-UUID"] == room.event_uuid, done["Application"]

    server, outcome = serve(script)
    peer = dial(server)
    app_uuid = command_headers(expect(peer, b"sendmsg\n"))["Event-UUID"]
    peer.send(execute_event("CHANNEL_EXECUTE", "conference", app_uuid))
    for digit in "*1":
        peer.send(event_plain({"Event-Name": "DTMF", "Unique-ID": UUID, "DTMF-Digit": digit}))
    gevent.sleep(0.1)
    peer.send(execute_event("CHANNEL_EXECUTE_COMPLETE", "conference", app_uuid))
    assert outcome.get(timeout=2) == (["*", "1"], None, True, "conference")


def test_next_dtmf_after_hangup_raises_once_the_keys_are_used_up(serve: Callable) -> None:
    def script(s: OutboundSession) -> list:
        keys = []
        with pytest.raises(OutboundSessionHasGoneAway):
            while True:
                keys.append(s.next_dtmf(timeout=2))
        return keys

    server, outcome = serve(script)
    peer = dial(server)
    peer.send(event_plain({"Event-Name": "DTMF", "Unique-ID": UUID, "DTMF-Digit": "#"}))
    peer.send(
        event_plain(
            {"Event-Name": "CHANNEL_HANGUP", "Unique-ID": UUID, "Hangup-Cause": "NORMAL_CLEARING"}
        )
    )
    assert outcome.get(timeout=2) == ["#"]


def test_flush_events_and_next_event_by_name(serve: Callable) -> None:
    def script(s: OutboundSession) -> tuple:
        assert s.next_event("CHANNEL_ANSWER", timeout=2) is not None
        dropped = s.flush_events("DTMF")
        left = s.next_event(timeout=0.05)
        return dropped, left.name if left else None

    server, outcome = serve(script)
    peer = dial(server)
    peer.send(event_plain({"Event-Name": "DTMF", "Unique-ID": UUID, "DTMF-Digit": "1"}))
    peer.send(event_plain({"Event-Name": "CHANNEL_PARK", "Unique-ID": UUID}))
    peer.send(event_plain({"Event-Name": "CHANNEL_ANSWER", "Unique-ID": UUID}))
    assert outcome.get(timeout=2) == (1, "CHANNEL_PARK")


def test_a_session_without_event_buffer_keeps_no_events_and_still_runs_its_apps(
    serve: Callable,
) -> None:
    parsed: list[str] = []

    def script(s: OutboundSession) -> tuple:
        original = s._route
        s._route = lambda event: (parsed.append(event.name), original(event))  # type: ignore[method-assign]
        done = s.execute("playback", "a.wav", timeout=2)
        with pytest.raises(ValueError, match="buffers no events"):
            s.next_event(timeout=0.01)
        return done["Application-UUID"], s.pending_executions

    server, outcome = serve(script, event_buffer=0)
    peer = dial(server)
    app_uuid = command_headers(expect(peer, b"sendmsg\n"))["Event-UUID"]
    peer.send(event_plain({"Event-Name": "DTMF", "Unique-ID": UUID, "DTMF-Digit": "1"}))
    peer.send(execute_event("CHANNEL_EXECUTE", "playback", app_uuid))
    peer.send(execute_event("CHANNEL_EXECUTE_COMPLETE", "playback", app_uuid))
    assert outcome.get(timeout=2) == (app_uuid, 0)
    # Only the events the session acts on were parsed at all; the others were skipped unread.
    assert parsed == ["CHANNEL_EXECUTE_COMPLETE"]


def test_a_session_without_event_buffer_still_sees_the_hangup(serve: Callable) -> None:
    def script(s: OutboundSession) -> str | None:
        with pytest.raises(OutboundSessionHasGoneAway):
            s.execute("playback", "a.wav", timeout=2)
        return s.hangup_cause

    server, outcome = serve(script, event_buffer=0)
    peer = dial(server)
    expect(peer, b"sendmsg\n")
    peer.send(
        event_plain(
            {"Event-Name": "CHANNEL_HANGUP", "Unique-ID": UUID, "Hangup-Cause": "NORMAL_CLEARING"}
        )
    )
    assert outcome.get(timeout=2) == "NORMAL_CLEARING"


def test_the_reader_keeps_no_frame_alive_while_it_waits(serve: Callable) -> None:
    seen: list[weakref.ref] = []
    patched, received, release = gevent.event.Event(), gevent.event.Event(), gevent.event.Event()

    def script(s: OutboundSession) -> None:
        connection = s._connection
        original = connection._dispatch

        def dispatch(frame: Any) -> None:
            seen.append(weakref.ref(frame))
            original(frame)
            received.set()

        connection._dispatch = dispatch  # type: ignore[method-assign]
        patched.set()
        release.wait(2)

    server, outcome = serve(script, event_buffer=0)
    peer = dial(server)
    assert patched.wait(2)
    peer.send(execute_event("CHANNEL_EXECUTE", "playback", "no-such-execution"))
    assert received.wait(2)
    gevent.sleep(0.05)
    gc.collect()
    # An event frame carries the whole channel data: one kept per call adds up.
    assert seen and seen[0]() is None
    release.set()
    outcome.get(timeout=2)


def test_while_connected_as_context_manager_and_decorator(serve: Callable) -> None:
    stepped = gevent.event.Event()

    def script(s: OutboundSession) -> list[str]:
        seen = []
        with s.while_connected():
            seen.append("inside")

        @s.while_connected()
        def step() -> None:
            seen.append("step")

        step()
        stepped.set()
        s.next_event("CHANNEL_HANGUP", timeout=2)
        with pytest.raises(OutboundSessionHasGoneAway, match="hung up"):
            step()
        return seen

    server, outcome = serve(script)
    peer = dial(server)
    assert stepped.wait(2)
    peer.send(
        event_plain(
            {"Event-Name": "CHANNEL_HANGUP", "Unique-ID": UUID, "Hangup-Cause": "USER_BUSY"}
        )
    )
    assert outcome.get(timeout=2) == ["inside", "step"]


def test_helpers_send_the_expected_commands(serve: Callable) -> None:
    def script(s: OutboundSession) -> str:
        s.myevents()
        s.linger(5)
        s.hangup("USER_BUSY")
        return s.api("uptime")

    server, outcome = serve(script)
    peer = dial(server)
    expect(peer, b"myevents\n\n", reply("+OK Events Enabled"))
    expect(peer, b"linger 5\n\n", reply("+OK will linger 5 seconds"))
    expect(peer, b"sendmsg\ncall-command: hangup\nhangup-cause: USER_BUSY\n\n")
    peer.read_command()
    peer.send(b"Content-Type: api/response\nContent-Length: 3\n\n120")
    assert outcome.get(timeout=2) == "120"


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (
            lambda s: s.set("conference_controls", "fsconf-moderator"),
            "set conference_controls=fsconf-moderator",
        ),
        (lambda s: s.sleep(250), "sleep 250"),
        (
            lambda s: s.multiset({"fs_conf_role": "moderator", "conference_controls": "x y"}),
            "multiset ^^|fs_conf_role=moderator|conference_controls=x y",
        ),
        (lambda s: s.say("42"), "say en NUMBER pronounced 42"),
        (lambda s: s.answer(), "answer"),
    ],
)
def test_application_helpers_wait_for_their_completion(
    serve: Callable, call: Script, arg: str
) -> None:
    server, outcome = serve(lambda s: call(s)["Application"])
    peer = dial(server)
    headers = command_headers(expect(peer, b"sendmsg\n"))
    app = headers["execute-app-name"]
    assert " ".join(filter(None, [app, headers.get("execute-app-arg")])) == arg
    peer.send(execute_event("CHANNEL_EXECUTE_COMPLETE", app, headers["Event-UUID"]))
    assert outcome.get(timeout=2) == app


def test_play_and_get_digits_uses_a_fresh_variable_and_reads_the_result(serve: Callable) -> None:
    def script(s: OutboundSession) -> DigitsResult:
        return s.play_and_get_digits(4, 8, 3, 5000, "#", "conference/conf-pin.wav")

    server, outcome = serve(script)
    peer = dial(server)
    headers = command_headers(expect(peer, b"sendmsg\n"))
    args = headers["execute-app-arg"].split(" ")
    assert args[:7] == [
        "4",
        "8",
        "3",
        "5000",
        "#",
        "conference/conf-pin.wav",
        "silence_stream://250",
    ]
    var, regex = args[7], args[8]
    assert regex == "\\d+" and var.startswith("fs_conf_digits_")
    peer.send(
        execute_event(
            "CHANNEL_EXECUTE_COMPLETE",
            "play_and_get_digits",
            headers["Event-UUID"],
            **{f"variable_{var}": "0123", "variable_read_result": "success"},
        )
    )
    result = outcome.get(timeout=2)
    assert result == DigitsResult("0123", "success", None) and result.accepted


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda s: s.play_and_get_digits(5, 4, 1, 1000, "#", "f.wav"), "min <= max"),
        (lambda s: s.play_and_get_digits(1, 4, 0, 1000, "#", "f.wav"), "tries"),
        (lambda s: s.play_and_get_digits(1, 4, 1, 1000, "#", "my file.wav"), "file"),
        (lambda s: s.play_and_get_digits(1, 4, 1, 1000, "#", "f.wav", var="a b"), "variable name"),
        (lambda s: s.playback(""), "playback file"),
        (lambda s: s.linger(0), "linger seconds"),
        (lambda s: s.sleep(-1), "sleep"),
        (lambda s: s.execute("play back"), "application"),
        (lambda s: s.multiset({}), "at least one"),
        (lambda s: s.multiset({"a b": "1"}), "variable name"),
        (lambda s: s.multiset({"a": "1|2"}), "must not contain '\\|'"),
        (lambda s: s.multiset({"a": "it's"}), "quote"),
        (lambda s: s.multiset({"a": "1"}, delimiter=" "), "delimiter"),
    ],
)
def test_bad_arguments_name_the_field(serve: Callable, call: Script, problem: str) -> None:
    def script(s: OutboundSession) -> str:
        with pytest.raises(ValueError, match=problem):
            call(s)
        return "checked"

    server, outcome = serve(script)
    dial(server)
    assert outcome.get(timeout=2) == "checked"


# -- replays of real FreeSWITCH recordings ------------------------------------------------------


def recorded_commands(recording: Path) -> list[bytes]:
    return split_commands(recording.with_suffix(".s2c.bin").read_bytes())


def command_essence(command: bytes) -> bytes:
    """A command without the per-run headers (Event-UUID, event-lock, event-uuid-name)."""
    keep = [
        line
        for line in command.split(b"\n")
        if not line.lower().startswith((b"event-uuid", b"event-lock"))
    ]
    return b"\n".join(keep)


def replay(serve: Callable, recording: Path, script: Script) -> tuple[Any, ReplayPeer]:
    server, outcome = serve(script)
    replayer = ReplayPeer(Peer.connect(server.bound_port), recording).start()
    result = outcome.get(timeout=5)
    assert replayer.done.wait(5)
    return result, replayer


def scenario1_ivr(s: OutboundSession) -> dict[str, Any]:
    """The recorded handler's flow: answer, welcome, PIN, conference; keys collected."""
    s.myevents()
    s.linger()
    s.answer()
    played = s.playback("ivr/ivr-welcome.wav")
    pin = s.play_and_get_digits(
        4,
        4,
        3,
        7000,
        "#",
        "conference/conf-pin.wav",
        "ivr/ivr-please_try_again.wav",
        "pin",
        "[0-9]+",
        3000,
    )
    room = s.execute("conference", "test@default", wait=False, timeout=None)
    keys = []
    with pytest.raises(OutboundSessionHasGoneAway):
        while True:
            keys.append(s.next_dtmf(timeout=5))
    try:
        room_end = room.wait(1)["Application"]
    except OutboundSessionHasGoneAway:
        room_end = "hangup first"
    return {
        "played": played["Application-Response"],
        "pin": pin,
        "keys": keys,
        "room": room_end,
        "cause": s.hangup_cause,
        "lingering": s.lingering,
    }


@pytest.mark.parametrize(
    ("call", "digits", "room_end"),
    # Call 1 left the room before hanging up; call 2 was hung up inside it (hupall).
    [("outbound-0001", "1234", "conference"), ("outbound-0002", "5678", "hangup first")],
)
def test_replay_scenario1_call_gives_the_recorded_digits(
    serve: Callable, call: str, digits: str, room_end: str
) -> None:
    recording = RECORDINGS / "scenario1" / call
    result, replayer = replay(serve, recording, scenario1_ivr)
    stream = recording.with_suffix(".c2s.bin").read_bytes()
    recorded_keys = [
        line.split(b": ")[1].replace(b"%23", b"#").decode()
        for line in stream.split(b"\n")
        if line.startswith(b"DTMF-Digit: ")
    ]
    assert result == {
        "played": "FILE PLAYED",
        "pin": DigitsResult(digits, "success", None),
        "keys": recorded_keys,
        "room": room_end,
        "cause": "NORMAL_CLEARING",
        "lingering": True,
    }
    assert [command_essence(c) for c in replayer.commands] == [
        command_essence(c) for c in recorded_commands(recording)
    ]


PAGD_CASES = [
    ("case2a_pagd_ok_hash", DigitsResult("123", "success", None)),
    ("case2b_pagd_timeout", DigitsResult("", "failure", None)),
    ("case2c_pagd_regex_mismatch", DigitsResult("", "success", "999")),
    ("case2d_pagd_too_few", DigitsResult("12", "failure", None)),
    ("case2e_pagd_tries_exhausted", DigitsResult("", "failure", "99")),
    ("case2f_pagd_bargein", DigitsResult("55", "success", None)),
    ("case2g_pagd_max_digits_no_hash", DigitsResult("123", "success", None)),
    ("case2h_pagd_digit_timeout", DigitsResult("12", "timeout", None)),
]


@pytest.mark.parametrize(("case", "expected"), PAGD_CASES, ids=[c for c, _ in PAGD_CASES])
def test_replay_play_and_get_digits_outcomes(
    serve: Callable, case: str, expected: DigitsResult
) -> None:
    recording = RECORDINGS / "scenario2" / case / "outbound-0001"
    sent = [c for c in recorded_commands(recording) if b"play_and_get_digits" in c][0]
    args = command_headers(sent)["execute-app-arg"].split(" ")

    def script(s: OutboundSession) -> DigitsResult:
        s.myevents()
        s.linger()
        s.answer()
        numbers = [int(a) for a in args[:4]]
        return s.play_and_get_digits(*numbers, *args[4:9], int(args[9]))

    result, replayer = replay(serve, recording, script)
    assert result == expected
    assert result.accepted == (expected.digits != "" and expected.read_result != "failure")
    assert command_essence(replayer.commands[4]) == command_essence(sent)


@pytest.mark.parametrize("case", ["case3a_hangup_in_playback_linger5", "case3c_hangup_no_linger"])
def test_replay_caller_hangs_up_during_playback(serve: Callable, case: str) -> None:
    recording = RECORDINGS / "scenario2" / case / "outbound-0001"
    lingers = b"linger 5\n\n" in recorded_commands(recording)

    def script(s: OutboundSession) -> tuple:
        s.myevents()
        if lingers:
            s.linger(5)
        s.answer()
        with pytest.raises(OutboundSessionHasGoneAway, match="hung up"):
            s.playback("conference/conf-pin.wav")
        complete = s.next_event("CHANNEL_HANGUP_COMPLETE", timeout=2)
        return s.hangup_cause, complete["Hangup-Cause"], s.pending_executions

    result, _ = replay(serve, recording, script)
    assert result == ("NORMAL_CLEARING", "NORMAL_CLEARING", 0)


def test_replay_nosuchapp_ends_the_wait_with_the_hangup(serve: Callable) -> None:
    recording = RECORDINGS / "scenario2" / "case4a_nosuchapp" / "outbound-0001"

    def script(s: OutboundSession) -> str | None:
        s.myevents()
        s.linger()
        s.answer()
        with pytest.raises(OutboundSessionHasGoneAway, match="DESTINATION_OUT_OF_ORDER"):
            s.execute("nosuchapp", "foo")
        return s.hangup_cause

    result, _ = replay(serve, recording, script)
    assert result == "DESTINATION_OUT_OF_ORDER"


def test_replay_conference_keys_and_a_foreign_playback_completion(serve: Callable) -> None:
    recording = RECORDINGS / "scenario2" / "case5_conference_dtmf" / "outbound-0001"

    def script(s: OutboundSession) -> tuple:
        s.myevents()
        s.linger()
        s.answer()
        s.set("conference_controls", "fsconf-moderator")
        room = s.execute("conference", "c5@default", wait=False, timeout=None)
        keys = []
        with pytest.raises(OutboundSessionHasGoneAway):
            while True:
                keys.append(s.next_dtmf(timeout=5))
        with pytest.raises(OutboundSessionHasGoneAway, match="hung up"):
            room.wait(1)
        completions = []
        while event := s.next_event("CHANNEL_EXECUTE_COMPLETE", timeout=0.2):
            completions.append(event["Application"])
        return "".join(keys), completions

    result, _ = replay(serve, recording, script)
    # The caller-controls playback completed inside the room without ending the room's wait;
    # the room's own completion came after the hangup.
    assert result == ("*1*2005", ["answer", "set", "playback", "conference", "socket"])


def test_unknown_frame_types_and_bad_events_do_not_stop_the_session(
    serve: Callable, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def script(s: OutboundSession) -> str | None:
        return s.next_dtmf(timeout=2)

    server, outcome = serve(script)
    peer = dial(server)
    peer.send(b"Content-Type: log/data\nContent-Length: 3\n\nlog")
    peer.send(b"Content-Type: text/event-json\nContent-Length: 5\n\n{bad}")
    peer.send(event_plain({"Event-Name": "DTMF", "Unique-ID": UUID, "DTMF-Digit": "9"}))
    assert outcome.get(timeout=2) == "9"
    assert "unreadable event dropped" in caplog.text
