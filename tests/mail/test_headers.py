"""The header shortcuts write byte for byte what the email package's folding writes, and
text that needs encoded-words reads back as it was given, in words of at most 75 characters."""

from __future__ import annotations

import re
import sys
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from fs_conf.mail import headers
from fs_conf.mail.message import message_id, one_line

from .conftest import display_name

# Printable ASCII with the characters the parsers and folders treat specially made likely,
# some non-ASCII, tabs and encoded-word starts; lengths around one line and beyond.
SPECIAL = list(' \t"\\()<>@,;:.[]=?') + ["=?", "=?utf-8?q?x?=", "ü", "–", "日"]
TEXT = st.lists(
    st.one_of(st.characters(min_codepoint=0x21, max_codepoint=0x7E), st.sampled_from(SPECIAL)),
    max_size=90,
).map("".join)
SENDER_DOMAIN = st.one_of(
    st.from_regex(
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,30}(\.[A-Za-z0-9-]{1,30}){0,3}", fullmatch=True
    ),
    st.from_regex(r"\[[0-9]{1,3}(\.[0-9]{1,3}){3}\]", fullmatch=True),
)
"""Domains of a sender address as `parse_address` gives them (ASCII: IDNA applied)."""
UNQUOTED = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")
"""Display names of atoms and spaces (RFC 5322 atext), which need no quotes."""
ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bqBQ]\?[^?\s]*\?=")
WORDS = st.lists(st.text("abcXYZ019-'", min_size=1, max_size=12), max_size=9).map(" ".join)
LOCAL = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9_+-]{1,8}){0,2}", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z0-9]{1,20}(-[a-z0-9]{1,5})?(\.[a-z]{2,10}){0,3}", fullmatch=True)


def written_plainly(text: str, line: bytes) -> bool:
    """Text the email package writes without encoded-words (ASCII without `=?`); fs_conf then
    writes what it writes."""
    return text.isascii() and "=?" not in text and b"=?" not in line


def encoded_word_lengths(line: bytes) -> list[int]:
    return [len(word) for word in ENCODED_WORD.findall(line)]


@settings(max_examples=400)
@given(st.one_of(TEXT, WORDS))
@example("x" * 69)  # "Subject: " + 69 characters: exactly the longest line
@example("x" * 70)
@example(" leading and trailing ")
@example("")
@example("tab\tinside")
def test_unstructured_equals_the_folded_header_when_that_needs_no_encoded_word(
    text: str,
) -> None:
    expected = headers.folded("Subject", text)
    assume(written_plainly(text, expected))
    assert headers.unstructured("Subject", text) == expected


@settings(max_examples=400)
@given(st.one_of(TEXT, WORDS, st.text(max_size=120)).map(one_line))
@example("x =?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?= y")
@example("ü" * 100)
@example("Einladung: Überprüfung der Jahresplanung für das nächste Geschäftsjahr mit allen")
@example("x" * 200)
def test_unstructured_reads_back_as_the_text_in_words_of_at_most_75(text: str) -> None:
    line = headers.unstructured("Subject", text)
    message = message_from_bytes(line + b"\r\n", policy=policy.default)
    assert list(message.keys()) == ["Subject"]
    # A first word too long for the first line goes onto the next, behind the fold's space,
    # which the email package's reader keeps (mail programs drop it).
    assert str(message["Subject"]).lstrip(" ") == text
    assert all(length <= 75 for length in encoded_word_lengths(line))
    if "=?" in text or not text.isascii():
        assert all(len(row) <= headers.LINE_LENGTH for row in line.split(b"\r\n"))


@settings(max_examples=400)
@given(st.one_of(TEXT, WORDS), LOCAL, DOMAIN)
@example("Jürgen Weiß, Jr.", "jo", "xn--bcher-kva.example")
@example('Back\\slash "quoted"', "a", "b.example")
@example("", "only", "address.example")
def test_address_equals_the_folded_header_when_that_keeps_the_name(
    name: str, local: str, domain: str
) -> None:
    """On one line, or folded when the name needs no quotes (the policy drops them)."""
    address = Address(display_name=" ".join(name.split()), username=local, domain=domain)
    expected = headers.folded("To", address)
    assume(written_plainly(address.display_name, expected))
    fits = len(f"To: {address}") <= headers.LINE_LENGTH
    assume(fits or UNQUOTED.fullmatch(address.display_name))
    assert headers.address("To", address) == expected


@settings(max_examples=400)
@given(st.one_of(TEXT, WORDS, st.text(max_size=120)).map(one_line), LOCAL, DOMAIN)
@example("=?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?=", "eve", "example.com")
@example("Jürgen Müller-Lüdenscheidt von und zu Großherzogtum Baden-Württemberg", "j", "x.de")
@example("Ünïcode, with comma <and@brackets>", "u", "example.org")
@example("Doe, John " + "x" * 75, "paul", "example.com")
@example("evil@example.org, " + "y" * 70, "paul", "example.com")
@example('Back\\slash "quoted"' + " z" * 40, "paul", "example.com")
def test_an_address_reads_back_with_the_name_as_given(name: str, local: str, domain: str) -> None:
    line = headers.address("To", Address(display_name=name, username=local, domain=domain))
    message = message_from_bytes(line + b"\r\n", policy=policy.default)
    assert list(message.keys()) == ["To"]
    [address] = message["To"].addresses
    assert address.addr_spec == f"{local}@{domain}"
    assert display_name(dict(message.raw_items())["To"]) == name
    assert all(length <= 75 for length in encoded_word_lengths(line))


@settings(max_examples=300)
@given(st.text("0123456789abcdef", min_size=1, max_size=40), st.one_of(DOMAIN, SENDER_DOMAIN))
@example("0" * 32, "a" * 40 + ".example")
def test_message_id_equals_the_folded_header(digits: str, domain: str) -> None:
    value = f"<{digits}@{domain}>"
    assert headers.message_id("Message-ID", value) == headers.folded("Message-ID", value)


@given(
    st.text(max_size=60),
    st.text(min_size=1, max_size=60),
    st.sampled_from(["pbx.example.com", "localhost"]),
)
def test_message_ids_fs_conf_writes_take_the_shortcut_unchanged(
    uid: str, key: str, domain: str
) -> None:
    value = message_id(uid, key, f"Bridge <bridge@{domain}>")
    assert headers.message_id("Message-ID", value) == f"Message-ID: {value}\r\n".encode()
    assert headers.message_id("Message-ID", value) == headers.folded("Message-ID", value)


@pytest.mark.parametrize("subtype", ["alternative", "mixed", "related"])
@given(st.integers(min_value=0, max_value=sys.maxsize - 1))
@example(0)
@example(sys.maxsize - 1)
def test_multipart_content_type_equals_the_folded_header(subtype: str, number: int) -> None:
    boundary = headers.boundary_text(number)
    expected = headers.folded("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')
    assert headers.multipart_content_type(subtype, boundary) == expected
