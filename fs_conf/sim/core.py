"""The Simulator: one simulated FreeSWITCH with its ESL server, dialplan, rooms and phones.

Everything runs in greenlets of the calling process; `stop()` hangs up every call and closes
every socket. An example: docs/simulator.md#using-it-from-python
"""

from __future__ import annotations

import socket
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

import gevent

from fs_conf.sim.api import Api
from fs_conf.sim.apps import build_apps
from fs_conf.sim.bus import EventBus
from fs_conf.sim.clock import Clock
from fs_conf.sim.conference import ConferenceManager, Room
from fs_conf.sim.conference_api import ConferenceApi
from fs_conf.sim.conference_config import ConferenceConfig
from fs_conf.sim.context import SimContext
from fs_conf.sim.dialplan import Dialplan
from fs_conf.sim.headers import Identity
from fs_conf.sim.inbound import InboundServer
from fs_conf.sim.originate import Originator
from fs_conf.sim.phone import Call, Phone, PhoneBook
from fs_conf.sim.sounds import SoundLibrary

# Globals FreeSWITCH's vars.xml defines that dialplans commonly use.
DEFAULT_GLOBALS = {
    "domain": "127.0.0.1",
    "local_ip_v4": "127.0.0.1",
    "hold_music": "local_stream://moh",
    "sound_prefix": "/usr/share/freeswitch/sounds/en/us/callie",
    "outbound_caller_name": "FreeSWITCH",
    "outbound_caller_id": "0000000000",
}
# The modules of the FreeSWITCH the recordings were made with (../shared/freeswitch/README.md).
DEFAULT_MODULES = frozenset(
    f"mod_{name}"
    for name in (
        "event_socket conference dptools commands dialplan_xml loopback sofia sndfile "
        "native_file tone_stream say_en flite db hash expr"
    ).split()
)


@dataclass
class SimConfig:
    """Settings of one simulator (paths may be str or Path; port 0 picks a free port)."""

    esl_host: str = "127.0.0.1"
    esl_port: int = 0
    password: str = "ClueCon"
    dialplan: str | Path | None = None
    conference_config: str | Path | None = None
    time_scale: float = 1.0
    default_sound_seconds: float = 1.0
    sounds_dir: str | Path | None = None
    hostname: str = field(default_factory=socket.gethostname)
    global_vars: dict[str, str] = field(default_factory=dict)
    max_sessions: int = 2000
    modules: frozenset[str] = DEFAULT_MODULES
    # "host:port" every `socket` application connects to instead of the one the dialplan
    # names (the channel data still shows the dialplan's text): lets tests run the shipped
    # dialplan against an IVR on a free port.
    socket_redirect: str | None = None


class Simulator:
    """A running simulated switch; use as a context manager or call start()/stop()."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        cfg = self.config
        clock = Clock(cfg.time_scale)
        identity = Identity(core_uuid=str(uuidlib.uuid4()), hostname=cfg.hostname)
        global_vars = dict(DEFAULT_GLOBALS)
        global_vars["hostname"] = cfg.hostname
        sounds_dir = Path(cfg.sounds_dir) if cfg.sounds_dir is not None else None
        if sounds_dir is not None:
            # Relative prompts are played from there, as FreeSWITCH plays them from
            # sound_prefix (src/switch_ivr_play_say.c switch_ivr_play_file).
            global_vars["sound_prefix"] = str(sounds_dir.resolve())
        global_vars.update(cfg.global_vars)
        self.ctx = SimContext(
            clock=clock,
            identity=identity,
            bus=EventBus(identity, clock),
            sounds=SoundLibrary(sounds_dir, cfg.default_sound_seconds),
            global_vars=global_vars,
            max_sessions=cfg.max_sessions,
            socket_redirect=cfg.socket_redirect,
            modules=cfg.modules,
        )
        ctx = self.ctx
        ctx.dialplan = Dialplan.load(cfg.dialplan, ctx.global_vars, frozenset(cfg.global_vars))
        ctx.conferences = ConferenceManager(
            ctx, ConferenceConfig.load(cfg.conference_config, ctx.global_vars)
        )
        ctx.phones = PhoneBook()
        apps = build_apps()
        self.originator = Originator(ctx, apps)
        ctx.originator = self.originator
        self.conference_api = ConferenceApi(ctx.conferences, self.originator)
        ctx.api = Api(ctx, self.originator, self.conference_api, self.reload)
        self.inbound = InboundServer(ctx, cfg.esl_host, cfg.esl_port, cfg.password)
        self.running = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Simulator:
        self.ctx.started = time.time()
        self.inbound.start()
        self.running = True
        return self

    def stop(self) -> None:
        """Hang up every call, close every connection, stop listening."""
        if not self.running:
            return
        self.running = False
        for channel in list(self.ctx.channels.values()):
            channel.hangup("MANAGER_REQUEST")
        deadline = time.monotonic() + 2.0
        while self.ctx.channels and time.monotonic() < deadline:
            gevent.sleep(0.01)
        assert self.ctx.conferences is not None
        self.ctx.conferences.stop()
        self.inbound.stop()
        for connection in list(self.ctx.connections):
            connection.abort()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reload(self) -> None:
        """reloadxml: read the dialplan and conference.conf.xml again."""
        cfg = self.config
        self.ctx.dialplan = Dialplan.load(
            cfg.dialplan, self.ctx.global_vars, frozenset(cfg.global_vars)
        )
        assert self.ctx.conferences is not None
        self.ctx.conferences.config = ConferenceConfig.load(
            cfg.conference_config, self.ctx.global_vars
        )

    # -- what tests use ---------------------------------------------------------------------
    @property
    def esl_address(self) -> tuple[str, int]:
        return self.inbound.address

    @property
    def password(self) -> str:
        return self.config.password

    def call(
        self,
        destination: str,
        caller_id: str = "0000000000",
        caller_name: str = "",
        variables: dict[str, str] | None = None,
        context: str = "default",
        channel_name: str | None = None,
    ) -> Call:
        """A phone calls `destination`; the dialplan decides what happens. `channel_name`
        replaces the default sofia/sim/<caller_id>@127.0.0.1."""
        channel, session = self.originator.inbound_call(
            destination, caller_id, caller_name, variables, context, channel_name
        )
        return Call(self.ctx, channel, session)

    def phone(
        self,
        number: str,
        answer: bool | str | None = True,
        keys_after_answer: str = "",
        answer_delay: float = 0.2,
    ) -> Phone:
        """Register a phone that originate/bridge/dial can ring at sim/<number>."""
        if answer not in (True, False, None, "busy"):
            raise ValueError(f"phone answer: expected True, False, 'busy' or None (got {answer!r})")
        assert self.ctx.phones is not None
        return self.ctx.phones.add(Phone(self.ctx, number, answer, keys_after_answer, answer_delay))

    def room(self, name: str) -> Room | None:
        assert self.ctx.conferences is not None
        return self.ctx.conferences.room(name)

    def wait_room(self, name: str, members: int = 1, timeout: float = 5.0) -> Room:
        """Wait until room `name` exists with at least `members` members."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            room = self.room(name)
            if room is not None and len(room.members) >= members:
                return room
            gevent.sleep(0.005)
        raise TimeoutError(f"room {name!r} did not reach {members} member(s) in {timeout}s")

    def api(self, command: str) -> str:
        """Run an API command as `api <command>` on the ESL would."""
        assert self.ctx.api is not None
        name, _, arg = command.strip().partition(" ")
        return self.ctx.api.execute(name, arg.strip())

    @property
    def channels(self) -> list[Call]:
        return [Call(self.ctx, channel) for channel in self.ctx.channels.values()]
