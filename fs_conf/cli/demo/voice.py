"""The demo's voice part: callers dial in through the built-in FreeSWITCH simulator.

The simulator runs the dialplan and conference profile fs_conf ships for FreeSWITCH, the IVR
answers on its outbound socket, and simulated phones dial the conference number, type PINs
and press keys, all over real TCP on 127.0.0.1. The steps print what each caller heard and
did (the moderator mutes the participants with *1 and removes the last to join with *4),
and the room as `conference <room> list` shows it to an admin.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent

from fs_conf.cli.demo.state import DemoRun
from fs_conf.config import SocketConfig
from fs_conf.esl import ConferenceAPI, InboundESL
from fs_conf.ivr.room_names import room_name
from fs_conf.ivr.server import IvrServer
from fs_conf.model import Participant, Role
from fs_conf.prompts import Prompts
from fs_conf.shipped_files import CONFERENCE_CONF, DIALPLAN, shipped_xml_dir
from fs_conf.sim import Call, SimConfig, Simulator

TIME_SCALE = 0.05
"""One second of a prompt plays in 50 ms, so the demo runs in seconds."""

WAIT = 10.0
"""Real seconds to wait for anything the switch or the IVR should do."""

MUTED_SOUND = "conference/conf-muted.wav"
"""What mod_conference plays to a member it mutes (muted-sound of the shipped profile)."""


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
            dialplan=xml / DIALPLAN,
            conference_config=xml / CONFERENCE_CONF,
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
    """The moderator mutes the participants with *1, then removes the last to join with *4;
    both from her keypad, carried out by the room controller and confirmed by a prompt."""
    stack = run.stack()
    prompts = Prompts.from_config(run.config)
    moderator = next(p for p in run.sample().participants if p.role is Role.MODERATOR)
    chair = stack.callers[moderator.name]
    others = [caller for caller in stack.callers.values() if caller is not chair]
    last = stack.callers[_dialling(run)[2].name]

    run.say(f"{moderator.name} presses *1 (mute all participants)")
    chair.call.press("*1")
    chair.call.wait_heard(prompts.file("muted_all"), timeout=WAIT)
    print_heard(run, chair)
    for caller in others:
        caller.call.wait_heard(MUTED_SOUND, timeout=WAIT)
        run.say(f"{caller.name} is muted (flags now: {_member(caller).flags_text()}):")
        print_heard(run, caller)
    run.say()

    run.say(f"{moderator.name} presses *4 (remove the participant who joined last)")
    chair.call.press("*4")
    last.call.wait_hangup(WAIT)
    chair.call.wait_heard(prompts.file("removed_last"), timeout=WAIT)
    print_heard(run, chair)
    run.say(f"{last.name} was removed:")
    print_heard(run, last)
    run.say(f"   call ended ({last.call.hangup_cause})")
    run.say()
    show_room(run)


def _member(caller: Caller) -> Any:
    """The simulator's member of a caller in the room (its flags as `list` shows them)."""
    member = caller.call.member
    if member is None:
        raise RuntimeError(f"demo: {caller.name} is not in the room")
    return member


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
    room = room_name(run.sample().stored_id)
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
        port: int = probe.getsockname()[1]
        return port
