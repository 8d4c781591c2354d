"""Text as RFC 2047 encoded-words in UTF-8, which every decoder reads back as the same text.

Each word is at most 75 characters (RFC 2047 section 2) and holds whole characters
(section 5); Q or B, whichever the email package would choose. Why fs_conf encodes itself:
docs/mail.md#user-text-in-headers
"""

from __future__ import annotations

import base64
import string

MAX_WORD = 75
"""RFC 2047 section 2: an encoded-word may not be more than 75 characters long."""
_OVERHEAD = len("=?utf-8?q??=")
_Q_SAFE = frozenset((string.ascii_letters + string.digits + "!*+-/").encode("ascii"))
"""Bytes Q writes as themselves: those RFC 2047 section 5 (3) allows in a phrase, so the
words serve in a display name as well as in a Subject."""
_Q_BIAS = 5
"""Q unless it is this much longer than B, as the email package decides (readable text)."""


def encode(text: str, first: int = MAX_WORD) -> list[str]:
    """`text` as encoded-words of at most MAX_WORD characters, the first at most `first`
    (when one character fits in that); decoded and joined they give `text` exactly."""
    data = text.encode("utf-8")
    q = len(_q_text(data)) - len(base64.b64encode(data)) < _Q_BIAS
    words: list[str] = []
    chunk: list[bytes] = []
    size = 0
    limit = min(first, MAX_WORD)
    for char in text:
        octets = char.encode("utf-8")
        grown = size + (len(_q_text(octets)) if q else len(octets))
        if chunk and _OVERHEAD + (grown if q else _b_length(grown)) > limit:
            words.append(_word(b"".join(chunk), q))
            chunk, limit = [], MAX_WORD
            grown -= size
        chunk.append(octets)
        size = grown
    if chunk:
        words.append(_word(b"".join(chunk), q))
    return words


def _b_length(octets: int) -> int:
    return (octets + 2) // 3 * 4


def _word(data: bytes, q: bool) -> str:
    if q:
        return f"=?utf-8?q?{_q_text(data)}?="
    return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="


def _q_text(data: bytes) -> str:
    return "".join(
        chr(byte) if byte in _Q_SAFE else "_" if byte == 0x20 else f"={byte:02X}" for byte in data
    )
