"""The XML dialplan: FreeSWITCH's dialplan files, loaded and hunted as mod_dialplan_xml does.

Hunting follows src/mod/dialplan/mod_dialplan_xml.c parse_exten(). The accepted files and the
hunting rules: docs/simulator.md#the-dialplan
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fs_conf.sim.digits import pcre_to_python
from fs_conf.sim.expand import expand_globals, expand_variables

if TYPE_CHECKING:
    from fs_conf.sim.channel import Channel

CAPTURE = re.compile(r"\$(\d)")
PRE_PROCESS = re.compile(r"<X-PRE-PROCESS\s+cmd=\"set\"\s+data=\"([^\"=]+)=([^\"]*)\"\s*/>")


class DialplanError(ValueError):
    """A dialplan file that cannot be used; the message names the file and the problem."""


@dataclass
class Action:
    application: str
    data: str = ""
    inline: bool = False


@dataclass
class Condition:
    field: str | None
    expression: str | None
    break_on: str = "on-false"
    # This class has an attribute named `field`, so dataclasses' field() goes by its module.
    actions: list[Action] = dataclasses.field(default_factory=list)
    anti_actions: list[Action] = dataclasses.field(default_factory=list)


@dataclass
class Extension:
    name: str
    conditions: list[Condition]
    continue_on_match: bool = False


# caller profile fields a condition may name (mod_dialplan_xml field names).
PROFILE_FIELDS = {
    "destination_number": lambda ch: ch.profile.destination_number,
    "caller_id_number": lambda ch: ch.profile.caller_id_number,
    "caller_id_name": lambda ch: ch.profile.caller_id_name,
    "ani": lambda ch: ch.profile.ani,
    "context": lambda ch: ch.profile.context,
    "network_addr": lambda ch: ch.profile.network_addr,
    "uuid": lambda ch: ch.uuid,
    "source": lambda ch: ch.profile.source,
    "chan_name": lambda ch: ch.name,
    "dialplan": lambda ch: ch.profile.dialplan,
    "username": lambda ch: ch.profile.username,
}


class Dialplan:
    """Contexts of extensions, hunted per call; `elements` keeps each context's extensions as
    XML (after preprocessing) for `xml_locate dialplan`."""

    def __init__(
        self,
        contexts: dict[str, list[Extension]],
        global_vars: dict[str, str],
        elements: dict[str, list[ET.Element]] | None = None,
    ) -> None:
        self.contexts = contexts
        self.global_vars = global_vars
        self.elements = elements or {}

    @classmethod
    def load(
        cls,
        path: Path | str | None,
        global_vars: dict[str, str],
        pinned: frozenset[str] = frozenset(),
    ) -> Dialplan:
        """Read a file or every *.xml below a directory; None gives an empty dialplan.

        `pinned` globals (given by the simulator's configuration) win over
        `<X-PRE-PROCESS cmd="set">` lines, so a test can point a shipped dialplan elsewhere.
        """
        contexts: dict[str, list[Extension]] = {}
        elements: dict[str, list[ET.Element]] = {}
        if path is None:
            return cls(contexts, global_vars)
        root = Path(path)
        if root.is_dir():
            files = sorted(root.rglob("*.xml"))
        elif root.is_file():
            files = [root]
        else:
            raise DialplanError(f"dialplan: no such file or directory ({str(root)!r})")
        for file in files:
            default_context = "default"
            if root.is_dir() and file.parent != root:
                default_context = file.parent.name
            _load_file(file, default_context, _Loaded(contexts, elements), global_vars, pinned)
        return cls(contexts, global_vars, elements)

    @classmethod
    def from_string(
        cls, text: str, global_vars: dict[str, str], context: str = "default"
    ) -> Dialplan:
        loaded = _Loaded({}, {})
        _parse_text(text, "<string>", context, loaded, global_vars, frozenset())
        return cls(loaded.contexts, global_vars, loaded.elements)

    def has_context(self, name: str) -> bool:
        return name in self.contexts

    def route(self, channel: Channel) -> list[tuple[str, str]] | None:
        """The applications for the channel's destination in its context, or None."""
        extensions = self.contexts.get(channel.profile.context)
        if not extensions:
            return None
        plan: list[tuple[str, str]] = []
        for extension in extensions:
            matched = _hunt_extension(extension, channel, self.global_vars, plan)
            if matched and not extension.continue_on_match:
                break
        return plan or None


def _hunt_extension(
    extension: Extension,
    channel: Channel,
    global_vars: Mapping[str, str],
    plan: list[tuple[str, str]],
) -> bool:
    proceed = False
    for condition in extension.conditions:
        proceed, captures = _evaluate(condition, channel, global_vars)
        if proceed and len(captures) > 1:
            # switch_capture_regex() pushes every capture onto the DP_MATCH array.
            channel.set_var("DP_MATCH", "ARRAY::" + "|:".join(captures))
        chosen = condition.actions if proceed else condition.anti_actions
        for action in chosen:
            data = _substitute(action.data, captures)
            if action.inline:
                _run_inline(action.application, data, channel, global_vars)
            else:
                plan.append((action.application, data))
        if condition.break_on == "on-false" and not proceed:
            break
        if condition.break_on == "on-true" and proceed:
            break
        if condition.break_on == "always":
            break
    return proceed


def _evaluate(
    condition: Condition, channel: Channel, global_vars: Mapping[str, str]
) -> tuple[bool, list[str]]:
    if condition.field is None or condition.expression is None:
        return True, []
    if condition.field in PROFILE_FIELDS:
        value = PROFILE_FIELDS[condition.field](channel)
    elif "${" in condition.field:
        value = expand_variables(condition.field, channel.variables, global_vars)
    else:
        value = channel.get_var(condition.field) or ""
    try:
        match = re.search(pcre_to_python(condition.expression), value)
    except re.error:
        return False, []
    if match is None:
        return False, []
    return True, [match.group(0)] + [g or "" for g in match.groups()]


def _substitute(data: str, captures: list[str]) -> str:
    if not captures or "$" not in data:
        return data

    def repl(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return captures[index] if index < len(captures) else ""

    return CAPTURE.sub(repl, data)


def _run_inline(app: str, data: str, channel: Channel, global_vars: Mapping[str, str]) -> None:
    if app in ("set", "export"):
        name, _, value = data.partition("=")
        channel.set_var(name.strip(), expand_variables(value, channel.variables, global_vars))
    elif app == "unset":
        channel.set_var(data.strip(), None)


@dataclass
class _Loaded:
    """What the files read so far hold: the extensions per context, parsed and as XML."""

    contexts: dict[str, list[Extension]]
    elements: dict[str, list[ET.Element]]

    def add(self, context: str, found: list[ET.Element], source: str) -> None:
        self.contexts.setdefault(context, []).extend(_extension(e, source) for e in found)
        self.elements.setdefault(context, []).extend(found)


def _load_file(
    file: Path,
    default_context: str,
    loaded: _Loaded,
    global_vars: dict[str, str],
    pinned: frozenset[str],
) -> None:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DialplanError(f"dialplan {file}: cannot read ({exc})") from None
    _parse_text(text, str(file), default_context, loaded, global_vars, pinned)


def _parse_text(
    text: str,
    source: str,
    default_context: str,
    loaded: _Loaded,
    global_vars: dict[str, str],
    pinned: frozenset[str],
) -> None:
    for name, value in PRE_PROCESS.findall(text):
        if name.strip() not in pinned:
            global_vars[name.strip()] = value
    text = re.sub(r"<X-PRE-PROCESS[^>]*/>", "", text)
    text = expand_globals(text, global_vars)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DialplanError(f"dialplan {source}: not well-formed XML ({exc})") from None
    context_elements = [root] if root.tag == "context" else list(root.iter("context"))
    for element in context_elements:
        name = element.get("name") or default_context
        loaded.add(name, element.findall("extension"), source)
    if not context_elements:
        bare = [root] if root.tag == "extension" else root.findall("extension")
        loaded.add(default_context, bare, source)


def _extension(element: ET.Element, source: str) -> Extension:
    name = element.get("name", "")
    conditions = []
    for cond in element.findall("condition"):
        expression = cond.get("expression")
        if expression is not None:
            try:
                re.compile(pcre_to_python(expression))
            except re.error as exc:
                raise DialplanError(
                    f"dialplan {source}: extension {name!r}: bad expression {expression!r} ({exc})"
                ) from None
        conditions.append(
            Condition(
                field=cond.get("field"),
                expression=expression,
                break_on=cond.get("break", "on-false"),
                actions=[_action(a) for a in cond.findall("action")],
                anti_actions=[_action(a) for a in cond.findall("anti-action")],
            )
        )
    return Extension(name, conditions, (element.get("continue") or "").lower() == "true")


def _action(element: ET.Element) -> Action:
    return Action(
        application=element.get("application", ""),
        data=element.get("data", ""),
        inline=(element.get("inline") or "").lower() == "true",
    )
