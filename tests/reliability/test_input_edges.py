"""Input that must be refused (issue 10, items 6, 12 and 13), through the real command line:
one line `fs-conf: <field>: <problem> (got <value>)`, exit status 2, the value shown safely,
nothing written, and `list` and `show` working afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fs_conf.cli.main import main
from fs_conf.store import open_store

REPO = Path(__file__).resolve().parents[2]
CREATE = [
    "conference", "create", "--title", "Planning", "--start", "2099-03-04T10:00",
    "--timezone", "Europe/Berlin", "--duration", "60",
]  # fmt: skip
SERIES = [*CREATE, "--rrule", "FREQ=WEEKLY", "--participant", "Ann <ann@example.org>"]
"""A series on Wednesdays at 10:00 from 4 March 2099, Ann (participant 1) invited."""
HUGE = "(got 100000000000000000000)"
LONGEST_LINE = 600
"""No refusal is longer than this, however long the value typed."""


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite3"


@pytest.fixture
def config_file(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "fs_conf.yaml"
    path.write_text(f"database: {database}\nmail: {{folder: {tmp_path / 'mail'}}}\n", "utf-8")
    return path


def invoke(capsys: pytest.CaptureFixture[str], config_file: Path, *args: str) -> Result:
    status = main(["--config", str(config_file), *args])
    captured = capsys.readouterr()
    return Result(status, captured.out, captured.err)


def run(config_file: Path, *args: str | bytes) -> Result:
    """`python -m fs_conf` in a subprocess; arguments may be bytes that are not UTF-8."""
    done = subprocess.run(
        [sys.executable, "-m", "fs_conf", "--config", str(config_file), *args],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUTF8": "1"},
        cwd=config_file.parent,
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode(errors="replace"))


def assert_refused(result: Result, field: str, *words: str) -> None:
    """Exit 2, nothing on stdout, and one printable line naming `field` and the value."""
    assert result.status == 2, result
    assert result.out == ""
    line = result.err
    assert line.startswith(f"fs-conf: {field}: "), line[:LONGEST_LINE]
    assert line.endswith(")\n") and line.count("\n") == 1, line[:LONGEST_LINE]
    assert " (got " in line
    assert line[:-1].isprintable(), ascii(line[:LONGEST_LINE])
    assert len(line) <= LONGEST_LINE, line[:LONGEST_LINE]
    for word in words:
        assert word in line, line


def listed(capsys: pytest.CaptureFixture[str], config_file: Path) -> tuple[str, str]:
    """`list --json` and `show 1 --json`, both of which must work."""
    listing = invoke(capsys, config_file, "conference", "list", "--all", "--json")
    shown = invoke(capsys, config_file, "conference", "show", "1", "--json")
    assert (listing.status, shown.status) == (0, 0), (listing.err, shown.err)
    return listing.out, shown.out


# --- item 6 and 12: what the schedule cannot compute ---------------------------------------


def test_the_issues_series_until_the_year_9999_is_refused_and_nothing_is_stored(
    config_file: Path, database: Path
) -> None:
    result = run(
        config_file, "conference", "create", "--title", "Daily", "--start", "2030-01-07T10:00",
        "--duration", "30", "--rrule", "FREQ=DAILY;UNTIL=99991231",
        "--participant", "Eve <eve@example.com>",
    )  # fmt: skip
    assert_refused(result, "--rrule", "UNTIL", "(got 'FREQ=DAILY;UNTIL=99991231')")
    assert not database.exists()


@pytest.mark.parametrize(
    ("extra", "field", "shown"),
    [
        (["--duration", "100000000000000000000"], "--duration", HUGE),
        (["--duration", "-100000000000000000000"], "--duration", "(got -100000000000000000000)"),
        (["--dial-in-before", "100000000000000000000"], "--dial-in-before", HUGE),
        (["--dial-in-before", "-100000000000000000000"], "--dial-in-before", "(got -1000000000"),
        (["--max-members", "100000000000000000000"], "--max-members", HUGE),
        (["--max-members", "10001"], "--max-members", "(got 10001)"),
        (["--start", "9999-12-31T23:59"], "--start", "'9999-12-31T23:59'"),
        (["--start", "9999-12-31T23:59+00:00"], "--start", "'9999-12-31T23:59+00:00'"),
        (["--start", "9000-01-01T00:00"], "--start", "'9000-01-01T00:00'"),
        (
            ["--start", "0001-01-01T00:30", "--rrule", "FREQ=DAILY"],
            "--start",
            "'0001-01-01T00:30'",
        ),
        (["--rrule", "FREQ=DAILY;UNTIL=99991231T000000Z"], "--rrule", "UNTIL"),
        (["--rrule", "FREQ=DAILY;UNTIL=00010101"], "--rrule", "UNTIL"),
        (["--rrule", "FREQ=WEEKLY;UNTIL=20990101"], "--rrule", "before the start"),
        (["--rrule", "FREQ=WEEKLY;UNTIL=20990304T085959Z"], "--rrule", "before the start"),
        (
            ["--start", "2025-12-15T10:00", "--rrule", "FREQ=MONTHLY;INTERVAL=2;BYMONTH=1;COUNT=4"],
            "--rrule",
            "'FREQ=MONTHLY;INTERVAL=2;BYMONTH=1;COUNT=4'",
        ),
        (
            ["--start", "2025-12-15T10:00", "--rrule", "FREQ=MONTHLY;INTERVAL=2;BYMONTH=1"],
            "--rrule",
            "'FREQ=MONTHLY;INTERVAL=2;BYMONTH=1'",
        ),
        (
            ["--rrule", "FREQ=HOURLY;INTERVAL=2;BYHOUR=11;BYMONTH=3"],
            "--rrule",
            "'FREQ=HOURLY;INTERVAL=2;BYHOUR=11;BYMONTH=3'",
        ),
    ],
)
def test_what_the_schedule_cannot_compute_is_refused_before_the_database_is_created(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    database: Path,
    extra: list[str],
    field: str,
    shown: str,
) -> None:
    result = invoke(capsys, config_file, *CREATE, *extra)
    assert_refused(result, field, shown)
    assert not database.exists()


def test_a_series_that_ends_with_its_first_sitting_or_starts_long_ago_is_accepted(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    for extra in (
        ["--rrule", "FREQ=WEEKLY;UNTIL=20990304"],
        ["--rrule", "FREQ=WEEKLY;COUNT=1"],
        ["--rrule", "FREQ=HOURLY;INTERVAL=2;BYHOUR=10;BYMONTH=3"],
        ["--start", "1900-01-01T10:00", "--rrule", "FREQ=YEARLY"],
        ["--start", "8999-12-31T10:00", "--rrule", "FREQ=DAILY;UNTIL=89991231"],
        ["--start", "2025-12-15T10:00", "--rrule", "FREQ=MONTHLY;INTERVAL=2;BYMONTH=2;COUNT=4"],
    ):
        result = invoke(capsys, config_file, *CREATE, *extra)
        assert result.status == 0, (extra, result.err)
    listed(capsys, config_file)


@pytest.mark.parametrize(
    ("args", "field", "shown"),
    [
        (["update", "1", "--exdate", "9999-12-31T10:00"], "--exdate", "'9999-12-31T10:00'"),
        (["update", "1", "--start", "9999-12-31T23:59"], "--start", "'9999-12-31T23:59'"),
        (["update", "1", "--rrule", "FREQ=WEEKLY;UNTIL=20990101"], "--rrule", "UNTIL"),
        (["update", "1", "--rrule", "FREQ=DAILY;UNTIL=99991231"], "--rrule", "UNTIL"),
        (["update", "1", "--start", "2099-05-01T10:00", "--rrule", "FREQ=DAILY;UNTIL=20990401"],
            "--rrule", "before the start"),
        (["update", "1", "--duration", "100000000000000000000"], "--duration", HUGE),
        (["update", "1", "--dial-in-before", "100000000000000000000"], "--dial-in-before", HUGE),
        (["update", "1", "--max-members", "100000000000000000000"], "--max-members", HUGE),
        (["update", "1", "--occurrence", "2099-03-11T10:00", "--start", "9999-12-31T10:00"],
            "--start", "'9999-12-31T10:00'"),
        (["update", "1", "--occurrence", "2099-03-11T10:00", "--duration", "100000000000000000000"],
            "--duration", HUGE),
        (["cancel", "1", "--occurrence", "9999-12-31T10:00"], "--occurrence", "'9999-12-31T10:00'"),
        (["update", "1", "--title", "a\x1b[2Jb"], "--title", r"'a\x1b[2Jb'"),
        (["update", "1", "--remove-participant", "\u00b9"], "--remove-participant", "'\u00b9'"),
    ],
)  # fmt: skip
def test_a_refused_change_leaves_the_stored_conference_as_it_was(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    args: list[str],
    field: str,
    shown: str,
) -> None:
    assert invoke(capsys, config_file, *SERIES).status == 0
    before = listed(capsys, config_file)
    assert_refused(invoke(capsys, config_file, "conference", *args), field, shown)
    assert listed(capsys, config_file) == before


# --- item 13: text, numbers, rules ----------------------------------------------------------

CONTROLS = ["\x1b", "\x7f", "\x00", "\x85", "\x9b", "\u2028"]
"""ESC, DEL, NUL, NEL and CSI (C1), and Unicode's line separator."""


