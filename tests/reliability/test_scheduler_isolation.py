"""One conference whose sittings cannot be computed (a row an older version or another tool
wrote) is set aside with one error naming it, while the scheduler mails, calls out and ends
every other conference (issue 10, item 6)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fs_conf.model import Conference, Participant
from fs_conf.scheduler import Markers, TaskKind, plan
from tests.scheduler.conftest import BERLIN, START, make_config, with_ids
from tests.scheduler.conftest import conference as unsaved
from tests.scheduler.rig import Rig, build_rig

END = START + timedelta(hours=1)
BROKEN = {
    # UNTIL in the year 9999: the end of its last day overflows datetime
    "Forever": {"rrule": "FREQ=DAILY;UNTIL=99991231"},
    # from December, every other month never reaches January: COUNT's last sitting never comes
    "Never in January": {
        "rrule": "FREQ=MONTHLY;INTERVAL=2;BYMONTH=1;COUNT=4",
        "start": datetime(2025, 12, 15, 10, 0, tzinfo=BERLIN),
    },
}


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    built = build_rig(tmp_path)
    yield built
    built.stop()


def store_broken(rig: Rig) -> list[Conference]:
    """The broken rows, written straight into the store as another tool would."""
    rows = []
    for number, (title, fields) in enumerate(BROKEN.items(), 5):
        invitee = Participant(
            f"Guest {number}", f"guest{number}@example.org", f"10{number}0", call=True
        )
        rows.append(
            rig.conference(
                title=title,
                guest_pin=f"{number}23456789",
                moderator_pin=f"{number}234567890",
                participants=[invitee],
                **fields,
            )
        )
    return rows


def set_aside_errors(caplog: pytest.LogCaptureFixture, row: Conference) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.ERROR
        and f"conference {row.id} " in record.getMessage()
        and repr(row.title) in record.getMessage()
    ]


def test_a_broken_conference_is_set_aside_and_every_other_one_goes_on(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    broken = store_broken(rig)
    good = rig.conference()
    phone = rig.sim.phone("1003", answer=None)
    broken_phones = [rig.sim.phone(row.participants[0].phone or "", answer=None) for row in broken]

    rig.clock.at(START - timedelta(minutes=30))
    rig.scheduler.tick()
    invited = sorted(mail["To"].addresses[0].addr_spec for mail in rig.mails())
    assert invited == ["mia@example.org", "petra@example.org"]

    rig.clock.at(START)
    rig.scheduler.tick()
    phone.wait_call()

    rig.clock.at(END)
    rig.scheduler.tick()
    done = {(key[0], key[2]) for key in rig.store.tasks_done(START - timedelta(days=1))}
    petra = good.participants[1]
    assert {(good.id, "end"), (good.id, f"callout:{petra.id}")} <= done
    assert {conference_id for conference_id, _ in done} == {good.id}

    for row in broken:
        assert len(set_aside_errors(caplog, row)) == 1, caplog.text
    assert all(not p.calls for p in broken_phones)
    assert "scheduler turn failed" not in caplog.text


def test_a_conference_changed_into_a_sound_one_is_scheduled_again(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    [forever, _] = store_broken(rig)
    rig.clock.at(START - timedelta(minutes=30))
    rig.scheduler.tick()
    assert len(set_aside_errors(caplog, forever)) == 1
    assert forever.id is not None
    repaired = rig.ivr_store.get_conference(forever.id)
    repaired.rrule = "FREQ=DAILY;COUNT=3"
    rig.ivr_store.save_conference(repaired)  # another connection, as another tool would
    rig.scheduler.tick()
    assert "guest5@example.org" in [mail["To"].addresses[0].addr_spec for mail in rig.mails()]
    assert len(set_aside_errors(caplog, forever)) == 1
    assert f"conference {forever.id} is no longer set aside" in caplog.text


def test_the_plan_names_what_it_set_aside_and_plans_the_rest(tmp_path: Path) -> None:
    good = with_ids(unsaved(), 1)
    broken = [
        with_ids(unsaved(title=title, participants=[], **fields), number)
        for number, (title, fields) in enumerate(BROKEN.items(), 2)
    ]
    set_aside: list[tuple[Conference, Exception]] = []
    tasks = plan(
        [broken[0], good, broken[1]],
        Markers(),
        START - timedelta(minutes=30),
        make_config(tmp_path),
        set_aside=lambda conference, error: set_aside.append((conference, error)),
    )
    assert {task.conference.id for task in tasks} == {1}
    assert TaskKind.CALLOUT in [task.kind for task in tasks]
    assert [conference.id for conference, _ in set_aside] == [2, 3]


def test_without_a_handler_a_broken_conference_fails_the_plan(tmp_path: Path) -> None:
    broken = with_ids(unsaved(title="Never", **BROKEN["Never in January"]), 2)
    with pytest.raises(IndexError):
        plan([broken], Markers(), START, make_config(tmp_path))
