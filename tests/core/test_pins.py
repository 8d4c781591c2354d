"""PIN policy arithmetic, generation, validation, comparison, uniqueness and assignment."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fs_conf import pins
from fs_conf.config import PinsConfig
from fs_conf.errors import ValidationError
from fs_conf.model import Conference, ConferenceStatus, Participant, Role
from fs_conf.pins import (
    DESIGN_VALID_PINS,
    OverlapRule,
    PinClash,
    PinPolicy,
    assign_pins,
    check_unique,
    conference_pins,
    generate_pin,
    is_trivial,
    pins_equal,
    validate_pin,
    windows_can_overlap,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=BERLIN)
RULE = OverlapRule(
    now=NOW, horizon=timedelta(days=365), grace=timedelta(minutes=5), margin=timedelta(minutes=30)
)


def conference(
    start: datetime,
    guest: str = "",
    moderator: str = "",
    rrule: str | None = None,
    participants: list[Participant] | None = None,
    **fields: object,
) -> Conference:
    return Conference(
        title=fields.pop("title", "Planning"),
        start=start,
        timezone="Europe/Berlin",
        duration=timedelta(hours=1),
        number="3000",
        guest_pin=guest,
        moderator_pin=moderator,
        uid="u@test",
        lead=timedelta(minutes=10),
        rrule=rrule,
        participants=participants or [],
        **fields,
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=BERLIN)


# --- policy ----------------------------------------------------------------------------------------


def test_default_lengths_make_guessing_take_over_a_million_calls() -> None:
    policy = PinPolicy()
    for length in (policy.guest_length, policy.personal_length, policy.moderator_length):
        expected = policy.calls_to_guess(DESIGN_VALID_PINS, length)
        # even the calls for an even chance (ln 2 of the expected number) stay above a million
        assert expected * math.log(2) > 1_000_000
        assert policy.time_to_guess(DESIGN_VALID_PINS, length) > timedelta(days=365 * 10)


def test_calls_to_guess_follows_the_formula() -> None:
    policy = PinPolicy(max_tries_per_call=3, lockout_failures=10, lockout_window=timedelta(hours=1))
    assert policy.calls_to_guess(200, 9) == pytest.approx(10**9 / (200 * 3))
    assert policy.time_to_guess(200, 9) == timedelta(hours=10**9 / 200 / 10)
    assert policy.calls_to_guess(0, 4) == pytest.approx(10**4 / 3)


def test_policy_from_config_and_lengths() -> None:
    policy = PinPolicy.from_config(
        PinsConfig(
            guest_length=8,
            personal_length=7,
            moderator_length=11,
            tries_per_call=2,
            lockout_failures=5,
            lockout_window_minutes=30,
        )
    )
    assert policy == PinPolicy(8, 7, 11, 2, 5, timedelta(minutes=30))
    assert (policy.shortest, policy.longest) == (7, 11)
    assert policy.personal_length_for(Role.MODERATOR) == 11
    assert policy.personal_length_for(Role.PARTICIPANT) == 7


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"guest_length": 3}, "pins.guest_length"),
        ({"moderator_length": 21}, "pins.moderator_length"),
        ({"personal_length": 0}, "pins.personal_length"),
        ({"max_tries_per_call": 0}, "pins.max_tries_per_call"),
        ({"lockout_failures": 0}, "pins.lockout_failures"),
        ({"lockout_window": timedelta(0)}, "pins.lockout_window"),
    ],
)
def test_policy_rejects_bad_values(fields: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PinPolicy(**fields)
    assert caught.value.field == field


# --- generation and validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pin",
    [
        "0000",
        "99999999",
        "1234",
        "123456789",
        "0123456789",
        "987654321",
        "7890123",
        "3210987",
        "1212",
        "90909090",
        "4545454",
    ],
)
def test_trivial_pins(pin: str) -> None:
    assert is_trivial(pin)


@pytest.mark.parametrize("pin", ["1235", "0420", "120120", "1122", "918273645", "0000000001"])
def test_non_trivial_pins(pin: str) -> None:
    assert not is_trivial(pin)


def test_generated_pin_keeps_its_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pins.secrets, "randbelow", lambda upper: 42)
    pin = generate_pin(9)
    assert pin == "000000042"
    assert isinstance(pin, str)


def test_generation_skips_trivial_and_taken_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([1111, 1234, 5821, 7305])
    monkeypatch.setattr(pins.secrets, "randbelow", lambda upper: next(draws))
    assert generate_pin(4, taken={"5821"}) == "7305"


def test_generated_pins_are_random_digit_strings() -> None:
    drawn = [generate_pin(4) for _ in range(300)]
    assert all(len(pin) == 4 and pin.isdigit() and not is_trivial(pin) for pin in drawn)
    assert len(set(drawn)) > 250
    assert any(pin.startswith("0") for pin in drawn)


def test_generation_fails_clearly_when_no_pin_is_free() -> None:
    everything = {f"{number:04d}" for number in range(10_000)}
    with pytest.raises(ValidationError, match="use longer PINs"):
        generate_pin(4, everything)
    with pytest.raises(ValidationError, match="between 4 and 20"):
        generate_pin(3)


def test_validate_pin_accepts_and_strips() -> None:
    assert validate_pin(" 048151623 ", 9) == "048151623"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "PIN is empty"),
        ("   ", "PIN is empty"),
        ("04815a623", "only the digits 0-9"),
        ("048 151 623", "only the digits 0-9"),
        ("٠٤٨١٥١٦٢٣", "only the digits 0-9"),  # Arabic-Indic digits are digits to str.isdigit
        ("04815162", "must be 9 digits, not 8"),
        ("0481516230", "must be 9 digits, not 10"),
        ("123456789", "too easy to guess"),
        ("555555555", "too easy to guess"),
    ],
)
def test_validate_pin_rejects_without_showing_the_pin(text: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_pin(text, 9, "--guest-pin")
    assert caught.value.field == "--guest-pin"
    assert caught.value.value == "***"
    assert problem in str(caught.value)
    if text.strip():
        assert text.strip() not in str(caught.value)


def test_pins_equal() -> None:
    assert pins_equal("048151623", "048151623")
    assert not pins_equal("048151623", "48151623")
    assert not pins_equal("048151623", "048151624")
    assert not pins_equal("", "0")


# --- overlap and uniqueness -------------------------------------------------------------------------


def test_conference_pins_lists_every_set_pin() -> None:
    conf = conference(
        at(2, 10),
        "111222333",
        "",
        participants=[
            Participant("Ann", "ann@example.org", pin="0444555666"),
            Participant("Bob", "bob@example.org"),
        ],
    )
    assert conference_pins(conf) == [
        ("guest_pin", "111222333"),
        ("participant 'Ann' pin", "0444555666"),
    ]


def test_windows_overlap_with_lead_grace_and_margin() -> None:
    first = conference(at(2, 10))  # window 09:50 - 11:00 + grace 5 + margin 30 = 11:35
    assert windows_can_overlap(first, conference(at(2, 11, 40)), RULE)  # opens 11:30
    assert not windows_can_overlap(
        first, conference(at(2, 11, 45)), RULE
    )  # opens 11:35: touching only
    assert not windows_can_overlap(first, conference(at(3, 10)), RULE)
    assert not windows_can_overlap(
        first, conference(at(2, 10), status=ConferenceStatus.CANCELLED), RULE
    )


def test_windows_of_series() -> None:
    mondays = conference(at(2, 10), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4")
    assert windows_can_overlap(mondays, conference(at(23, 10, 30)), RULE)  # the fourth Monday
    assert not windows_can_overlap(mondays, conference(at(30, 10, 30)), RULE)  # after the last
    assert not windows_can_overlap(
        mondays, conference(at(3, 10), rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=10"), RULE
    )
    # two series that go on past the horizon are treated as overlapping
    endless_mondays = conference(at(2, 10), rrule="FREQ=WEEKLY;BYDAY=MO")
    endless_tuesdays = conference(at(3, 10), rrule="FREQ=WEEKLY;BYDAY=TU")
    assert windows_can_overlap(endless_mondays, endless_tuesdays, RULE)
    ending_tuesdays = dataclasses.replace(
        endless_tuesdays, rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20251231"
    )
    assert not windows_can_overlap(endless_mondays, ending_tuesdays, RULE)


def test_check_unique_rejects_a_pin_of_an_overlapping_conference() -> None:
    mine = conference(at(2, 10), "111222333", "1112223334", id=7)
    other = conference(at(2, 10, 30), "111222333", "9998887776", id=8, title="Budget")
    with pytest.raises(ValidationError) as caught:
        check_unique(mine, [other], RULE)
    assert caught.value.field == "guest_pin"
    assert caught.value.value == "***"
    assert "'Budget (id 8)'" in str(caught.value)
    assert "111222333" not in str(caught.value)


def test_check_unique_allows_reuse_when_windows_cannot_overlap() -> None:
    mine = conference(at(2, 10), "111222333", "1112223334", id=7)
    check_unique(mine, [conference(at(3, 10), "111222333", "9998887776", id=8)], RULE)
    check_unique(
        mine,
        [conference(at(2, 10), "111222333", "9998887776", id=8, status=ConferenceStatus.CANCELLED)],
        RULE,
    )
    check_unique(
        mine, [dataclasses.replace(mine, title="Planning (moved)")], RULE
    )  # the same conference, stored


def test_check_unique_compares_every_kind_of_pin() -> None:
    mine = conference(
        at(2, 10),
        "111222333",
        "1112223334",
        participants=[Participant("Ann", "ann@example.org", pin="246813579")],
    )
    other = conference(
        at(2, 10),
        "975318642",
        "2468135790",
        participants=[Participant("Cem", "cem@example.org", pin="1112223334")],
    )
    with pytest.raises(ValidationError) as caught:
        check_unique(mine, [other], RULE)
    assert caught.value.field == "moderator_pin"
    clash = conference(at(2, 10), "246813579", "2468135790")
    with pytest.raises(ValidationError) as caught:
        check_unique(mine, [clash], RULE)
    assert caught.value.field == "participant 'Ann' pin"


def test_check_unique_rejects_equal_pins_within_a_conference() -> None:
    conf = conference(at(2, 10), "111222333", "111222333")
    with pytest.raises(ValidationError, match="moderator_pin: same PIN as guest_pin"):
        check_unique(conf, [], RULE)


# --- assignment ---------------------------------------------------------------------------------------


def test_assign_pins_fills_only_what_is_missing() -> None:
    policy = PinPolicy()
    original = conference(
        at(2, 10),
        "",
        "0123987654",
        participants=[
            Participant("Ann", "ann@example.org", role=Role.MODERATOR),
            Participant("Bob", "bob@example.org", pin="0246813579"),
            Participant("Cem", "cem@example.org"),
        ],
        mailed=True,
    )
    others = [conference(at(2, 10), "975318642", "2468135790")]
    done = assign_pins(original, policy, others, RULE)
    assert done.moderator_pin == "0123987654"
    assert done.participants[1].pin == "0246813579"
    assert len(done.guest_pin) == policy.guest_length
    assert len(done.participants[0].pin) == policy.moderator_length
    assert len(done.participants[2].pin) == policy.personal_length
    all_pins = [pin for _, pin in conference_pins(done)]
    assert len(set(all_pins)) == len(all_pins) == 5
    assert not set(all_pins) & {"975318642", "2468135790"}
    assert (
        original.guest_pin == "" and original.participants[0].pin == ""
    )  # the input is left alone
    assert assign_pins(done, policy, others, RULE) == done  # nothing left to fill: nothing changes


def test_assign_pins_avoids_the_pins_of_overlapping_conferences_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draws = iter([975318642, 864213579, 2468135790, 1357924680, 975318642, 2468135790])
    monkeypatch.setattr(pins.secrets, "randbelow", lambda upper: next(draws))
    overlapping = conference(at(2, 10, 30), "975318642", "2468135790")
    done = assign_pins(conference(at(2, 10)), PinPolicy(), [overlapping], RULE)
    assert (done.guest_pin, done.moderator_pin) == ("864213579", "1357924680")
    later = conference(at(20, 10), "975318642", "2468135790")  # cannot overlap: may share
    done = assign_pins(conference(at(2, 10)), PinPolicy(), [later], RULE)
    assert (done.guest_pin, done.moderator_pin) == ("975318642", "2468135790")


def test_assign_pins_refuses_kept_pins_that_clash_with_an_overlapping_conference() -> None:
    moved = conference(at(2, 10), "111222333", "", id=7)
    other = conference(at(2, 10, 30), "111222333", "9998887776", id=8, title="Budget")
    with pytest.raises(PinClash) as caught:
        assign_pins(moved, PinPolicy(), [other], RULE)
    assert (caught.value.field, caught.value.value, caught.value.other) == (
        "guest_pin",
        "***",
        other,
    )
    assert "111222333" not in str(caught.value)


def test_assign_pins_refuses_clashing_pins_it_may_not_change() -> None:
    conf = conference(
        at(2, 10),
        "111222333",
        "",
        participants=[Participant("Ann", "ann@example.org", pin="111222333")],
    )
    with pytest.raises(ValidationError, match="same PIN as guest_pin"):
        assign_pins(conf, PinPolicy(), [], RULE)


@settings(max_examples=60, deadline=None)
@given(
    guest=st.sampled_from(["", "305172946"]),
    moderator=st.sampled_from(["", "0918273645"]),
    personal=st.lists(st.sampled_from(["", "keep"]), max_size=6),
)
def test_assign_pins_never_changes_a_set_pin(
    guest: str, moderator: str, personal: list[str]
) -> None:
    people = [
        Participant(f"P{i}", f"p{i}@example.org", pin=f"{i:03d}864297" if mark else "")
        for i, mark in enumerate(personal)
    ]
    conf = conference(at(2, 10), guest, moderator, participants=people)
    done = assign_pins(conf, PinPolicy(), [], RULE)
    assert not guest or done.guest_pin == guest
    assert not moderator or done.moderator_pin == moderator
    for before, after in zip(people, done.participants, strict=True):
        assert after.pin and (not before.pin or after.pin == before.pin)
        assert (after.name, after.email) == (before.name, before.email)
    all_pins = [pin for _, pin in conference_pins(done)]
    assert len(set(all_pins)) == len(all_pins)