@pytest.mark.parametrize("control", CONTROLS, ids=ascii)
@pytest.mark.parametrize(
    ("flag", "template"),
    [
        ("--title", "Plan{}ning"),
        ("--location", "Room{}1"),
        ("--description", "Agenda\nfirst{}second"),
        ("--participant", "Eve{} <eve@example.org>"),
    ],
)
def test_control_characters_in_text_are_refused_and_never_printed_raw(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    database: Path,
    control: str,
    flag: str,
    template: str,
) -> None:
    typed = template.format(control)
    result = invoke(capsys, config_file, *CREATE, flag, typed)
    assert_refused(result, flag, f"(got {typed!r})")
    assert control not in result.err
    assert not database.exists()


@pytest.mark.parametrize(
    ("flag", "most", "filler"),
    [
        ("--title", 200, "t"),
        ("--location", 200, "l"),
        ("--description", 4000, "d\n"),
        ("--participant", 100, "n"),
    ],
)
def test_text_longer_than_its_maximum_is_refused(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    database: Path,
    flag: str,
    most: int,
    filler: str,
) -> None:
    def typed(length: int) -> str:
        text = (filler * length)[:length]
        return f"{text} <ann@example.org>" if flag == "--participant" else text

    assert_refused(invoke(capsys, config_file, *CREATE, flag, typed(most + 1)), flag, str(most))
    assert not database.exists()
    assert invoke(capsys, config_file, *CREATE, flag, typed(most)).status == 0
    listed(capsys, config_file)


