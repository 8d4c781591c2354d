"""The room controller against the simulator over TCP: every keypad action, its effect on the
room and the prompt that confirms it; the room state it keeps.

Callers join room fs_conf-1 straight from a test dialplan (as the IVR would: the keypad group
in `conference_controls`, `+flags{moderator}` for moderators), with the shipped
conference.conf.xml. The controller talks to the simulator through fs_conf.esl's InboundESL.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
import pytest

from fs_conf.config import Config, IvrConfig
from fs_conf.esl import InboundESL
from fs_conf.ivr.room_control import RoomController, recording_path
from fs_conf.model import Conference, RoomState
from fs_conf.sim import Call, SimConfig, Simulator
from fs_conf.store import Store, open_store
from fs_conf.timetable import JoinKind, join_state

REPO = Path(__file__).resolve().parents[2]
CONFERENCE_CONF = REPO / "freeswitch" / "autoload_configs" / "conference.conf.xml"
NOW = datetime(2030, 5, 6, 9, 10, tzinfo=UTC)
ROOM = "fs_conf-1"
PROMPTS = {
    name: f"test/{name}.wav"
    for name in (
        "muted_all",
        "unmuted_all",
        "room_locked",
        "room_unlocked",
        "removed_last",
        "extended",
        "recording_started",
        "recording_stopped",
        "conference_ending",
        "not_allowed",
    )
}

DIALPLAN = """<include>
  <context name="default">
    <extension name="moderator">
      <condition field="destination_number" expression="^mod-(\\d+)$">
        <action application="set" data="conference_controls=fs_conf-moderator"/>
        <action application="conference" data="fs_conf-$1@fs_conf+flags{moderator}"/>
      </condition>
    </extension>
    <extension name="participant">
      <condition field="destination_number" expression="^part-(\\d+)$">
        <action application="set" data="conference_controls=fs_conf-participant"/>
        <action application="conference" data="fs_conf-$1@fs_conf"/>
      </condition>
    </extension>
    <extension name="misconfigured">
      <condition field="destination_number" expression="^rogue-(\\d+)$">
        <action application="set" data="conference_controls=fs_conf-moderator"/>
        <action application="conference" data="fs_conf-$1@fs_conf"/>
      </condition>
    </extension>
  </context>
