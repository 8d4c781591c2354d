"""play_and_get_digits as a pure state machine (no I/O, no time).

Arguments follow mod_dptools.c play_and_get_digits_function(), each try switch_ivr_play_say.c
switch_ivr_read() and switch_play_and_get_digits(), the results the recordings (scenario2
case 2a-2h). The details: docs/simulator.md#sessions-and-applications
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fs_conf.sim.separate import separate

NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


@dataclass(frozen=True)
class PagdArgs:
    min_digits: int
    max_digits: int
    tries: int
    timeout_ms: int
    terminators: str
    file: str
    invalid_file: str
    var_name: str
    regex: str
    digit_timeout_ms: int
    transfer_on_failure: str

    @classmethod
    def parse(cls, arg: str) -> PagdArgs:
        """Split the app argument as play_and_get_digits_function() does, with
        switch_separate_string into at most 11 words (so a quoted
        transfer_on_failure like '1000 XML default' stays one); ValueError names the first
        bad field."""
        parts = separate(arg, limit=11)
        if len(parts) < 6:
            raise ValueError(f"play_and_get_digits needs at least 6 arguments (got {arg!r})")
        names = ("min", "max", "tries", "timeout")
        numbers = []
        for name, raw in zip(names, parts[:4], strict=True):
            try:
                numbers.append(int(raw))
            except ValueError:
                raise ValueError(f"play_and_get_digits {name}: not a number ({raw!r})") from None
        min_digits, max_digits, tries, timeout = numbers
        # mod_dptools clamps these the same way before calling switch_play_and_get_digits().
        min_digits = max(min_digits, 0)
        max_digits = max(max_digits, 1)
        tries = max(tries, 1)
        timeout = max(timeout, 0)
        terminators = "" if parts[4] == "none" else parts[4]
        if terminators == "any":
            terminators = "1234567890*#"
        extra = parts[7:]
        digit_timeout = timeout
        if len(extra) > 2:
            try:
                digit_timeout = int(extra[2])
            except ValueError:
                digit_timeout = timeout
        return cls(
            min_digits=min_digits,
            max_digits=max_digits,
            tries=tries,
            timeout_ms=timeout,
            terminators=terminators,
            file=parts[5],
            invalid_file=parts[6] if len(parts) > 6 else "",
            var_name=extra[0] if extra else "",
            regex=extra[1] if len(extra) > 1 else "",
            digit_timeout_ms=digit_timeout,
            transfer_on_failure=extra[3] if len(extra) > 3 else "",
        )


@dataclass
class ReadOutcome:
    """What one switch_ivr_read() leaves behind."""

    status: str  # success | timeout | too_small | not_found (the prompt did not open)
    digits: str
    terminator: str

    @property
    def read_result(self) -> str:
        return {"success": "success", "timeout": "timeout"}.get(self.status, "failure")


class Collector:
    """One try: digits from the prompt (barge-in) and then collected, until an end."""

    def __init__(self, args: PagdArgs) -> None:
        self.args = args
        self.buffer = ""
        self.terminator = ""
        self.done = False
        self.timed_out = False

    def next_timeout_ms(self) -> int:
        """switch_ivr_read(): the first key waits `timeout`, later keys `digit_timeout`."""
        return self.args.digit_timeout_ms if self.buffer else self.args.timeout_ms

    def prompt_digit(self, digit: str) -> None:
        """A key during the prompt stops it and is kept (switch_ivr_play_file args.buf)."""
        self.buffer += digit
        if len(self.buffer) >= self.args.max_digits:
            self.done = True
            return
        self._check_terminator_in_buffer()

    def _check_terminator_in_buffer(self) -> None:
        # switch_ivr_collect_digits_count() first scans what the prompt already collected.
        for index, char in enumerate(self.buffer):
            if char in self.args.terminators:
                self.terminator = char
                self.buffer = self.buffer[:index]
                self.done = True
                return

    def start_collecting(self) -> None:
        """After the prompt: nothing to collect when the prompt already filled the buffer."""
        if not self.done and len(self.buffer) >= self.args.max_digits:
            self.done = True

    def digit(self, digit: str) -> None:
        if digit in self.args.terminators:
            self.terminator = digit
            self.done = True
            return
        self.buffer += digit
        if len(self.buffer) >= self.args.max_digits:
            self.done = True

    def timeout(self) -> None:
        self.timed_out = True
        self.done = True

    def outcome(self) -> ReadOutcome:
        status = "timeout" if self.timed_out else "success"
        digits = self.buffer
        if self.args.min_digits and len(digits) < self.args.min_digits:
            status = "too_small"
        if (
            self.args.max_digits == 1
            and len(digits) == 1
            and self.args.terminators
            and digits in self.args.terminators
        ):
            digits = ""
        return ReadOutcome(status, digits, self.terminator)


@dataclass
class TryVerdict:
    """switch_play_and_get_digits() after one read: accept, or mark invalid and retry."""

    accepted: bool
    invalid_digits: str | None = None


def judge(outcome: ReadOutcome, args: PagdArgs) -> TryVerdict:
    status = outcome.status
    if status == "timeout" and len(outcome.digits) >= args.min_digits:
        status = "success"
    if args.min_digits == 0 and not outcome.digits and outcome.terminator:
        return TryVerdict(True)
    if status == "success" and outcome.digits:
        if not args.regex or regex_matches(args.regex, outcome.digits):
            return TryVerdict(True)
        return TryVerdict(False, invalid_digits=outcome.digits)
    return TryVerdict(False)


def regex_matches(pattern: str, text: str) -> bool:
    """switch_regex_match(): PCRE search; a broken pattern matches nothing."""
    try:
        return re.search(pcre_to_python(pattern), text) is not None
    except re.error:
        return False


def pcre_to_python(pattern: str) -> str:
    """The PCRE features dialplans use that Python spells differently."""
    return NAMED_GROUP.sub("(?P<", pattern)
