"""fs_conf.sim: a FreeSWITCH 1.10.12 simulator that speaks the real Event Socket protocol.

Public API: Simulator, SimConfig (core.py), Call and Phone (phone.py). An example and what
each module follows in FreeSWITCH: docs/simulator.md#module-by-module
"""

from fs_conf.sim.core import SimConfig, Simulator
from fs_conf.sim.phone import Call, Phone

__all__ = ["Call", "Phone", "SimConfig", "Simulator"]
