"""The demo's scheduler part: what `fs-conf serve` does over a conference's life.

The scheduler runs as in `fs-conf serve` (the same class, store and Event Socket connection),
but the demo turns it one step at a time (`tick`) and moves the demo clock to the moments that
matter instead of waiting for them: invitations mailed at once, the call-out at the start, the
warning before the end, the end, and the attendance report to the organizer. Mails go to the
demo folder, one `.eml` each.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

from fs_conf.cli.demo.state import DemoRun
from fs_conf.cli.demo.voice import WAIT, Caller, print_heard, until
from fs_conf.conferences import current_occurrence
from fs_conf.ivr.room_names import room_name
from fs_conf.mail.transport import transport_from_config
from fs_conf.prompts import Prompts
from fs_conf.scheduler import Scheduler
from fs_conf.scheduler.actions import warning_files
from fs_conf.store import open_store


def mail_invitations(run: DemoRun) -> None:
    """Start the scheduler; its first turn mails every participant an invitation."""
    stack = run.stack()
    store = open_store(run.config.database, clock=run.clock)
    run.closing.callback(store.close)
    scheduler = Scheduler(
        run.config,
        store,
        stack.ivr.inbound,
        transport_from_config(run.config.mail),
        run.clock,
        rooms=stack.ivr.rooms,
        ivr_address=stack.ivr.address,
    )
    run.closing.callback(scheduler.stop)
    run.scheduler = scheduler
    scheduler.tick()
    run.say(f"[{run.now:%H:%M}] scheduler: invitations mailed")
    for path in _mails(run):
        run.say(f"   {_describe(path)}")
    run.say()


def call_out_at_start(run: DemoRun) -> None:
    """At the start fs_conf calls the participant marked `call`; they press 1 to join."""
    conference = run.sample()
    callee = next(p for p in conference.participants if p.call)
    phone = run.stack().sim.phone(callee.phone or "", answer=True)
    run.clock.now = conference.start
    run.say(
        f"[{run.now:%H:%M}] the conference starts; fs_conf calls {callee.name} at {callee.phone}"
    )
    run.schedule().tick()
    call = phone.wait_call(WAIT)
    caller = Caller(callee.name, call)
    run.stack().callers[callee.name] = caller
    call.wait_heard(Prompts.from_config(run.config).file("callout_accept"), timeout=WAIT)
    print_heard(run, caller)
    run.say("   presses 1")
    call.press("1")
    member = call.wait_member(WAIT)
    print_heard(run, caller)
    run.say(f"   is in   room {member.room.name} as participant (member {member.id})")
    run.say()
    run.clock.now = conference.start + timedelta(minutes=2)


def warning_before_end(run: DemoRun) -> None:
    """Minutes before the end, the room hears a warning."""
    conference = run.sample()
    end = current_occurrence(conference, run.now).end
    run.clock.now = end - timedelta(minutes=run.config.scheduler.warn_before_end_minutes)
    run.say(f"[{run.now:%H:%M}] scheduler: warning before the end")
    run.schedule().tick()
    moderator = next(c for c in run.stack().callers.values() if c.call.alive)
    minutes = run.config.scheduler.warn_before_end_minutes
    # The whole warning ("less than", the number, "minutes") before the clock moves on to
    # the end, which would cut it off.
    for file in warning_files(Prompts.from_config(run.config), minutes):
        moderator.call.wait_heard(file, timeout=WAIT)
    run.say(f"{moderator.name}:")
    print_heard(run, moderator)
    run.say()


def conference_ends(run: DemoRun) -> None:
    """At the end the scheduler ends the room: every phone caller is really removed."""
    conference = run.sample()
    run.clock.now = current_occurrence(conference, run.now).end
    run.say(f"[{run.now:%H:%M}] scheduler: the conference ends")
    run.schedule().tick()
    stack = run.stack()
    for caller in stack.callers.values():
        if caller.call.alive or caller.call.heard[caller.shown :]:
            caller.call.wait_hangup(WAIT)
            run.say(f"{caller.name}:")
            print_heard(run, caller)
            run.say(f"   call ended ({caller.call.hangup_cause})")
    until(lambda: stack.ivr.active_calls == 0, "the IVR to finish every call")
    until(lambda: stack.sim.room(room_name(conference.stored_id)) is None, "the room to close")
    run.say(f"room {room_name(conference.stored_id)} is gone")
    run.say()


def attendance_report(run: DemoRun) -> None:
    """After the end the organizer gets who joined, when and for how long."""
    conference = run.sample()
    occurrence = current_occurrence(conference, run.now - timedelta(seconds=1))
    names = {p.id: p.name for p in conference.participants}
    run.say("Attendance recorded by fs_conf:")
    for stay in run.store.attendance_for(conference.stored_id, occurrence.start):
        joined = stay.joined_at.strftime("%H:%M:%S")
        left = stay.left_at.strftime("%H:%M:%S") if stay.left_at else "(still in)"
        who = names.get(stay.participant_id, "guest")
        run.say(f"   {who:<20} {stay.role:<11} from {stay.caller_id:<13} {joined} - {left}")
    before = set(_mails(run))
    run.clock.now = occurrence.end + timedelta(minutes=1)
    run.schedule().tick()
    until(lambda: len(set(_mails(run)) - before) == 1, "the attendance report")
    (report,) = set(_mails(run)) - before
    run.say(f"[{run.now:%H:%M}] scheduler: attendance report mailed")
    run.say(f"   {_describe(report)}")
    run.say()


def list_mails(run: DemoRun) -> None:
    run.say(f"Mails written to {run.config.mail.folder}:")
    for path in _mails(run):
        run.say(f"   {path}")


def _mails(run: DemoRun) -> list[Path]:
    return sorted(Path(run.config.mail.folder).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)


def _describe(path: Path) -> str:
    with path.open("rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    return f"To: {message['To']:<40} Subject: {message['Subject']}  ({path.name})"
