"""Configuration: embedded defaults, and every kind of bad value named by its key path."""

from pathlib import Path

import pytest

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
    assert config.numbers.internal == "3000"


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
    ("text", "field", "problem"),
    [
        ("freeswitch:\n  esl: {port: 70000}\n", "freeswitch.esl.port", "between 1 and 65535"),
        ("web: {port: 0}\n", "web.port", "between 1 and 65535"),
        ("freeswitch:\n  esl: {prot: 8021}\n", "freeswitch.esl.prot", "unknown key"),
        ("nosuchkey: 1\n", "nosuchkey", "unknown key"),
        ("pins: {guest_length: eight}\n", "pins.guest_length", "whole number"),
        ("conference: {start_muted: 'yes'}\n", "conference.start_muted", "true or false"),
        ("numbers: {external: '+49 30 abc'}\n", "numbers.external", "digits"),
        ("numbers: {external: +4930555000}\n", "numbers.external", "quotes"),
        ("numbers: {internal: '30x0'}\n", "numbers.internal", "digits"),
        ("templates_dir: /no/such/folder\n", "templates_dir", "does not exist"),
        ("mail: {transport: pigeon}\n", "mail.transport", "one of folder, smtp"),
        ("mail:\n  smtp: {security: ssl}\n", "mail.smtp.security", "one of"),
        ("language: fr\n", "language", "one of en, de"),
        ("freeswitch: {dial_string: 'sofia/gateway/x'}\n", "freeswitch.dial_string", "{number}"),
        ("conference: {timezone: Mars/Olympus}\n", "conference.timezone", "time zone"),
        ("pins: {guest_length: 3}\n", "pins.guest_length", "at least 4"),
        ("conference: {lead_minutes: -5}\n", "conference.lead_minutes", "at least 0"),
        ("freeswitch: [1, 2]\n", "freeswitch", "mapping"),
        ("ivr:\n  prompts: {pin: 5}\n", "ivr.prompts", "mapping of names to strings"),
        ("ivr:\n  prompts: {no_such_prompt: x.wav}\n", "ivr.prompts.no_such_prompt", ""),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, field: str, problem: str) -> None:
    with pytest.raises(ValidationError) as err:
        load_config(write(tmp_path, text))
    assert err.value.field == field
    assert problem in str(err.value)


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
