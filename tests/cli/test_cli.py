"""`fs-conf` end to end: a subprocess for the main flow, `main()` in-process for every error."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fs_conf.check import Check, run_checks
from fs_conf.cli import main
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


def stored_count(config_file: Path) -> int:
    with open_store(config_file.parent / "db.sqlite3") as store:
        return len(store.list_conferences(include_cancelled=True))


def test_create_list_show_update_cancel_through_a_subprocess(config_file: Path) -> None:
    created = run(config_file, *CREATE, "--participant", ANN, "--participant", BOB, "--json")
    assert created.returncode == 0, created.stderr
    conference = json.loads(created.stdout)
    assert conference["number"] == "3400"
    assert conference["external_number"] == "+4930555000"
    assert conference["start"] == "2099-03-04T10:00:00+01:00"
    assert conference["end"] == "2099-03-04T11:00:00+01:00"
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
        (["--rrule", "FREQ=SOMETIMES"], "--rrule", "FREQ=SOMETIMES"),
        (["--timezone", "Mars/Base"], "--timezone", "Mars/Base"),
        (["--start", "2001-01-01T10:00"], "--start", None),
        (["--start", "tomorrow"], "--start", "tomorrow"),
        (["--duration", "0"], "--duration", None),
        (["--duration", "1441"], "--duration", None),
        (["--duration", "an hour"], "--duration", "an hour"),
        (["--dial-in-before", "-5"], "--dial-in-before", None),
        (["--reply-to", "nobody"], "--reply-to", "nobody"),
        (["--organizer", "@example.org"], "--organizer", "@example.org"),
        (["--participant", "Eve <eve@>"], "--participant", None),
        (["--participant", "Eve <eve@example.org>;phone=555-EVE"], "--participant", None),
        (["--participant", BOB, "--participant", "Bobby <BOB@example.org>"], "--participant", None),
        (["--max-members", "many"], "--max-members", "many"),
        (["--title", ""], "--title", ""),
    ],
)
def test_every_bad_input_is_named_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    extra: list[str],
    flag: str,
    value: str | None,
) -> None:
    status, out, err = invoke(capsys, config_file, *CREATE, *extra)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"fs-conf: {flag}")
    if value is not None:
        assert f"(got {value!r})" in err
    assert stored_count(config_file) == 0


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


def test_bad_update_changes_nothing(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    status, out, _ = invoke(capsys, config_file, *CREATE, "--participant", BOB, "--json")
    before = json.loads(out)
    for args, flag in (
        (["--duration", "-1"], "--duration"),
        (["--remove-participant", "ghost@example.org"], "--remove-participant"),
        (["--add-participant", "Bob Again <bob@example.org>"], "--add-participant"),
        (["--exdate", "2099-03-11T10:00"], "--exdate"),
    ):
        status, _, err = invoke(
            capsys, config_file, "conference", "update", str(before["id"]), *args
        )
        assert status == 2
        assert err.startswith(f"fs-conf: {flag}") or err.startswith("fs-conf: --participant"), err
    _, out, _ = invoke(capsys, config_file, "conference", "show", str(before["id"]), "--json")
    assert json.loads(out) == before


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
