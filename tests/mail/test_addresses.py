"""Address validation: the plain-form shortcut accepts exactly what the full parser accepts,
with the same result, and anything else gets the full parser's answer."""

from __future__ import annotations

from email.headerregistry import Address

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fs_conf.errors import ValidationError
from fs_conf.mail.addresses import check_address, parse_address, parse_address_fully

PLAIN_LOCAL = st.from_regex(r"[A-Za-z0-9_%+-]{1,12}(\.[A-Za-z0-9_%+-]{1,8}){0,2}", fullmatch=True)
LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,64}[A-Za-z0-9])?", fullmatch=True)
PLAIN = st.builds(
    lambda local, labels: f"{local}@{'.'.join(labels)}",
    PLAIN_LOCAL,
    st.lists(LABEL, min_size=1, max_size=4),
)
# Near misses: characters the grammar treats specially, at any place of a plain address.
NOISE = list(" \t.@<>\"'()[],;:\\=?!#~^`{|}") + ["ü", "日", "\r\n", "..", "-", "_"]
ANYTHING = st.builds(
    lambda text, position, noise: text[:position] + noise + text[position:],
    PLAIN,
    st.integers(min_value=0, max_value=40),
    st.sampled_from(NOISE),
)


def outcome(parse, text: str) -> Address | tuple[str, str]:
    try:
        return parse("participant.email", text)
    except ValidationError as exc:
        return (exc.field, exc.problem)


@settings(max_examples=500)
@given(st.one_of(PLAIN, ANYTHING, st.text(max_size=30)))
@example("a" * 64 + "@example.com")
@example("ann@" + "b" * 63 + ".example")
@example("ann@" + "b" * 64 + ".example")
@example("ann@example.com.")
@example("ann@-example.com")
@example("Ann <ann@example.com>")
@example("ann@bücher.example")
def test_parse_address_equals_the_full_parser(text: str) -> None:
    assert outcome(parse_address, text) == outcome(parse_address_fully, text)


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("mia.moderator@example.org", "mia.moderator@example.org"),
        ("Mia <mia@example.org>", "mia@example.org"),
        ("jo@bücher.example", "jo@xn--bcher-kva.example"),
    ],
)
def test_check_address_gives_the_bare_address(text: str, bare: str) -> None:
    assert check_address("reply_to", text) == bare


@pytest.mark.parametrize(
    "text",
    [
        "not an address",
        "a@b, c@d",
        "jürgen@example.com",
        "ann@example.com\nBcc: x@y",
        "<ann@",
        "ann@[",
    ],
)
def test_check_address_refuses_what_is_not_one_address(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_address("reply_to", text)
    assert caught.value.field == "reply_to"
