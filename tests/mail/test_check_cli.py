"""`fs-conf check` as an admin runs it, in a process of its own: a broken template override
fails the check with exit status 2 and names the file and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def check(config_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fs_conf", "--config", str(config_file), "check"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_broken_override_fails_the_check_naming_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    (templates / "de").mkdir(parents=True)
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(
        f"database: {tmp_path / 'fs_conf.sqlite3'}\ntemplates_dir: {templates}\n",
        encoding="utf-8",
    )
    assert check(config_file).returncode == 0

    (templates / "invitation.txt").write_text(
        "Hello {{ participant.name }},\n\n{{ conference.titel }}\n", encoding="utf-8"
    )
    (templates / "de" / "reminder.html").write_text("<p>{% if %}</p>\n", encoding="utf-8")
    done = check(config_file)
    assert done.returncode == 2
    assert "FAILED  templates" in done.stdout
    errors = done.stderr.splitlines()
    assert any(
        line.startswith(f"fs-conf: templates: {templates / 'invitation.txt'}:3: template error:")
        and "titel" in line
        for line in errors
    ), done.stderr
    assert any(
        line.startswith(f"fs-conf: templates: {templates / 'de' / 'reminder.html'}:1: syntax error")
        for line in errors
    ), done.stderr
