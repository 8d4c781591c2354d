"""`fs-conf check [--live]`: run the checks of fs_conf.checks (with `--live`, also those that
ask the running FreeSWITCH) and print one line per check; the problems go to stderr, and any
problem makes the exit status 2."""

from __future__ import annotations

import sys

from fs_conf.checks.live import run_live_checks
from fs_conf.checks.run import default_checks, run_checks
from fs_conf.cli.registry import PROG, CommandGroups, Invocation, add_command
from fs_conf.errors import ValidationError


def register_check_command(groups: CommandGroups) -> None:
    """The top-level `check`."""
    parser = add_command(
        groups.top, "check", _check, "validate the configuration, templates and FreeSWITCH XML"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="also ask the running FreeSWITCH (freeswitch.esl) for its modules, conference "
        "profile, dialplan and prompt files",
    )


def _check(invocation: Invocation) -> int:
    results = run_checks(invocation.config, default_checks())
    if invocation.args.live:
        results += run_live_checks(invocation.config)
    for result in results:
        invocation.print(f"{'ok' if result.ok else 'FAILED':<7} {result.name}")
        for problem in result.problems:
            print(f"{PROG}: {result.name}: {problem}", file=sys.stderr)
    return 0 if all(result.ok for result in results) else ValidationError.exit_status
