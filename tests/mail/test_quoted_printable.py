"""Quoted-printable bodies: byte for byte what the email package's encoder writes."""

from __future__ import annotations

from email import quoprimime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fs_conf.mail import quoted_printable

# Bodies as message.py hands them over: UTF-8 read as Latin-1, so every character is below
# 256; `=`, spaces and tabs (at line ends too), line breaks and long lines made likely.
BODY = st.lists(
    st.one_of(
        st.characters(max_codepoint=0xFF),
        st.sampled_from(
            ["=", " ", "\t", "\n", "\r\n", "=" * 3, "a" * 80, "ä".encode().decode("latin-1")]
        ),
    ),
    max_size=300,
).map("".join)


@settings(max_examples=500)
@given(BODY, st.sampled_from([4, 5, 6, 76, 78]), st.sampled_from(["\n", "\r\n"]))
@example("", 78, "\r\n")
@example("x" * 76 + " \n", 78, "\r\n")
@example("x" * 77 + "\t\n", 78, "\r\n")
@example("x" * 75 + "=y", 78, "\r\n")
@example("line with a trailing space \nnext\n", 78, "\r\n")
def test_body_encode_equals_the_email_package(body: str, width: int, eol: str) -> None:
    assert quoted_printable.body_encode(body, width, eol) == quoprimime.body_encode(
        body, width, eol
    )
