"""fs_conf.sim: a FreeSWITCH 1.10.12 simulator that speaks the real Event Socket protocol.

    from fs_conf.sim import Simulator, SimConfig

    config = SimConfig(
        dialplan="freeswitch/dialplan",              # file or directory of FreeSWITCH XML
        conference_config="freeswitch/autoload_configs/conference.conf.xml",
        time_scale=0.01,                             # 1 call-second = 10 ms
        global_vars={"ivr_socket": "127.0.0.1:8084"},  # overrides X-PRE-PROCESS set
    )
    with Simulator(config) as sim:
        host, port = sim.esl_address                # inbound ESL (password config.password)
        sim.phone("+4930999", answer=True, keys_after_answer="1")
        call = sim.call("3000", caller_id="+4930111")   # dialplan -> socket -> your IVR
        call.wait_heard("conference/conf-pin")
        call.press("123456#")
        room = sim.wait_room("room-name", members=1)
        [(m.id, m.moderator, m.can_speak) for m in room.members]
        call.hangup()

Public API: Simulator, SimConfig (core.py), Call and Phone (phone.py).
"""

from fs_conf.sim.core import SimConfig, Simulator
from fs_conf.sim.phone import Call, Phone

__all__ = ["Call", "Phone", "SimConfig", "Simulator"]
