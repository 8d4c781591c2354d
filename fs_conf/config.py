"""The configuration: one YAML file, every key with a default, validated at start.

`load_config(path)` reads the file (or nothing, for the embedded defaults) into frozen
dataclasses. Any problem raises `ValidationError` naming the key path and the bad value
(`freeswitch.esl.port: must be between 1 and 65535 (got 70000)`); secrets are shown as `***`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from fs_conf.errors import ValidationError
from fs_conf.keypad import keypad_from_config
from fs_conf.model import ROOM_OPTIONS, Count, RoomOptions
from fs_conf.prompts import check_overrides

SECRET_KEYS = frozenset({"password", "api_token"})
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""What no text in the configuration may hold (as fs_conf.participants.UNPRINTABLE, which
sits above this module): control characters, line separators, lone surrogates. A line break
in the ESL password would end the `auth` command and start another."""
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 20
"""The PIN lengths `pins.*_length` may have (fs_conf.pins explains the lower end)."""
LANGUAGES = ("en", "de")


@dataclass(frozen=True)
class EslConfig:
    """Inbound Event Socket of FreeSWITCH (mod_event_socket)."""

    host: str = "127.0.0.1"
    port: int = 8021
    password: str = "ClueCon"
    timeout: float = 5.0


@dataclass(frozen=True)
class SocketConfig:
    """Where fs_conf's IVR listens for the dialplan's `socket` application."""

    host: str = "127.0.0.1"
    port: int = 8084


@dataclass(frozen=True)
class FreeswitchConfig:
    esl: EslConfig = field(default_factory=EslConfig)
    socket: SocketConfig = field(default_factory=SocketConfig)
    conference_profile: str = "fs_conf"
    dial_string: str = "user/{number}"
    """Originate endpoint for call-outs; `{number}` is replaced by the participant's number."""
    xml_dir: str = ""
    """The FreeSWITCH XML that `fs-conf check` verifies; empty means the copy shipped with
    fs_conf."""
    conf_dir: str = ""
    """The installed FreeSWITCH's conf folder (e.g. /etc/freeswitch): `fs-conf check` then reports
    extensions FreeSWITCH evaluates before fs_conf's that take a conference number."""


@dataclass(frozen=True)
class NumbersConfig:
    """The conference numbers callers dial, as in a PBX conference template."""

    internal: str = "3400"
    external: str = ""


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    api_token: str = ""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    """`none`, `starttls` or `tls` (implicit TLS, usually port 465)."""
    user: str = ""
    password: str = ""
    timeout: float = 30.0
    connections: int = 2
    """SMTP sessions the scheduler delivers over side by side (fs_conf.scheduler.courier)."""


@dataclass(frozen=True)
class MailConfig:
    transport: str = "folder"
    """`folder` writes one .eml per mail into `folder`; `smtp` delivers through `smtp`."""
    sender: str = "fs_conf <conference@localhost>"
    folder: str = "mail-out"
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    retry_seconds: int = 60
    """First retry delay after a failed delivery; it doubles on every further failure."""
    give_up_hours: int = 48


@dataclass(frozen=True)
class PinsConfig:
    guest_length: int = 9
    personal_length: int = 9
    moderator_length: int = 10
    tries_per_call: int = 3
    lockout_failures: int = 10
    """Failed PIN entries from one caller ID, or on one dialed number, that trigger the lockout."""
    lockout_window_minutes: int = 60


@dataclass(frozen=True)
class ConferenceDefaults(RoomOptions):
    """Defaults for new conferences, the room options (inherited, keys such as
    `conference.start_muted`) among them; each can be set per conference."""

    timezone: str = "UTC"
    lead_minutes: int = 10
    grace_minutes: int = 0
    moderator_by_caller_id: bool = False
    """Let a moderator's known phone number make a caller moderator without a PIN (off:
    spoofable)."""
    extend_minutes: int = 15


