"""The keypad table, key parsing and `ivr.keypad` overrides; room names (all pure)."""

from __future__ import annotations

import pytest

from fs_conf.errors import ValidationError
from fs_conf.ivr.room_names import parse_room_name, room_name
from fs_conf.keypad import (
    DEFAULT_KEYS,
    KeypadAction,
    keypad_from_config,
    parse_key,
)


def test_defaults_are_the_keys_of_the_design() -> None:
    keypad = keypad_from_config({})
    assert keypad.bindings() == [
        ("*1", KeypadAction.MUTE_ALL),
        ("*2", KeypadAction.UNMUTE_ALL),
        ("*3", KeypadAction.LOCK),
        ("*4", KeypadAction.KICK_LAST),
        ("*6", KeypadAction.EXTEND),
        ("*8", KeypadAction.RECORD),
        ("*9", KeypadAction.END),
    ]
    assert keypad.action_for("*9") is KeypadAction.END
    assert keypad.action_for("*5") is None
    assert keypad.action_for("0") is None


def test_override_moves_one_key_and_keeps_the_others() -> None:
    keypad = keypad_from_config({"end": "*#9", "mute_all": "11"})
    assert keypad.key_for(KeypadAction.END) == "*#9"
    assert keypad.action_for("11") is KeypadAction.MUTE_ALL
    assert keypad.action_for("*9") is None
    assert keypad.key_for(KeypadAction.LOCK) == "*3"


def test_defaults_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        DEFAULT_KEYS[KeypadAction.END] = "1"  # type: ignore[index]


def test_unknown_action_is_named() -> None:
    with pytest.raises(ValidationError) as error:
        keypad_from_config({"mute_everyone": "*1"})
    assert error.value.field == "ivr.keypad.mute_everyone"
    assert "unknown keypad action" in str(error.value)
    assert "mute_all" in str(error.value)


@pytest.mark.parametrize("key", ["", "*a", "1 2", "A", "*1\n", 12, None])
def test_key_that_is_not_dtmf_is_refused(key: object) -> None:
    with pytest.raises(ValidationError) as error:
        keypad_from_config({"lock": key})
    assert error.value.field == "ivr.keypad.lock"
    assert error.value.value == key


def test_hash_alone_is_refused_as_it_ends_every_pin() -> None:
    with pytest.raises(ValidationError) as error:
        parse_key("#", "ivr.keypad.end")
    assert "PIN" in str(error.value)


def test_duplicate_key_names_the_overridden_action() -> None:
    with pytest.raises(ValidationError) as error:
        keypad_from_config({"record": "*9"})
    assert error.value.field == "ivr.keypad.record"
    assert "already used for end" in str(error.value)


def test_self_mute_key_is_taken() -> None:
    with pytest.raises(ValidationError) as error:
        keypad_from_config({"lock": "0"})
    assert error.value.field == "ivr.keypad.lock"
    assert "self mute" in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lock": "*"}, "ivr.keypad.lock"),
        ({"extend": "*66", "lock": "*6"}, "ivr.keypad.extend"),
        ({"end": "01"}, "ivr.keypad.end"),
    ],
)
def test_key_that_begins_another_is_refused(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        keypad_from_config(overrides)
    assert error.value.field == field
    assert "beginning of another" in str(error.value)


def test_swapping_two_keys_is_allowed() -> None:
    keypad = keypad_from_config({"mute_all": "*2", "unmute_all": "*1"})
    assert keypad.action_for("*1") is KeypadAction.UNMUTE_ALL
    assert keypad.action_for("*2") is KeypadAction.MUTE_ALL


def test_room_names_round_trip() -> None:
    assert room_name(7) == "fs_conf-7"
    assert parse_room_name("fs_conf-7") == 7


@pytest.mark.parametrize(
    "name", ["fs_conf-", "fs_conf-0", "fs_conf-07", "fs_conf-7@fs_conf", "test", "fs_conf-x"]
)
def test_other_rooms_are_not_ours(name: str) -> None:
    assert parse_room_name(name) is None


@pytest.mark.parametrize("conference_id", [0, -1, True, "7"])
def test_room_name_refuses_what_is_not_an_id(conference_id: object) -> None:
    with pytest.raises(ValueError):
        room_name(conference_id)  # type: ignore[arg-type]
