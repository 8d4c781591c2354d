"""The voice prompts callers hear: their names, default sound files and the admin's overrides.

Defaults are FreeSWITCH's standard English voice ("callie", sounds/en/us/callie, their text in
FreeSWITCH's docs/phrase/phrase_en.xml). Overrides come from `ivr.prompts` by name; an unknown
name is a configuration error naming `ivr.prompts.<name>`. The list: docs/prompts.md
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fs_conf.errors import ValidationError

if TYPE_CHECKING:
    # Only for the annotation: fs_conf.config may import check_overrides from here.
    from fs_conf.config import Config


@dataclass(frozen=True)
class PromptSpec:
    """One prompt: its name, the file played unless overridden, and when it is heard."""

    name: str
    default: str
    heard: str


PROMPTS: tuple[PromptSpec, ...] = (
    # Dial-in
    PromptSpec("welcome", "conference/conf-welcome.wav", "first thing after answering"),
    PromptSpec(
        "conference_id", "conference/conf-enter_conf_number.wav", "asks for the conference ID"
    ),
    PromptSpec("pin", "conference/conf-pin.wav", "asks for the PIN"),
    PromptSpec("bad_pin", "conference/conf-bad-pin.wav", "after a wrong PIN"),
    PromptSpec("goodbye", "conference/conf-goodbye.wav", "before every hangup by fs_conf"),
    PromptSpec("locked_out", "ivr/ivr-access_denied.wav", "caller or number locked out"),
    PromptSpec(
        "too_early", "ivr/ivr-please_return_our_call_at.wav", "before the opening time is said"
    ),
    # Callie has no "the conference has ended"; "your call cannot be completed as dialed".
    PromptSpec("ended", "ivr/ivr-call_cannot_be_completed_as_dialed.wav", "the conference is over"),
    # Callie has no "the conference was cancelled"; "the call attempt has been aborted".
    PromptSpec("cancelled", "ivr/ivr-call_attempt_aborted.wav", "the conference was cancelled"),
    PromptSpec("locked", "conference/conf-locked.wav", "participant calling into a locked room"),
    PromptSpec("full", "conference/conf-conference_is_full.wav", "room at its maximum size"),
    # Joining
    PromptSpec("alone", "conference/conf-alone.wav", "nobody is in the room yet"),
    PromptSpec(
        "one_other", "conference/conf-one_other_member_conference.wav", "one person is in the room"
    ),
    PromptSpec("there_are", "ivr/ivr-there_are.wav", "before the number of people in the room"),
    PromptSpec(
        "members_in_conference",
        "conference/conf-members_in_conference.wav",
        "after the number of people in the room",
    ),
    PromptSpec(
        "wait_for_moderator",
        "conference/conf-conference_will_start_shortly.wav",
        "participant waits for the moderator",
    ),
    PromptSpec("joined_muted", "conference/conf-muted.wav", "participant joins muted"),
    PromptSpec("say_name", "ivr/ivr-say_name.wav", "asks the caller to say their name"),
    PromptSpec("name_beep", "tone_stream://%(250,0,800)", "the tone before the name recording"),
    PromptSpec("has_joined", "conference/conf-has_joined.wav", "to the room, after a name"),
    PromptSpec("has_left", "conference/conf-has_left.wav", "to the room, after a name"),
    # Keypad confirmations (fs_conf.keypad)
    PromptSpec("muted_all", "conference/conf-muted.wav", "moderator muted all participants"),
    PromptSpec("unmuted_all", "conference/conf-unmuted.wav", "moderator unmuted everyone"),
    PromptSpec("room_locked", "conference/conf-is-locked.wav", "moderator locked the room"),
    PromptSpec("room_unlocked", "conference/conf-is-unlocked.wav", "moderator unlocked the room"),
    PromptSpec("removed_last", "ivr/ivr-has_been_removed.wav", "moderator removed the last joiner"),
    PromptSpec(
        "extended", "ivr/ivr-thank_you_for_holding.wav", "moderator extended the conference"
    ),
    PromptSpec("recording_started", "ivr/ivr-recording_started.wav", "recording is now on"),
    PromptSpec("recording_stopped", "ivr/ivr-recording_stopped.wav", "recording is now off"),
    PromptSpec(
        "conference_ending", "conference/conf-goodbye.wav", "moderator ended the conference"
    ),
    PromptSpec("not_allowed", "ivr/ivr-not_have_permission.wav", "a key the caller may not use"),
    # Call-outs (fs_conf.ivr.callout): the callee hears who calls, then the conference number
    # digit by digit, and is asked to press 1 (the phone shows the title as caller name).
    PromptSpec("callout_intro", "ivr/ivr-this_is_a_call_from.wav", "callee of a call-out, first"),
    PromptSpec("callout_accept", "ivr/ivr-to_accept_press_one.wav", "callee: press 1 to join"),
    PromptSpec(
        "callout_invalid", "ivr/ivr-that_was_an_invalid_entry.wav", "callee pressed another key"
    ),
    # The scheduler's warning before the end (fs_conf.scheduler.actions), played into the room:
    # by default "Less than ... five ... minutes" (number and unit from callie's digits/ and
    # time/ recordings); an override is played alone, so it says the whole sentence.
    PromptSpec("ending_soon", "ivr/ivr-less_than.wav", "to the room, minutes before the end"),
)

DEFAULTS: dict[str, str] = {spec.name: spec.default for spec in PROMPTS}


def check_overrides(overrides: Mapping[str, str]) -> None:
    """Raise ValidationError (`ivr.prompts.<name>`) for an unknown name or an unusable file."""
    for name, file in overrides.items():
        field = f"ivr.prompts.{name}"
        if name not in DEFAULTS:
            raise ValidationError(field, name, f"unknown prompt (known: {', '.join(DEFAULTS)})")
        if not isinstance(file, str) or not file or any(ch.isspace() for ch in file):
            # playback takes the file as one word of the application argument.
            raise ValidationError(field, file, "must be a sound file path without spaces")


class Prompts:
    """The file to play for each prompt name: the admin's override, else the default."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        check_overrides(overrides or {})
        self._files = {**DEFAULTS, **(overrides or {})}

    @classmethod
    def from_config(cls, config: Config) -> Prompts:
        return cls(config.ivr.prompts)

    def file(self, name: str) -> str:
        """The sound for prompt `name`; KeyError for a name fs_conf does not know."""
        try:
            return self._files[name]
        except KeyError:
            raise KeyError(f"no prompt named {name!r}") from None

    def __getitem__(self, name: str) -> str:
        return self.file(name)
