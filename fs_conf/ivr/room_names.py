"""Which mod_conference room belongs to which conference.

A conference with id 7 meets in the room `fs_conf-7`; every occurrence of a recurring
conference uses the same room. Pure: no I/O.
"""

from __future__ import annotations

import re

ROOM_PREFIX = "fs_conf-"

_ROOM = re.compile(re.escape(ROOM_PREFIX) + r"([1-9][0-9]*)")


def room_name(conference_id: int) -> str:
    """The mod_conference room of a conference: `fs_conf-<id>`."""
    if isinstance(conference_id, bool) or not isinstance(conference_id, int) or conference_id < 1:
        raise ValueError(f"conference id must be a positive whole number (got {conference_id!r})")
    return f"{ROOM_PREFIX}{conference_id}"


def parse_room_name(name: str) -> int | None:
    """The conference id of an fs_conf room (`fs_conf-7` -> 7); None for any other room,
    including the `name@profile` form, which is how a join names a room, not the room itself."""
    match = _ROOM.fullmatch(name)
    return int(match.group(1)) if match else None
