"""Configuration: embedded defaults, and every kind of bad value named by its key path."""

import dataclasses
import typing
from pathlib import Path

import pytest

from fs_conf.cli.main import main
from fs_conf.config import Config, config_path_from_env, load_config
from fs_conf.errors import ValidationError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fs_conf.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_embedded_defaults() -> None:
    config = load_config(None)
    assert config == Config()
    assert config.mail.transport == "folder"
    assert config.freeswitch.esl.port == 8021
    assert config.numbers.internal == "3400"


def test_values_from_file_override_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "database: /var/lib/fs_conf/db.sqlite3\n"
        "language: de\n"
        "numbers: {internal: '3001', external: '+4930555000'}\n"
        "freeswitch:\n  esl: {host: 10.0.0.5, port: 8022, password: s3cret}\n"
        "ivr:\n  prompts: {pin: custom/pin.wav}\n",
    )
    config = load_config(path)
    assert config.database == "/var/lib/fs_conf/db.sqlite3"
    assert config.language == "de"
    assert config.numbers.external == "+4930555000"
    assert config.freeswitch.esl.password == "s3cret"
    assert config.freeswitch.esl.timeout == 5.0
    assert config.ivr.prompts == {"pin": "custom/pin.wav"}
    assert config.source == str(path)


def test_empty_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == Config()


@pytest.mark.parametrize(
    ("text", "field", "value", "problem"),
    [
        (
            "freeswitch:\n  esl: {port: 70000}\n",
            "freeswitch.esl.port",
            70000,
            "between 1 and 65535",
        ),
        ("web: {port: 0}\n", "web.port", 0, "between 1 and 65535"),
        (
            "freeswitch:\n  esl: {prot: 8021}\n",
            "freeswitch.esl.prot",
            "prot",
            "unknown key; did you mean 'port'?",
        ),
        ("nosuchkey: 1\n", "nosuchkey", "nosuchkey", "unknown key"),
        ("pins: {guest_length: eight}\n", "pins.guest_length", "eight", "whole number"),
        ("conference: {start_muted: 'yes'}\n", "conference.start_muted", "yes", "true or false"),
        ("numbers: {external: '+49 30 abc'}\n", "numbers.external", "+49 30 abc", "digits"),
        ("numbers: {external: +4930555000}\n", "numbers.external", 4930555000, "quotes"),
        ("numbers: {internal: '30x0'}\n", "numbers.internal", "30x0", "digits"),
        ("templates_dir: /no/such/folder\n", "templates_dir", "/no/such/folder", "does not exist"),
        ("mail: {transport: pigeon}\n", "mail.transport", "pigeon", "one of folder, smtp"),
        ("mail:\n  smtp: {security: ssl}\n", "mail.smtp.security", "ssl", "one of"),
        ("language: fr\n", "language", "fr", "one of en, de"),
        (
            "freeswitch: {dial_string: 'sofia/gateway/x'}\n",
            "freeswitch.dial_string",
            "sofia/gateway/x",
            "{number}",
        ),
        (
            "conference: {timezone: Mars/Olympus}\n",
            "conference.timezone",
            "Mars/Olympus",
            "time zone",
        ),
        ("pins: {guest_length: 3}\n", "pins.guest_length", 3, "between 4 and 20 digits"),
        ("pins: {moderator_length: 21}\n", "pins.moderator_length", 21, "between 4 and 20 digits"),
        (
            "conference: {lead_minutes: -5}\n",
            "conference.lead_minutes",
            -5,
            "between 0 and 1440 minutes",
        ),
        ("freeswitch: [1, 2]\n", "freeswitch", [1, 2], "mapping"),
        ("ivr:\n  prompts: {pin: 5}\n", "ivr.prompts", {"pin": 5}, "mapping of names to strings"),
    ],
)
def test_bad_values_name_the_key_and_the_value(
    tmp_path: Path, text: str, field: str, value: object, problem: str
) -> None:
    with pytest.raises(ValidationError) as err:
        load_config(write(tmp_path, text))
    assert (err.value.field, err.value.value) == (field, value)
    assert problem in str(err.value)


def test_an_unknown_prompt_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        load_config(write(tmp_path, "ivr:\n  prompts: {no_such_prompt: x.wav}\n"))
    assert err.value.field == "ivr.prompts.no_such_prompt"


