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
    headers: dict[str, str] = {}
    # One decode for the block: a newline byte is never part of a UTF-8 sequence, so this
    # splits exactly as decoding line by line would (every event passes here: it is hot).
    for line in block.decode("utf-8", errors="replace").split("\n"):
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
            value = unquote(value, errors="replace")
        headers.setdefault(name, value)
    return headers


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
