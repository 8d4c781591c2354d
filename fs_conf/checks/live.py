"""`fs-conf check --live`: the running FreeSWITCH, asked over its Event Socket.

Whether the modules fs_conf needs are loaded, the conference profile and keypad groups are
there, the dialplan hands the conference numbers to fs_conf's socket, every sound file fs_conf
may play exists, and FreeSWITCH has a password of its own. The XML FreeSWITCH answers with
is judged by the offline checks' rules. What is asked: README.md, "FreeSWITCH files".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fs_conf.checks.dialplan_order import extensions, route_problems, routes
from fs_conf.checks.freeswitch_xml import (
    Node,
    XmlFileError,
    conference_root_problems,
    hands_to_fs_conf,
    parse_xml_bytes,
    socket_problems,
)
from fs_conf.checks.run import Check, CheckResult, run_checks
from fs_conf.config import Config
from fs_conf.errors import UnavailableError
from fs_conf.esl import ESLError, InboundESL
from fs_conf.keypad import keypad_from_config
from fs_conf.prompts import PROMPTS, Prompts

DEFAULT_PASSWORD = "ClueCon"
"""mod_event_socket's password in FreeSWITCH's stock event_socket.conf.xml."""

MODULES: dict[str, str] = {
    "mod_event_socket": "the Event Socket: calls, keys, call-outs and room commands",
    "mod_commands": "the API commands fs_conf sends (originate, uuid_*, ...)",
    "mod_dptools": "answer, playback, play_and_get_digits, multiset, record",
    "mod_dialplan_xml": "the dialplan that hands the conference numbers to fs_conf",
    "mod_conference": "the rooms",
    "mod_sndfile": "the prompts (.wav files)",
    "mod_tone_stream": "the tone before a caller says their name",
    "mod_say_en": "numbers, dates and times said to callers",
}
"""The modules every installation needs, and what for."""

ENDPOINT_MODULES = {"sofia/": "mod_sofia", "loopback/": "mod_loopback"}
"""The module a call-out's `freeswitch.dial_string` needs, by its beginning."""

RATES = ("8000", "16000", "32000", "48000")
"""The rate folders of a sound set; mod_sndfile looks in them before the file's own folder
(src/mod/formats/mod_sndfile/mod_sndfile.c sndfile_file_open)."""

SAID = "said by mod_say_en"
SAID_FILES: tuple[str, ...] = (
    *(f"digits/{n}.wav" for n in range(20)),
    *(f"digits/{n}0.wav" for n in range(2, 10)),
    *(f"digits/{word}.wav" for word in ("hundred", "thousand", "million")),
    *(f"digits/h-{n}.wav" for n in (*range(1, 20), 20, 30)),
    *(f"time/day-{n}.wav" for n in range(7)),
    *(f"time/mon-{n}.wav" for n in range(12)),
    *(f"time/{word}.wav" for word in ("at", "oh", "oclock", "a-m", "p-m", "minute", "minutes")),
)
"""The words numbers, days of the month and opening times are said with (`say`, and the
warning before the end): src/mod/say/mod_say_en/mod_say_en.c."""

NOT_A_FILE = ("tone_stream://", "silence_stream://", "local_stream://", "say:")
CONFERENCE_CONF = "xml_locate configuration configuration name conference.conf"
CONFERENCE_FIX = (
    "merge fs_conf's freeswitch/autoload_configs/conference.conf.xml, then "
    "`fs_cli -x reloadxml` and `fs_cli -x 'reload mod_conference'`"
)
DIALPLAN_FIX = "copy fs_conf's freeswitch/dialplan files, then `fs_cli -x reloadxml`"

Api = Callable[[str], str]
"""Sends one `api` command and returns FreeSWITCH's reply."""


@dataclass(frozen=True)
class Sound:
    """A file fs_conf may have FreeSWITCH play, and who plays it (for the report)."""

    file: str
    source: str
    fix: str


