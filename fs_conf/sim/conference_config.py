"""conference.conf.xml: profiles and caller-controls groups, in FreeSWITCH's own format.

A profile without an entry gets FreeSWITCH's defaults; the group "default" is mod_conference's
built-in keymap (conference_loop.c). `$${name}` is replaced from the globals.
The format: docs/simulator.md#rooms
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from fs_conf.sim.expand import expand_globals

# conference_loop.c default caller-controls when the group "default" is not configured.
BUILTIN_DEFAULT_CONTROLS: tuple[tuple[str, str, str], ...] = (
    ("0", "mute", ""),
    ("*", "deaf mute", ""),
    ("9", "energy up", ""),
    ("8", "energy equ", ""),
    ("7", "energy dn", ""),
    ("3", "vol talk up", ""),
    ("2", "vol talk zero", ""),
    ("1", "vol talk dn", ""),
    ("6", "vol listen up", ""),
    ("5", "vol listen zero", ""),
    ("4", "vol listen dn", ""),
    ("#", "hangup", ""),
)

# Actions mod_conference's caller controls know (conference_loop.c control_mappings).
KNOWN_ACTIONS = frozenset(
    {
        "mute",
        "mute on",
        "mute off",
        "vmute",
        "vmute on",
        "vmute off",
        "vmute snap",
        "deaf mute",
        "deaf",
        "deaf on",
        "deaf off",
        "energy up",
        "energy equ",
        "energy dn",
        "vol talk up",
        "vol talk zero",
        "vol talk dn",
        "vol listen up",
        "vol listen zero",
        "vol listen dn",
        "hangup",
        "event",
        "lock",
        "transfer",
        "execute_application",
        "floor",
        "vid-floor",
        "vid-floor-force",
    }
)


class ConferenceConfigError(ValueError):
    """conference.conf.xml cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Control:
    digits: str
    action: str
    data: str = ""


@dataclass
class Profile:
    """A conference profile's parameters (names as in conference.conf.xml)."""

    name: str
    params: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.params.get(key, default)

    def get_int(self, key: str, default: int = 0) -> int:
        try:
            return int(self.params.get(key, default))
        except ValueError:
            return default


@dataclass
class ConferenceConfig:
    profiles: dict[str, Profile] = field(default_factory=dict)
    groups: dict[str, list[Control]] = field(default_factory=dict)
    element: ET.Element | None = None
    """`<configuration name="conference.conf">` as read, for `xml_locate configuration`."""

    def profile(self, name: str) -> Profile:
        return self.profiles.get(name) or Profile(name, dict(DEFAULT_PROFILE_PARAMS))

    def controls(self, group: str) -> list[Control] | None:
        """The group's bindings; the unconfigured "default" group is the built-in map."""
        if group in self.groups:
            return self.groups[group]
        if group == "default":
            return [Control(d, a, x) for d, a, x in BUILTIN_DEFAULT_CONTROLS]
        return None

    @classmethod
    def load(cls, path: Path | str | None, global_vars: dict[str, str]) -> ConferenceConfig:
        if path is None:
            return cls()
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConferenceConfigError(f"conference config {file}: cannot read ({exc})") from None
        return cls.parse(text, global_vars, str(file))

    @classmethod
    def parse(
        cls, text: str, global_vars: dict[str, str], source: str = "<string>"
    ) -> ConferenceConfig:
        for name, value in re.findall(
            r"<X-PRE-PROCESS\s+cmd=\"set\"\s+data=\"([^\"=]+)=([^\"]*)\"\s*/>", text
        ):
            global_vars[name.strip()] = value
        text = re.sub(r"<X-PRE-PROCESS[^>]*/>", "", text)
        text = expand_globals(text, global_vars)
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise ConferenceConfigError(
                f"conference config {source}: not well-formed XML ({exc})"
            ) from None
        config = root if root.tag == "configuration" else root.find(".//configuration")
        if config is None:
            raise ConferenceConfigError(f"conference config {source}: no <configuration> element")
        result = cls(element=config)
        for group in config.findall("./caller-controls/group"):
            name = group.get("name")
            if not name:
                raise ConferenceConfigError(f"conference config {source}: <group> without a name")
            result.groups[name] = [_control(c, name, source) for c in group.findall("control")]
        for profile in config.findall("./profiles/profile"):
            name = profile.get("name")
            if not name:
                raise ConferenceConfigError(f"conference config {source}: <profile> without a name")
            params = dict(DEFAULT_PROFILE_PARAMS)
            for param in profile.findall("param"):
                key = param.get("name")
                if key:
                    params[key] = param.get("value", "")
            result.profiles[name] = Profile(name, params)
        return result


def _control(element: ET.Element, group: str, source: str) -> Control:
    action = (element.get("action") or "").strip()
    digits = (element.get("digits") or "").strip()
    if not action or not digits:
        raise ConferenceConfigError(
            f"conference config {source}: group {group!r}: <control> needs action and digits"
        )
    if action not in KNOWN_ACTIONS:
        raise ConferenceConfigError(
            f"conference config {source}: group {group!r}: unknown action {action!r}"
        )
    return Control(digits, action, element.get("data", ""))


# What mod_conference uses when a profile leaves a parameter out.
DEFAULT_PROFILE_PARAMS: dict[str, str] = {
    "rate": "8000",
    "domain": "127.0.0.1",
    "caller-controls": "default",
    "energy-level": "100",
    "max-members": "0",
    "endconf-grace-time": "0",
}
