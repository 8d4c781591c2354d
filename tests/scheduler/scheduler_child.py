"""The scheduler as `fs-conf serve` runs it, in a process of its own, for test_restart.

    python -m tests.scheduler.scheduler_child DATABASE MAIL_FOLDER DELIVERY_LOG

runs until killed. Mail goes to MAIL_FOLDER; every delivery the transport completes is also
appended (and synced) to DELIVERY_LOG as one line with the outbox key, so the test can count
what a receiver got across kills. FreeSWITCH is not reachable: only mails are due.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fs_conf.config import Config, MailConfig, SchedulerConfig
from fs_conf.esl import InboundESL
from fs_conf.mail.transport import FolderSession, FolderTransport
from fs_conf.scheduler import Scheduler
from fs_conf.store import open_store


class LoggedSession:
    """A folder session that notes each completed delivery in the log."""

    def __init__(self, inner: FolderSession, log: Path) -> None:
        self._inner = inner
        self._log = log

    def send(self, recipient: str, key: str, message: bytes) -> None:
        self._inner.send(recipient, key, message)
        with self._log.open("a", encoding="utf-8") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())


class LoggedTransport:
    def __init__(self, folder: Path, log: Path) -> None:
        self._folder = FolderTransport(folder)
        self._log = log

    @contextmanager
    def session(self) -> Iterator[LoggedSession]:
        with self._folder.session() as inner:
            yield LoggedSession(inner, self._log)


def child_config(database: str, folder: str) -> Config:
    return dataclasses.replace(
        Config(),
        database=database,
        mail=MailConfig(transport="folder", folder=folder),
        scheduler=SchedulerConfig(reminder_minutes=0, warn_before_end_minutes=0),
    )


def main(argv: list[str]) -> int:
    database, folder, log = argv
    config = child_config(database, folder)
    store = open_store(database)
    esl = InboundESL("127.0.0.1", 9, "ClueCon")
    scheduler = Scheduler(config, store, esl, LoggedTransport(Path(folder), Path(log)))
    scheduler.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
