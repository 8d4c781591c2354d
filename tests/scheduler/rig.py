"""A simulated FreeSWITCH, the IVR and the scheduler wired over TCP on 127.0.0.1.

The shipped dialplan and conference profile are used, with the socket address pointed at the
IVR's free port. The IVR and the scheduler each have their own store connection on one SQLite
file and share a clock the test sets; the scheduler is driven turn by turn with `tick()` (or
runs its loop in a greenlet) and mails into a folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fs_conf.clock import SettableClock
from fs_conf.config import (
    Config,
    EslConfig,
    FreeswitchConfig,
    IvrConfig,
    MailConfig,
    NumbersConfig,
    PinsConfig,
    SchedulerConfig,
    SocketConfig,
)
from fs_conf.esl import InboundESL
from fs_conf.ivr.room_names import room_name
from fs_conf.ivr.server import IvrServer
from fs_conf.mail.transport import transport_from_config
from fs_conf.model import Conference, Participant, Role
from fs_conf.scheduler import Scheduler
from fs_conf.sim import Call, SimConfig, Simulator
from fs_conf.store import Store, open_store
from tests.ivr.conftest import SHIPPED_CONFERENCE, TIME_SCALE, write_dialplan

from .conftest import START

GUEST_PIN = "323456789"
MODERATOR_PIN = "4234567890"
NUMBER = NumbersConfig().internal
"""The default conference number, the one the shipped dialplan routes to the IVR."""


def rig_config(folder: Path, esl: tuple[str, int], password: str) -> Config:
    return Config(
        database=str(folder / "fs_conf.sqlite3"),
        freeswitch=FreeswitchConfig(
            esl=EslConfig(host=esl[0], port=esl[1], password=password, timeout=5.0),
            socket=SocketConfig(host="127.0.0.1", port=0),
            dial_string="user/{number}",
        ),
        numbers=NumbersConfig(internal=NUMBER),
        pins=PinsConfig(guest_length=9, personal_length=9, moderator_length=10),
        ivr=IvrConfig(
            pin_timeout_seconds=20,
            digit_timeout_seconds=5,
            command_timeout_seconds=10,
            recordings_dir=str(folder / "recordings"),
        ),
        mail=MailConfig(transport="folder", folder=str(folder / "mail")),
        scheduler=SchedulerConfig(
            reminder_minutes=0, warn_before_end_minutes=5, callout_answer_seconds=3
        ),
    )


@dataclass
class Rig:
    sim: Simulator
    ivr: IvrServer
    scheduler: Scheduler
    ivr_store: Store
    store: Store
    clock: SettableClock
    config: Config

    def conference(self, **fields: Any) -> Conference:
        values: dict[str, Any] = {
            "title": "Weekly sync",
            "start": START,
            "timezone": "Europe/Berlin",
            "duration": timedelta(hours=1),
            "number": NUMBER,
            "guest_pin": GUEST_PIN,
            "moderator_pin": MODERATOR_PIN,
            "uid": f"uid-{len(self.store.list_conferences(include_cancelled=True))}@test",
            "organizer": "Boss <boss@example.org>",
            "participants": [
                Participant(
                    "Mia Moderator", "mia@example.org", "1001", Role.MODERATOR, "1234567890"
                ),
                Participant(
                    "Petra Phone",
                    "petra@example.org",
                    "1003",
                    Role.PARTICIPANT,
                    "223456789",
                    call=True,
                ),
            ],
        }
        values.update(fields)
        return self.store.add_conference(Conference(**values))

    def enter(self, pin: str, caller_id: str) -> Call:
        call = self.sim.call(NUMBER, caller_id=caller_id)
        call.wait_heard("conference/conf-pin")
        call.press(pin + "#")
        call.wait_member()
        return call

    def room(self, conference: Conference) -> Any:
        return self.sim.room(room_name(conference.id or 0))

    def mails(self) -> list[EmailMessage]:
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for path in sorted(Path(self.config.mail.folder).glob("*.eml"))
        ]

    def stop(self) -> None:
        self.scheduler.stop(timeout=2.0)
        self.ivr.stop(timeout=2.0)
        self.sim.stop()
        self.store.close()
        self.ivr_store.close()


def build_rig(
    folder: Path,
    ivr: dict[str, Any] | None = None,
    mail: MailConfig | None = None,
    templates_dir: str = "",
    **scheduler: Any,
) -> Rig:
    """The rig; `ivr` and `scheduler` replace fields of those config sections, `mail` the
    mail section (then mail goes where it says, else to a folder)."""
    dialplan = write_dialplan(folder / "dialplan", 8084)
    sim = Simulator(
        SimConfig(dialplan=dialplan, conference_config=SHIPPED_CONFERENCE, time_scale=TIME_SCALE)
    ).start()
    config = rig_config(folder, sim.esl_address, sim.password)
    config = dataclasses.replace(config, templates_dir=templates_dir)
    if ivr:
        config = dataclasses.replace(config, ivr=dataclasses.replace(config.ivr, **ivr))
    if mail:
        config = dataclasses.replace(config, mail=mail)
    if scheduler:
        config = dataclasses.replace(
            config, scheduler=dataclasses.replace(config.scheduler, **scheduler)
        )
    clock = SettableClock(START - timedelta(hours=1))
    ivr_store = open_store(config.database, clock=clock)
    server = IvrServer(config, ivr_store, InboundESL, clock)
    server.start()
    write_dialplan(dialplan, server.address[1])
    sim.reload()
    assert server.wait_rooms_ready(5.0), "the IVR did not reach the simulator's event socket"
    store = open_store(config.database, clock=clock)
    transport = transport_from_config(config.mail)
    scheduler_ = Scheduler(
        config,
        store,
        server.inbound,
        transport,
        clock,
        rooms=server.rooms,
        ivr_address=server.address,
    )
    return Rig(sim, server, scheduler_, ivr_store, store, clock, config)