</include>
"""


def wait_until(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not reached within {timeout}s: {check.__doc__ or check}"
            )
        gevent.sleep(0.005)


@dataclass
class Board:
    """One simulated switch, a store with conference 1 running now, and the controller."""

    sim: Simulator
    store: Store
    config: Config
    esl: InboundESL
    controller: RoomController
    conference: Conference

    def join(self, who: str, caller_id: str) -> Call:
        call = self.sim.call(f"{who}-1", caller_id=caller_id)
        call.wait_member()
        return call

    def member(self, call: Call) -> object:
        member = call.member
        assert member is not None, f"{call} is not in the room"
        return member

    def can_speak(self, call: Call) -> bool:
        return self.member(call).can_speak  # type: ignore[attr-defined]

    def occurrence_start(self) -> datetime:
        state = join_state(self.store.get_conference(1), NOW, timedelta(0))
        assert state.kind is JoinKind.OPEN and state.occurrence is not None
        return state.occurrence.start

    def restart_controller(self) -> RoomController:
        self.controller.stop()
        self.controller = RoomController(self.config, self.store, self.esl, clock=lambda: NOW)
        self.controller.start()
        return self.controller


def make_conference() -> Conference:
    return Conference(
        title="Board call",
        start=NOW - timedelta(minutes=10),
        timezone="Europe/Berlin",
        duration=timedelta(minutes=60),
        number="3000",
        guest_pin="01234567",
        moderator_pin="0098765432",
        uid="room-test@fs_conf",
    )


def start_board(
    tmp_path: Path, conference_conf: Path, ivr: IvrConfig, time_scale: float = 0.01
) -> Iterator[Board]:
    dialplan = tmp_path / "dialplan.xml"
    dialplan.write_text(DIALPLAN, encoding="utf-8")
    sim = Simulator(
        SimConfig(
            dialplan=dialplan,
            conference_config=conference_conf,
            time_scale=time_scale,
            default_sound_seconds=0.5,
        )
    ).start()
    store = open_store(tmp_path / "fs_conf.sqlite3", clock=lambda: NOW)
    conference = store.add_conference(make_conference())
    config = dataclasses.replace(Config(), ivr=ivr)
    host, port = sim.esl_address
    esl = InboundESL(host, port, sim.password, timeout=2.0)
    esl.connect()
    controller = RoomController(config, store, esl, clock=lambda: NOW)
    controller.start()
    board = Board(sim, store, config, esl, controller, conference)
    try:
        yield board
    finally:
        board.controller.stop()
        esl.stop()
        sim.stop()
        store.close()


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Board]:
    ivr = IvrConfig(prompts=PROMPTS, recordings_dir=str(tmp_path / "recordings"))
    yield from start_board(tmp_path, CONFERENCE_CONF, ivr)


@pytest.fixture
def room(board: Board) -> tuple[Call, Call, Call]:
    """A moderator and two participants, joined in that order."""
    moderator = board.join("mod", "+4930100")
    first = board.join("part", "+4930201")
    second = board.join("part", "+4930202")
    return moderator, first, second


def test_mute_all_mutes_the_participants_and_confirms_to_the_moderator(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, second = room
    moderator.press("*1")
    moderator.wait_heard(PROMPTS["muted_all"])
    wait_until(lambda: not board.can_speak(first) and not board.can_speak(second))
    assert board.can_speak(moderator)
    assert PROMPTS["muted_all"] not in first.heard
    state = board.controller.state(ROOM)
    assert state.muted_all
    assert board.store.room_state(1) == state


def test_whoever_joins_after_mute_all_is_muted_too(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator = room[0]
    moderator.press("*1")
    moderator.wait_heard(PROMPTS["muted_all"])
    late = board.join("part", "+4930203")
    wait_until(lambda: not board.can_speak(late))
    other_moderator = board.join("mod", "+4930101")
    late.wait_heard("conference/conf-muted.wav")
    assert board.can_speak(other_moderator)


def test_unmute_all_gives_the_participants_their_voice_back(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, second = room
    moderator.press("*1")
    moderator.wait_heard(PROMPTS["muted_all"])
    wait_until(lambda: not board.can_speak(first))
    moderator.press("*2")
    moderator.wait_heard(PROMPTS["unmuted_all"])
    wait_until(lambda: board.can_speak(first) and board.can_speak(second))
    assert not board.controller.state(ROOM).muted_all
    late = board.join("part", "+4930203")
    assert board.can_speak(late)


def test_lock_then_unlock_follows_the_room(board: Board, room: tuple[Call, Call, Call]) -> None:
    moderator = room[0]
    moderator.press("*3")
    moderator.wait_heard(PROMPTS["room_locked"])
    assert board.sim.room(ROOM).locked
    assert board.controller.state(ROOM).locked
    refused = board.sim.call("part-1", caller_id="+4930299")
    refused.wait_heard("conference/conf-locked.wav")
    refused.wait_hangup()
    moderator.press("*3")
    moderator.wait_heard(PROMPTS["room_unlocked"])
    assert not board.sim.room(ROOM).locked
    assert not board.controller.state(ROOM).locked


def test_lock_by_api_is_seen_and_the_key_toggles_from_the_real_lock(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator = room[0]
    board.sim.api(f"conference {ROOM} lock")
    wait_until(lambda: board.controller.state(ROOM).locked)
    moderator.press("*3")
    moderator.wait_heard(PROMPTS["room_unlocked"])
    assert not board.sim.room(ROOM).locked


def test_remove_last_takes_the_newest_participant_never_a_moderator(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, second = room
    other_moderator = board.join("mod", "+4930101")
    moderator.press("*4")
    moderator.wait_heard(PROMPTS["removed_last"])
    second.wait_hangup()
    assert first.alive and other_moderator.alive
    moderator.press("*4")
    moderator.wait_heard(PROMPTS["removed_last"])
    first.wait_hangup()
    moderator.press("*4")
    moderator.wait_heard(PROMPTS["not_allowed"])
    members = board.sim.room(ROOM).members
    assert sorted(m.caller_id_number for m in members) == ["+4930100", "+4930101"]


def test_extend_stores_the_extension_and_tells_the_room(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, second = room
    woken: list[bool] = []
    board.controller.on_schedule_change(lambda: woken.append(True))
    moderator.press("*6")
    moderator.wait_heard(PROMPTS["extended"])
    first.wait_heard(PROMPTS["extended"])
    second.wait_heard(PROMPTS["extended"])
    assert woken == [True]
    start = board.occurrence_start()
    extensions = board.store.get_conference(1).extensions
    assert extensions == {start: timedelta(minutes=board.config.conference.extend_minutes)}
    moderator.press("*6")
    moderator.wait_heard(PROMPTS["extended"])
    assert board.store.get_conference(1).extensions[start] == timedelta(minutes=30)


def test_record_starts_and_stops_a_file_per_occurrence(
    board: Board, room: tuple[Call, Call, Call], tmp_path: Path
) -> None:
    moderator, first, _ = room
    start = board.occurrence_start()
    expected = str(tmp_path / "recordings" / "1" / f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}.wav")
    moderator.press("*8")
    moderator.wait_heard(PROMPTS["recording_started"])
    first.wait_heard(PROMPTS["recording_started"])
    assert [r.path for r in board.sim.room(ROOM).recordings] == [expected]
    assert board.controller.state(ROOM).recording == expected
    board.sim.ctx.clock.sleep(5.0)
    moderator.press("*8")
    moderator.wait_heard(PROMPTS["recording_stopped"])
    first.wait_heard(PROMPTS["recording_stopped"])
    assert board.sim.room(ROOM).recordings == []
    assert board.controller.state(ROOM).recording == ""
    with wave.open(expected, "rb") as recorded:
        # The 5 call seconds slept and the prompts around them; a busy machine adds more.
        assert 5.0 <= recorded.getnframes() / recorded.getframerate() < 500.0
    moderator.press("*8")
    moderator.wait_heard(PROMPTS["recording_started"])
    assert [r.path for r in board.sim.room(ROOM).recordings] == [expected[:-4] + "-2.wav"]


def test_stopping_a_recording_freeswitch_already_stopped_is_confirmed_all_the_same(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    """FreeSWITCH answers `norecord` of a file it no longer records with `-ERR non-existant
    recording` (conference_api.c), e.g. when its stop-recording event was lost with the Event
    Socket connection; the moderator's `*8` still stops the recording and says so."""
    moderator, first, _ = room
    state = board.controller.state(ROOM)
    board.store.save_room_state(dataclasses.replace(state, recording="/gone/1.wav"))
    moderator.press("*8")
    moderator.wait_heard(PROMPTS["recording_stopped"])
    first.wait_heard(PROMPTS["recording_stopped"])
    assert board.controller.state(ROOM).recording == ""


