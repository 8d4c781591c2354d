"""smtplib's SMTP client, with the end of a message's data held back until the caller says.

A server takes a message when it reads the final `.` line after DATA, and the outbox can
mark it sent only once the 250 for it is back: in between a crash repeats the message
(`fs_conf.mail.outbox`). With several connections side by side that window must still hold
one message at a time, so `data()` sends the message and then calls `before_end` before
the final dot: the transport waits there until the connection before has had its 250 and
its mark. Everything else is smtplib's: `sendmail` (SIZE, the replies, RSET) calls this
`data()` as it calls its own.

Dot-stuffing: smtplib doubles every `.` that starts a line with a multi-line regular
expression, which tries every position of the message (a tenth of a delivery's time for a
13 KiB invitation). Most messages have no such line, which `bytes.find` sees at once; the
others are stuffed by the same expression.
"""

from __future__ import annotations

import re
import smtplib
import socket

_LINE_START_DOT = re.compile(rb"(?m)^\.")


class Client(smtplib.SMTP):
    """A plain (or STARTTLS) connection."""

    def before_end(self) -> None:
        """Called right before the final dot; the transport sets its own on each client."""

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
