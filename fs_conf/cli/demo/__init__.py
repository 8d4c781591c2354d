"""`fs-conf demo`: a sample scenario on the embedded defaults (scenario.py runs its steps)."""

from __future__ import annotations

from fs_conf.cli.registry import CommandGroups, Invocation, add_command


def register_demo_command(groups: CommandGroups) -> None:
    """The top-level `demo`."""
    add_command(groups.top, "demo", _demo, "run a sample scenario on built-in defaults")


def _demo(invocation: Invocation) -> int:
    # Imported here: the demo pulls in the simulator and the whole voice stack, which no
    # other command needs.
    from fs_conf.cli.demo.scenario import run_demo

    return run_demo(invocation.out)
