"""Voice prompts: names, defaults, the admin's overrides and their validation."""

from __future__ import annotations

import pytest

from fs_conf.errors import ValidationError
from fs_conf.prompts import DEFAULTS, PROMPTS, Prompts, check_overrides

from .conftest import GUEST_PIN, Bridge, BridgeFactory


def test_every_prompt_has_a_unique_name_and_a_callie_or_tone_default() -> None:
    names = [spec.name for spec in PROMPTS]
    assert len(names) == len(set(names))
    for spec in PROMPTS:
        assert spec.default.startswith(("conference/", "ivr/", "tone_stream://")), spec
        assert spec.heard


def test_the_standard_freeswitch_prompts_are_the_defaults() -> None:
    prompts = Prompts()
    assert prompts["pin"] == "conference/conf-pin.wav"
    assert prompts["bad_pin"] == "conference/conf-bad-pin.wav"
    assert prompts["goodbye"] == "conference/conf-goodbye.wav"
    assert prompts.file("alone") == "conference/conf-alone.wav"


def test_an_override_replaces_one_prompt_only() -> None:
    prompts = Prompts({"pin": "/srv/sounds/enter-pin.wav"})
    assert prompts["pin"] == "/srv/sounds/enter-pin.wav"
    assert prompts["bad_pin"] == DEFAULTS["bad_pin"]


def test_an_unknown_prompt_name_is_an_error_naming_the_key() -> None:
    with pytest.raises(ValidationError) as error:
        check_overrides({"pin": "a.wav", "wellcome": "b.wav"})
    assert error.value.field == "ivr.prompts.wellcome"
    assert "unknown prompt" in str(error.value) and "welcome" in str(error.value)


@pytest.mark.parametrize("file", ["", "my prompt.wav"])
def test_an_unusable_file_is_an_error_naming_the_key(file: str) -> None:
    with pytest.raises(ValidationError) as error:
        Prompts({"goodbye": file})
    assert error.value.field == "ivr.prompts.goodbye"


def test_asking_for_an_unknown_prompt_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no prompt named 'nope'"):
        Prompts().file("nope")


def test_callers_hear_the_overridden_prompts(bridge_factory: BridgeFactory) -> None:
    bridge: Bridge = bridge_factory(
        ivr={"prompts": {"welcome": "custom/hello.wav", "pin": "custom/your-pin.wav"}}
    )
    bridge.conference()
    call = bridge.call()
    call.wait_heard("custom/your-pin.wav")
    call.press(GUEST_PIN + "#")
    bridge.member(call)
    assert call.heard[:2] == ["custom/hello.wav", "custom/your-pin.wav"]
