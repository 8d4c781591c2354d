"""The Event Socket frame and event parsers fed hostile bytes: frames or ProtocolError only.

100,000 cases in all, shared by the tests below (their `max_examples` add up): arbitrary
bytes, valid frames split anywhere, hostile outer headers, hostile event bodies and mutated
recordings of FreeSWITCH. Every feed either returns frames or raises ProtocolError, never
holds more than the parser's bounds, and finishes (an alarm fails an example that hangs).
"""

from __future__ import annotations

import json
import random
import signal
import string
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fs_conf.esl import Frame, FrameParser, ProtocolError, event_from_frame
from fs_conf.esl.events import EVENT_CONTENT_TYPES
from tests.esl.peer import RECORDINGS, event_plain

MAX_HEADER = 2048
MAX_BODY = 4096
EXAMPLES = 20_000
"""Per test; the five tests add up to 100,000 cases."""
HANG_SECONDS = 10
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Hang(Exception):
    """A feed ran longer than HANG_SECONDS."""


@contextmanager
def hang_alarm() -> Iterator[None]:
    def ring(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"the parser ran longer than {HANG_SECONDS}s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def feed_all(pieces: list[bytes]) -> list[Frame] | ProtocolError:
    """Feed `pieces` in order; the frames, or the ProtocolError that ended the stream."""
    parser = FrameParser(max_header_bytes=MAX_HEADER, max_body_bytes=MAX_BODY)
    frames: list[Frame] = []
    with hang_alarm():
        for piece in pieces:
            try:
                frames += parser.feed(piece)
            except ProtocolError as error:
                return error
            assert parser.buffered_bytes <= max(MAX_HEADER, MAX_BODY)
        for frame in frames:
            # Names and values are never longer than the header block they came from.
            assert (
                sum(len(name) + len(value) for name, value in frame.headers.items()) <= MAX_HEADER
            )
            assert len(frame.body) <= MAX_BODY
            if frame.content_type in EVENT_CONTENT_TYPES:
                try:
                    event_from_frame(frame)
                except ProtocolError:
                    pass
    return frames


def split(data: bytes, seed: int) -> list[bytes]:
    """`data` in pieces chosen by `seed`: one byte at a time, or cut at up to 8 places.

    A seed (one choice for hypothesis) rather than a list of cuts: drawing is most of the
    time an example takes, and 100,000 examples must stay affordable."""
    chooser = random.Random(seed)
    if chooser.random() < 0.1:
        return [data[index : index + 1] for index in range(len(data))]
    points = sorted(chooser.randint(0, len(data)) for _ in range(chooser.randint(0, 8)))
    edges = [0, *points, len(data)]
    return [data[start:end] for start, end in zip(edges, edges[1:], strict=False)]


SEEDS = st.integers(0, 2**32)


# -- frames as FreeSWITCH writes them ---------------------------------------------------------

HEADER_NAMES = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=16).map(
    lambda name: f"X-{name}"
)
VALUE_CHARACTERS = string.ascii_letters + string.digits + string.punctuation + " \t\x00é€😀"
PLAIN_VALUES = st.text(VALUE_CHARACTERS, max_size=20).map(str.strip)


def frame_bytes(headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = "".join(f"{name}: {value}\n" for name, value in headers.items())
    if body:
        lines += f"Content-Length: {len(body)}\n"
    return lines.encode() + b"\n" + body


@st.composite
def valid_frames(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["reply", "api", "plain", "json", "xml", "notice"]))
    if kind == "reply":
        return frame_bytes({"Content-Type": "command/reply", "Reply-Text": draw(PLAIN_VALUES)})
    if kind == "api":
        return frame_bytes({"Content-Type": "api/response"}, draw(st.binary(max_size=300)))
    if kind == "notice":
        return frame_bytes({"Content-Type": "text/disconnect-notice"}, b"Disconnected.\n")
    headers = {"Event-Name": draw(HEADER_NAMES)} | draw(
        st.dictionaries(HEADER_NAMES, PLAIN_VALUES, max_size=3)
    )
    if kind == "plain":
        return event_plain(headers, draw(PLAIN_VALUES))
    if kind == "json":
        body = json.dumps(headers).encode()
        return frame_bytes({"Content-Type": "text/event-json"}, body)
    items = "".join(f"<{name}>{quote(value)}</{name}>" for name, value in headers.items())
    body = f"<event><headers>{items}</headers></event>".encode()
    return frame_bytes({"Content-Type": "text/event-xml"}, body)


# -- hostile parts ----------------------------------------------------------------------------

