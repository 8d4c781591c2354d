"""greenswitch 0.0.19 (unchanged) works against the simulator, both directions.

greenswitch misparses the body of a text/disconnect-notice (it does not read it), so the
outbound application here does not use `linger`: without linger the simulator sends the
final notice and closes, and greenswitch only sees a closed socket. That limit is
greenswitch's, not the simulator's (README.md, "Why fs_conf has its own Event Socket library").
"""

from __future__ import annotations

import socket as pysocket

import gevent
from gevent.queue import Queue
from greenswitch import InboundESL, OutboundESLServer

from fs_conf.sim import Simulator
from tests.sim.conftest import make_config


def free_port() -> int:
    # greenswitch's OutboundESLServer calls sys.exit() with bind_port=0, so pick one first.
    with pysocket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_inbound_esl_api_and_events(sim: Simulator) -> None:
    host, port = sim.esl_address
    esl = InboundESL(host=host, port=port, password="ClueCon")
    esl.connect()
    try:
        assert esl.send("api conference list").data == "+OK No active conferences.\n"
        seen: Queue = Queue()
        esl.register_handle("conference::maintenance", lambda event: seen.put(event.headers))
        esl.send("event plain CUSTOM conference::maintenance")
        sim.call("join-gs1", caller_id="42")
        first = seen.get(timeout=5)
        assert first["Action"] == "conference-create"
        assert first["Conference-Name"] == "gs1"
        assert seen.get(timeout=5)["Action"] == "add-member"
        bg = esl.send("bgapi status")
        assert bg.headers["Reply-Text"].startswith("+OK Job-UUID: ")
    finally:
        esl.stop()


def test_outbound_esl_server_drives_a_call() -> None:
    results: Queue = Queue()

    class App:
        def __init__(self, session: object) -> None:
            self.session = session

        def run(self) -> None:
            session = self.session
            session.myevents()
            session.answer()
            session.playback("ivr/ivr-welcome.wav")
            digits = session.play_and_get_digits(
                1,
                4,
                1,
                3000,
                "#",
                "conference/conf-pin.wav",
                "ivr/invalid.wav",
                "pin",
                "\\d+",
                1000,
            )
            results.put((session.caller_id_number, digits))
            session.hangup()

    port = free_port()
    server = OutboundESLServer(bind_address="127.0.0.1", bind_port=port, application=App)
    listener = gevent.spawn(server.listen)
    gevent.sleep(0.05)
    config = make_config(global_vars={"ivr_socket": f"127.0.0.1:{port}"})
    with Simulator(config) as sim:
        call = sim.call("3000", caller_id="5551234")
        call.wait_heard("conference/conf-pin.wav")
        call.press("1234#")
        assert results.get(timeout=5) == ("5551234", "1234")
        assert call.wait_hangup() == "NORMAL_CLEARING"
        assert call.heard[:2] == ["ivr/ivr-welcome.wav", "conference/conf-pin.wav"]
    server.stop()
    listener.join(timeout=2)
