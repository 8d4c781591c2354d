"""A conference's participant list as requests give and change it: SPECs read as typed (from
the phone book too), duplicates refused, and people listed again matched to who they were, so
that they keep their id, PIN and status (a PIN too short for a promotion to moderator is
drawn again)."""

from __future__ import annotations

import dataclasses

from fs_conf import participants as participant_rules
from fs_conf.conferences.fields import deliverable_email
from fs_conf.conferences.requests import TypedParticipant
from fs_conf.config import Config
from fs_conf.errors import ValidationError
from fs_conf.model import Participant, Role
from fs_conf.phonebook import load_phonebook


def typed_participants(config: Config, specs: list[str], field_name: str) -> list[TypedParticipant]:
    """The participants `specs` name, each with the field and the SPEC as typed."""
    phonebook = load_phonebook(config.phonebook) if config.phonebook and specs else None
    typed = [
        TypedParticipant(
            participant_rules.parse_spec(spec, field_name, phonebook), field_name, spec
        )
        for spec in specs
    ]
    for entry in typed:
        if entry.participant.email:
            deliverable_email(entry.participant.email, field_name)
    return typed


def check_duplicates(base: list[Participant], typed: list[TypedParticipant]) -> None:
    """Refuse a typed participant whose address or number someone in `base` or an earlier
    typed one has, naming the SPEC as typed (`base` never holds duplicates itself)."""
    found = participant_rules.first_duplicate([*base, *(t.participant for t in typed)])
    if found is not None:
        culprit = typed[found.index - len(base)]
        raise ValidationError(culprit.field, culprit.spec, found.problem)


def changed_participants(
    current: list[Participant],
    replaced: list[TypedParticipant] | None,
    removed: list[str],
    added: list[TypedParticipant],
    moderator_length: int,
) -> list[Participant]:
    """`current` with the list `replaced` (None: kept), the participants `removed` names gone
    and `added` appended; new participants have no PIN yet."""
    result = current
    if replaced is not None:
        listed = [t.participant for t in replaced]
        result = _keep_identities(listed, current, moderator_length)
    for text in removed:
        gone = _find_participant(result, text)
        result = [p for p in result if p is not gone]
    check_duplicates(result, added)
    return result + [t.participant for t in added]


def _keep_identities(
    listed: list[Participant], current: list[Participant], moderator_length: int
) -> list[Participant]:
    """`listed` with the people already invited matched to who they were: by e-mail address
    first, then, for entries without one, by phone number; each current participant matches
    at most once (two entries must never share one id)."""
    unclaimed = list(current)
    matched: dict[int, Participant] = {}
    for same in (_same_email, _same_phone):
        for position, new in enumerate(listed):
            old = (
                None if position in matched else next((o for o in unclaimed if same(new, o)), None)
            )
            if old is not None:
                matched[position] = old
                unclaimed.remove(old)
    return [
        _kept(new, matched[position], moderator_length) if position in matched else new
        for position, new in enumerate(listed)
    ]


def _same_email(new: Participant, old: Participant) -> bool:
    return bool(new.email and old.email and new.email.casefold() == old.email.casefold())


def _same_phone(new: Participant, old: Participant) -> bool:
    return bool(not new.email and new.phone and new.phone == old.phone)


def _kept(new: Participant, old: Participant, moderator_length: int) -> Participant:
    """`new` as the participant `old` was: same id, PIN and status. A PIN too short for the
    moderator rights a promotion gives is dropped, so that a new one is drawn."""
    pin = old.pin
    if new.role is Role.MODERATOR and len(pin) < moderator_length:
        pin = ""
    return dataclasses.replace(new, id=old.id, pin=pin, status=old.status)


def _find_participant(participants: list[Participant], text: str) -> Participant:
    key = text.strip()
    is_id = key.isascii() and key.isdigit()  # str.isdigit() also takes other scripts' digits
    for participant in participants:
        if is_id and participant.id == int(key):
            return participant
        if participant.email and participant.email.lower() == key.lower():
            return participant
    raise ValidationError(
        "remove_participant", text, "no participant with this e-mail address or id"
    )
