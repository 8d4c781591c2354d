"""Deliver the outbox in a greenlet of its own while the scheduler's turn renders.

The `Courier` delivers on `mail.smtp.connections` lanes side by side during a turn, then one
batch more, and keeps the outbox's guarantees: it is the only deliverer, and it takes a batch
only once every mail of the batch before is marked. Why: docs/scheduler.md#the-courier
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import gevent
import gevent.event

from fs_conf.config import Config
from fs_conf.mail.delivery import BATCH_LIMIT, DeliverySummary, deliver
from fs_conf.mail.transport import Transport
from fs_conf.store import Clock, OutboxEntry, Store

log = logging.getLogger(__name__)


class Courier:
    """Delivers the outbox during the scheduler's turns; see the module docstring."""

    def __init__(
        self, store: Store, transport: Transport, config: Config, clock: Clock, lanes: int = 1
    ) -> None:
        self._store = store
        self._transport = transport
        self._config = config
        self._clock = clock
        self._lanes = lanes
        self._ready = gevent.event.Event()
        self._finishing = False
        self._failures: list[Exception] = []
        self._summary = DeliverySummary()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Deliver while the block runs, and one batch more at its end; an exception out of
        the block stops the courier where it is, as a crash would (the unmarked stay due)."""
        self._finishing = False
        self._failures = []
        self._summary = DeliverySummary()
        runner = gevent.spawn(self._run)
        try:
            yield
        except BaseException:
            runner.kill()
            raise
        self._finishing = True
        self._ready.set()
        runner.join()
        if self._failures:
            raise self._failures[0]
        summary = self._summary
        if summary.sent or summary.retried or summary.failed:
            log.info(
                "mail: %d sent, %d to retry, %d failed",
                summary.sent,
                summary.retried,
                summary.failed,
            )

    def queued(self) -> None:
        """Mail was committed to the outbox: deliver it now."""
        self._ready.set()

    def _run(self) -> None:
        while not self._failures:
            self._ready.clear()
            last = self._finishing
            now = self._clock()
            try:
                due = self._store.outbox_due(now, BATCH_LIMIT)
            except Exception as exc:
                self._failures.append(exc)
                return
            if due:
                self._deliver(due, now)
            if last:
                return
            if not due:
                self._ready.wait()

    def _deliver(self, due: list[OutboxEntry], now: datetime) -> None:
        """One batch over every lane, each taking the next mail when its last one is done."""
        entries = iter(due)
        lanes = [gevent.spawn(self._lane, entries, now) for _ in range(self._lanes)]
        try:
            gevent.joinall(lanes)
        finally:
            gevent.killall(lanes)

    def _lane(self, entries: Iterator[OutboxEntry], now: datetime) -> None:
        # A session per lane and batch: closing it is what lets the other lanes end their
        # messages after this lane's last one (the transport's window, fs_conf.mail.transport).
        try:
            with self._transport.session() as session:
                deliver(self._store, session, entries, now, self._config, self._summary)
        except Exception as exc:
            # reported by the turn, as a failure of `deliver_due` in the turn always was
            self._failures.append(exc)
