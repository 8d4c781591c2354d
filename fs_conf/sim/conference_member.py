"""One caller in a room (conference_member_t) and the member data its events carry.

Mirrors src/mod/applications/mod_conference/conference_member.c: the member's flags and
levels, and conference_member_add_event_data(). A member is made in conference_join.py;
Room.add and Room.remove (conference.py) are conference_member_add() and _del().
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fs_conf.sim.headers import Headers, channel_basic_headers
from fs_conf.sim.truth import true_false

if TYPE_CHECKING:
    from fs_conf.sim.channel import Channel
    from fs_conf.sim.conference import Room
    from fs_conf.sim.conference_config import Control
    from fs_conf.sim.session import Session


@dataclass
class Member:
    """One caller in a room (conference_member_t)."""

    id: int
    room: Room
    channel: Channel
    session: Session
    controls: list[Control]
    moderator: bool = False
    can_speak: bool = True
    can_hear: bool = True
    talking: bool = False
    endconf: bool = False
    mandatory: bool = False
    mintwo: bool = False
    ghost: bool = False
    energy: int = 100
    volume_in: int = 0
    volume_out: int = 0
    joined: float = field(default_factory=time.time)
    running: bool = True
    kicked: bool = False
    kicked_sound: str = ""

    @property
    def member_type(self) -> str:
        return "moderator" if self.moderator else "member"

    @property
    def caller_id_name(self) -> str:
        return self.channel.profile.caller_id_name

    @property
    def caller_id_number(self) -> str:
        return self.channel.profile.caller_id_number

    @property
    def uuid(self) -> str:
        return self.channel.uuid

    def flags_text(self) -> str:
        """The flags column of `conference <room> list`: mod_conference.c conference_list().

        `hold`, `video`, `vid-floor`, `res-id:` and `role-id:` are not modelled (no hold, no
        video); deaf, mute_detect and endconf show only in xml_list/json_list, as there."""
        flags = []
        if self.can_hear:
            flags.append("hear")
        if self.can_speak:
            flags.append("speak")
        if self.talking:
            flags.append("talking")
        if self.room.floor is self:
            flags.append("floor")
        if self.moderator:
            flags.append("moderator")
        if self.ghost:
            flags.append("ghost")
        return "|".join(flags)

    def event_headers(self) -> Headers:
        """conference_member_add_event_data(): room data, Floor, channel, member state."""
        rows = self.room.event_headers()
        rows.append(("Floor", true_false(self.room.floor is self)))
        rows.extend(channel_basic_headers(self.channel))
        rows.extend(
            [
                ("Video", "false"),
                ("Hear", true_false(self.can_hear)),
                ("See", "true"),
                ("Speak", true_false(self.can_speak)),
                ("Talking", true_false(self.talking)),
                ("Mute-Detect", "false"),
                ("Hold", "false"),
                ("Member-ID", str(self.id)),
                ("Member-Type", self.member_type),
                ("Member-Ghost", true_false(self.ghost)),
                ("Energy-Level", str(self.energy)),
                ("Current-Energy", "0"),
            ]
        )
        return rows
