"""The scheduler: mails, call-outs, warnings and ends, driven by the store alone.

`plan` says what is due when (pure), `mailing` queues mails with their marks, `actions`
carries out one task, `run` is the `Scheduler` loop of `fs-conf serve`, `courier` delivers
while it renders, `wake` lets other processes wake it, `rerender` retries failed renders.
How they work together: docs/scheduler.md
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
