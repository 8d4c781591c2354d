"""Issue 10, item 11 (a): `fs-conf check --live` asks the running FreeSWITCH (here the
simulator, answering `module_exists`, `xml_locate`, `global_getvar` and `file_exists` as
mod_commands.c does) whether it has what fs_conf needs, and names what is missing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fs_conf.cli.main import main
from fs_conf.sim import SimConfig, Simulator
from fs_conf.sim.core import DEFAULT_MODULES
from tests.ivr.conftest import SHIPPED_CONFERENCE, SHIPPED_DIALPLAN

from .sound_set import write_sound_set

PASSWORD = "s3cret-esl"
LIVE = ("live-password", "live-modules", "live-conference", "live-dialplan", "live-prompts")


@dataclasses.dataclass
class Outcome:
    status: int
    out: str
    errors: list[str]

    def problems(self, check: str) -> list[str]:
        return [line for line in self.errors if line.startswith(f"fs-conf: {check}: ")]


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    return write_sound_set(tmp_path / "sounds")


@pytest.fixture
def switch(sounds: Path) -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def start(**changes: object) -> Simulator:
        config = SimConfig(
            dialplan=SHIPPED_DIALPLAN,
            conference_config=SHIPPED_CONFERENCE,
            sounds_dir=sounds,
            password=PASSWORD,
        )
        started.append(Simulator(dataclasses.replace(config, **changes)).start())
        return started[-1]

    yield start
    for sim in started:
        sim.stop()


def check_live(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], password: str = PASSWORD
) -> Outcome:
    host, port = sim.esl_address
    config = tmp_path / "fs_conf.yaml"
    config.write_text(
        f"database: {tmp_path / 'fs_conf.sqlite3'}\n"
        f"mail: {{folder: {tmp_path / 'mail'}}}\n"
        f"freeswitch:\n  esl: {{host: {host}, port: {port}, password: {password}}}\n",
        encoding="utf-8",
    )
    status = main(["--config", str(config), "check", "--live"])
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err.splitlines())


def test_a_freeswitch_with_the_shipped_files_passes(
    switch: Callable[..., Simulator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = check_live(switch(), tmp_path, capsys)
    assert (outcome.status, outcome.errors) == (0, [])
    for name in LIVE:
        assert f"ok      {name}\n" in outcome.out


def test_a_missing_prompt_file_is_named(
    switch: Callable[..., Simulator],
    sounds: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (sounds / "ivr" / "8000" / "ivr-to_accept_press_one.wav").unlink()
    outcome = check_live(switch(), tmp_path, capsys)
    assert outcome.status == 2
    assert "FAILED  live-prompts" in outcome.out
    [problem] = outcome.problems("live-prompts")
    assert problem.startswith(
        "fs-conf: live-prompts: ivr/ivr-to_accept_press_one.wav (prompt callout_accept) "
        f"is not in FreeSWITCH's sounds: no {sounds.resolve()}/ivr/ivr-to_accept_press_one.wav"
    ), problem
    assert "ivr.prompts.callout_accept" in problem


def test_a_missing_conference_profile_is_named(
    switch: Callable[..., Simulator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "conference.conf.xml"
    text = SHIPPED_CONFERENCE.read_text(encoding="utf-8")
    other.write_text(text.replace('<profile name="fs_conf">', '<profile name="other">'))
    outcome = check_live(switch(conference_config=other), tmp_path, capsys)
    assert outcome.status == 2
    [problem] = outcome.problems("live-conference")
    assert "no conference profile named 'fs_conf' (freeswitch.conference_profile)" in problem
    assert "reload mod_conference" in problem


def test_the_default_password_is_warned_about(
    switch: Callable[..., Simulator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = check_live(switch(password="ClueCon"), tmp_path, capsys, password="ClueCon")
    assert outcome.status == 2
    [problem] = outcome.problems("live-password")
    assert "default password (ClueCon)" in problem
    assert "event_socket.conf.xml" in problem
    assert all(f"ok      {name}\n" in outcome.out for name in LIVE if name != "live-password")


def test_a_missing_module_and_an_unrouted_number_are_named(
    switch: Callable[..., Simulator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "dialplan.xml"
    empty.write_text('<include><context name="default"/></include>\n', encoding="utf-8")
    sim = switch(modules=DEFAULT_MODULES - {"mod_conference"}, dialplan=empty)
    outcome = check_live(sim, tmp_path, capsys)
    assert outcome.status == 2
    [module] = outcome.problems("live-modules")
    assert module.startswith("fs-conf: live-modules: mod_conference is not loaded"), module
    [route] = outcome.problems("live-dialplan")
    assert "in context default takes numbers.internal 3400" in route, route


def test_an_unreachable_freeswitch_is_one_line(
    switch: Callable[..., Simulator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = check_live(switch(), tmp_path, capsys, password="wrong")
    assert outcome.status == 2
    [problem] = outcome.problems("live")
    assert "cannot reach FreeSWITCH's Event Socket" in problem
    assert "wrong" not in problem
