"""Participants as people type them: the SPEC syntax, names, phone numbers, e-mail addresses
and the check for duplicates, and what any typed text may hold (`check_text`).

`parse_spec` reads `Name <email>;phone=NUMBER;moderator;call` and its shorter forms, with
names and numbers from the phone book; `normalise_phone` keeps a leading `+` and the digits.
The syntax: docs/participants.md#the-spec-syntax
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fs_conf.errors import ValidationError
from fs_conf.model import Participant, Role

if TYPE_CHECKING:
    from fs_conf.phonebook import Entry, PhoneBook

MAX_PHONE_DIGITS = 20
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
"""RFC 5321's longest forward path, less its angle brackets."""
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""What no line of typed text may hold: C0 and C1 control characters, DEL, Unicode's line and
paragraph separators, and lone surrogates (bytes that were not UTF-8)."""
_SEPARATORS = re.compile(r"[\s\-./()\u00a0]")
_PHONE = re.compile(r"\+?[0-9]+")
_LOCAL_PART = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*")
_DOMAIN = re.compile(r"[^\W_]([\w-]*[^\W_])?(\.[^\W_]([\w-]*[^\W_])?)+")
_OPTIONS = ("phone", "moderator", "call")


def check_text(
    text: str, field: str, most: int, *, lines: bool = False, shown: object = None
) -> str:
    """`text` if it has at most `most` characters and nothing `UNPRINTABLE`, except line
    breaks (`\\n`) when `lines`; errors show `shown` (default: `text`)."""
    value = text if shown is None else shown
    if len(text) > most:
        raise ValidationError(field, value, f"must be at most {most} characters, not {len(text)}")
    if UNPRINTABLE.search(text.replace("\n", "") if lines else text):
        problem = "must not contain control characters"
        if not lines:
            problem = "must be one line without control characters"
        raise ValidationError(field, value, problem)
    return text


def validate_name(name: str, field: str, shown: object = None) -> str:
    """A person's name, typed or from the phone book: one line of at most `MAX_NAME_LENGTH`
    characters without <, > or \" (which would end it inside a mail address); errors show
    `shown` (default: `name`)."""
    value = name if shown is None else shown
    check_text(name, field, MAX_NAME_LENGTH, shown=value)
    if any(char in name for char in '<>"'):
        raise ValidationError(field, value, 'a name must not contain <, > or "')
    return name


def normalise_phone(text: str, field: str = "--participant") -> str:
    """The number as digits with an optional leading `+`."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, text, "phone number is empty")
    given = text.strip()
    number = given.replace("(0)", "") if given.startswith("+") else given
    number = _SEPARATORS.sub("", number)
    if any(char.isalpha() for char in number):
        raise ValidationError(field, given, "letters in phone number")
    if not _PHONE.fullmatch(number):
        raise ValidationError(
            field,
            given,
            "not a phone number (digits, an optional leading +, and spaces - . / ( ) between them)",
        )
    if len(number.lstrip("+")) > MAX_PHONE_DIGITS:
        raise ValidationError(field, given, f"phone number has more than {MAX_PHONE_DIGITS} digits")
    return number


def validate_email(text: str, field: str = "--participant") -> str:
    """The address (surrounding blanks removed) if it looks deliverable: one @, a local
    part, a domain with a dot, no blanks, line breaks, angle brackets, quotes or separators."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, text, "e-mail address is empty")
    address = text.strip()
    if len(address) > MAX_EMAIL_LENGTH:
        raise ValidationError(
            field, address, f"e-mail address must be at most {MAX_EMAIL_LENGTH} characters"
        )
    if UNPRINTABLE.search(address) or any(char.isspace() for char in address):
        raise ValidationError(
            field, address, "e-mail address must not contain spaces or line breaks"
        )
    if "<" in address or ">" in address:
        raise ValidationError(field, address, "e-mail address must not contain < or >")
    if address.count("@") != 1:
        raise ValidationError(field, address, "e-mail address needs exactly one @")
    local, domain = address.split("@")
    if not local or not _LOCAL_PART.fullmatch(local):
        raise ValidationError(field, address, "the part before the @ is not a valid mailbox name")
    if not _DOMAIN.fullmatch(domain):
        raise ValidationError(
            field, address, "the part after the @ must be a domain with a dot, like example.org"
        )
    return address


def parse_spec(
    text: str, field: str = "--participant", phonebook: PhoneBook | None = None
) -> Participant:
    """A participant from a SPEC (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, text, "participant is empty (write Name <email>)")
    spec = text.strip()
    if UNPRINTABLE.search(spec):
        raise ValidationError(field, spec, "participant must be on one line, without controls")
    head, option_text = _split_head(spec, field)
    options = _parse_options(option_text, spec, field)
    name, email = _name_and_email(head, spec, field)
    phone = _phone(options.get("phone"), spec, field, phonebook)
    if phonebook is not None and (phone is None or email is None or name is None):
        entry = _entry_for(phonebook, name, email)
        if entry is None and email is None and phone is None:
            raise ValidationError(
                field,
                spec,
                f"no e-mail address or phone number, and no phone book entry named {name!r}",
            )
        if entry is not None:
            # a bare name only looked the person up: the book's spelling wins
            name = entry.name if email is None and phone is None else name or entry.name
            email = email or entry.email
            phone = phone or entry.number
    if email is None and phone is None:
        raise ValidationError(field, spec, "give an e-mail address (Name <email>) or ;phone=NUMBER")
    if "call" in options and phone is None:
        raise ValidationError(
            field, spec, ";call needs a phone number (;phone=NUMBER or a phone book entry)"
        )
    return Participant(
        name=name or email or "",
        email=email,
        phone=phone,
        role=Role.MODERATOR if "moderator" in options else Role.PARTICIPANT,
        call="call" in options,
    )


