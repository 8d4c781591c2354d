"""The `fs-conf` command line (also `python -m fs_conf`).

Subcommands are added by registrars: functions that receive the parser groups
(`CommandGroups`) and add their parsers with `add_command`, each bound to a handler
`(Invocation) -> int`. A feature that brings its own commands (serve, invite, outbox,
dial, members, mute/unmute/kick, lock/unlock) adds its registrar to `REGISTRARS`.

Every error a user can cause is one line on stderr, `fs-conf: <field>: <problem> (got
<value>)`, with exit status 2 for bad input and 1 for something that does not exist;
nothing is written in either case. Fields are shown as the flag the user typed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fs_conf import __version__, schedule
from fs_conf.check import default_checks, run_checks
from fs_conf.commands import (
    CommandGroups,
    Invocation,
    Parser,
    UsageError,
    add_command,
    add_json,
    conference_id,
)
from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    Remembered,
    SittingChanges,
    cancel_conference,
    change_sitting,
    check_changes,
    check_request,
    check_sitting_changes,
    conference_json,
    create_checked,
    current_occurrence,
    organizer_memory,
    update_checked,
)
from fs_conf.errors import FsConfError, ValidationError
from fs_conf.model import Conference, OverrideStatus, Role, RoomOptions
from fs_conf.participants import validate_email
from fs_conf.room_commands import register_room_commands
from fs_conf.scheduler.mailing import Mailer
from fs_conf.scheduler.rerender import rerender_failed
from fs_conf.store import OutboxEntry, OutboxStatus

PROG = "fs-conf"

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
        "max_members",
    )
}
"""Service field names (see fs_conf.conferences) shown as the flags that set them."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `fs-conf` command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
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


def _report(error: FsConfError) -> int:
    if isinstance(error, ValidationError):
        where = FLAG_OF_FIELD.get(error.field, error.field)
        message = f"{where}: {error.problem} (got {error.value!r})"
    else:
        message = str(error)
    print(f"{PROG}: {' '.join(message.split())}", file=sys.stderr)
    return error.exit_status


# Conference commands


def register_conference_commands(groups: CommandGroups) -> None:
    create = add_command(groups.conference, "create", _create, "create a conference")
    create.add_argument("--title", required=True)
    create.add_argument("--start", required=True, help="ISO 8601 date and time, or `now`")
    create.add_argument("--duration", required=True, type=_minutes("duration"), metavar="MIN")
    _add_conference_options(create)
    create.add_argument(
        "--participant", action="append", default=[], metavar="SPEC", help=SPEC_HELP
    )
    add_json(create)

    listing = add_command(groups.conference, "list", _list, "list conferences")
    listing.add_argument("--all", action="store_true", help="include cancelled conferences")
    add_json(listing)

    show = add_command(groups.conference, "show", _show, "show one conference")
    show.add_argument("id", metavar="ID", type=conference_id)
    add_json(show)

    update = add_command(groups.conference, "update", _update, "change a conference")
    update.add_argument("id", metavar="ID", type=conference_id)
    update.add_argument("--title")
    update.add_argument("--start", help="ISO 8601 date and time, or `now`")
    update.add_argument("--duration", type=_minutes("duration"), metavar="MIN")
    _add_conference_options(update)
    update.add_argument(
        "--participant",
        action="append",
        metavar="SPEC",
        help="replace the participant list (repeat)",
    )
    update.add_argument(
        "--add-participant", action="append", default=[], metavar="SPEC", help=SPEC_HELP
    )
    update.add_argument(
        "--remove-participant",
        action="append",
        default=[],
        metavar="EMAIL|ID",
        help="remove a participant",
    )
    update.add_argument(
        "--exdate",
        action="append",
        default=[],
        metavar="ISO8601",
        help="cancel the sitting starting then (as `cancel ID --occurrence`; repeat)",
    )
    update.add_argument(
        "--occurrence",
        metavar="ISO8601",
        help="change only the sitting of the series starting then: with --start and/or --duration",
    )
    add_json(update)

    cancel = add_command(groups.conference, "cancel", _cancel, "cancel a conference")
    cancel.add_argument("id", metavar="ID", type=conference_id)
    cancel.add_argument(
        "--occurrence",
        metavar="ISO8601",
        help="cancel only the sitting of the series starting then",
    )
    add_json(cancel)


