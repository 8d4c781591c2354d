"""fs_conf's Event Socket library for FreeSWITCH, on gevent, in greenswitch's API shape.

`InboundESL` connects to FreeSWITCH for api, bgapi and events; `OutboundESLServer` takes the
calls FreeSWITCH's `socket` application hands over, one `OutboundSession` each;
`ConferenceAPI` speaks mod_conference's commands; every error is an `ESLError`
(`fs_conf.esl.errors`). Why fs_conf has its own library: docs/esl.md.
"""

from fs_conf.esl.conference import ConferenceAPI, Member, RoomInfo, parse_members, parse_rooms
from fs_conf.esl.connection import Connection
from fs_conf.esl.errors import (
    AuthenticationError,
    CommandError,
    ConferenceAPIError,
    ConnectionLost,
    ESLError,
    ESLTimeout,
    NotConnectedError,
    OriginateError,
    OutboundSessionHasGoneAway,
    ProtocolError,
    RoomNotFound,
)
from fs_conf.esl.events import Event, event_from_frame, parse_event
from fs_conf.esl.frames import Frame, FrameParser, encode_command
from fs_conf.esl.inbound import BackgroundJob, InboundESL
from fs_conf.esl.outbound import DigitsResult, Execution, OutboundSession
from fs_conf.esl.outbound_server import OutboundESLServer

__all__ = [
    "AuthenticationError",
    "BackgroundJob",
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
