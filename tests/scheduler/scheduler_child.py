"""The scheduler as `fs-conf serve` runs it, in a process of its own, for test_restart.

    python -m tests.scheduler.scheduler_child DATABASE SMTP_PORT HOLD_MS

runs until killed, gevent-patched like `fs-conf serve`, and delivers over SMTP to 127.0.0.1.
HOLD_MS > 0 holds the duplicate window open: after the server's 250 for a message the
process waits that long before the outbox may mark it sent, so that a kill lands there
often enough to be seen. FreeSWITCH is not reachable: only mails are due.
"""

from gevent import monkey

monkey.patch_all()

import dataclasses  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from fs_conf.config import Config, MailConfig, SchedulerConfig, SmtpConfig  # noqa: E402
from fs_conf.esl import InboundESL  # noqa: E402
from fs_conf.mail.transport import Session, SmtpTransport  # noqa: E402
from fs_conf.scheduler import Scheduler  # noqa: E402
from fs_conf.store import open_store  # noqa: E402

SENDER = "bridge@pbx.example.com"


class HoldingSession:
    """An SMTP session that waits `hold` seconds after each accepted message."""

    def __init__(self, inner: Session, hold: float) -> None:
        self._inner = inner
        self._hold = hold

    def send(self, recipient: str, key: str, message: bytes) -> None:
        self._inner.send(recipient, key, message)
        time.sleep(self._hold)


class HoldingTransport:
    def __init__(self, inner: SmtpTransport, hold: float) -> None:
        self._inner = inner
        self._hold = hold

    @contextmanager
    def session(self) -> Iterator[HoldingSession]:
        with self._inner.session() as inner:
            yield HoldingSession(inner, self._hold)


def child_config(database: str, port: int) -> Config:
    return dataclasses.replace(
        Config(),
        database=database,
        mail=MailConfig(
            transport="smtp",
            sender=SENDER,
            smtp=SmtpConfig(host="127.0.0.1", port=port, timeout=5.0),
        ),
        scheduler=SchedulerConfig(reminder_minutes=0, warn_before_end_minutes=0),
    )


def main(argv: list[str]) -> int:
    database, port, hold_ms = argv[0], int(argv[1]), int(argv[2])
    config = child_config(database, port)
    store = open_store(database)
    esl = InboundESL("127.0.0.1", 9, "ClueCon")
    transport = HoldingTransport(SmtpTransport(config.mail.smtp, SENDER), hold_ms / 1000)
    Scheduler(config, store, esl, transport).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
