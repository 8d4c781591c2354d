"""Mailings: who gets an invitation, update or cancellation, queued together with the mark."""

from __future__ import annotations

import dataclasses
import email
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from fs_conf.clock import SettableClock
from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    cancel_conference,
    create_conference,
    update_conference,
)
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.mail.compose import build_mails
from fs_conf.model import Conference, ConferenceStatus
from fs_conf.scheduler import Mailer, plan_mailing
from fs_conf.scheduler.plan import Task, TaskKind
from fs_conf.store import Mailing, OutboxEntry, Recipient, Store, open_store
from fs_conf.timetable import next_occurrence

from .conftest import START, conference, make_config, with_ids

SPECS = [
    "Mia Moderator <mia@example.org>;phone=1001;moderator",
    "Paul Participant <paul@example.org>;phone=1002",
    "Petra Phone <petra@example.org>;phone=1003;call",
]


def create(store: Store, config: Config, now: datetime, **fields: Any) -> Conference:
    request = ConferenceRequest(
        title="Weekly sync",
        start=START.isoformat(),
        duration_minutes=60,
        timezone="Europe/Berlin",
        organizer="boss@example.org",
        participants=list(SPECS),
        **fields,
    )
    return create_conference(store, config, request, now)


def queued(store: Store) -> list[tuple[str, str, int]]:
    return sorted((e.kind, e.recipient, e.sequence) for e in store.outbox_list())


def text_of(entry: OutboxEntry) -> str:
    message: Message = email.message_from_bytes(entry.message)
    parts = []
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(parts)


# --- who gets what (pure) --------------------------------------------------------------------


def held(conf: Conference, sequence: int = 0) -> Mailing:
    recipients = tuple(Recipient(p.email, p.name) for p in conf.participants if p.email)
    assert conf.id is not None
    return Mailing(conf.id, sequence, recipients, START - timedelta(days=3))


def names(people: tuple[Any, ...]) -> list[str]:
    return [p.email for p in people]


def test_the_first_mailing_invites_everyone_with_an_address() -> None:
    conf = with_ids(conference())
    plan = plan_mailing(conf, None, START - timedelta(days=1))
    assert names(plan.invite) == ["mia@example.org", "paul@example.org", "petra@example.org"]
    assert plan.update == () and plan.cancel == ()
    assert [r.email for r in plan.recipients] == names(plan.invite)


def test_a_change_updates_those_invited_invites_newcomers_and_cancels_the_removed() -> None:
    before = with_ids(conference())
    newcomer = dataclasses.replace(
        before.participants[0], id=99, name="Nina", email="nina@example.org"
    )
    after = dataclasses.replace(
        before, sequence=1, participants=[*before.participants[1:], newcomer]
    )
    plan = plan_mailing(after, held(before), START - timedelta(days=1))
    assert names(plan.invite) == ["nina@example.org"]
    assert names(plan.update) == ["paul@example.org", "petra@example.org"]
    assert names(plan.cancel) == ["mia@example.org"]
    assert plan.cancel[0].name == "Mia Moderator" and plan.cancel[0].pin == ""


def test_without_a_new_sequence_only_newcomers_are_mailed() -> None:
    before = with_ids(conference(participants=conference().participants[:2]))
    after = with_ids(conference())
    plan = plan_mailing(after, held(before), START - timedelta(days=1))
    assert names(plan.invite) == ["petra@example.org"] and plan.update == ()


def test_a_cancelled_conference_cancels_everyone_who_holds_an_invitation() -> None:
    before = with_ids(conference())
    cancelled = dataclasses.replace(before, status=ConferenceStatus.CANCELLED, sequence=1)
    plan = plan_mailing(cancelled, held(before), START - timedelta(days=1))
    assert names(plan.cancel) == ["mia@example.org", "paul@example.org", "petra@example.org"]
    assert plan.recipients == () and plan_mailing(cancelled, None, START).empty


def test_a_conference_that_is_over_mails_nothing() -> None:
    conf = with_ids(conference())
    assert plan_mailing(conf, None, START + timedelta(hours=2)).empty


def test_resending_invites_everyone_again() -> None:
    conf = with_ids(conference())
    plan = plan_mailing(
        dataclasses.replace(conf, sequence=1), held(conf), START - timedelta(days=1), resend=True
    )
    assert len(plan.invite) == 3 and plan.update == () and plan.cancel == ()


# --- queueing through the store --------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def test_a_first_mailing_queues_invitations_and_marks_the_conference_mailed(
    store: Store, config: Config, clock: SettableClock
) -> None:
    conf = create(store, config, clock())
    assert Mailer(config, store).mail_changes(conf, None, clock())
    assert queued(store) == [
        ("invitation", "mia@example.org", 0),
        ("invitation", "paul@example.org", 0),
        ("invitation", "petra@example.org", 0),
    ]
    assert store.get_conference(conf.id).mailed
    mark = store.mailing(conf.id)
    assert mark is not None and mark.sequence == 0 and mark.first_seen_at == clock()
    assert [r.email for r in mark.recipients] == [
        "mia@example.org",
        "paul@example.org",
        "petra@example.org",
    ]


