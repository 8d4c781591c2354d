"""SPEC parsing, phone numbers, e-mail addresses and duplicates."""

from __future__ import annotations

import pytest

from fs_conf.errors import ValidationError
from fs_conf.model import Participant, Role
from fs_conf.participants import (
    first_duplicate,
    format_spec,
    normalise_phone,
    parse_spec,
    validate_email,
)
from fs_conf.phonebook import Entry, PhoneBook

BOOK = PhoneBook(
    [
        Entry("Ann Lee", ("+49301234567",), "ann@example.org", "book:1"),
        Entry("Reception", ("100",), None, "book:2"),
        Entry("Mail Only", (), "mail.only@example.org", "book:3"),
    ]
)


# --- phone numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "number"),
    [
        ("+49 30 1234-567", "+49301234567"),
        ("+49 (0)30 1234567", "+49301234567"),
        ("(030) 123.45.67", "0301234567"),
        ("030/1234567", "0301234567"),
        ("  2001  ", "2001"),
        ("+1\u00a0555\u00a0010\u00a02000", "+15550102000"),
        ("0049 30 1234567", "00493012345 67".replace(" ", "")),
    ],
)
def test_normalise_phone(given: str, number: str) -> None:
    assert normalise_phone(given) == number


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("abc", "letters in phone number"),
        ("1-800-FLOWERS", "letters in phone number"),
        ("", "phone number is empty"),
        ("   ", "phone number is empty"),
        ("+", "not a phone number"),
        ("49+30", "not a phone number"),
        ("*97", "not a phone number"),
        ("123#", "not a phone number"),
        ("1" * 21, "more than 20 digits"),
    ],
)
def test_normalise_phone_rejects(given: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_phone(given, "--phone")
    assert caught.value.field == "--phone"
    assert problem in caught.value.problem
    assert str(caught.value).startswith("--phone: ")


# --- e-mail ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.org",
        "ann.lee+conf@mail.example.co.uk",
        "o'brien@example.ie",
        " jörg@müller.de ",
        "a@b-c.example",
    ],
)
def test_validate_email_accepts(address: str) -> None:
    assert validate_email(address) == address.strip()


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", "empty"),
        ("ann@example", "domain with a dot"),
        ("ann@@example.org", "exactly one @"),
        ("ann@bob@example.org", "exactly one @"),
        ("ann.example.org", "exactly one @"),
        ("ann lee@example.org", "spaces or line breaks"),
        ("ann@example.org\nBcc: all@example.org", "spaces or line breaks"),
        ("<ann@example.org>", "< or >"),
        ("@example.org", "mailbox name"),
        ("ann.@example.org", "mailbox name"),
        ("ann,bob@example.org", "mailbox name"),
        ("ann@.example.org", "domain with a dot"),
        ("ann@example..org", "domain with a dot"),
        ("ann@example.org.", "domain with a dot"),
    ],
)
def test_validate_email_rejects(address: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_email(address, "--reply-to")
    assert caught.value.field == "--reply-to"
    assert problem in caught.value.problem


# --- SPEC ----------------------------------------------------------------------------------------------


def test_full_spec() -> None:
    participant = parse_spec("Ann Lee <ann@example.org>;phone=+49 30 1234-567;moderator;call")
    assert participant == Participant(
        name="Ann Lee",
        email="ann@example.org",
        phone="+49301234567",
        role=Role.MODERATOR,
        call=True,
    )


@pytest.mark.parametrize(
    ("spec", "name", "email", "phone", "role", "call"),
    [
        ("Ann Lee <ann@example.org>", "Ann Lee", "ann@example.org", None, Role.PARTICIPANT, False),
        (
            '"Lee, Ann" <ann@example.org>',
            "Lee, Ann",
            "ann@example.org",
            None,
            Role.PARTICIPANT,
            False,
        ),
        (
            "  Ann Lee   <ann@example.org> ; MODERATOR ; Phone = 2001 ",
            "Ann Lee",
            "ann@example.org",
            "2001",
            Role.MODERATOR,
            False,
        ),
        ("Ann Lee <ann@example.org>;", "Ann Lee", "ann@example.org", None, Role.PARTICIPANT, False),
        ("<ann@example.org>", "ann@example.org", "ann@example.org", None, Role.PARTICIPANT, False),
        ("ann@example.org", "ann@example.org", "ann@example.org", None, Role.PARTICIPANT, False),
        (
            "ann@example.org;call;phone=2001",
            "ann@example.org",
            "ann@example.org",
            "2001",
            Role.PARTICIPANT,
            True,
        ),
        ("Night desk;phone=2001;call", "Night desk", None, "2001", Role.PARTICIPANT, True),
    ],
)
def test_spec_forms(
    spec: str, name: str, email: str | None, phone: str | None, role: Role, call: bool
) -> None:
    participant = parse_spec(spec)
    assert (
        participant.name,
        participant.email,
        participant.phone,
        participant.role,
        participant.call,
    ) == (name, email, phone, role, call)
    assert participant.pin == ""


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "participant is empty"),
        ("Ann Lee", "give an e-mail address"),
        ("Ann Lee;moderator", "give an e-mail address"),
        ("Ann Lee <ann@example.org", "no closing >"),
        ("Ann Lee <ann@example.org> boss", "unexpected text after the <email>"),
        ("Ann;moderator <ann@example.org>", "go after the <email>"),
        ("Ann Lee <ann@example>", "domain with a dot"),
        ("Ann Lee <ann@example.org>;vip", "unknown option 'vip'"),
        ("Ann Lee <ann@example.org>;phone=", ";phone= needs a number"),
        ("Ann Lee <ann@example.org>;moderator=yes", ";moderator takes no value"),
        ("Ann Lee <ann@example.org>;call;call", ";call is given twice"),
        ("Ann Lee <ann@example.org>;phone=abc", "letters in phone number"),
        ("Ann Lee <ann@example.org>;call", ";call needs a phone number"),
        ("Ann <Lee> <ann@example.org>", "unexpected text after the <email>"),
        ('Ann "Boss" Lee <ann@example.org>', "must not contain"),
        ("Ann Lee <ann@example.org>\n;moderator", "on one line"),
        (";phone=2001", "name or e-mail address is missing"),
    ],
)
def test_spec_errors_name_field_and_value(spec: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_spec(spec, "--participant")
    assert caught.value.field == "--participant"
    assert problem in caught.value.problem


def test_phone_error_names_the_number() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_spec("Ann Lee <ann@example.org>;phone=12ab")
    assert str(caught.value) == "--participant: letters in phone number (got '12ab')"


# --- with a phone book -----------------------------------------------------------------------------------


def test_name_alone_is_resolved_by_the_phone_book() -> None:
    participant = parse_spec("ann lee;moderator;call", phonebook=BOOK)
    assert (
        participant.name,
        participant.email,
        participant.phone,
        participant.role,
        participant.call,
    ) == ("Ann Lee", "ann@example.org", "+49301234567", Role.MODERATOR, True)


def test_bare_address_takes_name_and_number_from_the_phone_book() -> None:
    participant = parse_spec("ann@example.org", phonebook=BOOK)
    assert (participant.name, participant.phone) == ("Ann Lee", "+49301234567")


def test_phone_may_name_an_entry() -> None:
    participant = parse_spec("Guest <guest@example.org>;phone=Reception;call", phonebook=BOOK)
    assert participant.phone == "100"
    with pytest.raises(ValidationError, match="no phone book entry named 'Kitchen'"):
        parse_spec("Guest <guest@example.org>;phone=Kitchen", phonebook=BOOK)
    with pytest.raises(ValidationError, match="'Mail Only' has no number"):
        parse_spec("Guest <guest@example.org>;phone=Mail Only", phonebook=BOOK)


def test_given_values_win_over_the_phone_book() -> None:
    participant = parse_spec("Annie <ann@example.org>;phone=2001", phonebook=BOOK)
    assert (participant.name, participant.phone) == ("Annie", "2001")


def test_name_match_with_another_address_is_not_the_same_person() -> None:
    participant = parse_spec("Ann Lee <ann.lee@other.example>", phonebook=BOOK)
    assert participant.phone is None
    with pytest.raises(ValidationError, match=";call needs a phone number"):
        parse_spec("Ann Lee <ann.lee@other.example>;call", phonebook=BOOK)


def test_unknown_name_without_contact_details() -> None:
    with pytest.raises(ValidationError, match="no phone book entry named 'Bob'"):
        parse_spec("Bob", phonebook=BOOK)
    email_only = parse_spec("Mail Only", phonebook=BOOK)
    assert (email_only.email, email_only.phone) == ("mail.only@example.org", None)


# --- duplicates ----------------------------------------------------------------------------------------


def test_first_duplicate() -> None:
    assert (
        first_duplicate(
            [
                parse_spec("Ann <ann@example.org>;phone=2001"),
                parse_spec("Bob <bob@example.org>;phone=2002"),
                parse_spec("Desk;phone=2003"),
            ]
        )
        is None
    )
    found = first_duplicate(
        [
            parse_spec("Ann <ann@example.org>"),
            parse_spec("Cy;phone=1"),
            parse_spec("Annie <ANN@example.org>"),
        ]
    )
    assert found is not None and found.index == 2
    assert "e-mail address given twice ('Ann' and 'Annie')" in found.problem
    found = first_duplicate(
        [parse_spec("Ann <ann@example.org>;phone=+49 30 1"), parse_spec("Desk;phone=+49-30-1")]
    )
    assert found is not None and found.index == 1
    assert "phone number given twice ('Ann' and 'Desk')" in found.problem


@pytest.mark.parametrize(
    "spec",
    [
        "Ann Lee <ann@example.org>;phone=+4930111;moderator;call",
        "Bob <bob@example.org>",
        "Desk;phone=1009",
        "Desk;phone=1009;call",
        "ann@example.org",
    ],
)
def test_format_spec_reads_back_as_the_same_participant(spec: str) -> None:
    participant = parse_spec(spec)
    assert parse_spec(format_spec(participant)) == participant
