"""Calendar text and encoded-words as the RFCs have them (issue 10, item 14): a typed `\\N`
stays two characters in the iCalendar data, and no encoded-word is longer than 75 characters."""

from __future__ import annotations

import dataclasses
import re
from email import message_from_bytes, policy
from pathlib import Path

import icalendar
import pytest

from fs_conf.mail.compose import build_mails
from fs_conf.model import Participant, Role
from tests.mail.conftest import NOW, display_name, make_conference, make_config

WINDOWS_PATH = "\\\\server\\New folder\\notes.txt"
ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bqBQ]\?[^?\s]*\?=")


def calendar_data(message: bytes) -> bytes:
    parsed = message_from_bytes(message, policy=policy.default)
    inline = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    return inline.get_content().encode("utf-8")


@pytest.mark.parametrize("kind", ["invitation", "update", "cancellation"])
def test_a_typed_backslash_n_is_no_line_break_in_the_calendar(tmp_path: Path, kind: str) -> None:
    conference = make_conference(
        title=f"Review {WINDOWS_PATH}",
        location=WINDOWS_PATH,
        description=f"Files: {WINDOWS_PATH}\nNext line",
    )
    mail = build_mails(conference, kind, make_config(tmp_path), NOW)[0]
    data = calendar_data(mail.message)
    # RFC 5545 section 3.3.11: every backslash doubled, a line break written as \n
    assert b"LOCATION:\\\\\\\\server\\\\New folder\\\\notes.txt\r\n" in data
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Review {WINDOWS_PATH}"
    assert str(event["LOCATION"]) == WINDOWS_PATH
    assert str(event["DESCRIPTION"]).startswith(f"Files: {WINDOWS_PATH}\nNext line\n")


LONG_TITLE = "Überprüfung der Jahresplanung für das nächste Geschäftsjahr mit allen Abteilungen"
LONG_NAME = "Jürgen Müller-Lüdenscheidt von und zu Großherzogtum Baden-Württemberg"


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_encoded_word_is_longer_than_75_characters(tmp_path: Path, language: str) -> None:
    conference = make_conference(
        title=LONG_TITLE,
        participants=[
            Participant(LONG_NAME, "juergen@example.com", None, Role.MODERATOR, "11223344", id=1),
            Participant("ä" * 90, "a@example.com", None, Role.PARTICIPANT, "55667788", id=2),
        ],
    )
    sender = "Konferenzbrücke der Großherzoglichen Verwaltung <b@x.de>"
    config = dataclasses.replace(make_config(tmp_path, sender=sender), language=language)
    for mail in build_mails(conference, "invitation", config, NOW):
        head = mail.message.split(b"\r\n\r\n", 1)[0]
        words = ENCODED_WORD.findall(head)
        assert words and all(len(word) <= 75 for word in words), words
        assert all(len(line) <= 78 for line in head.split(b"\r\n"))
        parsed = message_from_bytes(mail.message, policy=policy.default)
        assert LONG_TITLE in str(parsed["Subject"])
        name = {"juergen": LONG_NAME, "a": "ä" * 90}[parsed["To"].addresses[0].username]
        assert display_name(dict(parsed.raw_items())["To"]) == name
        sender = display_name(dict(parsed.raw_items())["From"])
        assert sender == "Konferenzbrücke der Großherzoglichen Verwaltung"
