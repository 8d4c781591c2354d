"""A FreeSWITCH sound folder for the simulator: a short silent WAV for every file fs_conf may
play and the shipped conference profile names, laid out as the callie set is
(`conference/8000/conf-pin.wav`), less the files named."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from fs_conf.checks.live import sounds
from fs_conf.config import Config
from tests.ivr.conftest import SHIPPED_CONFERENCE

RATE = 8000


def silent_wav(seconds: float = 0.2) -> bytes:
    data = b"\0\0" * int(RATE * seconds)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(data)) + data


def profile_sounds() -> list[str]:
    """The files the shipped conference profile's `*-sound` parameters name."""
    params = ET.parse(SHIPPED_CONFERENCE).getroot().iter("param")
    values = [p.get("value", "") for p in params if p.get("name", "").endswith("-sound")]
    return [value for value in values if value.endswith(".wav")]


def write_sound_set(root: Path, missing: Iterable[str] = ()) -> Path:
    """Every file of `sounds(Config(), [])` and `profile_sounds()` under `root`, in its
    8000 Hz folder, except `missing`; returns `root` (the simulator's sounds_dir, FreeSWITCH's
    sound_prefix)."""
    left_out = set(missing)
    for relative in {*(sound.file for sound in sounds(Config(), [])), *profile_sounds()}:
        if relative in left_out:
            continue
        path = root / relative
        path = path.parent / str(RATE) / path.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(silent_wav())
    return root
