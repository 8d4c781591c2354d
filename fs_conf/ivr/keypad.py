"""The keypad in the room: which key does what, and the admin's overrides of the keys.

Everyone presses `0` to mute or unmute themselves; mod_conference does that on its own (the
`mute` caller control). Moderators also have the actions of `KeypadAction`, on the keys of
`DEFAULT_KEYS` unless `ivr.keypad` in the configuration moves them (write the keys in quotes:
YAML reads an unquoted `*1` as an alias).

How a moderator's key reaches fs_conf: the IVR sets the channel variable
`conference_controls` to `fs_conf-moderator` or `fs_conf-participant` before the join, and
`freeswitch/autoload_configs/conference.conf.xml` binds the moderator keys in the
fs_conf-moderator group to the caller-control action `event`. On such a key FreeSWITCH fires
CUSTOM `conference::maintenance` with `Action: dtmf` and `DTMF-Key: *1` (no `Data` header
when the binding has no data; recorded in scenario2/case5_conference_dtmf) on the inbound
Event Socket connection, where `fs_conf.ivr.room.RoomController` acts on it. Why this and
not collecting the digits on each call's outbound socket:

- FreeSWITCH's own digit matching (its dmachine, with the profile's ivr-dtmf-timeout)
  decides when `*1` is complete, so the keys behave like every other caller control;
- it keeps working when a call's outbound socket is lost, because the room events come over
  the one inbound connection;
- only members joined with the moderator group can produce these events at all, so a
  participant cannot gain a moderator's powers by pressing keys: the role was fixed by the
  PIN when the IVR chose the group.

This module is pure: the action table, key parsing and the configuration overrides.
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
