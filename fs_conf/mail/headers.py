"""Header lines exactly as `email.policy.SMTP` writes them, without its cost where it does
nothing.

`folded(name, value)` is the email package's own way: the value parsed into a header
object, then folded and RFC 2047-encoded as needed. That costs about 150 us a header (the
registry even creates a class per call), most of a mass invitation's time, although the
headers of such mails rarely need any of it. The policy writes a header whose line is
pure ASCII, carries no encoded-word marker (`=?`) and fits in `max_line_length` as
`Name: <the value as parsed>` unchanged: its folder appends the whole line when it fits
and encodes only what is not ASCII. `unstructured`, `message_id` and `address` take that
shortcut when the value qualifies, and fold the email package's way otherwise
(tests/mail/test_headers.py compares both byte for byte over generated values).

`multipart_content_type` writes a multipart Content-Type from a template folded once per
subtype: the boundary always has the same width and characters (email.generator's form), so
the folded line differs only in its digits.
"""

from __future__ import annotations

import re
import sys
from email import policy
from email.headerregistry import Address
from functools import lru_cache

POLICY = policy.SMTP
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
        len(name) + 2 + len(text) <= POLICY.max_line_length
        and _PRINTABLE.fullmatch(text) is not None
        and "=?" not in text
    )


def _line(name: str, text: str) -> bytes:
    return f"{name}: {text}\r\n".encode("ascii")
