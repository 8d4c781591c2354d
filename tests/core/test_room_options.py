"""The room options are defined once, as the fields of fs_conf.model.RoomOptions: every place
that names them (flags, config keys, JSON, `conference show`, the requests) knows each one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fs_conf.cli.main import build_parser, main
from fs_conf.cli.present import conference_json, format_options
from fs_conf.config import load_config
from fs_conf.errors import ValidationError
from fs_conf.model import ROOM_OPTIONS, Conference, Count, RoomOptionChoices, RoomOptions

NAMES = [option.name for option in dataclasses.fields(RoomOptions)]
NOW = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
COMMANDS = {
    "create": ["conference", "create", "--title", "T", "--start", "now", "--duration", "30"],
    "update": ["conference", "update", "1"],
}


def on(name: str) -> bool | int:
    """A value that turns the option on: a switch's True, a count above 0."""
    return 7 if isinstance(ROOM_OPTIONS[name], Count) else True


def test_every_option_is_described() -> None:
    assert sorted(ROOM_OPTIONS) == sorted(NAMES)


def test_the_choices_are_the_options_none_meaning_not_chosen() -> None:
    choices = dataclasses.fields(RoomOptionChoices)
    assert [choice.name for choice in choices] == NAMES
    assert all(choice.default is None and choice.kw_only for choice in choices)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", NAMES)
def test_every_option_has_a_flag_pair(command: str, name: str) -> None:
    parser, typed = build_parser(), COMMANDS[command]
    flag = name.replace("_", "-")
    value = on(name)
    given = [f"--{flag}"] if value is True else [f"--{flag}", str(value)]
    assert getattr(parser.parse_args([*typed, *given]), name) == value
    off = getattr(parser.parse_args([*typed, f"--no-{flag}"]), name)
    assert off is not None and not off
    assert getattr(parser.parse_args(typed), name) is None


@pytest.mark.parametrize("name", [name for name in NAMES if isinstance(ROOM_OPTIONS[name], Count)])
def test_a_negative_count_is_refused_naming_its_flag(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    flag = "--" + name.replace("_", "-")
    assert main([*COMMANDS["update"], flag, "-1"]) == 2
    assert capsys.readouterr().err.startswith(f"fs-conf: {flag}: must be 0 (")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", NAMES)
def test_every_option_is_a_config_key(name: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    value = on(name)
    path.write_text(f"conference:\n  {name}: {str(value).lower()}\n")
    assert getattr(load_config(path).conference, name) == value
    about = ROOM_OPTIONS[name]
    if isinstance(about, Count):
        path.write_text(f"conference:\n  {name}: {about.most + 1}\n")
        with pytest.raises(ValidationError) as err:
            load_config(path)
        assert err.value.field == f"conference.{name}"


def test_every_option_is_a_json_key() -> None:
    options = RoomOptions(**{name: on(name) for name in NAMES})
    conference = Conference(
        title="T",
        start=NOW,
        timezone="UTC",
        duration=timedelta(minutes=30),
        number="3400",
        guest_pin="123456789",
        moderator_pin="1234567890",
        uid="u@fs_conf",
        options=options,
    )
    assert conference_json(conference, NOW)["options"] == {name: on(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_conference_show_names_every_option_that_is_on(name: str) -> None:
    assert format_options(RoomOptions()) == "no special options"
    shown = format_options(RoomOptions(**{name: on(name)}))
    assert shown == ROOM_OPTIONS[name].shown.format(on(name))
    assert shown != "no special options"
