"""Fixtures for the IVR tests: the simulator, the IVR server and a store, wired over TCP.

`bridge(**settings)` starts a Simulator (fast time scale), an IvrServer on a free port with
its inbound Event Socket pointed at the simulator, and a SQLite store in tmp_path. The
dialplan is a copy of the shipped freeswitch/dialplan/ with the socket address replaced by
the test's port, so the tests exercise the files admins install. The IVR's clock is a
`SettableClock` the test sets, so dial-in windows do not depend on the wall clock.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gevent
import pytest

from fs_conf.clock import SettableClock
from fs_conf.config import (
    Config,
    EslConfig,
    FreeswitchConfig,
    IvrConfig,
    NumbersConfig,
    PinsConfig,
    SocketConfig,
)
from fs_conf.esl import InboundESL
from fs_conf.ivr.room_names import room_name
from fs_conf.ivr.server import IvrServer
from fs_conf.model import Conference, Participant, Role, RoomOptions
from fs_conf.sim import Call, SimConfig, Simulator
from fs_conf.store import Store, open_store

REPO = Path(__file__).resolve().parents[2]
SHIPPED_DIALPLAN = REPO / "freeswitch" / "dialplan"
SHIPPED_CONFERENCE = REPO / "freeswitch" / "autoload_configs" / "conference.conf.xml"
SHIPPED_SOCKET = "127.0.0.1:8084"

TIME_SCALE = 0.02
"""One call-second is 20 ms: prompts play in milliseconds, PIN timeouts stay well above
the time a test needs to react."""

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2030, 3, 4, 9, 0, tzinfo=BERLIN)
"""The default conference start; the clock starts 5 minutes after it."""

GUEST_PIN = "11111111"
MODERATOR_PIN = "2222222222"
WRONG_PIN = "99999999"


@dataclass
class Bridge:
    """One simulator + IVR + store, and helpers to set up conferences and place calls."""

    sim: Simulator
    ivr: IvrServer
    store: Store
    clock: SettableClock
    config: Config
    tmp_path: Path
    _ids: list[int] = field(default_factory=list)

    def conference(self, **fields: Any) -> Conference:
        """Store a conference on 3400 open at the clock's time, with the test PINs."""
        values: dict[str, Any] = {
            "title": "Weekly",
            "start": START,
            "timezone": "Europe/Berlin",
            "duration": timedelta(hours=1),
            "number": "3400",
            "guest_pin": GUEST_PIN,
            "moderator_pin": MODERATOR_PIN,
            "uid": f"uid-{len(self._ids)}@test",
            "lead": timedelta(minutes=10),
        }
        values.update(fields)
        stored = self.store.add_conference(Conference(**values))
        assert stored.id is not None
        self._ids.append(stored.id)
        return stored

    def call(self, number: str = "3400", caller_id: str = "1001", **kwargs: Any) -> Call:
        return self.sim.call(number, caller_id=caller_id, **kwargs)

    def enter(self, pin: str, number: str = "3400", caller_id: str = "1001", **kwargs: Any) -> Call:
        """Call, wait for the PIN prompt, type `pin#`."""
        call = self.call(number, caller_id, **kwargs)
        call.wait_heard("conference/conf-pin")
        call.press(pin + "#")
        return call

    def member(self, call: Call, timeout: float = 5.0) -> Any:
        return call.wait_member(timeout)

    def room(self, conference: Conference) -> Any:
        return self.sim.room(room_name(conference.id))

    def wait_calls_gone(self, timeout: float = 5.0) -> None:
        """Wait until neither the IVR nor the switch has a call left."""
        wait_until(lambda: self.ivr.active_calls == 0 and not self.sim.channels, timeout)


