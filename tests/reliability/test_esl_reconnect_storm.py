"""Issue 10, item 8: a server that accepts the login and drops at once is not stormed.

The back-off between attempts to reach the inbound Event Socket used to start over after
every successful login, so such a server got thousands of connects a second. It now starts
over only after a connection stayed up for a while.
"""

from __future__ import annotations

from pathlib import Path

import gevent

from fs_conf.esl import InboundESL
from fs_conf.ivr.server import IvrServer
from fs_conf.store import open_store
from tests.esl.peer import AUTH_REQUEST, Front, Peer, reply
from tests.ivr.conftest import test_config, wait_until

PASSWORD = "ClueCon"
WATCHED_SECONDS = 3.0
MOST_CONNECTS = 5
"""In WATCHED_SECONDS: the back-off waits 1 s, then 2 s (RECONNECT_SECONDS)."""


def login_then_drop(number: int, peer: Peer) -> None:
    """Accept the password and the room controller's subscription, then close."""
    peer.send(AUTH_REQUEST)
    while (command := peer.read_command()) is not None:
        peer.send(reply("+OK accepted" if command.startswith(b"auth ") else "+OK"))
        if command.startswith(b"event "):
            break
    peer.close()


def test_a_server_that_drops_every_login_gets_a_handful_of_connects(tmp_path: Path) -> None:
    front = Front(("127.0.0.1", 9), login_then_drop)
    config = test_config(tmp_path, ("127.0.0.1", front.port), PASSWORD)
    store = open_store(config.database)
    ivr = IvrServer(config, store, InboundESL)
    try:
        ivr.start()
        wait_until(lambda: front.accepted >= 2)
        gevent.sleep(WATCHED_SECONDS)
        assert front.accepted <= MOST_CONNECTS
    finally:
        ivr.stop(timeout=2.0)
        front.close()
        store.close()
