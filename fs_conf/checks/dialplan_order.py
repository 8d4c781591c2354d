"""Which extension of an installed FreeSWITCH gets a conference number first.

`fs-conf check` runs this when `freeswitch.conf_dir` names the conf folder of the installed
FreeSWITCH (e.g. /etc/freeswitch). It assembles that FreeSWITCH's XML dialplan the way
FreeSWITCH does and reports, with file and line, every extension evaluated before fs_conf's
own that takes `numbers.internal` (context `default`) or `numbers.external` (context
`public`), and a number that no fs_conf extension of its context takes at all.

How FreeSWITCH 1.10 assembles and walks the dialplan:

- freeswitch.xml includes `dialplan/*.xml`; every `<X-PRE-PROCESS cmd="include" data="..."/>`
  is replaced by the files its pattern matches, a relative pattern taken from the folder of
  the including file (src/switch_xml.c preprocess(), preprocess_glob()), in sorted order
  (libs/.../SimpleGlob.h sorts matches unless SG_GLOB_NOSORT is given). The stock
  conf/vanilla/dialplan/default.xml includes `default/*.xml` only near the end of its
  context, after its own conference extensions for 30xx, 31xx, 32xx, 33xx and 35xx.
- The context is the first `<context>` of the call's context name; the hunt starts at the
  extension named like the dialed number, if any, else at the first one, and stops at the
  first extension that takes the call unless it has continue="true"
  (src/mod/dialplans/mod_dialplan_xml/mod_dialplan_xml.c dialplan_hunt()).
- An extension takes the call when its conditions hold; a failing condition ends the
  extension unless its `break` says otherwise, and one with anti-actions runs them instead,
  which also takes the call (parse_exten()).

Only conditions on the dialed number can be judged here, so an extension is reported when
the dialed number alone makes it take the call. One that a condition on another field
(caller, network address, channel variable, time of day) can also stop takes only some
calls and is not reported. FreeSWITCH matches with PCRE; Python's `re` reads the usual
forms alike, and an expression it cannot read is reported as one that cannot be checked.
"""

from __future__ import annotations

import dataclasses
import glob
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fs_conf.checks.freeswitch_xml import Node, XmlFileError, hands_to_fs_conf, parse_xml
from fs_conf.config import Config

INCLUDE_DEPTH = 100
"""preprocess() gives up on includes nested deeper than this."""

DESTINATION_FIELDS = frozenset({"destination_number", "${destination_number}"})

TRUE_WORDS = frozenset({"yes", "on", "true", "t", "enabled", "active", "allow"})
"""What switch_true() (src/include/switch_utils.h) reads as true, besides non-zero numbers."""


@dataclass(frozen=True)
class Route:
    """A configured conference number and the context its calls arrive in."""

    key: str
    number: str
    context: str

    @property
    def forms(self) -> tuple[str, ...]:
        """The dialed numbers to try: the external number with and without a leading +,
        since trunks deliver either."""
        if self.key != "numbers.external":
            return (self.number,)
        digits = self.number.removeprefix("+")
        return (digits, f"+{digits}")


@dataclass(frozen=True)
class Taker:
    """An extension that takes a call, and the condition that decides it."""

    extension: Node
    reason: str

    @property
    def where(self) -> str:
        name = self.extension.attrs.get("name", "_anon_")
        return f"{self.extension.path}:{self.extension.line}: extension {name!r}"


@dataclass(frozen=True)
class Hunt:
    """What a call to one number meets in its context: the extensions that take it before
    fs_conf's, and fs_conf's own (None when no fs_conf extension takes it)."""

    earlier: list[Taker]
    ours: Taker | None


class UnreadableExpression(Exception):
    """An expression Python's `re` cannot read; its extension cannot be judged."""

    def __init__(self, extension: Node, expression: str, reason: str) -> None:
        super().__init__(reason)
        self.extension = extension
        self.expression = expression


