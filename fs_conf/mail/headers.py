"""Header lines exactly as `email.policy.SMTP` writes them, without its cost where it does
nothing.

`folded` is the email package's own way; `unstructured`, `message_id` and `address` skip it
for values it would leave as they are, and `multipart_content_type` folds once per subtype.
Why and how: docs/mail.md#fast-paths
"""

from __future__ import annotations

import re
import sys
from email import policy
from email.headerregistry import Address
from functools import lru_cache

POLICY = policy.SMTP
LINE_LENGTH = 78
"""Where `policy.SMTP` folds (its max_line_length, RFC 5322's recommended limit)."""
BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))
"""Width of the number in a boundary, as email.generator has it."""

_PRINTABLE = re.compile(r"[ -~]+")
_SIMPLE_MESSAGE_ID = re.compile(r"<[0-9a-f]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>")


def folded(name: str, value: object) -> bytes:
    """One header folded as `policy.SMTP` folds it when a message is written."""
    return POLICY.header_factory(name, value).fold(policy=POLICY).encode("ascii", "surrogateescape")


def unstructured(name: str, text: str) -> bytes:
    """A text header (Subject): the parsed value of unstructured text is the text itself."""
    if _plain(name, text):
        return _line(name, text)
    return folded(name, text)


def message_id(name: str, value: str) -> bytes:
    """A `<id@domain>` header; the shortcut only for the form fs_conf writes (hex digits at
    a host name), whose parse reproduces it character for character."""
    if _SIMPLE_MESSAGE_ID.fullmatch(value) and _plain(name, value):
        return _line(name, value)
    return folded(name, value)


def address(name: str, value: Address) -> bytes:
    """An address header with one address: the policy parses `str(value)` (the display name
    quoted where RFC 5322 needs it) and writes that text when it fits on the line."""
    text = str(value)
    if _plain(name, text):
        return _line(name, text)
    return folded(name, value)


def boundary_text(number: int) -> str:
    """email.generator's boundary form: 15 `=`, the number zero-filled, `==`."""
    return "=" * 15 + str(number).zfill(BOUNDARY_DIGITS) + "=="


def multipart_content_type(subtype: str, boundary: str) -> bytes:
    """`Content-Type: multipart/<subtype>; boundary="<boundary>"`, folded; `boundary` has
    the form `boundary_text` gives."""
    head, tail = _content_type_template(subtype)
    return head + boundary.encode("ascii") + tail


@lru_cache(maxsize=8)
def _content_type_template(subtype: str) -> tuple[bytes, bytes]:
    """The folded line around its boundary; a boundary never spans a fold (it is one
    quoted string without spaces), so any boundary of the same width folds the same way."""
    sample = boundary_text(0)
    line = folded("Content-Type", f'multipart/{subtype}; boundary="{sample}"')
    head, tail = line.split(sample.encode("ascii"))
    return head, tail


def _plain(name: str, text: str) -> bool:
    return (
        len(name) + 2 + len(text) <= LINE_LENGTH
        and _PRINTABLE.fullmatch(text) is not None
        and "=?" not in text
    )


def _line(name: str, text: str) -> bytes:
    return f"{name}: {text}\r\n".encode("ascii")
