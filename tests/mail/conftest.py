"""Shared fixtures for the mail tests: a real SMTP server on 127.0.0.1 and sample conferences."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from fs_conf.config import ConferenceDefaults, Config, MailConfig, SmtpConfig
from fs_conf.model import Conference, Participant, Role

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def display_name(header: str) -> str:
    """The display name in a one-address header as written (folded), read as RFC 2047
    section 6.2 says: the white space between two encoded-words is no part of the name. (The
    email package's address parser keeps it, a space inside a long encoded name.)"""
    unfolded = header.replace("\r\n", "").replace("\n", "")
    name = unfolded.rpartition("<")[0].strip()
    if "=?" not in name:
        return policy.default.header_factory("To", unfolded).addresses[0].display_name
    return str(make_header(decode_header(name)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    session: int


@dataclass
class RecordingHandler:
    """Accepts mail, except addresses listed in `reject` (code and text per address)."""

    reject: dict[str, str] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    on_data: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.on_data is not None:
            self.on_data(envelope)
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, id(session))
            )
        return "250 2.0.0 accepted"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int

    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.messages)

    def message_ids(self, since: int = 0) -> list[str]:
        with self.handler.lock:
            received = list(self.handler.messages[since:])
        return [str(message_from_bytes(m.data)["Message-ID"]) for m in received]

    def settle(self) -> None:
        """Wait until a killed client's last message, if it got as far as the final dot, is
        taken: nothing new for 50 ms."""
        last, quiet_since = self.count(), time.monotonic()
        while time.monotonic() - quiet_since < 0.05:
            time.sleep(0.005)
            if self.count() != last:
                last, quiet_since = self.count(), time.monotonic()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@dataclass
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return TlsFiles(cert, key)


def password_checker(user: str, password: str):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def make_config(tmp_path: Path, port: int = 25, **mail: Any) -> Config:
    smtp = SmtpConfig(host="127.0.0.1", port=port, timeout=5.0)
    mail_config = MailConfig(
        transport="smtp",
        sender="Conference Bridge <bridge@pbx.example.com>",
        folder=str(tmp_path / "mail-out"),
        smtp=smtp,
        retry_seconds=60,
        give_up_hours=48,
    )
    return dataclasses.replace(
        Config(),
        mail=dataclasses.replace(mail_config, **mail),
        conference=ConferenceDefaults(timezone="Europe/Berlin"),
    )


def make_conference(**changes: Any) -> Conference:
    """A weekly Monday 10:00 Europe/Berlin series from 3 March 2025, a moderator and two
    participants (one without e-mail)."""
    conf = Conference(
        id=7,
        title="Weekly sync",
        start=datetime(2025, 3, 3, 10, 0, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        duration=timedelta(minutes=60),
        lead=timedelta(minutes=10),
        number="3000",
        external_number="+49301234567",
        guest_pin="40518273",
        moderator_pin="7306194825",
        uid="weekly-sync-7@pbx.example.com",
        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20251110",
        exdates=[datetime(2025, 3, 17, 10, 0, tzinfo=BERLIN)],
        description="Agenda in the wiki.\nDial <number> and enter <pin>.",
        location="Room 2",
        organizer="olivia@example.com",
        reply_to="olivia@example.com",
        sequence=0,
        participants=[
            Participant(
                "Mona Moderator", "mona@example.com", "201", Role.MODERATOR, "11223344", id=1
            ),
            Participant(
                "Paul Participant", "paul@example.com", "202", Role.PARTICIPANT, "55667788", id=2
            ),
            Participant("Phone Only", None, "203", Role.PARTICIPANT, "99001122", id=3),
        ],
    )
    return dataclasses.replace(conf, **changes)
