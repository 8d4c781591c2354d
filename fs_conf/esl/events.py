"""FreeSWITCH events: the Event value and its parsing from text/event-plain, -json and -xml.

Serialization follows switch_event.c: plain headers are url-encoded `Name: value` lines and
an event's own body follows its own `Content-Length` after an empty line; JSON carries the
body as `_body` and multi-value headers as arrays; XML url-encodes header values and puts the
body in `<body>`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import overload
from urllib.parse import unquote

from fs_conf.esl.errors import ProtocolError
from fs_conf.esl.frames import Frame, content_length, parse_header_block, url_decode

EVENT_CONTENT_TYPES = ("text/event-plain", "text/event-json", "text/event-xml")


@dataclass
class Event:
    """One event: headers (url-decoded, in order) and its own body (e.g. a job's output)."""

    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def name(self) -> str:
        return self.headers.get("Event-Name", "")

    @property
    def subclass(self) -> str | None:
        return self.headers.get("Event-Subclass")

    @property
    def key(self) -> str:
        """What handlers register for: the subclass of a CUSTOM event, else the name."""
        if self.name == "CUSTOM" and self.subclass:
            return self.subclass
        return self.name

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def __contains__(self, name: object) -> bool:
        return name in self.headers


def parse_plain(data: bytes) -> Event:
    end = data.find(b"\n\n")
    head, rest = (data, b"") if end < 0 else (data[:end], data[end + 2 :])
    headers = parse_header_block(head, decode=True)
    length = content_length(headers)
    if len(rest) < length:
        raise ProtocolError(
            f"event {headers.get('Event-Name', '?')} body has {len(rest)} of {length} bytes"
        )
    return Event(headers, rest[:length].decode("utf-8", errors="replace"))


def _json_value(value: object) -> str:
    if isinstance(value, list):
        # Same text the plain serialization uses for array headers.
        return "ARRAY::" + "|:".join(str(item) for item in value)
    return value if isinstance(value, str) else json.dumps(value)


def parse_json(data: bytes) -> Event:
    try:
        obj = json.loads(data.decode("utf-8", errors="replace"))
        if not isinstance(obj, dict):
            raise ProtocolError(f"text/event-json body is a {type(obj).__name__}, not an object")
        body = obj.pop("_body", "")
        headers = {str(name): _json_value(value) for name, value in obj.items()}
        return Event(headers, body if isinstance(body, str) else _json_value(body))
    except (ValueError, RecursionError) as exc:
        # RecursionError: arrays nested deeper than the interpreter's recursion limit.
        raise ProtocolError(f"text/event-json body is not JSON: {exc}") from exc


def parse_xml(data: bytes) -> Event:
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError, LookupError) as exc:
        # ValueError and LookupError: an encoding declared that expat cannot read
        # (a multi-byte one) or that does not exist.
        raise ProtocolError(f"text/event-xml body is not XML: {exc}") from exc
    headers_el = root.find("headers")
    if root.tag != "event" or headers_el is None:
        raise ProtocolError("text/event-xml body has no <event><headers>")
    headers = {child.tag: unquote(child.text or "") for child in headers_el}
    body = root.findtext("body") or ""
    length_text = root.findtext("Content-Length")
    if length_text is not None:
        length = content_length({"Content-Length": length_text})
        # The XML printer indents after the body; Content-Length says where it ends.
        body = body.encode("utf-8")[:length].decode("utf-8", errors="replace")
    return Event(headers, body)


_PARSERS = {
    "text/event-plain": parse_plain,
    "text/event-json": parse_json,
    "text/event-xml": parse_xml,
}


def parse_event(content_type: str, data: bytes) -> Event:
    parser = _PARSERS.get(content_type)
    if parser is None:
        raise ProtocolError(f"Content-Type {content_type!r} is not an event type")
    return parser(data)


def event_from_frame(frame: Frame) -> Event:
    return parse_event(frame.content_type, frame.body)


_NAME_PREFIX = b"Event-Name: "


def plain_event_name(frame: Frame) -> str | None:
    """The Event-Name of a text/event-plain frame without parsing it (switch_event.c writes
    it as the first header); None when the frame is another kind or does not start so."""
    body = frame.body
    if frame.content_type != "text/event-plain" or not body.startswith(_NAME_PREFIX):
        return None
    end = body.find(b"\n", len(_NAME_PREFIX))
    return body[len(_NAME_PREFIX) : end if end >= 0 else None].decode("ascii", errors="replace")


def plain_header(frame: Frame, name: str) -> str | None:
    """One header of a text/event-plain frame without parsing the others: the value the
    parser would give for `name` (its first line), or None when the frame is another kind or
    has no such header among its own headers (not in its body)."""
    body = frame.body
    if frame.content_type != "text/event-plain":
        return None
    end = body.find(b"\n\n")
    end = len(body) if end < 0 else end
    key = f"\n{name}: ".encode()
    start = 0 if body.startswith(key[1:]) else body.find(key, 0, end)
    if start < 0:
        return None
    start = body.index(b" ", start + 1) + 1
    stop = body.find(b"\n", start)
    value = body[start : stop if stop >= 0 else None].decode("utf-8", errors="replace")
    return url_decode(value.rstrip("\r"))
