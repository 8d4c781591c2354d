"""Calendar line folding: the ASCII shortcut folds exactly as icalendar does."""

from __future__ import annotations

import icalendar
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar.parser import Contentline

from fs_conf.mail import folding
from fs_conf.mail.ics import Attendee, EventSpec, build_calendar, calendar_timezone

from .conftest import NOW, make_conference

# Escapes (`\` and `^`) made likely, so that they land on every fold position.
LINE = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(["\\", "^", "\\n", "ä", "–", "日"]),
    ),
    max_size=400,
).map("".join)


@settings(max_examples=500)
@given(LINE)
@example("")
@example("x" * 74)
@example("x" * 75)
@example("x" * 73 + "\\" + "n" * 80)
@example("x" * 73 + "^" + "^" * 80)
@example("\\" * 300)
def test_content_line_equals_icalendars_folding(text: str) -> None:
    line = Contentline(text)
    assert folding.content_line(line) == line.to_ical()


def test_serialise_equals_to_ical_for_a_series_with_attendees_and_exceptions() -> None:
    conf = make_conference(description="Agenda; part two, \\ backslash\nDial <number>. Grüße " * 5)
    event = EventSpec(
        uid=conf.uid,
        sequence=3,
        stamp=NOW,
        start=conf.start,
        end=conf.start + conf.duration,
        timezone=conf.timezone,
        title="A title long enough to be folded, with commas, semicolons; and more " * 2,
        description=conf.description,
        location="Room 2",
        organizer=Attendee("Olivia Organizer", "olivia@example.com"),
        attendees=[
            Attendee(f"Person {n} with a long name", f"p{n}@example.com", n == 0) for n in range(5)
        ],
        rrule=conf.rrule,
        exdates=conf.exdates,
        url="https://pbx.example.com/?conference=7",
    )
    data = build_calendar(event, calendar_timezone(event))
    parsed = icalendar.Calendar.from_ical(data)
    assert folding.serialise(parsed) == parsed.to_ical() == data
    assert max(len(line) for line in data.split(b"\r\n")) == folding.LIMIT
