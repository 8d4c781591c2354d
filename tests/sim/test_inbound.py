"""The inbound ESL server: auth, api, bgapi, subscriptions, filters and bad input."""

from __future__ import annotations

import json

import gevent
from gevent import socket

from fs_conf.sim import Simulator
from tests.sim.conftest import EslTestClient, FrameSocket

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def test_wrong_password_gets_invalid_notice_and_close(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address, password=None)
    reply = client.command("auth wrong")
    assert reply.raw == b"Content-Type: command/reply\nReply-Text: -ERR invalid"
    notice = client.read_frame()
    assert notice is not None and notice.content_type == "text/disconnect-notice"
    assert notice.body == GOODBYE
    assert client.read_frame() is None


def test_commands_before_auth_and_unknown_commands(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address, password=None)
    assert client.command("api status").get("Reply-Text") == "-ERR command not found"
    assert client.command("auth ClueCon").get("Reply-Text") == "+OK accepted"
    assert client.command("frobnicate").get("Reply-Text") == "-ERR command not found"
    assert client.command("myevents").get("Reply-Text") == "-ERR command not found"
    assert client.command("linger").get("Reply-Text") == "-ERR not controlling a session"
    assert client.command("divert_events on").get("Reply-Text") == "-ERR not controlling a session."
    assert client.command("log 7").get("Reply-Text") == "+OK log level 7 [7]"
    assert client.command("nolog").get("Reply-Text") == "+OK no longer logging"
    assert client.command("nolog").get("Reply-Text") == "-ERR not loging"
    assert client.command("event plain").get("Reply-Text") == "-ERR no keywords supplied"
    assert client.command("noevents").get("Reply-Text") == "-ERR not listening for events"


