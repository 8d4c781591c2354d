"""Carry out one planned task and record it, so that a restart neither repeats nor skips it.

Mails are queued together with their mark in one transaction. Room actions cannot share a
transaction with FreeSWITCH: a call-out is marked once FreeSWITCH accepted its originate, a
warning or an end after it is done. Why: docs/scheduler.md#carrying-out-a-task
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

import gevent
import gevent.pool

from fs_conf.config import Config
from fs_conf.errors import NotFoundError
from fs_conf.esl import BackgroundJob, ConferenceAPI, ESLError, InboundESL, RoomNotFound
from fs_conf.ivr.callout import (
    Dial,
    callout_result,
    callout_status,
    place_callout,
    prepare_callout,
)
from fs_conf.ivr.room_names import room_name
from fs_conf.model import Conference, Occurrence
from fs_conf.prompts import DEFAULTS, Prompts
from fs_conf.scheduler.mailing import Mailer
from fs_conf.scheduler.plan import Task, TaskKind
from fs_conf.store import Store
from fs_conf.timetable import JoinKind, join_state

log = logging.getLogger(__name__)


class Outcome(Enum):
    DONE = "done"
    REPLAN = "replan"
    """The conference changed while the task ran: plan again and retry with the new state."""
    RETRY = "retry"
    """Could not be done now (FreeSWITCH unreachable): try again later."""


class RoomEnder(Protocol):
    """Ends an occurrence's room for everyone (fs_conf.ivr.room_control.RoomController)."""

    def end_occurrence(self, conference: Conference, occurrence: Occurrence | None) -> None: ...


class Actions:
    """Runs tasks: `run(task, now)` returns what became of it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        esl: InboundESL,
        mailer: Mailer,
        rooms: RoomEnder,
        ivr_address: tuple[str, int],
        calls: gevent.pool.Group,
    ) -> None:
        self._config = config
        self._store = store
        self._esl = esl
        self._api = ConferenceAPI(esl.api)
        self._mailer = mailer
        self._rooms = rooms
        self._ivr_address = ivr_address
        self._calls = calls
        self._prompts = Prompts.from_config(config)
        self._placed_unmarked: set[tuple[int, datetime | None, str]] = set()
        self._runners: dict[TaskKind, Callable[[Task, datetime], Outcome]] = {
            TaskKind.MAILING: self._mailing,
            TaskKind.REMINDER: self._reminder,
            TaskKind.CALLOUT: self._callout,
            TaskKind.WARNING: self._warning,
            TaskKind.END: self._end,
            TaskKind.ATTENDANCE: self._attendance,
        }

    def run(self, task: Task, now: datetime) -> Outcome:
        return self._runners[task.kind](task, now)

    # -- mails -----------------------------------------------------------------------------------

    def _mailing(self, task: Task, now: datetime) -> Outcome:
        conference = task.conference
        mailing = self._store.mailing(_id(conference))
        return _done_or_replan(self._mailer.mail_changes(conference, mailing, now))

    def _reminder(self, task: Task, now: datetime) -> Outcome:
        return _done_or_replan(self._mailer.mail_occurrence(task, now))

    def _attendance(self, task: Task, now: datetime) -> Outcome:
        occurrence = _occurrence(task)
        records = self._store.attendance_for(_id(task.conference), occurrence.start)
        return _done_or_replan(self._mailer.mail_occurrence(task, now, records))

    # -- calls and rooms -------------------------------------------------------------------------

    def _callout(self, task: Task, now: datetime) -> Outcome:
        conference, occurrence, participant = task.conference, _occurrence(task), task.participant
        assert participant is not None and participant.id is not None
        if task.key in self._placed_unmarked:
            self._mark_placed(task)
            return Outcome.DONE
        if not self._esl.connected:
            return Outcome.RETRY
        if self._in_room(conference, occurrence, participant.id):
            log.info(
                "conference %s: participant %s already joined, not called",
                conference.id,
                participant.id,
            )
            self._store.mark_task_done(_id(conference), occurrence.start, task.name)
            return Outcome.DONE
        try:
            dial = prepare_callout(
                self._config, conference, occurrence, participant, self._ivr_address, now
            )
        except ValueError as error:
            log.error(
                "conference %s: cannot call participant %s: %s",
                conference.id,
                participant.id,
                error,
            )
            self._store.mark_task_done(_id(conference), occurrence.start, task.name)
            return Outcome.DONE
        # Stored first: the IVR admits the callee only against this record.
        self._store.add_callout(dial.callout)
        try:
            job = place_callout(self._esl, dial)
        except ESLError as error:
            log.warning(
                "conference %s: call-out to participant %s not placed, trying again: %r",
                conference.id,
                participant.id,
                error,
            )
            return Outcome.RETRY
        log.info(
            "conference %s: calling participant %s at %r (call %s)",
            conference.id,
            participant.id,
            participant.phone,
            dial.callout.call_uuid,
        )
        self._calls.spawn(self._follow, dial, job, participant.id)
        self._placed_unmarked.add(task.key)
        self._mark_placed(task)
        return Outcome.DONE

    def _mark_placed(self, task: Task) -> None:
        """Mark a call-out FreeSWITCH accepted as done; if the store fails, the task's retry
        finds it in `_placed_unmarked` and only marks it, so the phone never rings twice."""
        occurrence = _occurrence(task)
        self._store.mark_task_done(_id(task.conference), occurrence.start, task.name)
        self._placed_unmarked.discard(task.key)

    def _follow(self, dial: Dial, job: BackgroundJob, participant_id: int) -> None:
        """Wait for a placed call-out's result and record a callee who did not answer."""
        try:
            reply = callout_result(job, self._config.scheduler.callout_answer_seconds)
        except ESLError as error:
            log.error("call-out %r: no result from FreeSWITCH: %r", dial, error)
            return
        status = callout_status(reply)
        if status is None:
            log.info("call-out %r answered", dial)
            return
        log.info(
            "call-out %r not answered (%r): participant %s is %s",
            dial,
            reply,
            participant_id,
            status,
        )
        try:
            self._store.set_participant_status(participant_id, status)
        except NotFoundError:
            log.info("participant %s was removed meanwhile", participant_id)

    def _in_room(self, conference: Conference, occurrence: Occurrence, participant_id: int) -> bool:
        stays = self._store.attendance_for(_id(conference), occurrence.start)
        return any(s.participant_id == participant_id and s.left_at is None for s in stays)

    def _warning(self, task: Task, now: datetime) -> Outcome:
        conference, occurrence = task.conference, _occurrence(task)
        close = task.expires or occurrence.end
        if self._next_sitting_open(conference, occurrence, close):
            # The room goes on into the next sitting: nothing ends, so nothing to warn of.
            self._store.mark_task_done(_id(conference), occurrence.start, task.name)
            return Outcome.DONE
        if not self._esl.connected:
            return Outcome.RETRY
        minutes = self._config.scheduler.warn_before_end_minutes
        room = room_name(_id(conference))
        try:
            for file in warning_files(self._prompts, minutes):
                self._api.play(room, file)
            log.info("conference %s: %d-minute warning played in %s", conference.id, minutes, room)
        except RoomNotFound:
            log.info("conference %s: nobody in %s to warn", conference.id, room)
        except ESLError as error:
            log.warning("conference %s: warning not played: %r", conference.id, error)
            return Outcome.RETRY
        self._store.mark_task_done(_id(conference), occurrence.start, task.name)
        return Outcome.DONE

    def _end(self, task: Task, now: datetime) -> Outcome:
        conference, occurrence = task.conference, _occurrence(task)
        if self._next_sitting_open(conference, occurrence, now):
            log.info(
                "conference %s: the next sitting is open already; %s keeps its callers",
                conference.id,
                room_name(_id(conference)),
            )
            self._store.mark_task_done(_id(conference), occurrence.start, task.name)
            return Outcome.DONE
        if not self._esl.connected:
            return Outcome.RETRY
        try:
            self._rooms.end_occurrence(conference, occurrence)
        except ESLError as error:
            log.warning("conference %s: room not ended: %r", conference.id, error)
            return Outcome.RETRY
        self._store.mark_task_done(_id(conference), occurrence.start, task.name)
        return Outcome.DONE

    def _next_sitting_open(
        self, conference: Conference, occurrence: Occurrence, now: datetime
    ) -> bool:
        """Whether callers may already join the series' next sitting (back to back, within the
        dial-in lead): then the shared room stays, or its early callers would be thrown out."""
        grace = timedelta(minutes=self._config.conference.grace_minutes)
        state = join_state(conference, now, grace)
        following = state.occurrence
        return (
            state.kind is JoinKind.OPEN
            and following is not None
            and following.start > occurrence.start
        )


