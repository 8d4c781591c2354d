"""The pure planner: which task is due when, from conferences and the store's marks alone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fs_conf.config import Config
from fs_conf.model import Conference, ConferenceStatus
from fs_conf.scheduler import Markers, Task, TaskKind, due, next_due, plan
from fs_conf.scheduler.plan import ATTENDANCE_SETTLE, LOOKBACK
from fs_conf.store import Mailing, Recipient

from .conftest import START, conference, make_config, with_ids

END = START + timedelta(hours=1)
WEEKLY = "FREQ=WEEKLY;BYDAY=MO"


def mailed(conf: Conference, first_seen: datetime = START - timedelta(days=7)) -> Mailing:
    """The mark of a conference whose current state went out."""
    recipients = tuple(Recipient(p.email, p.name) for p in conf.participants if p.email)
    assert conf.id is not None
    return Mailing(conf.id, conf.sequence, recipients, first_seen)


def marks(conf: Conference, *done: tuple[datetime, str], **extra: object) -> Markers:
    assert conf.id is not None
    keys = frozenset((conf.id, start.astimezone(UTC), name) for start, name in done)
    return Markers(done=keys, mailings={conf.id: mailed(conf)}, **extra)  # type: ignore[arg-type]


def kinds(tasks: list[Task]) -> list[tuple[TaskKind, datetime, str]]:
    return [(task.kind, task.due, task.name) for task in tasks]


def test_a_new_conference_is_mailed_at_once_and_its_sitting_fully_planned(tmp_path: Path) -> None:
    conf = with_ids(conference())
    now = START - timedelta(hours=1)
    tasks = plan([conf], Markers(), now, make_config(tmp_path))
    assert kinds(tasks) == [
        (TaskKind.MAILING, now, "mailing:0"),
        (TaskKind.REMINDER, START - timedelta(minutes=15), "reminder"),
        (TaskKind.CALLOUT, START, "callout:13"),
        (TaskKind.WARNING, END - timedelta(minutes=5), "warning:20300304T100000Z"),
        (TaskKind.END, END, "end"),
    ]
    callout = tasks[2]
    assert callout.participant is not None and callout.participant.name == "Petra Phone"
    assert callout.occurrence is not None and callout.occurrence.start == START


def test_a_mailed_conference_needs_no_mailing_until_its_sequence_grows(tmp_path: Path) -> None:
    conf = with_ids(conference())
    now = START - timedelta(hours=1)
    config = make_config(tmp_path)
    assert TaskKind.MAILING not in [t.kind for t in plan([conf], marks(conf), now, config)]
    changed = dataclasses.replace(conf, sequence=1, title="Moved")
    tasks = plan([changed], marks(conf), now, config)
    assert kinds(tasks)[0] == (TaskKind.MAILING, now, "mailing:1")


def test_an_added_participant_needs_a_mailing_even_without_a_new_sequence(tmp_path: Path) -> None:
    conf = with_ids(conference())
    grown = dataclasses.replace(
        conf,
        participants=[
            *conf.participants,
            dataclasses.replace(conf.participants[0], id=99, email="new@example.org"),
        ],
    )
    tasks = plan([grown], marks(conf), START - timedelta(hours=1), make_config(tmp_path))
    assert tasks[0].kind is TaskKind.MAILING


def test_a_cancelled_conference_is_mailed_once_and_nothing_else_happens(tmp_path: Path) -> None:
    conf = with_ids(conference())
    cancelled = dataclasses.replace(conf, status=ConferenceStatus.CANCELLED, sequence=1)
    now = START - timedelta(hours=1)
    config = make_config(tmp_path)
    assert kinds(plan([cancelled], marks(conf), now, config)) == [
        (TaskKind.MAILING, now, "mailing:1")
    ]
    after = Markers(mailings={1: mailed(cancelled)})
    assert plan([cancelled], after, now, config) == []


def test_done_tasks_are_not_planned_again_after_a_restart(tmp_path: Path) -> None:
    conf = with_ids(conference())
    done = marks(conf, (START, "reminder"), (START, "callout:13"))
    tasks = plan([conf], done, START + timedelta(minutes=1), make_config(tmp_path))
    assert [t.kind for t in tasks] == [TaskKind.WARNING, TaskKind.END]


def test_the_attendance_report_follows_the_end_once_it_is_done(tmp_path: Path) -> None:
    conf = with_ids(conference())
    config = make_config(tmp_path)
    now = END + timedelta(seconds=1)
    before = plan([conf], marks(conf, (START, "reminder"), (START, "callout:13")), now, config)
    assert [t.kind for t in before] == [TaskKind.END]
    after = plan(
        [conf], marks(conf, (START, "reminder"), (START, "callout:13"), (START, "end")), now, config
    )
    assert kinds(after) == [(TaskKind.ATTENDANCE, END + ATTENDANCE_SETTLE, "attendance")]
    assert due(after, now) == [] and next_due(after, now) == END + ATTENDANCE_SETTLE


def test_a_series_moves_on_to_its_next_occurrence(tmp_path: Path) -> None:
    conf = with_ids(conference(rrule=WEEKLY))
    first = [
        (START, name)
        for name in ("reminder", "callout:13", "warning:20300304T100000Z", "end", "attendance")
    ]
    now = END + timedelta(hours=1)
    tasks = plan([conf], marks(conf, *first), now, make_config(tmp_path), horizon=timedelta(days=8))
    following = START + timedelta(weeks=1)
    assert kinds(tasks) == [
        (TaskKind.REMINDER, following - timedelta(minutes=15), "reminder"),
        (TaskKind.CALLOUT, following, "callout:13"),
        (TaskKind.WARNING, following + timedelta(minutes=55), "warning:20300311T100000Z"),
        (TaskKind.END, following + timedelta(hours=1), "end"),
    ]
    assert {t.occurrence.start for t in tasks if t.occurrence} == {following}


def test_an_extension_moves_the_end_and_brings_a_new_warning(tmp_path: Path) -> None:
    conf = with_ids(conference(extensions={START: timedelta(minutes=15)}))
    old_warning = (START, "warning:20300304T100000Z")
    now = END - timedelta(minutes=2)
    tasks = plan(
        [conf],
        marks(conf, (START, "reminder"), (START, "callout:13"), old_warning),
        now,
        make_config(tmp_path),
    )
    close = END + timedelta(minutes=15)
    assert kinds(tasks) == [
        (TaskKind.WARNING, close - timedelta(minutes=5), "warning:20300304T101500Z"),
        (TaskKind.END, close, "end"),
    ]


def test_grace_time_keeps_the_room_open_after_the_end(tmp_path: Path) -> None:
    config = dataclasses.replace(
        make_config(tmp_path), conference=dataclasses.replace(Config().conference, grace_minutes=10)
    )
    conf = with_ids(conference())
    tasks = plan([conf], marks(conf), START - timedelta(minutes=30), config)
    assert [(t.kind, t.due) for t in tasks if t.kind in (TaskKind.WARNING, TaskKind.END)] == [
        (TaskKind.WARNING, END + timedelta(minutes=5)),
        (TaskKind.END, END + timedelta(minutes=10)),
    ]


def test_late_tasks_expire_reminders_at_the_start_and_callouts_at_the_end(tmp_path: Path) -> None:
    conf = with_ids(conference())
    config = make_config(tmp_path)
    running = plan([conf], marks(conf), START + timedelta(minutes=30), config)
    assert [t.kind for t in running] == [TaskKind.CALLOUT, TaskKind.WARNING, TaskKind.END]
    over = plan([conf], marks(conf), END + timedelta(minutes=1), config)
    assert [t.kind for t in over] == [TaskKind.END]


def test_an_occurrence_ended_early_is_ended_and_reported_without_warning(tmp_path: Path) -> None:
    conf = with_ids(conference())
    ended_at = START + timedelta(minutes=20)
    early = {(1, START.astimezone(UTC)): ended_at}
    tasks = plan(
        [conf],
        marks(conf, (START, "reminder"), (START, "callout:13"), ended=early),
        ended_at + timedelta(seconds=5),
        make_config(tmp_path),
    )
    assert kinds(tasks) == [(TaskKind.END, ended_at, "end")]
    done = marks(conf, (START, "reminder"), (START, "callout:13"), (START, "end"), ended=early)
    tasks = plan([conf], done, ended_at + timedelta(seconds=5), make_config(tmp_path))
    assert kinds(tasks) == [(TaskKind.ATTENDANCE, ended_at + ATTENDANCE_SETTLE, "attendance")]


def test_sittings_over_before_the_scheduler_saw_the_conference_get_nothing(tmp_path: Path) -> None:
    conf = with_ids(conference(rrule=WEEKLY))
    seen = START + timedelta(weeks=1, minutes=5)
    markers = Markers(mailings={1: mailed(conf, first_seen=seen)})
    tasks = plan([conf], markers, seen, make_config(tmp_path))
    # The sitting begun five minutes before it was seen is still called and ended, but not
    # reminded of; last week's sitting, over by then, gets no end and no report.
    assert [(t.kind, t.occurrence.start) for t in tasks if t.occurrence] == [
        (TaskKind.CALLOUT, START + timedelta(weeks=1)),
        (TaskKind.WARNING, START + timedelta(weeks=1)),
        (TaskKind.END, START + timedelta(weeks=1)),
    ]


def test_tasks_overdue_longer_than_the_lookback_are_dropped(tmp_path: Path) -> None:
    conf = with_ids(conference())
    markers = marks(conf, (START, "reminder"), (START, "callout:13"))
    config = make_config(tmp_path)
    assert [
        t.kind for t in plan([conf], markers, END + LOOKBACK - timedelta(minutes=1), config)
    ] == [TaskKind.END]
    assert plan([conf], markers, END + LOOKBACK + timedelta(minutes=1), config) == []


def test_reminders_and_warnings_can_be_turned_off(tmp_path: Path) -> None:
    conf = with_ids(conference())
    config = make_config(tmp_path, reminder_minutes=0, warn_before_end_minutes=0)
    tasks = plan([conf], marks(conf), START - timedelta(hours=1), config)
    assert [t.kind for t in tasks] == [TaskKind.CALLOUT, TaskKind.END]


def test_no_warning_when_the_sitting_is_shorter_than_the_warning(tmp_path: Path) -> None:
    conf = with_ids(conference(duration=timedelta(minutes=5)))
    tasks = plan([conf], marks(conf), START - timedelta(hours=1), make_config(tmp_path))
    assert TaskKind.WARNING not in [t.kind for t in tasks]


def test_only_participants_to_call_with_a_number_are_called(tmp_path: Path) -> None:
    base = with_ids(conference())
    participants = [dataclasses.replace(p, call=True) for p in base.participants]
    participants[1] = dataclasses.replace(participants[1], phone=None)
    conf = dataclasses.replace(base, participants=participants)
    tasks = plan([conf], marks(conf), START - timedelta(hours=1), make_config(tmp_path))
    assert [t.name for t in tasks if t.kind is TaskKind.CALLOUT] == ["callout:11", "callout:13"]


def test_the_plan_is_in_time_order_across_conferences(tmp_path: Path) -> None:
    early = with_ids(conference(uid="a@test", start=START - timedelta(minutes=30)), 1)
    late = with_ids(conference(uid="b@test"), 2)
    markers = Markers(mailings={1: mailed(early), 2: mailed(late)})
    tasks = plan([late, early], markers, START - timedelta(hours=2), make_config(tmp_path))
    assert [t.due for t in tasks] == sorted(t.due for t in tasks)
    assert (
        tasks[0].conference.id == 1 and next_due(tasks, START - timedelta(hours=2)) == tasks[0].due
    )