def test_an_update_after_the_invitations_goes_to_everyone_with_the_new_sequence(
    store: Store, config: Config, clock: SettableClock
) -> None:
    mailer = Mailer(config, store)
    conf = create(store, config, clock())
    mailer.mail_changes(conf, None, clock())
    changed = update_conference(
        store, config, conf.id, ConferenceChanges(title="Moved sync"), clock()
    )
    assert changed.sequence == 1
    assert mailer.mail_changes(changed, store.mailing(conf.id), clock.advance(minutes=1))
    updates = [q for q in queued(store) if q[0] == "update"]
    assert updates == [
        ("update", "mia@example.org", 1),
        ("update", "paul@example.org", 1),
        ("update", "petra@example.org", 1),
    ]
    first_seen = START - timedelta(days=1)
    assert store.mailing(conf.id) == Mailing(
        conf.id, 1, store.mailing(conf.id).recipients, first_seen
    )


def test_a_removed_participant_gets_a_cancellation_that_carries_no_pin(
    store: Store, config: Config, clock: SettableClock
) -> None:
    mailer = Mailer(config, store)
    conf = create(store, config, clock(), description="Dial <number>, PIN <pin>")
    mailer.mail_changes(conf, None, clock())
    changes = ConferenceChanges(
        remove_participants=["paul@example.org"], add_participants=["Nina New <nina@example.org>"]
    )
    changed = update_conference(store, config, conf.id, changes, clock())
    mailer.mail_changes(changed, store.mailing(conf.id), clock())
    later = [q for q in queued(store) if q[2] == 1]
    assert later == [
        ("cancellation", "paul@example.org", 1),
        ("invitation", "nina@example.org", 1),
        ("update", "mia@example.org", 1),
        ("update", "petra@example.org", 1),
    ]
    cancellation = next(e for e in store.outbox_list() if e.kind == "cancellation")
    body = text_of(cancellation)
    assert "Paul Participant" in body
    for pin in (conf.guest_pin, conf.moderator_pin, conf.participants[1].pin):
        assert pin not in body


def test_cancelling_sends_cancellations_to_everyone_invited(
    store: Store, config: Config, clock: SettableClock
) -> None:
    mailer = Mailer(config, store)
    conf = create(store, config, clock())
    mailer.mail_changes(conf, None, clock())
    cancelled = cancel_conference(store, conf.id)
    assert mailer.mail_changes(cancelled, store.mailing(conf.id), clock())
    assert [q for q in queued(store) if q[0] == "cancellation"] == [
        ("cancellation", "mia@example.org", 1),
        ("cancellation", "paul@example.org", 1),
        ("cancellation", "petra@example.org", 1),
    ]
    mark = store.mailing(conf.id)
    assert mark is not None and mark.sequence == 1 and mark.recipients == ()


def test_a_change_while_rendering_writes_nothing_and_asks_to_plan_again(
    tmp_path: Path, store: Store, config: Config, clock: SettableClock
) -> None:
    conf = create(store, config, clock())
    other = open_store(config.database, clock=clock)  # the CLI, in another process

    def render_while_the_cli_writes(func: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        update_conference(other, config, conf.id, ConferenceChanges(title="Renamed"), clock())
        return func(*args, **(kwargs or {}))

    try:
        assert not Mailer(config, store, render_while_the_cli_writes).mail_changes(
            conf, None, clock()
        )
    finally:
        other.close()
    assert store.outbox_list() == [] and store.mailing(conf.id) is None
    assert not store.get_conference(conf.id).mailed


def test_resend_raises_the_sequence_and_invites_everyone_again(
    store: Store, config: Config, clock: SettableClock
) -> None:
    mailer = Mailer(config, store)
    conf = create(store, config, clock())
    mailer.mail_changes(conf, None, clock())
    assert mailer.resend(conf.id, clock()) == 3
    assert store.get_conference(conf.id).sequence == 1
    assert [q for q in queued(store) if q[2] == 1] == [
        ("invitation", "mia@example.org", 1),
        ("invitation", "paul@example.org", 1),
        ("invitation", "petra@example.org", 1),
    ]
    assert store.mailing(conf.id).sequence == 1


def test_resend_refuses_a_cancelled_or_finished_conference(
    store: Store, config: Config, clock: SettableClock
) -> None:
    mailer = Mailer(config, store)
    conf = create(store, config, clock())
    clock.at(START + timedelta(hours=2))
    with pytest.raises(ValidationError, match="over"):
        mailer.resend(conf.id, clock())
    cancel_conference(store, conf.id)
    with pytest.raises(ValidationError, match="cancelled"):
        mailer.resend(conf.id, clock())


def test_a_reminder_is_queued_with_its_task_mark(
    store: Store, config: Config, clock: SettableClock
) -> None:
    conf = create(store, config, clock())
    occurrence = next_occurrence(conf, clock())
    assert occurrence is not None
    task = Task(TaskKind.REMINDER, conf, START - timedelta(minutes=15), "reminder", occurrence)
    assert Mailer(config, store).mail_occurrence(task, clock())
    assert [q[0] for q in queued(store)] == ["reminder"] * 3
    assert (conf.id, occurrence.start, "reminder") in store.tasks_done(START - timedelta(days=1))


def test_queueing_the_same_mail_again_adds_nothing(
    store: Store, config: Config, clock: SettableClock
) -> None:
    conf = create(store, config, clock())
    mails = build_mails(conf, "invitation", config, clock())
    assert store.outbox_add(mails) == 3 and store.outbox_add(mails) == 0
