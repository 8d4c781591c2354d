"""Header lines as `email.policy.SMTP` writes them, without its cost where it does nothing,
and with fs_conf's own encoded-words where text needs them.

`folded` is the email package's own way; `unstructured`, `message_id` and `address` skip it
for values it would leave as they are, and `multipart_content_type` folds once per subtype.
Text that needs encoded-words (not ASCII, or holding `=?`) is encoded by `encoded_words`.
Why and how: docs/mail.md#fast-paths, docs/mail.md#user-text-in-headers
"""

from __future__ import annotations

import re
import sys
from email import policy
from email.headerregistry import Address
from functools import lru_cache

from fs_conf.mail import encoded_words

POLICY = policy.SMTP
LINE_LENGTH = 78
"""Where `policy.SMTP` folds (its max_line_length, RFC 5322's recommended limit)."""
BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))
"""Width of the number in a boundary, as email.generator has it."""

_PRINTABLE = re.compile(r"[ -~]+")
_WRITTEN_AS_IS = re.compile(r"[\t -~]*")
_WORDS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")
"""Atoms (RFC 5322 atext) and spaces: a display name that needs no quotes."""
_SIMPLE_MESSAGE_ID = re.compile(r"<[0-9a-f]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>")


def folded(name: str, value: object) -> bytes:
    """One header folded as `policy.SMTP` folds it when a message is written."""
    return POLICY.header_factory(name, value).fold(policy=POLICY).encode("ascii", "surrogateescape")


def unstructured(name: str, text: str) -> bytes:
    """A text header (Subject) that every reader shows as `text`, character for character."""
    if _plain(name, text):
        return _line(name, text)
    if _literal(text):
        line = folded(name, text)
        if b"=?" not in line:
            return line
    return _encoded(name, text)


def message_id(name: str, value: str) -> bytes:
    """A `<id@domain>` header; the shortcut only for the form fs_conf writes (hex digits at
    a host name), whose parse reproduces it character for character."""
    if _SIMPLE_MESSAGE_ID.fullmatch(value) and _plain(name, value):
        return _line(name, value)
    return folded(name, value)


def address(name: str, value: Address) -> bytes:
    """An address header with one address: the policy parses `str(value)` (the display name
    quoted where RFC 5322 needs it) and writes that text when it fits on the line. Every
    reader shows the display name as `value.display_name`, character for character."""
    text = str(value)
    if _plain(name, text):
        return _line(name, text)
    # Folding a quoted name, the policy drops its quotes: `"Doe, John ..."` became two
    # addresses. So it folds only names of words and spaces.
    if _literal(value.display_name) and _WORDS.fullmatch(value.display_name):
        line = folded(name, value)
        if b"=?" not in line:
            return line
    tail = f"<{value.addr_spec}>" if value.display_name else value.addr_spec
    return _encoded(name, value.display_name, tail)


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


def _literal(text: str) -> bool:
    """Text the email package may write: ASCII without `=?`. Its parser decodes every
    `=?...?=` it meets (a typed one too), and its folder fills encoded-words to the line's
    end, past 75 characters, so its line is kept only when it holds no encoded-word."""
    return _WRITTEN_AS_IS.fullmatch(text) is not None and "=?" not in text


def _encoded(name: str, text: str, tail: str = "") -> bytes:
    """`name: <text as encoded-words> <tail>`, folded before a word that would pass
    LINE_LENGTH (the whitespace between two encoded-words is not part of the text)."""
    words = encoded_words.encode(text, first=LINE_LENGTH - len(name) - 2) if text else []
    line = f"{name}:"
    lines = []
    for position, word in enumerate([*words, tail] if tail else words):
        if position and len(line) + 1 + len(word) > LINE_LENGTH:
            lines.append(line)
            line = ""
        line += " " + word
    return "\r\n".join([*lines, line]).encode("ascii") + b"\r\n"


def _line(name: str, text: str) -> bytes:
    return f"{name}: {text}\r\n".encode("ascii")
