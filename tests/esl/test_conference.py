"""ConferenceAPI over a fake `api` that answers with the reply texts FreeSWITCH 1.10 recorded."""

from __future__ import annotations

import pytest

from fs_conf.esl import (
    ConferenceAPI,
    ConferenceAPIError,
    Member,
    RoomNotFound,
    parse_members,
    parse_rooms,
)

# Replies copied from scenario2/case6*/ and scenario1 (api/response bodies).
C6_LIST = (
    "6;loopback/9998-a;5061c45c-9cb4-4957-bc46-c94fcd69fab4;Outbound Call;default;hear;0;0;100\n"
    "3;loopback/9998-a;fe7855fb-fac5-4f2c-844d-11643fdd9188;Outbound Call;default;hear|speak;0;0;100\n"
    "2;loopback/9998-a;eb4d0815-366b-4d2c-ad83-1b0b84005006;Outbound Call;default;"
    "hear|speak|floor|moderator;0;0;100\n"
)
GLOBAL_LIST = (
    "+OK Conference c6w (1 member rate: 8000 flags: wait_mod|running|answered|enforce_min|dynamic|"
    "exit_sound|enter_sound|json_status)\n"
    "12;loopback/9998-a;6441bab0-b6b9-4e22-bd91-ebaba052cd76;Outbound Call;default;hear|speak|floor;0;0;100\n"
    "+OK Conference c6b (3 members rate: 8000 flags: running|answered|locked|dynamic)\n"
)
REPLIES = {
    "conference c6 list": C6_LIST,
    "conference c6 list count": "6",
    "conference list": GLOBAL_LIST,
    "conference c6 mute 99": "-ERR Non-Existant ID 99\n",
    "conference c6 mute non_moderator": (
        "+OK mute 6\n+OK mute 5\n+OK mute 4\n+OK mute 3\nSkipping moderator (member id 2).\n"
    ),
    "conference c6 kick last": "+OK kicked 8\n",
    "conference c6 unmute 3": "+OK unmute 3\n",
    "conference c6 deaf 3": "+OK deaf 3\n",
    "conference c6 undeaf 3": "+OK undeaf 3\n",
    "conference c6 hup 3": "+OK hup 3\n",
    "conference c6b lock": "+OK c6b locked\n",
    "conference c6b unlock": "+OK c6b unlocked\n",
    "conference c6 play conference/conf-alone.wav": "+OK (play) Playing file conference/conf-alone.wav\n",
    "conference c6 play conference/nosuchfile.wav": (
        "-ERR (play) File: conference/nosuchfile.wav not found.\n"
    ),
    "conference c6 dial loopback/9998/default 123 Test": "+OK Call Requested: result: [SUCCESS]\n",
    "conference c6 bgdial loopback/9998/default 124 Test2": (
        "+OK Job-UUID: f7db5c22-c389-4d36-b61e-85066a711ce1\n"
    ),
    "conference c6 get count": "7",
    "conference c6 get nosuchparam": "get <parameter-name>",
    "conference c6b set max_members 2": "0",
    "conference nosuchroom get count": "-ERR Conference nosuchroom not found\n",
    "conference test@default list": "-ERR Conference test@default not found\n",
}


class FakeApi:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, command: str) -> str:
        self.sent.append(command)
        return REPLIES.get(command, "+OK\n")


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def conf(api: FakeApi) -> ConferenceAPI:
    return ConferenceAPI(api)


def test_members_parse_the_list_rows(conf: ConferenceAPI) -> None:
    members = conf.members("c6")
    assert [m.id for m in members] == [6, 3, 2]
    muted, speaking, moderator = members
    assert muted.muted and not muted.deaf and not muted.is_moderator
    assert not speaking.muted and not speaking.has_floor
    assert moderator == Member(
        id=2,
        channel="loopback/9998-a",
        uuid="eb4d0815-366b-4d2c-ad83-1b0b84005006",
        caller_id_name="Outbound Call",
        caller_id_number="default",
        flags=frozenset({"hear", "speak", "floor", "moderator"}),
        volume_in=0,
        volume_out=0,
        energy=100,
    )
    assert moderator.is_moderator and moderator.has_floor and not moderator.talking


def test_member_rows_with_semicolons_in_channel_and_name() -> None:
    row = (
        "7;sofia/internal/1000@10.0.0.1;transport=udp;0291e223-84b7-4028-8e76-ab72aea9d764;"
        "Smith; John;1000;hear|speak|talking;-1;2;300"
    )
    (member,) = parse_members(row)
    assert member.channel == "sofia/internal/1000@10.0.0.1;transport=udp"
    assert member.caller_id_name == "Smith; John" and member.caller_id_number == "1000"
    assert member.talking and member.volume_in == -1 and member.energy == 300


