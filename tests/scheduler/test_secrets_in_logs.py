"""Logs at DEBUG, over a conference's whole life, never hold a PIN, the SMTP password or a
call-out's token: mails over SMTP with a login (one refused), a reminder whose template
fails on a PIN, the call-out answered with 1, the warning, the end and the report."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from fs_conf.config import MailConfig, SmtpConfig
from fs_conf.ivr import callout
from fs_conf.mail.delivery import deliver_due
from fs_conf.mail.transport import SmtpTransport
from fs_conf.scheduler.plan import ATTENDANCE_SETTLE
from fs_conf.store import OutboxStatus, OutgoingMail
from tests.ivr.conftest import wait_until
from tests.mail.conftest import RecordingHandler, free_port, password_checker

from .conftest import START
from .rig import GUEST_PIN, MODERATOR_PIN, Rig, build_rig

PASSWORD = "s3cret-Pa55"
TOKEN = "call-out-token-Zq8xW2"
END = START + timedelta(hours=1)


@pytest.fixture
def smtp_port() -> Iterator[int]:
    port = free_port()
    controller = Controller(
        RecordingHandler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=password_checker("bridge", PASSWORD),
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def rig(tmp_path: Path, smtp_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    # Known token: the real one is random and only its hash is stored.
    monkeypatch.setattr(callout.secrets, "token_urlsafe", lambda size: TOKEN)
    templates = tmp_path / "templates"
    templates.mkdir()
    # A lookup that fails names what it looked up: here the participant's PIN.
    (templates / "reminder.txt").write_text("{{ {}[participant.pin] }}\n", encoding="utf-8")
    smtp = SmtpConfig(host="127.0.0.1", port=smtp_port, user="bridge", password=PASSWORD)
    mail = MailConfig(transport="smtp", sender="bridge@pbx.example.com", smtp=smtp)
    built = build_rig(tmp_path, mail=mail, templates_dir=str(templates), reminder_minutes=15)
    yield built
    built.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_no_log_line_holds_a_pin_a_password_or_a_token(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conference = rig.conference()
    secrets = {GUEST_PIN, MODERATOR_PIN, PASSWORD, TOKEN, *(p.pin for p in conference.participants)}
    phone = rig.sim.phone("1003", answer=True)

    rig.scheduler.tick()  # invitations over SMTP with the login
    assert len(rig.store.outbox_list(OutboxStatus.SENT)) == 2
    rig.clock.at(START - timedelta(minutes=15))
    rig.scheduler.tick()  # the reminders fail to render
    assert len(rig.store.outbox_list(OutboxStatus.FAILED)) == 2
    rig.clock.at(START + timedelta(seconds=5))
    rig.scheduler.tick()  # the call-out
    call = phone.wait_call()
    call.wait_heard("ivr/ivr-to_accept_press_one.wav")
    call.press("1")
    call.wait_member()
    moderator = rig.enter(MODERATOR_PIN, "1001")
    for moment in (END - timedelta(minutes=5), END):  # warning, end
        rig.clock.at(moment)
        rig.scheduler.tick()
    moderator.wait_hangup()
    wait_until(lambda: all(a.left_at for a in rig.store.attendance_for(conference.id or 0, START)))
    rig.clock.at(END + ATTENDANCE_SETTLE)
    rig.scheduler.tick()  # the attendance report
    assert len(rig.store.outbox_list(OutboxStatus.SENT)) == 3

    # A login the server refuses: its reason is logged, the password is not.
    port = rig.config.mail.smtp.port
    wrong = SmtpConfig(host="127.0.0.1", port=port, user="bridge", password=f"not-{PASSWORD}")
    rig.store.outbox_add(
        [OutgoingMail(None, "ann@example.org", "test", 0, b"Subject: x\r\n\r\nx\r\n")]
    )
    transport = SmtpTransport(wrong, "bridge@pbx.example.com")
    assert deliver_due(rig.store, transport, rig.clock(), rig.config).retried == 1

    ours = [
        r
        for r in caplog.records
        if r.name.startswith("fs_conf.") and not r.name.startswith("fs_conf.sim")
    ]
    assert {r.name.split(".")[1] for r in ours} >= {"scheduler", "mail", "ivr"}
    assert any("not rendered" in r.getMessage() and "***" in r.getMessage() for r in ours)
    assert any("login as 'bridge'" in r.getMessage() for r in ours)
    for record in ours:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{record.name}: {text}"
