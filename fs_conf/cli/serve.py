"""`fs-conf serve`: the IVR socket server, the Event Socket client and the scheduler in one
process, until SIGINT or SIGTERM.

The scheduler uses the IVR's inbound Event Socket connection for call-outs and room commands,
and a store connection of its own, so that SQLite's data_version shows it changes made by the
IVR and by `fs-conf conference` in other processes.
"""

from __future__ import annotations

import gc
import logging
import signal

import gevent
import gevent.event

from fs_conf.cli.registry import CommandGroups, Invocation, add_command
from fs_conf.config import Config
from fs_conf.ivr.server import IvrServer
from fs_conf.mail.transport import transport_from_config
from fs_conf.scheduler import Scheduler
from fs_conf.store import open_store

log = logging.getLogger(__name__)


def register_serve_command(groups: CommandGroups) -> None:
    """The top-level `serve`."""
    add_command(
        groups.top, "serve", _serve, "run the IVR, the Event Socket client and the scheduler"
    )


def _serve(invocation: Invocation) -> int:
    config = invocation.config
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    serve(config)
    return 0


def settle_heap() -> None:
    """Take what start-up made (modules, configuration, compiled templates) out of the garbage
    collector's sight. None of it becomes garbage, yet every full collection would walk all of
    it again: a pause that every live call feels as a late prompt or key."""
    gc.collect()
    gc.freeze()


def serve(config: Config) -> None:
    """Serve calls and run the schedule until SIGINT or SIGTERM; then stop calls politely."""
    stop = gevent.event.Event()
    handlers = [gevent.signal_handler(sig, stop.set) for sig in (signal.SIGINT, signal.SIGTERM)]
    store = open_store(config.database)
    schedule_store = open_store(config.database)
    server = IvrServer(config, store)
    scheduler = Scheduler(
        config,
        schedule_store,
        server.inbound,
        transport_from_config(config.mail),
        rooms=server.rooms,
    )
    server.rooms.on_schedule_change(scheduler.wake)
    runner = None
    try:
        server.start()
        settle_heap()
        host, port = server.address
        log.info(
            "fs_conf serving: IVR socket %s:%s, FreeSWITCH Event Socket %s:%s",
            host,
            port,
            config.freeswitch.esl.host,
            config.freeswitch.esl.port,
        )
        runner = gevent.spawn(scheduler.run)
        stop.wait()
        log.info("fs_conf stopping")
    finally:
        scheduler.stop()
        if runner is not None:
            runner.join(timeout=5.0)
        server.stop()
        schedule_store.close()
        store.close()
        for handler in handlers:
            handler.cancel()
