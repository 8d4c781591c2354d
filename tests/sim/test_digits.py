"""play_and_get_digits decisions, one test per outcome recorded in scenario2 case 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_conf.sim import SimConfig, Simulator
from fs_conf.sim.digits import Collector, PagdArgs, judge, regex_matches

ARGS = "1 4 1 4000 # ivr/prompt.wav ivr/invalid.wav dg \\d+ 1000"


def run(arg: str, prompt_keys: str = "", keys: str = "", timeout_after: bool = False):
    args = PagdArgs.parse(arg)
    collector = Collector(args)
    for key in prompt_keys:
        collector.prompt_digit(key)
        break
    rest = prompt_keys[1:] + keys
    collector.start_collecting()
    for key in rest:
        if collector.done:
            break
        collector.digit(key)
    if not collector.done:
        collector.timeout()
    outcome = collector.outcome()
    return outcome, judge(outcome, args)


def test_parse_argument_order_and_defaults() -> None:
    args = PagdArgs.parse(
        "4 4 3 7000 # conference/conf-pin.wav ivr/ivr-please_try_again.wav pin [0-9]+ 3000"
    )
    assert (args.min_digits, args.max_digits, args.tries, args.timeout_ms) == (4, 4, 3, 7000)
    assert args.terminators == "#" and args.var_name == "pin" and args.regex == "[0-9]+"
    assert args.digit_timeout_ms == 3000
    assert PagdArgs.parse("1 2 1 500 # a.wav").digit_timeout_ms == 500


def test_parse_names_the_bad_field() -> None:
    with pytest.raises(ValueError, match="max: not a number"):
        PagdArgs.parse("1 x 1 500 # a.wav b.wav")
    with pytest.raises(ValueError, match="at least 6"):
        PagdArgs.parse("1 2 3")


def test_digits_then_hash_success() -> None:
    outcome, verdict = run(ARGS, keys="123#")
    assert (outcome.digits, outcome.read_result, outcome.terminator) == ("123", "success", "#")
    assert verdict.accepted


def test_nothing_pressed_is_failure_not_timeout() -> None:
    outcome, verdict = run(ARGS)
    assert outcome.read_result == "failure" and outcome.digits == ""
    assert not verdict.accepted and verdict.invalid_digits is None


def test_regex_mismatch_keeps_success_and_marks_invalid() -> None:
    outcome, verdict = run("1 4 1 4000 # p.wav i.wav dg ^1\\d*$ 1000", keys="999#")
    assert outcome.read_result == "success"
    assert not verdict.accepted and verdict.invalid_digits == "999"


def test_too_few_digits_is_failure_with_digits_kept() -> None:
    outcome, verdict = run("3 4 1 4000 # p.wav i.wav dg \\d+ 1000", keys="12#")
    assert (outcome.read_result, outcome.digits) == ("failure", "12")
    assert not verdict.accepted


def test_barge_in_digit_from_prompt_counts() -> None:
    outcome, verdict = run("1 6 1 5000 # p.wav i.wav dg \\d+ 2000", prompt_keys="55#")
    assert (outcome.digits, outcome.read_result) == ("55", "success") and verdict.accepted


def test_max_digits_without_terminator() -> None:
    outcome, verdict = run("1 3 1 4000 # p.wav i.wav dg \\d+ 1000", keys="123")
    assert (outcome.digits, outcome.terminator, outcome.read_result) == ("123", "", "success")
    assert verdict.accepted


def test_inter_digit_timeout_with_enough_digits_is_timeout_but_accepted() -> None:
    outcome, verdict = run("2 4 1 4000 # p.wav i.wav dg \\d+ 1500", keys="12", timeout_after=True)
    assert (outcome.read_result, outcome.digits) == ("timeout", "12")
    assert verdict.accepted


def test_terminator_first_in_prompt_gives_empty_failure() -> None:
    outcome, verdict = run(ARGS, prompt_keys="#")
    assert (outcome.digits, outcome.terminator, outcome.read_result) == ("", "#", "failure")
    assert not verdict.accepted


def test_collector_timeouts_switch_to_digit_timeout() -> None:
    collector = Collector(PagdArgs.parse("1 4 1 4000 # p.wav i.wav dg \\d+ 1500"))
    assert collector.next_timeout_ms() == 4000
    collector.digit("1")
    assert collector.next_timeout_ms() == 1500


def test_regex_named_groups_and_bad_patterns() -> None:
    assert regex_matches("^(?<pin>\\d{4})$", "1234")
    assert not regex_matches("([", "1")


def test_a_quoted_transfer_on_failure_is_one_argument() -> None:
    """play_and_get_digits_function() splits with switch_separate_string, which honours
    single quotes: the whole target survives, and without quotes only its first word does."""
    quoted = PagdArgs.parse(f"{ARGS} '1000 XML default'")
    assert quoted.transfer_on_failure == "1000 XML default"
    assert PagdArgs.parse(f"{ARGS} 1000 XML default").transfer_on_failure == "1000"
    assert PagdArgs.parse(ARGS).regex == "\\d+"


def test_failure_transfers_to_the_quoted_extension_and_context(tmp_path: Path) -> None:
    dialplan = tmp_path / "d.xml"
    dialplan.write_text(
        '<include><context name="default"><extension name="ask">'
        '<condition field="destination_number" expression="^1$">'
        '<action application="answer"/>'
        '<action application="play_and_get_digits" data="1 1 1 100 # silence_stream://10 '
        "silence_stream://10 d \\d 100 '2 XML other'\"/>"
        '<action application="playback" data="not-transferred.wav"/>'
        "</condition></extension></context>"
        '<context name="other"><extension name="failed">'
        '<condition field="destination_number" expression="^2$">'
        '<action application="playback" data="failed.wav"/>'
        "</condition></extension></context></include>"
    )
    with Simulator(SimConfig(dialplan=dialplan, time_scale=0.01)) as sim:
        call = sim.call("1")
        call.wait_hangup()
    assert "failed.wav" in call.heard and "not-transferred.wav" not in call.heard
    assert (call.channel.profile.destination_number, call.channel.profile.context) == (
        "2",
        "other",
    )
