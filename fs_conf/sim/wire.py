"""Server-side Event Socket codec: reading client frames and encoding FreeSWITCH's replies.

Byte layouts follow src/mod/event_handlers/mod_event_socket/mod_event_socket.c and the
recordings. The frames: docs/simulator.md#the-event-socket
"""

from __future__ import annotations

import functools
import json
import re
import socket
from dataclasses import dataclass, field

HEX = "0123456789ABCDEF"
# src/switch_utils.c switch_url_encode_opt() with SWITCH_URL_UNSAFE (switch_utils.h): these plus
# control and non-ASCII bytes become %XX; a '%' that already starts an escape of two upper-case
# hex digits stays, since switch_url_encode() passes double_encode = SWITCH_FALSE.
URL_UNSAFE = frozenset(' "#%&+:;<=>?@[\\]^`{|}')
GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024


class ProtocolError(Exception):
    """The peer sent bytes that cannot be a frame; only that connection is dropped."""


_MUST_ENCODE = re.compile(
    b"%(?![0-9A-F]{2})|[^\\x20-\\x7e]|["
    + re.escape("".join(sorted(URL_UNSAFE - {"%"})).encode("ascii"))
    + b"]"
)


def _percent(match: re.Match[bytes]) -> bytes:
    byte = match.group()[0]
    return b"%" + (HEX[byte >> 4] + HEX[byte & 0x0F]).encode("ascii")


@functools.lru_cache(maxsize=1 << 16)
def url_encode(value: str) -> str:
    """Encode a header value the way FreeSWITCH serialises plain events.

    Every header of every event passes here, for each subscriber, and most are a channel's
    variables, the same in each of its events: hence the cache.
    """
    return _MUST_ENCODE.sub(_percent, value.encode("utf-8")).decode("ascii")


