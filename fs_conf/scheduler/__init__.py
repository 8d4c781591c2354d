"""The scheduler: mails, call-outs, warnings and ends, driven by the store alone.

- `plan` (pure): which tasks are due when, from conferences and the store's marks;
- `mailing`: invitations, updates, cancellations, reminders and attendance reports, each
  queued together with its mark;
- `actions`: carrying out one task (mails, call-outs, the warning, the end);
- `run`: the `Scheduler` loop that `fs-conf serve` runs in a greenlet.
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
from fs_conf.scheduler.run import CHANGE_CHECK_SECONDS, Scheduler

__all__ = [
    "CHANGE_CHECK_SECONDS",
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
