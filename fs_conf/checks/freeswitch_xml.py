"""The FreeSWITCH part of `fs-conf check`: does the FreeSWITCH XML fit fs_conf's configuration?

It reads the folder `freeswitch.xml_dir` (laid out like /etc/freeswitch: `dialplan/` and
`autoload_configs/conference.conf.xml`), or else the copy shipped with fs_conf, and reports:

- dialplan: every `socket` action of fs_conf (in an extension named fs_conf..., or one aimed
  at fs_conf's address) must be `<freeswitch.socket host>:<port> async full`; the
  destination_number expressions of those extensions must match `numbers.internal` and, when
  set, `numbers.external` (with or without a leading +, as trunks differ);
- conference.conf.xml: the profile `freeswitch.conference_profile` with an
  `ivr-dtmf-timeout` long enough to type a moderator key on a handset, both keypad groups,
  `0` bound to mod_conference's `mute` in both, every key of `ivr.keypad` bound to `event` in
  the moderator group, and no `#` bound to `hangup` (a # typed after the PIN would throw the
  caller out of the room);
- `ivr.recordings_dir` without spaces (mod_conference splits `record <file>` on spaces).

Each problem names the file, and the line where one applies. FreeSWITCH matches expressions
with PCRE; they are checked here with Python's `re`, which reads the usual forms alike.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.keypad import (
    MODERATOR_CONTROLS,
    PARTICIPANT_CONTROLS,
    SELF_MUTE_KEY,
    Keypad,
    keypad_from_config,
)
from fs_conf.shipped_files import CONFERENCE_CONF, DIALPLAN, shipped_xml_dir

SOCKET_MODES = ("async", "full")

DTMF_TIMEOUT_DEFAULT_MS = 500
"""mod_conference's ivr-dtmf-timeout when the profile sets none (conference_new(),
mod_conference.c); it also raises any smaller value to this."""
DTMF_TIMEOUT_MIN_MS = 1500
"""The least time between the keys of `*1` that lets a moderator type them on a handset."""


@dataclass
class Node:
    """An XML element with the file and line it starts on, and its character data."""

    tag: str
    attrs: dict[str, str]
    path: Path
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def iter(self, tag: str) -> Iterator[Node]:
        """This element and all below it named `tag`, in document order."""
        if self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)


class XmlFileError(Exception):
    """A file that is missing or is not well-formed XML; the text is the problem to report."""


def parse_xml(path: Path) -> Node:
    """The root element of `path`; XmlFileError naming file and line if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise XmlFileError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_xml_bytes(data, path)


def parse_xml_bytes(data: bytes, path: Path) -> Node:
    """The root element of XML read from `path` (or what it stands for: the nodes and any
    XmlFileError name it)."""
    parser = xml.parsers.expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag, attrs, path, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code)
        raise XmlFileError(f"{path}:{exc.lineno}: not well-formed XML: {message}") from exc
    return roots[0]


def xml_dir(config: Config) -> Path:
    return Path(config.freeswitch.xml_dir) if config.freeswitch.xml_dir else shipped_xml_dir()


def check_freeswitch_xml(config: Config) -> list[str]:
    """Every mismatch between the FreeSWITCH XML and `config`, as lines for `fs-conf check`."""
    folder = xml_dir(config)
    if not folder.is_dir():
        return [f"{folder}: FreeSWITCH XML folder not found (set freeswitch.xml_dir)"]
    problems = dialplan_problems(folder / DIALPLAN, config)
    try:
        keypad: Keypad | None = keypad_from_config(config.ivr.keypad)
    except ValidationError as error:
        problems.append(str(error))
        keypad = None
    problems += conference_problems(folder / CONFERENCE_CONF, config, keypad)
    if any(ch.isspace() for ch in config.ivr.recordings_dir):
        problems.append(
            f"ivr.recordings_dir: {config.ivr.recordings_dir!r} contains a space; mod_conference "
            "splits `record <file>` on spaces, so recordings could not be started"
        )
    return problems


# --- dialplan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expression:
    path: Path
    line: int
    text: str


