"""`fs-conf conference cancel|update ID --occurrence DATETIME` end to end through a
subprocess: one sitting of a series cancelled or moved, shown by `show` and `--json`; bad
input is one line naming the flag and the value, exit 2, and writes nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERIES = [
    "conference", "create", "--title", "Weekly", "--start", "2099-03-16T10:00",
    "--timezone", "Europe/Berlin", "--duration", "60", "--rrule", "FREQ=WEEKLY;COUNT=4",
    "--participant", "Bob <bob@example.org>", "--json",
]  # fmt: skip
"""Mondays 16, 23 (winter time), 30 March and 6 April 2099 (summer time) at 10:00."""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "fs_conf.yaml"
    path.write_text(f"database: {tmp_path / 'db.sqlite3'}\nmail: {{folder: {tmp_path / 'mail'}}}\n")
    return path


def run(config_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fs_conf", "--config", str(config_file), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(config_file.parent)},
        timeout=60,
        check=False,
    )


def ok(config_file: Path, *args: str) -> str:
    result = run(config_file, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def dump(config_file: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(config_file.parent / "db.sqlite3") as raw:
        return [
            *raw.execute("SELECT * FROM conferences").fetchall(),
            *raw.execute(
                "SELECT * FROM occurrence_overrides ORDER BY original_start_utc"
            ).fetchall(),
        ]


def test_cancel_and_move_one_sitting_through_a_subprocess(config_file: Path) -> None:
    conference = json.loads(ok(config_file, *SERIES))
    number = str(conference["id"])
    assert conference["exceptions"] == []

    cancelled = json.loads(
        ok(
            config_file,
            "conference",
            "cancel",
            number,
            "--occurrence",
            "2099-03-23T10:00",
            "--json",
        )
    )
    assert cancelled["status"] == "scheduled"
    assert cancelled["exceptions"] == [
        {
            "original_start": "2099-03-23T10:00:00+01:00",
            "status": "cancelled",
            "start": None,
            "end": None,
        }
    ]

    # moved across the clock change, typed as wall time in the conference's zone
    moved = json.loads(ok(
        config_file, "conference", "update", number, "--occurrence", "2099-03-30T10:00",
        "--start", "2099-03-27T09:00", "--duration", "90", "--json",
    ))  # fmt: skip
    assert moved["exceptions"][1] == {
        "original_start": "2099-03-30T10:00:00+02:00", "status": "moved",
        "start": "2099-03-27T09:00:00+01:00", "end": "2099-03-27T10:30:00+01:00",
    }  # fmt: skip
    assert moved["start"] == "2099-03-16T10:00:00+01:00"  # DTSTART as scheduled

    # the moved sitting is named by its new time too; only its duration changes
    again = json.loads(ok(
        config_file, "conference", "update", number, "--occurrence", "2099-03-27T09:00",
        "--duration", "30", "--json",
    ))  # fmt: skip
    assert again["exceptions"][1]["end"] == "2099-03-27T09:30:00+01:00"

    shown = ok(config_file, "conference", "show", number)
    assert "  Exceptions:\n" in shown
    assert "    2099-03-23 10:00 CET: cancelled\n" in shown
    assert "    2099-03-30 10:00 CEST: moved to 2099-03-27 09:00 CET - 09:30\n" in shown
    listed = json.loads(ok(config_file, "conference", "list", "--json"))
    assert listed[0]["exceptions"] == again["exceptions"]

    # --exdate cancels a sitting the same way
    skipped = json.loads(
        ok(config_file, "conference", "update", number, "--exdate", "2099-04-06T10:00", "--json")
    )
    assert [e["status"] for e in skipped["exceptions"]] == ["cancelled", "moved", "cancelled"]

    # the whole-series cancel is as it was
    whole = json.loads(ok(config_file, "conference", "cancel", number, "--json"))
    assert whole["status"] == "cancelled" and whole["next_start"] is None


@pytest.mark.parametrize(
    ("args", "flag", "value"),
    [
        (
            ["cancel", "{id}", "--occurrence", "2099-03-17T10:00"],
            "--occurrence",
            "'2099-03-17T10:00'",
        ),
        (["cancel", "{id}", "--occurrence", "soon"], "--occurrence", "'soon'"),
        (
            ["update", "{id}", "--occurrence", "2099-03-17T10:00", "--start", "2099-03-18T10:00"],
            "--occurrence",
            "'2099-03-17T10:00'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00"],
            "--occurrence",
            "'2099-03-23T10:00'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--title", "X"],
            "--occurrence",
            "'2099-03-23T10:00'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--start", "2099-03-16T10:30"],
            "--start",
            "'2099-03-16T10:30'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--start", "2099-03-31T10:00"],
            "--start",
            "'2099-03-31T10:00'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--start", "2099-03-29T02:30"],
            "--start",
            "'2099-03-29T02:30'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--start", "2020-03-23T10:00"],
            "--start",
            "'2020-03-23T10:00'",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--duration", "0"],
            "--duration",
            "0",
        ),
        (
            ["update", "{id}", "--occurrence", "2099-03-23T10:00", "--duration", "long"],
            "--duration",
            "'long'",
        ),
        (["update", "{id}", "--exdate", "2099-03-24T10:00"], "--exdate", "'2099-03-24T10:00'"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag_exit_2_nothing_written(
    config_file: Path, args: list[str], flag: str, value: str
) -> None:
    number = str(json.loads(ok(config_file, *SERIES))["id"])
    before = dump(config_file)
    result = run(config_file, "conference", *[a.replace("{id}", number) for a in args])
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"fs-conf: {flag}: ") and line.endswith(f"(got {value})")
    assert dump(config_file) == before


def test_bad_input_does_not_create_the_database(config_file: Path) -> None:
    result = run(
        config_file,
        "conference",
        "update",
        "1",
        "--occurrence",
        "2099-03-23T10:00",
        "--duration",
        "0",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("fs-conf: --duration: ")
    assert not (config_file.parent / "db.sqlite3").exists()


def test_a_one_off_or_missing_conference(config_file: Path) -> None:
    one_off = json.loads(ok(
        config_file, "conference", "create", "--title", "Once", "--start", "2099-03-16T10:00",
        "--timezone", "Europe/Berlin", "--duration", "60", "--json",
    ))  # fmt: skip
    refused = run(
        config_file, "conference", "cancel", str(one_off["id"]), "--occurrence", "2099-03-16T10:00"
    )
    assert refused.returncode == 2
    assert "only a recurring conference has sittings" in refused.stderr
    missing = run(config_file, "conference", "cancel", "99", "--occurrence", "2099-03-16T10:00")
    assert missing.returncode == 1 and "not found" in missing.stderr
