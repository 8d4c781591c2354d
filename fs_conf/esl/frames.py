"""Event Socket framing: bytes in, Frames out (and commands out as bytes); no I/O here.

A frame is header lines, an empty line, then `Content-Length` bytes of body (mod_event_socket.c
writes every message this way); the parser takes any split of the stream (docs/esl.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from fs_conf.esl.errors import ProtocolError

MAX_HEADER_BYTES = 1024 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
PLAIN_LINES = 6
"""From how many lines on a header block is read by `_plain_headers` (measured: below,
its fixed cost is more than the Python steps it saves per line)."""


@dataclass
class Frame:
    """One message: its outer headers in arrival order and its raw body."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def reply_text(self) -> str:
        """`Reply-Text` of a command/reply (the connect reply sends `+OK\\n` url-encoded)."""
        return self.headers.get("Reply-Text", "").rstrip("\n")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


def parse_header_block(block: bytes, *, decode: bool) -> dict[str, str]:
    """Split a header block into lines first, then each line at its first ':'.

    Values are url-decoded afterwards (when `decode`), so an encoded newline inside a value
    stays inside that value. A repeated name keeps its first value, as esl_event_get_header does.
    """
    # One decode for the block: a newline byte is never part of a UTF-8 sequence, so this
    # splits exactly as decoding line by line would (every event passes here: it is hot).
    text = block.decode("utf-8", errors="replace")
    # A reply's few lines are read faster one by one; an event's hundred are not.
    headers = _plain_headers(text) if text.count("\n") >= PLAIN_LINES else None
    if headers is None:
        return _any_headers(text, decode=decode)
    if decode and "%" in text:
        return _decoded(headers)
    return headers


def _plain_headers(text: str) -> dict[str, str] | None:
    """The headers of a block written as FreeSWITCH writes them, every line `Name: value`
    with a name free of spaces and ':'; None for any other block (`_any_headers` reads it).

    The same result as `_any_headers`, with string operations that run in C instead of
    several Python steps per line: events of a hundred lines arrive on every call."""
    if "\r" in text:
        return None
    names, seps, values = zip(*[line.partition(": ") for line in text.split("\n")], strict=True)
    joined = "|".join(names)
    if "" in seps or "" in names or ":" in joined or joined.split(None, 1) != [joined]:
        return None
    headers = dict(zip(names, values, strict=True))
    if len(headers) < len(names):  # a repeated name: the first value stays
        headers = {}
        for name, value in zip(names, values, strict=True):
            headers.setdefault(name, value)
    return headers


def _any_headers(text: str, *, decode: bool) -> dict[str, str]:
    """Line by line, for blocks `_plain_headers` does not take (CRs, empty lines, spaces
    around a name, a value after ':' without a space); ProtocolError for a line that is not
    `Name: value`."""
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line:
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name:
            raise ProtocolError(f"header line {line[:80]!r} is not 'Name: value'")
        if value.startswith(" "):
            value = value[1:]
        if decode and "%" in value:
            value = url_decode(value)
        headers.setdefault(name, value)
    return headers


def _decoded(headers: dict[str, str]) -> dict[str, str]:
    """Every value url-decoded, in one pass over all of them joined by newlines: a newline
    is never part of an escape nor of a UTF-8 sequence, so each value decodes as it would
    alone, and the split gives them back unless a value decoded to a newline itself."""
    values = url_decode("\n".join(headers.values())).split("\n")
    if len(values) == len(headers):
        return dict(zip(headers, values, strict=True))
    return {name: url_decode(value) for name, value in headers.items()}


def url_decode(text: str) -> str:
    """`urllib.parse.unquote(text, errors="replace")`, in C for what FreeSWITCH sends:
    ASCII text whose every '%' starts a %XX escape (switch_url_encode writes '%' as %25).
    Each escape becomes a \\xXX escape, decoded with the backslashes already there doubled,
    which gives the bytes unquote_to_bytes gives; anything else goes to urllib."""
    try:
        escaped = text.replace("\\", "\\\\").replace("%", "\\x").encode("ascii")
        raw = escaped.decode("unicode_escape")
    except UnicodeError:  # not ASCII, or a '%' without two hex digits after it
        return unquote(text, errors="replace")
    return raw.encode("latin-1").decode("utf-8", errors="replace")


