"""Loading FreeSWITCH dialplan XML and hunting it like mod_dialplan_xml."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_conf.sim.channel import CallerProfile, Channel
from fs_conf.sim.core import SimConfig, Simulator
from fs_conf.sim.dialplan import Dialplan, DialplanError

XML = """
<include>
  <X-PRE-PROCESS cmd="set" data="sock=127.0.0.1:8084"/>
  <context name="default">
    <extension name="set-inline" continue="true">
      <condition field="destination_number" expression="^.*$">
        <action application="set" data="seen=yes" inline="true"/>
      </condition>
    </extension>
    <extension name="ivr">
      <condition field="destination_number" expression="^(30\\d\\d)$">
        <action application="socket" data="$${sock} async full"/>
        <action application="log" data="dialed $1 seen=${seen}"/>
      </condition>
    </extension>
    <extension name="by-caller">
      <condition field="caller_id_number" expression="^\\+49"/>
      <condition field="destination_number" expression="^4000$">
        <action application="answer"/>
        <anti-action application="hangup" data="CALL_REJECTED"/>
      </condition>
    </extension>
    <extension name="var-field">
      <condition field="destination_number" expression="^5000$"/>
      <condition field="${vip}" expression="^true$" break="never">
        <action application="set" data="tier=vip"/>
        <anti-action application="set" data="tier=normal"/>
      </condition>
      <condition>
        <action application="park"/>
      </condition>
    </extension>
    <extension name="anti-only">
      <condition field="destination_number" expression="^6000$">
        <anti-action application="log" data="not 6000"/>
      </condition>
    </extension>
  </context>
</include>
"""


def channel(sim: Simulator, destination: str, caller: str = "100", **variables: str) -> Channel:
    profile = CallerProfile(
        "inbound", destination, "u-1", "test/1", "test", caller_id_number=caller
    )
    chan = Channel(sim.ctx, "test/1", profile)
    for key, value in variables.items():
        chan.set_var(key, value)
    return chan


@pytest.fixture
def plan_sim(tmp_path: Path) -> Simulator:
    path = tmp_path / "default.xml"
    path.write_text(XML)
    return Simulator(SimConfig(dialplan=path))


def test_captures_globals_and_inline_actions(plan_sim: Simulator) -> None:
    chan = channel(plan_sim, "3001")
    plan = plan_sim.ctx.dialplan.route(chan)
    assert plan == [("socket", "127.0.0.1:8084 async full"), ("log", "dialed 3001 seen=${seen}")]
    assert chan.get_var("seen") == "yes"


def test_failed_first_condition_breaks_extension(plan_sim: Simulator) -> None:
    assert plan_sim.ctx.dialplan.route(channel(plan_sim, "4000", caller="+4930")) == [
        ("answer", "")
    ]
    assert plan_sim.ctx.dialplan.route(channel(plan_sim, "4000", caller="030")) == [
        ("log", "not 6000")
    ]


def test_break_never_runs_anti_actions_and_continues(plan_sim: Simulator) -> None:
    plan = plan_sim.ctx.dialplan.route(channel(plan_sim, "5000", vip="true"))
    assert plan == [("set", "tier=vip"), ("park", "")]
    plan = plan_sim.ctx.dialplan.route(channel(plan_sim, "5000"))
    assert plan == [("set", "tier=normal"), ("park", "")]


def test_anti_actions_of_a_missed_extension_are_kept(plan_sim: Simulator) -> None:
    """mod_dialplan_xml adds anti-actions even when the extension does not match."""
    assert plan_sim.ctx.dialplan.route(channel(plan_sim, "9999")) == [("log", "not 6000")]


def test_unknown_destination_has_no_route(tmp_path: Path) -> None:
    path = tmp_path / "d.xml"
    path.write_text(XML.replace('<anti-action application="log" data="not 6000"/>', ""))
    sim = Simulator(SimConfig(dialplan=path))
    assert sim.ctx.dialplan.route(channel(sim, "9999")) is None


def test_directory_layout_uses_folder_as_context(tmp_path: Path) -> None:
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "x.xml").write_text(
        '<include><extension name="a"><condition field="destination_number" expression="^1$">'
        '<action application="answer"/></condition></extension></include>'
    )
    plan = Dialplan.load(tmp_path, {})
    assert plan.has_context("public") and not plan.has_context("default")


def test_pinned_globals_win_over_pre_process(tmp_path: Path) -> None:
    path = tmp_path / "d.xml"
    path.write_text(XML)
    sim = Simulator(SimConfig(dialplan=path, global_vars={"sock": "127.0.0.1:9"}))
    assert sim.ctx.dialplan.route(channel(sim, "3001"))[0] == ("socket", "127.0.0.1:9 async full")


def test_bad_files_name_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<include><context name='x'>")
    with pytest.raises(DialplanError, match="broken.xml: not well-formed"):
        Dialplan.load(broken, {})
    bad_regex = tmp_path / "regex.xml"
    bad_regex.write_text(
        '<context name="d"><extension name="e"><condition field="destination_number" '
        'expression="(["/></extension></context>'
    )
    with pytest.raises(DialplanError, match="bad expression"):
        Dialplan.load(bad_regex, {})
    with pytest.raises(DialplanError, match="no such file"):
        Dialplan.load(tmp_path / "missing.xml", {})


BREAKS = """
<include><context name="default">
  <extension name="on-true">
    <condition field="destination_number" expression="^7\\d$" break="on-true">
      <action application="log" data="A"/>
    </condition>
    <condition field="destination_number" expression="^7|8">
      <action application="log" data="B"/>
    </condition>
  </extension>
  <extension name="always">
    <condition field="destination_number" expression="^9$" break="always">
      <action application="log" data="C"/>
      <anti-action application="log" data="not C"/>
    </condition>
    <condition>
      <action application="log" data="never"/>
    </condition>
  </extension>
  <extension name="fallback">
    <condition field="destination_number" expression="^.*$">
      <action application="log" data="F"/>
    </condition>
  </extension>
</context></include>
"""


@pytest.mark.parametrize(
    ("destination", "plan"),
    [
        # on-true: a true condition ends the extension; a false one goes on to the next
        ("71", [("log", "A")]),
        ("8", [("log", "B")]),
        # always: the extension ends after its first condition, true or false; false means
        # it did not match, so hunting goes on (its anti-actions stay, as on-false does)
        ("9", [("log", "C")]),
        ("99", [("log", "not C"), ("log", "F")]),
    ],
)
def test_break_on_true_and_always(tmp_path: Path, destination: str, plan: list[object]) -> None:
    path = tmp_path / "d.xml"
    path.write_text(BREAKS)
    sim = Simulator(SimConfig(dialplan=path))
    assert sim.ctx.dialplan.route(channel(sim, destination)) == plan
