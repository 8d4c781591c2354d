"""`fs-conf demo` end to end: the sample conference, and callers through simulator and IVR."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fs_conf.demo import run_demo


def test_demo_walks_callers_through_the_ivr_into_the_room(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(out, folder=tmp_path) == 0
    text = out.getvalue()

    assert "Mia Moderator (1001) dials 3000" in text
    assert re.search(r"is in   room fs_conf-1 as moderator \(member 1\)", text)
    assert re.search(r"Paul Participant .*\n(.*\n)*?   is in   room fs_conf-1 as participant", text)
    assert "conference/conf-pin.wav" in text

    muted = text.split("Paul Participant presses 0", 1)[1]
    assert "conference/conf-muted.wav" in muted.split("\n\n", 1)[0]
    assert "is muted (flags now: hear)" in muted

    removal = text.split("presses *4", 1)[1]
    assert "ivr/ivr-has_been_removed.wav" in removal
    assert "Petra Participant was removed:\n   hears   conference/conf-kicked.wav" in removal
    final_list = removal.split("fs_cli> conference fs_conf-1 list", 1)[1].split("\n\n", 1)[0]
    assert "Petra" not in final_list
    assert ";Paul Participant;1002;hear;" in final_list

    attendance = text.split("Attendance recorded by fs_conf:", 1)[1]
    assert len(re.findall(r" - \d\d:\d\d:\d\d\.\d{3}", attendance)) == 3
    assert (tmp_path / "fs_conf.sqlite3").exists()