def run_live_checks(config: Config) -> list[CheckResult]:
    """Connect to `freeswitch.esl` and run every live check; one failed `live` result when
    FreeSWITCH cannot be reached."""
    esl = config.freeswitch.esl
    connection = InboundESL(esl.host, esl.port, esl.password, esl.timeout)
    try:
        connection.connect()
    except ESLError as error:
        return [
            CheckResult(
                "live",
                [
                    f"freeswitch.esl: cannot reach FreeSWITCH's Event Socket at {esl.host}:"
                    f"{esl.port} ({error}); start FreeSWITCH with mod_event_socket, or set "
                    "freeswitch.esl to its address and password"
                ],
            )
        ]
    try:
        return run_checks(config, live_checks(_asking(connection)))
    finally:
        connection.stop()


def live_checks(api: Api) -> list[Check]:
    """The live checks, each asking FreeSWITCH through `api`."""
    return [
        Check("live-password", password_problems),
        Check("live-modules", lambda config: module_problems(api, config)),
        Check("live-conference", lambda config: conference_problems(api, config)),
        Check("live-dialplan", lambda config: dialplan_problems(api, config)),
        Check("live-prompts", lambda config: sound_problems(api, config)),
    ]


def password_problems(config: Config) -> list[str]:
    """FreeSWITCH took the configured password: the default one lets anyone in."""
    if config.freeswitch.esl.password != DEFAULT_PASSWORD:
        return []
    return [
        f"freeswitch.esl.password: FreeSWITCH accepts its default password ({DEFAULT_PASSWORD}), "
        "so whoever reaches its Event Socket controls every call; set a password of your own "
        "in FreeSWITCH's autoload_configs/event_socket.conf.xml and in freeswitch.esl.password"
    ]


def module_problems(api: Api, config: Config) -> list[str]:
    """`module_exists` (mod_commands.c) for every module fs_conf needs."""
    needed = dict(MODULES)
    dial = config.freeswitch.dial_string
    needed.update(
        {
            module: "call-outs (freeswitch.dial_string)"
            for start, module in ENDPOINT_MODULES.items()
            if dial.startswith(start)
        }
    )
    if config.ivr.tts_engine:
        needed[f"mod_{config.ivr.tts_engine}"] = "text-to-speech for call-outs (ivr.tts_engine)"
    problems = []
    for module, why in needed.items():
        reply = api(f"module_exists {module}").strip()
        if reply != "true":
            answer = "" if reply == "false" else f" (module_exists answered {reply!r})"
            problems.append(
                f"{module} is not loaded{answer}: it is needed for {why}; load it "
                f"(`fs_cli -x 'load {module}'`, and in autoload_configs/modules.conf.xml)"
            )
    return problems


def conference_problems(api: Api, config: Config) -> list[str]:
    """The profile and keypad groups of the conference.conf FreeSWITCH runs with."""
    root = _located(api, CONFERENCE_CONF)
    if root is None:
        return [f"FreeSWITCH has no conference.conf ({CONFERENCE_CONF}); {CONFERENCE_FIX}"]
    keypad = keypad_from_config(config.ivr.keypad)
    return [
        f"{problem}; {CONFERENCE_FIX}" for problem in conference_root_problems(root, config, keypad)
    ]


def dialplan_problems(api: Api, config: Config) -> list[str]:
    """Whether the dialplan FreeSWITCH runs hands each conference number to fs_conf's socket
    first, with the socket fs_conf listens on (the rules of dialplan_order and
    freeswitch_xml, applied to `xml_locate dialplan context name <context>`)."""
    socket = config.freeswitch.socket
    address = f"{socket.host}:{socket.port}"
    problems: list[str] = []
    for route in routes(config):
        command = f"xml_locate dialplan context name {route.context}"
        context = _located(api, command)
        if context is None:
            problems.append(
                f"FreeSWITCH's dialplan has no context {route.context!r} for {route.key} "
                f"{route.number} ({command}); {DIALPLAN_FIX}"
            )
            continue
        candidates = extensions(context)
        problems += route_problems(route, candidates, address)
        problems += [
            problem
            for extension in candidates
            if hands_to_fs_conf(extension, address)
            for problem in socket_problems(extension, address)
        ]
    return list(dict.fromkeys(problems))


