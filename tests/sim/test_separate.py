"""Application data split like switch_separate_string (switch_utils.c)."""

import pytest

from fs_conf.sim.separate import separate


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "{a=1}sim/1003 '&socket(127.0.0.1:8084 async full)'",
            ["{a=1}sim/1003", "&socket(127.0.0.1:8084 async full)"],
        ),
        (
            "{a=1}sim/1003 &socket(127.0.0.1:8084 async full)",
            ["{a=1}sim/1003", "&socket(127.0.0.1:8084", "async", "full)"],
        ),
        ("loopback/3000/default   &park()", ["loopback/3000/default", "&park()"]),
        ("x 3000 XML default 'Jo Doe' 1001", ["x", "3000", "XML", "default", "Jo Doe", "1001"]),
        ("x it\\'s", ["x", "it's"]),
        ("x don't", ["x", "don't"]),
        # a backslash only escapes quotes, backslashes, the delimiter and n r t s
        ("1 4 pin \\d+ a\\sb", ["1", "4", "pin", "\\d+", "a b"]),
        ("  x   y  ", ["x", "y"]),
        ("", []),
    ],
)
def test_blank_delimited_words(text: str, words: list[str]) -> None:
    assert separate(text) == words


def test_other_delimiters_keep_empty_words_and_quote_only_in_pairs() -> None:
    assert separate("a,'b,c',,d", ",") == ["a", "b,c", "", "d"]
    assert separate("^^:a:b::c") == ["a", "b", "", "c"]


def test_a_limit_drops_what_follows_the_last_word() -> None:
    assert separate("1 2 3 4", limit=2) == ["1", "2"]
    assert separate("1 '2 3' 4", limit=2) == ["1", "2 3"]