def dialplan_order_problems(config: Config) -> list[str]:
    """Problems of the installed dialplan under `freeswitch.conf_dir` ([] when it is unset)."""
    if not config.freeswitch.conf_dir:
        return []
    folder = Path(config.freeswitch.conf_dir) / "dialplan"
    if not folder.is_dir():
        return [
            f"{folder}: no dialplan folder (freeswitch.conf_dir must be FreeSWITCH's conf "
            "folder, e.g. /etc/freeswitch)"
        ]
    problems: list[str] = []
    contexts = load_contexts(folder, problems)
    socket = config.freeswitch.socket
    address = f"{socket.host}:{socket.port}"
    for route in routes(config):
        context = contexts.get(route.context)
        if context is None:
            problems.append(f"{folder}: no context named {route.context!r} for {route.key}")
            continue
        problems += route_problems(route, extensions(context), address)
    return problems


def routes(config: Config) -> list[Route]:
    """Internal callers dial from context `default`, trunks deliver to `public`, as in the
    stock configuration and the README's copy instructions."""
    found = [Route("numbers.internal", config.numbers.internal, "default")]
    if config.numbers.external:
        found.append(Route("numbers.external", config.numbers.external, "public"))
    return found


def route_problems(route: Route, candidates: list[Node], address: str) -> list[str]:
    """What stands between calls to `route` and fs_conf's extension, as report lines."""
    problems: list[str] = []
    reported: set[int] = set()
    reached = False
    for number in route.forms:
        try:
            hunt = hunt_for(number, candidates, address)
        except UnreadableExpression as error:
            node = error.extension
            return [
                f"{node.path}:{node.line}: expression {error.expression!r} cannot be checked "
                f"({error}); make sure this extension does not take {route.key} {route.number}"
            ]
        if hunt.ours is None:
            continue
        reached = True
        for taker in hunt.earlier:
            if id(taker.extension) not in reported:
                reported.add(id(taker.extension))
                problems.append(_shadowed(route, taker, hunt.ours))
    if not reached:
        problems.append(_unrouted(route, candidates, address))
    return problems


def hunt_for(number: str, candidates: list[Node], address: str) -> Hunt:
    """Walk the extensions of a context for a call to `number` as dialplan_hunt() does."""
    named = [i for i, e in enumerate(candidates) if e.attrs.get("name") == number]
    earlier: list[Taker] = []
    for extension in candidates[named[0] if named else 0 :]:
        reason = takes(extension, number)
        if reason is None:
            continue
        taker = Taker(extension, reason)
        if hands_to_fs_conf(extension, address):
            return Hunt(earlier, taker)
        if not _continues(extension):
            earlier.append(taker)
    return Hunt(earlier, None)


def takes(extension: Node, number: str) -> str | None:
    """Why `extension` takes a call to `number` (the condition that decides), or None when
    the dialed number alone does not make it take the call (parse_exten())."""
    reason = ""
    for condition in _children(extension, "condition"):
        verdict, why = _verdict(extension, condition, number)
        mode = condition.attrs.get("break", "on-false").lower()
        if verdict is None and mode in ("on-false", "always"):
            # Another field (caller, address, time) decides: only some calls are taken.
            return None
        if verdict is False:
            if _has(condition, "anti-action"):
                return f"anti-actions of {why}"
            if mode in ("on-false", "always"):
                return None
            continue
        if verdict:
            reason = reason or why
        if mode in ("on-true", "always"):
            break
    return reason or None


def load_contexts(folder: Path, problems: list[str]) -> dict[str, Node]:
    """The contexts of `<conf>/dialplan/*.xml` with every include put in place; the first
    context of a name wins, as switch_xml_find_child() finds it."""
    contexts: dict[str, Node] = {}
    for path in sorted(folder.glob("*.xml")):
        for node in expand(path, problems, 0):
            if node.tag == "context":
                contexts.setdefault(node.attrs.get("name", ""), node)
    return contexts


def expand(path: Path, problems: list[str], depth: int) -> list[Node]:
    """The top elements of `path` (the children of an `<include>` wrapper, which
    preprocess() drops) with its includes expanded."""
    if depth > INCLUDE_DEPTH:
        problems.append(f"{path}: includes nested deeper than {INCLUDE_DEPTH}")
        return []
    try:
        root = parse_xml(path)
    except XmlFileError as error:
        problems.append(str(error))
        return []
    top = root.children if root.tag == "include" else [root]
    return _splice(top, path.parent, problems, depth)


