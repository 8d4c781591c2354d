"""The demo's voice part: callers dial in through the built-in FreeSWITCH simulator.

The simulator runs the dialplan and conference profile fs_conf ships for FreeSWITCH, the IVR
answers on its outbound socket, and simulated phones dial the conference number, type PINs
and press keys, all over real TCP on 127.0.0.1. The steps print what each caller heard and
did, and the room as `conference <room> list` shows it to an admin.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent

from fs_conf.config import SocketConfig
from fs_conf.demo.state import DemoRun
from fs_conf.esl import ConferenceAPI, InboundESL
from fs_conf.freeswitch_xml import shipped_xml_dir
from fs_conf.ivr.prompts import Prompts
from fs_conf.ivr.rooms import room_name
from fs_conf.ivr.server import IvrServer
from fs_conf.model import Participant, Role
from fs_conf.sim import Call, SimConfig, Simulator

TIME_SCALE = 0.05
"""One second of a prompt plays in 50 ms, so the demo runs in seconds."""

WAIT = 10.0
"""Real seconds to wait for anything the switch or the IVR should do."""


@dataclass
class Caller:
    """A simulated phone in the demo, and how much of what it heard is printed already."""

    name: str
    call: Call
    shown: int = 0


@dataclass
class VoiceStack:
    sim: Simulator
    ivr: IvrServer
    admin: ConferenceAPI
    """`conference ...` commands over an inbound Event Socket, as an admin's fs_cli would."""
    callers: dict[str, Caller] = field(default_factory=dict)


def start_voice(run: DemoRun) -> None:
    """Start the simulator with the shipped FreeSWITCH files and the IVR behind its socket."""
    port = _free_port()
    xml = shipped_xml_dir()
    sim = Simulator(
        SimConfig(
            dialplan=xml / "dialplan",
            conference_config=xml / "autoload_configs" / "conference.conf.xml",
            time_scale=TIME_SCALE,
            socket_redirect=f"127.0.0.1:{port}",
        )
    ).start()
    run.closing.callback(sim.stop)
    host, esl_port = sim.esl_address
    switch = run.config.freeswitch
    run.config = dataclasses.replace(
        run.config,
        freeswitch=dataclasses.replace(
            switch,
            esl=dataclasses.replace(switch.esl, host=host, port=esl_port, password=sim.password),
            socket=SocketConfig("127.0.0.1", port),
        ),
    )
    ivr = IvrServer(run.config, run.store, InboundESL, run.clock)
    ivr.start()
    run.closing.callback(ivr.stop)
    if not ivr.wait_rooms_ready(WAIT):
        raise RuntimeError("the IVR did not connect to the simulator's Event Socket")
    admin = InboundESL(host, esl_port, sim.password)
    admin.connect()
    run.closing.callback(admin.stop)
    run.voice = VoiceStack(sim, ivr, ConferenceAPI(admin.api))
    run.say("Voice: FreeSWITCH simulator with the shipped dialplan and conference profile")
    run.say(f"       Event Socket {host}:{esl_port}, IVR socket 127.0.0.1:{port}")
    run.say()


def first_callers_join(run: DemoRun) -> None:
    """Before the start (dial-in opens early), the moderator and a participant dial in."""
    moderator, early = _dialling(run)[:2]
    _dial_in(run, moderator)
    _dial_in(run, early)


def late_caller_joins(run: DemoRun) -> None:
    """A participant dials in after the start."""
    _dial_in(run, _dialling(run)[2])
    show_room(run)


def _dialling(run: DemoRun) -> list[Participant]:
    """The participants who dial in themselves, moderator first."""
    people = [p for p in run.sample().participants if not p.call]
    return sorted(people, key=lambda p: p.role is not Role.MODERATOR)


def moderator_acts(run: DemoRun) -> None:
    """A participant mutes himself with 0; the moderator removes the last to join with *4."""
    stack = run.stack()
    conference = run.sample()
    moderator = next(p for p in conference.participants if p.role is Role.MODERATOR)
    first, last = _dialling(run)[1:3]

    muting = stack.callers[first.name]
    run.say(f"{first.name} presses 0")
    muting.call.press("0")
    until(lambda: not muting.call.member.can_speak, f"{first.name} to be muted")
    print_heard(run, muting)
    run.say(f"   is muted (flags now: {muting.call.member.flags_text()})")
    run.say()

    chair = stack.callers[moderator.name]
    removed = stack.callers[last.name]
    run.say(f"{moderator.name} presses *4 (remove the participant who joined last)")
    chair.call.press("*4")
    removed.call.wait_hangup(WAIT)
    chair.call.wait_heard(Prompts.from_config(run.config).file("removed_last"), timeout=WAIT)
    print_heard(run, chair)
    run.say(f"{last.name} was removed:")
    print_heard(run, removed)
    run.say(f"   call ended ({removed.call.hangup_cause})")
    run.say()
    show_room(run)


def _dial_in(run: DemoRun, participant: Participant) -> None:
    stack = run.stack()
    conference = run.sample()
    run.say(f"{_time(run)} {participant.name} ({participant.phone}) dials {conference.number}")
    call = stack.sim.call(
        conference.number, caller_id=participant.phone or "", caller_name=participant.name
    )
    caller = Caller(participant.name, call)
    stack.callers[participant.name] = caller
    call.wait_heard("conference/conf-pin", timeout=WAIT)
    print_heard(run, caller)
    run.say("   types   their personal PIN and #")
    call.press(participant.pin + "#")
    member = call.wait_member(WAIT)
    print_heard(run, caller)
    role = "moderator" if member.moderator else "participant"
    run.say(f"   is in   room {member.room.name} as {role} (member {member.id})")
    run.say()


def _time(run: DemoRun) -> str:
    return f"[{run.now:%H:%M}]"


def print_heard(run: DemoRun, caller: Caller) -> None:
    heard = caller.call.heard
    for prompt in heard[caller.shown :]:
        run.say(f"   hears   {prompt}")
    caller.shown = len(heard)


def show_room(run: DemoRun) -> None:
    room = room_name(run.sample().id)
    run.say(f"fs_cli> conference {room} list")
    for row in run.stack().admin.command(room, "list").splitlines():
        run.say(f"   {row}")
    run.say()


def until(condition: Callable[[], bool], what: str) -> None:
    with gevent.Timeout(WAIT, False):
        while not condition():
            gevent.sleep(0.01)
    if not condition():
        raise RuntimeError(f"demo: waited {WAIT:.0f} s for {what}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
