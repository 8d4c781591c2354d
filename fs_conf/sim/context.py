"""The parts of one simulated switch that its modules share, passed explicitly (no globals).

core.Simulator builds one SimContext and hands it to channels, sessions, the API and the
servers; the late-bound parts (dialplan, conferences, phones, api) are set right after.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fs_conf.sim.bus import EventBus
from fs_conf.sim.clock import Clock
from fs_conf.sim.headers import Identity
from fs_conf.sim.sounds import SoundLibrary

if TYPE_CHECKING:
    from fs_conf.sim.api import Api
    from fs_conf.sim.channel import Channel
    from fs_conf.sim.conference import ConferenceManager
    from fs_conf.sim.connection import EslConnection
    from fs_conf.sim.dialplan import Dialplan
    from fs_conf.sim.originate import Originator
    from fs_conf.sim.phone import PhoneBook
    from fs_conf.sim.wire import Frame


@dataclass
class SimContext:
    clock: Clock
    identity: Identity
    bus: EventBus
    sounds: SoundLibrary
    global_vars: dict[str, str] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    dialplan: Dialplan | None = None
    conferences: ConferenceManager | None = None
    phones: PhoneBook | None = None
    api: Api | None = None
    originator: Originator | None = None
    started: float = 0.0
    sessions_total: int = 0
    sessions_peak: int = 0
    max_sessions: int = 2000
    socket_redirect: str | None = None
    # The loaded modules `module_exists` knows (mod_conference, ...).
    modules: frozenset[str] = frozenset()
    # Every open Event Socket connection, both directions (closed on shutdown).
    connections: set[EslConnection] = field(default_factory=set)
    # Called with (channel, frame) for every frame an outbound socket peer sends (load mode).
    command_observers: list[Callable[[Channel, Frame], None]] = field(default_factory=list)
    _session_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next_session_id(self) -> int:
        self.sessions_total += 1
        return next(self._session_ids)

    def register(self, channel: Channel) -> None:
        self.channels[channel.uuid] = channel
        self.sessions_peak = max(self.sessions_peak, len(self.channels))

    def find_channel(self, uuid: str) -> Channel | None:
        return self.channels.get(uuid.strip())
