"""Issue 10, item 3: the call socket (the IVR's port) against a local denial of service.

Anyone on the machine can connect to the port FreeSWITCH hands calls to. A connection that
does not send FreeSWITCH's channel data in time is closed, waiting connections do not take
the seats of calls, and no frame is buffered beyond what FreeSWITCH could send.
"""

from __future__ import annotations

from collections.abc import Iterator

import gevent
import pytest

from fs_conf.esl import OutboundESLServer, OutboundSession
from fs_conf.esl.outbound import CALL_MAX_BODY_BYTES, CALL_MAX_HEADER_BYTES
from tests.esl.peer import Peer
from tests.ivr.conftest import GUEST_PIN, BridgeFactory, wait_until


@pytest.fixture
def idle_peers() -> Iterator[list[Peer]]:
    """Connections a test opens to the call socket; all closed after the test."""
    peers: list[Peer] = []
    yield peers
    for peer in peers:
        peer.close()


def test_a_real_call_is_served_while_idle_connections_outnumber_the_call_limit(
    bridge_factory: BridgeFactory, idle_peers: list[Peer]
) -> None:
    bridge = bridge_factory(max_calls=20)
    bridge.conference()
    for _ in range(50):
        peer = Peer.connect(bridge.ivr.address[1])
        idle_peers.append(peer)
        # The IVR took the connection and asked for the channel data; it never comes.
        assert peer.read_command() in (b"connect\n\n", None)
    call = bridge.enter(GUEST_PIN)
    call.wait_heard("conference/conf-alone")
    assert bridge.member(call)


def announce(peer: Peer, headers: bytes) -> None:
    assert peer.read_command() == b"connect\n\n"
    peer.send(headers)


def closed_by_ivr(peer: Peer, timeout: float) -> bool:
    """True when the IVR closed the connection (a reset counts: it had unread bytes)."""
    try:
        return peer.wait_closed(timeout)
    except ConnectionResetError:
        return True


def test_a_peer_announcing_a_frame_larger_than_freeswitch_sends_is_closed_at_once(
    bridge_factory: BridgeFactory, idle_peers: list[Peer]
) -> None:
    bridge = bridge_factory()
    peer = Peer.connect(bridge.ivr.address[1])
    idle_peers.append(peer)
    size = CALL_MAX_BODY_BYTES + 1
    announce(peer, b"Content-Type: command/reply\nContent-Length: %d\n\n" % size)
    assert closed_by_ivr(peer, timeout=2.0)


def test_a_peer_sending_an_endless_header_block_is_closed_at_its_bound(
    bridge_factory: BridgeFactory, idle_peers: list[Peer]
) -> None:
    bridge = bridge_factory()
    peer = Peer.connect(bridge.ivr.address[1])
    idle_peers.append(peer)
    line = b"X-Filler: " + b"a" * 1000 + b"\n"
    announce(peer, b"Content-Type: command/reply\n")

    def flood() -> None:
        try:
            for _ in range(CALL_MAX_HEADER_BYTES // len(line) + 2):
                peer.send(line)
        except OSError:
            pass  # the IVR closed the connection: what this test waits for

    sender = gevent.spawn(flood)
    assert closed_by_ivr(peer, timeout=2.0)
    sender.join(timeout=2.0)


def test_a_connection_that_sends_no_channel_data_is_closed_after_the_connect_timeout(
    idle_peers: list[Peer],
) -> None:
    def application(session: OutboundSession) -> object:
        raise AssertionError("no call without channel data")

    server = OutboundESLServer("127.0.0.1", 0, application, connect_timeout=0.5)
    server.start()
    try:
        peer = Peer.connect(server.bound_port or 0)
        idle_peers.append(peer)
        assert peer.read_command() == b"connect\n\n"
        assert peer.wait_closed(timeout=5.0)
        wait_until(lambda: server.connecting_count == 0)
    finally:
        server.stop(timeout=1.0)