SPEC_HELP = "`Name <email>[;phone=NUMBER][;moderator][;call]` or a phone-book name (repeat)"


def _add_conference_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timezone", help="IANA time zone, e.g. Europe/Berlin")
    parser.add_argument(
        "--dial-in-before",
        type=_minutes("dial_in_before"),
        metavar="MIN",
        help="minutes callers may join early",
    )
    parser.add_argument("--rrule", help="RFC 5545 recurrence, e.g. FREQ=WEEKLY;BYDAY=MO")
    parser.add_argument("--location")
    parser.add_argument("--description")
    parser.add_argument("--reply-to", metavar="EMAIL")
    parser.add_argument("--organizer", metavar="EMAIL")
    for flag, help_text in (
        ("--start-muted", "participants join muted"),
        ("--wait-for-moderator", "participants wait until a moderator joins"),
        ("--end-with-last-moderator", "end the room when the last moderator leaves"),
        ("--announce-names", "callers say their name, played to the room on join and leave"),
    ):
        parser.add_argument(
            flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
        )
    members = parser.add_mutually_exclusive_group()
    members.add_argument(
        "--max-members", type=_count("max_members"), metavar="N", help="at most N members (0: no limit)"
    )
    members.add_argument(
        "--no-max-members", dest="max_members", action="store_const", const=0, help="no limit"
    )


