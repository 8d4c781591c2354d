"""The SMTP client's DATA: dot-stuffing as smtplib does it, and the transport's window, which
lets a session end a message only once the message before (of any session) was marked."""

from __future__ import annotations

import re

import gevent
from hypothesis import example, given
from hypothesis import strategies as st

from fs_conf.config import SmtpConfig
from fs_conf.mail.smtp_client import dot_stuffed
from fs_conf.mail.transport import SmtpTransport

from .conftest import SmtpServer

DOTTED = b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\nmiddle . dot\r\n.\r\nend\r\n"


@given(st.lists(st.sampled_from([b".", b"\r\n", b"\n", b"\r", b"a", b"..", b" "]), max_size=40))
@example([b".", b"a"])
@example([b"a", b"\r", b".", b"b"])
def test_dot_stuffing_equals_smtplibs(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert dot_stuffed(data) == re.sub(rb"(?m)^\.", b"..", data)


def test_lines_starting_with_a_dot_arrive_as_written(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(
        SmtpConfig(port=smtp_server.port, timeout=5.0), "bridge@pbx.example.com"
    )
    with transport.session() as session:
        session.send("one@example.com", "k1", DOTTED)
    received = smtp_server.handler.messages[0].data
    assert received.replace(b"\r\n", b"\n") == DOTTED.replace(b"\r\n", b"\n")


def test_a_session_ends_its_message_only_once_the_one_before_was_marked(
    smtp_server: SmtpServer,
) -> None:
    transport = SmtpTransport(
        SmtpConfig(port=smtp_server.port, timeout=5.0), "bridge@pbx.example.com"
    )

    def other() -> None:
        with transport.session() as second:
            second.send("two@example.com", "k2", DOTTED)

    with transport.session() as first:
        first.send("one@example.com", "k1", DOTTED)
        # the caller marks the first message now; until `first` sends again or closes, the
        # second session gets as far as the end of its data and waits there
        waiting = gevent.spawn(other)
        gevent.sleep(0)
        assert not waiting.ready()
        assert len(smtp_server.handler.messages) == 1
    waiting.join(timeout=10)
    assert waiting.successful()
    assert [m.recipients for m in smtp_server.handler.messages] == [
        ["one@example.com"],
        ["two@example.com"],
    ]
