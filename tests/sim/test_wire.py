"""The server-side codec: url encoding, frame reading limits, event serialisation."""

from __future__ import annotations

import json

import pytest
from gevent import socket

from fs_conf.sim import wire


def test_url_encode_matches_recorded_values() -> None:
    assert wire.url_encode("2026-11-22 12:32:28") == "2026-11-22%2012%3A32%3A28"
    assert wire.url_encode("Sun, 22 Nov 2026") == "Sun,%2022%20Nov%202026"
    assert wire.url_encode("fd00::2") == "fd00%3A%3A2"
    assert wire.url_encode("loopback/9999/default &park()") == "loopback/9999/default%20%26park()"
    assert wire.url_encode("+OK\n") == "%2BOK%0A"
    assert wire.url_encode("[0-9]+ #") == "%5B0-9%5D%2B%20%23"


def test_url_encode_leaves_an_escape_alone_as_switch_url_encode_does() -> None:
    # double_encode is SWITCH_FALSE: `%` with two upper-case hex digits is kept as it is, so a
    # caller ID typed with `%0A` reaches the Event Socket client as a line break.
    assert wire.url_encode("Eve%0AINFO x") == "Eve%0AINFO%20x"
    assert wire.url_encode("50%2B") == "50%2B"
    assert wire.url_encode("%0a %4 %G1 100%") == "%250a%20%254%20%25G1%20100%25"
    assert wire.url_encode("Eve\r\nINFO\x1b") == "Eve%0D%0AINFO%1B"


def test_url_decode_round_trip_and_stray_percent() -> None:
    text = "a b:c\nd%e+f"
    assert wire.url_decode(wire.url_encode(text)) == text
    assert wire.url_decode("100%") == "100%"


def _pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair()


def test_reader_parses_command_headers_and_body() -> None:
    left, right = _pair()
    left.sendall(
        b"sendevent CUSTOM\nEvent-Subclass: a::b\nContent-Length: 5\n\nhello\n\napi status\n\n"
    )
    reader = wire.FrameReader(right)
    first = reader.read_frame()
    assert first is not None
    assert first.command == "sendevent CUSTOM"
    assert first.header("event-subclass") == "a::b"
    assert first.body == "hello"
    second = reader.read_frame()
    assert second is not None and second.command == "api status"


def test_reader_ignores_header_without_colon_and_bad_length() -> None:
    left, right = _pair()
    left.sendall(b"sendmsg\nno colon here\nContent-Length: -5\n\napi x\nContent-Length: abc\n\n")
    reader = wire.FrameReader(right)
    frame = reader.read_frame()
    assert frame is not None and frame.headers == [("Content-Length", "-5")] and frame.body == ""
    frame = reader.read_frame()
    assert frame is not None and frame.command == "api x" and frame.body == ""


def test_reader_rejects_huge_content_length() -> None:
    left, right = _pair()
    left.sendall(b"sendevent X\nContent-Length: 999999999999\n\n")
    with pytest.raises(wire.ProtocolError, match="Content-Length"):
        wire.FrameReader(right).read_frame()


def test_reader_rejects_endless_header_block() -> None:
    left, right = _pair()
    left.sendall(b"x" * (wire.MAX_HEADER_BYTES + 10))
    with pytest.raises(wire.ProtocolError, match="header block"):
        wire.FrameReader(right).read_frame()


def test_reader_returns_none_when_peer_closes_mid_body() -> None:
    left, right = _pair()
    left.sendall(b"sendevent X\nContent-Length: 10\n\nabc")
    left.close()
    assert wire.FrameReader(right).read_frame() is None


def test_plain_event_with_body_has_its_own_length() -> None:
    text = wire.serialize_plain(
        [("Event-Name", "BACKGROUND_JOB"), ("Job-Command", "status")], "UP 1\n"
    )
    assert text == "Event-Name: BACKGROUND_JOB\nJob-Command: status\nContent-Length: 5\n\nUP 1\n"


def test_json_event_keeps_order_duplicates_and_plain_values() -> None:
    text = wire.serialize_json([("A", "x y"), ("B", "1"), ("A", "again")], "body")
    assert text == '{"A":"x y","B":"1","A":"again","_body":"body"}'
    assert json.loads(text)["_body"] == "body"


def test_xml_event_layout() -> None:
    text = wire.serialize_xml([("Event-Name", "BACKGROUND_JOB"), ("X", "a:b")], "out\n")
    assert text == (
        "<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>\n"
        "    <X>a%3Ab</X>\n  </headers>\n  <Content-Length>4</Content-Length>\n"
        "  <body>out\n  </body>\n</event>\n"
    )


def test_frames_and_notices() -> None:
    assert wire.command_reply("+OK", [("Job-UUID", "j")]) == (
        b"Content-Type: command/reply\nReply-Text: +OK\nJob-UUID: j\n\n"
    )
    assert (
        wire.api_response("-ERR x\n")
        == b"Content-Type: api/response\nContent-Length: 7\n\n-ERR x\n"
    )
    assert wire.inbound_disconnect_notice().endswith(
        b"Content-Length: 67\n\n" + wire.GOODBYE.encode()
    )
    assert wire.linger_notice("u", "loopback/3000-b", -1) == (
        b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: u\n"
        b"Content-Disposition: linger\nChannel-Name: loopback/3000-b\nLinger-Time: -1\n"
        b"Content-Length: 0\n\n"
    )
    frame = wire.event_frame("plain", [("Event-Name", "X")], None)
    assert frame == b"Content-Length: 15\nContent-Type: text/event-plain\n\nEvent-Name: X\n\n"