HOSTILE_LENGTHS = st.one_of(
    st.sampled_from(
        [
            "67108864",
            "99999999999999999999",
            "9" * 5000,
            "-1",
            "-0",
            "+5",
            "0x10",
            "1e3",
            " 5",
            "5 ",
            "",
            "²",
            "٣",
            "4\x00",
            "%35",
            "5%0A",
            str(MAX_BODY),
            str(MAX_BODY + 1),
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=12),
)
HOSTILE_VALUES = st.one_of(
    st.sampled_from(
        [
            "a%0AEvil: header",
            "%0A%0A",
            "x\x00y",
            "%00",
            "%0D%0AContent-Length: 5",
            "%",
            "%zz",
            "%E2%28%A1",
            "a" * (MAX_HEADER + 1),
        ]
    ),
    st.text(max_size=40),
)
HOSTILE_NAMES = st.one_of(HEADER_NAMES, st.sampled_from(["", " ", "Content-Length", "\x00"]))


@st.composite
def hostile_frames(draw: st.DrawFn) -> bytes:
    content_type = draw(
        st.sampled_from([*EVENT_CONTENT_TYPES, "command/reply", "api/response", "x/y", ""])
    )
    lines = [f"Content-Type: {content_type}"]
    for _ in range(draw(st.integers(0, 3))):
        lines.append(f"{draw(HOSTILE_NAMES)}: {draw(HOSTILE_VALUES)}")
    if draw(st.booleans()):
        lines.append("Event-Name: CHANNEL_DATA")
    # Anywhere in the block, as FreeSWITCH's own order is no promise.
    lines.insert(draw(st.integers(0, len(lines))), f"Content-Length: {draw(HOSTILE_LENGTHS)}")
    head = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    return head + b"\n\n" + draw(st.binary(max_size=200))


def nested_json(depth: int) -> bytes:
    return b'{"Event-Name":' + b"[" * depth + b"]" * depth + b"}"


EVENT_BODIES = st.one_of(
    st.binary(max_size=400),
    st.integers(1, 2000).map(nested_json),
    st.sampled_from(
        [
            b'<?xml version="1.0" encoding="big5"?><event><headers/></event>',
            b'<?xml version="1.0" encoding="nonsense"?><event/>',
            b"<event><headers><A>%0A</A></headers><Content-Length>\xc2\xb2</Content-Length></event>",
            b"<event><headers/><Content-Length>-3</Content-Length><body>x</body></event>",
            b'<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><event><headers><A>&c;</A></headers></event>',
            b"Event-Name: X\nContent-Length: \xc2\xb2\n\nabc",
            b"Event-Name: X\nContent-Length: 99999\n\nabc",
            b"Event-Name: X\nX: %0AEvil: 1\n\n",
            b'{"Event-Name": 1e999, "_body": {"a": [1, 2]}}',
            b'{"_body": "' + b"1" * 5000 + b'"}',
            b"[1, 2, 3]",
        ]
    ),
)


@st.composite
def hostile_events(draw: st.DrawFn) -> bytes:
    content_type = draw(st.sampled_from(EVENT_CONTENT_TYPES))
    return frame_bytes({"Content-Type": content_type}, draw(EVENT_BODIES))


RECORDED = [
    path.read_bytes()
    for path in sorted(RECORDINGS.glob("scenario1/*.bin")) + sorted(RECORDINGS.glob("samples/*"))
]


@st.composite
def mutated_recordings(draw: st.DrawFn) -> bytes:
    """A stretch of a recorded stream (from its start, or from anywhere) with up to six
    bytes flipped, separators inserted or runs deleted, all chosen by one seed."""
    recording = draw(st.sampled_from(RECORDED))
    chooser = random.Random(draw(SEEDS))
    start = 0 if chooser.random() < 0.5 else chooser.randint(0, len(recording))
    data = bytearray(recording[start : start + 6000])
    for _ in range(chooser.randint(0, 6)):
        spot = chooser.randint(0, len(data))
        action = chooser.choice(["flip", "insert", "delete"])
        if action == "flip" and spot < len(data):
            data[spot] = chooser.randint(0, 255)
        elif action == "insert":
            data[spot:spot] = chooser.choice([b"\n", b"\n\n", b":", b"%0A", b"\x00", b"9"])
        else:
            del data[spot : spot + chooser.randint(1, 40)]
    return bytes(data)


# -- the properties ---------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=3000), SEEDS)
def test_arbitrary_bytes_in_arbitrary_splits_give_frames_or_a_protocol_error(
    data: bytes, seed: int
) -> None:
    feed_all(split(data, seed))


@FUZZ
@given(st.lists(valid_frames(), min_size=1, max_size=4).map(b"".join), SEEDS)
def test_valid_frames_split_anywhere_come_back_whole(stream: bytes, seed: int) -> None:
    whole = feed_all([stream])
    assert not isinstance(whole, ProtocolError)
    assert feed_all(split(stream, seed)) == whole
    for frame in whole:
        if frame.content_type in EVENT_CONTENT_TYPES:
            assert event_from_frame(frame).name


@FUZZ
@given(st.lists(hostile_frames(), min_size=1, max_size=3).map(b"".join), SEEDS)
def test_hostile_outer_headers_give_frames_or_a_protocol_error(stream: bytes, seed: int) -> None:
    result = feed_all(split(stream, seed))
    if isinstance(result, ProtocolError):
        return
    for frame in result:
        # A url-encoded newline stays inside its value: it never makes a header of its own.
        assert "Evil" not in frame.headers
        if frame.content_type in EVENT_CONTENT_TYPES:
            try:
                assert "Evil" not in event_from_frame(frame).headers
            except ProtocolError:
                pass


@FUZZ
@given(hostile_events(), SEEDS)
def test_hostile_event_bodies_give_events_or_a_protocol_error(stream: bytes, seed: int) -> None:
    feed_all(split(stream, seed))


@FUZZ
@given(mutated_recordings(), SEEDS)
def test_mutated_recordings_give_frames_or_a_protocol_error(stream: bytes, seed: int) -> None:
    feed_all(split(stream, seed))
