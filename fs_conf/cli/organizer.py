"""`fs-conf organizer show`: what fs_conf remembers for an organizer's next conference."""

from __future__ import annotations

from fs_conf.cli.present import format_organizer, organizer_json
from fs_conf.cli.registry import CommandGroups, Invocation, add_command, add_json
from fs_conf.conferences import organizer_memory
from fs_conf.participants import validate_email


def register_organizer_commands(groups: CommandGroups) -> None:
    """The `fs-conf organizer` group and its `show`."""
    organizer = groups.top.add_parser(
        "organizer", help="what fs_conf remembers for an organizer's next conference"
    )
    actions = organizer.add_subparsers(dest="organizer_action", required=True, metavar="ACTION")
    show = add_command(
        actions,
        "show",
        _show,
        "show the reply-to address and first invitee remembered for an organizer",
    )
    show.add_argument("email", metavar="EMAIL")
    add_json(show)


def _show(invocation: Invocation) -> int:
    organizer = validate_email(invocation.args.email, "EMAIL")
    memory = organizer_memory(invocation.store, organizer)
    if invocation.args.json:
        invocation.print_json(organizer_json(memory))
    else:
        invocation.print(format_organizer(memory))
    return 0