class AppLog:
    """Every application the switch runs, as an inbound ESL client sees CHANNEL_EXECUTE:
    (channel uuid, application, its argument), in order."""

    def __init__(self, sim: Simulator) -> None:
        host, port = sim.esl_address
        self.esl = InboundESL(host, port, sim.password)
        self.runs: list[tuple[str, str, str]] = []

    def __enter__(self) -> AppLog:
        self.esl.connect()
        self.esl.register_handle("CHANNEL_EXECUTE", self._on_execute)
        self.esl.subscribe("CHANNEL_EXECUTE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.esl.stop()

    def _on_execute(self, event: Any) -> None:
        self.runs.append(
            (
                event.get("Unique-ID", ""),
                event.get("Application", ""),
                event.get("Application-Data", ""),
            )
        )

    def of(self, call: Call, app: str) -> list[str]:
        """The arguments `app` ran with on `call`."""
        return [data for uuid, name, data in self.runs if uuid == call.uuid and name == app]


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Yield to the other greenlets until `condition()` holds; fail after `timeout` s."""
    with gevent.Timeout(timeout, False):
        while not condition():
            gevent.sleep(0.01)
    assert condition()


def person(name: str, role: Role, pin: str, phone: str | None = None) -> Participant:
    return Participant(
        name=name, email=f"{name.lower()}@example.org", phone=phone, role=role, pin=pin
    )


def test_config(tmp_path: Path, esl: tuple[str, int], password: str, **sections: Any) -> Config:
    """A Config for the tests; `sections` replace fields per section, e.g.
    `pins={"tries_per_call": 2}`, `ivr={"conference_id_prompt": True}`."""
    base = Config(
        database=str(tmp_path / "fs_conf.sqlite3"),
        freeswitch=FreeswitchConfig(
            esl=EslConfig(host=esl[0], port=esl[1], password=password, timeout=5.0),
            socket=SocketConfig(host="127.0.0.1", port=0),
        ),
        numbers=NumbersConfig(internal="3400", external="+4930555000"),
        pins=PinsConfig(guest_length=8, personal_length=8, moderator_length=10),
        ivr=IvrConfig(
            pin_timeout_seconds=20,
            digit_timeout_seconds=5,
            command_timeout_seconds=10,
            recordings_dir=str(tmp_path / "recordings"),
        ),
    )
    changes = {}
    for name, values in sections.items():
        changes[name] = dataclasses.replace(getattr(base, name), **values)
    return dataclasses.replace(base, **changes)


test_config.__test__ = False  # type: ignore[attr-defined]


def write_dialplan(target: Path, port: int) -> Path:
    """The shipped dialplan with the IVR's socket address set to the test's port."""
    if target.exists():
        shutil.rmtree(target)
    for source in SHIPPED_DIALPLAN.rglob("*.xml"):
        copy = target / source.relative_to(SHIPPED_DIALPLAN)
        copy.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        assert SHIPPED_SOCKET in text, f"{source} no longer uses {SHIPPED_SOCKET}"
        copy.write_text(text.replace(SHIPPED_SOCKET, f"127.0.0.1:{port}"), encoding="utf-8")
    return target


BridgeFactory = Callable[..., Bridge]


@pytest.fixture
def bridge_factory(tmp_path: Path) -> Iterator[BridgeFactory]:
    """Build Bridges with config sections changed; all are stopped after the test."""
    running: list[Bridge] = []

    def build(*, max_calls: int = 100, **sections: Any) -> Bridge:
        folder = tmp_path / f"bridge{len(running)}"
        folder.mkdir()
        dialplan = write_dialplan(folder / "dialplan", 8084)
        sim = Simulator(
            SimConfig(
                dialplan=dialplan,
                conference_config=SHIPPED_CONFERENCE,
                time_scale=TIME_SCALE,
            )
        ).start()
        config = test_config(folder, sim.esl_address, sim.password, **sections)
        clock = SettableClock(START + timedelta(minutes=5))
        store = open_store(config.database, clock=clock)
        ivr = IvrServer(config, store, InboundESL, clock, max_calls=max_calls)
        ivr.start()
        write_dialplan(dialplan, ivr.address[1])
        sim.reload()
        bridge = Bridge(sim, ivr, store, clock, config, folder)
        running.append(bridge)
        assert ivr.wait_rooms_ready(5.0), "room controller did not connect to the simulator"
        return bridge

    yield build
    for bridge in running:
        bridge.ivr.stop(timeout=2.0)
        bridge.sim.stop()
        bridge.store.close()


@pytest.fixture
def bridge(bridge_factory: BridgeFactory) -> Bridge:
    """A Bridge with the default test settings."""
    return bridge_factory()


def options(**values: Any) -> RoomOptions:
    return RoomOptions(**values)
