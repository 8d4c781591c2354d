"""Call-outs: fs_conf calls a participant at the start and lets them in after they press 1.

Scheduler side: `prepare_callout` builds the originate command and the `Callout` record,
`place_callout` sends it with `bgapi`, `callout_result` waits for its result and
`callout_status` reads it. IVR side: `answer_callout` admits only an outbound call whose
UUID and one-time token match a stored call-out, and only after the callee pressed 1. Why
and how: docs/ivr.md#call-outs
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Protocol

from fs_conf.config import Config
from fs_conf.errors import NotFoundError
from fs_conf.esl import BackgroundJob, InboundESL, OutboundSession, OutboundSessionHasGoneAway
from fs_conf.ivr.resolve import Admission
from fs_conf.ivr.unplayed import check_playback, check_prompt
from fs_conf.model import Conference, Occurrence, Participant, ParticipantStatus
from fs_conf.prompts import Prompts
from fs_conf.store import Callout, Store
from fs_conf.timetable import JoinKind, join_state

log = logging.getLogger(__name__)

PARTICIPANT_VARIABLE = "fs_conf_callout"
CONFERENCE_VARIABLE = "fs_conf_conference"
TOKEN_VARIABLE = "fs_conf_callout_token"
KEY_VARIABLE = "fs_conf_callout_key"

DECLINED_CAUSES = frozenset({"USER_BUSY", "CALL_REJECTED"})
"""Hangup causes that mean the callee refused the call; any other failure is `no_answer`."""

REPLY_MARGIN_SECONDS = 30
"""How much longer than `callout_answer_seconds` to wait for originate's result."""

KEY_TRIES = 3
KEY_TIMEOUT_MS = 5000

_NUMBER = re.compile(r"\+?[0-9]+")
_TITLE_DROP = re.compile(r"[^\w .-]")
TITLE_LENGTH = 40
"""Longest caller name sent; phones show about this much."""
_SPOKEN_DROP = re.compile(r"[^\w .,'-]")
SPOKEN_LENGTH = 200
"""Longest invitation sentence spoken (a title is one line, but may be long)."""
INVITES = {
    "en": ("{organizer} invites you to {title}.", "You are invited to {title}."),
    "de": ("{organizer} lädt Sie zu {title} ein.", "Sie sind zu {title} eingeladen."),
}
"""The spoken invitation per language: with and without a known organizer."""


@dataclass(frozen=True)
class Dial:
    """A call-out ready to place: the record to store before, and the originate command."""

    callout: Callout
    command: str
    token: str

    def __repr__(self) -> str:
        # The token admits a call into a conference: keep it out of logs.
        return f"Dial({self.callout.call_uuid}, participant {self.callout.participant_id})"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def prepare_callout(
    config: Config,
    conference: Conference,
    occurrence: Occurrence,
    participant: Participant,
    ivr_address: tuple[str, int],
    now: datetime,
) -> Dial:
    """The record and command for calling `participant` into `occurrence` (ValueError when
    the participant has no usable number)."""
    if conference.id is None or participant.id is None:
        raise ValueError("call-outs are for stored conferences and participants")
    number = (participant.phone or "").strip()
    if not _NUMBER.fullmatch(number):
        raise ValueError(f"participant {participant.id}: phone {number!r} is not a number to dial")
    call_uuid = str(uuid.uuid4())
    token = secrets.token_urlsafe(24)
    variables = {
        "origination_uuid": call_uuid,
        "origination_caller_id_number": conference.number,
        "origination_caller_id_name": caller_name(conference.title),
        "originate_timeout": str(config.scheduler.callout_answer_seconds),
        "ignore_early_media": "true",
        PARTICIPANT_VARIABLE: str(participant.id),
        CONFERENCE_VARIABLE: str(conference.id),
        TOKEN_VARIABLE: token,
    }
    if config.ivr.tts_engine:
        # Read by the `say:` file player when the callee is told who invites them
        # (src/switch_ivr_play_say.c).
        variables["tts_engine"] = config.ivr.tts_engine
        if config.ivr.tts_voice:
            variables["tts_voice"] = config.ivr.tts_voice
    endpoint = config.freeswitch.dial_string.replace("{number}", number)
    host, port = ivr_address
    # Quoted: originate splits its argument on blanks before it reads `&app(args)`
    # (mod_commands.c originate_function, switch_utils.c switch_separate_string).
    command = (
        f"originate {channel_variables(variables)}{endpoint} '&socket({host}:{port} async full)'"
    )
    callout = Callout(
        call_uuid=call_uuid,
        conference_id=conference.id,
        participant_id=participant.id,
        occurrence_start=occurrence.start,
        token_sha256=token_hash(token),
        started_at=now,
    )
    return Dial(callout, command, token)


