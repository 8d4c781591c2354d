"""originate's argument splitting follows switch_separate_string (switch_utils.c)."""

import pytest

from fs_conf.sim.originate import _split_args


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
    ],
)
def test_words_split_like_freeswitch(text: str, words: list[str]) -> None:
    assert _split_args(text) == words