def sound_problems(api: Api, config: Config) -> list[str]:
    """`file_exists` (mod_commands.c) for every sound fs_conf may have played, under the
    prefix FreeSWITCH plays relative files from: the global `sound_prefix`, else `base_dir`
    (src/switch_ivr_play_say.c switch_ivr_play_file)."""
    prefix = _global(api, "sound_prefix") or _global(api, "base_dir")
    if not prefix:
        return [
            "FreeSWITCH has neither a sound_prefix nor a base_dir (global_getvar), so where it "
            "finds prompts cannot be told; set sound_prefix in its vars.xml"
        ]
    problems = []
    for sound in sounds(config, _profile_sounds(api, config)):
        path = PurePosixPath(prefix) / sound.file
        if not any(
            api(f"file_exists {candidate}").strip() == "true" for candidate in _places(path)
        ):
            problems.append(
                f"{sound.file} ({sound.source}) is not in FreeSWITCH's sounds: no {path} and "
                f"none in its rate folders ({', '.join(RATES)}); {sound.fix}"
            )
    return problems


def sounds(config: Config, profile: list[Sound]) -> list[Sound]:
    """Every sound file fs_conf may have played: its prompts (the admin's overrides in
    place), the words `say` and the end warning use, and the conference profile's sounds."""
    prompts = Prompts.from_config(config)
    found = [
        Sound(
            prompts.file(spec.name),
            f"prompt {spec.name}",
            f"install FreeSWITCH's sound set, or set ivr.prompts.{spec.name} to a file it has",
        )
        for spec in PROMPTS
    ]
    found += [Sound(file, SAID, "install FreeSWITCH's sound set") for file in SAID_FILES]
    unique: dict[str, Sound] = {}
    for sound in [*found, *profile]:
        if not sound.file.startswith(NOT_A_FILE):
            unique.setdefault(sound.file, sound)
    return list(unique.values())


def _profile_sounds(api: Api, config: Config) -> list[Sound]:
    """The `*-sound` parameters of the conference profile FreeSWITCH runs with."""
    root = _located(api, CONFERENCE_CONF)
    name = config.freeswitch.conference_profile
    params = [
        param
        for profile in (root.iter("profile") if root is not None else ())
        if profile.attrs.get("name") == name
        for param in profile.iter("param")
        if param.attrs.get("name", "").endswith("-sound") and param.attrs.get("value")
    ]
    return [
        Sound(
            param.attrs["value"],
            f"conference profile {name}, {param.attrs['name']}",
            f"install FreeSWITCH's sound set, or change {param.attrs['name']} in conference.conf.xml",
        )
        for param in params
    ]


def _global(api: Api, name: str) -> str:
    """A global variable; "" when unset (the Event Socket answers an empty output with
    `-ERR no reply`, mod_event_socket.c api_exec)."""
    value = api(f"global_getvar {name}").strip()
    return "" if value.startswith("-ERR") else value


def _places(path: PurePosixPath) -> Iterator[PurePosixPath]:
    for rate in RATES:
        yield path.parent / rate / path.name
    yield path


def _located(api: Api, command: str) -> Node | None:
    """The element `xml_locate` answers with; None when FreeSWITCH finds nothing."""
    reply = api(command)
    if not reply.lstrip().startswith("<"):
        return None
    try:
        return parse_xml_bytes(reply.encode("utf-8"), Path(command))
    except XmlFileError as error:
        raise UnavailableError(f"FreeSWITCH's answer to `{command}` is not XML: {error}") from error


def _asking(connection: InboundESL) -> Api:
    """`api` on `connection`; an Event Socket failure becomes one problem line."""

    def api(command: str) -> str:
        try:
            return connection.api(command)
        except ESLError as error:
            raise UnavailableError(f"FreeSWITCH did not answer `{command}`: {error}") from error

    return api
