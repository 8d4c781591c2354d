"""`fs-conf`'s parser and `main`.

The command groups' registrars (`REGISTRARS`) add their commands to the parser. Every error a
user can cause is one line on stderr, `fs-conf: <field>: <problem> (got <value>)`, the field
shown as the flag the user typed; exit status 2 for bad input, 1 for what does not exist.
"""

from __future__ import annotations

import reprlib
import sys
from collections.abc import Sequence

from fs_conf import __version__
from fs_conf.cli.check import register_check_command
from fs_conf.cli.conference import register_conference_commands
from fs_conf.cli.demo import register_demo_command
from fs_conf.cli.mail import register_mail_commands
from fs_conf.cli.organizer import register_organizer_commands
from fs_conf.cli.registry import PROG, CommandGroups, Invocation, Parser, Registrar
from fs_conf.cli.room import register_room_commands
from fs_conf.cli.serve import register_serve_command
from fs_conf.errors import FsConfError, ValidationError
from fs_conf.model import ROOM_OPTIONS

REGISTRARS: tuple[Registrar, ...] = (
    register_conference_commands,
    register_organizer_commands,
    register_check_command,
    register_serve_command,
    register_demo_command,
    register_mail_commands,
    register_room_commands,
)

FLAG_OF_FIELD = {
    name: "--" + name.replace("_", "-")
    for name in (
        "title",
        "start",
        "timezone",
        "duration",
        "dial_in_before",
        "rrule",
        "location",
        "description",
        "reply_to",
        "organizer",
        "participant",
        "add_participant",
        "remove_participant",
        "exdate",
        "occurrence",
        *ROOM_OPTIONS,
    )
}
"""Service field names (see fs_conf.conferences) shown as the flags that set them."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `fs-conf` command; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_utf8(arguments)
        args = build_parser().parse_args(arguments)
    except SystemExit as done:  # --help and --version
        return int(done.code or 0)
    except FsConfError as error:
        return _report(error)
    invocation = Invocation(args=args, out=sys.stdout)
    try:
        return int(args.handler(invocation))
    except FsConfError as error:
        return _report(error)
    finally:
        invocation.close()


def build_parser() -> Parser:
    """The whole command line: global options, then every registrar's commands."""
    parser = Parser(prog=PROG, description="Conference bridge for FreeSWITCH.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="YAML configuration (default: $FS_CONF_CONFIG, else built-in defaults)",
    )
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    conference = top.add_parser(
        "conference", help="create, list, show, update and cancel conferences"
    )
    groups = CommandGroups(
        top=top,
        conference=conference.add_subparsers(dest="action", required=True, metavar="ACTION"),
    )
    for register in REGISTRARS:
        register(groups)
    return parser


def _check_utf8(arguments: list[str]) -> None:
    """Refuse an argument that was not UTF-8, naming its flag and showing its bytes: Python
    hands such bytes on as lone surrogates (PEP 383), which no database, mail or log holds."""
    for position, argument in enumerate(arguments):
        if not any("\udc80" <= char <= "\udcff" for char in argument):
            continue
        flag, equals, value = argument.partition("=")
        if not (argument.startswith("--") and equals and flag.isprintable()):
            before = arguments[position - 1] if position else ""
            flag = before if before.startswith("--") and before.isprintable() else "argument"
            value = argument
        raw = value.encode("utf-8", "surrogateescape")
        raise ValidationError(flag, raw, "not UTF-8 text (fs-conf reads its arguments as UTF-8)")


class _Shown(reprlib.Repr):
    """How a refused value is shown: as repr() shows it (control characters escaped), its
    middle cut out when longer than 200 characters, nested values three levels deep."""

    def __init__(self) -> None:
        super().__init__()  # sets the limits, so they are set after it
        self.maxstring = self.maxother = 200
        self.maxlong = 100
        self.maxlevel = 3


_LONGEST_MESSAGE = 1000


def _report(error: FsConfError) -> int:
    if isinstance(error, ValidationError):
        where = FLAG_OF_FIELD.get(error.field, error.field)
        message = f"{where}: {error.problem} (got {_Shown().repr(error.value)})"
    else:
        message = str(error)
    print(f"{PROG}: {_one_line(message)}", file=sys.stderr)
    return error.exit_status


def _one_line(message: str) -> str:
    """`message` as one printable line: blanks collapsed, anything else unprintable escaped
    (argparse repeats unknown arguments as typed), cut short when longer than a screen."""
    line = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in " ".join(message.split()))
    if len(line) > _LONGEST_MESSAGE:
        return line[: _LONGEST_MESSAGE - 3] + "..."
    return line
