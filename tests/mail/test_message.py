"""Message building: MIME structure, headers, encoding, header injection, Message-ID."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import icalendar
import pytest

from fs_conf.errors import ValidationError
from fs_conf.mail.compose import build_mails
from fs_conf.mail.message import Calendar, Envelope, build_message, message_id

from .conftest import NOW, make_conference, make_config


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)


def envelope(**changes) -> Envelope:
    base = dict(
        sender="Conference Bridge <bridge@pbx.example.com>",
        recipient_name="Paul Participant",
        recipient_email="paul@example.com",
        reply_to="olivia@example.com",
        conference_uid="weekly-sync-7@pbx.example.com",
        key="7/paul@example.com/invitation/0",
        date=NOW,
    )
    base.update(changes)
    return Envelope(**base)


def test_calendar_mail_structure(tmp_path) -> None:
    mail = build_mails(make_conference(), "invitation", make_config(tmp_path), NOW)[0]
    parsed = parse(mail.message)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in alternative.get_payload()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    inline = alternative.get_payload()[2]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_content() == inline.get_content().encode()
    assert icalendar.Calendar.from_ical(attachment.get_content())["METHOD"] == "REQUEST"


def test_headers(tmp_path) -> None:
    mail = build_mails(make_conference(), "invitation", make_config(tmp_path), NOW)[0]
    parsed = parse(mail.message)
    assert parsed["From"] == "Conference Bridge <bridge@pbx.example.com>"
    assert parsed["To"] == "Mona Moderator <mona@example.com>"
    assert parsed["Reply-To"] == "olivia@example.com"
    assert parsed["Date"].datetime == NOW
    assert parsed["Message-ID"] == message_id(
        make_conference().uid, mail.key, "bridge@pbx.example.com"
    )
    assert parsed["Message-ID"].endswith("@pbx.example.com>")
    assert parsed["Subject"] == "Invitation: Weekly sync (Monday, 3 March 2025, 10:00)"
    assert b"\r\n" in mail.message and b"\n" not in mail.message.replace(b"\r\n", b"")


def test_message_id_is_stable_per_key_and_differs_between_keys(tmp_path) -> None:
    config = make_config(tmp_path)
    first = build_mails(make_conference(), "invitation", config, NOW)
    again = build_mails(make_conference(), "invitation", config, NOW)
    assert [parse(m.message)["Message-ID"] for m in first] == [
        parse(m.message)["Message-ID"] for m in again
    ]
    assert len({parse(m.message)["Message-ID"] for m in first}) == len(first) == 2


def test_newline_in_title_or_name_adds_no_header(tmp_path) -> None:
    conf = make_conference(title="Sync\r\nBcc: evil@example.net\nX-Injected: yes")
    conf.participants[1].name = "Paul\nX-Also: injected"
    mails = build_mails(conf, "invitation", make_config(tmp_path), NOW)
    for mail in mails:
        parsed = parse(mail.message)
        assert parsed["Bcc"] is None and parsed["X-Injected"] is None and parsed["X-Also"] is None
        headers = [name.lower() for name in parsed.keys()]
        assert headers == [
            "from",
            "to",
            "reply-to",
            "subject",
            "date",
            "message-id",
            "auto-submitted",
            "mime-version",
            "content-type",
        ]
        assert parsed["Subject"].startswith(
            "Invitation: Sync Bcc: evil@example.net X-Injected: yes ("
        )
    paul = parse(mails[1].message)
    assert paul["To"].addresses[0].display_name == "Paul X-Also: injected"
    assert paul["To"].addresses[0].addr_spec == "paul@example.com"


def test_newline_in_an_address_is_refused(tmp_path) -> None:
    conf = make_conference(reply_to="olivia@example.com\nBcc: evil@example.net")
    with pytest.raises(ValidationError) as caught:
        build_mails(conf, "invitation", make_config(tmp_path), NOW)
    assert caught.value.field == "reply_to"


def test_non_ascii_subject_is_rfc2047_and_message_is_7bit() -> None:
    data = build_message(
        envelope(recipient_name="Jürgen Weiß"),
        "Einladung: Übersicht – März",
        "Grüße",
        "<p>Grüße</p>",
        None,
    )
    assert data.isascii()
    assert b"=?utf-8?" in data
    parsed = parse(data)
    assert parsed["Subject"] == "Einladung: Übersicht – März"
    assert parsed["To"].addresses[0].display_name == "Jürgen Weiß"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().splitlines() == ["Grüße"]


def test_cancel_method_on_calendar_part() -> None:
    calendar = Calendar(b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n", "CANCEL")
    parsed = parse(build_message(envelope(), "Cancelled", "text", "<p>html</p>", calendar))
    inline = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(inline) == 1 and inline[0].get_param("method") == "CANCEL"


def test_invalid_recipient_address_names_field() -> None:
    with pytest.raises(ValidationError) as caught:
        build_message(envelope(recipient_email="not an address"), "s", "t", "h", None)
    assert caught.value.field == "participant.email"


def test_international_domain_is_sent_in_ascii_form() -> None:
    parsed = parse(
        build_message(envelope(recipient_email="jo@bücher.example"), "s", "t", "h", None)
    )
    assert parsed["To"].addresses[0].addr_spec == "jo@xn--bcher-kva.example"
    with pytest.raises(ValidationError, match="not one valid e-mail address"):
        build_message(envelope(recipient_email="jürgen@example.com"), "s", "t", "h", None)
