"""smtplib's SMTP client, with the end of a message's data held back until the caller says.

`data()` calls `before_end` before the final dot, where the transport waits for its window
(docs/mail.md#the-smtp-window); everything else is smtplib's. Dot-stuffing skips the regular
expression when no line starts with a dot (docs/mail.md#fast-paths).
"""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Callable

_LINE_START_DOT = re.compile(rb"(?m)^\.")


class Client(smtplib.SMTP):
    """A plain (or STARTTLS) connection."""

    before_end: Callable[[], None]
    """Called right before the final dot; the transport that opens the client sets it."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        # The final dot goes in a write of its own; with Nagle's algorithm it would wait for
        # the server to acknowledge the message, and servers delay that ACK by up to 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def data(self, msg: bytes) -> tuple[int, bytes]:  # type: ignore[override]
        """smtplib's DATA for a message in bytes, with `before_end` before the final dot."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = dot_stuffed(msg)
        if body[-2:] != b"\r\n":
            body += b"\r\n"
        self.send(body)
        self.before_end()
        self.send(b".\r\n")
        return self.getreply()


class TlsClient(Client, smtplib.SMTP_SSL):
    """An implicit-TLS connection."""


def dot_stuffed(data: bytes) -> bytes:
    """`data` with a `.` doubled at the start of every line, as smtplib sends it."""
    if not data.startswith(b".") and b"\n." not in data:
        return data
    return _LINE_START_DOT.sub(b"..", data)
