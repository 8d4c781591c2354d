"""The scheduler against the simulated FreeSWITCH over TCP: call-outs, the warning, the end and
the attendance report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import gevent
import pytest
from gevent import Greenlet

from fs_conf.ivr.callout import prepare_callout
from fs_conf.model import Conference, Occurrence, ParticipantStatus
from fs_conf.scheduler.plan import ATTENDANCE_SETTLE
from tests.ivr.conftest import wait_until

from .conftest import START
from .rig import GUEST_PIN, MODERATOR_PIN, NUMBER, Rig, build_rig

END = START + timedelta(hours=1)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    built = build_rig(tmp_path)
    yield built
    built.stop()


def status_of(rig: Rig, conference_id: int, name: str) -> ParticipantStatus:
    conference = rig.store.get_conference(conference_id)
    return next(p.status for p in conference.participants if p.name == name)


def test_the_room_hears_the_warning_then_everyone_is_removed_and_reported(rig: Rig) -> None:
    conference = rig.conference(participants=[])
    rig.clock.at(START + timedelta(minutes=10))
    rig.scheduler.tick()
    moderator = rig.enter(MODERATOR_PIN, "1001")
    guest = rig.enter(GUEST_PIN, "1002")
    rig.clock.at(END - timedelta(minutes=5))
    rig.scheduler.tick()
    for call in (moderator, guest):
        call.wait_heard("ivr/ivr-less_than.wav")
        call.wait_heard("digits/5.wav")
        call.wait_heard("time/minutes.wav")
    rig.clock.at(END)
    rig.scheduler.tick()
    for call in (moderator, guest):
        call.wait_heard("conference/conf-goodbye.wav")
        call.wait_hangup()
    assert rig.room(conference) is None
    assert rig.store.occurrence_ended(conference.id, START) is not None
    wait_until(lambda: all(a.left_at for a in rig.store.attendance_for(conference.id, START)))
    rig.clock.at(END + ATTENDANCE_SETTLE)
    rig.scheduler.tick()
    reports = [m for m in rig.mails() if "boss@example.org" in m["To"]]
    assert len(reports) == 1
    body = reports[0].get_body(("plain",)).get_content()
    assert "1001" in body and "1002" in body


def test_the_end_of_an_empty_room_is_recorded_and_reported(rig: Rig) -> None:
    conference = rig.conference(participants=[])
    rig.clock.at(START)
    rig.scheduler.tick()
    rig.clock.at(END + ATTENDANCE_SETTLE)
    rig.scheduler.tick()
    assert {name for _, _, name in rig.store.tasks_done(START - timedelta(days=1))} == {
        "end",
        "attendance",
    }
    assert len([m for m in rig.mails() if "boss@example.org" in m["To"]]) == 1
    assert conference.id is not None


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (None, ParticipantStatus.NO_ANSWER),
        ("busy", ParticipantStatus.DECLINED),
        (False, ParticipantStatus.DECLINED),
    ],
)
def test_a_call_out_that_is_not_answered_records_why(
    rig: Rig, answer: object, status: ParticipantStatus
) -> None:
    phone = rig.sim.phone("1003", answer=answer)  # type: ignore[arg-type]
    conference = rig.conference()
    rig.clock.at(START)
    rig.scheduler.tick()
    phone.wait_call()
    wait_until(lambda: status_of(rig, conference.id or 0, "Petra Phone") is status)
    assert rig.room(conference) is None


def placed_like_freeswitch(
    rig: Rig, conference: Conference, participant_index: int = 1
) -> Greenlet:
    """Store a call-out as the scheduler does and originate its command in the simulator."""
    dial = prepare_callout(
        rig.config,
        conference,
        Occurrence(START, END),
        conference.participants[participant_index],
        rig.ivr.address,
        rig.clock(),
    )
    rig.store.add_callout(dial.callout)
    return gevent.spawn(rig.sim.api, dial.command)


def test_the_ivr_lets_a_called_participant_in_after_1(rig: Rig) -> None:
    phone = rig.sim.phone("1003", answer=True)
    conference = rig.conference()
    rig.clock.at(START + timedelta(seconds=5))
    placed_like_freeswitch(rig, conference)
    call = phone.wait_call()
    call.wait_heard("ivr/ivr-this_is_a_call_from.wav")
    for digit in NUMBER:  # the conference number, said digit by digit
        call.wait_heard(f"digits/{digit}.wav")
    call.wait_heard("ivr/ivr-to_accept_press_one.wav")
    call.press("1")
    member = call.wait_member()
    assert not member.moderator  # type: ignore[attr-defined]
    participant = conference.participants[1]
    assert status_of(rig, conference.id or 0, "Petra Phone") is ParticipantStatus.JOINED
    stays = rig.store.attendance_for(conference.id or 0, START)
    assert [(s.participant_id, s.caller_id, s.left_at) for s in stays] == [
        (participant.id, "1003", None)
    ]


def test_with_text_to_speech_the_callee_hears_who_invites_them_to_what(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, ivr={"tts_engine": "flite", "tts_voice": "kal"})
    try:
        phone = rig.sim.phone("1003", answer=True)
        conference = rig.conference(title="Budget: Q3")
        rig.clock.at(START + timedelta(seconds=5))
        placed_like_freeswitch(rig, conference)
        call = phone.wait_call()
        assert call.wait_heard("invites you") == "Boss invites you to Budget Q3."
        call.wait_heard("ivr/ivr-to_accept_press_one.wav")
        assert "ivr/ivr-this_is_a_call_from.wav" not in call.heard
        call.press("1")
        call.wait_member()
        assert status_of(rig, conference.id or 0, "Petra Phone") is ParticipantStatus.JOINED
    finally:
        rig.stop()


@pytest.mark.parametrize(
    ("key", "status"), [("", ParticipantStatus.NO_ANSWER), ("2", ParticipantStatus.DECLINED)]
)
def test_the_ivr_hangs_up_a_call_out_without_a_1(
    rig: Rig, key: str, status: ParticipantStatus
) -> None:
    phone = rig.sim.phone("1003", answer=True)
    conference = rig.conference()
    rig.clock.at(START + timedelta(seconds=5))
    placed_like_freeswitch(rig, conference)
    call = phone.wait_call()
    for _ in range(3):
        call.wait_heard("ivr/ivr-to_accept_press_one.wav")
        call.press(key)
    call.wait_heard("conference/conf-goodbye.wav", timeout=10.0)
    call.wait_hangup()
    assert call.member is None
    assert status_of(rig, conference.id or 0, "Petra Phone") is status


def test_a_call_out_answered_with_1_puts_the_callee_in_the_room(rig: Rig) -> None:
    phone = rig.sim.phone("1003", answer=True)
    conference = rig.conference()
    rig.clock.at(START)
    rig.scheduler.tick()
    call = phone.wait_call()
    call.wait_heard("ivr/ivr-this_is_a_call_from.wav")
    call.wait_heard("ivr/ivr-to_accept_press_one.wav")
    call.press("1")
    member = call.wait_member()
    assert not member.moderator  # type: ignore[attr-defined]
    assert status_of(rig, conference.id or 0, "Petra Phone") is ParticipantStatus.JOINED


def test_a_call_out_answered_without_a_key_is_hung_up_as_not_answered(rig: Rig) -> None:
    phone = rig.sim.phone("1003", answer=True)
    conference = rig.conference()
    rig.clock.at(START)
    rig.scheduler.tick()
    call = phone.wait_call()
    call.wait_heard("conference/conf-goodbye.wav", timeout=10.0)
    call.wait_hangup()
    assert call.member is None
    assert status_of(rig, conference.id or 0, "Petra Phone") is ParticipantStatus.NO_ANSWER


def test_an_inbound_call_claiming_to_be_a_call_out_is_refused_without_joining(rig: Rig) -> None:
    conference = rig.conference()
    rig.clock.at(START)
    participant = conference.participants[1]
    forged = {
        "fs_conf_callout": str(participant.id),
        "fs_conf_conference": str(conference.id),
        "fs_conf_callout_token": "guessed",
    }
    call = rig.sim.call(NUMBER, caller_id="1003", variables=forged)
    call.wait_heard("conference/conf-goodbye.wav")
    call.wait_hangup()
    assert "conference/conf-pin.wav" not in call.heard and call.member is None


def test_a_stolen_token_does_not_open_the_room_to_an_inbound_call(rig: Rig) -> None:
    conference = rig.conference()
    rig.clock.at(START)
    participant = conference.participants[1]
    dial = prepare_callout(
        rig.config, conference, Occurrence(START, END), participant, rig.ivr.address, rig.clock()
    )
    rig.store.add_callout(dial.callout)
    forged = {
        "fs_conf_callout": str(participant.id),
        "fs_conf_conference": str(conference.id),
        "fs_conf_callout_token": dial.token,
    }
    call = rig.sim.call(NUMBER, caller_id="1003", variables=forged)
    call.wait_heard("conference/conf-goodbye.wav")
    call.wait_hangup()
    assert call.member is None


def test_the_loop_in_its_greenlet_ends_the_room_when_woken(rig: Rig) -> None:
    conference = rig.conference(participants=[])
    rig.clock.at(START + timedelta(minutes=10))
    runner = gevent.spawn(rig.scheduler.run)
    try:
        guest = rig.enter(GUEST_PIN, "1002")
        rig.clock.at(END)
        rig.scheduler.wake()
        guest.wait_hangup()
        assert rig.room(conference) is None
    finally:
        rig.scheduler.stop()
        runner.join(timeout=5.0)
    assert runner.dead


def test_a_participant_already_in_the_room_is_not_called(rig: Rig) -> None:
    phone = rig.sim.phone("1003", answer=True)
    conference = rig.conference()
    rig.clock.at(START - timedelta(minutes=5))
    rig.enter("223456789", "1003")  # Petra dialed in early with her own PIN
    rig.clock.at(START)
    rig.scheduler.tick()
    petra = f"callout:{conference.participants[1].id}"
    assert (conference.id, START, petra) in rig.store.tasks_done(START - timedelta(days=1))
    gevent.sleep(0.2)
    assert phone.calls == []


def test_back_to_back_sittings_keep_the_room_and_its_callers(rig: Rig) -> None:
    conference = rig.conference(participants=[], rrule="FREQ=HOURLY;COUNT=2")
    rig.clock.at(END - timedelta(minutes=2))
    rig.scheduler.tick()
    guest = rig.enter(GUEST_PIN, "1002")
    rig.clock.at(END)
    rig.scheduler.tick()
    done = {name for _, start, name in rig.store.tasks_done(START) if start == START}
    assert {"warning:20300304T100000Z", "end"} <= done
    gevent.sleep(0.2)
    assert guest.member is not None and rig.room(conference) is not None
    assert "ivr/ivr-less_than.wav" not in guest.heard
    rig.clock.at(END + timedelta(hours=1))
    rig.scheduler.tick()
    guest.wait_hangup()
