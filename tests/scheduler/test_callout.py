"""Call-outs without a switch: the originate command, its result, and who the IVR trusts."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from fs_conf.clock import SettableClock
from fs_conf.config import Config
from fs_conf.ivr.callout import (
    CalloutClaim,
    admit_callout,
    caller_name,
    callout_status,
    is_callout,
    prepare_callout,
    read_claim,
    spoken_invitation,
    token_hash,
)
from fs_conf.model import Conference, ParticipantStatus, Role
from fs_conf.store import Store
from fs_conf.timetable import next_occurrence

from .conftest import START, conference, make_config

IVR = ("127.0.0.1", 8084)


def freeswitch_words(text: str) -> list[str]:
    """Split an API argument the way FreeSWITCH's switch_separate_string does with ' ':
    spaces inside single quotes do not split, a backslash keeps the next character, and the
    quotes are removed afterwards (switch_utils.c separate_string_blank_delim and
    cleanup_separated_string)."""
    words, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "'":
            quoted = not quoted
        elif char == " " and not quoted:
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def stored(store: Store) -> Conference:
    conf = store.add_conference(conference(title="Budget, Q3 {draft} 'final'"))
    assert conf.id is not None
    return conf


def test_the_originate_command_keeps_the_socket_application_in_one_piece(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    config = make_config(tmp_path, callout_answer_seconds=25)
    conf = stored(store)
    petra = conf.participants[2]
    occurrence = next_occurrence(conf, clock())
    assert occurrence is not None
    dial = prepare_callout(config, conf, occurrence, petra, IVR, clock())
    words = freeswitch_words(dial.command)
    assert words[0] == "originate" and len(words) == 3
    assert words[2] == "&socket(127.0.0.1:8084 async full)"
    variables, endpoint = words[1][1:].split("}")
    assert endpoint == "user/1003"
    values = dict(item.split("=", 1) for item in variables.split(","))
    assert values == {
        "origination_uuid": dial.callout.call_uuid,
        "origination_caller_id_number": "3000",
        "origination_caller_id_name": "Budget Q3 draft final",
        "originate_timeout": "25",
        "ignore_early_media": "true",
        "fs_conf_callout": str(petra.id),
        "fs_conf_conference": str(conf.id),
        "fs_conf_callout_token": dial.token,
    }
    assert dial.callout.token_sha256 == token_hash(dial.token) != dial.token
    assert dial.token not in repr(dial)


def test_every_call_out_gets_its_own_uuid_and_token(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    conf = stored(store)
    occurrence = next_occurrence(conf, clock())
    assert occurrence is not None
    first, second = (
        prepare_callout(make_config(tmp_path), conf, occurrence, conf.participants[2], IVR, clock())
        for _ in range(2)
    )
    assert first.callout.call_uuid != second.callout.call_uuid and first.token != second.token


def test_the_title_becomes_a_caller_name_originate_cannot_misread() -> None:
    assert caller_name("Weekly sync") == "Weekly sync"
    assert caller_name("a,b='c'{d}\n\\e") == "a b c d e"
    assert caller_name("x" * 60) == "x" * 40
    assert caller_name("{}") == "Conference"


def with_tts(config: Config, engine: str = "flite", voice: str = "kal") -> Config:
    return dataclasses.replace(
        config, ivr=dataclasses.replace(config.ivr, tts_engine=engine, tts_voice=voice)
    )


def test_with_text_to_speech_the_originate_names_engine_and_voice(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    conf = stored(store)
    occurrence = next_occurrence(conf, clock())
    assert occurrence is not None
    petra = conf.participants[2]
    plain = prepare_callout(make_config(tmp_path), conf, occurrence, petra, IVR, clock())
    assert "tts_engine" not in plain.command
    spoken = prepare_callout(with_tts(make_config(tmp_path)), conf, occurrence, petra, IVR, clock())
    block = freeswitch_words(spoken.command)[1][1:].split("}")[0]
    variables = dict(item.split("=", 1) for item in block.split(","))
    assert (variables["tts_engine"], variables["tts_voice"]) == ("flite", "kal")


@pytest.mark.parametrize(
    ("organizer", "title", "language", "spoken"),
    [
        ("Boss <boss@example.org>", "Weekly sync", "en", "Boss invites you to Weekly sync."),
        ("mia.moser@example.org", "Weekly sync", "en", "mia moser invites you to Weekly sync."),
        ("", "Weekly sync", "en", "You are invited to Weekly sync."),
        ("Boss <boss@example.org>", "Wochenrunde", "de", "Boss lädt Sie zu Wochenrunde ein."),
        ("", "Wochenrunde", "de", "Sie sind zu Wochenrunde eingeladen."),
        # A `:` would split `say:` text on older FreeSWITCH; symbols are not spoken.
        ("Dr. Öz <o@example.org>", "Q3: plan {draft} & 'final'", "en",
         "Dr. Öz invites you to Q3 plan draft 'final'."),
    ],
)  # fmt: skip
def test_the_spoken_invitation_says_who_invites_to_what(
    organizer: str, title: str, language: str, spoken: str
) -> None:
    text = spoken_invitation(conference(organizer=organizer, title=title), language)
    assert text == spoken and ":" not in text


def test_originate_results_become_participant_statuses() -> None:
    assert callout_status("+OK 6e652585-3a18-4bad-ad56-b3cbfed529dd\n") is None
    assert callout_status("-ERR NO_ANSWER\n") is ParticipantStatus.NO_ANSWER
    assert callout_status("-ERR NO_USER_RESPONSE") is ParticipantStatus.NO_ANSWER
    assert callout_status("-ERR NO_ROUTE_DESTINATION") is ParticipantStatus.NO_ANSWER
    assert callout_status("-ERR USER_BUSY") is ParticipantStatus.DECLINED
    assert callout_status("-ERR CALL_REJECTED") is ParticipantStatus.DECLINED


def channel(uuid: str, direction: str = "outbound", **variables: str) -> dict[str, str]:
    data = {"Unique-ID": uuid, "Call-Direction": direction}
    data.update({f"variable_{name}": value for name, value in variables.items()})
    return data


def test_only_an_outbound_channel_can_claim_to_be_a_call_out() -> None:
    good = channel("u-1", fs_conf_callout="13", fs_conf_conference="1", fs_conf_callout_token="t")
    assert is_callout(good)
    assert read_claim(good) == CalloutClaim("u-1", 13, 1, "t")
    assert read_claim({**good, "Call-Direction": "inbound"}) is None
    assert read_claim({**good, "variable_fs_conf_callout": "13; drop"}) is None
    assert read_claim({**good, "variable_fs_conf_callout_token": ""}) is None
    assert not is_callout(channel("u-2"))


class Placed:
    """A call-out as the scheduler stores it before dialing."""

    def __init__(self, config: Config, store: Store, clock: SettableClock) -> None:
        self.conference = stored(store)
        self.participant = self.conference.participants[2]
        occurrence = next_occurrence(self.conference, clock())
        assert occurrence is not None
        self.dial = prepare_callout(
            config, self.conference, occurrence, self.participant, IVR, clock()
        )
        store.add_callout(self.dial.callout)

    def claim(self, **changes: object) -> CalloutClaim:
        claim = CalloutClaim(
            self.dial.callout.call_uuid,
            self.participant.id or 0,
            self.conference.id or 0,
            self.dial.token,
        )
        return dataclasses.replace(claim, **changes)


def test_a_placed_call_out_admits_its_callee_once_with_their_role(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    placed = Placed(make_config(tmp_path), store, clock)
    clock.at(START + timedelta(seconds=20))
    admission = admit_callout(placed.claim(), store, clock(), timedelta(0))
    assert admission is not None
    assert admission.participant is not None and admission.participant.id == placed.participant.id
    assert admission.role is Role.PARTICIPANT and admission.occurrence.start == START
    assert admit_callout(placed.claim(), store, clock(), timedelta(0)) is None


def test_a_forged_or_mismatched_claim_is_refused(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    placed = Placed(make_config(tmp_path), store, clock)
    clock.at(START + timedelta(seconds=20))
    moderator = placed.conference.participants[0].id
    assert admit_callout(placed.claim(token="guessed"), store, clock(), timedelta(0)) is None
    assert admit_callout(placed.claim(call_uuid="other"), store, clock(), timedelta(0)) is None
    assert (
        admit_callout(placed.claim(participant_id=moderator), store, clock(), timedelta(0)) is None
    )


def test_a_call_out_answered_after_its_sitting_is_refused(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    placed = Placed(make_config(tmp_path), store, clock)
    clock.at(START + timedelta(hours=1, seconds=1))
    assert admit_callout(placed.claim(), store, clock(), timedelta(0)) is None


def test_a_call_out_into_a_sitting_a_moderator_ended_is_refused(
    tmp_path: Path, store: Store, clock: SettableClock
) -> None:
    placed = Placed(make_config(tmp_path), store, clock)
    clock.at(START + timedelta(minutes=1))
    store.end_occurrence(placed.conference.id or 0, START)
    assert admit_callout(placed.claim(), store, clock(), timedelta(0)) is None
