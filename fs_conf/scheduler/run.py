"""The scheduler's loop: plan from the store, run what is due, sleep until the next due time.

`Scheduler.run()` runs in its own greenlet inside `fs-conf serve` until `stop()`. It plans again
only when SQLite's `data_version` moved, so give it its own `Store`: that counter ignores the
asking connection's own commits. It sleeps, never polling, until a task is due, a wake-up
arrives or `scheduler.safety_check_seconds` passed. A conference whose sittings cannot be
computed is set aside with one error in the log. Why: docs/scheduler.md#the-loop
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import gevent
import gevent.event
import gevent.pool

from fs_conf.config import Config
from fs_conf.esl import InboundESL
from fs_conf.ivr.room_control import RoomController
from fs_conf.mail.transport import Transport
from fs_conf.model import Conference
from fs_conf.scheduler.actions import Actions, Outcome, RoomEnder
from fs_conf.scheduler.courier import Courier
from fs_conf.scheduler.mailing import Mailer, Offload, run_here
from fs_conf.scheduler.plan import HORIZON, LOOKBACK, Markers, Task, due, next_due, plan
from fs_conf.scheduler.wake import WakeListener
from fs_conf.store import Clock, Store, utc_now

log = logging.getLogger(__name__)

RETRY_SECONDS = 10.0
MAX_RETRY = timedelta(hours=1)
MAX_PASSES = 20
"""Rounds of running due tasks and planning again per turn (follow-ups such as the
attendance report after the end come due within one turn)."""
MARKS_WINDOW = LOOKBACK + timedelta(days=2)
"""Marks are read for occurrences starting this far back: the lookback plus the longest an
occurrence lasts (24 hours) with room for extensions."""
GIVE_WAY_SECONDS = 0.005
"""The longest `give_way` waits for an idle hub."""

Wait = Callable[[gevent.event.Event, float], object]
"""Sleeps until the event is set or the seconds passed (tests pass one that moves a fake clock)."""


def _event_wait(event: gevent.event.Event, seconds: float) -> object:
    return event.wait(seconds)


def give_way() -> None:
    """Let the hub run everything that is ready (calls, the courier's SMTP replies) before
    the scheduler goes on: wait until it is idle, at most `GIVE_WAY_SECONDS`.

    The scheduler calls this after every recipient. Why not a thread or `gevent.sleep(0)`:
    docs/scheduler.md#giving-way-to-the-calls"""
    with gevent.Timeout(GIVE_WAY_SECONDS, False):
        gevent.idle()


class Scheduler:
    """Sends the mails, places the call-outs and warns and ends the rooms; see the module
    docstring. `esl` is the inbound connection `fs-conf serve` keeps up (the IVR server's);
    `rooms` ends rooms (the IVR server's RoomController; by default one of its own);
    `ivr_address` is where FreeSWITCH reaches the IVR for call-outs (default
    `freeswitch.socket`); `check_seconds` is the longest sleep (default
    `scheduler.safety_check_seconds`)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        esl: InboundESL,
        transport: Transport,
        clock: Clock = utc_now,
        *,
        rooms: RoomEnder | None = None,
        ivr_address: tuple[str, int] | None = None,
        wait: Wait = _event_wait,
        offload: Offload = run_here,
        check_seconds: float | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._wait = wait
        self._check_seconds = (
            float(config.scheduler.safety_check_seconds) if check_seconds is None else check_seconds
        )
        self._wakeup = gevent.event.Event()
        self._listener = WakeListener(config.database, self._wakeup.set)
        self._calls = gevent.pool.Group()
        socket = config.freeswitch.socket
        self._actions = Actions(
            config,
            store,
            esl,
            Mailer(config, store, offload, pause=give_way),
            rooms if rooms is not None else RoomController(config, store, esl, clock),
            ivr_address or (socket.host, socket.port),
            self._calls,
        )
        lanes = config.mail.smtp.connections if config.mail.transport == "smtp" else 1
        self._courier = Courier(store, transport, config, clock, lanes)
        self._tasks: list[Task] = []
        self._planned_at: datetime | None = None
        self._version: int | None = None
        self._stale = True
        self._stopping = False
        self._failures: dict[object, tuple[int, datetime]] = {}
        self._set_aside: dict[int, Conference] = {}
        """Conferences left out of the plan, by id, as they were when the error was logged."""
        self.plan_count = 0
        """How many plans were computed (the loop's work is visible in tests and benchmarks)."""

    # -- lifecycle -------------------------------------------------------------------------------

    def run(self) -> None:
        """Loop until `stop()`; call in a greenlet of its own."""
        self._stopping = False
        self._listener.start()
        log.info("scheduler running")
        try:
            while not self._stopping:
                self._wakeup.clear()
                try:
                    seconds = self.tick()
                except Exception:
                    log.exception("scheduler turn failed; trying again in %ss", RETRY_SECONDS)
                    seconds = RETRY_SECONDS
                if not self._stopping:
                    self._wait(self._wakeup, seconds)
        finally:
            self._listener.stop()
        log.info("scheduler stopped")

    def stop(self, timeout: float = 5.0) -> None:
        """End the loop and the call-outs still waiting for an answer."""
        self._stopping = True
        self._wakeup.set()
        self._calls.kill(timeout=timeout)

    def wake(self) -> None:
        """Plan again and run what is due now (for changes made in this process)."""
        self._stale = True
        self._wakeup.set()

    @property
    def tasks(self) -> list[Task]:
        """The current plan, earliest first."""
        return list(self._tasks)

    # -- one turn --------------------------------------------------------------------------------

    def tick(self) -> float:
        """One turn: plan if needed, run due tasks while the courier delivers mail; returns
        seconds to sleep."""
        now = self._clock()
        self._plan_if_changed(now)
        with self._courier.turn():
            self._run_due(now)
        return self._sleep_seconds(self._clock())

    def _plan_if_changed(self, now: datetime) -> None:
        version = self._store.data_version()
        planned = self._planned_at
        if (
            self._stale
            or version != self._version
            or planned is None
            or now >= planned + HORIZON / 2
            or now < planned
        ):
            self._version = version
            self._plan(now)

    def _plan(self, now: datetime) -> None:
        since = now - MARKS_WINDOW
        markers = Markers(
            done=frozenset(self._store.tasks_done(since)),
            mailings=self._store.mailings(),
            ended=self._store.ended_occurrences(since),
        )
        conferences = self._store.list_conferences(include_cancelled=True)
        found: list[tuple[Conference, Exception]] = []
        self._tasks = plan(
            conferences,
            markers,
            now,
            self._config,
            set_aside=lambda conference, error: found.append((conference, error)),
        )
        self._log_set_aside(found)
        self._planned_at = now
        self._stale = False
        self.plan_count += 1
        log.debug("planned %d tasks", len(self._tasks))

    def _log_set_aside(self, found: list[tuple[Conference, Exception]]) -> None:
        """An error for each conference newly set aside (or changed and still failing), once
        and not every turn; a note when one is no longer (changed, cancelled or gone)."""
        now_aside = {conference.stored_id: conference for conference, _ in found}
        for conference, error in found:
            if self._set_aside.get(conference.stored_id) != conference:
                log.error(
                    "conference %s %r cannot be scheduled and is set aside until it is changed:"
                    " %s: %s",
                    conference.id,
                    conference.title,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
        for conference_id in sorted(self._set_aside.keys() - now_aside.keys()):
            log.info("conference %s is no longer set aside", conference_id)
        self._set_aside = now_aside

    def _run_due(self, now: datetime) -> None:
        for _ in range(MAX_PASSES):
            ready = [task for task in due(self._tasks, now) if self._may_try(task, now)]
            if not ready:
                return
            for task in ready:
                self._run(task, now)
            self._plan(now)

    def _run(self, task: Task, now: datetime) -> None:
        try:
            outcome = self._actions.run(task, now)
        except Exception:
            log.exception("conference %s: %s %s failed", task.conference.id, task.kind, task.name)
            outcome = Outcome.RETRY
        if outcome is Outcome.RETRY:
            attempts = self._failures.get(task.key, (0, now))[0] + 1
            delay = min(timedelta(seconds=RETRY_SECONDS * 2 ** (attempts - 1)), MAX_RETRY)
            self._failures[task.key] = (attempts, now + delay)
        else:
            self._failures.pop(task.key, None)
        # Whatever the task queued is deliverable now; the courier and the calls get the hub
        # before the next task's rendering sets out.
        self._courier.queued()
        give_way()

    def _may_try(self, task: Task, now: datetime) -> bool:
        failure = self._failures.get(task.key)
        return failure is None or failure[1] <= now

    def _sleep_seconds(self, now: datetime) -> float:
        moments = [next_due(self._tasks, now)]
        moments += [retry_at for _, retry_at in self._failures.values()]
        moments.append(self._store.outbox_next_attempt())
        if self._planned_at is not None:
            moments.append(self._planned_at + HORIZON / 2)
        wake_at = min((moment for moment in moments if moment is not None), default=None)
        if wake_at is None:
            return self._check_seconds
        return max(0.0, min((wake_at - now).total_seconds(), self._check_seconds))
