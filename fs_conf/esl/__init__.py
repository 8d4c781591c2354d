"""fs_conf's Event Socket library for FreeSWITCH, on gevent, in greenswitch's API shape.

Why our own and not greenswitch 0.0.19: probed against a peer speaking the protocol, its
reader and matcher are wrong in ways a conference bridge hits on every call. It matches
CHANNEL_EXECUTE_COMPLETE by application name, so two waits for the same app are ambiguous and
a completion started elsewhere resolves the wrong wait; nothing has a timeout (connect, send,
execute) and a timed-out wait leaks its registration; a TCP close without a disconnect notice
leaves every waiter hanging; the body of a disconnect notice is not read, so in linger mode,
which fs_conf uses, the next frame is misparsed and the receiver dies; an event's own body
(a BACKGROUND_JOB result) is glued onto a header, and JSON/XML events are not parsed; header
blocks are URL-decoded before being split, so an encoded newline forges headers; a peer that
closes mid-body makes it spin; it uses `send` where `sendall` is needed, polls its accept loop,
exits the process on bind_port=0 and can wait forever in `stop()`. Fixing those means
replacing its reader and matcher, which is most of it, so fs_conf keeps its API shape
(InboundESL, OutboundSession, OutboundESLServer, register_handle, while_connected(),
OutboundSessionHasGoneAway, NotConnectedError) over a small reader of its own: a pure frame
parser (frames.py), event parsing (events.py), one connection with bounded waits
(connection.py), and every execute matched to its completion by the Event-UUID it sends.
python-ESL is no alternative: it does not build with SWIG 4 and would block the gevent hub.
"""

from fs_conf.esl.conference import (
    ConferenceAPI,
    ConferenceAPIError,
    Member,
    RoomInfo,
    RoomNotFound,
    parse_members,
    parse_rooms,
)
from fs_conf.esl.connection import (
    CommandError,
    Connection,
    ConnectionLost,
    ESLError,
    ESLTimeout,
    NotConnectedError,
)
from fs_conf.esl.events import Event, event_from_frame, parse_event
from fs_conf.esl.frames import Frame, FrameParser, ProtocolError, encode_command
from fs_conf.esl.inbound import AuthenticationError, InboundESL, OriginateError
from fs_conf.esl.outbound import (
    DigitsResult,
    Execution,
    OutboundESLServer,
    OutboundSession,
    OutboundSessionHasGoneAway,
)

__all__ = [
    "AuthenticationError",
    "CommandError",
    "ConferenceAPI",
    "ConferenceAPIError",
    "Connection",
    "ConnectionLost",
    "DigitsResult",
    "ESLError",
    "ESLTimeout",
    "Event",
    "Execution",
    "Frame",
    "FrameParser",
    "InboundESL",
    "Member",
    "NotConnectedError",
    "OriginateError",
    "OutboundESLServer",
    "OutboundSession",
    "OutboundSessionHasGoneAway",
    "ProtocolError",
    "RoomInfo",
    "RoomNotFound",
    "encode_command",
    "event_from_frame",
    "parse_event",
    "parse_members",
    "parse_rooms",
]
