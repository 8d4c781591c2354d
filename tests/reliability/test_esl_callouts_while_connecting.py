"""Issue 10, item 7: call-outs that fall due while `serve` is still connecting are placed.

The inbound connection used to say it was connected before FreeSWITCH accepted the
password; a call-out sent then got `-ERR command not found`, was marked done and never
placed. Now the connection counts as connected only after `+OK accepted`, and a call-out is
marked done only once FreeSWITCH accepted its originate; until then it stays due.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fs_conf.clock import SettableClock
from fs_conf.esl import InboundESL
from fs_conf.ivr.server import IvrServer
from fs_conf.mail.transport import transport_from_config
from fs_conf.model import Conference, Participant, Role
from fs_conf.scheduler import Scheduler
from fs_conf.scheduler.run import RETRY_SECONDS
from fs_conf.sim import SimConfig, Simulator
from fs_conf.store import open_store
from tests.esl.peer import Front, Peer, eventually
from tests.ivr.conftest import SHIPPED_CONFERENCE, TIME_SCALE, write_dialplan
from tests.scheduler.conftest import START
from tests.scheduler.rig import GUEST_PIN, MODERATOR_PIN, NUMBER, rig_config

GREETING_DELAY = 1.5
"""How late the server's auth/request greeting comes (as a busy FreeSWITCH's did)."""
PHONES = ("2001", "2002", "2003", "2004")


def called(number: str) -> Participant:
    return Participant(
        f"Callee {number}",
        f"c{number}@example.org",
        number,
        Role.PARTICIPANT,
        f"5{number}0000",
        call=True,
    )


def test_four_call_outs_due_during_a_late_greeting_are_all_placed(tmp_path: Path) -> None:
    dialplan = write_dialplan(tmp_path / "dialplan", 8084)
    sim = Simulator(
        SimConfig(dialplan=dialplan, conference_config=SHIPPED_CONFERENCE, time_scale=TIME_SCALE)
    ).start()

    def late_greeting(number: int, peer: Peer) -> None:
        front.pipe(peer, greeting_delay=GREETING_DELAY)

    front = Front(sim.esl_address, late_greeting)
    config = rig_config(tmp_path, ("127.0.0.1", front.port), sim.password)
    clock = SettableClock(START)
    ivr_store = open_store(config.database, clock=clock)
    store = open_store(config.database, clock=clock)
    phones = [sim.phone(number, answer=None) for number in PHONES]
    store.add_conference(
        Conference(
            title="Stand-up",
            start=START,
            timezone="Europe/Berlin",
            duration=timedelta(hours=1),
            number=NUMBER,
            guest_pin=GUEST_PIN,
            moderator_pin=MODERATOR_PIN,
            uid="standup@test",
            participants=[called(number) for number in PHONES],
        )
    )
    ivr = IvrServer(config, ivr_store, InboundESL, clock)
    scheduler = Scheduler(
        config,
        store,
        ivr.inbound,
        transport_from_config(config.mail),
        clock,
        rooms=ivr.rooms,
        ivr_address=ivr.address,
    )
    try:
        ivr.start()
        write_dialplan(dialplan, ivr.address[1])
        sim.reload()
        # The TCP connection is up; FreeSWITCH's greeting is still 1.5 s away.
        assert eventually(lambda: front.accepted == 1)
        scheduler.tick()
        assert ivr.wait_rooms_ready(10.0)
        clock.advance(seconds=RETRY_SECONDS)
        scheduler.tick()
        for phone in phones:
            phone.wait_call(timeout=10.0)
    finally:
        scheduler.stop(timeout=2.0)
        ivr.stop(timeout=2.0)
        front.close()
        sim.stop()
        store.close()
        ivr_store.close()