def _entry_for(phonebook: PhoneBook, name: str | None, email: str | None) -> Entry | None:
    """The entry with this address, else the one with this name unless it has another address."""
    if email is not None:
        entry = phonebook.lookup_email(email)
        if entry is not None:
            return entry
    entry = phonebook.lookup(name) if name else None
    if (
        entry is not None
        and email is not None
        and entry.email
        and entry.email.casefold() != email.casefold()
    ):
        return None
    return entry


def _split_head(spec: str, field: str) -> tuple[str, str]:
    """`Name <email>` or `name-or-email` before the first option, and the options after it."""
    if "<" not in spec:
        head, _, rest = spec.partition(";")
        return head.strip(), rest
    before, _, after = spec.partition("<")
    address, closed, rest = after.partition(">")
    if not closed:
        raise ValidationError(field, spec, "the e-mail address has no closing >")
    if ";" in before:
        raise ValidationError(
            field, spec, "options (;phone=, ;moderator, ;call) go after the <email>"
        )
    rest = rest.strip()
    if rest and not rest.startswith(";"):
        raise ValidationError(field, spec, f"unexpected text after the <email>: {rest!r}")
    return f"{before.strip()} <{address}>", rest[1:]


def _parse_options(text: str, spec: str, field: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, has_value, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key not in _OPTIONS:
            raise ValidationError(
                field, spec, f"unknown option {key!r} (known: ;phone=NUMBER, ;moderator, ;call)"
            )
        if key in options:
            raise ValidationError(field, spec, f";{key} is given twice")
        if key == "phone" and not value:
            raise ValidationError(field, spec, ";phone= needs a number")
        if key != "phone" and has_value:
            raise ValidationError(field, spec, f";{key} takes no value")
        options[key] = value
    return options


def _name_and_email(head: str, spec: str, field: str) -> tuple[str | None, str | None]:
    if head.endswith(">"):
        name_text, _, address = head[:-1].partition("<")
        name = name_text.strip().strip('"').strip() or None
        return _checked_name(name, spec, field), validate_email(address, field)
    if "@" in head:
        return None, validate_email(head, field)
    if not head:
        raise ValidationError(field, spec, "name or e-mail address is missing")
    return _checked_name(head, spec, field), None


def _checked_name(name: str | None, spec: str, field: str) -> str | None:
    return None if name is None else validate_name(name, field, spec)


def _phone(value: str | None, spec: str, field: str, phonebook: PhoneBook | None) -> str | None:
    if value is None:
        return None
    if phonebook is not None and any(char.isalpha() for char in value):
        entry = phonebook.lookup(value)
        if entry is None:
            raise ValidationError(field, spec, f"no phone book entry named {value!r}")
        if entry.number is None:
            raise ValidationError(field, spec, f"the phone book entry {entry.name!r} has no number")
        return entry.number
    return normalise_phone(value, field)


@dataclass(frozen=True)
class Duplicate:
    """Participant number `index` of a list has an address or number an earlier one has."""

    index: int
    problem: str


def first_duplicate(participants: Sequence[Participant]) -> Duplicate | None:
    """The first participant whose e-mail address (in any case) or phone number is already
    taken by an earlier one; None when everyone differs. The caller names the field and
    the SPEC the user typed for it."""
    emails: dict[str, Participant] = {}
    phones: dict[str, Participant] = {}
    for index, participant in enumerate(participants):
        if participant.email:
            key = participant.email.casefold()
            if key in emails:
                return Duplicate(
                    index,
                    f"e-mail address given twice ({emails[key].name!r} and {participant.name!r})",
                )
            emails[key] = participant
        if participant.phone:
            if participant.phone in phones:
                earlier = phones[participant.phone].name
                return Duplicate(
                    index, f"phone number given twice ({earlier!r} and {participant.name!r})"
                )
            phones[participant.phone] = participant
    return None


def format_spec(participant: Participant) -> str:
    """The SPEC that `parse_spec` reads back as this participant (e.g. to remember it)."""
    head = f"{participant.name} <{participant.email}>" if participant.email else participant.name
    options = [f"phone={participant.phone}"] if participant.phone else []
    if participant.role is Role.MODERATOR:
        options.append("moderator")
    if participant.call:
        options.append("call")
    return ";".join([head, *options])
