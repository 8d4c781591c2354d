"""The keypad in the room: which key does what, and the admin's overrides of the keys.

Pure: the action table (`KeypadAction`, `DEFAULT_KEYS`), key parsing and the `ivr.keypad`
overrides. Moderators' keys reach fs_conf as `conference::maintenance` events on the inbound
connection, not on each call's socket. Why: docs/ivr.md#the-keypad-in-the-room
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from fs_conf.errors import ValidationError

MODERATOR_CONTROLS = "fs_conf-moderator"
PARTICIPANT_CONTROLS = "fs_conf-participant"
"""The caller-controls groups of conference.conf.xml; the IVR puts one in `conference_controls`."""

SELF_MUTE_KEY = "0"
"""Bound to mod_conference's own `mute` action in both groups; not an fs_conf action."""

CONFIG_KEY = "ivr.keypad"

_DTMF = re.compile(r"[0-9*#]+")


class KeypadAction(StrEnum):
    """What a moderator can do from the keypad; the values are the `ivr.keypad` names."""

    MUTE_ALL = "mute_all"
    UNMUTE_ALL = "unmute_all"
    LOCK = "lock"
    KICK_LAST = "kick_last"
    EXTEND = "extend"
    RECORD = "record"
    END = "end"


DEFAULT_KEYS: Mapping[KeypadAction, str] = MappingProxyType(
    {
        KeypadAction.MUTE_ALL: "*1",
        KeypadAction.UNMUTE_ALL: "*2",
        KeypadAction.LOCK: "*3",
        KeypadAction.KICK_LAST: "*4",
        KeypadAction.EXTEND: "*6",
        KeypadAction.RECORD: "*8",
        KeypadAction.END: "*9",
    }
)


@dataclass(frozen=True)
class Keypad:
    """The moderator keys in effect: one key per action, all different."""

    keys: Mapping[KeypadAction, str]

    def action_for(self, key: str) -> KeypadAction | None:
        """The action bound to `key` (a DTMF-Key header value), or None."""
        for action, bound in self.keys.items():
            if bound == key:
                return action
        return None

    def key_for(self, action: KeypadAction) -> str:
        return self.keys[action]

    def bindings(self) -> list[tuple[str, KeypadAction]]:
        """(key, action) pairs in the order of `KeypadAction`, for the XML check and docs."""
        return [(self.keys[action], action) for action in KeypadAction]


def parse_key(text: object, field: str) -> str:
    """A key as typed on a phone: one or more of 0-9, * and #; ValidationError otherwise."""
    if not isinstance(text, str) or not _DTMF.fullmatch(text):
        raise ValidationError(field, text, "must be phone keys: digits 0-9, * and # (e.g. '*1')")
    if text == "#":
        # Callers end their PIN with #; a # that arrives after the join would fire the action.
        raise ValidationError(field, text, "# alone is what callers press after their PIN")
    return text


def keypad_from_config(overrides: Mapping[str, object]) -> Keypad:
    """`DEFAULT_KEYS` with `ivr.keypad` applied; bad names, keys, duplicates raise
    ValidationError naming `ivr.keypad.<name>`."""
    keys = dict(DEFAULT_KEYS)
    for name, value in overrides.items():
        field = f"{CONFIG_KEY}.{name}"
        try:
            action = KeypadAction(name)
        except ValueError:
            known = ", ".join(action.value for action in KeypadAction)
            raise ValidationError(field, name, f"unknown keypad action (known: {known})") from None
        keys[action] = parse_key(value, field)
    _check_distinct(keys, set(overrides))
    return Keypad(keys)


def _check_distinct(keys: Mapping[KeypadAction, str], overridden: set[str]) -> None:
    """No key may equal or begin another (or the self-mute key): FreeSWITCH's digit matching
    (switch_ivr_dmachine) would fire the shorter key only after the profile's ivr-dtmf-timeout,
    and a caller slow on the longer key's last digit would fire the shorter one instead. The
    error names an overridden action, since that is what the admin changed."""
    taken: list[tuple[str, str]] = [(SELF_MUTE_KEY, "self mute (mod_conference's own `mute`)")]
    ordered = sorted(keys.items(), key=lambda item: item[0].value in overridden)
    for action, key in ordered:
        for other_key, other_name in taken:
            if key == other_key:
                raise ValidationError(
                    f"{CONFIG_KEY}.{action.value}",
                    key,
                    f"key {key} is already used for {other_name}",
                )
            if key.startswith(other_key) or other_key.startswith(key):
                raise ValidationError(
                    f"{CONFIG_KEY}.{action.value}",
                    key,
                    f"key {key} and key {other_key} ({other_name}) begin alike: "
                    "one key must not be the beginning of another",
                )
        taken.append((key, action.value))
