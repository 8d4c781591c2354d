"""Sound lengths and paths: what a prompt would take to play and where FreeSWITCH finds it.

Files play for their real length; tone_stream:// and silence_stream:// lengths are computed
(src/switch_ivr_play_say.c, src/mod/formats/mod_tone_stream). Missing files:
docs/simulator.md#sessions-and-applications
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

# Where FreeSWITCH's default install keeps the callie voice (used in event paths only).
DEFAULT_SOUND_PREFIX = "/usr/share/freeswitch/sounds/en/us/callie"
CALL_RATE = 8000
"""The simulated calls' sample rate (PCMU)."""
RATES = (48000, 32000, 16000, 8000)
"""The rate folders mod_sndfile tries after the call's own, highest first."""
TONE_SEGMENT = re.compile(r"%\(([^)]*)\)")


@dataclass(frozen=True)
class Sound:
    """A resolved playable: its event path, length in call seconds (None: endless), presence."""

    path: str
    seconds: float | None
    exists: bool = True


@dataclass
class SoundLibrary:
    sounds_dir: Path | None
    default_seconds: float = 1.0

    def resolve(self, target: str) -> Sound:
        """What `playback <target>` would play."""
        if target.startswith("tone_stream://"):
            return Sound(target, tone_seconds(target[len("tone_stream://") :]))
        if target.startswith("silence_stream://"):
            return Sound(target, silence_seconds(target[len("silence_stream://") :]))
        if target.startswith("say:"):
            words = max(len(target[4:].split()), 1)
            return Sound(target, 0.4 * words)
        return self._file(target)

    def _file(self, target: str) -> Sound:
        path = Path(target)
        if self.sounds_dir is None:
            full = target if path.is_absolute() else f"{DEFAULT_SOUND_PREFIX}/{target}"
            seconds = wav_seconds(path) if path.is_absolute() and path.is_file() else None
            return Sound(full, seconds if seconds is not None else self.default_seconds)
        full_path = path if path.is_absolute() else self.sounds_dir / path
        # Events name the path as played; the rate folder is mod_sndfile's own business.
        found = next((p for p in rate_paths(full_path) if p.is_file()), None)
        if found is None:
            return Sound(str(full_path), 0.0, exists=False)
        seconds = wav_seconds(found)
        return Sound(str(full_path), seconds if seconds is not None else self.default_seconds)


def rate_paths(path: Path) -> list[Path]:
    """Where mod_sndfile looks for `dir/name`: `dir/<call rate>/name`, then every rate folder
    from the highest down, then `dir/name` itself (src/mod/formats/mod_sndfile/mod_sndfile.c
    sndfile_file_open), as FreeSWITCH's sound sets keep `conference/8000/conf-pin.wav`."""
    rates = (CALL_RATE, *RATES)
    return [path.parent / str(rate) / path.name for rate in rates] + [path]


def wav_seconds(path: Path) -> float | None:
    """Length of a RIFF/WAVE file from its fmt byte rate and data size; None if unreadable."""
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
            if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                return None
            byte_rate = 0
            while True:
                chunk = handle.read(8)
                if len(chunk) < 8:
                    return None
                chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if chunk_id == b"fmt ":
                    fmt = handle.read(size)
                    if len(fmt) < 12:
                        return None
                    byte_rate = struct.unpack("<I", fmt[8:12])[0]
                elif chunk_id == b"data":
                    return size / byte_rate if byte_rate else None
                else:
                    handle.seek(size + (size & 1), 1)
    except OSError:
        return None


def tone_seconds(spec: str) -> float | None:
    """teletone spec: each %(on,off,freqs) adds on+off ms; loops=N / L=N repeat; -1 endless."""
    total_ms = 0.0
    for segment in TONE_SEGMENT.findall(spec):
        parts = [p.strip() for p in segment.split(",")]
        try:
            total_ms += float(parts[0]) + (float(parts[1]) if len(parts) > 1 else 0.0)
        except ValueError:
            continue
    loops = 1
    match = re.search(r"(?:loops|L)=(-?\d+)", spec)
    if match:
        loops = int(match.group(1))
    if loops < 0:
        return None
    return total_ms * max(loops, 1) / 1000.0


def silence_seconds(spec: str) -> float | None:
    """silence_stream://<ms>[,<level>]; zero or negative is endless."""
    try:
        millis = int(spec.split(",")[0])
    except ValueError:
        return None
    return millis / 1000.0 if millis > 0 else None