@dataclass(frozen=True)
class IvrConfig:
    pin_timeout_seconds: int = 10
    digit_timeout_seconds: int = 5
    conference_id_prompt: bool = False
    command_timeout_seconds: int = 30
    recordings_dir: str = "recordings"
    prompts: dict[str, str] = field(default_factory=dict)
    """Overrides of the voice prompts by name (see fs_conf.prompts)."""
    keypad: dict[str, str] = field(default_factory=dict)
    """Overrides of the in-room keys by action name (see fs_conf.keypad)."""
    tts_engine: str = ""
    """Text-to-speech module that tells a call-out's callee who invites them (e.g. `flite`);
    empty: recorded prompts only (see fs_conf.ivr.callout)."""
    tts_voice: str = ""


@dataclass(frozen=True)
class SchedulerConfig:
    reminder_minutes: int = 0
    """Minutes before the start to mail a reminder; 0 turns reminders off."""
    warn_before_end_minutes: int = 5
    callout_answer_seconds: int = 30
    safety_check_seconds: int = 60
    """Longest sleep of the scheduler: changes no one woke it for are seen within this."""


@dataclass(frozen=True)
class Config:
    database: str = "fs_conf.sqlite3"
    language: str = "en"
    templates_dir: str = ""
    phonebook: str = ""
    log_level: str = "INFO"
    freeswitch: FreeswitchConfig = field(default_factory=FreeswitchConfig)
    numbers: NumbersConfig = field(default_factory=NumbersConfig)
    web: WebConfig = field(default_factory=WebConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    pins: PinsConfig = field(default_factory=PinsConfig)
    conference: ConferenceDefaults = field(default_factory=ConferenceDefaults)
    ivr: IvrConfig = field(default_factory=IvrConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    source: str = field(default="", compare=False)
    """The file this configuration was read from ('' for the embedded defaults); not a YAML key."""


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the YAML file at `path`; `None` gives the embedded defaults."""
    if path is None:
        config = Config()
    else:
        data = _read_yaml(Path(path))
        config = dataclasses.replace(_build(Config, data, ""), source=str(path))
    _check(config)
    return config


def config_path_from_env(cli_value: str | None) -> str | None:
    """The config file named by `--config`, else by FS_CONF_CONFIG, else none."""
    return cli_value or os.environ.get("FS_CONF_CONFIG") or None


def _read_yaml(path: Path) -> dict[str, object]:
    text = _read_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:  # a control character: YAML gives no line for it
        line = text.count("\n", 0, exc.position) + 1
        character = chr(exc.character)  # its code, for text read from a str
        raise ValidationError(f"{path}:{line}", character, f"not valid YAML: {exc.reason}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ValidationError(where, "", f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    except RecursionError as exc:
        raise ValidationError(str(path), "", "nested too deeply (keys go 3 levels deep)") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(
            str(path), type(data).__name__, "the top level must be a mapping of keys"
        )
    return data


def _read_text(path: Path) -> str:
    """The file as UTF-8 text; an error names the line of the first byte that is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            str(path), str(path), f"cannot read config file: {exc.strerror}"
        ) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.end]
        raise ValidationError(f"{path}:{line}", bad, "not UTF-8; save the file as UTF-8") from exc


