"""fs_conf.ivr.resolve: number + PIN (+ conference ID) + time -> admission or refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fs_conf.ivr.resolve import (
    Admission,
    Refusal,
    Refused,
    phone_digits,
    reachable,
    resolve,
    resolve_by_caller_id,
    same_number,
)
from fs_conf.model import Conference, ConferenceStatus, Participant, Role

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=BERLIN)
GRACE = timedelta(minutes=5)


def conference(
    cid: int,
    *,
    start: datetime = NOW,
    number: str = "3000",
    external: str = "",
    guest: str = "11111111",
    moderator: str = "2222222222",
    participants: list[Participant] | None = None,
    status: ConferenceStatus = ConferenceStatus.SCHEDULED,
    duration: timedelta = timedelta(hours=1),
    rrule: str | None = None,
) -> Conference:
    return Conference(
        title=f"c{cid}",
        start=start,
        timezone="Europe/Berlin",
        duration=duration,
        number=number,
        external_number=external,
        guest_pin=guest,
        moderator_pin=moderator,
        uid=f"uid-{cid}",
        lead=timedelta(minutes=10),
        status=status,
        participants=participants or [],
        rrule=rrule,
        id=cid,
    )


def person(pid: int, role: Role, pin: str, phone: str | None = None) -> Participant:
    return Participant(
        name=f"p{pid}", email=f"p{pid}@example.org", phone=phone, role=role, pin=pin, id=pid
    )


def test_guest_pin_admits_an_anonymous_participant() -> None:
    result = resolve("3000", "11111111", [conference(1)], NOW, GRACE)
    assert isinstance(result, Admission)
    assert (result.conference.id, result.role, result.participant) == (1, Role.PARTICIPANT, None)
    assert result.occurrence.start == NOW


def test_conference_moderator_pin_makes_a_moderator() -> None:
    result = resolve("3000", "2222222222", [conference(1)], NOW, GRACE)
    assert isinstance(result, Admission)
    assert (result.role, result.participant) == (Role.MODERATOR, None)


def test_personal_pins_identify_the_person_with_their_role() -> None:
    boss = person(10, Role.MODERATOR, "5555555555")
    ann = person(11, Role.PARTICIPANT, "66666666")
    conf = conference(1, participants=[boss, ann])
    as_boss = resolve("3000", "5555555555", [conf], NOW, GRACE)
    as_ann = resolve("3000", "66666666", [conf], NOW, GRACE)
    assert isinstance(as_boss, Admission) and isinstance(as_ann, Admission)
    assert (as_boss.role, as_boss.participant) == (Role.MODERATOR, boss)
    assert (as_ann.role, as_ann.participant) == (Role.PARTICIPANT, ann)


@pytest.mark.parametrize("pin", ["", "1111111", "111111111", "1111111A", "*1111111", "2222222"])
def test_wrong_pins_are_refused_without_naming_a_conference(pin: str) -> None:
    assert resolve("3000", pin, [conference(1)], NOW, GRACE) == Refused(Refusal.BAD_PIN)


def test_a_participant_without_a_pin_is_not_matched_by_an_empty_entry() -> None:
    conf = conference(1, participants=[person(11, Role.PARTICIPANT, "")])
    assert resolve("3000", "", [conf], NOW, GRACE) == Refused(Refusal.BAD_PIN)


def test_leading_zero_of_a_pin_is_significant() -> None:
    conf = conference(1, guest="01234567")
    assert isinstance(resolve("3000", "01234567", [conf], NOW, GRACE), Admission)
    assert resolve("3000", "1234567", [conf], NOW, GRACE) == Refused(Refusal.BAD_PIN)


def test_the_number_selects_the_conferences_and_plus_does_not_count() -> None:
    own = conference(1, number="3001", external="+4930555000", guest="12345678")
    assert isinstance(resolve("3001", "12345678", [own], NOW, GRACE), Admission)
    assert isinstance(resolve("4930555000", "12345678", [own], NOW, GRACE), Admission)
    assert isinstance(resolve("+4930555000", "12345678", [own], NOW, GRACE), Admission)
    assert resolve("3000", "12345678", [own], NOW, GRACE) == Refused(Refusal.BAD_PIN)


def test_the_pin_picks_the_conference_among_those_sharing_a_number() -> None:
    first = conference(1, guest="11111111")
    second = conference(2, guest="33333333", moderator="4444444444")
    result = resolve("3000", "33333333", [first, second], NOW, GRACE)
    assert isinstance(result, Admission) and result.conference.id == 2


def test_the_conference_id_narrows_the_candidates() -> None:
    first = conference(1, guest="11111111")
    second = conference(2, guest="11111111", moderator="4444444444")
    result = resolve("3000", "11111111", [first, second], NOW, GRACE, conference_id=2)
    assert isinstance(result, Admission) and result.conference.id == 2
    unknown = resolve("3000", "11111111", [first, second], NOW, GRACE, conference_id=9)
    assert unknown == Refused(Refusal.BAD_PIN)


def test_among_matching_conferences_the_open_one_wins_then_the_next_to_open() -> None:
    ended = conference(1, start=NOW - timedelta(hours=3))
    later = conference(2, start=NOW + timedelta(hours=5))
    soon = conference(3, start=NOW + timedelta(hours=2))
    cancelled = conference(4, status=ConferenceStatus.CANCELLED)
    running = conference(5, start=NOW - timedelta(minutes=30))
    everyone = [cancelled, ended, later, soon, running]
    result = resolve("3000", "11111111", everyone, NOW, GRACE)
    assert isinstance(result, Admission) and result.conference.id == 5
    without_open = resolve("3000", "11111111", everyone[:-1], NOW, GRACE)
    assert isinstance(without_open, Refused)
    assert (without_open.reason, without_open.conference.id) == (Refusal.TOO_EARLY, 3)
    only_past = resolve("3000", "11111111", [cancelled, ended], NOW, GRACE)
    assert isinstance(only_past, Refused) and only_past.reason is Refusal.ENDED
    assert only_past.conference.id == 1


def test_too_early_says_when_the_dial_in_opens_in_the_conference_zone() -> None:
    conf = conference(1, start=NOW + timedelta(hours=2))
    result = resolve("3000", "11111111", [conf], NOW, GRACE)
    assert isinstance(result, Refused) and result.reason is Refusal.TOO_EARLY
    assert result.opens_at == NOW + timedelta(hours=2) - timedelta(minutes=10)
    assert result.opens_at.tzinfo is not None and result.opens_at.utcoffset() == timedelta(hours=1)


def test_the_lead_time_opens_the_window_and_grace_keeps_it_open() -> None:
    conf = conference(1, start=NOW)
    assert isinstance(
        resolve("3000", "11111111", [conf], NOW - timedelta(minutes=10), GRACE), Admission
    )
    early = resolve("3000", "11111111", [conf], NOW - timedelta(minutes=11), GRACE)
    assert isinstance(early, Refused) and early.reason is Refusal.TOO_EARLY
    in_grace = NOW + timedelta(hours=1, minutes=4)
    assert isinstance(resolve("3000", "11111111", [conf], in_grace, GRACE), Admission)
    after = resolve("3000", "11111111", [conf], NOW + timedelta(hours=1, minutes=5), GRACE)
    assert isinstance(after, Refused) and after.reason is Refusal.ENDED


def test_a_cancelled_conference_is_reported_as_cancelled() -> None:
    conf = conference(1, status=ConferenceStatus.CANCELLED)
    result = resolve("3000", "11111111", [conf], NOW, GRACE)
    assert isinstance(result, Refused) and result.reason is Refusal.CANCELLED
    assert result.conference is conf


def test_an_occurrence_ended_by_a_moderator_counts_as_ended() -> None:
    conf = conference(1, start=NOW - timedelta(minutes=5))
    ended = {(1, (NOW - timedelta(minutes=5)).astimezone(UTC))}
    result = resolve("3000", "11111111", [conf], NOW, GRACE, ended=ended)
    assert isinstance(result, Refused) and result.reason is Refusal.ENDED


def test_a_recurring_conference_admits_into_todays_occurrence() -> None:
    conf = conference(1, start=NOW - timedelta(days=14), rrule="FREQ=WEEKLY")
    result = resolve("3000", "11111111", [conf], NOW + timedelta(minutes=3), GRACE)
    assert isinstance(result, Admission) and result.occurrence.start == NOW


def test_caller_id_makes_a_moderator_of_one_open_conference() -> None:
    boss = person(10, Role.MODERATOR, "5555555555", phone="+49 30 1234-567")
    conf = conference(1, participants=[boss])
    result = resolve_by_caller_id("3000", "+49301234567", [conf], NOW, GRACE)
    assert isinstance(result, Admission)
    assert (result.role, result.participant) == (Role.MODERATOR, boss)


def test_caller_id_does_not_admit_into_closed_or_ambiguous_conferences() -> None:
    boss = person(10, Role.MODERATOR, "5555555555", phone="1001")
    later = conference(1, start=NOW + timedelta(hours=3), participants=[boss])
    assert resolve_by_caller_id("3000", "1001", [later], NOW, GRACE) is None
    again = person(12, Role.MODERATOR, "7777777777", phone="1001")
    one = conference(2, participants=[boss])
    two = conference(3, participants=[again], guest="99999999", moderator="8888888888")
    assert resolve_by_caller_id("3000", "1001", [one, two], NOW, GRACE) is None


def test_caller_id_of_a_participant_or_nobody_gives_nothing() -> None:
    ann = person(11, Role.PARTICIPANT, "66666666", phone="1002")
    conf = conference(1, participants=[ann])
    assert resolve_by_caller_id("3000", "1002", [conf], NOW, GRACE) is None
    assert resolve_by_caller_id("3000", "anonymous", [conf], NOW, GRACE) is None


def test_number_helpers() -> None:
    assert same_number("+4930555000", "4930555000")
    assert not same_number("", "")
    assert phone_digits("+49 (30) 555-000") == "4930555000"
    confs = [conference(1, number="3000"), conference(2, number="3001", external="+49305")]
    assert [c.id for c in reachable("49305", confs)] == [2]
