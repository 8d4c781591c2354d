"""A conference to store where only its being there matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fs_conf.model import Conference


def a_conference() -> Conference:
    return Conference(
        title="Planning",
        start=datetime(2099, 3, 4, 9, 0, tzinfo=UTC),
        timezone="UTC",
        duration=timedelta(hours=1),
        number="3400",
        guest_pin="11111111",
        moderator_pin="2222222222",
        uid="planning@test",
    )
