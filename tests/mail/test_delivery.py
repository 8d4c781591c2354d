"""Outbox delivery against the real store and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest

from fs_conf.config import Config
from fs_conf.mail.compose import build_mails
from fs_conf.mail.delivery import deliver_due, next_attempt
from fs_conf.mail.transport import FolderTransport, SmtpTransport, transport_from_config
from fs_conf.store import OutboxStatus, Store, open_store

from .conftest import NOW, SmtpServer, free_port, make_conference, make_config


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "fs_conf.sqlite3", clock=lambda: NOW) as opened:
        yield opened


def queue(store: Store, config: Config) -> int:
    """Queue the invitations of a conference stored once per test (three with e-mail)."""
    stored = store.list_conferences()
    if stored:
        conf = stored[0]
    else:
        conf = make_conference(id=None)
        for participant in conf.participants:
            participant.id = None
        gina = dataclasses.replace(
            conf.participants[1], name="Gina", email="gina@example.org", pin="31415926"
        )
        conf.participants.append(gina)
        conf = store.add_conference(conf)
    return store.outbox_add(build_mails(conf, "invitation", config, NOW), NOW)


def by_recipient(store: Store) -> dict:
    return {entry.recipient: entry for entry in store.outbox_list()}


def test_queued_once_delivered_once(store: Store, smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = make_config(tmp_path, port=smtp_server.port)
    assert queue(store, config) == 3
    assert queue(store, config) == 0  # same keys: nothing new
    transport = transport_from_config(config.mail)
    summary = deliver_due(store, transport, NOW, config)
    assert (summary.sent, summary.retried, summary.failed) == (3, 0, 0)
    assert deliver_due(store, transport, NOW + timedelta(hours=1), config).sent == 0
    received = smtp_server.handler.messages
    assert sorted(r for m in received for r in m.recipients) == [
        "gina@example.org",
        "mona@example.com",
        "paul@example.com",
    ]
    assert len({m.session for m in received}) == 1  # one connection for the batch
    stored = by_recipient(store)
    assert all(e.status is OutboxStatus.SENT and e.sent_at == NOW for e in stored.values())
    for message in received:
        recipient = message.recipients[0]
        assert message.data.replace(b"\r\n", b"\n") == stored[recipient].message.replace(
            b"\r\n", b"\n"
        )


def test_each_mail_is_marked_sent_before_the_next_is_sent(
    store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config = make_config(tmp_path, port=smtp_server.port)
    queue(store, config)
    seen: list[list[str]] = []

    def check(envelope) -> None:
        with open_store(tmp_path / "fs_conf.sqlite3") as other:
            seen.append(sorted(e.recipient for e in other.outbox_list(OutboxStatus.SENT)))

    smtp_server.handler.on_data = check
    deliver_due(store, transport_from_config(config.mail), NOW, config)
    assert [len(s) for s in seen] == [0, 1, 2]


def test_rejected_recipient_fails_at_once_others_go(
    store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.handler.reject["paul@example.com"] = "550 5.1.1 <paul@example.com>: no such user"
    config = make_config(tmp_path, port=smtp_server.port)
    queue(store, config)
    summary = deliver_due(store, transport_from_config(config.mail), NOW, config)
    assert (summary.sent, summary.retried, summary.failed) == (2, 0, 1)
    paul = by_recipient(store)["paul@example.com"]
    assert paul.status is OutboxStatus.FAILED
    assert "550 5.1.1 <paul@example.com>: no such user" in paul.last_error
    assert "paul@example.com" in summary.errors[0]


def test_temporary_refusal_backs_off_doubling_then_delivers(
    store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.handler.reject["paul@example.com"] = "451 4.3.0 try again later"
    config = make_config(tmp_path, port=smtp_server.port)
    transport = transport_from_config(config.mail)
    queue(store, config)

    assert deliver_due(store, transport, NOW, config).retried == 1
    paul = by_recipient(store)["paul@example.com"]
    assert paul.status is OutboxStatus.PENDING and "451 4.3.0" in paul.last_error
    assert paul.next_attempt_at == NOW + timedelta(seconds=60)

    assert deliver_due(store, transport, NOW + timedelta(seconds=59), config).retried == 0
    at = NOW + timedelta(seconds=60)
    assert deliver_due(store, transport, at, config).retried == 1
    assert by_recipient(store)["paul@example.com"].next_attempt_at == at + timedelta(seconds=120)

    del smtp_server.handler.reject["paul@example.com"]
    later = at + timedelta(seconds=120)
    assert deliver_due(store, transport, later, config).sent == 1
    paul = by_recipient(store)["paul@example.com"]
    assert paul.status is OutboxStatus.SENT and paul.attempts == 3
    assert sum(m.recipients == ["paul@example.com"] for m in smtp_server.handler.messages) == 1


def test_server_down_retries_then_gives_up_with_reason(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path, port=free_port(), give_up_hours=1)
    transport = transport_from_config(config.mail)
    queue(store, config)
    summary = deliver_due(store, transport, NOW, config)
    assert (summary.sent, summary.retried, summary.failed) == (0, 3, 0)
    assert all("cannot reach SMTP server" in e.last_error for e in store.outbox_list())

    at = NOW
    while store.outbox_list(OutboxStatus.PENDING):
        at = min(e.next_attempt_at for e in store.outbox_list(OutboxStatus.PENDING))
        assert at <= NOW + timedelta(hours=1)  # no retry is planned past the give-up time
        deliver_due(store, transport, at, config)
    assert at == NOW + timedelta(hours=1)
    failed = store.outbox_list(OutboxStatus.FAILED)
    assert len(failed) == 3
    assert all(
        e.last_error.startswith("gave up after 1 h: cannot reach SMTP server") for e in failed
    )


def test_next_attempt_doubles_and_stops_at_give_up(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path, retry_seconds=30, give_up_hours=2)
    queue(store, config)
    entry = store.outbox_list()[0]
    delays = [
        next_attempt(dataclasses.replace(entry, attempts=n), NOW, config) - NOW for n in range(4)
    ]
    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    late = NOW + timedelta(hours=1, minutes=59)
    assert next_attempt(dataclasses.replace(entry, attempts=20), late, config) == NOW + timedelta(
        hours=2
    )
    assert next_attempt(entry, NOW + timedelta(hours=2), config) is None


def test_crash_after_250_resends_same_message_id(
    store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The one duplicate window: the server accepted, the process died before marking."""
    config = make_config(tmp_path, port=smtp_server.port)
    queue(store, config)
    real = transport_from_config(config.mail)

    class Crash(BaseException):
        pass

    class CrashAfterFirstAccept:
        @contextmanager
        def session(self):
            with real.session() as inner:
                yield self.Session(inner)

        class Session:
            def __init__(self, inner) -> None:
                self.inner = inner

            def send(self, recipient: str, key: str, message: bytes) -> None:
                self.inner.send(recipient, key, message)
                raise Crash

    with pytest.raises(Crash):
        deliver_due(store, CrashAfterFirstAccept(), NOW, config)
    assert len(store.outbox_list(OutboxStatus.PENDING)) == 3
    assert deliver_due(store, real, NOW, config).sent == 3
    received = smtp_server.handler.messages
    assert len(received) == 4
    ids = [message_from_bytes(m.data)["Message-ID"] for m in received]
    assert ids[0] == ids[1] and len(set(ids)) == 3


