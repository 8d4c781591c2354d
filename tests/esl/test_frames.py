"""The frame parser and event parsing against every recorded FreeSWITCH sample and stream."""

from __future__ import annotations

import random
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from fs_conf.esl import Event, FrameParser, ProtocolError, encode_command, event_from_frame
from fs_conf.esl.events import EVENT_CONTENT_TYPES, parse_plain, plain_event_name, plain_header
from fs_conf.esl.frames import parse_header_block, url_decode

from .peer import RECORDINGS, event_plain, split_frames

ALL_SAMPLES = sorted(RECORDINGS.glob("**/samples/*.raw"))
TOP_SAMPLES = sorted((RECORDINGS / "samples").glob("*.raw"))


def parse_all(data: bytes) -> list:
    parser = FrameParser()
    frames = parser.feed(data)
    assert not parser.mid_frame
    return frames


def parse_bytewise(data: bytes) -> list:
    parser = FrameParser()
    frames = []
    for i in range(len(data)):
        frames.extend(parser.feed(data[i : i + 1]))
    assert not parser.mid_frame
    return frames


def check_sample(path: Path, frames: list) -> None:
    assert len(frames) == 1, path.name
    frame = frames[0]
    if frame.content_type in EVENT_CONTENT_TYPES:
        event = event_from_frame(frame)
        assert event.name
        kind = path.stem.split("__", 1)[1]
        if kind.startswith("text_event-plain_"):
            assert kind.removeprefix("text_event-plain_").startswith(event.name)


def test_recordings_are_present() -> None:
    assert len(ALL_SAMPLES) > 400 and len(TOP_SAMPLES) > 60


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: str(p.relative_to(RECORDINGS)))
def test_every_recorded_sample_parses_whole(path: Path) -> None:
    check_sample(path, parse_all(path.read_bytes()))


@pytest.mark.parametrize("path", TOP_SAMPLES, ids=lambda p: p.name)
def test_every_recorded_sample_parses_fed_byte_by_byte(path: Path) -> None:
    data = path.read_bytes()
    assert parse_bytewise(data) == parse_all(data)


def freeswitch_side_streams() -> list[Path]:
    """The bytes FreeSWITCH sent: c2s of outbound taps, s2c of inbound ones."""
    streams = []
    for index in sorted(RECORDINGS.glob("**/*.index.txt")):
        name = index.name.removesuffix(".index.txt")
        outbound = name.startswith("outbound-")
        if name.endswith(".c2s" if outbound else ".s2c"):
            streams.append(index.with_name(name + ".bin"))
    return streams


@pytest.mark.parametrize(
    "path", freeswitch_side_streams(), ids=lambda p: str(p.relative_to(RECORDINGS))
)
def test_whole_recorded_streams_parse_into_the_indexed_messages(path: Path) -> None:
    frames = parse_all(path.read_bytes())
    index = path.with_suffix(".index.txt").read_text().splitlines()
    assert len(frames) == len(index)
    for frame, line in zip(frames, index, strict=True):
        assert line.split()[2].startswith(frame.content_type)
        if frame.content_type in EVENT_CONTENT_TYPES:
            assert event_from_frame(frame).name


def test_stream_split_in_odd_chunks_gives_the_same_frames() -> None:
    data = (RECORDINGS / "scenario1/outbound-0001.c2s.bin").read_bytes()
    parser = FrameParser()
    frames = []
    for start in range(0, len(data), 997):
        frames.extend(parser.feed(data[start : start + 997]))
    assert frames == parse_all(data)


def test_encoded_newline_does_not_create_fake_headers() -> None:
    raw = event_plain({"Event-Name": "CUSTOM", "variable_x": "a\nb: c"})
    assert b"a%0Ab%3A%20c" in raw
    event = event_from_frame(parse_all(raw)[0])
    assert event["variable_x"] == "a\nb: c"
    assert "b" not in event.headers
    assert list(event.headers) == ["Event-Name", "variable_x"]


def test_event_own_body_is_not_glued_to_its_headers_background_job() -> None:
    stream = (RECORDINGS / "protocol_misc/api-0003.s2c.bin").read_bytes()
    jobs = [
        event_from_frame(f)
        for f in parse_all(stream)
        if f.content_type in EVENT_CONTENT_TYPES and b"BACKGROUND_JOB" in f.body
    ]
    plain = [j for j in jobs if j.get("Job-Command") == "status"]
    assert plain, "recording has a BACKGROUND_JOB for status"
    job = plain[0]
    assert job.body.startswith("UP 0 years")
    assert job.body.endswith("8192K\n")
    assert job["Content-Length"] == str(len(job.body.encode()))
    assert all("UP 0 years" not in value for value in job.headers.values())


def test_background_job_body_in_xml_and_url_decoded_headers() -> None:
    stream = (RECORDINGS / "protocol_misc/api-0003.s2c.bin").read_bytes()
    xml = [f for f in parse_all(stream) if f.content_type == "text/event-xml"]
    event = event_from_frame(xml[0])
    assert event.name == "BACKGROUND_JOB"
    assert event["FreeSWITCH-IPv6"] == "fd00::2"
    assert event.body == "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"


