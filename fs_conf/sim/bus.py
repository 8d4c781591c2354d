"""Event dispatch: who hears which event, and the subscription rules of mod_event_socket.

Events are built only when some listener wants them (`EventBus.fire` takes a builder), which
keeps a thousand idle calls cheap. `Subscription` holds one connection's event list, custom
subclasses, filters and format, with the matching rules of mod_event_socket.c event_handler().
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from fs_conf.sim.clock import Clock
from fs_conf.sim.headers import Event, Identity, core_event

# Event names FreeSWITCH knows (switch_event.c EVENT_NAMES); `event plain X` ignores others.
EVENT_NAMES = frozenset(
    """CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_ANSWER
    CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD
    CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA
    CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK CHANNEL_APPLICATION CHANNEL_ORIGINATE
    CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK
    NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD DTMF MESSAGE PRESENCE_IN NOTIFY_IN
    PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB
    DETECTED_SPEECH DETECTED_TONE PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE
    EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE
    SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT
    CLIENT_DISCONNECTED SERVER_DISCONNECTED SEND_INFO RECV_INFO RECV_RTCP_MESSAGE
    SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START RECORD_STOP PLAYBACK_START PLAYBACK_STOP
    CALL_UPDATE FAILURE SOCKET_DATA MEDIA_BUG_START MEDIA_BUG_STOP CONFERENCE_DATA_QUERY
    CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE TEXT
    SHUTDOWN_REQUESTED ALL""".split()
)

# The list `myevents` turns on (mod_event_socket.c parse_command).
MYEVENTS = frozenset(
    """CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_BRIDGE CHANNEL_CREATE CHANNEL_DATA
    CHANNEL_DESTROY CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP
    CHANNEL_HANGUP_COMPLETE CHANNEL_ORIGINATE CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK
    CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_STATE CHANNEL_UNBRIDGE CHANNEL_UNPARK
    DETECTED_SPEECH DTMF NOTALK TALK""".split()
)


class Listener(Protocol):
    def wants(self, name: str, subclass: str | None, uuid: str | None) -> bool: ...

    def deliver(self, event: Event) -> None: ...


@dataclass
class Subscription:
    """One connection's event interest (names, custom subclasses, filters, uuid, format)."""

    names: set[str] = field(default_factory=set)
    subclasses: set[str] = field(default_factory=set)
    filters: list[tuple[str, str]] = field(default_factory=list)
    session_uuid: str | None = None
    fmt: str = "plain"
    enabled: bool = False

    def subscribe(self, words: list[str]) -> int:
        """Apply the words of `event <fmt> ...`; returns how many were event keywords."""
        keys = 0
        custom = False
        for word in words:
            if custom:
                self.subclasses.add(word)
                continue
            upper = word.upper()
            if upper not in EVENT_NAMES:
                continue
            keys += 1
            self.names.add(upper)
            if upper == "CUSTOM":
                custom = True
        if keys:
            self.enabled = True
        return keys

    def unsubscribe(self, words: list[str]) -> int:
        keys = 0
        custom = False
        for word in words:
            if custom:
                self.subclasses.discard(word)
                continue
            upper = word.upper()
            if upper not in EVENT_NAMES:
                continue
            keys += 1
            if upper == "CUSTOM":
                custom = True
            elif upper == "ALL":
                self.names.clear()
            else:
                if "ALL" in self.names:
                    self.names = set(EVENT_NAMES) - {"ALL"}
                self.names.discard(upper)
        return keys

    def clear(self) -> None:
        self.names.clear()
        self.subclasses.clear()
        self.enabled = False

    def wants(self, name: str, subclass: str | None, uuid: str | None) -> bool:
        if not self.enabled:
            return False
        if self.session_uuid is not None and uuid != self.session_uuid:
            return False
        if "ALL" in self.names:
            return True
        if name not in self.names:
            return False
        return name != "CUSTOM" or subclass is None or subclass in self.subclasses

    def passes_filters(self, event: Event) -> bool:
        """mod_event_socket filters: any positive match sends, a '-' match vetoes."""
        if not self.filters:
            return True
        send = False
        for header, wanted in self.filters:
            value = event.get(header)
            if value is None:
                continue
            positive = True
            target = wanted
            while target and target[0] in "+- ":
                if target[0] != " ":
                    positive = target[0] == "+"
                target = target[1:]
            if send and positive:
                continue
            if wanted.startswith("/"):
                pattern = target.strip("/")
                try:
                    matched = re.search(pattern, value) is not None
                except re.error:
                    matched = False
            else:
                matched = value.lower() == target.lower()
            if matched:
                if not positive:
                    return False
                send = True
        return send


class EventBus:
    """Fires events to the listeners that want them, numbering every event like FreeSWITCH."""

    def __init__(self, identity: Identity, clock: Clock) -> None:
        self.identity = identity
        self.clock = clock
        self._listeners: list[Listener] = []
        # Listeners that only hear one channel (myevents), so an event costs O(its channel).
        self._by_uuid: dict[str, list[Listener]] = {}
        self._sequence = itertools.count(1)

    def add(self, listener: Listener, uuid: str | None = None) -> None:
        """Register a listener; with `uuid` it is asked only about that channel's events."""
        self.remove(listener)
        if uuid is None:
            self._listeners.append(listener)
        else:
            self._by_uuid.setdefault(uuid, []).append(listener)

    def remove(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
            return
        for uuid, listeners in list(self._by_uuid.items()):
            if listener in listeners:
                listeners.remove(listener)
                if not listeners:
                    del self._by_uuid[uuid]
                return

    def next_sequence(self) -> int:
        return next(self._sequence)

    def fire(
        self,
        name: str,
        build: Callable[[Event], None],
        *,
        subclass: str | None = None,
        uuid: str | None = None,
        origin: tuple[str, str, int] | None = None,
    ) -> Event | None:
        """Build the event (core headers, then `build`) only if someone wants it."""
        sequence = next(self._sequence)
        candidates = self._listeners
        if uuid is not None and uuid in self._by_uuid:
            candidates = candidates + self._by_uuid[uuid]
        interested = [lst for lst in candidates if lst.wants(name, subclass, uuid)]
        if not interested:
            return None
        event = core_event(self.identity, name, sequence, self.clock.now(), subclass, origin)
        build(event)
        for listener in interested:
            listener.deliver(event)
        return event
