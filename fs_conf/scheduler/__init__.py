"""The scheduler: mails, call-outs, warnings and ends, driven by the store alone.

- `plan` (pure): which tasks are due when, from conferences and the store's marks;
- `mailing`: invitations, updates, cancellations, reminders and attendance reports, each
  queued together with its mark;
- `actions`: carrying out one task (mails, call-outs, the warning, the end);
- `run`: the `Scheduler` loop that `fs-conf serve` runs in a greenlet;
- `wake`: the datagram with which other processes wake it after they changed the database;
- `rerender`: mails that failed to render, rendered again once the template is fixed.
"""

from fs_conf.scheduler.mailing import Mailer
from fs_conf.scheduler.plan import (
    MailingPlan,
    Markers,
    Task,
    TaskKind,
    due,
    mailing_needed,
    next_due,
    plan,
    plan_mailing,
)
from fs_conf.scheduler.run import Scheduler

__all__ = [
    "Mailer",
    "MailingPlan",
    "Markers",
    "Scheduler",
    "Task",
    "TaskKind",
    "due",
    "mailing_needed",
    "next_due",
    "plan",
    "plan_mailing",
]
