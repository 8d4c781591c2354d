"""The header shortcuts write byte for byte what the email package's folding writes."""

from __future__ import annotations

import sys
from email.headerregistry import Address

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fs_conf.mail import headers
from fs_conf.mail.message import message_id

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
WORDS = st.lists(st.text("abcXYZ019-'", min_size=1, max_size=12), max_size=9).map(" ".join)
LOCAL = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9_+-]{1,8}){0,2}", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z0-9]{1,20}(-[a-z0-9]{1,5})?(\.[a-z]{2,10}){0,3}", fullmatch=True)


@settings(max_examples=400)
@given(st.one_of(TEXT, WORDS))
@example("x" * 69)  # "Subject: " + 69 characters: exactly the longest line
@example("x" * 70)
@example(" leading and trailing ")
@example("")
def test_unstructured_equals_the_folded_header(text: str) -> None:
    assert headers.unstructured("Subject", text) == headers.folded("Subject", text)


@settings(max_examples=400)
@given(st.one_of(TEXT, WORDS), LOCAL, DOMAIN)
@example("Jürgen Weiß, Jr.", "jo", "xn--bcher-kva.example")
@example('Back\\slash "quoted"', "a", "b.example")
@example("", "only", "address.example")
def test_address_equals_the_folded_header(name: str, local: str, domain: str) -> None:
    address = Address(display_name=" ".join(name.split()), username=local, domain=domain)
    assert headers.address("To", address) == headers.folded("To", address)


@settings(max_examples=300)
@given(st.text("0123456789abcdef", min_size=1, max_size=40), st.one_of(DOMAIN, SENDER_DOMAIN))
@example("0" * 32, "a" * 40 + ".example")
def test_message_id_equals_the_folded_header(digits: str, domain: str) -> None:
    value = f"<{digits}@{domain}>"
    assert headers.message_id("Message-ID", value) == headers.folded("Message-ID", value)


@given(st.text(min_size=1, max_size=60), st.sampled_from(["pbx.example.com", "localhost"]))
def test_message_ids_fs_conf_writes_take_the_shortcut_unchanged(key: str, domain: str) -> None:
    value = message_id(key, f"Bridge <bridge@{domain}>")
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
