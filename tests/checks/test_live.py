"""`fs-conf check --live`'s prompt check: which files it looks for, and where (the whole
command against the simulator's Event Socket: tests/reliability/test_check_live.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fs_conf.checks.live import sound_problems, sounds
from fs_conf.config import Config, IvrConfig
from fs_conf.sim import SimConfig, Simulator


def with_prompts(**prompts: str) -> Config:
    return dataclasses.replace(Config(), ivr=IvrConfig(prompts=prompts))


def sound_files(config: Config) -> list[str]:
    """The files looked for, less the conference profile's."""
    return [sound.file for sound in sounds(config, [])]


def test_the_files_are_the_prompts_as_overridden_and_the_words_said() -> None:
    files = sound_files(with_prompts(pin="/opt/voice/pin.wav"))
    assert "/opt/voice/pin.wav" in files and "conference/conf-pin.wav" not in files
    assert "conference/conf-welcome.wav" in files
    assert {"digits/19.wav", "digits/h-30.wav", "time/mon-11.wav", "time/minutes.wav"} <= set(files)
    assert not [file for file in files if "://" in file]
    assert len(files) == len(set(files))


def test_a_file_is_found_in_a_rate_folder_beside_it_or_by_its_absolute_path(
    tmp_path: Path,
) -> None:
    own = tmp_path / "own" / "pin.wav"
    own.parent.mkdir()
    own.write_bytes(b"RIFF")
    config = with_prompts(pin=str(own))
    sounds = tmp_path / "sounds"
    for index, file in enumerate(sound_files(config)):
        if file.startswith("/") or file == "conference/conf-welcome.wav":
            continue
        path = sounds / file
        if index % 2:  # half in the set's 16000 Hz folders, half beside them
            path = path.parent / "16000" / path.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF")
    sim = Simulator(SimConfig(sounds_dir=sounds))
    [problem] = sound_problems(sim.api, config)
    assert problem.startswith("conference/conf-welcome.wav (prompt welcome) is not in")
    assert "ivr.prompts.welcome" in problem


def test_without_a_sound_prefix_files_are_looked_for_under_base_dir(tmp_path: Path) -> None:
    # switch_ivr_play_file() (src/switch_ivr_play_say.c) prefixes a relative file with the
    # sound_prefix variable, else with base_dir.
    unset = {"sound_prefix": ""}
    sim = Simulator(SimConfig(global_vars={**unset, "base_dir": str(tmp_path)}))
    problems = sound_problems(sim.api, Config())
    assert problems and all(f" no {tmp_path}/" in problem for problem in problems)
    [problem] = sound_problems(Simulator(SimConfig(global_vars=unset)).api, Config())
    assert problem.startswith("FreeSWITCH has neither a sound_prefix nor a base_dir")
