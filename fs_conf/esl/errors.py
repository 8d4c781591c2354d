"""Every exception `fs_conf.esl` raises, under one root: catch `ESLError` for any of them.

Two levels at most below the root; the tree is drawn in docs/esl.md.
"""

from __future__ import annotations


class ESLError(Exception):
    """Base of the Event Socket errors; never raised itself, caught for any of them."""


class ProtocolError(ESLError):
    """The frame or event parsers met bytes that are not Event Socket protocol (named)."""


class ESLTimeout(ESLError, TimeoutError):
    """A bounded wait (connect, send, reply, execute, job) ran out."""


class ConnectionLost(ESLError):
    """The connection ended (closed by the peer, by us, or broken) while something waited."""


class NotConnectedError(ConnectionLost):
    """A command was sent on a connection that is not (or no longer) open."""


class OutboundSessionHasGoneAway(ConnectionLost):
    """The caller hung up or the call's socket closed: nothing more can run on this call."""


class CommandError(ESLError):
    """FreeSWITCH answered a command with `-ERR ...`; the message is its reply text."""


class AuthenticationError(ESLError):
    """FreeSWITCH refused the ESL password (the password itself is never in the message)."""


class OriginateError(ESLError):
    """An originate failed; `cause` is FreeSWITCH's hangup cause, e.g. NO_ANSWER."""

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(f"originate failed: {cause}")


class ConferenceAPIError(ESLError):
    """mod_conference answered `-ERR ...` (or a usage text); `reply` is what it said."""

    def __init__(self, command: str, reply: str) -> None:
        self.command = command
        self.reply = reply.strip()
        super().__init__(f"conference {command}: {self.reply}")


class RoomNotFound(ConferenceAPIError):
    """The room does not exist (mod_conference: `-ERR Conference <room> not found`)."""

    def __init__(self, command: str, reply: str, room: str) -> None:
        self.room = room
        super().__init__(command, reply)