def test_json_event_parsed_with_subclass_as_key() -> None:
    frame = parse_all((RECORDINGS / "samples/json-events-0001__text_event-json.raw").read_bytes())[
        0
    ]
    event = event_from_frame(frame)
    assert event.name == "CUSTOM"
    assert event.key == "conference::maintenance"
    assert event["Action"] == "conference-create"
    assert event["FreeSWITCH-IPv6"] == "fd00::2"


def test_json_event_body_and_array_headers() -> None:
    body = b'{"Event-Name":"BACKGROUND_JOB","Job-UUID":"j","multi":["a","b"],"_body":"+OK done\\n"}'
    frame = b"Content-Length: %d\nContent-Type: text/event-json\n\n%s" % (len(body), body)
    event = event_from_frame(parse_all(frame)[0])
    assert event.body == "+OK done\n"
    assert event["multi"] == "ARRAY::a|:b"
    assert "_body" not in event


def test_plain_event_body_shorter_than_its_content_length_is_an_error() -> None:
    with pytest.raises(ProtocolError, match="3 of 10 bytes"):
        parse_plain(b"Event-Name: BACKGROUND_JOB\nContent-Length: 10\n\nabc")


def test_connect_reply_channel_data_is_url_decoded() -> None:
    raw = (RECORDINGS / "samples/outbound-0001__command_reply_CHANNEL_DATA.raw").read_bytes()
    frame = parse_all(raw)[0]
    assert frame.content_type == "command/reply"
    assert frame.reply_text == "+OK"
    assert frame.headers["variable_current_application_data"] == "127.0.0.1:8084 async full"
    assert frame.headers["Caller-Callee-ID-Name"] == "Outbound Call"


def test_ordinary_command_reply_is_taken_literally() -> None:
    frame = parse_all(b"Content-Type: command/reply\nReply-Text: -ERR 100%25 [x]\n\n")[0]
    assert frame.reply_text == "-ERR 100%25 [x]"


def test_disconnect_notice_body_is_read_and_next_frame_follows() -> None:
    data = (
        RECORDINGS / "samples/api-0001__text_disconnect-notice.raw"
    ).read_bytes() + b"Content-Type: command/reply\nReply-Text: +OK\n\n"
    notice, after = parse_all(data)
    assert notice.content_type == "text/disconnect-notice"
    assert notice.body.startswith(b"Disconnected, goodbye.")
    assert after.reply_text == "+OK"


def test_api_response_without_trailing_newline() -> None:
    (frame,) = parse_all(b"Content-Type: api/response\nContent-Length: 1\n\n7")
    assert frame.text == "7"


def test_mid_frame_is_reported_until_the_body_is_complete() -> None:
    parser = FrameParser()
    assert parser.feed(b"Content-Type: api/response\nContent-Length: 5\n\nab") == []
    assert parser.mid_frame
    assert "2 of 5 bytes" in parser.describe_pending()
    assert parser.feed(b"cde")[0].body == b"abcde"
    assert not parser.mid_frame


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"Content-Type: api/response\nContent-Length: abc\n\n", "Content-Length 'abc'"),
        (b"Content-Type: api/response\nContent-Length: -1\n\n", "Content-Length '-1'"),
        (b"this is not a header\n\n", "not 'Name: value'"),
    ],
)
def test_protocol_errors_name_the_problem(data: bytes, problem: str) -> None:
    with pytest.raises(ProtocolError, match=re.escape(problem)):
        FrameParser().feed(data)


def test_limits_on_header_block_and_body() -> None:
    with pytest.raises(ProtocolError, match="header block longer than 64"):
        FrameParser(max_header_bytes=64).feed(b"X-Long: " + b"a" * 100)
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        FrameParser(max_body_bytes=10).feed(b"Content-Length: 11\n\n")


def test_encode_command_with_headers_and_body() -> None:
    data = encode_command("sendmsg", {"call-command": "execute"}, "body")
    assert data == b"sendmsg\ncall-command: execute\nContent-Length: 4\n\nbody"
    assert encode_command("api status") == b"api status\n\n"


@pytest.mark.parametrize(
    ("command", "headers"),
    [("api status\nexit", None), ("", None), ("sendmsg", {"x": "a\nb: c"})],
)
def test_encode_command_refuses_line_breaks(command: str, headers: dict | None) -> None:
    with pytest.raises(ValueError, match="ESL"):
        encode_command(command, headers)


def test_event_access() -> None:
    event = Event({"Event-Name": "DTMF", "DTMF-Digit": "5"})
    assert event.key == "DTMF" and event["DTMF-Digit"] == "5" and "DTMF-Digit" in event
    assert event.get("missing") is None and event.subclass is None


