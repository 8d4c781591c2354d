"""The checks `fs-conf check` runs, and how they run.

A check is a function `(Config) -> list[str]` returning the problems it found; an
`FsConfError` it raises counts as one problem. Checks only read: they never create the
database or folders they look at.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fs_conf.checks.dialplan_order import dialplan_order_problems
from fs_conf.checks.freeswitch_xml import check_freeswitch_xml
from fs_conf.config import Config
from fs_conf.errors import FsConfError
from fs_conf.mail.compose import check_templates
from fs_conf.phonebook import load_phonebook
from fs_conf.store import SCHEMA_VERSION


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[Config], list[str]]


@dataclass(frozen=True)
class CheckResult:
    name: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def run_checks(config: Config, checks: list[Check]) -> list[CheckResult]:
    """Run every check (all of them, even after failures) and collect the problems."""
    results = []
    for check in checks:
        try:
            problems = list(check.run(config))
        except FsConfError as error:
            problems = [str(error)]
        results.append(CheckResult(check.name, problems))
    return results


def default_checks() -> list[Check]:
    """Every check of an installation; a feature that can be misconfigured adds its own."""
    return [
        Check("config", check_config),
        Check("database", check_database),
        Check("phonebook", check_phonebook),
        Check("templates", check_templates),
        Check("freeswitch", check_freeswitch),
    ]


def check_freeswitch(config: Config) -> list[str]:
    """fs_conf's FreeSWITCH XML against the configuration and, with `freeswitch.conf_dir`,
    the installed dialplan: whether its extensions let the conference numbers through."""
    return check_freeswitch_xml(config) + dialplan_order_problems(config)


def check_config(config: Config) -> list[str]:
    """Rules across keys that loading (which checks each key) cannot see."""
    problems = []
    socket, web = config.freeswitch.socket, config.web
    if (socket.host, socket.port) == (web.host, web.port):
        problems.append(
            f"freeswitch.socket and web both listen on {web.host}:{web.port}: give them different ports"
        )
    if config.numbers.external and config.numbers.external == config.numbers.internal:
        problems.append(
            f"numbers.internal and numbers.external are the same ({config.numbers.internal})"
        )
    if config.mail.transport == "folder":
        problems += [
            f"mail.folder: {problem}"
            for problem in _writable_folder(Path(config.mail.folder), may_be_created=True)
        ]
    return problems


def check_database(config: Config) -> list[str]:
    """The database file is a usable fs_conf database, or can be created where configured."""
    path = Path(config.database)
    if not path.exists():
        return _writable_folder(path.parent)
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return [f"{path} is not a usable SQLite database ({error})"]
    problems = []
    if version > SCHEMA_VERSION:
        problems.append(f"{path} was written by a newer fs_conf (schema {version})")
    if verdict != "ok":
        problems.append(f"{path} is damaged: {verdict}")
    if not os.access(path, os.W_OK):
        problems.append(f"{path} is not writable")
    return problems


def check_phonebook(config: Config) -> list[str]:
    if config.phonebook:
        load_phonebook(config.phonebook)
    return []


def _writable_folder(folder: Path, may_be_created: bool = False) -> list[str]:
    existing = folder.resolve()
    while may_be_created and not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return [f"folder {folder} does not exist"]
    if not os.access(existing, os.W_OK):
        return [f"folder {existing} is not writable"]
    return []