def content_length(headers: Mapping[str, str], limit: int = MAX_BODY_BYTES) -> int:
    """The body length a header block announces (0 without the header)."""
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    value = raw.strip()
    # ASCII only: str.isdigit() also takes '²' and other digits int() refuses or reads.
    if not (value.isascii() and value.isdigit()):
        raise ProtocolError(f"Content-Length {raw!r} is not a non-negative integer")
    # Compared as text first: int() refuses strings of more than 4300 digits.
    if len(value.lstrip("0")) > len(str(limit)) or int(value) > limit:
        raise ProtocolError(f"Content-Length {value[:20]} exceeds the limit of {limit} bytes")
    return int(value)


class FrameParser:
    """Feed it bytes as they arrive; it returns every frame they complete."""

    def __init__(
        self, max_header_bytes: int = MAX_HEADER_BYTES, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self._buf = bytearray()
        self._headers: dict[str, str] | None = None
        self._need = 0
        self._scanned = 0
        self._max_header = max_header_bytes
        self._max_body = max_body_bytes

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    @property
    def mid_frame(self) -> bool:
        """True while bytes of an unfinished frame are buffered."""
        return self._headers is not None or bool(self._buf.strip(b"\n"))

    @property
    def buffered_bytes(self) -> int:
        """How many received bytes wait for the rest of their frame."""
        return len(self._buf)

    def describe_pending(self) -> str:
        if self._headers is not None:
            return (
                f"{self._headers.get('Content-Type', 'frame')} body has "
                f"{len(self._buf)} of {self._need} bytes"
            )
        return f"{len(self._buf)} bytes of an unfinished header block"

    def _next(self) -> Frame | None:
        if self._headers is None and not self._read_headers():
            return None
        if len(self._buf) < self._need:
            return None
        body = bytes(self._buf[: self._need])
        del self._buf[: self._need]
        frame = Frame(self._headers or {}, body)
        self._headers, self._need = None, 0
        return frame

    def _read_headers(self) -> bool:
        if self._buf[:1] == b"\n":
            del self._buf[: len(self._buf) - len(self._buf.lstrip(b"\n"))]
        end = self._buf.find(b"\n\n", max(0, self._scanned - 1))
        if end < 0:
            self._scanned = len(self._buf)
            if self._scanned > self._max_header:
                raise ProtocolError(
                    f"header block longer than {self._max_header} bytes without an empty line"
                )
            return False
        if end > self._max_header:
            raise ProtocolError(f"header block of {end} bytes exceeds {self._max_header} bytes")
        block = bytes(self._buf[:end])
        del self._buf[: end + 2]
        self._scanned = 0
        headers = parse_header_block(block, decode=False)
        if headers.get("Content-Type") == "command/reply" and "Event-Name" in headers:
            # The `connect` reply carries the channel data, serialized url-encoded
            # (mod_event_socket.c parse_command, "connect").
            headers = parse_header_block(block, decode=True)
        self._headers = headers
        self._need = content_length(headers, self._max_body)
        return True


def encode_command(
    command: str, headers: Mapping[str, str] | None = None, body: bytes | str | None = None
) -> bytes:
    """One command as sent on the wire: the command line, header lines, empty line, body.

    Newlines inside the command or a header would start a new command or header, so they
    are refused (ValueError naming the part).
    """
    if not command or "\n" in command or "\r" in command:
        raise ValueError(f"ESL command must be one non-empty line (got {command!r})")
    lines = [command]
    for name, value in (headers or {}).items():
        for part, text in (("header name", name), (f"header {name!r}", value)):
            if "\n" in text or "\r" in text:
                raise ValueError(f"ESL {part} must not contain a newline (got {text!r})")
        lines.append(f"{name}: {value}")
    payload = body.encode("utf-8") if isinstance(body, str) else body
    if payload:
        lines.append(f"Content-Length: {len(payload)}")
    return ("\n".join(lines) + "\n\n").encode("utf-8") + (payload or b"")
