"""`fs-conf conference invite` (the invitations again) and `fs-conf outbox` (the mails not yet
delivered, and failed ones)."""

from __future__ import annotations

from fs_conf.cli.present import format_outbox_row, outbox_json
from fs_conf.cli.registry import (
    PROG,
    CommandGroups,
    Invocation,
    add_command,
    add_json,
    conference_id,
)
from fs_conf.scheduler.mailing import Mailer
from fs_conf.scheduler.rerender import rerender_failed
from fs_conf.store import OutboxStatus


def register_mail_commands(groups: CommandGroups) -> None:
    """`conference invite` and the top-level `outbox`."""
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