def dialplan_problems(folder: Path, config: Config) -> list[str]:
    files = sorted(folder.rglob("*.xml")) if folder.is_dir() else []
    if not files:
        return [f"{folder}: no dialplan files (*.xml) found"]
    address = f"{config.freeswitch.socket.host}:{config.freeswitch.socket.port}"
    problems: list[str] = []
    expressions: list[_Expression] = []
    sockets = 0
    for path in files:
        try:
            root = parse_xml(path)
        except XmlFileError as error:
            problems.append(str(error))
            continue
        for extension in root.iter("extension"):
            ours = [a for a in _socket_actions(extension) if _is_ours(extension, a, address)]
            if not ours:
                continue
            sockets += len(ours)
            problems += socket_problems(extension, address)
            expressions += [
                _Expression(path, c.line, c.attrs["expression"])
                for c in extension.iter("condition")
                if c.attrs.get("field") == "destination_number" and "expression" in c.attrs
            ]
    if sockets:
        problems += _number_problems(folder, expressions, config)
    elif not problems:
        problems.append(
            f"{folder}: no extension hands calls to fs_conf (socket {address} async full)"
        )
    return problems


def socket_problems(extension: Node, address: str) -> list[str]:
    """What is wrong with the `socket` actions by which `extension` hands calls to fs_conf
    (`address`: freeswitch.socket as `host:port`)."""
    ours = [a for a in _socket_actions(extension) if _is_ours(extension, a, address)]
    return [p for a in ours if (p := _socket_problem(extension.path, a, address))]


def _socket_actions(extension: Node) -> list[Node]:
    return [a for a in extension.iter("action") if a.attrs.get("application") == "socket"]


def hands_to_fs_conf(extension: Node, address: str) -> bool:
    """Whether `extension` is one of fs_conf's: a `socket` action in an extension named
    fs_conf..., or one aimed at fs_conf's address (`host:port`)."""
    return any(_is_ours(extension, action, address) for action in _socket_actions(extension))


def _is_ours(extension: Node, action: Node, address: str) -> bool:
    words = action.attrs.get("data", "").split()
    return extension.attrs.get("name", "").startswith("fs_conf") or (
        bool(words) and words[0] == address
    )


def _socket_problem(path: Path, action: Node, address: str) -> str | None:
    data = action.attrs.get("data", "")
    words = data.split()
    if not words or words[0] != address:
        return (
            f"{path}:{action.line}: socket {data!r} does not go to freeswitch.socket "
            f"({address}); it must be `{address} async full`"
        )
    missing = [mode for mode in SOCKET_MODES if mode not in words[1:]]
    if missing:
        return (
            f"{path}:{action.line}: socket {data!r} lacks {' and '.join(missing)}; it must be "
            f"`{address} async full` (without async, keys are not delivered while a prompt "
            "plays; without full, linger and events are refused)"
        )
    return None


def _number_problems(folder: Path, expressions: list[_Expression], config: Config) -> list[str]:
    problems: list[str] = []
    compiled: list[tuple[_Expression, re.Pattern[str]]] = []
    for expression in expressions:
        try:
            compiled.append((expression, re.compile(expression.text)))
        except re.error as exc:
            problems.append(
                f"{expression.path}:{expression.line}: expression {expression.text!r} "
                f"cannot be checked: {exc}"
            )
    wanted: list[tuple[str, str, tuple[str, ...]]] = [
        ("numbers.internal", config.numbers.internal, (config.numbers.internal,))
    ]
    if config.numbers.external:
        digits = config.numbers.external.lstrip("+")
        wanted.append(("numbers.external", config.numbers.external, (digits, f"+{digits}")))
    for key, number, forms in wanted:
        if not any(pattern.search(form) for _, pattern in compiled for form in forms):
            shown = "; ".join(f"{e.path}:{e.line} {e.text!r}" for e, _ in compiled) or "none"
            problems.append(
                f"{folder}: no fs_conf extension's destination_number expression matches "
                f"{key} {number} (expressions: {shown})"
            )
    return problems


# --- conference.conf.xml ----------------------------------------------------------------


def conference_problems(path: Path, config: Config, keypad: Keypad | None) -> list[str]:
    try:
        root = parse_xml(path)
    except XmlFileError as error:
        return [str(error)]
    return conference_root_problems(root, config, keypad)


