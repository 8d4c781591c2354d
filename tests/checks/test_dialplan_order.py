"""`fs-conf check` with `freeswitch.conf_dir`: an installed FreeSWITCH whose dialplan takes a
conference number before fs_conf's extension is named with file and line.

The installed conf folder is a stock-shaped dialplan (tests/checks/data/stock_conf, the order of
FreeSWITCH's conf/vanilla/dialplan/*.xml) with the shipped fs_conf files copied in, as the
README tells admins to.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from fs_conf.checks.dialplan_order import dialplan_order_problems
from fs_conf.checks.run import default_checks, run_checks
from fs_conf.config import Config, FreeswitchConfig, NumbersConfig
from tests.ivr.conftest import SHIPPED_DIALPLAN

STOCK = Path(__file__).parent / "data" / "stock_conf"
EXTERNAL = "+4930555000"


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """An installed FreeSWITCH conf folder: the stock dialplan plus fs_conf's two files."""
    folder = tmp_path / "freeswitch"
    shutil.copytree(STOCK, folder)
    for context in ("default", "public"):
        (folder / "dialplan" / context).mkdir()
        shutil.copy(SHIPPED_DIALPLAN / context / "fs_conf.xml", folder / "dialplan" / context)
    return folder


def config_for(conf: Path, internal: str = "3400", external: str = EXTERNAL) -> Config:
    return dataclasses.replace(
        Config(),
        freeswitch=FreeswitchConfig(conf_dir=str(conf)),
        numbers=NumbersConfig(internal=internal, external=external),
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if fragment in line)


def test_the_shipped_range_reaches_fs_conf_on_a_stock_freeswitch(conf: Path) -> None:
    assert dialplan_order_problems(config_for(conf)) == []
    assert Config().numbers.internal == "3400"
    assert (
        dialplan_order_problems(dataclasses.replace(config_for(conf), numbers=Config().numbers))
        == []
    )


def test_30xx_is_taken_by_the_stock_nb_conferences_extension(conf: Path) -> None:
    ours = conf / "dialplan" / "default" / "fs_conf.xml"
    edit(ours, "^(34[0-9][0-9])$", "^(30[0-9][0-9])$")
    (problem,) = dialplan_order_problems(config_for(conf, internal="3000"))
    stock = conf / "dialplan" / "default.xml"
    nb_line = line_of(stock, 'name="nb_conferences"')
    assert problem.startswith(f"{stock}:{nb_line}: extension 'nb_conferences'")
    assert "'^(30\\d{2})$'" in problem and "numbers.internal 3000" in problem
    assert f"before fs_conf's extension at {ours}:{line_of(ours, '<extension')}" in problem


@pytest.mark.parametrize("number", ["3100", "3250", "3399", "3500"])
def test_every_stock_conference_range_is_named(conf: Path, number: str) -> None:
    ours = conf / "dialplan" / "default" / "fs_conf.xml"
    edit(ours, "^(34[0-9][0-9])$", "^(3[0-9][0-9][0-9])$")
    (problem,) = dialplan_order_problems(config_for(conf, internal=number))
    assert "conferences'" in problem and f"numbers.internal {number}" in problem


def test_removing_nb_conferences_gives_30xx_to_fs_conf(conf: Path) -> None:
    edit(conf / "dialplan" / "default" / "fs_conf.xml", "^(34[0-9][0-9])$", "^(30[0-9][0-9])$")
    stock = conf / "dialplan" / "default.xml"
    text = stock.read_text(encoding="utf-8")
    start = text.index('    <extension name="nb_conferences">')
    end = text.index("</extension>", start) + len("</extension>\n")
    stock.write_text(text[:start] + text[end:], encoding="utf-8")
    assert dialplan_order_problems(config_for(conf, internal="3000")) == []


def test_a_number_no_fs_conf_extension_takes_names_where_its_calls_go(conf: Path) -> None:
    (problem,) = dialplan_order_problems(config_for(conf, internal="3000"))
    stock = conf / "dialplan" / "default.xml"
    assert "no fs_conf extension (socket 127.0.0.1:8084 async full) in context default" in problem
    assert f"calls to it go to {stock}:{line_of(stock, 'nb_conferences')}" in problem


def test_a_catch_all_in_the_public_context_before_the_include_is_named(conf: Path) -> None:
    public = conf / "dialplan" / "public.xml"
    edit(
        public,
        '    <X-PRE-PROCESS cmd="include" data="public/*.xml"/>',
        '    <extension name="to_operator">\n      <condition>\n'
        '        <action application="transfer" data="0 XML default"/>\n      </condition>\n'
        '    </extension>\n    <X-PRE-PROCESS cmd="include" data="public/*.xml"/>',
    )
    (problem,) = dialplan_order_problems(config_for(conf))
    assert problem.startswith(f"{public}:{line_of(public, 'to_operator')}: extension 'to_operator'")
    assert f"numbers.external {EXTERNAL}" in problem


def test_extensions_gated_by_other_fields_or_continuing_are_not_reported(conf: Path) -> None:
    # from_kamailio_pcscf matches every number but only for one network address; global and
    # outside_call continue; enum comes after the include.
    assert dialplan_order_problems(config_for(conf)) == []


def test_an_anti_action_on_the_dialed_number_takes_every_other_number(conf: Path) -> None:
    stock = conf / "dialplan" / "default.xml"
    edit(
        stock,
        '<extension name="valet_park">',
        '<extension name="not_9999">\n      <condition field="destination_number" '
        'expression="^9999$">\n        <anti-action application="hangup"/>\n'
        '      </condition>\n    </extension>\n    <extension name="valet_park">',
    )
    (problem,) = dialplan_order_problems(config_for(conf))
    assert "extension 'not_9999' (anti-actions of destination_number '^9999$')" in problem


def test_nested_includes_are_followed_in_sorted_order(conf: Path) -> None:
    extra = conf / "dialplan" / "default"
    (extra / "00_first.xml").write_text(
        '<include><X-PRE-PROCESS cmd="include" data="more/*.xml"/></include>\n', encoding="utf-8"
    )
    (extra / "more").mkdir()
    (extra / "more" / "pbx.xml").write_text(
        '<include>\n<extension name="pbx_34">\n'
        '<condition field="destination_number" expression="^34"><action application="park"/>'
        "</condition>\n</extension>\n</include>\n",
        encoding="utf-8",
    )
    (problem,) = dialplan_order_problems(config_for(conf))
    assert problem.startswith(f"{extra / 'more' / 'pbx.xml'}:2: extension 'pbx_34'")


def test_an_expression_python_cannot_read_is_reported(conf: Path) -> None:
    edit(conf / "dialplan" / "default.xml", "^(31\\d{2})$", "^(31\\d{2}$")
    (problem,) = dialplan_order_problems(config_for(conf))
    assert "cannot be checked" in problem and "numbers.internal 3400" in problem


def test_a_folder_that_is_not_a_freeswitch_conf_folder(tmp_path: Path) -> None:
    (problem,) = dialplan_order_problems(config_for(tmp_path / "nowhere"))
    assert "no dialplan folder" in problem and "freeswitch.conf_dir" in problem


def test_without_conf_dir_nothing_is_read() -> None:
    assert dialplan_order_problems(Config()) == []


def test_fs_conf_check_reports_it_under_freeswitch(conf: Path) -> None:
    edit(conf / "dialplan" / "default" / "fs_conf.xml", "^(34[0-9][0-9])$", "^(30[0-9][0-9])$")
    results = {r.name: r for r in run_checks(config_for(conf, internal="3000"), default_checks())}
    assert any("'nb_conferences'" in p for p in results["freeswitch"].problems)
