"""A conference's empty PINs drawn, unique among the conferences that can be joined at the
same time (fs_conf.pins); after a change of the schedule, a clash of a kept PIN names that
change."""

from __future__ import annotations

from datetime import datetime, timedelta

from fs_conf import pins
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.model import Conference
from fs_conf.store import Store


def with_pins(store: Store, config: Config, conference: Conference, now: datetime) -> Conference:
    """`conference` with its empty PINs filled, unique among the conferences that can be
    joined at the same time (fs_conf.pins)."""
    rule = pins.OverlapRule(now=now, grace=timedelta(minutes=config.conference.grace_minutes))
    policy = pins.PinPolicy.from_config(config.pins)
    return pins.assign_pins(conference, policy, store.list_conferences(), rule)


def with_pins_after(
    store: Store,
    config: Config,
    conference: Conference,
    now: datetime,
    moved: tuple[str, object] | None,
) -> Conference:
    """As `with_pins`, after changes: a kept PIN that now clashes was brought into overlap by
    a change of the schedule, `moved` (the field and the value as typed), which the error
    names."""
    try:
        return with_pins(store, config, conference, now)
    except pins.PinClash as clash:
        if moved is None:
            raise
        raise ValidationError(
            *moved,
            f"the conference could then be joined at the same time as"
            f" {pins.describe(clash.other)!r}, which has one of its PINs; PINs once given"
            f" do not change, so choose another time",
        ) from clash
