"""The demo's scenario as a pipeline of steps, each a function `(DemoRun) -> None` that uses
and adds to the shared `DemoRun` (state.py): the sample conference (sample.py), callers through
the built-in FreeSWITCH simulator and the IVR over real TCP (voice.py), and the scheduler's
mails, call-out, warning, end and report on a demo clock moved from step to step
(lifecycle.py). The run's folder (database, mails) is kept and printed for a look afterwards.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from fs_conf.cli.demo.lifecycle import (
    attendance_report,
    call_out_at_start,
    conference_ends,
    list_mails,
    mail_invitations,
    warning_before_end,
)
from fs_conf.cli.demo.sample import announce_folder, create_sample_conference, print_conference
from fs_conf.cli.demo.state import DemoRun
from fs_conf.cli.demo.voice import (
    first_callers_join,
    late_caller_joins,
    moderator_acts,
    start_voice,
)
from fs_conf.clock import SettableClock
from fs_conf.config import Config, MailConfig, load_config
from fs_conf.store import open_store

Step = Callable[[DemoRun], None]

STEPS: tuple[Step, ...] = (
    announce_folder,
    create_sample_conference,
    print_conference,
    start_voice,
    mail_invitations,
    first_callers_join,
    call_out_at_start,
    late_caller_joins,
    moderator_acts,
    warning_before_end,
    conference_ends,
    attendance_report,
    list_mails,
)


def demo_config(folder: Path) -> Config:
    """The embedded defaults, with every file the demo writes inside `folder`."""
    defaults = load_config(None)
    return dataclasses.replace(
        defaults,
        database=str(folder / "fs_conf.sqlite3"),
        mail=dataclasses.replace(MailConfig(), folder=str(folder / "mail")),
        ivr=dataclasses.replace(defaults.ivr, recordings_dir=str(folder / "recordings")),
    )


def run_demo(
    out: TextIO,
    steps: Sequence[Step] = STEPS,
    folder: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Run `steps` in a new folder (a fresh temporary one unless given); returns 0."""
    folder = folder or Path(tempfile.mkdtemp(prefix="fs-conf-demo-"))
    config = demo_config(folder)
    clock = SettableClock(now or datetime.now(UTC))
    with open_store(config.database, clock=clock) as store:
        run = DemoRun(folder, config, store, clock, out)
        with run.closing:
            for step in steps:
                step(run)
    return 0