def test_a_ten_megabyte_title_is_refused_and_shown_truncated(
    capsys: pytest.CaptureFixture[str], config_file: Path, database: Path
) -> None:
    result = invoke(capsys, config_file, *CREATE, "--title", "x" * 10_000_000)
    assert_refused(result, "--title", "200", "xxxx")
    assert not database.exists()


def test_arguments_that_are_not_utf8_are_refused_naming_the_flag(
    config_file: Path, database: Path
) -> None:
    result = run(config_file, *CREATE, "--location", b"Caf\xe9 \xff")
    assert_refused(result, "--location", "UTF-8", r"\xe9")
    assert not database.exists()
    result = run(config_file, *CREATE, b"--title=Plan\xffning")
    assert_refused(result, "--title", "UTF-8", r"\xff")
    assert not database.exists()


@pytest.mark.parametrize(
    ("flag", "typed"),
    [
        ("--duration", "60\n"),
        ("--duration", "\u0666\u0660"),  # 60 in Arabic-Indic digits
        ("--duration", "6_0"),
        ("--dial-in-before", " 5"),
        ("--max-members", "5\n"),
        ("--max-members", "\uff15"),  # a fullwidth 5
    ],
    ids=ascii,
)
def test_numbers_are_ascii_digits_alone(
    capsys: pytest.CaptureFixture[str], config_file: Path, database: Path, flag: str, typed: str
) -> None:
    # CREATE ends with `--duration 60`
    args = [*CREATE[:-2], flag, typed] if flag == "--duration" else [*CREATE, flag, typed]
    assert_refused(invoke(capsys, config_file, *args), flag, f"(got {typed!r})")
    assert not database.exists()


