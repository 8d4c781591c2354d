"""What every `fs-conf` command is built from: the parser that reports mistakes as one line,
the `Invocation` a handler receives (arguments, output, clock, lazily opened config and
store), and `add_command`, with which a command group's registrar adds its commands.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, TextIO, TypeAlias

from fs_conf.config import Config, config_path_from_env, load_config
from fs_conf.errors import FsConfError, ValidationError
from fs_conf.scheduler.wake import notify
from fs_conf.store import Store, open_store

PROG = "fs-conf"

Subcommands: TypeAlias = "argparse._SubParsersAction[Parser]"
"""Where commands are added: the top level (`fs-conf X`) or a group (`fs-conf conference X`)."""


class UsageError(FsConfError):
    """The command line itself is malformed (unknown flag, missing argument)."""


class Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one line through `UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


@dataclass
class Invocation:
    """One run of a command: its arguments, output, clock, and lazily opened config and store."""

    args: argparse.Namespace
    out: TextIO
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _config: Config | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(config_path_from_env(self.args.config))
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.config.database)
        return self._store

    def now(self) -> datetime:
        return self.clock()

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def print_json(self, value: object) -> None:
        print(json.dumps(value, indent=2, ensure_ascii=False), file=self.out)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            # After the command's last commit: a running `fs-conf serve` looks at once.
            notify(self.config.database)


Handler = Callable[[Invocation], int]


@dataclass(frozen=True)
class CommandGroups:
    """Where registrars add commands: at the top (`fs-conf X`) or under `fs-conf conference`."""

    top: Subcommands
    conference: Subcommands


Registrar = Callable[[CommandGroups], Any]
"""A command group's function that adds its commands (listed in fs_conf.cli.main)."""


def add_command(
    group: Subcommands, name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    """Add the command `name` to `group`, run by `handler`; returns its parser for the flags."""
    parser = group.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    return parser


def add_json(parser: argparse.ArgumentParser) -> None:
    """The `--json` flag: the command prints JSON instead of text."""
    parser.add_argument("--json", action="store_true", help="print JSON")


def conference_id(text: str) -> int:
    """An ID argument; anything but a positive whole number is bad input (exit 2)."""
    # ASCII digits only: str.isdigit() also takes "²" and "٣", and int() a trailing newline.
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValidationError("ID", text, "must be a conference id (a whole number)")
    return int(text)
