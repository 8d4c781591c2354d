"""The runtime requirements are what runtime imports: `fs-conf demo`, which starts the IVR,
the scheduler and the simulator, never imports greenswitch (only tests and bench/ do, so it
is in the `test` extra, not in `install_requires`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported_modules(importtime_report: str) -> set[str]:
    """The module names in `python -X importtime`'s report (stderr), one per import."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime_report.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_the_demo_imports_no_greenswitch(tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fs_conf", "demo"],
        cwd=REPO,
        # The demo keeps its folder in the temporary directory.
        env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in demo.stderr.splitlines() if not line.startswith("import time:")]
    assert demo.returncode == 0, "\n".join(errors)
    modules = imported_modules(demo.stderr)
    assert "fs_conf.cli.demo.scenario" in modules and "fs_conf.sim" in modules
    assert not {name for name in modules if name.split(".")[0] == "greenswitch"}
