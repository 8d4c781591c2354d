"""Issue 10, item 11 (b): a prompt FreeSWITCH cannot play is logged as an error naming the
file. Without `ivr/ivr-to_accept_press_one.wav` play_and_get_digits ends at once, and every
call-out was recorded as "no answer" with no word in the log; a keypad confirmation played
into the room fails with `-ERR (play) File: ... not found.`."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from fs_conf.model import ParticipantStatus
from fs_conf.sim.sounds import SoundLibrary
from tests.ivr.conftest import MODERATOR_PIN, BridgeFactory, wait_until
from tests.scheduler.conftest import START
from tests.scheduler.rig import build_rig

from .sound_set import write_sound_set

ACCEPT = "ivr/ivr-to_accept_press_one.wav"
MUTED_ALL = "conference/conf-muted.wav"


def ivr_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR and r.name.startswith("fs_conf.ivr")
    ]


def test_a_call_out_whose_accept_prompt_is_missing_logs_an_error_naming_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sounds = write_sound_set(tmp_path / "sounds", missing=[ACCEPT])
    (tmp_path / "rig").mkdir()
    rig = build_rig(tmp_path / "rig")
    try:
        # The switch plays from a sound set that lacks the accept prompt.
        rig.sim.ctx.sounds = SoundLibrary(sounds)
        phone = rig.sim.phone("1003", answer=True)
        conference = rig.conference()
        rig.clock.at(START + timedelta(seconds=5))
        rig.scheduler.tick()
        call = phone.wait_call()
        call.wait_heard("ivr/ivr-this_is_a_call_from.wav")
        call.wait_hangup()

        def petra() -> ParticipantStatus:
            stored = rig.store.get_conference(conference.id or 0)
            return next(p.status for p in stored.participants if p.name == "Petra Phone")

        wait_until(lambda: petra() is ParticipantStatus.NO_ANSWER)
    finally:
        rig.stop()
    assert ACCEPT not in call.heard
    errors = ivr_errors(caplog)
    assert any(ACCEPT in message for message in errors), errors


def test_a_keypad_confirmation_whose_file_is_missing_logs_an_error_naming_it(
    bridge_factory: BridgeFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bridge = bridge_factory()
    bridge.sim.ctx.sounds = SoundLibrary(write_sound_set(tmp_path / "sounds", [MUTED_ALL]))
    bridge.conference()
    moderator = bridge.enter(MODERATOR_PIN)
    bridge.member(moderator)
    moderator.press("*1")
    wait_until(lambda: any(MUTED_ALL in message for message in ivr_errors(caplog)))
