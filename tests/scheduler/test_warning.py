"""What the room hears before the end: callie's recordings for "less than N minutes"."""

from __future__ import annotations

import pytest

from fs_conf.prompts import Prompts
from fs_conf.scheduler.actions import number_files, warning_files


@pytest.mark.parametrize(
    ("number", "files"),
    [
        (0, ["digits/0.wav"]),
        (5, ["digits/5.wav"]),
        (13, ["digits/13.wav"]),
        (20, ["digits/20.wav"]),
        (45, ["digits/40.wav", "digits/5.wav"]),
        (105, ["digits/1.wav", "digits/hundred.wav", "digits/5.wav"]),
        (2016, ["digits/2.wav", "digits/thousand.wav", "digits/16.wav"]),
    ],
)
def test_numbers_are_said_in_groups_as_mod_say_en_does(number: int, files: list[str]) -> None:
    assert number_files(number) == files


def test_the_built_in_warning_says_less_than_n_minutes() -> None:
    assert warning_files(Prompts(), 5) == [
        "ivr/ivr-less_than.wav",
        "digits/5.wav",
        "time/minutes.wav",
    ]
    assert warning_files(Prompts(), 1) == [
        "ivr/ivr-less_than.wav",
        "digits/1.wav",
        "time/minute.wav",
    ]


def test_an_admins_own_warning_is_played_alone() -> None:
    prompts = Prompts({"ending_soon": "/srv/sounds/five-minutes-left.wav"})
    assert warning_files(prompts, 5) == ["/srv/sounds/five-minutes-left.wav"]
