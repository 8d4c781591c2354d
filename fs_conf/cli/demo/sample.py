"""The demo's sample conference: created through the same service as `fs-conf conference create`."""

from __future__ import annotations

from datetime import timedelta

from fs_conf.cli.demo.state import DemoRun
from fs_conf.cli.present import format_conference
from fs_conf.conferences import ConferenceRequest, create_conference

SAMPLE_PARTICIPANTS = (
    "Mia Moderator <mia@example.org>;phone=1001;moderator",
    "Paul Participant <paul@example.org>;phone=1002",
    "Petra Participant <petra@example.org>;phone=+4930555123",
    "Carl Callee <carl@example.org>;phone=+4930555777;call",
)


def announce_folder(run: DemoRun) -> None:
    run.say(f"Demo folder: {run.folder}")
    run.say(f"Database:    {run.config.database}")
    run.say()


def create_sample_conference(run: DemoRun) -> None:
    """A conference starting in five minutes: one moderator, two participants who dial in
    and one whom fs_conf calls at the start."""
    request = ConferenceRequest(
        title="Demo: weekly team call",
        start=(run.now + timedelta(minutes=5)).replace(second=0, microsecond=0).isoformat(),
        duration_minutes=30,
        description="Dial <number> and enter your PIN <pin>.",
        organizer="mia@example.org",
        participants=list(SAMPLE_PARTICIPANTS),
    )
    run.conference = create_conference(run.store, run.config, request, run.now)


def print_conference(run: DemoRun) -> None:
    run.say(format_conference(run.sample(), run.now, run.config.language, "Sample conference"))
