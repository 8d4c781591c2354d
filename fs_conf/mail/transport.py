"""Hand finished messages to the world: an SMTP server, or a folder of .eml files.

A session (`with transport.session() as s:`) delivers one message per `s.send(recipient, key,
message)`, which returns once the message is accepted and otherwise raises
`PermanentFailure` or `TemporaryFailure`. Sessions of one `SmtpTransport` may deliver side
by side. Why and how: docs/mail.md#transports
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from gevent.lock import Semaphore

from fs_conf.config import MailConfig, SmtpConfig
from fs_conf.mail.addresses import sender_address
from fs_conf.mail.smtp_client import Client, TlsClient


class DeliveryFailure(Exception):
    """A message was not delivered; the text is the server's reply or the local error."""

    def __init__(self, reason: str, session_lost: bool = False) -> None:
        super().__init__(reason)
        self.session_lost = session_lost


class PermanentFailure(DeliveryFailure):
    pass


class TemporaryFailure(DeliveryFailure):
    pass


class Session(Protocol):
    def send(self, recipient: str, key: str, message: bytes) -> None: ...


class Transport(Protocol):
    def session(self) -> AbstractContextManager[Session]: ...


class SmtpTransport:
    """Deliver through an SMTP server: one connection per session, one transaction per message."""

    def __init__(
        self, config: SmtpConfig, envelope_from: str, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.config = config
        self.envelope_from = envelope_from
        self.ssl_context = ssl_context
        self.window = Semaphore()
        """Held by the session whose message may be accepted and not yet marked (see the
        module docstring)."""

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        session = SmtpSession(self)
        try:
            yield session
        finally:
            session.close()


class SmtpSession:
    """Connects on the first `send` and again after the connection was lost."""

    def __init__(self, transport: SmtpTransport) -> None:
        self._transport = transport
        self._client: Client | None = None
        self._in_window = False

    def send(self, recipient: str, key: str, message: bytes) -> None:
        self._leave_window()  # the message before is marked by now
        if not recipient.isascii():
            # smtplib would fail half-way into the transaction; no retry can change this.
            raise PermanentFailure(f"recipient {recipient}: not an ASCII address")
        client = self._client or self._connect()
        try:
            client.sendmail(self._transport.envelope_from, [recipient], message)
        except (smtplib.SMTPException, OSError) as exc:
            failure = _classify(exc, recipient)
            if failure.session_lost or client.sock is None:
                # smtplib closes the socket itself on 421; either way the next send reconnects.
                self._drop()
                failure.session_lost = True
            raise failure from exc

    def close(self) -> None:
        self._leave_window()
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _connect(self) -> smtplib.SMTP:
        config = self._transport.config
        where = f"{config.host}:{config.port}"
        try:
            client = self._open(config)
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(
                f"login as {config.user!r} at {where} refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                session_lost=True,
            ) from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TemporaryFailure(
                f"cannot reach SMTP server {where}: {exc}", session_lost=True
            ) from exc
        client.before_end = self._enter_window
        self._client = client
        return client

    def _enter_window(self) -> None:
        self._transport.window.acquire()
        self._in_window = True

    def _leave_window(self) -> None:
        if self._in_window:
            self._in_window = False
            self._transport.window.release()

    def _open(self, config: SmtpConfig) -> Client:
        client: Client
        if config.security == "tls":
            client = TlsClient(
                config.host, config.port, timeout=config.timeout, context=self._ssl_context()
            )
        else:
            client = Client(config.host, config.port, timeout=config.timeout)
        try:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=self._ssl_context())
                client.ehlo()
            if config.user:
                client.login(config.user, config.password)
        except BaseException:
            client.close()
            raise
        return client

    def _ssl_context(self) -> ssl.SSLContext:
        # Built only when TLS is used: loading the system's CA store costs ~30 ms per batch.
        return self._transport.ssl_context or ssl.create_default_context()

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _classify(exc: Exception, recipient: str) -> DeliveryFailure:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = exc.recipients.get(recipient, (-1, b"refused"))
        return _by_code(code, reply, f"recipient {recipient} refused")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # A refused sender is the admin's configuration, not this message: keep retrying
        # (until mail.give_up_hours) so that fixing mail.sender lets the mails go out.
        return TemporaryFailure(
            f"sender {exc.sender!r} refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code not in (-1, 421):
        return _by_code(exc.smtp_code, exc.smtp_error, "message refused")
    return TemporaryFailure(f"connection lost: {exc}", session_lost=True)


def _by_code(code: int, reply: bytes | str, what: str) -> DeliveryFailure:
    text = f"{what}: {code} {_text(reply)}"
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


class FolderTransport:
    """Write each message to `folder/<name from key>.eml`, atomically: a reader never sees a
    half-written file, and a retry of the same outbox entry overwrites instead of adding."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @contextmanager
    def session(self) -> Iterator[FolderSession]:
        yield FolderSession(self.folder)


class FolderSession:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, recipient: str, key: str, message: bytes) -> None:
        target = self.folder / eml_name(key)
        try:
            # Mails name conferences, numbers and PINs: the folder is its owner's alone (a
            # umask only takes bits away), each file too (mkstemp creates it 0600). A folder
            # that exists keeps the permissions its admin gave it.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(message)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TemporaryFailure(
                f"cannot write {target}: {exc.strerror or exc}", session_lost=True
            ) from exc


def eml_name(key: str) -> str:
    """A readable, safe file name unique per key: `<slug>-<sha256 prefix>.eml`."""
    slug = re.sub(r"[^A-Za-z0-9@._-]+", "_", key).strip("._")[:80]
    return f"{slug}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}.eml"


def transport_from_config(config: MailConfig) -> SmtpTransport | FolderTransport:
    """The transport `mail.transport` names."""
    if config.transport == "smtp":
        return SmtpTransport(config.smtp, sender_address(config.sender))
    return FolderTransport(config.folder)