@pytest.mark.parametrize(
    ("flag", "typed", "address"),
    [
        ("--participant", "J\u00f6rg <j\u00f6rg@example.org>", "j\u00f6rg@example.org"),
        ("--participant", "Eve <=?utf-8?q?b?=x@example.org>", "=?utf-8?q?b?=x@example.org"),
        ("--reply-to", "=?utf-8?q?b?=x@example.org", "=?utf-8?q?b?=x@example.org"),
    ],
    ids=ascii,
)
def test_an_address_the_mail_cannot_be_sent_to_is_refused_before_anything_is_stored(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    database: Path,
    flag: str,
    typed: str,
    address: str,
) -> None:
    result = invoke(capsys, config_file, *CREATE, flag, typed)
    assert_refused(result, flag, f"(got {address!r})")
    assert not database.exists()


@pytest.mark.parametrize("typed", ["\u00b2", "1\n", " 1", "\u0661"], ids=ascii)
@pytest.mark.parametrize("command", ["show", "cancel", "invite"])
def test_a_conference_id_is_ascii_digits_alone(
    capsys: pytest.CaptureFixture[str], config_file: Path, command: str, typed: str
) -> None:
    assert_refused(invoke(capsys, config_file, "conference", command, typed), "ID")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;COUNT=\u0663",
        "FREQ=DAILY;INTERVAL=\u0662",
        "FREQ=DAILY;UNTIL=\u0662\u0660\u0669\u0669\u0660\u0664\u0660\u0661",
        "FREQ=MONTHLY;BYMONTHDAY=\u0661",
        "FREQ=MONTHLY;BYDAY=\u06611MO",
        "FREQ=DAILY;COUNT=3\x1b",
    ],
    ids=ascii,
)
def test_rules_take_ascii_digits_alone(
    capsys: pytest.CaptureFixture[str], config_file: Path, database: Path, rule: str
) -> None:
    result = invoke(capsys, config_file, *CREATE, "--rrule", rule)
    assert_refused(result, "--rrule", f"(got {rule!r})")
    assert not database.exists()


# --- the configuration and the phone book ---------------------------------------------------


def write_config(tmp_path: Path, text: bytes) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_bytes(text)
    return path


