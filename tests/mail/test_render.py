"""Templates: lookup order, sandbox, errors naming file and line, escaping, placeholders."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from fs_conf.errors import ValidationError
from fs_conf.mail import render
from fs_conf.mail.compose import (
    CALENDAR_KINDS,
    CALENDAR_TEMPLATE,
    MailKind,
    build_mails,
    check_templates,
)
from fs_conf.mail.context import Window, attendance_vars, mail_context
from fs_conf.mail.recurrence_text import describe_rrule
from fs_conf.mail.render import BUILTIN_DIR, PARTS, Renderer, search_path
from fs_conf.mail.samples import sample_attendance, sample_conference, sample_occurrence
from fs_conf.model import Conference, Occurrence

from .conftest import NOW, make_conference, make_config


def parts(message: bytes) -> dict[str, str]:
    parsed = message_from_bytes(message, policy=policy.default)
    found = {"subject": str(parsed["Subject"])}
    for part in parsed.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_content()
    return found


def mail_for(mails, email: str) -> dict[str, str]:
    return parts(next(m for m in mails if m.recipient == email).message)


def test_lookup_order(tmp_path: Path) -> None:
    assert search_path(str(tmp_path), "de") == [
        tmp_path / "de",
        tmp_path,
        BUILTIN_DIR / "de",
        BUILTIN_DIR / "en",
    ]
    assert search_path("", "en") == [BUILTIN_DIR / "en"]


def test_override_file_by_file_and_language_first(tmp_path: Path) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "invitation.subject.txt").write_text("ROOT {{ conference.title }}\n")
    (tmp_path / "de" / "invitation.subject.txt").write_text("DE {{ conference.title }}\n")
    (tmp_path / "_dialin.txt").write_text(
        "CALL {{ conference.dial_number }} PIN {{ participant.pin }}\n"
    )
    conf = make_conference()

    english = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    mail = mail_for(build_mails(conf, "invitation", english, NOW), "paul@example.com")
    assert mail["subject"] == "ROOT Weekly sync"
    assert "CALL +49301234567 PIN 55667788" in mail["text/plain"]
    assert "Hello Paul Participant" in mail["text/plain"]  # the rest stays built-in

    german = dataclasses.replace(english, language="de")
    mail = mail_for(build_mails(conf, "invitation", german, NOW), "paul@example.com")
    assert mail["subject"] == "DE Weekly sync"
    assert "Hallo Paul Participant" in mail["text/plain"]
    assert "CALL +49301234567 PIN 55667788" in mail["text/plain"]  # the shared piece, from the root


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ conference.__class__.__init__.__globals__ }}",
        "{{ participant.pin.__class__.__subclasses__() }}",
    ],
)
def test_sandbox_blocks_python_internals(tmp_path: Path, expression: str) -> None:
    (tmp_path / "invitation.subject.txt").write_text(f"Hi\n{expression}\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "invitation", config, NOW)
    assert caught.value.field == f"{tmp_path / 'invitation.subject.txt'}:2"
    assert "unsafe" in str(caught.value) or "undefined" in str(caught.value)


def test_immutable_sandbox_refuses_mutation(tmp_path: Path) -> None:
    (tmp_path / "invitation.txt").write_text("{% set seen = [] %}{{ seen.append(1) }}\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError, match="invitation.txt:1"):
        build_mails(make_conference(), "invitation", config, NOW)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "invitation.txt").write_text("Hello\n\n{% if participant.name %}\nno endif\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "invitation", config, NOW)
    assert caught.value.field.startswith(str(tmp_path / "invitation.txt") + ":")
    assert "syntax error" in caught.value.problem


def test_undefined_variable_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "update.html").write_text(
        "<p>\n{{ participant.name }}\n{{ conference.titel }}\n</p>\n"
    )
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "update", config, NOW)
    assert caught.value.field == f"{tmp_path / 'update.html'}:3"
    assert "titel" in caught.value.problem
    assert caught.value.value == "{{ conference.titel }}"


def test_error_in_included_piece_names_that_piece(tmp_path: Path) -> None:
    (tmp_path / "_dialin.txt").write_text("PIN {{ participant.pin }}\n{{ nothing_here }}\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "reminder", config, NOW, _first(make_conference()))
    assert caught.value.field == f"{tmp_path / '_dialin.txt'}:2"


def _first(conf: Conference) -> Occurrence:
    return Occurrence(conf.start, conf.start + conf.duration)


def test_html_is_escaped_and_placeholders_filled_after_escaping(tmp_path: Path) -> None:
    conf = make_conference(
        title="Q&A <script>alert(1)</script>",
        description="Bring <b>notes</b> & dial <number>, PIN <pin>.",
    )
    mail = mail_for(build_mails(conf, "invitation", make_config(tmp_path), NOW), "paul@example.com")
    html = mail["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Bring &lt;b&gt;notes&lt;/b&gt; &amp; dial +49301234567, PIN 55667788." in html
    assert "&lt;number&gt;" not in html and "&lt;pin&gt;" not in html
    text = mail["text/plain"]
    assert "Bring <b>notes</b> & dial +49301234567, PIN 55667788." in text


def test_moderator_lines_only_for_moderators(tmp_path: Path) -> None:
    mails = build_mails(make_conference(), "invitation", make_config(tmp_path), NOW)
    moderator = mail_for(mails, "mona@example.com")
    participant = mail_for(mails, "paul@example.com")
    for body in (moderator["text/plain"], moderator["text/html"]):
        assert "7306194825" in body
        assert "*9" in body and "end the conference for everyone" in body
    for body in (participant["text/plain"], participant["text/html"]):
        assert "7306194825" not in body
        assert "*1" not in body
        assert "mute or unmute yourself" in body
    assert "tel:+49301234567,,55667788%23" in participant["text/plain"]
    assert 'href="tel:+49301234567,,55667788%23"' in participant["text/html"]


def test_keypad_keys_follow_config(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config = dataclasses.replace(config, ivr=dataclasses.replace(config.ivr, keypad={"end": "*0"}))
    mail = mail_for(build_mails(make_conference(), "invitation", config, NOW), "mona@example.com")
    assert "*0   end the conference for everyone" in mail["text/plain"]


def test_german_dates_and_words(tmp_path: Path) -> None:
    config = dataclasses.replace(make_config(tmp_path), language="de")
    mails = build_mails(make_conference(), "invitation", config, NOW)
    mail = mail_for(mails, "paul@example.com")
    assert mail["subject"] == "Einladung: Weekly sync (Montag, 3. März 2025, 10:00 Uhr)"
    assert "Serie:     jede Woche am Montag, bis zum 10.11.2025" in mail["text/plain"]
    assert "Dauer:     1 Stunde" in mail["text/plain"]


def test_renderer_reports_missing_template(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="template file not found"):
        Renderer("", "en").render("nonexistent.txt", {})


def test_check_templates_clean_and_with_problems(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert check_templates(config) == []

    overrides = tmp_path / "templates"
    (overrides / "de").mkdir(parents=True)
    (overrides / "de" / "reminder.txt").write_text("Hallo\n{{ participant.nam }}\n")
    (overrides / "cancellation.html").write_text("{% for x in %}\n")
    (overrides / "invitaton.txt").write_text("typo in the name\n")
    (overrides / "_footer.txt").write_text("a shared piece of the admin's own\n")
    problems = check_templates(dataclasses.replace(config, templates_dir=str(overrides)))
    joined = "\n".join(problems)
    assert f"{overrides / 'de' / 'reminder.txt'}:2" in joined
    assert f"{overrides / 'cancellation.html'}:1" in joined
    assert f"{overrides / 'invitaton.txt'}: not a template name" in joined
    assert "_footer" not in joined
    assert len(problems) == 3


def test_missing_include_and_broken_piece_name_the_including_line(tmp_path: Path) -> None:
    (tmp_path / "invitation.txt").write_text("Hello\n{% include '_nowhere.txt' %}\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "invitation", config, NOW)
    assert caught.value.field == f"{tmp_path / 'invitation.txt'}:2"
    assert "_nowhere.txt" in caught.value.problem

    (tmp_path / "invitation.txt").unlink()
    (tmp_path / "_summary.txt").write_text("ok\n{{ conference.title | }}\n")
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "invitation", config, NOW)
    assert caught.value.field == f"{tmp_path / '_summary.txt'}:2"
    assert caught.value.value == "{{ conference.title | }}"


def test_keep_failures_gives_each_failing_recipient_a_reason_and_no_message(tmp_path: Path) -> None:
    # Only moderators see the moderator block, so only their mail fails.
    (tmp_path / "_dialin.txt").write_text(
        "PIN {{ participant.pin }}\n{% if moderator %}\n{{ moderator.pn }}\n{% endif %}\n"
    )
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    mona, paul = build_mails(make_conference(), "invitation", config, NOW, keep_failures=True)
    assert (mona.message, paul.error) == (b"", "")
    assert mona.error.startswith(f"{tmp_path / '_dialin.txt'}:3: template error:")
    assert mona.key == "7/mona@example.com/invitation/0"
    assert b"55667788" in paul.message


def test_a_failure_reason_never_quotes_a_pin(tmp_path: Path) -> None:
    # A lookup that fails names the key it looked up: here the participant's PIN.
    (tmp_path / "invitation.txt").write_text("{{ {}[participant.pin] }}\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError, match="11223344"):  # raised to the admin as it is
        build_mails(make_conference(), "invitation", config, NOW)
    mails = build_mails(make_conference(), "invitation", config, NOW, keep_failures=True)
    assert [m.error.count("***") for m in mails] == [1, 1]
    assert not any(pin in m.error for m in mails for pin in ("11223344", "55667788"))


@pytest.mark.parametrize(
    "expression",
    [
        "{{ conference.__dict__ }}",
        "{{ conference.__dataclass_fields__ }}",
        "{{ keys.__class__ }}",
        "{{ participant.__init__ }}",
        "{{ organizer.name.__class__ }}",
        "{{ conference.start.__class__ }}",
    ],
)
def test_sandbox_guards_the_variables_it_reads_directly(tmp_path: Path, expression: str) -> None:
    (tmp_path / "invitation.txt").write_text(f"{expression}\n")
    config = dataclasses.replace(make_config(tmp_path), templates_dir=str(tmp_path))
    with pytest.raises(ValidationError) as caught:
        build_mails(make_conference(), "invitation", config, NOW)
    assert caught.value.field == f"{tmp_path / 'invitation.txt'}:1"


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("kind", [k.value for k in MailKind])
def test_variables_read_directly_render_as_through_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, language: str
) -> None:
    config = dataclasses.replace(make_config(tmp_path), language=language)
    conf = sample_conference(config, NOW)
    occurrence = sample_occurrence(conf)
    window = Window(occurrence.start, occurrence.end, kind in ("reminder", "attendance"))
    recurrence = describe_rrule(conf.rrule or "", language, conf.start)
    if kind == "attendance":
        report = attendance_vars(conf, sample_attendance(conf, occurrence), window, NOW, language)
        contexts = [mail_context(conf, config, kind, language, window, recurrence, None, report)]
    else:
        contexts = [
            mail_context(conf, config, kind, language, window, recurrence, p)
            for p in conf.participants
        ]
    names = [f"{kind}.{part}" for part in PARTS]
    if kind in CALENDAR_KINDS:
        names.append(CALENDAR_TEMPLATE)

    def rendered() -> list[str]:
        renderer = Renderer("", language)
        return [
            renderer.render(name, context.variables(html=name.endswith(".html")))
            for context in contexts
            for name in names
        ]

    direct = rendered()
    monkeypatch.setattr(render, "_DATA_FIELDS", {})  # every attribute through the sandbox
    assert rendered() == direct
    assert all(text.strip() for text in direct)
    assert any(conf.title in text for text in direct)
