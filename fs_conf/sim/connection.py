"""One Event Socket connection, either direction: the command parser of mod_event_socket.

`EslConnection.handle` follows parse_command() in
src/mod/event_handlers/mod_event_socket/mod_event_socket.c, command by command and in the same
order, with the same reply texts. One writer greenlet keeps replies and events in order.
The details: docs/simulator.md#the-event-socket
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Queue

from fs_conf.sim import wire
from fs_conf.sim.bus import MYEVENTS, Subscription
from fs_conf.sim.channel import new_uuid
from fs_conf.sim.headers import Event
from fs_conf.sim.wire import Frame, FrameReader, ProtocolError

if TYPE_CHECKING:
    from fs_conf.sim.channel import Channel
    from fs_conf.sim.context import SimContext

log = logging.getLogger(__name__)

LOG_LEVELS = {
    "console": 0,
    "alert": 1,
    "crit": 2,
    "err": 3,
    "error": 3,
    "warning": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}


class EslConnection:
    """The shared part of inbound (client connected to us) and outbound (we connected)."""

    def __init__(
        self,
        ctx: SimContext,
        sock: socket.socket,
        *,
        password: str | None,
        channel: Channel | None = None,
        full: bool = True,
        async_mode: bool = True,
    ) -> None:
        self.ctx = ctx
        self.sock = sock
        self.password = password
        self.channel = channel
        self.full = full
        self.async_mode = async_mode
        self.authed = password is None
        self.sub = Subscription()
        self.myevents = False
        self.logging = False
        self.linger: int | None = None
        self.resume = False
        self.running = True
        self.closed = False
        self.hold_events: list[bytes] | None = None
        self._out: Queue = Queue()
        self._writer = gevent.spawn(self._write_loop)
        self.ctx.bus.add(self)
        self.ctx.connections.add(self)

    # -- output ----------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.closed:
            self._out.put(data)

    def _write_loop(self) -> None:
        while True:
            data = self._out.get()
            if data is None:
                break
            try:
                self.sock.sendall(data)
            except OSError:
                break
        self._shutdown_socket()

    def _shutdown_socket(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def close(self) -> None:
        """Flush what is queued, then close; the connection stops receiving events."""
        if self.closed:
            return
        self.closed = True
        self.running = False
        self.ctx.bus.remove(self)
        self.ctx.connections.discard(self)
        self._out.put(None)

    def wait_closed(self, timeout: float) -> None:
        """Let the writer flush and close the socket (before a server closes it)."""
        self._writer.join(timeout=timeout)

    def abort(self) -> None:
        """Drop the connection at once (bad input, simulator stopping)."""
        self.closed = True
        self.running = False
        self.ctx.bus.remove(self)
        self.ctx.connections.discard(self)
        self._writer.kill(block=False)
        self._shutdown_socket()

    # -- events (Listener protocol) --------------------------------------------------------
    def wants(self, name: str, subclass: str | None, uuid: str | None) -> bool:
        if self.closed or not self.sub.enabled:
            return False
        if self.myevents:
            if self.channel is None or uuid != self.channel.uuid:
                return False
        return self.sub.wants(name, subclass, uuid)

    def deliver(self, event: Event) -> None:
        if not self.sub.passes_filters(event):
            return
        frame = wire.event_frame(self.sub.fmt, event.headers, event.body)
        if self.hold_events is not None:
            self.hold_events.append(frame)
        else:
            self.send(frame)

    # -- reading ---------------------------------------------------------------------------
    def read_loop(self) -> None:
        """Read and answer frames until the peer leaves or the connection ends."""
        reader = FrameReader(self.sock)
        try:
            while self.running:
                frame = reader.read_frame()
                if frame is None:
                    break
                reply = self.handle(frame)
                if reply is not None:
                    self.send(reply)
                if not self.running:
                    self.finish()
        except ProtocolError as exc:
            log.warning("dropping ESL connection: %s", exc)
            self.abort()
        except OSError:
            self.abort()
        except Exception:
            # A bug must cost only this connection, never the switch or other calls.
            log.exception("ESL connection failed; dropping it")
            self.abort()
        finally:
            self.peer_gone()

    def peer_gone(self) -> None:
        """The peer closed (or we did); subclasses react (hang up the call)."""
        if not self.closed:
            self.close()

    def finish(self) -> None:
        """After exit or a failed auth: the disconnect notice, then close."""
        self.send(self.disconnect_notice())
        self.close()

    def disconnect_notice(self) -> bytes:
        return wire.inbound_disconnect_notice()

    # -- commands --------------------------------------------------------------------------
    def handle(self, frame: Frame) -> bytes | None:
        """One command; returns the bytes to answer with (None: answered elsewhere)."""
        cmd = frame.command
        low = cmd.lower()
        if low.startswith(("exit", "...")):
            self.running = False
            return wire.command_reply("+OK bye")
        if not self.authed:
            return self._auth(cmd)
        if low.startswith("filter "):
            return wire.command_reply(self._filter(cmd[7:]))
        if self.channel is not None and low.startswith("resume"):
            self.resume = True
            self.channel.set_var("socket_resume", "true")
            return wire.command_reply("+OK")
        if self.channel is not None or low.startswith("myevents "):
            answer = self._session_command(cmd, low)
            if answer is not None:
                return answer
        if low.startswith("divert_events"):
            return wire.command_reply(self._divert(cmd[13:].strip()))
        if low.startswith("sendmsg"):
            return self._sendmsg(frame)
        if self.is_outbound and not self.full:
            return wire.command_reply("-ERR command not found")
        return self._full_command(frame, cmd, low)

    @property
    def is_outbound(self) -> bool:
        return False

    def _auth(self, cmd: str) -> bytes:
        if cmd.lower().startswith("auth "):
            if cmd[5:] == self.password:
                self.authed = True
                return wire.command_reply("+OK accepted")
            self.running = False
            return wire.command_reply("-ERR invalid")
        if cmd.lower().startswith("userauth "):
            self.running = False
            return wire.command_reply("-ERR invalid")
        return wire.command_reply("-ERR command not found")

    def _filter(self, rest: str) -> str:
        rest = rest.lstrip(" ")
        name, _, value = rest.partition(" ")
        if name.lower() == "delete" and value:
            name, _, value = value.partition(" ")
            if name.lower() == "all":
                self.sub.filters.clear()
            else:
                self.sub.filters = [
                    (h, v)
                    for h, v in self.sub.filters
                    if not (h.lower() == name.lower() and (not value or v == value))
                ]
            return f"+OK filter deleted. [{name}][{value or '(null)'}]"
        if value:
            if name.lower() == "add":
                name, _, value = value.partition(" ")
            self.sub.filters.append((name, value))
            return f"+OK filter added. [{name}]=[{value}]"
        return "-ERR invalid syntax"

    def _session_command(self, cmd: str, low: str) -> bytes | None:
        channel = self.channel
        if channel is not None and low.startswith("connect"):
            return self.connect_reply()
        if channel is not None and low.startswith("getvar"):
            _, _, name = cmd.partition(" ")
            value = channel.get_var(name.strip()) if name.strip() else None
            # An empty reply becomes "-ERR command not found" in parse_command().
            return wire.command_reply(value or "-ERR command not found")
        if low.startswith("myevents"):
            return wire.command_reply(self._myevents(cmd))
        return None

    def connect_reply(self) -> bytes:
        raise NotImplementedError("only an outbound connection answers connect")

    def _myevents(self, cmd: str) -> str:
        if self.myevents:
            return "-ERR aready enabled."
        if self.channel is None:
            parts = cmd[9:].strip().split()
            target = self.ctx.find_channel(parts[0]) if parts else None
            if target is None:
                return "-ERR invalid uuid"
            self.channel = target
            if len(parts) > 1 and parts[1].lower() in ("plain", "json", "xml"):
                self.sub.fmt = parts[1].lower()
        self.sub.names.update(MYEVENTS)
        self.sub.enabled = True
        self.myevents = True
        self.ctx.bus.add(self, uuid=self.channel.uuid)
        if "xml" in cmd.lower():
            self.sub.fmt = "xml"
        if "json" in cmd.lower():
            self.sub.fmt = "json"
        return "+OK Events Enabled"

    def _divert(self, value: str) -> str:
        if self.channel is None:
            return "-ERR not controlling a session."
        if not value:
            return "-ERR missing value."
        if value.lower() == "on":
            return "+OK events diverted"
        return "+OK events not diverted"

    def _sendmsg(self, frame: Frame) -> bytes | None:
        uuid = frame.command[7:].strip() or (frame.header("session-id") or "")
        own = self.channel
        if uuid and own is not None and uuid == own.uuid:
            uuid = ""
        if not uuid and own is not None:
            return self.own_sendmsg(frame)
        target = self.ctx.find_channel(uuid) if uuid else None
        if target is None:
            return wire.command_reply(f"-ERR invalid session id [{uuid}]")
        target.queue_command("cmd", frame)
        return wire.command_reply("+OK")

    def own_sendmsg(self, frame: Frame) -> bytes | None:
        assert self.channel is not None
        self.channel.queue_command("cmd", frame)
        return wire.command_reply("+OK")

    def _full_command(self, frame: Frame, cmd: str, low: str) -> bytes | None:
        if low.startswith("sendevent"):
            return wire.command_reply(self._sendevent(frame, cmd[9:].strip()))
        if low.startswith("api "):
            return wire.api_response(self._run_api(cmd[4:]) or "-ERR no reply\n")
        if low.startswith("bgapi "):
            return self._bgapi(frame, cmd[6:])
        if low.startswith("log"):
            return wire.command_reply(self._log(cmd[3:].strip()))
        if low.startswith("linger"):
            return wire.command_reply(self._linger(cmd[6:]))
        if low.startswith("nolinger"):
            if self.channel is None:
                return wire.command_reply("-ERR not controlling a session")
            self.linger = None
            return wire.command_reply("+OK will not linger")
        if low.startswith("nolog"):
            if not self.logging:
                return wire.command_reply("-ERR not loging")
            self.logging = False
            return wire.command_reply("+OK no longer logging")
        if low.startswith("event"):
            return wire.command_reply(self._event(cmd))
        if low.startswith("nixevent"):
            return wire.command_reply(self._nixevent(cmd))
        if low.startswith("noevents"):
            if not self.sub.enabled:
                return wire.command_reply("-ERR not listening for events")
            # LFLAG_MYEVENTS stays: later `event` commands still only hear the own channel.
            self.sub.clear()
            return wire.command_reply("+OK no longer listening for events")
        return wire.command_reply("-ERR command not found")

    def _run_api(self, text: str) -> str:
        api = self.ctx.api
        if api is None:
            return "-ERR no api\n"
        name, _, arg = text.strip().partition(" ")
        return api.execute(name, arg.strip(), self)

    def _bgapi(self, frame: Frame, text: str) -> bytes:
        job = frame.header("Job-UUID") or new_uuid()
        name, _, arg = text.strip().partition(" ")
        arg = arg.strip()

        def job_run() -> None:
            api = self.ctx.api
            output = api.execute(name, arg, self) if api is not None else ""
            if not output:
                output = "Command returned no output!"

            def build(event: Event) -> None:
                event.add("Job-UUID", job)
                event.add("Job-Command", name)
                event.add("Job-Command-Arg", arg)
                event.body = output

            self.ctx.bus.fire("BACKGROUND_JOB", build)

        gevent.spawn(job_run)
        return wire.command_reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)])

    def _sendevent(self, frame: Frame, name: str) -> str:
        event_uuid = new_uuid()
        event_name = (name or "CUSTOM").upper()
        subclass = frame.header("Event-Subclass") if event_name == "CUSTOM" else None
        headers = [(k, v) for k, v in frame.headers if k.lower() not in ("content-length",)]
        headers.append(("Event-UUID", event_uuid))

        def build(event: Event) -> None:
            event.extend([(k, v) for k, v in headers if k != "Event-Subclass"])
            if frame.body:
                event.body = frame.body

        self.ctx.bus.fire(event_name, build, subclass=subclass)
        return f"+OK {event_uuid}"

    def _log(self, level: str) -> str:
        value = 7
        if level:
            value = int(level) if level.isdigit() else LOG_LEVELS.get(level.lower(), -1)
            if value < 0 or value > 7:
                return "-ERR invalid log level"
        self.logging = True
        return f"+OK log level {level} [{value}]"

    def _linger(self, rest: str) -> str:
        if self.channel is None or not self.is_outbound:
            return "-ERR not controlling a session"
        if rest.startswith(" ") and rest.strip():
            try:
                seconds = int(rest.strip().split()[0])
            except ValueError:
                seconds = 0
            self.linger = seconds
            return f"+OK will linger {seconds} seconds"
        self.linger = -1
        return "+OK will linger"

    def _event(self, cmd: str) -> str:
        words = cmd.split()[1:]
        if words and words[0].lower() in ("plain", "json", "xml"):
            self.sub.fmt = words[0].lower()
            words = words[1:]
        if not self.sub.subscribe(words):
            return "-ERR no keywords supplied"
        return f"+OK event listener enabled {self.sub.fmt}"

    def _nixevent(self, cmd: str) -> str:
        if not self.sub.unsubscribe(cmd.split()[1:]):
            return "-ERR no keywords supplied"
        self.sub.enabled = True
        return "+OK events nixed"
