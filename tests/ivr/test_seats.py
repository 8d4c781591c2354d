"""Seats in size-limited rooms: held from the size check until the call ends, never
counted twice once the holder is in the room, and the member list asked for only when the
count alone says full."""

from __future__ import annotations

from collections.abc import Iterable

from fs_conf.ivr.seats import Seats

ROOM = "fs_conf-1"


def never_asked() -> Iterable[str]:
    raise AssertionError("the member list was asked for although the count decided")


def test_callers_on_their_way_in_count_like_members() -> None:
    seats = Seats()
    assert seats.take(ROOM, "a", 2, 0, never_asked)
    assert seats.take(ROOM, "b", 2, 0, lambda: [])
    assert not seats.take(ROOM, "c", 2, 0, lambda: [])
    assert seats.held == {ROOM: {"a", "b"}}


def test_a_full_room_without_holders_is_decided_by_the_count() -> None:
    assert not Seats().take(ROOM, "a", 2, 2, never_asked)


def test_a_holder_already_in_the_room_is_counted_once() -> None:
    seats = Seats()
    assert seats.take(ROOM, "a", 2, 0, never_asked)
    assert seats.take(ROOM, "b", 2, 1, lambda: ["a"])
    assert not seats.take(ROOM, "c", 2, 2, lambda: ["a", "b"])


def test_moderators_in_the_room_count_as_members() -> None:
    assert not Seats().take(ROOM, "a", 1, 1, never_asked)


def test_a_released_seat_is_free_again() -> None:
    seats = Seats()
    seats.take(ROOM, "a", 1, 0, never_asked)
    seats.release(ROOM, "a")
    assert seats.held == {}
    assert seats.take(ROOM, "b", 1, 0, never_asked)
    seats.release(ROOM, "nobody")
    seats.release("fs_conf-2", "b")
    assert seats.held == {ROOM: {"b"}}


def test_rooms_are_counted_apart() -> None:
    seats = Seats()
    assert seats.take("fs_conf-1", "a", 1, 0, never_asked)
    assert seats.take("fs_conf-2", "a", 1, 0, never_asked)
