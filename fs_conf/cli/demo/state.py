"""What the demo's steps share: folder, configuration, store, the sample conference and
everything started along the way (closed in reverse order when the demo ends)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from fs_conf.clock import SettableClock
from fs_conf.config import Config
from fs_conf.model import Conference
from fs_conf.store import Store

if TYPE_CHECKING:
    from fs_conf.cli.demo.voice import VoiceStack
    from fs_conf.scheduler import Scheduler


@dataclass
class DemoRun:
    folder: Path
    config: Config
    store: Store
    # Shared by the IVR, the store and the scheduler; the steps move it to the sample
    # conference's start and end instead of waiting.
    clock: SettableClock
    out: TextIO
    conference: Conference | None = None
    voice: VoiceStack | None = None
    scheduler: Scheduler | None = None
    closing: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def now(self) -> datetime:
        return self.clock.now

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def sample(self) -> Conference:
        if self.conference is None:
            raise RuntimeError("the sample conference is created by an earlier step")
        return self.conference

    def schedule(self) -> Scheduler:
        if self.scheduler is None:
            raise RuntimeError("the scheduler is started by an earlier step")
        return self.scheduler

    def stack(self) -> VoiceStack:
        if self.voice is None:
            raise RuntimeError("the voice stack is started by an earlier step")
        return self.voice
