"""The mail server is down for a while, then comes up: every mail arrives exactly once."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller

from fs_conf.mail.compose import build_mails
from fs_conf.mail.delivery import deliver_due
from fs_conf.mail.transport import transport_from_config
from fs_conf.store import OutboxStatus, open_store

from .conftest import NOW, RecordingHandler, free_port, make_conference, make_config


def test_mails_queued_while_the_server_is_down_arrive_once_when_it_is_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    config = make_config(tmp_path, port=port, retry_seconds=60, give_up_hours=24)
    transport = transport_from_config(config.mail)
    with open_store(tmp_path / "fs_conf.sqlite3", clock=lambda: NOW) as store:
        conference = make_conference(id=None)
        conference.participants = [dataclasses.replace(p, id=None) for p in conference.participants]
        conference = store.add_conference(conference)
        queued = store.outbox_add(build_mails(conference, "invitation", config, NOW), NOW)
        assert queued >= 2

        at = NOW
        for _ in range(3):  # three rounds with nobody listening
            summary = deliver_due(store, transport, at, config)
            assert summary.sent == 0 and summary.retried == queued
            at = min(entry.next_attempt_at for entry in store.outbox_list(OutboxStatus.PENDING))

        handler = RecordingHandler()
        server = Controller(handler, hostname="127.0.0.1", port=port)
        server.start()
        try:
            assert deliver_due(store, transport, at, config).sent == queued
            later = at + timedelta(hours=2)
            assert deliver_due(store, transport, later, config).sent == 0
        finally:
            server.stop()

        assert {entry.status for entry in store.outbox_list()} == {OutboxStatus.SENT}
    ids = Counter(message_from_bytes(m.data)["Message-ID"] for m in handler.messages)
    assert len(ids) == queued
    assert set(ids.values()) == {1}