def extensions(context: Node) -> list[Node]:
    return list(_children(context, "extension"))


def _splice(nodes: list[Node], folder: Path, problems: list[str], depth: int) -> list[Node]:
    spliced: list[Node] = []
    for node in nodes:
        if node.tag.lower() == "x-pre-process" and node.attrs.get("cmd", "").lower() == "include":
            for included in _included(folder, node.attrs.get("data", "")):
                spliced += expand(included, problems, depth + 1)
        else:
            children = _splice(node.children, folder, problems, depth)
            spliced.append(dataclasses.replace(node, children=children))
    return spliced


def _included(folder: Path, pattern: str) -> list[Path]:
    full = pattern if Path(pattern).is_absolute() else str(folder / pattern)
    return [Path(match) for match in sorted(glob.glob(full)) if Path(match).is_file()]


def _verdict(extension: Node, condition: Node, number: str) -> tuple[bool | None, str]:
    """Whether `condition` holds for a call to `number`, and a description of it; None when
    fields other than the dialed number decide it. A condition without field or time
    attributes holds for every call."""
    if "regex" in condition.attrs:
        return _regex_verdict(extension, condition, number)
    field = condition.attrs.get("field")
    if field is None:
        gated = set(condition.attrs) - {"break", "require-nested"}
        return (None, "") if gated else (True, "a condition that holds for every call")
    if field not in DESTINATION_FIELDS:
        return None, ""
    expressions = list(_children(condition, "expression"))
    expression = expressions[0].text if expressions else condition.attrs.get("expression", "")
    return _matches(extension, expression, number), f"destination_number '{expression}'"


def _regex_verdict(extension: Node, condition: Node, number: str) -> tuple[bool | None, str]:
    """A condition of `<regex field=... expression=.../>` children combined by
    regex="all" or "any"; "xor", and regexes on other fields, are left undecided."""
    mode = condition.attrs["regex"].lower()
    regexes = list(_children(condition, "regex"))
    verdicts = [
        (_matches(extension, r.attrs.get("expression", ""), number), r.attrs.get("expression", ""))
        for r in regexes
        if r.attrs.get("field") in DESTINATION_FIELDS
    ]
    matched = [f"destination_number '{e}'" for verdict, e in verdicts if verdict]
    failed = [f"destination_number '{e}'" for verdict, e in verdicts if verdict is False]
    if mode == "all" and failed:
        return False, failed[0]
    if mode == "all" and matched and len(matched) == len(regexes):
        return True, matched[0]
    if mode == "any" and matched:
        return True, matched[0]
    if mode == "any" and failed and len(failed) == len(regexes):
        return False, failed[0]
    return None, ""


def _matches(extension: Node, expression: str, number: str) -> bool | None:
    if "${" in expression:
        # Channel variables are expanded into the expression per call.
        return None
    try:
        return re.search(expression, number) is not None
    except re.error as exc:
        raise UnreadableExpression(extension, expression, str(exc)) from exc


def _continues(extension: Node) -> bool:
    value = extension.attrs.get("continue", "").lower()
    return value in TRUE_WORDS or (value.lstrip("-").isdigit() and int(value) != 0)


def _children(node: Node, tag: str) -> Iterable[Node]:
    return (child for child in node.children if child.tag == tag)


def _has(node: Node, tag: str) -> bool:
    return any(child.tag == tag for child in node.children)


def _shadowed(route: Route, taker: Taker, ours: Taker) -> str:
    return (
        f"{taker.where} ({taker.reason}) takes {route.key} "
        f"{route.number} before fs_conf's extension at {ours.extension.path}:"
        f"{ours.extension.line}: FreeSWITCH stops at the first extension that matches, so "
        f"these calls never reach fs_conf; remove or narrow that extension, or move {route.key} "
        "to a range it does not match"
    )


def _unrouted(route: Route, candidates: list[Node], address: str) -> str:
    first = next(
        (Taker(e, x) for e in candidates if (x := takes(e, route.forms[0])) and not _continues(e)),
        None,
    )
    where = f"; calls to it go to {first.where}" if first else ""
    return (
        f"no fs_conf extension (socket {address} async full) in context {route.context} takes "
        f"{route.key} {route.number}{where}"
    )
