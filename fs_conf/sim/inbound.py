"""The inbound Event Socket server (mod_event_socket listening on 8021).

Each client must `auth <password>` first; a client that sends garbage or disconnects
mid-frame loses only its own connection. The commands: docs/simulator.md#the-event-socket
"""

from __future__ import annotations

import logging
import socket as pysocket
from typing import TYPE_CHECKING

from gevent.server import StreamServer

from fs_conf.sim import wire
from fs_conf.sim.connection import EslConnection

if TYPE_CHECKING:
    from fs_conf.sim.context import SimContext

log = logging.getLogger(__name__)


class InboundServer:
    """Listens on host:port (port 0: a free port) and serves ESL clients."""

    def __init__(self, ctx: SimContext, host: str, port: int, password: str) -> None:
        self.ctx = ctx
        self.password = password
        self.connections: set[EslConnection] = set()
        self.server = StreamServer((host, port), self._serve)

    def start(self) -> None:
        self.server.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.address[:2]
        return host, port

    def stop(self) -> None:
        self.server.stop(timeout=1)
        for connection in list(self.connections):
            connection.abort()
        self.connections.clear()

    def _serve(self, sock: pysocket.socket, address: tuple[str, int]) -> None:
        sock.setsockopt(pysocket.IPPROTO_TCP, pysocket.TCP_NODELAY, 1)
        connection = EslConnection(self.ctx, sock, password=self.password)
        self.connections.add(connection)
        try:
            connection.send(wire.auth_request())
            connection.read_loop()
            connection.wait_closed(timeout=5.0)
        finally:
            self.connections.discard(connection)
