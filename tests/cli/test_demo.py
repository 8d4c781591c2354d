"""`fs-conf demo` end to end: the sample conference, callers through simulator and IVR, and
the scheduler's mails, call-out, warning, end and attendance report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from fs_conf.cli.demo.scenario import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    assert run_demo(out, folder=folder) == 0
    return out.getvalue(), folder


def section(text: str, start: str) -> str:
    """The paragraph of the transcript that begins with `start`."""
    return text.split(start, 1)[1].split("\n\n", 1)[0]


def test_callers_dial_in_with_their_pins(demo: tuple[str, Path]) -> None:
    text, _ = demo
    mia = section(text, "Mia Moderator (1001) dials 3400")
    assert "conference/conf-pin.wav" in mia
    assert "is in   room fs_conf-1 as moderator (member 1)" in mia
    assert "as participant" in section(text, "Paul Participant (1002) dials 3400")
    assert "as participant" in section(text, "Petra Participant (+4930555123) dials 3400")


def test_the_participant_marked_call_is_called_and_joins_with_1(demo: tuple[str, Path]) -> None:
    text, _ = demo
    callout = section(text, "fs_conf calls Carl Callee at +4930555777")
    assert "ivr/ivr-to_accept_press_one.wav" in callout
    assert re.search(r"presses 1\n(.*\n)*   is in   room fs_conf-1 as participant", callout)


def test_the_moderator_mutes_the_participants_and_removes_one(demo: tuple[str, Path]) -> None:
    text, _ = demo
    muting = section(text, "Mia Moderator presses *1 (mute all participants)")
    assert "   hears   conference/conf-muted.wav\nPaul Participant is muted" in muting
    for name in ("Paul Participant", "Carl Callee", "Petra Participant"):
        assert f"{name} is muted (flags now: hear):" in muting
    removal = text.split("presses *4", 1)[1]
    assert "ivr/ivr-has_been_removed.wav" in removal
    assert "Petra Participant was removed:\n   hears   conference/conf-kicked.wav" in removal
    room = section(removal, "fs_cli> conference fs_conf-1 list")
    assert "Petra" not in room
    assert ";Paul Participant;1002;hear;" in room


def test_the_scheduler_warns_ends_and_reports(demo: tuple[str, Path]) -> None:
    text, folder = demo
    warning = section(text, "scheduler: warning before the end")
    assert "ivr/ivr-less_than.wav\n   hears   digits/5.wav\n   hears   time/minutes.wav" in warning
    ending = text.split("scheduler: the conference ends", 1)[1]
    assert ending.count("conference/conf-goodbye.wav") == 3
    assert "room fs_conf-1 is gone" in ending
    attendance = section(text, "Attendance recorded by fs_conf:")
    assert len(re.findall(r" - \d\d:\d\d:\d\d", attendance)) == 4
    mails = sorted(path.name for path in (folder / "mail").glob("*.eml"))
    assert len([name for name in mails if "_invitation_" in name]) == 4
    assert len([name for name in mails if "_attendance_" in name]) == 1
    assert f"Mails written to {folder / 'mail'}:" in text
    report = section(text, "scheduler: attendance report mailed")
    assert "To: mia@example.org " in report and '"mia@example.org"' not in report
