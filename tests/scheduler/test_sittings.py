"""The scheduler and sittings of a series changed on their own: the mail about each changed
sitting is queued when it changes (METHOD:CANCEL or REQUEST with its RECURRENCE-ID), later
series mails carry every change, and a moved sitting's call-outs, warning, end and report
come at its new time while a cancelled one gets none."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from fs_conf.clock import SettableClock
from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    SittingChanges,
    change_sitting,
    check_sitting_changes,
    create_conference,
    update_conference,
)
from fs_conf.config import Config
from fs_conf.model import Conference, OccurrenceOverride, OverrideStatus
from fs_conf.scheduler import Mailer, Markers, TaskKind, plan, plan_mailing
from fs_conf.scheduler.plan import ATTENDANCE_SETTLE
from fs_conf.scheduler.rerender import rerender_failed
from fs_conf.store import Mailing, OutboxEntry, Recipient, Store
from tests.ivr.conftest import wait_until

from .conftest import BERLIN, START, conference, make_config, with_ids
from .rig import Rig, build_rig

WEEKLY = "FREQ=WEEKLY;BYDAY=MO"
NEXT = START + timedelta(weeks=1)
"""The second sitting (11 March 2030, 10:00)."""
THIRD = START + timedelta(weeks=2)
MOVED_TO = datetime(2030, 3, 12, 15, 0, tzinfo=BERLIN)
"""The second sitting moved to Tuesday 15:00, for 30 minutes."""


def moved_and_cancelled(**fields: object) -> Conference:
    return with_ids(conference(
        rrule=WEEKLY,
        sequence=2,
        overrides=[
            OccurrenceOverride(NEXT, OverrideStatus.MOVED, MOVED_TO, timedelta(minutes=30), sequence=1),
            OccurrenceOverride(THIRD, OverrideStatus.CANCELLED, sequence=2),
        ],
        **fields,
    ))  # fmt: skip


def held(conf: Conference, sequence: int) -> Mailing:
    recipients = tuple(Recipient(p.email, p.name) for p in conf.participants if p.email)
    assert conf.id is not None
    return Mailing(conf.id, sequence, recipients, START - timedelta(days=3))


# --- planning (pure) ------------------------------------------------------------------------


def test_a_moved_sitting_is_run_at_its_new_time_and_a_cancelled_one_not_at_all(
    tmp_path: Path,
) -> None:
    conf = moved_and_cancelled()
    markers = Markers(mailings={1: held(conf, 2)})
    config = make_config(tmp_path)
    tasks = plan([conf], markers, MOVED_TO - timedelta(hours=1), config)
    moved_end = MOVED_TO + timedelta(minutes=30)
    assert [(t.kind, t.due, t.occurrence.start) for t in tasks if t.occurrence] == [
        (TaskKind.REMINDER, MOVED_TO - timedelta(minutes=15), MOVED_TO),
        (TaskKind.CALLOUT, MOVED_TO, MOVED_TO),
        (TaskKind.WARNING, moved_end - timedelta(minutes=5), MOVED_TO),
        (TaskKind.END, moved_end, MOVED_TO),
    ]
    # nothing at the cancelled 18 March: the next tasks are the fourth sitting's
    later = plan([conf], markers, THIRD - timedelta(hours=1), config, horizon=timedelta(days=8))
    starts = {t.occurrence.start for t in later if t.occurrence}
    assert starts == {START + timedelta(weeks=3)}
    # the report of the moved sitting follows its own end
    ended = Markers(
        done=frozenset({(1, MOVED_TO.astimezone(UTC), "end")}), mailings={1: held(conf, 2)}
    )
    report = plan([conf], ended, moved_end, config)
    assert [(t.kind, t.due) for t in report] == [
        (TaskKind.ATTENDANCE, moved_end + ATTENDANCE_SETTLE)
    ]


def test_only_the_changed_sittings_are_announced_while_the_series_stayed() -> None:
    conf = moved_and_cancelled()
    # mailed up to SEQUENCE 0: both changes are news; up to 1: only the cancellation
    assert [o.original_start for o in plan_mailing(conf, held(conf, 0), START).sittings] == [
        NEXT,
        THIRD,
    ]
    after_one = plan_mailing(conf, held(conf, 1), START)
    assert [o.original_start for o in after_one.sittings] == [THIRD]
    assert [p.email for p in after_one.update] == [
        "mia@example.org",
        "paul@example.org",
        "petra@example.org",
    ]
    # the series changed too (SEQUENCE 2): one update of the series carries everything
    series = dataclasses.replace(conf, series_sequence=2)
    assert plan_mailing(series, held(series, 1), START).sittings == ()
    # nothing new: no mail
    assert plan_mailing(conf, held(conf, 2), START).empty


# --- mails through the store ----------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def weekly(store: Store, config: Config, now: datetime) -> Conference:
    request = ConferenceRequest(
        title="Weekly sync", start=START.isoformat(), duration_minutes=60, timezone="Europe/Berlin",
        rrule=WEEKLY, organizer="boss@example.org",
        participants=["Mia <mia@example.org>;moderator", "Paul <paul@example.org>"],
    )  # fmt: skip
    return create_conference(store, config, request, now)


def sitting_change(
    store: Store, config: Config, conf: Conference, changes: SittingChanges, now: datetime
) -> None:
    change_sitting(store, config, conf.id, check_sitting_changes(changes, now), now)


def mail_now(store: Store, config: Config, conf: Conference, now: datetime) -> None:
    assert Mailer(config, store).mail_changes(
        store.get_conference(conf.id), store.mailing(conf.id), now
    )


def calendar_of(entry: OutboxEntry) -> tuple[str, list[icalendar.Event]]:
    message: EmailMessage = message_from_bytes(entry.message, policy=policy.default)  # type: ignore[assignment]
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    return str(calendar["METHOD"]), list(calendar.walk("VEVENT"))


def decoded(entry: OutboxEntry) -> str:
    """Every text part of the mail, transfer encodings undone."""
    message = message_from_bytes(entry.message, policy=policy.default)
    return "\n".join(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    )


def new_entries(store: Store, seen: int) -> list[OutboxEntry]:
    return store.outbox_list()[seen:]


def test_each_change_of_a_sitting_is_mailed_about_that_sitting_alone(
    store: Store, config: Config, clock: SettableClock
) -> None:
    conf = weekly(store, config, clock())
    mail_now(store, config, conf, clock())
    invitations = len(store.outbox_list())
    assert invitations == 2

    sitting_change(store, config, conf, SittingChanges(THIRD.isoformat(), cancel=True), clock())
    mail_now(store, config, conf, clock())
    cancels = new_entries(store, invitations)
    assert [(e.kind, e.recipient, e.sequence, e.occurrence) for e in cancels] == [
        ("cancellation", "mia@example.org", 1, THIRD), ("cancellation", "paul@example.org", 1, THIRD),
    ]  # fmt: skip
    method, [vevent] = calendar_of(cancels[1])
    assert method == "CANCEL"
    assert (vevent["RECURRENCE-ID"].dt, vevent["STATUS"], vevent["SEQUENCE"]) == (
        THIRD,
        "CANCELLED",
        1,
    )
    assert vevent["UID"] == conf.uid and vevent["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    stored = store.get_conference(conf.id)
    pins = [stored.guest_pin, stored.moderator_pin, *(p.pin for p in stored.participants)]
    assert not any(pin in decoded(cancels[0]) for pin in pins)  # cancellations carry no PIN

    sitting_change(
        store, config, conf, SittingChanges(NEXT.isoformat(), start=MOVED_TO.isoformat()), clock()
    )
    mail_now(store, config, conf, clock())
    updates = new_entries(store, invitations + 2)
    assert [(e.kind, e.sequence, e.occurrence) for e in updates] == [("update", 2, NEXT)] * 2
    paul = next(p for p in stored.participants if p.email == "paul@example.org")
    assert paul.pin in decoded(updates[1])  # an update tells the PIN, as the invitation did
    method, [vevent] = calendar_of(updates[1])
    assert method == "REQUEST"
    assert (vevent["RECURRENCE-ID"].dt, vevent["DTSTART"].dt, vevent["SEQUENCE"]) == (
        NEXT,
        MOVED_TO,
        2,
    )
    assert "RRULE" not in vevent


def test_changes_made_while_the_scheduler_was_down_are_each_mailed(
    store: Store, config: Config, clock: SettableClock
) -> None:
    conf = weekly(store, config, clock())
    mail_now(store, config, conf, clock())
    sitting_change(store, config, conf, SittingChanges(THIRD.isoformat(), cancel=True), clock())
    sitting_change(
        store, config, conf, SittingChanges(NEXT.isoformat(), duration_minutes=90), clock()
    )
    mail_now(store, config, conf, clock())
    queued = [(e.kind, e.recipient, e.sequence, e.occurrence) for e in new_entries(store, 2)]
    assert sorted(queued) == sorted([
        ("update", "mia@example.org", 2, NEXT), ("update", "paul@example.org", 2, NEXT),
        ("cancellation", "mia@example.org", 2, THIRD), ("cancellation", "paul@example.org", 2, THIRD),
    ])  # fmt: skip
    assert len({e.key for e in store.outbox_list()}) == 6


def test_later_series_mails_carry_every_changed_sitting(
    store: Store, config: Config, clock: SettableClock
) -> None:
    conf = weekly(store, config, clock())
    mail_now(store, config, conf, clock())
    sitting_change(store, config, conf, SittingChanges(THIRD.isoformat(), cancel=True), clock())
    sitting_change(
        store, config, conf, SittingChanges(NEXT.isoformat(), start=MOVED_TO.isoformat()), clock()
    )
    # a change to the whole series in the same mailing: one update of the series
    update_conference(
        store, config, conf.id, ConferenceChanges(title="Weekly sync (room 2)"), clock()
    )
    mail_now(store, config, conf, clock())
    series = new_entries(store, 2)
    assert [(e.kind, e.occurrence) for e in series] == [("update", None)] * 2
    method, [master, instance] = calendar_of(series[0])
    assert method == "REQUEST" and master["SUMMARY"] == "Weekly sync (room 2)"
    assert [d.dt for d in master["EXDATE"].dts] == [THIRD]
    assert (instance["RECURRENCE-ID"].dt, instance["DTSTART"].dt) == (NEXT, MOVED_TO)
    # invitations sent again carry them too
    queued = Mailer(config, store).resend(conf.id, clock())
    assert queued == 2
    method, events = calendar_of(store.outbox_list()[-1])
    assert method == "REQUEST" and [e.get("RECURRENCE-ID") is not None for e in events] == [
        False,
        True,
    ]


def test_a_sitting_mail_rendered_again_after_a_template_fix_is_about_the_moved_time(
    store: Store, tmp_path: Path, clock: SettableClock
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(templates))
    conf = weekly(store, config, clock())
    mail_now(store, config, conf, clock())
    (templates / "update.txt").write_text("{{ conference.titel }}\n")
    sitting_change(
        store, config, conf, SittingChanges(NEXT.isoformat(), start=MOVED_TO.isoformat()), clock()
    )
    mail_now(store, config, conf, clock())
    assert [e.status.value for e in new_entries(store, 2)] == ["failed", "failed"]
    (templates / "update.txt").unlink()
    assert rerender_failed(store, config, clock()).queued == 2
    method, [vevent] = calendar_of(new_entries(store, 2)[0])
    assert (method, vevent["RECURRENCE-ID"].dt, vevent["DTSTART"].dt) == ("REQUEST", NEXT, MOVED_TO)
    assert vevent["DTEND"].dt == MOVED_TO + timedelta(hours=1)


# --- the room, through the simulator ----------------------------------------------------------


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    built = build_rig(tmp_path)
    yield built
    built.stop()


def test_the_call_out_and_the_end_follow_the_moved_sitting(rig: Rig) -> None:
    phone = rig.sim.phone("1003", answer=True)
    conf = rig.conference(
        rrule=WEEKLY,
        overrides=[
            OccurrenceOverride(START, OverrideStatus.CANCELLED),
            OccurrenceOverride(NEXT, OverrideStatus.MOVED, MOVED_TO, timedelta(minutes=30)),
        ],
    )
    # the cancelled first sitting: nobody is called, nothing is ended
    rig.clock.at(START)
    rig.scheduler.tick()
    rig.clock.at(START + timedelta(hours=1))
    rig.scheduler.tick()
    assert {name for _, _, name in rig.store.tasks_done(START - timedelta(days=1))} == set()
    # the moved sitting: called at its new start, ended at its new end
    rig.clock.at(MOVED_TO)
    rig.scheduler.tick()
    call = phone.wait_call()
    call.wait_heard("ivr/ivr-to_accept_press_one.wav")
    call.press("1")
    call.wait_member()
    wait_until(lambda: rig.room(conf) is not None)
    rig.clock.at(MOVED_TO + timedelta(minutes=25))
    rig.scheduler.tick()
    call.wait_heard("ivr/ivr-less_than.wav")
    assert rig.room(conf) is not None
    rig.clock.at(MOVED_TO + timedelta(minutes=30))
    rig.scheduler.tick()
    call.wait_heard("conference/conf-goodbye.wav")
    call.wait_hangup()
    assert rig.room(conf) is None
    rig.clock.at(MOVED_TO + timedelta(minutes=30) + ATTENDANCE_SETTLE)
    rig.scheduler.tick()
    [report] = [m for m in rig.mails() if "boss@example.org" in m["To"]]
    assert "1003" in report.get_body(("plain",)).get_content()
    petra = conf.participants[1]
    done = {(start, name) for _, start, name in rig.store.tasks_done(START)}
    assert {name for start, name in done if start == MOVED_TO.astimezone(UTC)} >= {
        f"callout:{petra.id}",
        "end",
    }
    assert all(start == MOVED_TO.astimezone(UTC) for start, _ in done)
