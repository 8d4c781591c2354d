"""`fs-conf demo`: a sample scenario on the embedded defaults, as a pipeline of steps.

A step is a function `(DemoRun) -> None` that uses and adds to the shared `DemoRun`
(folder, config, store, the sample conference); `STEPS` is the scenario in order, so
features extend the demo by appending steps (calls through the simulator, mails).
The run's folder (SQLite file, later the mail folder) is kept and printed, so that
what the demo produced can be looked at afterwards.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from fs_conf.cli import format_conference
from fs_conf.conferences import ConferenceRequest, create_conference
from fs_conf.config import Config, MailConfig, load_config
from fs_conf.model import Conference
from fs_conf.store import Store, open_store

SAMPLE_PARTICIPANTS = (
    "Mia Moderator <mia@example.org>;phone=1001;moderator",
    "Paul Participant <paul@example.org>;phone=1002",
    "Petra Participant <petra@example.org>;phone=+4930555123;call",
)


@dataclass
class DemoRun:
    """The state the demo's steps share."""

    folder: Path
    config: Config
    store: Store
    now: datetime
    out: TextIO
    conference: Conference | None = None

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def sample(self) -> Conference:
        if self.conference is None:
            raise RuntimeError("the sample conference is created by an earlier step")
        return self.conference


Step = Callable[[DemoRun], None]


def demo_config(folder: Path) -> Config:
    """The embedded defaults, with every file the demo writes inside `folder`."""
    defaults = load_config(None)
    return dataclasses.replace(
        defaults,
        database=str(folder / "fs_conf.sqlite3"),
        mail=dataclasses.replace(MailConfig(), folder=str(folder / "mail")),
    )


def announce_folder(run: DemoRun) -> None:
    run.say(f"Demo folder: {run.folder}")
    run.say(f"Database:    {run.config.database}")
    run.say()


def create_sample_conference(run: DemoRun) -> None:
    """A conference an hour from now: one moderator, two participants (one to be called)."""
    start = (run.now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    request = ConferenceRequest(
        title="Demo: weekly team call",
        start=start.isoformat(),
        duration_minutes=30,
        description="Dial <number> and enter your PIN <pin>.",
        organizer="mia@example.org",
        participants=list(SAMPLE_PARTICIPANTS),
    )
    run.conference = create_conference(run.store, run.config, request, run.now)


def print_conference(run: DemoRun) -> None:
    run.say(format_conference(run.sample(), run.now, run.config.language, "Sample conference"))


STEPS: tuple[Step, ...] = (announce_folder, create_sample_conference, print_conference)


def run_demo(
    out: TextIO,
    steps: Sequence[Step] = STEPS,
    folder: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Run `steps` in a new folder (a fresh temporary one unless given); returns 0."""
    folder = folder or Path(tempfile.mkdtemp(prefix="fs-conf-demo-"))
    config = demo_config(folder)
    with open_store(config.database) as store:
        run = DemoRun(folder, config, store, now or datetime.now(UTC), out)
        for step in steps:
            step(run)
    return 0
