"""iCalendar serialisation with icalendar's own line folding, done quickly for ASCII lines.

ASCII lines are sliced at the positions icalendar would cut; others are folded by icalendar.
Why and how: docs/mail.md#fast-paths
"""

from __future__ import annotations

import icalendar
from icalendar.parser import Contentline

LIMIT = 75
"""icalendar's fold limit: a piece ends before the octet that would reach it."""
_PIECE = LIMIT - 1
_ESCAPES = "\\^"


def content_line(line: Contentline) -> bytes:
    """Exactly `line.to_ical()`."""
    if not line.isascii():
        return line.to_ical()
    pieces = []
    start = 0
    while len(line) - start > _PIECE:
        end = start + _PIECE
        if line[end - 1] in _ESCAPES:
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces).encode("ascii")


def serialise(component: icalendar.Component) -> bytes:
    """Exactly `component.to_ical()`: its content lines folded, joined and ended by CRLF."""
    lines = component.content_lines()
    return b"\r\n".join(content_line(line) for line in lines if line) + b"\r\n"
