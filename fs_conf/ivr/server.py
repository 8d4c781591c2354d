"""The IVR server: the socket FreeSWITCH hands calls to, plus the room controller.

`IvrServer` runs one `CallFlow` per call in its own greenlet (an exception ends that call
only) and keeps the inbound Event Socket connection the `RoomController` needs, connecting
again whenever it drops. Details: docs/ivr.md#the-ivr-server
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import gevent
import gevent.event

from fs_conf.config import Config
from fs_conf.esl import ESLError, InboundESL, OutboundESLServer, OutboundSession
from fs_conf.ivr.flow import CallFlow, FlowServices
from fs_conf.ivr.lockout import Lockout
from fs_conf.ivr.room_control import RoomController
from fs_conf.prompts import Prompts
from fs_conf.store import Clock, Store, utc_now

log = logging.getLogger(__name__)

InboundFactory = Callable[[str, int, str, float], InboundESL]
"""Builds the inbound connection from host, port, password and timeout (InboundESL's own
signature); tests pass InboundESL pointed at the simulator."""

MAX_CALLS = 1000
"""Simultaneous calls accepted; FreeSWITCH's own session limit usually bites first."""

RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Waits before trying again a server that took the connection but failed the login or
dropped it soon after; the last one repeats."""

PROBE_SECONDS = 1.0
"""Wait before trying again a port nothing listens on (a refused connect costs nothing)."""

STABLE_SECONDS = 10.0
"""A connection up this long counts as working: when it drops, fs_conf reconnects at once."""


def names_dir(config: Config) -> Path:
    """Where callers' spoken names are recorded (FreeSWITCH must be able to write there)."""
    return Path(config.ivr.recordings_dir).resolve() / "names"


class IvrServer:
    """Outbound socket server for the calls and the room controller; `start()`, `stop()`."""

    def __init__(
        self,
        config: Config,
        store: Store,
        esl_inbound_factory: InboundFactory = InboundESL,
        clock: Clock = utc_now,
        *,
        max_calls: int = MAX_CALLS,
    ) -> None:
        self.config = config
        self.store = store
        esl = config.freeswitch.esl
        self.inbound = esl_inbound_factory(esl.host, esl.port, esl.password, esl.timeout)
        self.rooms = RoomController(config, store, self.inbound, clock)
        self.services = FlowServices(
            config=config,
            store=store,
            rooms=self.rooms,
            prompts=Prompts.from_config(config),
            lockout=Lockout(store, config.pins, clock),
            clock=clock,
            names_dir=names_dir(config),
        )
        socket = config.freeswitch.socket
        self.calls = OutboundESLServer(
            socket.host,
            socket.port,
            application=self._application,
            max_connections=max_calls,
            command_timeout=float(config.ivr.command_timeout_seconds),
            # The flow waits only for its own executions and the hangup, never for other
            # events: buffering them would hold a call's every event and its channel data.
            event_buffer=0,
        )
        self._keeper: gevent.Greenlet | None = None
        self._ready = gevent.event.Event()
        self._stopping = False

    @property
    def address(self) -> tuple[str, int]:
        """Where the IVR listens (the bound port, also when the config asked for port 0)."""
        return self.calls.bind_address, self.calls.bound_port or self.calls.bind_port

    @property
    def active_calls(self) -> int:
        return self.calls.connection_count

    def start(self) -> None:
        """Listen for calls, then connect the room controller (in the background, retrying)."""
        self._stopping = False
        # What callers say is recorded there: fs_conf creates both folders for its own user
        # alone (a umask only takes bits away); folders that exist keep their permissions.
        self.services.names_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.services.names_dir.mkdir(mode=0o700, exist_ok=True)
        self._forget_stale_names()
        self.calls.start()
        self._keeper = gevent.spawn(self._keep_inbound)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting calls, close every call socket (callers in a room stay there, as
        FreeSWITCH keeps a channel whose socket closed; the next start adopts them) and the
        inbound connection."""
        self._stopping = True
        self.calls.stop(timeout)
        if self._keeper is not None:
            self._keeper.kill(timeout=timeout)
            self._keeper = None
        self.rooms.stop()
        self.inbound.stop()

    def __enter__(self) -> IvrServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_rooms_ready(self, timeout: float) -> bool:
        """True once the room controller is subscribed on a live inbound connection."""
        return self._ready.wait(timeout)

    def _application(self, session: OutboundSession) -> CallFlow:
        return CallFlow(session, self.services)

    def _keep_inbound(self) -> None:
        """Connect, start the room controller, and do it again after every drop.

        A closed port is tried again every PROBE_SECONDS, so control is back soon after
        FreeSWITCH listens again. A server that takes the connection but fails the login, or
        drops it within STABLE_SECONDS, is tried again after growing waits, so one that drops
        every login is not stormed with connects."""
        failures = 0
        unreachable_logged = False
        while not self._stopping:
            try:
                self.inbound.connect()
                self.rooms.start()
            except ESLError as exc:
                if self.inbound.reached:
                    failures = self._back_off(failures, f"unavailable ({exc!r})")
                    continue
                if not unreachable_logged:
                    log.warning(
                        "inbound Event Socket %s:%s not reachable (%r); trying every %ss",
                        self.inbound.host,
                        self.inbound.port,
                        exc,
                        PROBE_SECONDS,
                    )
                    unreachable_logged = True
                gevent.sleep(PROBE_SECONDS)
                continue
            unreachable_logged = False
            up_since = time.monotonic()
            self._ready.set()
            log.info("room controller listening on %s:%s", self.inbound.host, self.inbound.port)
            self.inbound.disconnected.wait()
            self._ready.clear()
            if self._stopping:
                return
            if time.monotonic() - up_since < STABLE_SECONDS:
                failures = self._back_off(failures, "dropped soon after the login")
                continue
            failures = 0
            log.warning(
                "inbound Event Socket %s:%s lost; reconnecting",
                self.inbound.host,
                self.inbound.port,
            )

    def _back_off(self, failures: int, problem: str) -> int:
        """Wait before the next attempt, longer after each failure; returns the new count."""
        wait = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
        log.warning(
            "inbound Event Socket %s:%s %s; retrying in %ss",
            self.inbound.host,
            self.inbound.port,
            problem,
            wait,
        )
        gevent.sleep(wait)
        return failures + 1

    def _forget_stale_names(self) -> None:
        """Name recordings belong to one call; any left from a crash are of no use."""
        for stale in self.services.names_dir.glob("*.wav"):
            stale.unlink(missing_ok=True)