def _build(cls: type, data: object, path: str) -> typing.Any:
    """Turn a YAML mapping into dataclass `cls`, rejecting unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ValidationError(path or "config", data, "must be a mapping of keys")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    values = {}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in known:
            raise _unknown_key(key_path, key, known)
        values[key] = _convert(hints[key], value, key_path)
    return cls(**values)


def _unknown_key(key_path: str, key: object, known: set[str]) -> ValidationError:
    """The error for a key fs_conf does not know, naming the closest known one.

    The value is never shown: a misspelt key is most often a misspelt secret
    (`apitoken: ...`), so its value may well be a password or token.
    """
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ValidationError(
        key_path, str(key), f"unknown key; {hint}known: {', '.join(sorted(known))}"
    )


def _convert(hint: object, value: object, path: str) -> object:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    origin = typing.get_origin(hint)
    if origin is dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValidationError(path, value, "must be a mapping of names to strings")
        for key, text in value.items():
            _check_text(f"{path}.{key}", key, key)
            _check_text(f"{path}.{key}", text, text)
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unsupported config type at {path}")
    shown = _shown(path.rsplit(".", 1)[-1], value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValidationError(path, shown, "must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(path, shown, "must be a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(path, shown, "must be a number")
        # A whole number stays as written (an int is a float for typing): errors then show
        # `-1`, as the admin typed it, not `-1.0`.
        return value
    if hint is str and path.startswith("numbers.") and not isinstance(value, str):
        raise ValidationError(
            path, value, "write phone numbers in quotes: YAML reads +49... or 030... as a number"
        )
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError(path, shown, "must be text")
        return _check_text(path, str(value), shown)
    raise TypeError(f"unsupported config type {hint!r} at {path}")


def _check_text(path: str, text: str, shown: object) -> str:
    if _UNPRINTABLE.search(text):
        raise ValidationError(path, shown, "must be one line without control characters")
    return text


def _shown(key: object, value: object) -> object:
    return "***" if key in SECRET_KEYS else value


_NUMBER = re.compile(r"\+?[0-9]+")
_TTS_NAME = re.compile(r"[A-Za-z0-9_.-]*")


def _check(config: Config) -> None:
    """Rules beyond types: ranges, choices, existing folders, number formats."""
    if not config.database.strip() or config.database == ":memory:":
        raise ValidationError(
            "database",
            config.database,
            "must name a file (SQLite would keep this database in memory and lose it on exit)",
        )
    for path, port in (
        ("freeswitch.esl.port", config.freeswitch.esl.port),
        ("freeswitch.socket.port", config.freeswitch.socket.port),
        ("web.port", config.web.port),
        ("mail.smtp.port", config.mail.smtp.port),
    ):
        if not 1 <= port <= 65535:
            raise ValidationError(path, port, "must be between 1 and 65535")
    _choice("language", config.language, LANGUAGES)
    _choice("mail.transport", config.mail.transport, ("folder", "smtp"))
    _choice("mail.smtp.security", config.mail.smtp.security, ("none", "starttls", "tls"))
    _choice("log_level", config.log_level, ("DEBUG", "INFO", "WARNING", "ERROR"))
    for path, number, required in (
        ("numbers.internal", config.numbers.internal, True),
        ("numbers.external", config.numbers.external, False),
    ):
        if (number or required) and not _NUMBER.fullmatch(number):
            raise ValidationError(path, number, "must be digits, optionally with a leading +")
    if "{number}" not in config.freeswitch.dial_string:
        raise ValidationError(
            "freeswitch.dial_string", config.freeswitch.dial_string, "must contain {number}"
        )
    for path, name in (
        ("ivr.tts_engine", config.ivr.tts_engine),
        ("ivr.tts_voice", config.ivr.tts_voice),
    ):
        # Both go into the originate's variable block: nothing there may be read as syntax.
        if not _TTS_NAME.fullmatch(name):
            raise ValidationError(path, name, "must be a name of letters, digits, '.', '_' or '-'")
    if config.templates_dir and not Path(config.templates_dir).is_dir():
        raise ValidationError("templates_dir", config.templates_dir, "folder does not exist")
    if config.freeswitch.xml_dir and not Path(config.freeswitch.xml_dir).is_dir():
        raise ValidationError(
            "freeswitch.xml_dir", config.freeswitch.xml_dir, "folder does not exist"
        )
    if config.phonebook and not Path(config.phonebook).is_file():
        raise ValidationError("phonebook", config.phonebook, "file does not exist")
    try:
        ZoneInfo(config.conference.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            "conference.timezone", config.conference.timezone, "unknown IANA time zone"
        ) from exc
    for path, value, allowed in _ranges(config):
        allowed.check(path, value)
    keypad_from_config(config.ivr.keypad)
    check_overrides(config.ivr.prompts)


@dataclass(frozen=True)
class _Range:
    """The sensible values of one number in the configuration (both ends included)."""

    low: float
    high: float
    unit: str = ""

    def check(self, path: str, value: float) -> None:
        # `not low <= value <= high` also refuses NaN, which YAML reads from `.nan`
        if not self.low <= value <= self.high:
            unit = f" {self.unit}" if self.unit else ""
            raise ValidationError(
                path, value, f"must be between {self.low:g} and {self.high:g}{unit}"
            )


_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES


def _ranges(config: Config) -> list[tuple[str, float, _Range]]:
    """Every count, duration and timeout with its range: lower ends where less makes no
    sense (a timeout of 0 never waits), upper ends where more is surely a typo (minutes
    typed as seconds) or undoes a guarantee (more PIN tries make guessing easier)."""
    pins, conference, ivr, mail, scheduler = (
        config.pins,
        config.conference,
        config.ivr,
        config.mail,
        config.scheduler,
    )
    digits = _Range(MIN_PIN_LENGTH, MAX_PIN_LENGTH, "digits")
    return [
        ("freeswitch.esl.timeout", config.freeswitch.esl.timeout, _Range(0.1, 600, "seconds")),
        ("pins.guest_length", pins.guest_length, digits),
        ("pins.personal_length", pins.personal_length, digits),
        ("pins.moderator_length", pins.moderator_length, digits),
        ("pins.tries_per_call", pins.tries_per_call, _Range(1, 10)),
        ("pins.lockout_failures", pins.lockout_failures, _Range(1, 1000)),
        (
            "pins.lockout_window_minutes",
            pins.lockout_window_minutes,
            _Range(1, _WEEK_MINUTES, "minutes"),
        ),
        ("conference.lead_minutes", conference.lead_minutes, _Range(0, _DAY_MINUTES, "minutes")),
        ("conference.grace_minutes", conference.grace_minutes, _Range(0, _DAY_MINUTES, "minutes")),
        *(
            (f"conference.{name}", getattr(conference, name), _Range(0, about.most))
            for name, about in ROOM_OPTIONS.items()
            if isinstance(about, Count)
        ),
        (
            "conference.extend_minutes",
            conference.extend_minutes,
            _Range(1, _DAY_MINUTES, "minutes"),
        ),
        ("ivr.pin_timeout_seconds", ivr.pin_timeout_seconds, _Range(1, 300, "seconds")),
        ("ivr.digit_timeout_seconds", ivr.digit_timeout_seconds, _Range(1, 60, "seconds")),
        ("ivr.command_timeout_seconds", ivr.command_timeout_seconds, _Range(1, 600, "seconds")),
        ("mail.smtp.timeout", mail.smtp.timeout, _Range(0.1, 600, "seconds")),
        ("mail.smtp.connections", mail.smtp.connections, _Range(1, 16)),
        ("mail.retry_seconds", mail.retry_seconds, _Range(1, 24 * 3600, "seconds")),
        ("mail.give_up_hours", mail.give_up_hours, _Range(1, 24 * 365, "hours")),
        (
            "scheduler.reminder_minutes",
            scheduler.reminder_minutes,
            _Range(0, _WEEK_MINUTES, "minutes"),
        ),
        (
            "scheduler.warn_before_end_minutes",
            scheduler.warn_before_end_minutes,
            _Range(0, _DAY_MINUTES, "minutes"),
        ),
        (
            "scheduler.callout_answer_seconds",
            scheduler.callout_answer_seconds,
            _Range(1, 600, "seconds"),
        ),
        (
            "scheduler.safety_check_seconds",
            scheduler.safety_check_seconds,
            _Range(1, 3600, "seconds"),
        ),
    ]


def _choice(path: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationError(path, value, f"must be one of {', '.join(allowed)}")