def test_folder_delivery(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path, transport="folder")
    queue(store, config)
    transport = transport_from_config(config.mail)
    assert isinstance(transport, FolderTransport) and not isinstance(transport, SmtpTransport)
    assert deliver_due(store, transport, NOW, config).sent == 3
    files = sorted((tmp_path / "mail-out").iterdir())
    assert len(files) == 3
    assert {f.read_bytes() for f in files} == {e.message for e in store.outbox_list()}


def test_a_mail_that_failed_to_render_gives_way_to_its_rendering_only(
    store: Store, tmp_path: Path
) -> None:
    config = make_config(tmp_path, transport="folder")
    queue(store, config)
    rendered = {e.recipient: e for e in store.outbox_list()}
    paul = rendered["paul@example.com"]
    store.outbox_mark_failed(paul.id, "550 no such user")  # a delivery failure: it keeps its bytes
    failed = dataclasses.replace(
        build_mails(store.list_conferences()[0], "invitation", config, NOW)[0],
        recipient="new@example.org",
        message=b"",
        error="invitation.txt:2: template error: 'x' is undefined",
    )
    assert store.outbox_add([failed], NOW) == 1
    entry = by_recipient(store)["new@example.org"]
    assert (entry.status, entry.message, entry.unrendered) == (OutboxStatus.FAILED, b"", True)
    assert entry.last_error == failed.error
    assert deliver_due(store, FolderTransport(tmp_path / "out"), NOW, config).sent == 2

    later = NOW + timedelta(hours=1)
    fixed = dataclasses.replace(failed, message=b"Subject: fixed\r\n\r\nok\r\n", error="")
    again = dataclasses.replace(fixed, recipient="paul@example.com", message=b"other bytes")
    assert store.outbox_add([fixed, again], later) == 1  # paul's row stays as it was
    entry = by_recipient(store)["new@example.org"]
    assert (entry.status, entry.message, entry.last_error) == (
        OutboxStatus.PENDING,
        fixed.message,
        "",
    )
    assert entry.created_at == later  # the give-up time counts from now
    assert by_recipient(store)["paul@example.com"].message == paul.message
    assert store.outbox_add([fixed], later) == 0  # queued once
