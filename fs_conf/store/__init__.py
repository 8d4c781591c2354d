"""fs_conf's persistent state in one SQLite file (WAL, foreign keys, versioned schema).

Use `open_store(path)`; see `fs_conf.store.store.Store` for the operations and docs/store.md
for the design.
"""

from fs_conf.store.db import Database
from fs_conf.store.memory import OrganizerMemory
from fs_conf.store.migrations import MIGRATIONS, SCHEMA_VERSION
from fs_conf.store.outbox import OutboxEntry, OutboxStatus, OutgoingMail, outbox_key
from fs_conf.store.scheduling import Callout, Mailing, Recipient, TaskKey
from fs_conf.store.store import Clock, Store, open_store, utc_now

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Callout",
    "Clock",
    "Database",
    "Mailing",
    "OrganizerMemory",
    "OutboxEntry",
    "OutboxStatus",
    "OutgoingMail",
    "Recipient",
    "Store",
    "TaskKey",
    "open_store",
    "outbox_key",
    "utc_now",
]
