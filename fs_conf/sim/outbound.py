"""The `socket` application: the simulator dials out to an ESL server (the IVR).

`socket host:port [async] [full]` connects and answers `connect` with the channel data
(mod_event_socket.c parse_command). Async and sync mode, linger and the end of the call:
docs/simulator.md#the-event-socket
"""

from __future__ import annotations

import logging
import socket as pysocket

import gevent
from gevent import socket
from gevent.event import Event as GEvent

from fs_conf.sim import wire
from fs_conf.sim.channel import Channel
from fs_conf.sim.connection import EslConnection
from fs_conf.sim.headers import caller_profile_headers, core_event
from fs_conf.sim.session import Session
from fs_conf.sim.wire import Frame

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0


class OutboundConnection(EslConnection):
    """The socket from a call to the IVR."""

    def __init__(
        self,
        session: Session,
        sock: pysocket.socket,
        *,
        async_mode: bool,
        full: bool,
    ) -> None:
        super().__init__(
            session.ctx,
            sock,
            password=None,
            channel=session.channel,
            full=full,
            async_mode=async_mode,
        )
        self.session = session
        self.reader: gevent.Greenlet | None = None
        self.peer_closed = False
        self.peer_closed_ev = GEvent()

    @property
    def is_outbound(self) -> bool:
        return True

    def handle(self, frame: Frame) -> bytes | None:
        for observer in self.ctx.command_observers:
            observer(self.session.channel, frame)
        return super().handle(frame)

    def connect_reply(self) -> bytes:
        channel = self.channel
        assert channel is not None
        ctx = self.ctx
        event = core_event(
            ctx.identity,
            "CHANNEL_DATA",
            ctx.bus.next_sequence(),
            ctx.clock.now(),
            origin=("mod_event_socket.c", "parse_command", 2021),
        )
        event.extend(caller_profile_headers(channel.profile, "Channel"))
        event.extend(channel.data_headers())
        event.add("Content-Type", "command/reply")
        event.add("Reply-Text", "+OK\n")
        event.add("Socket-Mode", "async" if self.async_mode else "static")
        event.add("Control", "full" if self.full else "single-channel")
        return wire.command_reply_event(event.headers)

    def own_sendmsg(self, frame: Frame) -> bytes | None:
        channel = self.channel
        assert channel is not None
        if not channel.alive:
            return wire.command_reply("+OK")
        if self.async_mode or (frame.header("async") or "").lower() == "true":
            channel.queue_command("cmd", frame)
            return wire.command_reply("+OK")
        self.hold_events = []
        try:
            self.session.handle_message(frame)
        finally:
            held, self.hold_events = self.hold_events, None
        self.send(wire.command_reply("+OK"))
        for data in held:
            self.send(data)
        return None

    def disconnect_notice(self) -> bytes:
        assert self.channel is not None
        return wire.outbound_disconnect_notice(self.channel.uuid)

    def peer_gone(self) -> None:
        """The IVR closed the socket: the call hangs up unless `resume` was sent, but only
        once the application running now (a caller's `conference`) has ended.

        mod_event_socket.c never hangs a channel up: listener_run() only clears CF_CONTROLLED,
        which ends switch_ivr_park()'s loop (switch_ivr.c) between applications, so the
        socket application returns and the dialplan goes on (with `resume`) or ends."""
        self.peer_closed = True
        self.peer_closed_ev.set()
        channel = self.channel
        if not self.closed:
            self.close()
        if channel is not None and channel.alive:
            if self.resume or channel.app_running:
                self.session.wake()
            else:
                channel.hangup("NORMAL_CLEARING")

    def after_call(self) -> None:
        """Runs once the channel reported HANGUP_COMPLETE: linger or disconnect."""
        channel = self.channel
        assert channel is not None
        if self.closed:
            return
        if self.linger is None:
            self.finish()
            return
        self.send(wire.linger_notice(channel.uuid, channel.name, self.linger))
        if self.linger >= 0:
            gevent.spawn_later(self.ctx.clock.real(self.linger), self._linger_expired)

    def _linger_expired(self) -> None:
        if not self.closed:
            self.finish()


def parse_target(arg: str) -> tuple[str, int, bool, bool]:
    """`host:port [async] [full]` -> (host, port, async, full); ValueError names the part."""
    words = arg.split()
    if not words:
        raise ValueError("socket: missing host:port")
    host, _, port_text = words[0].rpartition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"socket: bad port in {words[0]!r}") from None
    flags = {w.lower() for w in words[1:]}
    return host or "127.0.0.1", port, "async" in flags, "full" in flags


def app_socket(session: Session, arg: str) -> None:
    """mod_event_socket socket_function()."""
    channel = session.channel
    try:
        host, port, async_mode, full = parse_target(arg)
        target = (host, port)
        if session.ctx.socket_redirect:
            redirect_host, redirect_port, _, _ = parse_target(session.ctx.socket_redirect)
            target = (redirect_host, redirect_port)
    except ValueError as exc:
        log.error("%s", exc)
        return
    try:
        sock = socket.create_connection(target, timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        log.error("socket: cannot connect to %s:%s (%s)", target[0], target[1], exc)
        return
    sock.settimeout(None)
    sock.setsockopt(pysocket.IPPROTO_TCP, pysocket.TCP_NODELAY, 1)
    channel.set_var("socket_host", host)
    connection = OutboundConnection(session, sock, async_mode=async_mode, full=full)
    gevent.spawn(_after_call, channel, connection)
    connection.reader = gevent.spawn(connection.read_loop)
    if async_mode:
        session.park(until=lambda: connection.peer_closed)
        if connection.peer_closed and not connection.resume and channel.alive:
            channel.hangup("NORMAL_CLEARING")
    else:
        # Static mode: applications run in the reader (parse_command runs them inline).
        gevent.wait([channel.hungup, connection.peer_closed_ev], count=1)


def _after_call(channel: Channel, connection: OutboundConnection) -> None:
    channel.finished.wait()
    connection.after_call()
