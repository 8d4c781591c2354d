"""`fs-conf conference create|list|show|update|cancel`, and the flags that set a
conference's fields."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable

from fs_conf.cli.present import conference_json, format_conference, format_remembered, format_row
from fs_conf.cli.registry import (
    PROG,
    CommandGroups,
    Invocation,
    Subcommands,
    UsageError,
    add_command,
    add_json,
    conference_id,
)
from fs_conf.conferences import (
    ConferenceChanges,
    ConferenceRequest,
    SittingChanges,
    cancel_conference,
    change_sitting,
    check_changes,
    check_request,
    check_sitting_changes,
    create_checked,
    update_checked,
)
from fs_conf.errors import ValidationError
from fs_conf.model import ROOM_OPTIONS, Conference, Count, Switch

SPEC_HELP = "`Name <email>[;phone=NUMBER][;moderator][;call]` or a phone-book name (repeat)"
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,4000}")
"""ASCII digits alone: int() would also take blanks, line breaks, `_` and other scripts'
digits; more than 4000 of them are beyond what int() reads (and beyond every range)."""


def register_conference_commands(groups: CommandGroups) -> None:
    """create, list, show, update and cancel under `fs-conf conference`."""
    _add_create(groups.conference)
    listing = add_command(groups.conference, "list", _list, "list conferences")
    listing.add_argument("--all", action="store_true", help="include cancelled conferences")
    add_json(listing)
    show = add_command(groups.conference, "show", _show, "show one conference")
    show.add_argument("id", metavar="ID", type=conference_id)
    add_json(show)
    _add_update(groups.conference)
    cancel = add_command(groups.conference, "cancel", _cancel, "cancel a conference")
    cancel.add_argument("id", metavar="ID", type=conference_id)
    cancel.add_argument(
        "--occurrence",
        metavar="ISO8601",
        help="cancel only the sitting of the series starting then",
    )
    add_json(cancel)


def _add_create(group: Subcommands) -> None:
    create = add_command(group, "create", _create, "create a conference")
    create.add_argument("--title", required=True)
    create.add_argument("--start", required=True, help="ISO 8601 date and time, or `now`")
    create.add_argument("--duration", required=True, type=_minutes("duration"), metavar="MIN")
    _add_conference_options(create)
    create.add_argument(
        "--participant", action="append", default=[], metavar="SPEC", help=SPEC_HELP
    )
    add_json(create)


def _add_update(group: Subcommands) -> None:
    update = add_command(group, "update", _update, "change a conference")
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
    for name, about in ROOM_OPTIONS.items():
        _add_room_option(parser, name, about)


def _add_room_option(parser: argparse.ArgumentParser, name: str, about: Switch | Count) -> None:
    """A switch's `--x`/`--no-x`, a count's `--x N`/`--no-x` (0); not given: None."""
    flag = name.replace("_", "-")
    if isinstance(about, Switch):
        parser.add_argument(
            f"--{flag}", action=argparse.BooleanOptionalAction, default=None, help=about.help
        )
        return
    flags = parser.add_mutually_exclusive_group()
    flags.add_argument(
        f"--{flag}", type=_count(name), metavar="N", help=f"{about.help} (0: {about.zero})"
    )
    flags.add_argument(f"--no-{flag}", dest=name, action="store_const", const=0, help=about.zero)


def _minutes(field_name: str) -> Callable[[str], int]:
    return _whole_number(field_name, "must be a whole number of minutes (digits 0-9)")


def _count(field_name: str) -> Callable[[str], int]:
    return _whole_number(field_name, "must be a whole number (digits 0-9)")


def _whole_number(field_name: str, problem: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not _WHOLE_NUMBER.fullmatch(text):
            raise ValidationError(field_name, text, problem)
        return int(text)

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
        **{name: getattr(args, name) for name in ROOM_OPTIONS},
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
        **{name: getattr(args, name) for name in ROOM_OPTIONS},
    )
    if args.occurrence is not None:
        return _update_sitting(invocation, changes)
    if changes == ConferenceChanges():
        raise UsageError(f"{PROG} conference update: nothing to change (see --help)")
    checked = check_changes(invocation.config, changes, invocation.now())
    conference = update_checked(invocation.store, invocation.config, args.id, checked)
    _print_conference(invocation, conference, "Updated conference")
    return 0


def _update_sitting(invocation: Invocation, changes: ConferenceChanges) -> int:
    args = invocation.args
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


def _cancel(invocation: Invocation) -> int:
    if invocation.args.occurrence is not None:
        return _change_sitting(
            invocation, SittingChanges(invocation.args.occurrence, cancel=True), "Cancelled"
        )
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