def test_rooms_and_count(conf: ConferenceAPI) -> None:
    rooms = conf.rooms()
    assert [(r.name, r.member_count, r.locked) for r in rooms] == [
        ("c6w", 1, False),
        ("c6b", 3, True),
    ]
    assert "wait_mod" in rooms[0].flags
    assert conf.count("c6") == 6


def test_no_active_conferences(api: FakeApi) -> None:
    assert ConferenceAPI(lambda cmd: "+OK No active conferences.\n").rooms() == []


def test_unknown_room_raises_room_not_found(conf: ConferenceAPI) -> None:
    with pytest.raises(RoomNotFound) as info:
        conf.get("nosuchroom", "count")
    assert info.value.room == "nosuchroom"
    assert (
        str(info.value) == "conference nosuchroom get count: -ERR Conference nosuchroom not found"
    )
    with pytest.raises(RoomNotFound, match="test@default"):
        conf.members("test@default")


def test_err_replies_raise_with_the_text(conf: ConferenceAPI) -> None:
    with pytest.raises(ConferenceAPIError, match="-ERR Non-Existant ID 99") as info:
        conf.mute("c6", 99)
    assert not isinstance(info.value, RoomNotFound)
    with pytest.raises(ConferenceAPIError, match="nosuchfile.wav not found"):
        conf.play("c6", "conference/nosuchfile.wav")
    with pytest.raises(ConferenceAPIError, match="get <parameter-name>"):
        conf.get("c6", "nosuchparam")


def test_member_commands_and_targets(conf: ConferenceAPI, api: FakeApi) -> None:
    assert conf.mute("c6", "non_moderator").endswith("Skipping moderator (member id 2).\n")
    assert conf.kick("c6", "last") == "+OK kicked 8\n"
    assert conf.unmute("c6", 3) == "+OK unmute 3\n"
    assert conf.deaf("c6", "3") == "+OK deaf 3\n"
    assert conf.undeaf("c6", 3) == "+OK undeaf 3\n"
    assert conf.hup("c6", 3) == "+OK hup 3\n"
    conf.mute("c6", "all")
    assert api.sent[-1] == "conference c6 mute all"


def test_room_commands(conf: ConferenceAPI, api: FakeApi) -> None:
    assert conf.lock("c6b") == "+OK c6b locked\n"
    assert conf.unlock("c6b") == "+OK c6b unlocked\n"
    assert conf.play("c6", "conference/conf-alone.wav").startswith("+OK (play)")
    conf.play("c6", "conference/conf-muted.wav", member=3)
    assert api.sent[-1] == "conference c6 play conference/conf-muted.wav 3"
    conf.record("c6", "/var/rec/c6.wav")
    conf.norecord("c6")
    assert api.sent[-2:] == ["conference c6 record /var/rec/c6.wav", "conference c6 norecord all"]
    assert conf.get("c6", "count") == "7"
    assert conf.set("c6b", "max_members", "2") == "0"


def test_dial_and_bgdial(conf: ConferenceAPI) -> None:
    assert conf.dial("c6", "loopback/9998/default", "123", "Test").startswith("+OK Call Requested")
    job = conf.bgdial("c6", "loopback/9998/default", "124", "Test2")
    assert job == "f7db5c22-c389-4d36-b61e-85066a711ce1"


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda c: c.mute("c6", "everyone"), "member target"),
        (lambda c: c.mute("c6", 0), "member target"),
        (lambda c: c.kick("c6", True), "member target"),
        (lambda c: c.members("my room"), "room"),
        (lambda c: c.dial("c6", "user/1000", "1000", "Ann Lee"), "caller id name"),
        (lambda c: c.play("c6", ""), "file"),
    ],
)
def test_bad_arguments_name_the_field(conf: ConferenceAPI, call, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        call(conf)


def test_locked_room_line_is_parsed() -> None:
    # conference_api.c writes " locked" after the rate of a locked room.
    rooms = parse_rooms(
        "+OK Conference fs_conf-3 (2 members rate: 8000 locked flags: locked|running|answered)\n"
    )
    assert [(r.name, r.member_count, r.locked) for r in rooms] == [("fs_conf-3", 2, True)]


def test_get_of_an_empty_value_is_empty_not_an_error() -> None:
    api = ConferenceAPI(lambda command: "-ERR no reply\n")
    assert api.get("fs_conf-3", "is_locked") == ""
