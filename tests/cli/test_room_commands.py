"""`fs-conf conference members|mute|unmute|kick|lock|unlock` against the simulator's Event
Socket, with callers put straight into the room by a small dialplan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fs_conf.cli.main import main
from fs_conf.model import Conference
from fs_conf.sim import Call, SimConfig, Simulator
from fs_conf.store import open_store
from tests.ivr.conftest import SHIPPED_CONFERENCE

DIALPLAN = """<include>
  <context name="default">
    <extension name="moderator">
      <condition field="destination_number" expression="^mod-(\\d+)$">
        <action application="conference" data="fs_conf-$1@fs_conf+flags{moderator}"/>
      </condition>
    </extension>
    <extension name="participant">
      <condition field="destination_number" expression="^part-(\\d+)$">
        <action application="conference" data="fs_conf-$1@fs_conf"/>
      </condition>
    </extension>
  </context>
</include>
"""


@pytest.fixture
def switch(tmp_path: Path):
    (tmp_path / "dialplan.xml").write_text(DIALPLAN, encoding="utf-8")
    sim = Simulator(
        SimConfig(
            dialplan=tmp_path / "dialplan.xml",
            conference_config=SHIPPED_CONFERENCE,
            time_scale=0.02,
        )
    ).start()
    yield sim
    sim.stop()


@pytest.fixture
def config_file(tmp_path: Path, switch: Simulator) -> Path:
    host, port = switch.esl_address
    path = tmp_path / "fs_conf.yaml"
    path.write_text(
        f"database: {tmp_path / 'db.sqlite3'}\n"
        f"freeswitch:\n  esl: {{host: {host}, port: {port}, password: {switch.password}}}\n",
        encoding="utf-8",
    )
    with open_store(str(tmp_path / "db.sqlite3")) as store:
        store.add_conference(
            Conference(
                title="Live",
                start=datetime.now(UTC),
                timezone="UTC",
                duration=timedelta(hours=1),
                number="3000",
                guest_pin="123456789",
                moderator_pin="1234567890",
                uid="live@test",
            )
        )
    return path


def fs_conf(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    return status, out, err


def join(sim: Simulator, extension: str, caller_id: str) -> Call:
    call = sim.call(extension, caller_id=caller_id, caller_name=f"Caller {caller_id}")
    call.wait_member()
    return call


def test_members_lists_the_room(switch: Simulator, config_file: Path, capsys) -> None:
    join(switch, "mod-1", "1001")
    join(switch, "part-1", "1002")
    status, out, _ = fs_conf(capsys, config_file, "conference", "members", "1", "--json")
    assert status == 0
    rows = json.loads(out)
    assert [(r["id"], r["number"], r["moderator"], r["muted"]) for r in rows] == [
        (2, "1002", False, False),
        (1, "1001", True, False),
    ]


def test_mute_unmute_kick_lock_act_on_the_room(
    switch: Simulator, config_file: Path, capsys
) -> None:
    join(switch, "mod-1", "1001")
    participant = join(switch, "part-1", "1002")
    assert fs_conf(capsys, config_file, "conference", "mute", "1", "2")[:2] == (0, "+OK mute 2\n")
    assert not participant.member.can_speak  # type: ignore[union-attr]
    assert fs_conf(capsys, config_file, "conference", "unmute", "1", "2")[0] == 0
    assert participant.member.can_speak  # type: ignore[union-attr]
    assert fs_conf(capsys, config_file, "conference", "lock", "1")[:2] == (
        0,
        "+OK fs_conf-1 locked\n",
    )
    assert switch.room("fs_conf-1").locked  # type: ignore[union-attr]
    assert fs_conf(capsys, config_file, "conference", "unlock", "1")[0] == 0
    assert fs_conf(capsys, config_file, "conference", "kick", "1", "last")[0] == 0
    participant.wait_hangup()


def test_unknown_member_and_empty_room_are_not_found(
    switch: Simulator, config_file: Path, capsys
) -> None:
    status, _, err = fs_conf(capsys, config_file, "conference", "members", "1")
    assert status == 1 and "fs_conf-1" in err
    join(switch, "mod-1", "1001")
    status, _, err = fs_conf(capsys, config_file, "conference", "mute", "1", "99")
    assert status == 1 and "member '99' not found" in err
    status, _, err = fs_conf(capsys, config_file, "conference", "mute", "1", "everyone")
    assert status == 2 and "MEMBER" in err


def test_freeswitch_unreachable_is_a_clear_error(tmp_path: Path, capsys) -> None:
    config = tmp_path / "fs_conf.yaml"
    config.write_text(
        f"database: {tmp_path / 'db.sqlite3'}\nfreeswitch:\n  esl: {{port: 1, timeout: 1}}\n",
        encoding="utf-8",
    )
    with open_store(str(tmp_path / "db.sqlite3")) as store:
        store.add_conference(
            Conference(
                title="Live",
                start=datetime.now(UTC),
                timezone="UTC",
                duration=timedelta(hours=1),
                number="3000",
                guest_pin="123456789",
                moderator_pin="1234567890",
                uid="live@test",
            )
        )
    status, _, err = fs_conf(capsys, config, "conference", "members", "1")
    assert status == 1
    assert "freeswitch.esl: cannot reach FreeSWITCH's Event Socket at 127.0.0.1:1" in err
