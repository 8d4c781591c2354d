"""The scheduler's loop with a fake clock and sleep: it sleeps until the next due time (at most
the safety interval), plans again only when the data changed, and hands mails to the
transport. Waking by other processes: test_wake."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import gevent.event
import pytest

from fs_conf.clock import SettableClock
from fs_conf.conferences import ConferenceChanges, update_conference
from fs_conf.config import Config
from fs_conf.esl import InboundESL
from fs_conf.mail.transport import FolderTransport
from fs_conf.scheduler import Scheduler
from fs_conf.scheduler.run import RETRY_SECONDS
from fs_conf.store import OutboxStatus, Store, open_store

from .conftest import START, conference, make_config


@dataclass
class FakeSleep:
    """Stands in for the loop's sleep: notes how long it was asked to sleep and what had been
    queued by then, moves the clock on by that long, and stops the scheduler at `until`."""

    clock: SettableClock
    store: Store
    until: datetime
    scheduler: Scheduler | None = None
    naps: list[tuple[datetime, float, int]] = field(default_factory=list)

    def __call__(self, event: gevent.event.Event, seconds: float) -> bool:
        reminders = len([e for e in self.store.outbox_list() if e.kind == "reminder"])
        self.naps.append((self.clock(), seconds, reminders))
        if event.is_set():
            return True
        self.clock.advance(seconds=seconds)
        if self.clock() >= self.until and self.scheduler is not None:
            self.scheduler.stop()
        return False


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def offline_esl() -> Iterator[InboundESL]:
    """An inbound connection never connected: room tasks wait, mails go on."""
    esl = InboundESL("127.0.0.1", 9, "ClueCon")
    yield esl
    esl.stop()


def scheduler_for(
    config: Config, store: Store, esl: InboundESL, clock: SettableClock, **options: Any
) -> Scheduler:
    return Scheduler(config, store, esl, FolderTransport(config.mail.folder), clock, **options)


def test_the_loop_sleeps_until_the_reminder_is_due_and_sends_it_then(
    config: Config, store: Store, offline_esl: InboundESL, clock: SettableClock
) -> None:
    store.add_conference(conference())
    clock.at(START - timedelta(minutes=40))
    sleep = FakeSleep(clock, store, until=START - timedelta(minutes=10))
    scheduler = scheduler_for(config, store, offline_esl, clock, wait=sleep, check_seconds=600.0)
    sleep.scheduler = scheduler
    scheduler.run()
    due = START - timedelta(minutes=15)
    # Sleeps of the full check interval, then exactly up to the reminder: no polling.
    assert [(at, seconds) for at, seconds, _ in sleep.naps[:4]] == [
        (START - timedelta(minutes=40), 600.0),
        (START - timedelta(minutes=30), 600.0),
        (START - timedelta(minutes=20), 300.0),
        (due, 600.0),
    ]
    assert [count for at, _, count in sleep.naps if at < due] == [0, 0, 0]
    assert [count for at, _, count in sleep.naps if at >= due] == [3]
    mails = {e.kind: e.status for e in store.outbox_list()}
    assert mails == {"invitation": OutboxStatus.SENT, "reminder": OutboxStatus.SENT}
    assert len(list(Path(config.mail.folder).glob("*.eml"))) == 6


def test_with_nothing_due_soon_the_loop_sleeps_the_safety_interval_not_a_poll(
    tmp_path: Path, store: Store, offline_esl: InboundESL, clock: SettableClock
) -> None:
    config = make_config(tmp_path)
    config = dataclasses.replace(
        config, scheduler=dataclasses.replace(config.scheduler, safety_check_seconds=90)
    )
    store.add_conference(conference())
    clock.at(START - timedelta(hours=5))
    sleep = FakeSleep(clock, store, until=START - timedelta(hours=5) + timedelta(minutes=6))
    scheduler = scheduler_for(config, store, offline_esl, clock, wait=sleep)
    sleep.scheduler = scheduler
    scheduler.run()
    # The reminder is hours away: each sleep is the whole safety interval, four in six minutes.
    assert [seconds for _, seconds, _ in sleep.naps] == [90.0] * 4


def test_the_plan_is_made_again_only_when_another_connection_changed_data(
    config: Config, store: Store, offline_esl: InboundESL, clock: SettableClock
) -> None:
    created = store.add_conference(conference())
    assert created.id is not None
    clock.at(START - timedelta(hours=5))
    scheduler = scheduler_for(config, store, offline_esl, clock)
    scheduler.tick()
    plans = scheduler.plan_count
    for _ in range(5):
        clock.advance(seconds=2)
        scheduler.tick()
    assert scheduler.plan_count == plans
    other = open_store(config.database, clock=clock)
    try:
        update_conference(other, config, created.id, ConferenceChanges(title="Renamed"), clock())
    finally:
        other.close()
    scheduler.tick()
    assert scheduler.plan_count > plans
    assert (
        sorted((e.kind, e.sequence) for e in store.outbox_list() if e.kind == "update")
        == [("update", 1)] * 3
    )


def test_wake_makes_the_next_turn_plan_again(
    config: Config, store: Store, offline_esl: InboundESL, clock: SettableClock
) -> None:
    clock.at(START - timedelta(hours=5))
    scheduler = scheduler_for(config, store, offline_esl, clock)
    scheduler.tick()
    assert scheduler.tasks == []
    store.add_conference(conference())  # same connection: data_version does not move
    scheduler.tick()
    assert scheduler.tasks == []
    scheduler.wake()
    scheduler.tick()
    assert [t.kind.value for t in scheduler.tasks] == ["reminder", "callout", "warning", "end"]


def test_room_tasks_wait_for_freeswitch_and_back_off(
    config: Config, store: Store, offline_esl: InboundESL, clock: SettableClock
) -> None:
    store.add_conference(conference())
    clock.at(START - timedelta(hours=2))
    scheduler = scheduler_for(config, store, offline_esl, clock)
    scheduler.tick()
    clock.at(START + timedelta(hours=1))
    # The end could not run: it is retried after RETRY_SECONDS, the sleep ends then.
    assert scheduler.tick() == RETRY_SECONDS
    assert [t.kind.value for t in scheduler.tasks] == ["end"]
    # The reminder, the call-out and the warning expired unsent while FreeSWITCH was away.
    assert store.tasks_done(START - timedelta(days=1)) == set()
    assert [e.kind for e in store.outbox_list()] == ["invitation"] * 3
