"""`fs-conf` end to end: a subprocess for the main flow, `main()` in-process for every error."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fs_conf.checks.run import Check, run_checks
from fs_conf.cli.main import main
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.store import open_store

REPO = Path(__file__).resolve().parents[2]
ANN = "Ann Admin <ann@example.org>;phone=+4930111;moderator;call"
BOB = "Bob <bob@example.org>;phone=1002"
CREATE = [
    "conference", "create", "--title", "Planning", "--start", "2099-03-04T10:00",
    "--timezone", "Europe/Berlin", "--duration", "60",
]  # fmt: skip


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "fs_conf.yaml"
    path.write_text(
        f"database: {tmp_path / 'db.sqlite3'}\n"
        "numbers: {internal: '3400', external: '+4930555000'}\n"
        f"mail: {{folder: {tmp_path / 'mail'}}}\n",
        encoding="utf-8",
    )
    return path


def run(
    config_file: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fs_conf", "--config", str(config_file), *args],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TMPDIR": str(config_file.parent),
            **(env or {}),
        },
        timeout=60,
        check=False,
    )


def test_create_list_show_update_cancel_through_a_subprocess(config_file: Path) -> None:
    created = run(config_file, *CREATE, "--participant", ANN, "--participant", BOB, "--json")
    assert created.returncode == 0, created.stderr
    conference = json.loads(created.stdout)
    assert conference.pop("remembered") == {}
    assert conference["number"] == "3400"
    assert conference["external_number"] == "+4930555000"
    assert conference["start"] == conference["next_start"] == "2099-03-04T10:00:00+01:00"
    assert conference["end"] == conference["next_end"] == "2099-03-04T11:00:00+01:00"
    assert conference["sequence"] == 0
    assert [p["role"] for p in conference["participants"]] == ["moderator", "participant"]
    assert all(isinstance(p["pin"], str) for p in conference["participants"])

    listed = run(config_file, "conference", "list", "--json")
    assert json.loads(listed.stdout) == [conference]
    shown = run(config_file, "conference", "show", str(conference["id"]), "--json")
    assert json.loads(shown.stdout) == conference

    updated = run(
        config_file, "conference", "update", str(conference["id"]), "--title", "Review",
        "--add-participant", "Cy <cy@example.org>", "--remove-participant", "bob@example.org", "--json",
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    after = json.loads(updated.stdout)
    assert after["title"] == "Review"
    assert [p["name"] for p in after["participants"]] == ["Ann Admin", "Cy"]
    assert after["participants"][0]["pin"] == conference["participants"][0]["pin"]
    assert (after["guest_pin"], after["moderator_pin"]) == (
        conference["guest_pin"],
        conference["moderator_pin"],
    )

    cancelled = run(config_file, "conference", "cancel", str(conference["id"]))
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(run(config_file, "conference", "list", "--json").stdout) == []
    everything = json.loads(run(config_file, "conference", "list", "--all", "--json").stdout)
    assert [c["status"] for c in everything] == ["cancelled"]


def test_human_output_shows_numbers_and_every_pin(config_file: Path) -> None:
    result = run(config_file, *CREATE, "--participant", ANN, "--participant", BOB)
    assert result.returncode == 0, result.stderr
    with open_store(config_file.parent / "db.sqlite3") as store:
        [conference] = store.list_conferences()
    for text in ("3400", "+4930555000", conference.guest_pin, conference.moderator_pin):
        assert text in result.stdout
    for participant in conference.participants:
        assert f"PIN {participant.pin}" in result.stdout
    listed = run(config_file, "conference", "list")
    assert "Planning" in listed.stdout and str(conference.id) in listed.stdout


def test_config_comes_from_the_environment(config_file: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fs_conf", "conference", "list", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "FS_CONF_CONFIG": str(config_file)},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert (result.returncode, json.loads(result.stdout)) == (0, [])
    assert (tmp_path / "db.sqlite3").exists()


def test_a_bad_value_is_one_line_with_exit_2_through_a_subprocess(config_file: Path) -> None:
    result = run(config_file, *CREATE, "--rrule", "FREQ=SOMETIMES")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("fs-conf: --rrule: ")
    assert "(got 'FREQ=SOMETIMES')" in result.stderr


def invoke(
    capsys: pytest.CaptureFixture[str], config_file: Path, *args: str
) -> tuple[int, str, str]:
    status = main(["--config", str(config_file), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    ("extra", "flag", "value"),
    [
        (["--rrule", "FREQ=SOMETIMES"], "--rrule", "'FREQ=SOMETIMES'"),
        (["--rrule", "FREQ=WEEKLY;BYDAY=XX"], "--rrule", "'FREQ=WEEKLY;BYDAY=XX'"),
        (["--timezone", "Mars/Base"], "--timezone", "'Mars/Base'"),
        (["--start", "2001-01-01T10:00"], "--start", "'2001-01-01T10:00'"),
        (["--start", "tomorrow"], "--start", "'tomorrow'"),
        (["--duration", "0"], "--duration", "0"),
        (["--duration", "1441"], "--duration", "1441"),
        (["--duration", "an hour"], "--duration", "'an hour'"),
        (["--dial-in-before", "-5"], "--dial-in-before", "-5"),
        (["--reply-to", "nobody"], "--reply-to", "'nobody'"),
        (["--organizer", "@example.org"], "--organizer", "'@example.org'"),
        (["--participant", "Eve <eve@>"], "--participant", "'eve@'"),
        (["--participant", "Eve <eve@example.org>;phone=555-EVE"], "--participant", "'555-EVE'"),
        (
            ["--participant", BOB, "--participant", "Bobby <BOB@example.org>"],
            "--participant",
            "'Bobby <BOB@example.org>'",
        ),
        (["--max-members", "many"], "--max-members", "'many'"),
        (["--max-members", "-1"], "--max-members", "-1"),
        (["--title", ""], "--title", "''"),
    ],
)
def test_every_bad_input_is_named_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    extra: list[str],
    flag: str,
    value: str,
) -> None:
    status, out, err = invoke(capsys, config_file, *CREATE, *extra)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"fs-conf: {flag}: ")
    # the value as typed, once, at the end of the line
    assert err.endswith(f" (got {value})\n"), err
    assert err.count("(got ") == 1, err
    assert not (config_file.parent / "db.sqlite3").exists()


def test_usage_mistakes_are_one_line_with_exit_2(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    for args in (
        ["conference", "create", "--title", "x"],
        ["conference", "frobnicate"],
        [*CREATE, "--no-such-flag"],
        ["conference", "show", "abc"],
        ["conference", "update", "1"],
    ):
        status, _, err = invoke(capsys, config_file, *args)
        assert status == 2, args
        assert err.startswith("fs-conf") and err.count("\n") == 1, err


def test_a_missing_conference_exits_1(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    for args in (
        ["conference", "show", "42"],
        ["conference", "update", "42", "--title", "x"],
        ["conference", "cancel", "42"],
    ):
        status, out, err = invoke(capsys, config_file, *args)
        assert (status, out) == (1, "")
        assert err == "fs-conf: conference 42 not found\n"


@pytest.mark.parametrize(
    ("args", "flag", "value"),
    [
        (["--duration", "-1"], "--duration", "-1"),
        (["--start", "2001-01-01T10:00"], "--start", "'2001-01-01T10:00'"),
        (["--start", "2099-03-29T02:30"], "--start", "'2099-03-29T02:30'"),
        (["--rrule", "FREQ=WEEKLY;BYDAY=XX"], "--rrule", "'FREQ=WEEKLY;BYDAY=XX'"),
        (["--timezone", "Mars/Base"], "--timezone", "'Mars/Base'"),
        (
            ["--remove-participant", "ghost@example.org"],
            "--remove-participant",
            "'ghost@example.org'",
        ),
        (
            ["--add-participant", "Bob Again <bob@example.org>"],
            "--add-participant",
            "'Bob Again <bob@example.org>'",
        ),
        (["--add-participant", "Desk;phone=10-02"], "--add-participant", "'Desk;phone=10-02'"),
        (["--participant", "Cy <cy@>"], "--participant", "'cy@'"),
        (["--exdate", "2099-03-11T10:00"], "--exdate", "'2099-03-11T10:00'"),
        (["--exdate", "someday"], "--exdate", "'someday'"),
        (["--max-members", "-3"], "--max-members", "-3"),
    ],
)
def test_bad_update_names_flag_and_value_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], config_file: Path, args: list[str], flag: str, value: str
) -> None:
    _, out, _ = invoke(capsys, config_file, *CREATE, "--participant", BOB, "--json")
    before = json.loads(out)
    before.pop("remembered")
    status, out, err = invoke(capsys, config_file, "conference", "update", str(before["id"]), *args)
    assert (status, out) == (2, "")
    assert err.startswith(f"fs-conf: {flag}: ") and err.count("\n") == 1, err
    assert err.endswith(f" (got {value})\n") and err.count("(got ") == 1, err
    _, out, _ = invoke(capsys, config_file, "conference", "show", str(before["id"]), "--json")
    assert json.loads(out) == before


@pytest.mark.parametrize(
    "args",
    [
        [*CREATE[:-2], "--duration", "0"],
        [*CREATE, "--start", "2001-01-01T10:00"],
        [*CREATE, "--participant", "Eve <eve@>"],
        ["conference", "update", "1", "--duration", "0"],
        ["conference", "update", "1", "--add-participant", "Eve <eve@>"],
        ["organizer", "show", "not-an-address"],
    ],
)
def test_a_rejected_command_creates_no_database_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    database = tmp_path / "fresh" / "fs_conf.sqlite3"
    database.parent.mkdir()
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(f"database: {database}\n", encoding="utf-8")
    status, _, err = invoke(capsys, config_file, *args)
    assert status == 2, err
    assert list(database.parent.iterdir()) == []


def test_room_options_are_set_on_create_and_update_and_shown(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    status, out, err = invoke(
        capsys, config_file, *CREATE, "--announce-names", "--start-muted", "--wait-for-moderator",
        "--end-with-last-moderator", "--max-members", "8", "--json",
    )  # fmt: skip
    assert status == 0, err
    created = json.loads(out)
    assert created["options"] == {
        "start_muted": True, "wait_for_moderator": True, "end_with_last_moderator": True,
        "max_members": 8, "announce_names": True,
    }  # fmt: skip
    number = str(created["id"])
    status, out, err = invoke(
        capsys, config_file, "conference", "update", number, "--no-announce-names", "--no-start-muted",
        "--no-wait-for-moderator", "--no-end-with-last-moderator", "--no-max-members", "--json",
    )  # fmt: skip
    assert status == 0, err
    assert json.loads(out)["options"] == {
        "start_muted": False, "wait_for_moderator": False, "end_with_last_moderator": False,
        "max_members": 0, "announce_names": False,
    }  # fmt: skip
    update = ["conference", "update", number, "--announce-names", "--max-members", "4"]
    _, out, _ = invoke(capsys, config_file, *update)
    assert "Room:          names announced, at most 4 members" in out
    _, out, _ = invoke(capsys, config_file, "conference", "show", number)
    assert "Room:          names announced, at most 4 members" in out
    both = ["conference", "update", number, "--max-members", "3", "--no-max-members"]
    status, _, err = invoke(capsys, config_file, *both)
    assert status == 2 and "not allowed with argument" in err


def test_an_organizers_remembered_values_fill_the_next_conference_through_a_subprocess(
    config_file: Path,
) -> None:
    first = run(
        config_file, *CREATE, "--organizer", "Boss@Example.org", "--reply-to", "team@example.org",
        "--participant", ANN, "--participant", BOB,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "remembered" not in first.stdout
    remembered_ann = "Ann Admin <ann@example.org>;phone=+4930111;moderator;call"

    shown = run(config_file, "organizer", "show", "boss@example.org", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "organizer": "boss@example.org", "reply_to": "team@example.org", "first_invitee": remembered_ann,
    }  # fmt: skip
    human = run(config_file, "organizer", "show", "boss@example.org")
    assert "Reply-To:      team@example.org" in human.stdout
    assert f"First invitee: {remembered_ann}" in human.stdout

    second = run(config_file, *CREATE, "--organizer", "boss@example.org", "--json")
    assert second.returncode == 0, second.stderr
    conference = json.loads(second.stdout)
    assert conference["remembered"] == {
        "reply_to": "team@example.org",
        "participant": remembered_ann,
    }
    assert conference["reply_to"] == "team@example.org"
    assert [(p["name"], p["email"], p["role"], p["call"]) for p in conference["participants"]] == [
        ("Ann Admin", "ann@example.org", "moderator", True)
    ]
    third = run(config_file, *CREATE, "--organizer", "boss@example.org")
    assert third.returncode == 0, third.stderr
    assert (
        "Used what is remembered for boss@example.org:\n"
        "  Reply-To:      team@example.org\n"
        f"  Participant:   {remembered_ann}\n"
    ) in third.stdout
    # what a create names is used, not the memory, and remembered for next time
    fourth = run(
        config_file, *CREATE, "--organizer", "boss@example.org", "--reply-to", "desk@example.org",
        "--participant", BOB, "--json",
    )  # fmt: skip
    assert json.loads(fourth.stdout)["remembered"] == {}
    again = json.loads(run(config_file, "organizer", "show", "boss@example.org", "--json").stdout)
    assert (again["reply_to"], again["first_invitee"]) == (
        "desk@example.org",
        "Bob <bob@example.org>;phone=1002",
    )

    unknown = run(config_file, "organizer", "show", "nobody@example.org")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "fs-conf: organizer 'nobody@example.org' not found\n",
    )
    bad = run(config_file, "organizer", "show", "nobody")
    assert bad.returncode == 2
    assert bad.stderr.startswith("fs-conf: EMAIL: ") and "(got 'nobody')" in bad.stderr


def test_a_bad_config_file_names_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config_file = tmp_path / "bad.yaml"
    config_file.write_text("freeswitch:\n  esl: {port: 70000}\n", encoding="utf-8")
    status, _, err = invoke(capsys, config_file, "conference", "list")
    assert status == 2
    assert err == "fs-conf: freeswitch.esl.port: must be between 1 and 65535 (got 70000)\n"


def test_logging_never_shows_pins(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, config_file: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    status, out, _ = invoke(capsys, config_file, *CREATE, "--participant", ANN, "--json")
    assert status == 0
    conference = json.loads(out)
    pins = [
        conference["guest_pin"],
        conference["moderator_pin"],
        conference["participants"][0]["pin"],
    ]
    assert caplog.records
    assert not any(pin in caplog.text for pin in pins)


def test_check_passes_on_a_sound_configuration(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    status, out, err = invoke(capsys, config_file, "check")
    assert (status, err) == (0, "")
    assert "ok      config" in out and "ok      database" in out


def test_check_reports_problems_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(
        f"database: {tmp_path / 'missing' / 'db.sqlite3'}\nweb: {{port: 8084}}\n"
    )
    status, out, err = invoke(capsys, config_file, "check")
    assert status == 2
    assert "FAILED  database" in out and "FAILED  config" in out
    assert "fs-conf: database: folder" in err
    assert "fs-conf: config: freeswitch.socket and web both listen on 127.0.0.1:8084" in err


def test_demo_creates_and_prints_a_sample_conference(config_file: Path) -> None:
    result = run(config_file, "demo")
    assert result.returncode == 0, result.stderr
    assert "Sample conference" in result.stdout
    assert result.stdout.count("PIN ") >= 3
    assert "Mia Moderator" in result.stdout and "moderator" in result.stdout
    assert list(config_file.parent.glob("fs-conf-demo-*/fs_conf.sqlite3"))


def test_run_checks_runs_every_check_and_counts_raised_errors_as_problems() -> None:
    def broken(config: Config) -> list[str]:
        raise ValidationError("phonebook.csv:3", "x", "not a phone number")

    results = run_checks(
        Config(),
        [
            Check("first", lambda config: ["one", "two"]),
            Check("second", broken),
            Check("third", lambda config: []),
        ],
    )
    assert [(r.name, r.ok) for r in results] == [
        ("first", False),
        ("second", False),
        ("third", True),
    ]
    assert results[0].problems == ["one", "two"]
    assert results[1].problems == ["phonebook.csv:3: not a phone number (got 'x')"]
