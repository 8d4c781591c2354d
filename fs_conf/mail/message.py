"""Build the bytes of one mail: headers, text, HTML and, for calendar mails, the iTIP parts.

Every header value is first made one line, so nothing a user typed can start a header of its
own. The MIME structure: docs/mail.md#message-structure
"""

from __future__ import annotations

import binascii
import hashlib
import random
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.utils import format_datetime
from functools import lru_cache

from fs_conf.mail import headers, quoted_printable
from fs_conf.mail.addresses import parse_address, sender_address
from fs_conf.mail.headers import LINE_LENGTH

_CACHED = 256
CALENDAR_FILENAME = "invite.ics"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Calendar:
    data: bytes
    method: str
    """REQUEST or CANCEL: repeated on the text/calendar part, as iTIP over mail (RFC 6047) asks."""


@dataclass(frozen=True)
class Envelope:
    """Who the mail is from and to, and what identifies it."""

    sender: str
    """`Name <address>` or a bare address (config mail.sender)."""
    recipient_name: str
    recipient_email: str
    reply_to: str
    conference_uid: str
    """The conference's iCalendar UID (a uuid4 made when it was created)."""
    key: str
    """The outbox key. The Message-ID is derived from both: a resend carries the same one,
    another conference (in another database, too) never does."""
    date: datetime


def one_line(value: str) -> str:
    """Collapse all whitespace, line breaks included, to single spaces; a control character
    (which no header or calendar line may hold) counts as a space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def message_id(conference_uid: str, key: str, sender: str) -> str:
    """`<sha256(uid, key)[:32]@sender-domain>`: stable per outbox entry, so a receiver can drop
    a duplicate delivered after a crash between the server's 250 and marking the entry sent;
    the UID keeps it apart from the IDs of a re-created database or another installation,
    whose conference ids, recipients and sequences repeat."""
    domain = _sender_domain(sender) or "localhost"
    digest = hashlib.sha256(f"{conference_uid}\n{key}".encode()).hexdigest()
    return f"<{digest[:32]}@{domain}>"


@lru_cache(maxsize=_CACHED)
def _sender_domain(sender: str) -> str:
    return sender_address(sender).rpartition("@")[2]


def build_message(
    envelope: Envelope, subject: str, text: str, html: str, calendar: Calendar | None
) -> bytes:
    """The complete message as bytes with CRLF line ends, ready for SMTP or a .eml file.

    Written part by part with the email package's own header folding and body encoders, in
    the layout `EmailMessage.set_content/add_alternative/add_attachment` produce under
    `policy.SMTP` (the tests compare the two byte for byte); building an `EmailMessage` tree
    cost several milliseconds per mail, most of the time of a mass invitation."""
    lines = [
        _address_header("From", "mail.sender", envelope.sender),
        headers.address(
            "To", _address("participant.email", envelope.recipient_name, envelope.recipient_email)
        ),
    ]
    if envelope.reply_to:
        lines.append(_address_header("Reply-To", "reply_to", envelope.reply_to))
    lines += [
        headers.unstructured("Subject", one_line(subject)),
        _folded("Date", format_datetime(envelope.date)),
        headers.message_id(
            "Message-ID", message_id(envelope.conference_uid, envelope.key, envelope.sender)
        ),
        b"Auto-Submitted: auto-generated\r\n",
        b"MIME-Version: 1.0\r\n",
    ]
    # Quoted-printable keeps every part 7-bit, so relays without 8BITMIME pass it unchanged.
    parts = [
        _TEXT_HEADERS % b"plain" + b"\r\n" + _quoted_printable(text),
        _TEXT_HEADERS % b"html" + _MIME_VERSION + b"\r\n" + _quoted_printable(html),
    ]
    if calendar is None:
        return _multipart(b"".join(lines), "alternative", parts)
    # 7bit when the calendar is ASCII (its lines are folded at 75 octets), else base64:
    # quoted-printable would rewrite every `=` of the iCalendar text.
    ascii_calendar = calendar.data.isascii()
    calendar_body = _lines(calendar.data) if ascii_calendar else _base64(_lines(calendar.data))
    parts.append(
        b"Content-Transfer-Encoding: "
        + (b"7bit" if ascii_calendar else b"base64")
        + b"\r\n"
        + _folded("Content-Type", f'text/calendar; charset="utf-8"; method="{calendar.method}"')
        + _MIME_VERSION
        + b"\r\n"
        + calendar_body
    )
    alternative = _multipart(b"", "alternative", parts)
    attachment = (
        b"Content-Type: application/ics\r\nContent-Transfer-Encoding: base64\r\n"
        + _folded("Content-Disposition", f'attachment; filename="{CALENDAR_FILENAME}"')
        + _MIME_VERSION
        + b"\r\n"
        + _base64(calendar.data)
    )
    return _multipart(b"".join(lines), "mixed", [alternative, attachment])


_TEXT_HEADERS = (
    b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
)
_MIME_VERSION = b"MIME-Version: 1.0\r\n"


# Sender, reply-to, date and calendar part headers are the same for every mail of a mass
# invitation, and those with a display name or a date need the email package's folding:
# once per distinct value.
@lru_cache(maxsize=_CACHED)
def _folded(name: str, value: str) -> bytes:
    return headers.folded(name, value)


@lru_cache(maxsize=_CACHED)
def _address_header(name: str, field: str, text: str) -> bytes:
    return headers.address(name, parse_address(field, text))


def _multipart(head: bytes, subtype: str, parts: list[bytes]) -> bytes:
    """Headers, then the parts between boundary lines, as email.generator lays them out."""
    boundary = _boundary(parts)
    content_type = headers.multipart_content_type(subtype, boundary)
    delimiter = b"--" + boundary.encode("ascii")
    body = (b"\r\n" + delimiter + b"\r\n").join(parts)
    return (
        head + content_type + b"\r\n" + delimiter + b"\r\n" + body + b"\r\n" + delimiter + b"--\r\n"
    )


def _boundary(parts: list[bytes]) -> str:
    """email.generator's boundary, from its source (`random`: a boundary needs to be unlikely
    in the parts, not unguessable; a part that contains it gets another one)."""
    while True:
        boundary = headers.boundary_text(random.randrange(sys.maxsize))
        if not any(boundary.encode("ascii") in part for part in parts):
            return boundary


def _lines(data: bytes) -> bytes:
    """Every line ended by CRLF, as the email package normalises a text body."""
    lines = data.splitlines()
    return b"\r\n".join(lines) + b"\r\n" if lines else b""


def _quoted_printable(text: str) -> bytes:
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    # CRLF as the encoder's line end: its lines hold no other line break (the body's were
    # made \n above), so this is the email package's output with its line ends normalised.
    encoded = quoted_printable.body_encode(body.decode("latin-1"), LINE_LENGTH, "\r\n")
    return encoded.encode("ascii")


def _base64(data: bytes) -> bytes:
    """Base64 in lines of at most `max_line_length`, as email.contentmanager writes it."""
    step = LINE_LENGTH // 4 * 3
    encoded = b"".join(binascii.b2a_base64(data[i : i + step]) for i in range(0, len(data), step))
    return _lines(encoded)


def _address(field: str, name: str, email: str) -> Address:
    """The recipient's address with their name; no name when it is only the address again
    (an organizer known by address alone), which would read `"a@b" <a@b>`."""
    address = parse_address(field, email)
    display = one_line(name)
    if display.lower() in (email.strip().lower(), address.addr_spec.lower()):
        display = ""
    return Address(display_name=display, username=address.username, domain=address.domain)
