"""The call flow: what fs_conf does with one call, from answer to hangup.

`CallFlow(session, services).run()` runs in the call's own greenlet: answer, admit (PIN, role,
window), enter the room, leave; the leave step also runs after a hangup at any earlier point.
Every command waits at most `ivr.command_timeout_seconds`; logs never name a PIN.
The steps in detail: docs/ivr.md#the-call-flow
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from fs_conf.config import Config, PinsConfig
from fs_conf.errors import DatabaseBusyError
from fs_conf.esl import (
    ConferenceAPI,
    ConferenceAPIError,
    ESLError,
    ESLTimeout,
    OutboundSession,
    OutboundSessionHasGoneAway,
)
from fs_conf.ivr.callout import answer_callout, is_callout
from fs_conf.ivr.lockout import Lockout
from fs_conf.ivr.resolve import (
    Admission,
    Refusal,
    Refused,
    reachable,
    resolve,
    resolve_by_caller_id,
    same_number,
)
from fs_conf.ivr.room_names import room_name
from fs_conf.ivr.seats import Seats
from fs_conf.ivr.unplayed import check_playback, check_prompt
from fs_conf.keypad import MODERATOR_CONTROLS, PARTICIPANT_CONTROLS
from fs_conf.model import Attendance, Conference, ParticipantStatus, Role, RoomOptions, RoomState
from fs_conf.prompts import Prompts
from fs_conf.store import Store

log = logging.getLogger(__name__)

NAME_SECONDS = 3
"""Longest name recording, in seconds (the `record` application's time limit)."""

_DIGITS_ONLY = r"^\d+$"
# play_and_get_digits matches its regex unanchored (switch_regex_match), so `\d+` alone would
# accept "1*2": anchoring makes letters and `*` an invalid entry.


class RoomStates(Protocol):
    """What the flow asks the room controller (fs_conf.ivr.room_control.RoomController)."""

    def state(self, room: str) -> RoomState: ...

    def adopt(
        self, call_uuid: str, conference_id: int, attendance: int, who: int | None
    ) -> None: ...


@dataclass(frozen=True)
class Caller:
    """Who called which number, from the channel data of the `connect` reply."""

    uuid: str
    number: str
    caller_id: str
    name: str


@dataclass
class FlowServices:
    """What every call's flow shares; built once by the IVR server."""

    config: Config
    store: Store
    rooms: RoomStates
    prompts: Prompts
    lockout: Lockout
    clock: Callable[[], datetime]
    names_dir: Path
    seats: Seats = dataclasses.field(default_factory=Seats)


@dataclass
class _Stay:
    """The caller's time in a room, as recorded in the store."""

    conference: Conference
    room: str
    attendance_id: int
    participant_id: int | None


def caller_from_channel(data: Mapping[str, str]) -> Caller:
    """The caller as FreeSWITCH describes the channel (url-decoded `connect` reply headers)."""
    number = data.get("variable_fs_conf_dialed") or data.get("Caller-Destination-Number") or ""
    return Caller(
        uuid=data.get("Unique-ID", ""),
        number=number.strip(),
        caller_id=(data.get("Caller-Caller-ID-Number") or "").strip(),
        name=(data.get("Caller-Caller-ID-Name") or "").strip(),
    )


def pin_lengths(pins: PinsConfig, conferences: list[Conference]) -> tuple[int, int]:
    """Fewest and most digits a PIN may have: the configured lengths, widened to the PINs
    the conferences on this number already have (PINs once mailed keep their length when
    the admin changes `pins.*_length`)."""
    lengths = {pins.guest_length, pins.personal_length, pins.moderator_length}
    for conference in conferences:
        stored = [conference.guest_pin, conference.moderator_pin]
        stored += [p.pin for p in conference.participants]
        lengths.update(len(pin) for pin in stored if pin)
    return min(lengths), max(lengths)


def join_flags(role: Role, options: RoomOptions, muted_all: bool) -> list[str]:
    """The member flags of the `conference` application for this caller."""
    if role is Role.MODERATOR:
        # mandatory_member_endconf (FreeSWITCH >= 1.10.10): the room ends when the last
        # member with the flag leaves, i.e. the last moderator.
        return ["moderator"] + (
            ["mandatory_member_endconf"] if options.end_with_last_moderator else []
        )
    flags = []
    if options.start_muted or muted_all:
        flags.append("mute")
    if options.wait_for_moderator:
        flags.append("wait-mod")
    return flags


def conference_argument(room: str, profile: str, flags: list[str]) -> str:
    """`<room>@<profile>[+flags{a|b}]` as mod_conference's conference_function() reads it."""
    return f"{room}@{profile}" + (f"+flags{{{'|'.join(flags)}}}" if flags else "")


class CallFlow:
    """One call's application: `run()` is everything fs_conf does with the call."""

    def __init__(self, session: OutboundSession, services: FlowServices) -> None:
        self.session = session
        self.services = services
        self.config = services.config
        self.prompts = services.prompts
        self.caller = caller_from_channel(session.session_data or {})
        self._limit = float(self.config.ivr.command_timeout_seconds)
        self._api = ConferenceAPI(self._room_api)
        self._stay: _Stay | None = None
        self._name_file: Path | None = None
        self._seat: str | None = None

    # -- the whole call -------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._answer()
            if is_callout(self.session.session_data or {}):
                admission = answer_callout(self.session, self.services)
                if admission is not None and admission.participant and admission.participant.phone:
                    # A call-out's caller ID is the conference's own number (what the callee's
                    # phone shows); attendance names the number fs_conf called instead.
                    self.caller = dataclasses.replace(
                        self.caller, caller_id=admission.participant.phone
                    )
            else:
                admission = self._admit()
            if admission is not None:
                self._enter(admission)
        except OutboundSessionHasGoneAway:
            log.info("call %r from %r: caller hung up", self.caller.uuid, self.caller.caller_id)
        except ESLTimeout as exc:
            log.warning(
                "call %r from %r: FreeSWITCH did not answer in time (%r); ending the call",
                self.caller.uuid,
                self.caller.caller_id,
                exc,
            )
            self._end_politely()
        except DatabaseBusyError as exc:  # another program held the database too long
            log.warning(
                "call %r from %r: %s; ending the call", self.caller.uuid, self.caller.caller_id, exc
            )
            self._end_politely()
        finally:
            self._leave()

    # -- 1. answer ------------------------------------------------------------------------
    def _answer(self) -> None:
        self.session.myevents()
        # Keep the socket after the hangup for as long as a command may take, so the leave
        # announcement can still be sent over it.
        self.session.linger(self.config.ivr.command_timeout_seconds)
        self.session.answer(timeout=self._limit)
        log.info(
            "call %r from %r %r to %r",
            self.caller.uuid,
            self.caller.caller_id,
            self.caller.name,
            self.caller.number,
        )

    # -- 2. admit -------------------------------------------------------------------------
    def _admit(self) -> Admission | None:
        if self._locked_out():
            return None
        self._play("welcome")
        conferences = self._conferences()
        if self.config.conference.moderator_by_caller_id:
            known = resolve_by_caller_id(
                self.caller.number,
                self.caller.caller_id,
                conferences,
                self.services.clock(),
                self._grace(),
            )
            if known is not None and isinstance(self._unless_ended_early(known), Admission):
                log.info(
                    "call %r from %r: moderator of conference %s by caller ID",
                    self.caller.uuid,
                    self.caller.caller_id,
                    known.conference.id,
                )
                return known
        return self._ask_pin(conferences)

    def _ask_pin(self, conferences: list[Conference]) -> Admission | None:
        tries = self.config.pins.tries_per_call
        for attempt in range(1, tries + 1):
            conference_id, id_typed = self._ask_conference_id()
            pin = self._read_digits("pin", *pin_lengths(self.config.pins, conferences))
            result = resolve(
                self.caller.number,
                pin,
                conferences,
                self.services.clock(),
                self._grace(),
                conference_id=conference_id,
            )
            if isinstance(result, Admission):
                result = self._unless_ended_early(result)
            if isinstance(result, Admission):
                log.info(
                    "call %r from %r: %s of conference %s (participant %s)",
                    self.caller.uuid,
                    self.caller.caller_id,
                    result.role,
                    result.conference.id,
                    result.participant.id if result.participant else "-",
                )
                return result
            if result.reason is not Refusal.BAD_PIN:
                self._refuse_window(result)
                return None
            if self._wrong_pin(attempt, tries, typed=bool(pin) or id_typed):
                return None
        self._play("goodbye")
        self.session.hangup()
        return None

    def _ask_conference_id(self) -> tuple[int | None, bool]:
        """(the conference ID typed, whether anything was typed); (None, False) when the
        IVR does not ask. A malformed ID becomes -1, which matches no conference."""
        if not self._asks_conference_id():
            return None, False
        typed = self._read_digits("conference_id", 1, 9)
        return (int(typed) if typed else -1), bool(typed)

    def _asks_conference_id(self) -> bool:
        """Only on the shared numbers, and there always: the configuration alone decides, so
        whether the prompt comes tells nothing about whether or how many conferences a
        number has. On a conference's own number the PIN picks the conference (PINs are
        unique among conferences that can be joined at the same time)."""
        if not self.config.ivr.conference_id_prompt:
            return False
        shared = {self.config.numbers.internal, self.config.numbers.external} - {""}
        return any(same_number(number, self.caller.number) for number in shared)

    def _wrong_pin(self, attempt: int, tries: int, *, typed: bool) -> bool:
        """Count a failed try; True when the call was ended (lockout reached)."""
        log.info(
            "call %r from %r to %r: wrong PIN (try %d of %d)",
            self.caller.uuid,
            self.caller.caller_id,
            self.caller.number,
            attempt,
            tries,
        )
        if typed:
            self.services.lockout.record_failure(self.caller.caller_id, self.caller.number)
        self._play("bad_pin")
        return self._locked_out()

    def _locked_out(self) -> bool:
        """Refuse the call when its caller ID or dialed number is locked out."""
        if not self.services.lockout.locked(self.caller.caller_id, self.caller.number):
            return False
        log.warning(
            "call %r from %r to %r refused: too many wrong PINs (lockout)",
            self.caller.uuid,
            self.caller.caller_id,
            self.caller.number,
        )
        self._play("locked_out")
        self._goodbye()
        return True

    def _refuse_window(self, refused: Refused) -> None:
        conference = refused.conference
        assert conference is not None
        log.info(
            "call %r from %r: conference %s refused the caller: %s",
            self.caller.uuid,
            self.caller.caller_id,
            conference.id,
            refused.reason,
        )
        if refused.reason is Refusal.TOO_EARLY and refused.opens_at is not None:
            self._play("too_early")
            self._say_time(refused.opens_at, conference.timezone)
        elif refused.reason is Refusal.CANCELLED:
            self._play("cancelled")
        else:
            self._play("ended")
        self._goodbye()

    def _say_time(self, moment: datetime, timezone: str) -> None:
        """Say date and time in the conference's zone: mod_say_en en_say_time() takes the
        epoch as its text and reads the channel variable `timezone`
        (src/mod/say/mod_say_en/mod_say_en.c); the app's argument is
        `<module> <type> <method> <text>` (mod_dptools.c SAY_SYNTAX)."""
        self.session.set("timezone", timezone, timeout=self._limit)
        self.session.say(
            str(int(moment.timestamp())),
            module="en",
            say_type="CURRENT_DATE_TIME",
            method="pronounced",
            timeout=self._limit,
        )

    def _unless_ended_early(self, admission: Admission) -> Admission | Refused:
        """A moderator may have ended this occurrence for everyone (`*9`)."""
        if self.services.store.occurrence_ended(
            admission.conference.stored_id, admission.occurrence.start
        ):
            return Refused(Refusal.ENDED, admission.conference)
        return admission

    def _conferences(self) -> list[Conference]:
        """Every conference on the dialed number, cancelled ones included (to say so)."""
        store = self.services.store
        number = self.caller.number
        forms = {number, number.removeprefix("+"), "+" + number.removeprefix("+")} - {"", "+"}
        found: dict[int | None, Conference] = {}
        for form in sorted(forms):
            for conference in store.find_by_number(form, include_cancelled=True):
                found[conference.id] = conference
        return reachable(number, list(found.values()))

    def _grace(self) -> timedelta:
        return timedelta(minutes=self.config.conference.grace_minutes)

    # -- 3. enter -------------------------------------------------------------------------
    def _enter(self, admission: Admission) -> None:
        conference = admission.conference
        room = room_name(conference.stored_id)
        state = self.services.rooms.state(room)
        moderator = admission.role is Role.MODERATOR
        if not moderator and state.locked:
            self._refuse_room(conference, "locked")
            return
        count = self._count(room)
        limit = conference.options.max_members
        if not moderator and limit and not self._take_seat(room, limit, count):
            self._refuse_room(conference, "full")
            return
        if conference.options.announce_names:
            self._record_name()
        self._announce_count(count)
        flags = join_flags(admission.role, conference.options, state.muted_all)
        self._before_join(admission, flags, room)
        self._stay = self._record_join(admission, room)
        self._announce_name(room, "has_joined")
        arg = conference_argument(room, self.config.freeswitch.conference_profile, flags)
        log.info(
            "call %r from %r joins %s as %s (%s)",
            self.caller.uuid,
            self.caller.caller_id,
            room,
            admission.role,
            ",".join(flags) or "no flags",
        )
        # The conference application runs as long as the caller is in the room.
        try:
            self.session.execute("conference", arg, timeout=None)
        except OutboundSessionHasGoneAway:
            if self.session.hangup_cause is None and (stay := self._stay) is not None:
                # Our socket closed, not the call: FreeSWITCH keeps the caller in the room,
                # and the room controller records their leave (docs/ivr.md).
                self._stay = None
                ids = stay.conference.stored_id, stay.attendance_id, stay.participant_id
                self.services.rooms.adopt(self.caller.uuid, *ids)
            raise
        log.info("call %r from %r left %s", self.caller.uuid, self.caller.caller_id, room)
        self.session.hangup()

    def _refuse_room(self, conference: Conference, prompt: str) -> None:
        log.info(
            "call %r from %r: conference %s refused the participant: room %s",
            self.caller.uuid,
            self.caller.caller_id,
            conference.id,
            prompt,
        )
        self._play(prompt)
        self._goodbye()

    def _count(self, room: str) -> int:
        # `list count`, not `list`: a call stays in this method's caller while it is in the
        # room, and every member row of a big room, fetched at each join, would add up.
        try:
            return self._api.count(room)
        except ConferenceAPIError:
            # No room yet (mod_conference: "-ERR Conference <room> not found"): nobody there.
            return 0

    def _moderator_present(self, room: str) -> bool:
        try:
            return any(member.is_moderator for member in self._api.members(room))
        except ConferenceAPIError:
            return False

    def _take_seat(self, room: str, limit: int, count: int) -> bool:
        seats = self.services.seats
        taken = seats.take(room, self.caller.uuid, limit, count, lambda: self._inside(room))
        if taken:
            self._seat = room
        return taken

    def _inside(self, room: str) -> list[str]:
        """The call UUIDs of the room's members."""
        try:
            return [member.uuid for member in self._api.members(room)]
        except ConferenceAPIError:
            return []

    def _announce_count(self, count: int) -> None:
        if count == 0:
            self._play("alone")
        elif count == 1:
            self._play("one_other")
        else:
            self._play("there_are")
            self.session.say(
                str(count), module="en", say_type="NUMBER", method="pronounced", timeout=self._limit
            )
            self._play("members_in_conference")

    def _before_join(self, admission: Admission, flags: list[str], room: str) -> None:
        moderator = admission.role is Role.MODERATOR
        if "mute" in flags:
            self._play("joined_muted")
        if "wait-mod" in flags and not self._moderator_present(room):
            self._play("wait_for_moderator")
        variables = {
            "fs_conf_conference_id": str(admission.conference.id),
            "fs_conf_role": str(admission.role),
            "conference_controls": MODERATOR_CONTROLS if moderator else PARTICIPANT_CONTROLS,
        }
        if admission.participant is not None:
            variables["fs_conf_participant_id"] = str(admission.participant.id)
        if moderator:
            # mod_conference.c conference_function(): inbound legs honour the room lock unless
            # the channel variable conference_enforce_security says otherwise.
            variables["conference_enforce_security"] = "false"
        self.session.multiset(variables, timeout=self._limit)

    def _record_name(self) -> None:
        """The caller says their name (`record <path> <seconds>`, mod_dptools record_function)."""
        path = self.services.names_dir / f"{uuid.uuid4()}.wav"
        self._play("say_name")
        self._play("name_beep")
        self._name_file = path
        self.session.execute("record", f"{path} {NAME_SECONDS}", timeout=self._limit + NAME_SECONDS)

    def _announce_name(self, room: str, prompt: str) -> None:
        """Play the recorded name, then `prompt`, into the room (queued in order by
        mod_conference); nobody to hear it when the room does not exist."""
        if self._name_file is None:
            return
        try:
            self._api.play(room, str(self._name_file))
            self._api.play(room, self.prompts[prompt])
        except ConferenceAPIError as exc:
            log.debug("call %r: name not announced in %s: %r", self.caller.uuid, room, exc)

    def _record_join(self, admission: Admission, room: str) -> _Stay:
        store = self.services.store
        participant_id = admission.participant.id if admission.participant else None
        with store.transaction():
            attendance_id = store.record_join(
                Attendance(
                    conference_id=admission.conference.stored_id,
                    occurrence_start=admission.occurrence.start,
                    call_uuid=self.caller.uuid,
                    caller_id=self.caller.caller_id,
                    role=admission.role,
                    joined_at=self.services.clock(),
                    participant_id=participant_id,
                )
            )
            if participant_id is not None:
                store.set_participant_status(participant_id, ParticipantStatus.JOINED)
        return _Stay(admission.conference, room, attendance_id, participant_id)

    # -- 4. leave -------------------------------------------------------------------------
    def _leave(self) -> None:
        """Whatever happened: free the seat, close the attendance, tell the room, delete the
        recording."""
        stay, self._stay = self._stay, None
        seat, self._seat = self._seat, None
        if seat is not None:
            self.services.seats.release(seat, self.caller.uuid)
        try:
            if stay is not None:
                self._record_leave(stay)
                self._announce_name_after(stay.room)
        except DatabaseBusyError as exc:
            log.error("call %r: its leave is not recorded: %s", self.caller.uuid, exc)
        finally:
            if self._name_file is not None:
                self._name_file.unlink(missing_ok=True)
                self._name_file = None

    def _record_leave(self, stay: _Stay) -> None:
        store = self.services.store
        with store.transaction():
            store.record_leave(stay.attendance_id, self.services.clock())
            if stay.participant_id is not None:
                store.set_participant_status(stay.participant_id, ParticipantStatus.LEFT)

    def _announce_name_after(self, room: str) -> None:
        try:
            self._announce_name(room, "has_left")
        except ESLError as exc:
            log.debug("call %r: no leave announcement: %r", self.caller.uuid, exc)

    # -- helpers --------------------------------------------------------------------------
    def _room_api(self, command: str) -> str:
        return self.session.api(command, timeout=self._limit)

    def _play(self, prompt: str) -> None:
        file = self.prompts[prompt]
        check_playback(self.session.playback(file, timeout=self._limit), file, self.caller.uuid)

    def _goodbye(self) -> None:
        self._play("goodbye")
        self.session.hangup()

    def _read_digits(self, prompt: str, min_digits: int, max_digits: int) -> str:
        """Digits typed after `prompt`, ended by `#`; "" for nothing, letters or `*`."""
        ivr = self.config.ivr
        wait = self._limit + ivr.pin_timeout_seconds + max_digits * ivr.digit_timeout_seconds
        result = self.session.play_and_get_digits(
            min_digits,
            max_digits,
            1,
            ivr.pin_timeout_seconds * 1000,
            "#",
            self.prompts[prompt],
            None,
            None,
            _DIGITS_ONLY,
            ivr.digit_timeout_seconds * 1000,
            timeout=wait,
        )
        check_prompt(result, self.prompts[prompt], self.caller.uuid)
        return result.digits if result.accepted and result.digits.isdigit() else ""

    def _end_politely(self) -> None:
        """Goodbye and hangup without waiting for them: FreeSWITCH runs queued messages in
        order, and the server closes the socket (which also hangs up) right after."""
        try:
            self.session.execute("playback", self.prompts["goodbye"], wait=False)
            self.session.hangup()
        except ESLError as exc:
            log.info("call %r: could not end politely: %r", self.caller.uuid, exc)
