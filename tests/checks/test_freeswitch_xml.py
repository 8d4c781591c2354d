"""`fs-conf check`'s FreeSWITCH part: the shipped XML passes, each kind of mismatch is named."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from fs_conf.checks.freeswitch_xml import check_freeswitch_xml, parse_xml
from fs_conf.config import Config, FreeswitchConfig, IvrConfig, NumbersConfig, SocketConfig
from fs_conf.shipped_files import shipped_xml_dir

REPO_XML = Path(__file__).resolve().parents[2] / "freeswitch"
CONFERENCE = Path("autoload_configs/conference.conf.xml")
INTERNAL = Path("dialplan/default/fs_conf.xml")
EXTERNAL = Path("dialplan/public/fs_conf.xml")


@pytest.fixture
def xml(tmp_path: Path) -> Path:
    """A copy of the shipped FreeSWITCH folder to spoil."""
    folder = tmp_path / "freeswitch"
    shutil.copytree(REPO_XML, folder)
    return folder


def config_for(folder: Path, **changes: object) -> Config:
    freeswitch = FreeswitchConfig(xml_dir=str(folder))
    if "socket" in changes:
        freeswitch = dataclasses.replace(freeswitch, socket=changes.pop("socket"))
    if "profile" in changes:
        freeswitch = dataclasses.replace(freeswitch, conference_profile=changes.pop("profile"))
    return dataclasses.replace(Config(), freeswitch=freeswitch, **changes)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in {path}")


def test_shipped_xml_passes_with_the_default_config() -> None:
    assert shipped_xml_dir() == REPO_XML
    assert check_freeswitch_xml(Config()) == []


def test_shipped_xml_passes_with_the_external_number_in_either_form(xml: Path) -> None:
    for number in ("+4930555000", "4930555000"):
        config = config_for(xml, numbers=NumbersConfig(internal="3401", external=number))
        assert check_freeswitch_xml(config) == []


def test_check_is_registered_in_fs_conf_check() -> None:
    from fs_conf.checks.run import default_checks

    assert "freeswitch" in [check.name for check in default_checks()]


def test_socket_to_another_port_is_named_per_file_and_line(xml: Path) -> None:
    problems = check_freeswitch_xml(config_for(xml, socket=SocketConfig("127.0.0.1", 9000)))
    internal_line = line_of(xml / INTERNAL, 'application="socket"')
    external_line = line_of(xml / EXTERNAL, 'application="socket"')
    assert f"{xml / INTERNAL}:{internal_line}: socket '127.0.0.1:8084 async full'" in problems[0]
    assert f"{xml / EXTERNAL}:{external_line}:" in "\n".join(problems)
    assert all("127.0.0.1:9000 async full" in problem for problem in problems)
    assert len(problems) == 2


def test_socket_without_full_is_named(xml: Path) -> None:
    edit(xml / INTERNAL, "127.0.0.1:8084 async full", "127.0.0.1:8084 async")
    problems = check_freeswitch_xml(config_for(xml))
    assert len(problems) == 1
    line = line_of(xml / INTERNAL, 'application="socket"')
    assert problems[0].startswith(f"{xml / INTERNAL}:{line}:")
    assert "lacks full" in problems[0]


def test_socket_without_async_and_full_is_named(xml: Path) -> None:
    edit(xml / EXTERNAL, "127.0.0.1:8084 async full", "127.0.0.1:8084")
    (problem,) = check_freeswitch_xml(config_for(xml))
    assert "lacks async and full" in problem


def test_internal_number_the_expression_does_not_match(xml: Path) -> None:
    (problem,) = check_freeswitch_xml(config_for(xml, numbers=NumbersConfig(internal="4000")))
    assert "numbers.internal 4000" in problem
    assert "^(34[0-9][0-9])$" in problem
    assert f"{xml / INTERNAL}:{line_of(xml / INTERNAL, 'destination_number')}" in problem


def test_external_number_the_expression_does_not_match(xml: Path) -> None:
    config = config_for(xml, numbers=NumbersConfig(internal="3400", external="+4930555001"))
    (problem,) = check_freeswitch_xml(config)
    assert "numbers.external +4930555001" in problem


def test_expression_python_cannot_read_is_reported(xml: Path) -> None:
    edit(xml / INTERNAL, "^(34[0-9][0-9])$", "^(34[0-9][0-9]$")
    problems = check_freeswitch_xml(config_for(xml))
    assert any("cannot be checked" in p and str(xml / INTERNAL) in p for p in problems)


def test_no_extension_for_fs_conf(xml: Path) -> None:
    for path in (xml / INTERNAL, xml / EXTERNAL):
        edit(path, 'application="socket" data="127.0.0.1:8084 async full"', 'application="park"')
    (problem,) = check_freeswitch_xml(config_for(xml))
    assert "no extension hands calls to fs_conf" in problem


def test_other_sockets_in_other_extensions_are_left_alone(xml: Path) -> None:
    (xml / "dialplan/default/other.xml").write_text(
        '<include><extension name="crm"><condition field="destination_number" expression="^9$">'
        '<action application="socket" data="10.0.0.9:9000"/></condition></extension></include>',
        encoding="utf-8",
    )
    assert check_freeswitch_xml(config_for(xml)) == []


def test_malformed_dialplan_names_file_and_line(xml: Path) -> None:
    edit(xml / INTERNAL, "</condition>", "</conditio>")
    problems = check_freeswitch_xml(config_for(xml))
    expected = f"{xml / INTERNAL}:{line_of(xml / INTERNAL, '</conditio>')}: not well-formed XML"
    assert any(p.startswith(expected) for p in problems)


def test_malformed_conference_conf_names_file_and_line(xml: Path) -> None:
    edit(
        xml / CONFERENCE, '<group name="fs_conf-participant">', '<group name="fs_conf-participant>'
    )
    (problem,) = check_freeswitch_xml(config_for(xml))
    assert problem.startswith(f"{xml / CONFERENCE}:")
    assert "not well-formed XML" in problem


def test_missing_conference_conf(xml: Path) -> None:
    (xml / CONFERENCE).unlink()
    (problem,) = check_freeswitch_xml(config_for(xml))
    assert problem.startswith(f"{xml / CONFERENCE}: cannot read")


def test_missing_folder(tmp_path: Path) -> None:
    (problem,) = check_freeswitch_xml(config_for(tmp_path / "nowhere"))
    assert "FreeSWITCH XML folder not found" in problem


def test_profile_not_in_conference_conf(xml: Path) -> None:
    (problem,) = check_freeswitch_xml(config_for(xml, profile="bridge"))
    assert "no conference profile named 'bridge'" in problem
    assert "freeswitch.conference_profile" in problem


def test_missing_group(xml: Path) -> None:
    edit(xml / CONFERENCE, '<group name="fs_conf-participant">', '<group name="participants">')
    (problem,) = check_freeswitch_xml(config_for(xml))
    assert "no caller-controls group named 'fs_conf-participant'" in problem


def test_self_mute_missing_in_a_group(xml: Path) -> None:
    edit(
        xml / CONFERENCE,
        '<group name="fs_conf-participant">\n      <control action="mute" digits="0"/>',
        '<group name="fs_conf-participant">\n      <control action="deaf mute" digits="0"/>',
    )
    (problem,) = check_freeswitch_xml(config_for(xml))
    line = line_of(xml / CONFERENCE, '<group name="fs_conf-participant">')
    assert problem.startswith(f"{xml / CONFERENCE}:{line}: group fs_conf-participant")
    assert "does not bind 0 to mute" in problem


def test_configured_key_not_bound(xml: Path) -> None:
    config = config_for(xml, ivr=IvrConfig(keypad={"end": "*7"}))
    (problem,) = check_freeswitch_xml(config)
    assert "does not bind *7 (ivr.keypad.end) to event" in problem


def test_key_bound_to_another_action(xml: Path) -> None:
    edit(
        xml / CONFERENCE,
        '<control action="event" digits="*3"/>',
        '<control action="lock" digits="*3"/>',
    )
    (problem,) = check_freeswitch_xml(config_for(xml))
    line = line_of(xml / CONFERENCE, 'digits="*3"')
    assert problem.startswith(f"{xml / CONFERENCE}:{line}:")
    assert "binds *3 to 'lock', but ivr.keypad.lock needs `event`" in problem


def test_hash_hangup_binding_is_named(xml: Path) -> None:
    edit(
        xml / CONFERENCE,
        '<control action="event" digits="*9"/>',
        '<control action="event" digits="*9"/>\n      <control action="hangup" digits="#"/>',
    )
    (problem,) = check_freeswitch_xml(config_for(xml))
    assert problem.startswith(f"{xml / CONFERENCE}:{line_of(xml / CONFERENCE, 'hangup')}:")
    assert "binds # to hangup" in problem


def test_bad_keypad_config_is_one_of_the_problems(xml: Path) -> None:
    (problem,) = check_freeswitch_xml(config_for(xml, ivr=IvrConfig(keypad={"end": "*1"})))
    assert problem.startswith("ivr.keypad.end:")


def test_recordings_dir_with_a_space(xml: Path) -> None:
    config = config_for(xml, ivr=IvrConfig(recordings_dir="/srv/conference recordings"))
    (problem,) = check_freeswitch_xml(config)
    assert problem.startswith("ivr.recordings_dir:")


def test_parse_xml_keeps_lines(xml: Path) -> None:
    root = parse_xml(xml / CONFERENCE)
    assert root.tag == "configuration"
    moderator = [g for g in root.iter("group") if g.attrs["name"] == "fs_conf-moderator"][0]
    assert moderator.line == line_of(xml / CONFERENCE, '<group name="fs_conf-moderator">')


def test_a_profile_without_a_long_enough_dtmf_timeout_is_named(xml: Path) -> None:
    timeout = '<param name="ivr-dtmf-timeout" value="2000"/>'
    edit(xml / CONFERENCE, timeout, '<param name="ivr_dtmf_timeout" value="800"/>')
    (problem,) = check_freeswitch_xml(config_for(xml))
    line = line_of(xml / CONFERENCE, "ivr_dtmf_timeout")
    assert problem.startswith(f"{xml / CONFERENCE}:{line}: profile fs_conf waits 800 ms")
    edit(xml / CONFERENCE, '<param name="ivr_dtmf_timeout" value="800"/>', "")
    (problem,) = check_freeswitch_xml(config_for(xml))
    line = line_of(xml / CONFERENCE, '<profile name="fs_conf">')
    assert problem.startswith(f"{xml / CONFERENCE}:{line}: profile fs_conf waits 500 ms")
    assert "at least 1500" in problem
