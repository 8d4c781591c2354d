"""The configuration: one YAML file, every key with a default, validated at start.

`load_config(path)` reads the file (or nothing, for the embedded defaults) into frozen
dataclasses. Any problem raises `ValidationError` naming the key path and the bad value
(`freeswitch.esl.port: must be between 1 and 65535 (got 70000)`); secrets are shown as `***`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from fs_conf.errors import ValidationError
from fs_conf.ivr.keypad import keypad_from_config
from fs_conf.ivr.prompts import check_overrides

SECRET_KEYS = frozenset({"password", "api_token"})
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
    """The FreeSWITCH XML that `fs-conf check` verifies; empty means the copy shipped with fs_conf."""


@dataclass(frozen=True)
class NumbersConfig:
    """The conference numbers callers dial, as in a PBX conference template."""

    internal: str = "3000"
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
class ConferenceDefaults:
    """Defaults for new conferences; each can be set per conference."""

    timezone: str = "UTC"
    lead_minutes: int = 10
    grace_minutes: int = 0
    start_muted: bool = False
    wait_for_moderator: bool = False
    end_with_last_moderator: bool = False
    max_members: int = 0
    announce_names: bool = False
    moderator_by_caller_id: bool = False
    """Let a moderator's known phone number make a caller moderator without a PIN (off: spoofable)."""
    extend_minutes: int = 15


@dataclass(frozen=True)
class IvrConfig:
    pin_timeout_seconds: int = 10
    digit_timeout_seconds: int = 5
    conference_id_prompt: bool = False
    command_timeout_seconds: int = 30
    recordings_dir: str = "recordings"
    prompts: dict[str, str] = field(default_factory=dict)
    """Overrides of the voice prompts by name (see fs_conf.ivr.prompts)."""
    keypad: dict[str, str] = field(default_factory=dict)
    """Overrides of the in-room keys by action name (see fs_conf.ivr.keypad)."""


@dataclass(frozen=True)
class SchedulerConfig:
    reminder_minutes: int = 0
    """Minutes before the start to mail a reminder; 0 turns reminders off."""
    warn_before_end_minutes: int = 5
    callout_answer_seconds: int = 30


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
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(str(path), str(path), f"cannot read config file: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ValidationError(where, "", f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(str(path), type(data).__name__, "the top level must be a mapping of keys")
    return data


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
            raise ValidationError(key_path, _shown(key, value), f"unknown key (known: {', '.join(sorted(known))})")
        values[key] = _convert(hints[key], value, key_path)
    return cls(**values)


def _convert(hint: object, value: object, path: str) -> object:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    origin = typing.get_origin(hint)
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ValidationError(path, value, "must be a mapping of names to strings")
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
        return float(value)
    if hint is str and path.startswith("numbers.") and not isinstance(value, str):
        raise ValidationError(path, value, "write phone numbers in quotes: YAML reads +49... or 030... as a number")
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError(path, shown, "must be text")
        return str(value)
    raise TypeError(f"unsupported config type {hint!r} at {path}")


def _shown(key: object, value: object) -> object:
    return "***" if key in SECRET_KEYS else value


_NUMBER = re.compile(r"^\+?[0-9]+$")


def _check(config: Config) -> None:
    """Rules beyond types: ranges, choices, existing folders, number formats."""
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
        if (number or required) and not _NUMBER.match(number):
            raise ValidationError(path, number, "must be digits, optionally with a leading +")
    if "{number}" not in config.freeswitch.dial_string:
        raise ValidationError("freeswitch.dial_string", config.freeswitch.dial_string, "must contain {number}")
    if config.templates_dir and not Path(config.templates_dir).is_dir():
        raise ValidationError("templates_dir", config.templates_dir, "folder does not exist")
    if config.freeswitch.xml_dir and not Path(config.freeswitch.xml_dir).is_dir():
        raise ValidationError("freeswitch.xml_dir", config.freeswitch.xml_dir, "folder does not exist")
    if config.phonebook and not Path(config.phonebook).is_file():
        raise ValidationError("phonebook", config.phonebook, "file does not exist")
    try:
        ZoneInfo(config.conference.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError("conference.timezone", config.conference.timezone, "unknown IANA time zone") from exc
    _positive(config)
    keypad_from_config(config.ivr.keypad)
    check_overrides(config.ivr.prompts)


def _positive(config: Config) -> None:
    for path, value, low in (
        ("pins.guest_length", config.pins.guest_length, 4),
        ("pins.personal_length", config.pins.personal_length, 4),
        ("pins.moderator_length", config.pins.moderator_length, 4),
        ("pins.tries_per_call", config.pins.tries_per_call, 1),
        ("pins.lockout_failures", config.pins.lockout_failures, 1),
        ("pins.lockout_window_minutes", config.pins.lockout_window_minutes, 1),
        ("conference.lead_minutes", config.conference.lead_minutes, 0),
        ("conference.grace_minutes", config.conference.grace_minutes, 0),
        ("conference.max_members", config.conference.max_members, 0),
        ("conference.extend_minutes", config.conference.extend_minutes, 1),
        ("ivr.pin_timeout_seconds", config.ivr.pin_timeout_seconds, 1),
        ("ivr.digit_timeout_seconds", config.ivr.digit_timeout_seconds, 1),
        ("ivr.command_timeout_seconds", config.ivr.command_timeout_seconds, 1),
        ("mail.retry_seconds", config.mail.retry_seconds, 1),
        ("mail.give_up_hours", config.mail.give_up_hours, 1),
        ("scheduler.reminder_minutes", config.scheduler.reminder_minutes, 0),
        ("scheduler.warn_before_end_minutes", config.scheduler.warn_before_end_minutes, 0),
        ("scheduler.callout_answer_seconds", config.scheduler.callout_answer_seconds, 1),
    ):
        if value < low:
            raise ValidationError(path, value, f"must be at least {low}")
    if config.pins.guest_length > 20 or config.pins.moderator_length > 20 or config.pins.personal_length > 20:
        raise ValidationError("pins", "", "PIN lengths must be at most 20 digits")


def _choice(path: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationError(path, value, f"must be one of {', '.join(allowed)}")
