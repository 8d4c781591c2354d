"""Prompts FreeSWITCH could not play, logged as errors naming the file.

FreeSWITCH goes on without a word when a sound file is missing; what each way of playing
leaves behind is read here. Why and how: docs/ivr.md#prompts-that-cannot-be-played
"""

from __future__ import annotations

import logging

from fs_conf.esl import ConferenceAPIError, DigitsResult, ESLError, Event

log = logging.getLogger(__name__)

UNPLAYED_RESPONSES = frozenset({"FILE NOT FOUND", "PLAYBACK ERROR"})
"""playback's Application-Response when nothing was played (mod_dptools.c playback_function)."""


def check_playback(event: Event, file: str, call: str) -> None:
    """Log an error when `playback` of `file` did not play."""
    response = event.get("Application-Response", "")
    if response in UNPLAYED_RESPONSES:
        log.error("call %r: prompt %s could not be played: %s", call, file, response)


def check_prompt(result: DigitsResult, file: str, call: str) -> None:
    """Log an error when play_and_get_digits could not play its prompt `file`.
    switch_ivr_read() leaves read_result unset only when the prompt did not open
    (src/switch_ivr_play_say.c), and then every try ends at once."""
    if not (result.read_result or result.digits):
        log.error("call %r: prompt %s could not be played: FILE NOT FOUND", call, file)


def room_play_failed(room: str, file: str, error: ESLError, member: int | None = None) -> None:
    """Log a `conference play` that failed: an error for a missing file (conference_api.c
    answers `-ERR (play) File: <file> not found.`), a warning otherwise."""
    missing = isinstance(error, ConferenceAPIError) and error.reply.startswith("-ERR (play) File:")
    log.log(
        logging.ERROR if missing else logging.WARNING,
        "room %s: prompt %s%s could not be played: %r",
        room,
        file,
        "" if member is None else f" for member {member}",
        error,
    )