def caller_name(title: str) -> str:
    """The title as a caller name: only letters, digits, spaces, `.` and `-` (nothing
    originate's variable block could misread), shortened to what phones show."""
    kept = " ".join(_TITLE_DROP.sub(" ", title).split())
    return kept[:TITLE_LENGTH].strip() or "Conference"


def spoken_invitation(conference: Conference, language: str) -> str:
    """What the callee hears with text-to-speech: who invites them to what
    (docs/ivr.md#answering-ivr-side), in plain words a speech engine and `say:` both read safely."""
    name, address = parseaddr(conference.organizer)
    if not name and "@" in address:
        name = re.sub(r"[._-]+", " ", address.split("@")[0])
    organizer = _spoken(name or conference.organizer)
    with_organizer, without = INVITES.get(language, INVITES["en"])
    title = _spoken(conference.title) or "a conference"
    if organizer:
        return with_organizer.format(organizer=organizer, title=title)[:SPOKEN_LENGTH]
    return without.format(title=title)[:SPOKEN_LENGTH]


def _spoken(text: str) -> str:
    return " ".join(_SPOKEN_DROP.sub(" ", text).split())


def channel_variables(variables: Mapping[str, str]) -> str:
    """`{a=1,b='x y'}` as originate reads it (values with a space in single quotes)."""
    parts = []
    for name, value in variables.items():
        if any(ch in value for ch in "'{},\\\r\n"):
            raise ValueError(f"originate variable {name} has an unusable value")
        parts.append(f"{name}='{value}'" if " " in value else f"{name}={value}")
    return "{" + ",".join(parts) + "}"


def place_callout(esl: InboundESL, dial: Dial) -> BackgroundJob:
    """Send the originate with bgapi; returns once FreeSWITCH accepted it (the call is being
    placed). ESLError when FreeSWITCH refused it or could not be asked: nothing was placed."""
    return esl.bgapi_job(dial.command)


def callout_result(job: BackgroundJob, answer_seconds: int) -> str:
    """Wait for a placed call-out's result text: `+OK <uuid>` or `-ERR <cause>`."""
    return job.result(answer_seconds + REPLY_MARGIN_SECONDS).strip()


def callout_status(reply: str) -> ParticipantStatus | None:
    """The participant status an originate result means; None when the call was answered."""
    text = reply.strip()
    if text.startswith("+OK"):
        return None
    cause = text.removeprefix("-ERR").strip().split(" ")[0] or "UNKNOWN"
    return ParticipantStatus.DECLINED if cause in DECLINED_CAUSES else ParticipantStatus.NO_ANSWER


# --- the IVR side -----------------------------------------------------------------------------


class CalloutServices(Protocol):
    """What `answer_callout` needs from the IVR (fs_conf.ivr.flow.FlowServices has it)."""

    @property
    def config(self) -> Config: ...
    @property
    def store(self) -> Store: ...
    @property
    def prompts(self) -> Prompts: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True)
class CalloutClaim:
    """What a call-out's channel data says about itself."""

    call_uuid: str
    participant_id: int
    conference_id: int
    token: str

    def __repr__(self) -> str:
        return f"CalloutClaim({self.call_uuid!r}, participant {self.participant_id})"


def is_callout(data: Mapping[str, str]) -> bool:
    """Whether the channel says it is a call-out (to be verified by `answer_callout`)."""
    return bool(data.get(f"variable_{PARTICIPANT_VARIABLE}"))


def read_claim(data: Mapping[str, str]) -> CalloutClaim | None:
    """The call-out claim of an outbound channel; None for an inbound channel or malformed
    variables (a caller cannot make their own channel outbound)."""
    if data.get("Call-Direction") != "outbound":
        return None
    participant = data.get(f"variable_{PARTICIPANT_VARIABLE}", "")
    conference = data.get(f"variable_{CONFERENCE_VARIABLE}", "")
    token = data.get(f"variable_{TOKEN_VARIABLE}", "")
    call_uuid = data.get("Unique-ID", "")
    if not (participant.isdigit() and conference.isdigit() and token and call_uuid):
        return None
    return CalloutClaim(call_uuid, int(participant), int(conference), token)


