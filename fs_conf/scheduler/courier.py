"""Deliver the outbox in a greenlet of its own while the scheduler's turn renders.

A mass mailing renders for a while (some 0.4 ms a mail) and every SMTP transaction waits for
the server four times. One after the other, a turn takes the sum of both; the `Courier`
delivers during the turn instead: the mails a task queued are deliverable as soon as its
transaction commits (`queued()`), and while the courier waits for the server the rendering
goes on (the scheduler gives way to the hub after every recipient), and so do the calls.

`lanes` (`mail.smtp.connections`) sessions deliver each batch side by side, each taking the
next mail of the batch when its last one is done: while the server reads one message the
next is on its way. A single connection leaves the server idle whenever this process is
busy rendering, and the client idle whenever the server is.

The outbox's guarantees (`fs_conf.mail.outbox`) hold as they do for one `deliver_due` after
the other: the courier is the only deliverer, and it takes the next batch of due rows only
once every mail of the batch before is marked, so no row is ever sent twice while the
process lives; each mail is marked the moment its delivery ends; reads and marks are single
transactions that never wait on the network. However many lanes, at most one mail is
accepted by the server and not yet marked at any moment (the SMTP transport's window), so
a crash repeats at most that one, as before.

`turn()` spans the scheduler's turn: the courier delivers until the turn's tasks are done,
then one batch more (everything queued by then, up to `BATCH_LIMIT` mails, as the loop has
always delivered after its tasks) and stops. Whatever is left is due at once, so the loop's
next turn follows right away, and time-critical tasks (call-outs) never wait behind more
than one batch. Each lane opens its session per batch: closing it is what hands the window
on once the lane has no mail left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import gevent
import gevent.event

from fs_conf.config import Config
from fs_conf.mail.outbox import BATCH_LIMIT, DeliverySummary, deliver
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
                "mail: %d sent, %d to retry, %d failed", summary.sent, summary.retried, summary.failed
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