@pytest.mark.parametrize(
    ("text", "field", "shown"),
    [
        (b"language: en\nmail: {sender: 'caf\xe9 <a@example.org>'}\n", "{path}:2", "UTF-8"),
        (b'language: en\n\nmail: {sender: "a\x1b <a@example.org>"}\n', "{path}:3", r"\x1b"),
        (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "{path}", "deep"),
        (b"a:\n" + b"".join(b"  " * n + b"b:\n" for n in range(1, 3000)), "{path}", "deep"),
        (b'freeswitch: {esl: {password: "Clue\\nCon"}}\n', "freeswitch.esl.password", "'***'"),
        (b'mail: {smtp: {password: "pass\\x85word"}}\n', "mail.smtp.password", "'***'"),
        (b'mail: {sender: "x \\e[2J <a@example.org>"}\n', "mail.sender", r"\x1b[2J"),
        (b'numbers: {internal: "3400\\n"}\n', "numbers.internal", r"'3400\n'"),
        (b'numbers: {external: "+49\\n30"}\n', "numbers.external", r"'+49\n30'"),
        (b'ivr: {prompts: {goodbye: "bye\\e.wav"}}\n', "ivr.prompts.goodbye", r"'bye\x1b.wav'"),
        (b"database: ''\n", "database", "(got '')"),
        (b"database: ' '\n", "database", "(got ' ')"),
        (b"database: ':memory:'\n", "database", "(got ':memory:')"),
    ],
    ids=lambda value: ascii(value)[:40],
)
def test_a_bad_configuration_file_is_one_line_naming_file_line_or_key(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    text: bytes,
    field: str,
    shown: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # the default database would be created here
    config_file = write_config(tmp_path, text)
    result = invoke(capsys, config_file, *CREATE)
    assert_refused(result, field.format(path=config_file), shown)
    assert "Clue" not in result.err and "x85word" not in result.err
    assert list(tmp_path.iterdir()) == [config_file]


BAD_NAMES = [
    '"Eve <evil@example.org>",1003,\n',
    '"Eve ""the boss""",1003,\n',
    "Eve\x1b[2J,1003,\n",
    "Ev\x85e,1003,\n",
    f"{'E' * 101},1003,\n",
]


@pytest.mark.parametrize("row", BAD_NAMES, ids=lambda value: ascii(value)[:30])
def test_phone_book_names_pass_the_checks_typed_names_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database: Path, row: str
) -> None:
    book = tmp_path / "book.csv"
    book.write_text("name,number,email\nAnn,1002,ann@example.org\n" + row, "utf-8")
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(f"database: {database}\nphonebook: {book}\n", "utf-8")
    result = invoke(capsys, config_file, *CREATE, "--participant", "Ann")
    assert_refused(result, f"{book}:3: name")
    assert not database.exists()


def test_a_vcard_name_with_an_escaped_line_break_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database: Path
) -> None:
    book = tmp_path / "book.vcf"
    book.write_text(
        "BEGIN:VCARD\nVERSION:4.0\nFN:Eve\\nBcc: evil@example.org\nTEL:1003\nEND:VCARD\n", "utf-8"
    )
    config_file = tmp_path / "fs_conf.yaml"
    config_file.write_text(f"database: {database}\nphonebook: {book}\n", "utf-8")
    result = invoke(capsys, config_file, *CREATE, "--participant", "Eve")
    assert_refused(result, f"{book}:3: FN", r"\n")
    assert not database.exists()


def test_an_empty_database_path_is_refused_before_anything_is_created(
    config_file: Path, tmp_path: Path
) -> None:
    config_file.write_text("database: ''\n", "utf-8")
    result = run(config_file, *CREATE)
    assert_refused(result, "database", "(got '')")
    assert "Created" not in result.out


def test_a_description_keeps_its_line_breaks(
    capsys: pytest.CaptureFixture[str], config_file: Path, database: Path
) -> None:
    description = "Agenda:\n1. budget\n2. plans"
    assert invoke(capsys, config_file, *CREATE, "--description", description).status == 0
    listed(capsys, config_file)
    with open_store(database) as store:
        assert store.get_conference(1).description == description


def test_an_unknown_argument_is_repeated_with_its_control_characters_escaped(
    capsys: pytest.CaptureFixture[str], config_file: Path, database: Path
) -> None:
    result = invoke(capsys, config_file, "conference", "list", "\x1b[2J" + "x" * 5000)
    assert (result.status, result.out) == (2, "")
    assert result.err.count("\n") == 1 and result.err[:-1].isprintable()
    assert r"\x1b[2J" in result.err and len(result.err) <= len("fs-conf: ") + 1000 + 1
    assert not database.exists()
