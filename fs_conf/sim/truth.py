"""How FreeSWITCH reads a yes/no string (switch_true(), src/include/switch_utils.h) and writes one.

"yes", "on", "true", "t", "enabled", "active" and "allow" (any case) are true, and so is a
number (switch_is_number: digits and dots after an optional sign) whose atoi() is not zero;
everything else, an empty or missing value included, is false. It writes "true" or "false".
"""

from __future__ import annotations

import re

TRUE_WORDS = frozenset({"yes", "on", "true", "t", "enabled", "active", "allow"})
NUMBER = re.compile(r"[+-]?[0-9.]*")


def switch_true(value: str | None) -> bool:
    if not value:
        return False
    if value.lower() in TRUE_WORDS:
        return True
    if not NUMBER.fullmatch(value):
        return False
    whole = re.match(r"[+-]?\d+", value)
    return whole is not None and int(whole.group(0)) != 0


def true_false(value: bool) -> str:
    """How FreeSWITCH writes a yes/no into event headers and channel variables."""
    return "true" if value else "false"
