"""InboundESL against a scripted FreeSWITCH peer; each greenswitch defect has a test named after it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import gevent
import gevent.event
import pytest

from fs_conf.esl import (
    AuthenticationError,
    CommandError,
    ConnectionLost,
    ESLTimeout,
    Event,
    InboundESL,
    NotConnectedError,
    OriginateError,
)

from .peer import (
    AUTH_REQUEST,
    RECORDINGS,
    Listener,
    Peer,
    api_response,
    command_headers,
    disconnect_notice,
    event_plain,
    eventually,
    reply,
)

PASSWORD = "Secr3t-ClueCon"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def connected(listener: Listener) -> Iterator[tuple[InboundESL, Peer]]:
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=1.0, job_timeout=1.0)
    connecting = gevent.spawn(esl.connect)
    peer = listener.accept()
    peer.send(AUTH_REQUEST)
    assert peer.read_command() == f"auth {PASSWORD}\n\n".encode()
    peer.send(reply("+OK accepted"))
    connecting.get(timeout=2)
    yield esl, peer
    gevent.spawn(esl.stop, 0.2)
    peer.close()


def answer_next(peer: Peer, data: bytes) -> gevent.Greenlet:
    """Read one command in the background, answer it with `data`; the greenlet returns it."""

    def run() -> bytes | None:
        command = peer.read_command()
        peer.send(data)
        return command

    return gevent.spawn(run)


def test_connect_authenticates_and_api_returns_the_body(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    body = (RECORDINGS / "samples/api-0001__api_response.raw").read_bytes().split(b"\n\n", 1)[1]
    got = answer_next(
        peer, b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(body), body)
    )
    assert esl.api("status") == body.decode()
    assert got.get() == b"api status\n\n"
    assert esl.connected


def test_wrong_password_gives_a_clear_error_without_the_password(
    listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=1.0)
    connecting = gevent.spawn(esl.connect)
    peer = listener.accept()
    peer.send(AUTH_REQUEST)
    peer.read_command()
    peer.send(reply("-ERR invalid") + disconnect_notice())
    peer.close()
    with pytest.raises(AuthenticationError, match="password refused \\(-ERR invalid\\)") as info:
        connecting.get(timeout=2)
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in caplog.text
    assert not esl.connected


def test_no_timeout_defect_connect_waiting_for_auth_request_times_out(listener: Listener) -> None:
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=0.2)
    connecting = gevent.spawn(esl.connect)
    peer = listener.accept()
    with pytest.raises(ESLTimeout, match="no auth/request"):
        connecting.get(timeout=2)
    assert peer.wait_closed()


def test_rude_rejection_before_auth_is_reported(listener: Listener) -> None:
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=1.0)
    connecting = gevent.spawn(esl.connect)
    peer = listener.accept()
    text = b"Access Denied, go away.\n"
    peer.send(b"Content-Type: text/rude-rejection\nContent-Length: %d\n\n%s" % (len(text), text))
    peer.close()
    with pytest.raises(NotConnectedError, match="Access Denied"):
        connecting.get(timeout=2)


def test_connect_to_a_closed_port_fails_clearly(listener: Listener) -> None:
    port = listener.port
    listener.close()
    esl = InboundESL("127.0.0.1", port, PASSWORD, timeout=0.5)
    with pytest.raises(NotConnectedError, match="TCP connect failed"):
        esl.connect()
    assert not esl.reached


def test_password_with_a_line_break_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as info:
        InboundESL("127.0.0.1", 1, "bad\npass")
    assert "bad" not in str(info.value)


def test_no_timeout_defect_api_times_out_and_the_late_reply_does_not_leak(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    with pytest.raises(ESLTimeout, match="no reply to 'api'"):
        esl.api("slow", timeout=0.1)
    assert peer.read_command() == b"api slow\n\n"
    assert esl._connection.pending_replies == 1
    waiting = gevent.spawn(esl.api, "next")
    assert peer.read_command() == b"api next\n\n"
    peer.send(api_response("late") + api_response("fresh"))
    assert waiting.get(timeout=2) == "fresh"
    assert esl._connection.pending_replies == 0


def test_send_defect_sendall_delivers_a_big_command_whole(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    argument = "x" * (4 * 1024 * 1024)
    got = answer_next(peer, api_response("+OK"))
    assert esl.api(f"echo {argument}") == "+OK"
    assert got.get() == f"api echo {argument}\n\n".encode()


def test_no_timeout_defect_send_to_a_peer_that_never_reads_times_out(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, _peer = connected
    with pytest.raises(ESLTimeout, match="sending 'api' timed out"):
        esl.api("echo " + "y" * (64 * 1024 * 1024), timeout=0.3)
    assert not esl.connected
    with pytest.raises(NotConnectedError):
        esl.api("status")


def test_tcp_close_without_notice_fails_every_waiter(listener: Listener) -> None:
    reasons: list[str] = []
    esl = InboundESL(
        "127.0.0.1",
        listener.port,
        PASSWORD,
        timeout=5.0,
        job_timeout=5.0,
        on_disconnect=reasons.append,
    )
    connecting = gevent.spawn(esl.connect)
    peer = listener.accept()
    peer.send(AUTH_REQUEST)
    peer.read_command()
    peer.send(reply("+OK accepted"))
    connecting.get(timeout=2)
    waiters = [gevent.spawn(esl.api, "a"), gevent.spawn(esl.api, "b")]
    assert [peer.read_command(), peer.read_command()] == [b"api a\n\n", b"api b\n\n"]
    peer.close()
    for waiter in waiters:
        with pytest.raises(ConnectionLost, match="closed by peer"):
            waiter.get(timeout=2)
    assert esl.disconnected.wait(2)
    gevent.sleep(0)
    assert reasons == ["closed by peer"]


def test_peer_closing_mid_body_ends_cleanly(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    waiting = gevent.spawn(esl.api, "status")
    peer.read_command()
    peer.send(b"Content-Type: api/response\nContent-Length: 100\n\npartial")
    peer.close()
    with pytest.raises(ConnectionLost, match="middle of a frame .*7 of 100 bytes"):
        waiting.get(timeout=2)
    assert esl.disconnected.is_set()
    assert esl._connection._reader.dead


def test_event_body_defect_bgapi_returns_its_own_background_job_body(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    job = gevent.spawn(esl.bgapi, "status")
    assert peer.read_command() == b"event plain BACKGROUND_JOB\n\n"
    peer.send(reply("+OK event listener enabled plain"))
    command = peer.read_command()
    assert command.startswith(b"bgapi status\nJob-UUID: ")
    job_uuid = command_headers(command)["Job-UUID"]
    peer.send(reply(f"+OK Job-UUID: {job_uuid}"))
    peer.send(
        event_plain({"Event-Name": "BACKGROUND_JOB", "Job-UUID": "someone-else"}, "-ERR other\n")
    )
    peer.send(
        event_plain({"Event-Name": "BACKGROUND_JOB", "Job-UUID": job_uuid}, "UP 0 years\nready\n")
    )
    assert job.get(timeout=2) == "UP 0 years\nready\n"
    assert esl._jobs == {}


def test_no_timeout_defect_bgapi_times_out_and_forgets_the_job(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    esl._subscribed.add("ALL")
    got = answer_next(peer, reply("+OK Job-UUID: x"))
    with pytest.raises(ESLTimeout, match="no BACKGROUND_JOB"):
        esl.bgapi("status", timeout=0.2)
    assert got.get().startswith(b"bgapi status\n")
    assert esl._jobs == {}


def test_bgapi_refused_raises_command_error(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    esl._subscribed.add("ALL")
    answer_next(peer, reply("-ERR command not found"))
    with pytest.raises(CommandError, match="-ERR command not found"):
        esl.bgapi("status")
    assert esl._jobs == {}


def test_bgapi_with_filters_adds_a_background_job_filter(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    answer_next(peer, reply("+OK filter added. [Unique-ID]=[u1]"))
    esl.filter("Unique-ID", "u1")
    answer_next(peer, reply("+OK event listener enabled plain"))
    esl.subscribe("ALL")
    got = answer_next(peer, reply("+OK filter added. [Event-Name]=[BACKGROUND_JOB]"))
    job = gevent.spawn(esl.bgapi, "version", 0.2)
    assert got.get() == b"filter Event-Name BACKGROUND_JOB\n\n"
    peer.read_command()
    peer.send(reply("+OK Job-UUID: x"))
    with pytest.raises(ESLTimeout):
        job.get(timeout=2)


def test_originate_returns_the_uuid_and_raises_on_failure(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    esl._subscribed.add("BACKGROUND_JOB")

    def fake_freeswitch(outcomes: list[str]) -> None:
        for outcome in outcomes:
            command = peer.read_command()
            headers = command_headers(command)
            peer.send(reply(f"+OK Job-UUID: {headers['Job-UUID']}"))
            uuid = command.split(b"origination_uuid=", 1)[1].split(b"}", 1)[0].decode()
            body = outcome.format(uuid=uuid)
            peer.send(
                event_plain({"Event-Name": "BACKGROUND_JOB", "Job-UUID": headers["Job-UUID"]}, body)
            )

    fs = gevent.spawn(fake_freeswitch, ["+OK {uuid}\n", "-ERR NO_ROUTE_DESTINATION\n"])
    uuid = esl.originate(
        "loopback/3000/default", "&park()", {"origination_caller_id_name": "Ann Lee"}
    )
    assert len(uuid) == 36
    with pytest.raises(OriginateError, match="NO_ROUTE_DESTINATION") as info:
        esl.originate("loopback/7777/default")
    assert info.value.cause == "NO_ROUTE_DESTINATION"
    fs.get(timeout=2)


def test_originate_quotes_variables_and_refuses_unusable_ones(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    esl._subscribed.add("ALL")
    got = answer_next(peer, reply("-ERR stop here"))
    with pytest.raises(CommandError):
        esl.originate("user/1000", variables={"origination_uuid": "u", "a": "x y", "b": "1,2"})
    assert got.get().startswith(
        b"bgapi originate {origination_uuid=u,a='x y',b=1\\,2}user/1000 &park()\n"
    )
    with pytest.raises(ValueError, match="variable 'c'"):
        esl.originate("user/1000", variables={"c": "it's"})
    with pytest.raises(ValueError, match="endpoint"):
        esl.originate("user/1000 &bad()")


def test_handlers_run_in_their_own_greenlets_slow_and_failing_ones_stop_nothing(
    connected: tuple[InboundESL, Peer], caplog: pytest.LogCaptureFixture
) -> None:
    esl, peer = connected
    release = gevent.event.Event()
    seen: dict[str, list[str]] = {"slow": [], "maintenance": [], "all": [], "dtmf": []}

    def slow(event: Event) -> None:
        release.wait()
        seen["slow"].append(event["Action"])

    def failing(event: Event) -> None:
        raise RuntimeError("handler bug")

    esl.register_handle("conference::maintenance", slow)
    esl.register_handle(
        "conference::maintenance", lambda e: seen["maintenance"].append(e["Action"])
    )
    esl.register_handle("conference::maintenance", failing)
    esl.register_handle("*", lambda e: seen["all"].append(e.key))
    esl.register_handle("DTMF", lambda e: seen["dtmf"].append(e["DTMF-Digit"]))
    maintenance = {"Event-Name": "CUSTOM", "Event-Subclass": "conference::maintenance"}
    for action in ("add-member", "mute-member", "del-member"):
        peer.send(event_plain({**maintenance, "Action": action}))
    peer.send(event_plain({"Event-Name": "DTMF", "DTMF-Digit": "#"}))
    got = answer_next(peer, api_response("+OK"))
    assert esl.api("status") == "+OK"
    got.get()
    assert eventually(lambda: len(seen["all"]) == 4)
    assert seen["maintenance"] == ["add-member", "mute-member", "del-member"]
    assert seen["dtmf"] == ["#"]
    assert seen["all"] == ["conference::maintenance"] * 3 + ["DTMF"]
    assert seen["slow"] == []
    failures = [r for r in caplog.records if r.exc_info and "handler bug" in str(r.exc_info[1])]
    assert len(failures) == 3
    release.set()
    assert eventually(lambda: seen["slow"] == ["add-member", "mute-member", "del-member"])


def test_unregister_handle_stops_delivery(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    seen: list[Event] = []
    everything: list[Event] = []
    esl.register_handle("*", everything.append)
    esl.register_handle("DTMF", seen.append)
    esl.register_handle("DTMF", seen.append)
    peer.send(event_plain({"Event-Name": "DTMF", "DTMF-Digit": "1"}))
    assert eventually(lambda: len(everything) == 1)
    esl.unregister_handle("DTMF", seen.append)
    peer.send(event_plain({"Event-Name": "DTMF", "DTMF-Digit": "2"}))
    assert eventually(lambda: len(everything) == 2)
    gevent.sleep(0)
    assert [e["DTMF-Digit"] for e in seen] == ["1"]


def test_event_body_defect_json_events_are_parsed(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    got = answer_next(peer, reply("+OK event listener enabled json"))
    assert esl.subscribe("CUSTOM", "conference::maintenance", fmt="json").endswith("json")
    assert got.get() == b"event json CUSTOM conference::maintenance\n\n"
    seen: list[Event] = []
    esl.register_handle("conference::maintenance", seen.append)
    peer.send((RECORDINGS / "samples/json-events-0001__text_event-json.raw").read_bytes())
    assert eventually(lambda: len(seen) == 1)
    assert seen[0]["Action"] == "conference-create"


def test_subscribe_and_filter_errors(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    with pytest.raises(ValueError, match="event format"):
        esl.subscribe("ALL", fmt="yaml")
    with pytest.raises(ValueError, match="event names"):
        esl.subscribe()
    answer_next(peer, reply("-ERR invalid filter"))
    with pytest.raises(CommandError, match="filter: -ERR invalid filter"):
        esl.filter("Unique-ID", "x")
    answer_next(peer, reply("+OK filter deleted. [Unique-ID][x]"))
    assert esl.filter_delete("Unique-ID", "x").startswith("+OK")


def test_stop_defect_stop_does_not_hang_when_the_peer_never_answers_exit(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    stopping = gevent.spawn(esl.stop, 0.2)
    assert peer.read_command() == b"exit\n\n"
    stopping.get(timeout=2)
    assert not esl.connected
    assert peer.wait_closed()


def test_stop_after_exit_reply_and_notice(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    answer_next(peer, reply("+OK bye") + disconnect_notice())
    esl.stop(timeout=2)
    assert esl.disconnected.is_set()


def test_commands_before_connect_raise_not_connected() -> None:
    with pytest.raises(NotConnectedError, match="connect"):
        InboundESL("127.0.0.1", 1, PASSWORD).api("status")


def test_reconnect_after_a_disconnect_subscribes_again_for_jobs(listener: Listener) -> None:
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=1.0, job_timeout=1.0)
    for _ in range(2):
        connecting = gevent.spawn(esl.connect)
        peer = listener.accept()
        peer.send(AUTH_REQUEST)
        peer.read_command()
        peer.send(reply("+OK accepted"))
        connecting.get(timeout=2)
        job = gevent.spawn(esl.bgapi, "status")
        assert peer.read_command() == b"event plain BACKGROUND_JOB\n\n"
        peer.send(reply("+OK event listener enabled plain"))
        job_uuid = command_headers(peer.read_command())["Job-UUID"]
        peer.send(reply(f"+OK Job-UUID: {job_uuid}"))
        peer.send(event_plain({"Event-Name": "BACKGROUND_JOB", "Job-UUID": job_uuid}, "+OK\n"))
        assert job.get(timeout=2) == "+OK\n"
        peer.close()
        assert esl.disconnected.wait(2)


def test_connected_only_once_the_password_is_accepted_and_nothing_is_sent_before(
    listener: Listener,
) -> None:
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=2.0)
    connecting = gevent.spawn(esl.connect)
    peer = listener.accept()
    gevent.sleep(0.05)
    assert not esl.connected
    with pytest.raises(NotConnectedError, match="not logged in"):
        esl.api("status")
    peer.send(AUTH_REQUEST)
    assert peer.read_command() == f"auth {PASSWORD}\n\n".encode()
    assert not esl.connected
    peer.send(reply("+OK accepted"))
    connecting.get(timeout=2)
    assert esl.connected
    peer.close()


def test_a_login_never_answered_closes_the_connection_and_the_next_connect_opens_a_new_one(
    listener: Listener,
) -> None:
    esl = InboundESL("127.0.0.1", listener.port, PASSWORD, timeout=0.3)
    connecting = gevent.spawn(esl.connect)
    silent = listener.accept()
    silent.send(AUTH_REQUEST)
    assert silent.read_command() == f"auth {PASSWORD}\n\n".encode()
    with pytest.raises(ESLTimeout, match="auth"):
        connecting.get(timeout=2)
    assert esl.reached
    assert silent.wait_closed()
    connecting = gevent.spawn(esl.connect)
    working = listener.accept()
    working.send(AUTH_REQUEST)
    working.read_command()
    working.send(reply("+OK accepted"))
    connecting.get(timeout=2)
    assert esl.connected
    working.close()


def test_bgapi_job_returns_once_freeswitch_accepted_it_and_the_result_follows(
    connected: tuple[InboundESL, Peer],
) -> None:
    esl, peer = connected
    esl._subscribed.add("ALL")
    got = answer_next(peer, reply("+OK Job-UUID: x"))
    job = esl.bgapi_job("originate user/1003 &park()")
    job_uuid = command_headers(got.get())["Job-UUID"]
    assert job.job_uuid == job_uuid
    peer.send(
        event_plain({"Event-Name": "BACKGROUND_JOB", "Job-UUID": job_uuid}, "-ERR NO_ANSWER\n")
    )
    assert job.result(timeout=2) == "-ERR NO_ANSWER\n"
    assert esl._jobs == {}


def test_bgapi_job_refused_is_not_a_job(connected: tuple[InboundESL, Peer]) -> None:
    esl, peer = connected
    esl._subscribed.add("ALL")
    answer_next(peer, reply("-ERR command not found"))
    with pytest.raises(CommandError, match="-ERR command not found"):
        esl.bgapi_job("originate user/1003 &park()")
    assert esl._jobs == {}
