"""Places in rooms with a maximum size, promised to participants on their way in.

A participant who passes the size check holds a seat until the call ends, and every check
counts the members in the room plus the seats held by callers not in it yet; moderators hold
no seat. Why: docs/ivr.md#seats-in-rooms-with-a-maximum-size
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Seats:
    """The seats held per room: room name -> call UUIDs of the participants holding one."""

    held: dict[str, set[str]] = field(default_factory=dict)

    def take(
        self,
        room: str,
        call_uuid: str,
        limit: int,
        members: int,
        inside: Callable[[], Iterable[str]],
    ) -> bool:
        """Hold a seat in `room` for `call_uuid` if one is free with at most `limit` people;
        False when the room is full. `members` is the room's member count, `inside()` the
        call UUIDs of its members (asked only when the count alone says full)."""
        if members + len(self._others(room, call_uuid)) < limit:
            return self._hold(room, call_uuid)
        if not self._others(room, call_uuid):
            return False
        in_room = set(inside())
        waiting = self._others(room, call_uuid) - in_room
        if len(in_room) + len(waiting) < limit:
            return self._hold(room, call_uuid)
        return False

    def release(self, room: str, call_uuid: str) -> None:
        """The call holding the seat ended (or left the room): the seat is free again."""
        holders = self.held.get(room)
        if holders is None:
            return
        holders.discard(call_uuid)
        if not holders:
            del self.held[room]

    def _others(self, room: str, call_uuid: str) -> set[str]:
        return self.held.get(room, set()) - {call_uuid}

    def _hold(self, room: str, call_uuid: str) -> bool:
        self.held.setdefault(room, set()).add(call_uuid)
        return True
