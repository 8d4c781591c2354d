"""Transports against a real SMTP server on 127.0.0.1 and a real folder."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from fs_conf.config import SmtpConfig
from fs_conf.mail.transport import (
    FolderTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    eml_name,
    transport_from_config,
)

from .conftest import (
    RecordingHandler,
    SmtpServer,
    TlsFiles,
    free_port,
    make_config,
    password_checker,
)

MESSAGE = b"From: a@pbx.example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n"


def smtp(port: int, **changes) -> SmtpConfig:
    return dataclasses.replace(SmtpConfig(host="127.0.0.1", port=port, timeout=5.0), **changes)


def test_smtp_delivers_over_one_connection(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp(smtp_server.port), "bridge@pbx.example.com")
    with transport.session() as session:
        session.send("one@example.com", "k1", MESSAGE)
        session.send("two@example.com", "k2", MESSAGE)
    received = smtp_server.handler.messages
    assert [m.recipients for m in received] == [["one@example.com"], ["two@example.com"]]
    assert {m.sender for m in received} == {"bridge@pbx.example.com"}
    assert len({m.session for m in received}) == 1
    assert received[0].data.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")


def test_rejected_recipient_fails_only_that_one(smtp_server: SmtpServer) -> None:
    smtp_server.handler.reject["gone@example.com"] = "550 5.1.1 no such user"
    smtp_server.handler.reject["full@example.com"] = "452 4.2.2 mailbox full"
    transport = SmtpTransport(smtp(smtp_server.port), "bridge@pbx.example.com")
    with transport.session() as session:
        session.send("one@example.com", "k1", MESSAGE)
        with pytest.raises(PermanentFailure, match="550 5.1.1 no such user") as permanent:
            session.send("gone@example.com", "k2", MESSAGE)
        with pytest.raises(TemporaryFailure, match="452 4.2.2 mailbox full") as temporary:
            session.send("full@example.com", "k3", MESSAGE)
        with pytest.raises(PermanentFailure, match="not an ASCII address"):
            session.send("jürgen@example.com", "k5", MESSAGE)
        session.send("two@example.com", "k4", MESSAGE)
    assert not permanent.value.session_lost and not temporary.value.session_lost
    assert [m.recipients for m in smtp_server.handler.messages] == [
        ["one@example.com"],
        ["two@example.com"],
    ]


def test_server_down_is_temporary() -> None:
    transport = SmtpTransport(smtp(free_port()), "bridge@pbx.example.com")
    with (
        transport.session() as session,
        pytest.raises(TemporaryFailure, match="cannot reach") as caught,
    ):
        session.send("one@example.com", "k1", MESSAGE)
    assert caught.value.session_lost


def test_starttls_with_login(tls_files: TlsFiles) -> None:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls_files.server_context(),
        require_starttls=True,
        authenticator=password_checker("bridge", "s3cret"),
        auth_required=True,
    )
    controller.start()
    try:
        good = smtp(port, security="starttls", user="bridge", password="s3cret")
        with SmtpTransport(
            good, "bridge@pbx.example.com", tls_files.client_context()
        ).session() as s:
            s.send("one@example.com", "k1", MESSAGE)
        bad = smtp(port, security="starttls", user="bridge", password="wrong")
        with SmtpTransport(
            bad, "bridge@pbx.example.com", tls_files.client_context()
        ).session() as s:
            with pytest.raises(TemporaryFailure, match="login as 'bridge'") as caught:
                s.send("two@example.com", "k2", MESSAGE)
        assert "wrong" not in str(caught.value)
        untrusted = smtp(port, security="starttls", user="bridge", password="s3cret")
        with SmtpTransport(untrusted, "bridge@pbx.example.com").session() as s:
            with pytest.raises(TemporaryFailure, match="cannot reach"):
                s.send("three@example.com", "k3", MESSAGE)
    finally:
        controller.stop()
    assert [m.recipients for m in handler.messages] == [["one@example.com"]]


def test_folder_transport_is_atomic_and_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    transport = FolderTransport(folder)
    with transport.session() as session:
        session.send("one@example.com", "7/one@example.com/invitation/0", MESSAGE)
        session.send("one@example.com", "7/one@example.com/invitation/0", MESSAGE + b"again\r\n")
        session.send("two@example.com", "7/two@example.com/invitation/0", MESSAGE)
    files = sorted(os.listdir(folder))
    assert len(files) == 2
    assert all(name.endswith(".eml") and "/" not in name for name in files)
    first = folder / eml_name("7/one@example.com/invitation/0")
    assert first.read_bytes() == MESSAGE + b"again\r\n"
    assert first.name.startswith("7_one@example.com_invitation_0-")


def test_folder_write_failure_is_temporary_and_leaves_no_temp_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with FolderTransport(blocker).session() as session, pytest.raises(TemporaryFailure):
        session.send("one@example.com", "k", MESSAGE)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / eml_name("k")
    target.mkdir()  # os.replace onto a directory fails after the temp file was written
    with FolderTransport(folder).session() as session, pytest.raises(TemporaryFailure):
        session.send("one@example.com", "k", MESSAGE)
    assert os.listdir(folder) == [target.name]


def test_transport_from_config(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    smtp_transport = transport_from_config(config.mail)
    assert isinstance(smtp_transport, SmtpTransport)
    assert smtp_transport.envelope_from == "bridge@pbx.example.com"
    folder = transport_from_config(dataclasses.replace(config.mail, transport="folder"))
    assert isinstance(folder, FolderTransport) and folder.folder == tmp_path / "mail-out"


def test_implicit_tls(tls_files: TlsFiles) -> None:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ssl_context=tls_files.server_context()
    )
    controller.start()
    try:
        config = smtp(port, security="tls")
        with SmtpTransport(
            config, "bridge@pbx.example.com", tls_files.client_context()
        ).session() as s:
            s.send("one@example.com", "k1", MESSAGE)
    finally:
        controller.stop()
    assert [m.recipients for m in handler.messages] == [["one@example.com"]]
