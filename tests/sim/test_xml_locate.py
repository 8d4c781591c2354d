"""The API commands `fs-conf check --live` asks: xml_locate, module_exists, file_exists and
global_getvar, answered as mod_commands.c answers them."""

from __future__ import annotations

from pathlib import Path

from fs_conf.sim import SimConfig, Simulator
from fs_conf.sim.core import DEFAULT_MODULES

DIALPLAN = """<include>
  <X-PRE-PROCESS cmd="set" data="target=127.0.0.1:8084"/>
  <context name="default">
    <extension name="a&amp;b">
      <condition field="destination_number" expression="^(34\\d\\d)$">
        <action application="socket" data="$${target} async full"/>
      </condition>
    </extension>
  </context>
</include>
"""


def simulator(tmp_path: Path, **changes: object) -> Simulator:
    path = tmp_path / "dialplan.xml"
    path.write_text(DIALPLAN, encoding="utf-8")
    return Simulator(SimConfig(dialplan=path, **changes))


def test_xml_locate_answers_the_element_as_switch_xml_toxml_writes_it(tmp_path: Path) -> None:
    sim = simulator(tmp_path)
    assert sim.api("xml_locate dialplan context name default") == (
        '<context name="default">\n'
        '  <extension name="a&amp;b">\n'
        '    <condition field="destination_number" expression="^(34\\d\\d)$">\n'
        '      <action application="socket" data="127.0.0.1:8084 async full"/>\n'
        "    </condition>\n"
        "  </extension>\n"
        "</context>\n"
    )
    assert sim.api("xml_locate dialplan context name public") == "can't find anything\n"
    assert sim.api("xml_locate dialplan") == "can't find anything\n"
    assert sim.api("xml_locate dialplan context name") == "-ERR bad args\n"
    assert sim.api("xml_locate root").startswith(
        '<document type="freeswitch/xml">\n  <section name="dialplan">\n    <context'
    )


def test_module_exists_and_file_exists_answer_true_or_false(tmp_path: Path) -> None:
    sim = simulator(tmp_path, modules=DEFAULT_MODULES - {"mod_conference"})
    assert sim.api("module_exists mod_dptools") == "true"
    assert sim.api("module_exists mod_conference") == "false"
    assert sim.api("module_exists") == ""
    assert sim.api(f"file_exists {tmp_path / 'dialplan.xml'}") == "true"
    assert sim.api(f"file_exists {tmp_path}") == "true"
    assert sim.api(f"file_exists {tmp_path / 'nothing.wav'}") == "false"


def test_a_sounds_folder_is_the_sound_prefix(tmp_path: Path) -> None:
    assert simulator(tmp_path, sounds_dir=tmp_path).api("global_getvar sound_prefix") == str(
        tmp_path.resolve()
    )
