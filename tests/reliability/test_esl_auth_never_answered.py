"""Issue 10, item 9: a server that never answers `auth` does not leave fs_conf half-connected.

fs_conf used to keep such a connection and, on its next attempt, take it for a live one, so
room control and call-outs stayed dead until the peer closed. Now the connection is closed
when the login times out, and the next attempt reaches a server that works.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gevent.event

from fs_conf.esl import InboundESL
from fs_conf.ivr.server import IvrServer
from fs_conf.sim import Simulator
from fs_conf.store import open_store
from tests.esl.peer import AUTH_REQUEST, Front, Peer
from tests.ivr.conftest import test_config

LOGIN_SECONDS = 1.0
"""The inbound connection's timeout: how long fs_conf waits for the answer to `auth`."""


def test_after_a_login_that_is_never_answered_fs_conf_reaches_a_working_server(
    tmp_path: Path,
) -> None:
    closed_by_fs_conf = gevent.event.Event()

    def silent_then_working(number: int, peer: Peer) -> None:
        if number > 1:
            front.pipe(peer)
            return
        peer.send(AUTH_REQUEST)
        assert peer.read_command() is not None  # the password, never answered
        if peer.wait_closed(timeout=30):
            closed_by_fs_conf.set()

    sim = Simulator().start()
    front = Front(sim.esl_address, silent_then_working)
    config = test_config(tmp_path, ("127.0.0.1", front.port), sim.password)
    esl = dataclasses.replace(config.freeswitch.esl, timeout=LOGIN_SECONDS)
    config = dataclasses.replace(config, freeswitch=dataclasses.replace(config.freeswitch, esl=esl))
    store = open_store(config.database)
    ivr = IvrServer(config, store, InboundESL)
    try:
        ivr.start()
        assert ivr.wait_rooms_ready(15.0), "the room controller never reached the working server"
        assert closed_by_fs_conf.wait(5.0), "the silent connection was left open"
        assert front.accepted == 2
        assert ivr.inbound.api("status").startswith("UP")
    finally:
        ivr.stop(timeout=2.0)
        front.close()
        sim.stop()
        store.close()