def _minutes(field_name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValidationError(field_name, text, "must be a whole number of minutes") from None

    return parse


def _count(field_name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValidationError(field_name, text, "must be a whole number") from None

    return parse


def _create(invocation: Invocation) -> int:
    args = invocation.args
    # Everything that needs no database is checked before the store is opened: bad input
    # must not even create the database file.
    request = ConferenceRequest(
        title=args.title,
        start=args.start,
        duration_minutes=args.duration,
        timezone=args.timezone or "",
        dial_in_before_minutes=args.dial_in_before,
        rrule=args.rrule or "",
        location=args.location or "",
        description=args.description or "",
        reply_to=args.reply_to or "",
        organizer=args.organizer or "",
        participants=list(args.participant),
        start_muted=args.start_muted,
        wait_for_moderator=args.wait_for_moderator,
        end_with_last_moderator=args.end_with_last_moderator,
        max_members=args.max_members,
        announce_names=args.announce_names,
    )
    checked = check_request(invocation.config, request, invocation.now())
    created = create_checked(invocation.store, invocation.config, checked)
    if invocation.args.json:
        data = conference_json(created.conference, invocation.now())
        invocation.print_json({**data, "remembered": created.remembered.as_dict()})
        return 0
    _print_conference(invocation, created.conference, "Created conference")
    if created.remembered.as_dict():
        invocation.print(format_remembered(created.conference.organizer, created.remembered))
    return 0


def format_remembered(organizer: str, remembered: Remembered) -> str:
    """Which of the organizer's remembered values a new conference took."""
    lines = [f"Used what is remembered for {organizer}:"]
    if remembered.reply_to:
        lines.append(f"  Reply-To:      {remembered.reply_to}")
    if remembered.participant:
        lines.append(f"  Participant:   {remembered.participant}")
    return "\n".join(lines)


def _list(invocation: Invocation) -> int:
    conferences = invocation.store.list_conferences(include_cancelled=invocation.args.all)
    now = invocation.now()
    if invocation.args.json:
        invocation.print_json([conference_json(c, now) for c in conferences])
        return 0
    if not conferences:
        invocation.print("No conferences.")
    for conference in conferences:
        invocation.print(format_row(conference, now))
    return 0


def _show(invocation: Invocation) -> int:
    conference = invocation.store.get_conference(invocation.args.id)
    _print_conference(invocation, conference, "Conference")
    return 0


def _update(invocation: Invocation) -> int:
    args = invocation.args
    changes = ConferenceChanges(
        title=args.title,
        start=args.start,
        timezone=args.timezone,
        duration_minutes=args.duration,
        dial_in_before_minutes=args.dial_in_before,
        rrule=args.rrule,
        location=args.location,
        description=args.description,
        reply_to=args.reply_to,
        organizer=args.organizer,
        participants=args.participant,
        add_participants=list(args.add_participant),
        remove_participants=list(args.remove_participant),
        add_exdates=list(args.exdate),
        start_muted=args.start_muted,
        wait_for_moderator=args.wait_for_moderator,
        end_with_last_moderator=args.end_with_last_moderator,
        max_members=args.max_members,
        announce_names=args.announce_names,
    )
    if args.occurrence is not None:
        series = dataclasses.replace(changes, start=None, duration_minutes=None)
        if series != ConferenceChanges():
            raise ValidationError(
                "occurrence",
                args.occurrence,
                "changes one sitting: only --start and --duration go with it"
                " (change the whole series without --occurrence)",
            )
        sitting = SittingChanges(args.occurrence, start=args.start, duration_minutes=args.duration)
        return _change_sitting(invocation, sitting, "Changed")
    if changes == ConferenceChanges():
        raise UsageError(f"{PROG} conference update: nothing to change (see --help)")
    checked = check_changes(invocation.config, changes, invocation.now())
    conference = update_checked(invocation.store, invocation.config, args.id, checked)
    _print_conference(invocation, conference, "Updated conference")
    return 0


def _cancel(invocation: Invocation) -> int:
    if invocation.args.occurrence is not None:
        return _change_sitting(invocation, SittingChanges(invocation.args.occurrence, cancel=True), "Cancelled")
    conference = cancel_conference(invocation.store, invocation.args.id)
    _print_conference(invocation, conference, "Cancelled conference")
    return 0


def _change_sitting(invocation: Invocation, changes: SittingChanges, verb: str) -> int:
    # checked before the store is opened: bad input must not even create the database file
    checked = check_sitting_changes(changes, invocation.now())
    conference = change_sitting(
        invocation.store, invocation.config, invocation.args.id, checked, invocation.now()
    )
    heading = f"{verb} the sitting of {changes.occurrence} in conference"
    _print_conference(invocation, conference, heading)
    return 0


def _print_conference(invocation: Invocation, conference: Conference, heading: str) -> None:
    if invocation.args.json:
        invocation.print_json(conference_json(conference, invocation.now()))
    else:
        invocation.print(
            format_conference(conference, invocation.now(), invocation.config.language, heading)
        )


def format_conference(
    conference: Conference, now: datetime, language: str, heading: str = "Conference"
) -> str:
    """A conference for people: numbers, PINs, times and each participant's personal PIN."""
    occurrence = current_occurrence(conference, now)
    number = conference.number
    if conference.external_number:
        number += f" (external {conference.external_number})"
    lines = [
        f"{heading} {conference.id}: {conference.title}",
        f"  Number:        {number}",
        f"  Guest PIN:     {conference.guest_pin}",
        f"  Moderator PIN: {conference.moderator_pin}",
        f"  Start:         {_when(occurrence.start)} - {occurrence.end:%H:%M} ({conference.timezone})",
        f"  Dial-in from:  {_when(occurrence.start - conference.lead)}",
    ]
    if conference.rrule:
        lines.append(f"  Repeats:       {schedule.describe_rrule(conference.rrule, language)}")
    for label, value in (
        ("Location", conference.location),
        ("Organizer", conference.organizer),
        ("Reply-To", conference.reply_to),
    ):
        if value:
            lines.append(f"  {label + ':':<14} {value}")
    lines.extend(format_exceptions(conference))
    lines.append(f"  Room:          {format_options(conference.options)}")
    lines.append(f"  Status:        {conference.status.value} (sequence {conference.sequence})")
    lines.append(f"  UID:           {conference.uid}")
    if conference.participants:
        lines.append("  Participants:")
    for participant in conference.participants:
        contact = f" <{participant.email}>" if participant.email else ""
        extras = [
            participant.role.value if participant.role is Role.MODERATOR else "",
            f"PIN {participant.pin}",
        ]
        if participant.phone:
            extras.append(("called at " if participant.call else "phone ") + participant.phone)
        details = ", ".join(extra for extra in extras if extra)
        lines.append(
            f"    {participant.id}: {participant.name}{contact} - {details} [{participant.status.value}]"
        )
    return "\n".join(lines)


def format_exceptions(conference: Conference) -> list[str]:
    """The sittings cancelled or moved on their own, one line each (none: no lines)."""
    lines = ["  Exceptions:"] if conference.overrides else []
    for override in conference.overrides:
        change = "cancelled"
        if override.status is OverrideStatus.MOVED and override.start and override.duration:
            end = override.start + override.duration
            change = f"moved to {_when(override.start)} - {end:%H:%M}"
        lines.append(f"    {_when(override.original_start)}: {change}")
    return lines


def format_options(options: RoomOptions) -> str:
    """The room options that are on, in words ("no special options" when none is)."""
    words = [
        text
        for on, text in (
            (options.start_muted, "participants start muted"),
            (options.wait_for_moderator, "wait for a moderator"),
            (options.end_with_last_moderator, "ends with the last moderator"),
            (options.announce_names, "names announced"),
            (options.max_members > 0, f"at most {options.max_members} members"),
        )
        if on
    ]
    return ", ".join(words) or "no special options"


def format_row(conference: Conference, now: datetime) -> str:
    occurrence = current_occurrence(conference, now)
    repeat = " (repeats)" if conference.rrule else ""
    return (
        f"{conference.id:>4}  {_when(occurrence.start)}  {conference.number:<8} "
        f"{conference.status.value:<9}  {conference.title}{repeat}"
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


# Organizers: what is remembered for their next conference


def register_organizer_commands(groups: CommandGroups) -> None:
    organizer = groups.top.add_parser(
        "organizer", help="what fs_conf remembers for an organizer's next conference"
    )
    actions = organizer.add_subparsers(dest="organizer_action", required=True, metavar="ACTION")
    show = add_command(
        actions,
        "show",
        _organizer_show,
        "show the reply-to address and first invitee remembered for an organizer",
    )
    show.add_argument("email", metavar="EMAIL")
    add_json(show)


def _organizer_show(invocation: Invocation) -> int:
    organizer = validate_email(invocation.args.email, "EMAIL")
    memory = organizer_memory(invocation.store, organizer)
    if invocation.args.json:
        invocation.print_json(
            {
                "organizer": memory.organizer,
                "reply_to": memory.reply_to,
                "first_invitee": memory.first_invitee,
            }
        )
        return 0
    invocation.print(f"Organizer {memory.organizer}")
    invocation.print(f"  Reply-To:      {memory.reply_to or '(none)'}")
    invocation.print(f"  First invitee: {memory.first_invitee or '(none)'}")
    return 0


# Check and demo


def register_check_command(groups: CommandGroups) -> None:
    add_command(
        groups.top, "check", _check, "validate the configuration, templates and FreeSWITCH XML"
    )


def _check(invocation: Invocation) -> int:
    results = run_checks(invocation.config, default_checks())
    for result in results:
        invocation.print(f"{'ok' if result.ok else 'FAILED':<7} {result.name}")
        for problem in result.problems:
            print(f"{PROG}: {result.name}: {problem}", file=sys.stderr)
    return 0 if all(result.ok for result in results) else ValidationError.exit_status


def register_serve_command(groups: CommandGroups) -> None:
    add_command(
        groups.top, "serve", _serve, "run the IVR, the Event Socket client and the scheduler"
    )


def _serve(invocation: Invocation) -> int:
    # Imported here: serving pulls in the whole voice stack, which no other command needs.
    from fs_conf.serve import serve

    config = invocation.config
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    serve(config)
    return 0


def register_demo_command(groups: CommandGroups) -> None:
    add_command(groups.top, "demo", _demo, "run a sample scenario on built-in defaults")


def _demo(invocation: Invocation) -> int:
    # Imported here because the demo prints conferences with this module's formatting.
    from fs_conf.demo import run_demo

    return run_demo(invocation.out)


# Mail: invitations sent again, the outbox


def register_mail_commands(groups: CommandGroups) -> None:
    invite = add_command(
        groups.conference, "invite", _invite, "send the invitations (again) to every participant"
    )
    invite.add_argument("id", metavar="ID", type=conference_id)
    add_json(invite)
    outbox = add_command(
        groups.top, "outbox", _outbox, "list mails not yet delivered, and failed ones"
    )
    outbox.add_argument("--all", action="store_true", help="include delivered mails")
    outbox.add_argument(
        "--retry", action="store_true", help="render again the mails that failed to render"
    )
    add_json(outbox)


def _invite(invocation: Invocation) -> int:
    conference_number = invocation.args.id
    queued = Mailer(invocation.config, invocation.store).resend(conference_number, invocation.now())
    sequence = invocation.store.get_conference(conference_number).sequence
    if invocation.args.json:
        invocation.print_json({"id": conference_number, "queued": queued, "sequence": sequence})
    else:
        invocation.print(
            f"Queued {queued} invitations for conference {conference_number} (sequence {sequence});"
            f" `{PROG} serve` delivers them."
        )
    return 0


def _outbox(invocation: Invocation) -> int:
    if invocation.args.retry:
        summary = rerender_failed(invocation.store, invocation.config, invocation.now())
        if not invocation.args.json:
            for line in summary.lines():
                invocation.print(line)
    entries = [
        entry
        for entry in invocation.store.outbox_list()
        if invocation.args.all or entry.status is not OutboxStatus.SENT
    ]
    if invocation.args.json:
        invocation.print_json([outbox_json(entry) for entry in entries])
        return 0
    if not entries:
        invocation.print("No mails waiting or failed.")
    for entry in entries:
        invocation.print(format_outbox_row(entry))
    return 0


def outbox_json(entry: OutboxEntry) -> dict[str, object]:
    """One outbox row for `fs-conf outbox --json` (times ISO 8601 in UTC)."""

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "id": entry.id,
        "status": entry.status.value,
        "kind": entry.kind,
        "recipient": entry.recipient,
        "conference_id": entry.conference_id,
        "sequence": entry.sequence,
        "occurrence": when(entry.occurrence),
        "attempts": entry.attempts,
        "next_attempt_at": when(entry.next_attempt_at),
        "last_error": entry.last_error,
        "created_at": when(entry.created_at),
        "sent_at": when(entry.sent_at),
    }


def format_outbox_row(entry: OutboxEntry) -> str:
    conference = "-" if entry.conference_id is None else str(entry.conference_id)
    line = (
        f"{entry.id:>5}  {entry.status.value:<7}  {entry.kind:<12}  {entry.recipient}"
        f"  conference {conference}  attempts {entry.attempts}"
    )
    if entry.next_attempt_at is not None and entry.status is OutboxStatus.PENDING:
        line += f"  next {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
    if entry.last_error:
        line += f"  error: {entry.last_error}"
    return line


Registrar = Callable[[CommandGroups], Any]

REGISTRARS: tuple[Registrar, ...] = (
    register_conference_commands,
    register_organizer_commands,
    register_check_command,
    register_serve_command,
    register_demo_command,
    register_mail_commands,
    register_room_commands,
)