def test_api_replies(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert client.api("nosuchcommand") == "-ERR nosuchcommand Command not found!\n"
    assert client.api("conference nosuchconf list") == "-ERR Conference nosuchconf not found\n"
    assert client.api("conference list") == "+OK No active conferences.\n"
    assert client.api("uuid_recv_dtmf 00000000-0000-0000-0000-000000000000 1") == (
        "-ERR Cannot locate session!\n"
    )
    assert (
        client.api("uuid_getvar 00000000-0000-0000-0000-000000000000 x")
        == "-ERR No such channel!\n"
    )
    assert client.api("uuid_exists 00000000-0000-0000-0000-000000000000") == "false"
    assert client.api("show channels") == "\n0 total.\n"
    status = client.api("status")
    assert (
        status.startswith("UP 0 years, 0 days, ")
        and "FreeSWITCH (Version 1.10.12-release  64bit) is ready" in status
    )
    assert client.api("global_getvar domain") == "127.0.0.1"


def test_bgapi_background_job_plain_with_client_job_uuid(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert (
        client.command("event plain BACKGROUND_JOB").get("Reply-Text")
        == "+OK event listener enabled plain"
    )
    client.send("bgapi status\nJob-UUID: 11111111-2222-3333-4444-555555555555\n\n")
    reply = client.read_frame()
    assert reply is not None
    assert reply.raw == (
        b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: 11111111-2222-3333-4444-555555555555\n"
        b"Job-UUID: 11111111-2222-3333-4444-555555555555"
    )
    event = client.next_event()
    names = event.event_names
    assert names[:2] == ["Event-Name", "Core-UUID"]
    assert names[-3:] == ["Job-UUID", "Job-Command", "Content-Length"]
    body = event.body.split("\n\n", 1)[1]
    assert body.startswith("UP ") and event.event["Job-Command"] == "status"


def test_bgapi_json_and_xml(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert (
        client.command("event json BACKGROUND_JOB").get("Reply-Text")
        == "+OK event listener enabled json"
    )
    client.command("bgapi version")
    frame = client.next_event()
    assert frame.content_type == "text/event-json"
    data = json.loads(frame.body)
    assert data["_body"] == "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"
    client.command("noevents")
    assert (
        client.command("event xml BACKGROUND_JOB").get("Reply-Text")
        == "+OK event listener enabled xml"
    )
    client.command("bgapi version")
    frame = client.next_event()
    assert frame.content_type == "text/event-xml"
    assert frame.body.startswith(
        "<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>"
    )
    assert "<body>FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n  </body>" in frame.body


def test_filters_nixevent_noevents(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert client.command("filter Event-Name BACKGROUND_JOB").get("Reply-Text") == (
        "+OK filter added. [Event-Name]=[BACKGROUND_JOB]"
    )
    assert client.command("event plain all").get("Reply-Text") == "+OK event listener enabled plain"
    client.command("bgapi version")
    assert client.next_event().event["Event-Name"] == "BACKGROUND_JOB"
    assert client.command("filter delete Event-Name BACKGROUND_JOB").get("Reply-Text") == (
        "+OK filter deleted. [Event-Name][BACKGROUND_JOB]"
    )
    assert client.command("nixevent CHANNEL_CREATE").get("Reply-Text") == "+OK events nixed"
    assert client.command("noevents").get("Reply-Text") == "+OK no longer listening for events"
    assert client.command("filter Unique-ID").get("Reply-Text") == "-ERR invalid syntax"


def test_sendevent_custom_reaches_subscribers(sim: Simulator) -> None:
    listener = EslTestClient.connect(sim.esl_address)
    listener.command("event plain CUSTOM test::probe")
    sender = EslTestClient.connect(sim.esl_address)
    reply = sender.command("sendevent CUSTOM\nEvent-Subclass: test::probe\nX-Foo: bar")
    assert reply.get(
        "Reply-Text",
    ).startswith("+OK ")
    event = listener.next_event().event
    assert event["Event-Subclass"] == "test::probe" and event["X-Foo"] == "bar"


def test_sendmsg_to_unknown_or_missing_uuid(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert (
        client.command("sendmsg 11111111-0000-0000-0000-000000000000\ncall-command: hangup").get(
            "Reply-Text"
        )
        == "-ERR invalid session id [11111111-0000-0000-0000-000000000000]"
    )
    assert client.command("sendmsg\ncall-command: hangup").get("Reply-Text") == (
        "-ERR invalid session id []"
    )


def test_exit_says_bye_then_notice(sim: Simulator) -> None:
    client = EslTestClient.connect(sim.esl_address)
    assert client.command("exit").get("Reply-Text") == "+OK bye"
    notice = client.read_frame()
    assert notice is not None and notice.body == GOODBYE
    assert client.read_frame() is None


def test_garbage_and_bad_lengths_drop_only_that_connection(sim: Simulator) -> None:
    healthy = EslTestClient.connect(sim.esl_address)
    bad = FrameSocket(socket.create_connection(sim.esl_address))
    bad.read_frame()
    bad.send("auth ClueCon\n\n")
    bad.read_frame()
    bad.send("api status\nno colon\nContent-Length: -3\n\n")
    reply = bad.read_frame()
    assert reply is not None and reply.content_type == "api/response"
    bad.send("sendevent CUSTOM\nContent-Length: 99999999999\n\n")
    assert bad.read_frame() is None
    half = socket.create_connection(sim.esl_address)
    half.sendall(b"\x00\xff garbage without end")
    half.close()
    noise = socket.create_connection(sim.esl_address)
    noise.sendall(b"\x00\x01\x02\n\n")
    noise.close()
    gevent.sleep(0.05)
    assert healthy.api("global_getvar domain") == "127.0.0.1"


def test_myevents_with_uuid_on_inbound(sim: Simulator) -> None:
    call = sim.call("3003")
    gevent.sleep(0.05)
    client = EslTestClient.connect(sim.esl_address)
    assert client.command(f"myevents {call.uuid}").get("Reply-Text") == "+OK Events Enabled"
    call.press("5")
    call.hangup()
    seen = client.wait_event(lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE")
    assert seen["Unique-ID"] == call.uuid
    assert client.command("myevents nosuch-uuid plain").get("Reply-Text") == "-ERR aready enabled."