def test_end_removes_everyone_and_marks_the_occurrence_ended(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, second = room
    members = [board.member(call) for call in room]
    woken: list[bool] = []
    board.controller.on_schedule_change(lambda: woken.append(True))
    moderator.press("*8")
    moderator.wait_heard(PROMPTS["recording_started"])
    assert woken == []
    moderator.press("*9")
    for call in room:
        call.wait_hangup()
    assert woken == [True]
    wait_until(lambda: board.sim.room(ROOM) is None)
    # Each caller is kicked with the "conference ending" prompt as their kicked sound, which
    # mod_conference.c plays to the caller before the conference application returns.
    sounds = [m.kicked_sound for m in members]  # type: ignore[attr-defined]
    assert sounds == [PROMPTS["conference_ending"]] * 3
    assert board.store.occurrence_ended(1, board.occurrence_start()) == NOW
    state = board.controller.state(ROOM)
    assert (state.muted_all, state.locked, state.recording) == (False, False, "")
    assert board.store.room_state(1).recordings == 1


def test_a_participant_pressing_moderator_keys_changes_nothing(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, second = room
    first.press("*1")
    first.press("*3")
    # Room events reach the controller in order: once the moderator's *6 is confirmed, the
    # participant's keys, had they produced any event, have been handled too.
    moderator.press("*6")
    moderator.wait_heard(PROMPTS["extended"])
    assert board.can_speak(second) and board.can_speak(first)
    assert not board.sim.room(ROOM).locked
    state = board.controller.state(ROOM)
    assert not state.muted_all and not state.locked


def test_a_participant_in_the_moderator_group_by_mistake_is_refused(board: Board) -> None:
    moderator = board.join("mod", "+4930100")
    participant = board.join("part", "+4930201")
    rogue = board.join("rogue", "+4930666")
    rogue.press("*1")
    rogue.wait_heard(PROMPTS["not_allowed"])
    assert board.can_speak(participant) and board.can_speak(moderator)
    assert not board.controller.state(ROOM).muted_all


def test_zero_is_self_mute_for_everyone_without_fs_conf(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator, first, _ = room
    first.press("0")
    wait_until(lambda: not board.can_speak(first))
    moderator.press("0")
    wait_until(lambda: not board.can_speak(moderator))
    assert not board.controller.state(ROOM).muted_all


def test_room_state_survives_a_restart_of_the_controller(
    board: Board, room: tuple[Call, Call, Call]
) -> None:
    moderator = room[0]
    moderator.press("*1")
    moderator.wait_heard(PROMPTS["muted_all"])
    moderator.press("*3")
    moderator.wait_heard(PROMPTS["room_locked"])
    controller = board.restart_controller()
    state = controller.state(ROOM)
    assert state.muted_all and state.locked
    moderator.press("*3")
    moderator.wait_heard(PROMPTS["room_unlocked"])
    late = board.join("part", "+4930203")
    wait_until(lambda: not board.can_speak(late))
    assert controller.state(ROOM).muted_all and not controller.state(ROOM).locked


def test_restart_forgets_a_lock_of_a_room_that_is_gone(board: Board) -> None:
    start = board.occurrence_start()
    board.store.save_room_state(
        RoomState(1, start, muted_all=True, locked=True, recording="/tmp/x.wav", recordings=1)
    )
    state = board.restart_controller().state(ROOM)
    assert (state.muted_all, state.locked, state.recording) == (True, False, "")


def test_a_new_occurrence_starts_with_a_fresh_state(board: Board) -> None:
    earlier = board.occurrence_start() - timedelta(days=7)
    board.store.save_room_state(RoomState(1, earlier, muted_all=True, recordings=2))
    state = board.controller.state(ROOM)
    assert state == RoomState(1, board.occurrence_start())


def test_state_of_a_room_that_is_not_fs_conf_s(board: Board) -> None:
    with pytest.raises(ValueError):
        board.controller.state("3000")


def test_keys_follow_the_configuration(tmp_path: Path) -> None:
    conference_conf = tmp_path / "conference.conf.xml"
    shutil.copy(CONFERENCE_CONF, conference_conf)
    text = conference_conf.read_text(encoding="utf-8")
    conference_conf.write_text(text.replace('digits="*1"', 'digits="*7"'), encoding="utf-8")
    ivr = IvrConfig(prompts=PROMPTS, keypad={"mute_all": "*7"}, recordings_dir=str(tmp_path))
    for board in start_board(tmp_path, conference_conf, ivr):
        moderator = board.join("mod", "+4930100")
        participant = board.join("part", "+4930201")
        moderator.press("*7")
        moderator.wait_heard(PROMPTS["muted_all"])
        wait_until(lambda: not board.can_speak(participant))  # noqa: B023


KEY_PAUSE = 1.2
"""Call-seconds between * and 1: a moderator looking for the key on a handset."""
SLOW_TIME = 0.1
"""One call-second is 100 ms here, so the pause and the timeouts stay well apart in real
time (the default 500 ms, the shipped 2000 ms)."""


def test_the_shipped_profile_gives_moderators_time_between_the_keys(tmp_path: Path) -> None:
    ivr = IvrConfig(prompts=PROMPTS, recordings_dir=str(tmp_path / "recordings"))
    for board in start_board(tmp_path, CONFERENCE_CONF, ivr, time_scale=SLOW_TIME):
        moderator = board.join("mod", "+4930100")
        participant = board.join("part", "+4930201")
        moderator.press("*1", key_gap=KEY_PAUSE)
        moderator.wait_heard(PROMPTS["muted_all"])
        wait_until(lambda: not board.can_speak(participant))  # noqa: B023


def test_without_the_timeout_a_slow_moderator_key_is_lost(tmp_path: Path) -> None:
    """mod_conference's default ivr-dtmf-timeout (500 ms): the * is dropped before the 1."""
    conference_conf = tmp_path / "conference.conf.xml"
    text = CONFERENCE_CONF.read_text(encoding="utf-8")
    timeout = '<param name="ivr-dtmf-timeout" value="2000"/>'
    assert timeout in text
    conference_conf.write_text(text.replace(timeout, ""), encoding="utf-8")
    ivr = IvrConfig(prompts=PROMPTS, recordings_dir=str(tmp_path / "recordings"))
    for board in start_board(tmp_path, conference_conf, ivr, time_scale=SLOW_TIME):
        moderator = board.join("mod", "+4930100")
        participant = board.join("part", "+4930201")
        moderator.press("*1", key_gap=KEY_PAUSE)
        moderator.press("*6")
        moderator.wait_heard(PROMPTS["extended"])
        assert PROMPTS["muted_all"] not in moderator.heard
        assert board.can_speak(participant)


def test_recording_path_names_the_occurrence() -> None:
    start = datetime(2030, 5, 6, 13, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert recording_path("/srv/rec", 4, start, 0) == "/srv/rec/4/20300506T110000Z.wav"
    assert recording_path("/srv/rec", 4, start, 2) == "/srv/rec/4/20300506T110000Z-3.wav"
