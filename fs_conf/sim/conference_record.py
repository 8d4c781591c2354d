"""A room's recording (`conference <room> record <path>`): a WAV file that grows with the room.

Follows src/mod/applications/mod_conference/conference_record.c
conference_record_thread_run(): the missing folders are made, the file is opened at the
room's rate, one mixed frame is written per timer tick until `norecord` or the room's end,
and the file is closed. There is no audio here, so the frames are silence; their number
follows the simulator's clock (call seconds, so a scaled run writes the call's length).
"""

from __future__ import annotations

import os
import time
import wave

import gevent

from fs_conf.sim.clock import Clock

# conference_record.c opens the file through switch_core_file_open(): a path with a URL
# separator needs a format module (http_cache, shout, ...) the simulator does not have.
URL_SEPARATOR = "://"
# How often the file grows, in real seconds: often enough that a reader sees it grow, not
# so often that a fast clock spends its time writing (FreeSWITCH writes every 20 ms).
SHORTEST_TICK = 0.02
LONGEST_TICK = 0.5
# Silence is written in pieces of at most this many frames.
CHUNK_FRAMES = 8000


def file_path(path: str) -> str:
    """The file behind `path`: leading `{key=value}` file parameters stripped, as
    conference_record_thread_run() strips them before it makes the folder."""
    path = path.lstrip()
    while path.startswith("{") and "}" in path:
        path = path[path.index("}") + 1 :].lstrip()
    return path


class RoomRecording:
    """One open recording: `open()`, then the file grows until `close()`."""

    def __init__(self, path: str, rate: int, clock: Clock) -> None:
        self.path = path
        self.rate = rate
        self.clock = clock
        self.samples_out = 0
        self._started = 0.0
        self._file: wave.Wave_write | None = None
        self._writer: gevent.Greenlet | None = None

    def open(self) -> bool:
        """Make the folder and open the file; False if it cannot be opened (FreeSWITCH then
        fires start-recording with an Error header and records nothing)."""
        target = file_path(self.path)
        if URL_SEPARATOR in target:
            return False
        try:
            folder = os.path.dirname(target)
            if folder:
                # switch_dir_make_recursive(path, SWITCH_DEFAULT_DIR_PERMS): 0755 less umask.
                os.makedirs(folder, mode=0o755, exist_ok=True)
            handle = wave.open(target, "wb")
        except OSError:
            return False
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(self.rate)
        self._file = handle
        self._started = time.monotonic()
        self._writer = gevent.spawn(self._grow)
        return True

    @property
    def milliseconds(self) -> int:
        """Milliseconds-Elapsed as conference_record_thread_run() reports it."""
        return self.samples_out // (self.rate // 1000)

    def close(self) -> None:
        """Write the frames up to now and close the file (norecord or the room's end)."""
        if self._writer is not None:
            self._writer.kill()
            self._writer = None
        if self._file is not None:
            self._write_until_now()
            self._file.close()
            self._file = None

    def _grow(self) -> None:
        tick = min(max(self.clock.real(1.0), SHORTEST_TICK), LONGEST_TICK)
        while True:
            gevent.sleep(tick)
            self._write_until_now()

    def _write_until_now(self) -> None:
        if self._file is None:
            return
        due = int(self.clock.call_seconds_since(self._started) * self.rate)
        while self.samples_out < due:
            frames = min(due - self.samples_out, CHUNK_FRAMES)
            self._file.writeframes(b"\0\0" * frames)
            self.samples_out += frames
