"""Robustness: a FreeSWITCH that stops answering ends the call politely, and one call's
failure never touches another call."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from fs_conf.model import RoomState
from tests.esl.peer import Peer, command_headers, event_plain, reply

from .conftest import GUEST_PIN, Bridge, BridgeFactory, wait_until

GOODBYE = "conference/conf-goodbye.wav"


def channel_data(call_uuid: str) -> bytes:
    """The `connect` reply: the channel data as url-encoded headers (mod_event_socket.c)."""
    headers = {
        "Event-Name": "CHANNEL_DATA",
        "Unique-ID": call_uuid,
        "Caller-Caller-ID-Number": "1001",
        "Caller-Caller-ID-Name": "Robot",
        "Caller-Destination-Number": "3400",
    }
    lines = "".join(f"{k}: {quote(v, safe='')}\n" for k, v in headers.items())
    return (lines + "Content-Type: command/reply\nReply-Text: +OK\n\n").encode()


def complete(call_uuid: str, command: bytes) -> bytes:
    headers = command_headers(command)
    return event_plain(
        {
            "Event-Name": "CHANNEL_EXECUTE_COMPLETE",
            "Unique-ID": call_uuid,
            "Application": headers["execute-app-name"],
            "Application-Response": "_none_",
            "Application-UUID": headers["Event-UUID"],
        }
    )


def answered_call(bridge: Bridge) -> tuple[Peer, str]:
    """Play FreeSWITCH's side of a call up to the answer; returns the peer and call uuid."""
    call_uuid = str(uuid.uuid4())
    peer = Peer.connect(bridge.ivr.address[1])
    assert peer.read_command() == b"connect\n\n"
    peer.send(channel_data(call_uuid))
    assert peer.read_command() == b"myevents\n\n"
    peer.send(reply("+OK Events Enabled"))
    assert peer.read_command().startswith(b"linger")
    peer.send(reply("+OK will linger"))
    answer = peer.read_command()
    assert command_headers(answer)["execute-app-name"] == "answer"
    peer.send(reply("+OK"))
    peer.send(complete(call_uuid, answer))
    return peer, call_uuid


def next_app(peer: Peer) -> dict[str, str]:
    command = peer.read_command(timeout=5)
    assert command is not None and command.startswith(b"sendmsg"), command
    return command_headers(command)


def test_a_command_without_reply_ends_the_call(bridge_factory: BridgeFactory) -> None:
    bridge = bridge_factory(ivr={"command_timeout_seconds": 1})
    peer, _ = answered_call(bridge)
    welcome = next_app(peer)
    assert welcome["execute-app-arg"] == "conference/conf-welcome.wav"
    goodbye = next_app(peer)
    assert (goodbye["execute-app-name"], goodbye["execute-app-arg"]) == ("playback", GOODBYE)
    assert peer.wait_closed(timeout=5)
    wait_until(lambda: bridge.ivr.active_calls == 0)


def test_an_application_that_never_completes_ends_the_call_politely(
    bridge_factory: BridgeFactory,
) -> None:
    bridge = bridge_factory(ivr={"command_timeout_seconds": 1})
    peer, _ = answered_call(bridge)
    welcome = next_app(peer)
    assert welcome["execute-app-arg"] == "conference/conf-welcome.wav"
    peer.send(reply("+OK"))
    goodbye = next_app(peer)
    assert (goodbye["execute-app-name"], goodbye["execute-app-arg"]) == ("playback", GOODBYE)
    peer.send(reply("+OK"))
    assert next_app(peer)["call-command"] == "hangup"
    peer.send(reply("+OK"))
    assert peer.read_command(timeout=5) == b"exit\n\n"
    peer.send(reply("+OK bye"))
    assert peer.wait_closed(timeout=5)
    wait_until(lambda: bridge.ivr.active_calls == 0)


class FailingRooms:
    """The room controller, except that asking about one room raises."""

    def __init__(self, real: object, broken: str) -> None:
        self.real = real
        self.broken = broken

    def state(self, room: str) -> RoomState:
        if room == self.broken:
            raise RuntimeError("simulated bug")
        return self.real.state(room)  # type: ignore[attr-defined]


def test_one_calls_exception_does_not_touch_another_call(
    bridge: Bridge, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    good = bridge.conference()
    bad = bridge.conference(guest_pin="33333333", moderator_pin="4444444444")
    rooms = FailingRooms(bridge.ivr.rooms, f"fs_conf-{bad.id}")
    monkeypatch.setattr(bridge.ivr.services, "rooms", rooms)
    inside = bridge.enter(GUEST_PIN, caller_id="1001")
    bridge.member(inside)
    failing = bridge.enter("33333333", caller_id="1002")
    failing.wait_hangup()
    later = bridge.enter(GUEST_PIN, caller_id="1003")
    assert bridge.member(later).room.name == f"fs_conf-{good.id}"
    assert inside.alive and inside.member is not None
    assert any("simulated bug" in r.getMessage() or r.exc_info for r in caplog.records)