def admit_callout(
    claim: CalloutClaim, store: Store, now: datetime, grace: timedelta
) -> Admission | None:
    """The admission a verified claim gives: the stored call-out must match UUID, token,
    conference and participant, be unanswered so far, and its occurrence must be open."""
    callout = store.claim_callout(claim.call_uuid, token_hash(claim.token))
    if callout is None:
        return None
    if (callout.conference_id, callout.participant_id) != (
        claim.conference_id,
        claim.participant_id,
    ):
        return None
    try:
        conference = store.get_conference(callout.conference_id)
    except NotFoundError:
        return None
    participant = next((p for p in conference.participants if p.id == callout.participant_id), None)
    state = join_state(conference, now, grace)
    occurrence = state.occurrence
    if participant is None or state.kind is not JoinKind.OPEN or occurrence is None:
        return None
    if occurrence.start != callout.occurrence_start:
        return None
    if store.occurrence_ended(conference.stored_id, occurrence.start):
        return None
    return Admission(conference, participant.role, participant, occurrence)


def answer_callout(session: OutboundSession, services: CalloutServices) -> Admission | None:
    """Run the call-out branch of the IVR on an answered call: verify it, say who calls, and
    admit the callee after they press 1; otherwise say goodbye, hang up and return None."""
    data = session.session_data or {}
    claim = read_claim(data)
    grace = timedelta(minutes=services.config.conference.grace_minutes)
    admission = (
        None if claim is None else admit_callout(claim, services.store, services.clock(), grace)
    )
    if admission is None:
        log.warning(
            "call %r (%r): claims to be a call-out but is not one fs_conf placed or its "
            "occurrence is over; refused",
            data.get("Unique-ID", ""),
            data.get("Call-Direction", "no direction"),
        )
        _goodbye(session, services)
        return None
    assert admission.participant is not None and admission.participant.id is not None
    participant_id = admission.participant.id
    try:
        status = _ask(session, services, admission.conference)
    except OutboundSessionHasGoneAway:
        services.store.set_participant_status(participant_id, ParticipantStatus.DECLINED)
        log.info("call-out %s: participant %s hung up before pressing 1", claim, participant_id)
        raise
    if status is None:
        log.info("call-out %s: participant %s accepted", claim, participant_id)
        return admission
    services.store.set_participant_status(participant_id, status)
    log.info("call-out %s: participant %s did not press 1 (%s)", claim, participant_id, status)
    _goodbye(session, services)
    return None


def _ask(
    session: OutboundSession, services: CalloutServices, conference: Conference
) -> ParticipantStatus | None:
    """Say who calls and wait for 1: None when pressed, else the status to record."""
    config = services.config
    limit = float(config.ivr.command_timeout_seconds)
    prompts = services.prompts
    call = session.uuid or ""
    if config.ivr.tts_engine:
        spoken = f"say:{spoken_invitation(conference, config.language)}"
        # `execute`, not `playback()`: the spoken text has spaces, which a file name may not.
        check_playback(session.execute("playback", spoken, timeout=limit), spoken, call)
    else:
        intro = prompts["callout_intro"]
        check_playback(session.playback(intro, timeout=limit), intro, call)
        session.say(
            conference.number, module="en", say_type="NUMBER", method="iterated", timeout=limit
        )
    wait = limit + KEY_TRIES * (KEY_TIMEOUT_MS / 1000 + limit)
    result = session.play_and_get_digits(
        1,
        1,
        KEY_TRIES,
        KEY_TIMEOUT_MS,
        "#",
        prompts["callout_accept"],
        prompts["callout_invalid"],
        KEY_VARIABLE,
        "^1$",
        timeout=wait,
    )
    check_prompt(result, prompts["callout_accept"], call)
    if result.digits == "1":
        return None
    return ParticipantStatus.DECLINED if result.invalid else ParticipantStatus.NO_ANSWER


def _goodbye(session: OutboundSession, services: CalloutServices) -> None:
    limit = float(services.config.ivr.command_timeout_seconds)
    goodbye = services.prompts["goodbye"]
    check_playback(session.playback(goodbye, timeout=limit), goodbye, session.uuid or "")
    session.hangup()
