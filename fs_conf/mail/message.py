"""Build the bytes of one mail: headers, text, HTML and, for calendar mails, the iTIP parts.

Structure of a calendar mail (what Outlook, Thunderbird, Apple Mail and Gmail all accept):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8
        text/calendar; method=REQUEST|CANCEL; charset=utf-8
      application/ics; name=invite.ics   (attachment, for clients that ignore the inline part)

Other mails are the multipart/alternative alone. Headers go through `email.policy.SMTP`,
which folds and RFC 2047-encodes them; every value is first made one line, so nothing a
user typed (a title, a name) can start a header of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from fs_conf.errors import ValidationError

POLICY = policy.SMTP
CALENDAR_FILENAME = "invite.ics"


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
    key: str
    """The outbox key; the Message-ID is derived from it, so a resend carries the same one."""
    date: datetime


def one_line(value: str) -> str:
    """Collapse all whitespace, line breaks included, to single spaces."""
    return " ".join(value.split())


def message_id(key: str, sender: str) -> str:
    """`<sha256(key)[:32]@sender-domain>`: stable per outbox entry, so a receiver can drop a
    duplicate delivered after a crash between the server's 250 and marking the entry sent."""
    domain = sender_address(sender).rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def sender_address(sender: str) -> str:
    return parse_address("mail.sender", sender).addr_spec


def build_message(
    envelope: Envelope, subject: str, text: str, html: str, calendar: Calendar | None
) -> bytes:
    """The complete message as bytes with CRLF line ends, ready for SMTP or a .eml file."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = parse_address("mail.sender", envelope.sender)
    msg["To"] = _address("participant.email", envelope.recipient_name, envelope.recipient_email)
    if envelope.reply_to:
        msg["Reply-To"] = parse_address("reply_to", envelope.reply_to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = message_id(envelope.key, envelope.sender)
    msg["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps every part 7-bit, so relays without 8BITMIME pass it unchanged.
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if calendar is not None:
        # 7bit when the calendar is ASCII (its lines are folded at 75 octets), else base64:
        # quoted-printable would rewrite every `=` of the iCalendar text.
        msg.add_alternative(
            calendar.data.decode("utf-8"),
            subtype="calendar",
            params={"method": calendar.method},
            cte="7bit" if calendar.data.isascii() else "base64",
        )
        msg.add_attachment(
            calendar.data, maintype="application", subtype="ics", filename=CALENDAR_FILENAME
        )
    return msg.as_bytes(policy=POLICY)


def check_address(field: str, text: str) -> str:
    """The bare address in `text` (`Name <a@b>` or `a@b`); ValidationError naming `field`
    unless it is exactly one valid address on one line."""
    return parse_address(field, text).addr_spec


def parse_address(field: str, text: str) -> Address:
    if "\r" in text or "\n" in text:
        raise ValidationError(field, text, "an e-mail address must be on one line")
    header = POLICY.header_factory("To", text)
    if header.defects or len(header.addresses) != 1 or not header.addresses[0].domain:
        raise ValidationError(
            field, text, "not one valid e-mail address (ASCII before the @, a domain after it)"
        )
    address = header.addresses[0]
    try:
        # An international domain is sent in its ASCII (IDNA) form, which every server accepts.
        domain = address.domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationError(field, text, "the domain is not a valid international name") from exc
    return Address(display_name=address.display_name, username=address.username, domain=domain)


def _address(field: str, name: str, email: str) -> Address:
    address = parse_address(field, email)
    return Address(display_name=one_line(name), username=address.username, domain=address.domain)
