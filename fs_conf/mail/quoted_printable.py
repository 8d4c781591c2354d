"""Quoted-printable bodies exactly as `email.quoprimime.body_encode` writes them, quicker.

Why and how: docs/mail.md#fast-paths
"""

from __future__ import annotations

import re
from email import quoprimime

_QUOTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]")
"""What the table quotes besides `=`."""


def body_encode(body: str, maxlinelen: int, eol: str) -> str:
    """`quoprimime.body_encode(body, maxlinelen, eol)`; `maxlinelen` at least 4."""
    if not body:
        return body
    body = _QUOTED.sub(_quote, body.replace("=", "=3D"))
    soft_break = "=" + eol
    longest = maxlinelen - 1
    encoded: list[str] = []
    for line in body.splitlines():
        start = 0
        last_start = len(line) - 1 - maxlinelen
        while start <= last_start:
            stop = start + longest
            # never cut inside an escape sequence
            if line[stop - 2] == "=":
                encoded.append(line[start : stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                encoded.append(line[start:stop])
                start = stop - 1
            else:
                encoded.append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":
            # whitespace at the end of a line is quoted, or followed by a soft break
            room = start - last_start
            if room >= 3:
                end = quoprimime.quote(line[-1])
            elif room == 2:
                end = line[-1] + soft_break
            else:
                end = soft_break + quoprimime.quote(line[-1])
            encoded.append(line[start:-1] + end)
        else:
            encoded.append(line[start:])
    if body[-1] in "\r\n":
        encoded.append("")
    return eol.join(encoded)


def _quote(match: re.Match[str]) -> str:
    return quoprimime.quote(match.group())