def url_decode(value: str) -> str:
    """Undo `url_encode` (tolerating stray '%' the way switch_url_decode does)."""
    raw = value.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw) and _is_hex(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(chr(b) in "0123456789abcdefABCDEF" for b in pair)


@dataclass
class Frame:
    """One command frame from a client: its first line, header lines and body."""

    command: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    raw: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup (FreeSWITCH's switch_event_get_header is)."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default


class FrameReader:
    """Reads command frames from a gevent socket, one at a time.

    Header lines without a colon are ignored, as mod_event_socket's read_packet ignores them;
    a Content-Length that is not a number or not positive means no body; one above
    MAX_BODY_BYTES, or a header block above MAX_HEADER_BYTES, is a ProtocolError.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def _fill(self) -> bool:
        chunk = self._sock.recv(65536)
        if not chunk:
            return False
        self._buf.extend(chunk)
        return True

    def read_frame(self) -> Frame | None:
        """Return the next frame, or None when the peer closed (also mid-frame)."""
        while True:
            while self._buf[:1] in (b"\n", b"\r"):
                del self._buf[:1]
            end = self._buf.find(b"\n\n")
            if end >= 0:
                break
            if len(self._buf) > MAX_HEADER_BYTES:
                raise ProtocolError(f"header block longer than {MAX_HEADER_BYTES} bytes")
            if not self._fill():
                return None
        block = bytes(self._buf[:end]).decode("utf-8", "replace")
        del self._buf[: end + 2]
        lines = [line.rstrip("\r") for line in block.split("\n")]
        frame = Frame(command=lines[0].strip(), raw=block + "\n\n")
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep and name.strip():
                frame.headers.append((name.strip(), value.strip()))
        length = _content_length(frame.header("Content-Length"))
        if length:
            while len(self._buf) < length:
                if not self._fill():
                    return None
            frame.body = bytes(self._buf[:length]).decode("utf-8", "replace")
            frame.raw += frame.body
            del self._buf[:length]
        return frame


def _content_length(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        length = int(raw)
    except ValueError:
        return 0
    if length > MAX_BODY_BYTES:
        raise ProtocolError(f"Content-Length {length} exceeds {MAX_BODY_BYTES}")
    return max(length, 0)


def auth_request() -> bytes:
    return b"Content-Type: auth/request\n\n"


def command_reply(text: str, extra: list[tuple[str, str]] | None = None) -> bytes:
    """`command/reply` frame; `extra` headers follow Reply-Text (e.g. bgapi's Job-UUID)."""
    lines = ["Content-Type: command/reply", f"Reply-Text: {text}"]
    lines.extend(f"{name}: {value}" for name, value in extra or ())
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def api_response(body: str) -> bytes:
    data = body.encode("utf-8")
    head = f"Content-Type: api/response\nContent-Length: {len(data)}\n\n".encode()
    return head + data


def inbound_disconnect_notice() -> bytes:
    data = GOODBYE.encode()
    return f"Content-Type: text/disconnect-notice\nContent-Length: {len(data)}\n\n".encode() + data


def outbound_disconnect_notice(uuid: str) -> bytes:
    data = GOODBYE.encode()
    head = (
        "Content-Type: text/disconnect-notice\n"
        f"Controlled-Session-UUID: {uuid}\n"
        "Content-Disposition: disconnect\n"
        f"Content-Length: {len(data)}\n\n"
    )
    return head.encode() + data


def linger_notice(uuid: str, channel_name: str, linger_time: int) -> bytes:
    return (
        "Content-Type: text/disconnect-notice\n"
        f"Controlled-Session-UUID: {uuid}\n"
        "Content-Disposition: linger\n"
        f"Channel-Name: {channel_name}\n"
        f"Linger-Time: {linger_time}\n"
        "Content-Length: 0\n\n"
    ).encode()


def serialize_plain(headers: list[tuple[str, str]], body: str | None) -> str:
    """switch_event_serialize(): url-encoded header values, body after its own length."""
    text = "".join(f"{name}: {url_encode(value)}\n" for name, value in headers)
    if body:
        data = body.encode("utf-8")
        return text + f"Content-Length: {len(data)}\n\n" + body
    return text + "\n"


def serialize_json(headers: list[tuple[str, str]], body: str | None) -> str:
    """switch_event_serialize_json(): one line, values as plain strings, body as `_body`.

    cJSON keeps repeated keys (floor-change events repeat Conference-Name), so the object is
    written pair by pair instead of through a dict.
    """
    pairs = list(headers)
    if body:
        pairs.append(("_body", body))
    inner = ",".join(f"{_json(name)}:{_json(value)}" for name, value in pairs)
    return "{" + inner + "}"


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def serialize_xml(headers: list[tuple[str, str]], body: str | None) -> str:
    """switch_event_xmlize() as written by mod_event_socket for `event xml`."""
    lines = ["<event>", "  <headers>"]
    lines.extend(
        f"    <{name}>{_xml_escape(url_encode(value))}</{name}>" for name, value in headers
    )
    lines.append("  </headers>")
    if body:
        lines.append(f"  <Content-Length>{len(body.encode('utf-8'))}</Content-Length>")
        # The XML writer indents the closing tag after a body that ends in a newline.
        tail = "  </body>" if body.endswith("\n") else "</body>"
        lines.append(f"  <body>{_xml_escape(body)}{tail}")
    lines.append("</event>")
    return "\n".join(lines) + "\n"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def event_frame(fmt: str, headers: list[tuple[str, str]], body: str | None) -> bytes:
    """Frame one event for a listener in `fmt` (plain, json or xml)."""
    if fmt == "json":
        text = serialize_json(headers, body)
    elif fmt == "xml":
        text = serialize_xml(headers, body)
    else:
        text = serialize_plain(headers, body)
    data = text.encode("utf-8")
    return f"Content-Length: {len(data)}\nContent-Type: text/event-{fmt}\n\n".encode() + data


def command_reply_event(headers: list[tuple[str, str]]) -> bytes:
    """The outbound `connect` reply: a serialised CHANNEL_DATA event ending in a blank line."""
    return serialize_plain(headers, None).encode("utf-8")
