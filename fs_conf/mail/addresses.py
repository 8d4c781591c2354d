"""E-mail addresses as fs_conf accepts them: exactly one address on one line, sent in ASCII.

`parse_address_fully` is the email package's RFC 5322 parser with an IDNA domain;
`parse_address` gives the same result quicker for the plain form almost every address has.
Why and how: docs/mail.md#fast-paths
"""

from __future__ import annotations

import re
from email import errors, policy
from email.headerregistry import Address

from fs_conf.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(
    rf"(?P<local>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@(?P<domain>{_LABEL}(?:\.{_LABEL})*)"
)


def check_address(field: str, text: str) -> str:
    """The bare address in `text` (`Name <a@b>` or `a@b`); ValidationError naming `field`
    unless it is exactly one valid address on one line."""
    return parse_address(field, text).addr_spec


def sender_address(sender: str) -> str:
    """The bare address of `mail.sender`."""
    return parse_address("mail.sender", sender).addr_spec


def parse_address(field: str, text: str) -> Address:
    """`text` as one address (see the module docstring); ValidationError naming `field`."""
    plain = _PLAIN_ADDRESS.fullmatch(text)
    if plain is not None:
        return Address(username=plain["local"], domain=plain["domain"])
    return parse_address_fully(field, text)


def parse_address_fully(field: str, text: str) -> Address:
    """`text` through the email package's address parser, whatever its form."""
    if "\r" in text or "\n" in text:
        raise ValidationError(field, text, "an e-mail address must be on one line")
    try:
        header = policy.SMTP.header_factory("To", text)
        valid = not header.defects and len(header.addresses) == 1 and header.addresses[0].domain
        valid = valid and not _CONTROL.search(header.addresses[0].display_name)
    except (errors.HeaderParseError, IndexError, AttributeError, ValueError):
        # The parser itself trips over some malformed text (`<a@`, `a@[`) instead of
        # reporting a defect, and refuses a name whose encoded-word holds a line break;
        # it is no address either way.
        valid = False
    if not valid:
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
