"""The conference service: create, update and cancel conferences, and change one sitting, with
every input checked before anything is written. The CLI and the web API hand in what a user
typed; a bad value raises ValidationError naming the field and the value as typed. The
decisions it follows (times, SEQUENCE, PINs, remembered values): docs/conferences.md.

- `requests`: what users hand in, and the checked forms;
- `fields`: single fields as typed, checked and converted (start, duration, room options, ...);
- `participant_list`: the participant list given and changed, who keeps their id and PIN;
- `pin_assignment`: PINs drawn unique among conferences that can be joined together;
- `sequence`: when the SEQUENCE of mails and calendar entries grows;
- `occurrences`: which sitting to show;
- `create`, `update`, `sittings`: the service's operations.
"""

from fs_conf.conferences.create import (
    check_request,
    create_checked,
    create_conference,
    organizer_memory,
)
from fs_conf.conferences.occurrences import current_occurrence, upcoming_occurrence
from fs_conf.conferences.requests import (
    CheckedChanges,
    CheckedRequest,
    ConferenceChanges,
    ConferenceRequest,
    Created,
    Remembered,
    SittingChanges,
    TypedParticipant,
)
from fs_conf.conferences.sittings import change_sitting, check_sitting_changes
from fs_conf.conferences.update import (
    cancel_conference,
    check_changes,
    update_checked,
    update_conference,
)

__all__ = [
    "CheckedChanges",
    "CheckedRequest",
    "ConferenceChanges",
    "ConferenceRequest",
    "Created",
    "Remembered",
    "SittingChanges",
    "TypedParticipant",
    "cancel_conference",
    "change_sitting",
    "check_changes",
    "check_request",
    "check_sitting_changes",
    "create_checked",
    "create_conference",
    "current_occurrence",
    "organizer_memory",
    "update_checked",
    "update_conference",
    "upcoming_occurrence",
]