# Every count, duration and timeout, each just outside its range at both ends.
RANGES = {
    "freeswitch.esl.timeout": (0.1, 600),
    "mail.smtp.timeout": (0.1, 600),
    "pins.guest_length": (4, 20),
    "pins.personal_length": (4, 20),
    "pins.moderator_length": (4, 20),
    "pins.tries_per_call": (1, 10),
    "pins.lockout_failures": (1, 1000),
    "pins.lockout_window_minutes": (1, 10080),
    "conference.lead_minutes": (0, 1440),
    "conference.grace_minutes": (0, 1440),
    "conference.max_members": (0, 10000),
    "conference.extend_minutes": (1, 1440),
    "ivr.pin_timeout_seconds": (1, 300),
    "ivr.digit_timeout_seconds": (1, 60),
    "ivr.command_timeout_seconds": (1, 600),
    "mail.retry_seconds": (1, 86400),
    "mail.give_up_hours": (1, 8760),
    "scheduler.reminder_minutes": (0, 10080),
    "scheduler.warn_before_end_minutes": (0, 1440),
    "scheduler.callout_answer_seconds": (1, 600),
    "scheduler.safety_check_seconds": (1, 3600),
}


def numeric_keys(cls: type = Config, prefix: str = "") -> list[str]:
    """The key path of every number in the configuration."""
    found = []
    for item in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[item.name]
        if dataclasses.is_dataclass(hint):
            found += numeric_keys(hint, f"{prefix}{item.name}.")
        elif hint in (int, float):
            found.append(f"{prefix}{item.name}")
    return found


@pytest.mark.parametrize("key_path", numeric_keys())
def test_no_number_in_the_configuration_goes_unchecked(tmp_path: Path, key_path: str) -> None:
    for absurd in (10**9, -(10**9)):
        with pytest.raises(ValidationError) as err:
            load_config(write(tmp_path, nested(key_path, absurd)))
        assert (err.value.field, err.value.value) == (key_path, absurd)


def nested(key_path: str, value: object) -> str:
    """`a.b.c` and a value as YAML flow mappings: `a: {b: {c: value}}`."""
    *parents, leaf = key_path.split(".")
    text = f"{{{leaf}: {value}}}"
    for parent in reversed(parents[1:]):
        text = f"{{{parent}: {text}}}"
    return f"{parents[0]}: {text}\n"


@pytest.mark.parametrize("key_path", sorted(RANGES))
def test_every_count_duration_and_timeout_is_range_checked(tmp_path: Path, key_path: str) -> None:
    low, high = RANGES[key_path]
    whole = isinstance(low, int)
    for bad in (low - 1 if whole else 0, high + 1, -1):
        with pytest.raises(ValidationError) as err:
            load_config(write(tmp_path, nested(key_path, bad)))
        assert (err.value.field, err.value.value) == (key_path, bad)
        assert f"must be between {low:g} and {high:g}" in err.value.problem
    for good in (low, high):
        load_config(write(tmp_path, nested(key_path, good)))


def test_a_bad_timeout_exits_2_naming_key_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "freeswitch:\n  esl: {timeout: -1}\n")
    assert main(["--config", str(path), "conference", "list"]) == 2
    assert capsys.readouterr().err == (
        "fs-conf: freeswitch.esl.timeout: must be between 0.1 and 600 seconds (got -1)\n"
    )


def test_a_pin_length_over_20_names_the_key_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "pins: {personal_length: 25}\n")
    assert main(["--config", str(path), "conference", "list"]) == 2
    assert capsys.readouterr().err == (
        "fs-conf: pins.personal_length: must be between 4 and 20 digits (got 25)\n"
    )


def test_a_misspelt_secret_key_names_the_key_but_never_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "web: {apitoken: tok123}\nmail:\n  smtp: {passwd: hunter2}\n")
    assert main(["--config", str(path), "conference", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fs-conf: web.apitoken: unknown key; did you mean 'api_token'?")
    assert "tok123" not in err
    with pytest.raises(ValidationError) as caught:
        load_config(write(tmp_path, "mail:\n  smtp: {passwd: hunter2}\n"))
    assert caught.value.field == "mail.smtp.passwd"
    assert "did you mean 'password'?" in caught.value.problem
    assert "hunter2" not in str(caught.value)


def test_password_never_shown_in_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        load_config(write(tmp_path, "freeswitch:\n  esl: {password: [hunter2]}\n"))
    assert "hunter2" not in str(err.value)
    assert "***" in str(err.value)


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "database: x\nmail: {transport: folder\n")
    with pytest.raises(ValidationError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}:")
    assert "not valid YAML" in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read config file"):
        load_config(tmp_path / "missing.yaml")


def test_config_path_from_flag_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FS_CONF_CONFIG", "/etc/fs_conf.yaml")
    assert config_path_from_env("/tmp/x.yaml") == "/tmp/x.yaml"
    assert config_path_from_env(None) == "/etc/fs_conf.yaml"
    monkeypatch.delenv("FS_CONF_CONFIG")
    assert config_path_from_env(None) is None


def test_keypad_overrides_are_checked_at_load(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        load_config(write(tmp_path, "ivr:\n  keypad: {mute_everyone: '*1'}\n"))
    assert err.value.field.startswith("ivr.keypad")
    with pytest.raises(ValidationError) as err:
        load_config(write(tmp_path, "ivr:\n  keypad: {lock: '*x'}\n"))
    assert err.value.field == "ivr.keypad.lock"