def conference_root_problems(root: Node, config: Config, keypad: Keypad | None) -> list[str]:
    """The profile and keypad groups of conference.conf's `<configuration>` (or a document
    holding it) against `config`; each problem names `root.path`."""
    path = root.path
    problems: list[str] = []
    name = config.freeswitch.conference_profile
    profiles = _under(root, "profiles", "profile")
    profile = next((p for p in profiles if p.attrs.get("name") == name), None)
    if profile is None:
        problems.append(
            f"{path}: no conference profile named {name!r} (freeswitch.conference_profile)"
        )
    else:
        problems += _dtmf_timeout_problems(path, profile)
    groups = {g.attrs.get("name"): g for g in _under(root, "caller-controls", "group")}
    for name in (PARTICIPANT_CONTROLS, MODERATOR_CONTROLS):
        group = groups.get(name)
        if group is None:
            problems.append(f"{path}: no caller-controls group named {name!r}")
            continue
        problems += _group_problems(path, group)
    moderator = groups.get(MODERATOR_CONTROLS)
    if moderator is not None and keypad is not None:
        problems += _keypad_problems(path, moderator, keypad)
    return problems


def _dtmf_timeout_problems(path: Path, profile: Node) -> list[str]:
    """The profile's ivr-dtmf-timeout: the longest pause FreeSWITCH allows between the keys
    of a caller control; shorter than a moderator needs for `*1`, the `*` is dropped."""
    params = [p for p in profile.iter("param") if _param_name(p) == "ivr-dtmf-timeout"]
    value = params[-1].attrs.get("value", "") if params else ""
    timeout = DTMF_TIMEOUT_DEFAULT_MS
    if value.isdigit():
        timeout = max(int(value), DTMF_TIMEOUT_DEFAULT_MS)
    if timeout >= DTMF_TIMEOUT_MIN_MS:
        return []
    where = f"{path}:{params[-1].line}" if params else f"{path}:{profile.line}"
    return [
        f"{where}: profile {profile.attrs.get('name')} waits {timeout} ms between the keys of a "
        f"moderator key such as *1 (ivr-dtmf-timeout); set at least {DTMF_TIMEOUT_MIN_MS} "
        "(the shipped profile has 2000), or a moderator's * is dropped before the 1 arrives"
    ]


def _param_name(param: Node) -> str:
    """conference_new() reads a profile parameter case-blind, with _ as -; the last one counts."""
    return param.attrs.get("name", "").replace("_", "-").lower()


def _under(root: Node, section: str, tag: str) -> list[Node]:
    return [node for block in root.iter(section) for node in block.iter(tag)]


def _group_problems(path: Path, group: Node) -> list[str]:
    name = group.attrs.get("name")
    controls = list(group.iter("control"))
    problems = []
    if not any(_binds(c, SELF_MUTE_KEY, "mute") for c in controls):
        problems.append(
            f"{path}:{group.line}: group {name} does not bind {SELF_MUTE_KEY} to mute "
            "(callers mute themselves with it)"
        )
    problems += [
        f"{path}:{c.line}: group {name} binds # to hangup: a # typed after the PIN would "
        "throw the caller out of the room"
        for c in controls
        if _binds(c, "#", "hangup")
    ]
    return problems


def _keypad_problems(path: Path, group: Node, keypad: Keypad) -> list[str]:
    controls = list(group.iter("control"))
    problems = []
    for key, action in keypad.bindings():
        bound = [c for c in controls if c.attrs.get("digits") == key]
        if not bound:
            problems.append(
                f"{path}:{group.line}: group {MODERATOR_CONTROLS} does not bind {key} "
                f"(ivr.keypad.{action.value}) to event"
            )
        problems += [
            f"{path}:{c.line}: group {MODERATOR_CONTROLS} binds {key} to "
            f"{c.attrs.get('action')!r}, but ivr.keypad.{action.value} needs `event`"
            for c in bound
            if c.attrs.get("action") != "event"
        ]
    return problems


def _binds(control: Node, digits: str, action: str) -> bool:
    return control.attrs.get("digits") == digits and control.attrs.get("action") == action