def test_recorded_outbound_stream_splits_the_same_in_the_test_peer() -> None:
    data = (RECORDINGS / "scenario1/outbound-0001.c2s.bin").read_bytes()
    assert [f.body for f in parse_all(data)] == [
        raw.split(b"\n\n", 1)[1] for raw in split_frames(data)
    ]


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: str(p.relative_to(RECORDINGS)))
def test_plain_event_name_without_parsing_agrees_with_the_parser(path: Path) -> None:
    for frame in FrameParser().feed(path.read_bytes()):
        if frame.content_type in EVENT_CONTENT_TYPES:
            peeked = plain_event_name(frame)
            if frame.content_type != "text/event-plain":
                assert peeked is None
                continue
            # None (parse it to know) where the name is not first, as in CUSTOM events.
            assert peeked in (None, event_from_frame(frame).name)
            if path.name.startswith(("outbound-", "chan-events-")):
                assert peeked == event_from_frame(frame).name


def reference_headers(block: bytes, decode: bool) -> dict[str, str]:
    """The header rules of docs/esl.md spelled out line by line (what the parser did before
    its fast path): split at newlines, then at the first ':', one space dropped, then
    url-decoding; a repeated name keeps its first value."""
    headers: dict[str, str] = {}
    for line in block.decode("utf-8", errors="replace").split("\n"):
        line = line.rstrip("\r")
        if line:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            headers.setdefault(name.strip(), unquote(value) if decode else value)
    return headers


EVENT_LINES = "".join(f"Filler-{n}: v%20{n}\n" for n in range(10))
ODD_BLOCKS = [
    EVENT_LINES + "variable_x: a%0Ab%3A%20c\nAfter: 1",  # a value decoding to a newline
    EVENT_LINES + "Dup: first\nOther: x\nDup: second",
    EVENT_LINES.replace("\n", "\r\n") + "Last: y\r\r",
    EVENT_LINES + " Spaced-Name : v\nTab-Name\t: w",
    EVENT_LINES + "No-Space:v\nTwo-Spaces:  v\nEmpty: \nEmpty-Bare:",
    EVENT_LINES + "A:b: c\nReply-Text: +OK Job-UUID: 7f4d",
    EVENT_LINES + "\nAfter-Empty-Line: z\n",
    EVENT_LINES + "Percent: 100%\nBad-Escape: %zz%4\nUtf8: %C3%A9%E2%82\nRaw: caf\u00e9 %41",
    EVENT_LINES + "Back\\slash: a\\x41\\%41\\\\",
    "Content-Length: 12\nContent-Type: text/event-plain",
]


@pytest.mark.parametrize("decode", [True, False])
@pytest.mark.parametrize("block", ODD_BLOCKS)
def test_header_block_reads_as_the_rules_say(block: str, decode: bool) -> None:
    data = block.encode("utf-8")
    headers = parse_header_block(data, decode=decode)
    assert headers == reference_headers(data, decode)
    assert list(headers) == list(reference_headers(data, decode))


@pytest.mark.parametrize("path", [p for p in ALL_SAMPLES if "event-plain" in p.name], ids=str)
def test_recorded_events_read_as_the_rules_say(path: Path) -> None:
    body = parse_all(path.read_bytes())[0].body
    block = body.split(b"\n\n", 1)[0]
    for decode in (True, False):
        assert list(parse_header_block(block, decode=decode).items()) == list(
            reference_headers(block, decode).items()
        )


def test_url_decode_agrees_with_urllib() -> None:
    alphabet = ["%", "4", "1", "c", "C", "3", "a", "A", "9", "z", "\\", "x", "\u00e9", " ", "\n"]
    rng = random.Random(15)
    texts = ["", "%", "%4", "%41", "%c3%a9", "%C3", "%C3\n%A9", "100%", "\\x41", "a\\%41"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(3000)]
    for text in texts:
        assert url_decode(text) == unquote(text, errors="replace"), repr(text)


def test_a_line_without_a_colon_is_refused_in_a_long_block() -> None:
    with pytest.raises(ProtocolError, match="not 'Name: value'"):
        parse_header_block((EVENT_LINES + "no colon here").encode(), decode=True)
    with pytest.raises(ProtocolError, match="not 'Name: value'"):
        parse_header_block((EVENT_LINES + " : empty name").encode(), decode=True)


@pytest.mark.parametrize("path", [p for p in ALL_SAMPLES if "event-plain" in p.name], ids=str)
def test_plain_header_without_parsing_agrees_with_the_parser(path: Path) -> None:
    frame = parse_all(path.read_bytes())[0]
    headers = event_from_frame(frame).headers
    for name, value in headers.items():
        assert plain_header(frame, name) == value, name
    assert plain_header(frame, "No-Such-Header") is None


def test_plain_header_reads_only_the_events_own_headers() -> None:
    raw = event_plain({"Event-Name": "BACKGROUND_JOB", "Job-UUID": "j 1"}, body="Job-UUID: x\n")
    frame = parse_all(raw)[0]
    assert plain_header(frame, "Job-UUID") == "j 1"
    assert plain_header(frame, "Event-Name") == "BACKGROUND_JOB"
    assert plain_header(frame, "Content-Length") == "12"
    raw = event_plain({"Event-Name": "BACKGROUND_JOB"}, body="Job-UUID: x\n")
    assert plain_header(parse_all(raw)[0], "Job-UUID") is None