def warning_files(prompts: Prompts, minutes: int) -> list[str]:
    """What the room hears before the end. The built-in `ending_soon` ("Less than") is
    followed by the number and "minute(s)"; an admin's own recording is played alone."""
    prompt = prompts["ending_soon"]
    if prompt != DEFAULTS["ending_soon"]:
        return [prompt]
    unit = "time/minute.wav" if minutes == 1 else "time/minutes.wav"
    return [prompt, *number_files(minutes), unit]


def number_files(number: int) -> list[str]:
    """A whole number as callie's digit recordings, grouped as mod_say_en says numbers
    (src/mod/say/mod_say_en/mod_say_en.c, play_group): `conference play` cannot run `say`."""
    if number < 0:
        raise ValueError(f"cannot say a negative number of minutes ({number})")
    if number == 0:
        return ["digits/0.wav"]
    files: list[str] = []
    for value, word in ((number // 1_000_000, "million"), (number // 1000 % 1000, "thousand")):
        if value:
            files += _group(value) + [f"digits/{word}.wav"]
    return files + _group(number % 1000)


def _group(value: int) -> list[str]:
    hundreds, tens, ones = value // 100, value // 10 % 10, value % 10
    files = [f"digits/{hundreds}.wav", "digits/hundred.wav"] if hundreds else []
    if tens == 1:
        return files + [f"digits/1{ones}.wav"]
    if tens:
        files.append(f"digits/{tens}0.wav")
    return files + ([f"digits/{ones}.wav"] if ones else [])


def _done_or_replan(done: bool) -> Outcome:
    return Outcome.DONE if done else Outcome.REPLAN


def _occurrence(task: Task) -> Occurrence:
    if task.occurrence is None:
        raise ValueError(f"{task.kind} task without an occurrence")
    return task.occurrence


def _id(conference: Conference) -> int:
    if conference.id is None:
        raise ValueError(f"conference {conference.title!r} is not stored (it has no id)")
    return conference.id
