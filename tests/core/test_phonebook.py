"""Phone books in CSV and vCard: reading, looking up, and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_conf.errors import ValidationError
from fs_conf.phonebook import Entry, PhoneBook, load_phonebook


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error_for(path: Path) -> str:
    with pytest.raises(ValidationError) as caught:
        load_phonebook(path)
    return str(caught.value)


# --- CSV -----------------------------------------------------------------------------------------------


def test_csv_with_columns_in_any_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "contacts.csv",
        (
            "Email,Name,Number,Department\n"
            "ann@example.org,Ann Lee,+49 30 1234-567,Sales\n"
            "\n"
            ",Reception,100,\n"
            '"lee@example.org","Lee, Bo","+1 (555) 010-2000",\n'
        ),
    )
    book = load_phonebook(path)
    assert list(book) == [
        Entry("Ann Lee", ("+49301234567",), "ann@example.org"),
        Entry("Reception", ("100",), None),
        Entry("Lee, Bo", ("+15550102000",), "lee@example.org"),
    ]
    assert [entry.source for entry in book] == [f"{path}:2", f"{path}:4", f"{path}:5"]


def test_csv_without_email_column_semicolons_and_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "\ufeffName;Number\nJörg Müller;030 1234567\nDesk;2001\n")
    book = load_phonebook(path)
    assert [(e.name, e.number, e.email) for e in book] == [
        ("Jörg Müller", "0301234567", None),
        ("Desk", "2001", None),
    ]


def test_lookup_by_name_or_number(tmp_path: Path) -> None:
    book = load_phonebook(
        write(tmp_path, "c.csv", "name,number,email\nAnn Lee,+49 30 1234567,ann@example.org\n")
    )
    ann = book.lookup("Ann Lee")
    assert ann is not None and ann.number == "+49301234567"
    assert book.lookup("  ANN   lee ") == ann
    assert book.lookup("+49 (0)30 123-4567") == ann
    assert book.lookup("+4930123456") is None
    assert book.lookup("Bob") is None
    assert book.lookup_email("ANN@example.org") == ann
    assert len(book) == 1


def test_shared_number_finds_nobody_by_number(tmp_path: Path) -> None:
    book = load_phonebook(
        write(tmp_path, "c.csv", "name,number\nAnn,+49 30 1234-0\nBob,+49301234-0\n")
    )
    assert book.lookup("+493012340") is None
    assert book.lookup("Bob") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name,number,email\nAnn,030 123,ann@example.org\nBob,abc,bob@example.org\n",
            "{path}:3: number: letters in phone number (got 'abc')",
        ),
        (
            "name,number,email\n\n\nAnn,030 123,ann@example\n",
            "{path}:4: email: the part after the @ must be a domain with a dot, like example.org (got 'ann@example')",
        ),
        ("name,number\n,030 123\n", "{path}:2: name: name is empty (got '')"),
        (
            "name,number,email\nAnn,,\n",
            "{path}:2: number: needs a number or an e-mail address (got '')",
        ),
        (
            "name,phone\nAnn,030\n",
            "{path}:1: the header must name the columns name, number and optionally email",
        ),
        ("name,number\nLee, Bo,030 123\n", "{path}:2: more fields than the header's 2"),
        ("name,number,name\nAnn,030,Ann\n", "{path}:1: column named twice in the header"),
        (
            "name,number\nAnn,030 1\nann ,030 2\n",
            "{path}:3: name: already in the phone book ({path}:2)",
        ),
        ('name,number\n"Ann,030 1\n', "{path}:2: not valid CSV"),
    ],
)
def test_csv_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "contacts.csv", text)
    assert error_for(path).startswith(message.format(path=path))


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    assert error_for(missing).startswith(f"{missing}: cannot read phone book")
    latin = write(tmp_path, "latin.csv", "name;number\nJörg;030 1\n", encoding="cp1252")
    assert "not UTF-8 text" in error_for(latin)


def test_empty_file_is_an_empty_phone_book(tmp_path: Path) -> None:
    assert len(load_phonebook(write(tmp_path, "empty.csv", "\n \n"))) == 0
    assert len(load_phonebook(write(tmp_path, "header.csv", "name,number\n"))) == 0


# --- vCard -----------------------------------------------------------------------------------------------

VCARDS = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Lee;Ann;;;\r\n"
    "FN:Ann Lee\r\n"
    "TEL;TYPE=work:+49 30 999\r\n"
    "TEL;TYPE=cell,pref:+49 171 5550101\r\n"
    "TEL;TYPE=fax:+49 30 998\r\n"
    "EMAIL;TYPE=INTERNET:ann@example.org\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Bo\r\n"
    "  Müller-Lüdenscheidt\r\n"
    'TEL;VALUE=uri;TYPE="voice,cell";PREF=1:tel:+1-555-010-2000\r\n'
    "item1.EMAIL;TYPE=work:bo@example.org\r\n"
    "item1.X-ABLabel:work\r\n"
    "NOTE:Call after 10\\, please\\; thanks\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Desk;Night;;;\r\n"
    "TEL;CELL:2001\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Only A Name\r\n"
    "END:VCARD\r\n"
)


def test_vcards_3_and_4(tmp_path: Path) -> None:
    path = write(tmp_path, "contacts.vcf", VCARDS)
    book = load_phonebook(path)
    assert list(book) == [
        Entry("Ann Lee", ("+491715550101", "+4930999"), "ann@example.org"),
        Entry("Bo Müller-Lüdenscheidt", ("+15550102000",), "bo@example.org"),
        Entry("Night Desk", ("2001",), None),
    ]
    assert [entry.source for entry in book] == [f"{path}:1", f"{path}:10", f"{path}:19"]
    assert book.lookup("+49 30 999") == book.lookup("ann lee")
    assert book.lookup("+49 30 998") is None  # fax numbers are not kept


def test_vcard_escaped_name(tmp_path: Path) -> None:
    path = write(tmp_path, "c.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Lee\\, Ann\nTEL:1\nEND:VCARD\n")
    assert load_phonebook(path).lookup("Lee, Ann") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL:ask reception\nEND:VCARD\n",
            "{path}:4: TEL: letters in phone number (got 'ask reception')",
        ),
        (
            "BEGIN:VCARD\nVERSION:4.0\nFN:Ann\nTEL;VALUE=uri:tel:+49-30-1234;ext=5\nEND:VCARD\n",
            "{path}:4: TEL: tel: URIs with parameters",
        ),
        (
            "BEGIN:VCARD\nVERSION:4.0\nFN:Ann\nTEL;VALUE=uri:+49301234\nEND:VCARD\n",
            "{path}:4: TEL: a TEL URI must start",
        ),
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEMAIL:ann at example.org\nEND:VCARD\n",
            "{path}:4: EMAIL: e-mail address",
        ),
        (
            "BEGIN:VCARD\nVERSION:2.1\nFN:Ann\nEND:VCARD\n",
            "{path}:2: VERSION: only vCard 3.0 and 4.0 are read",
        ),
        ("BEGIN:VCARD\nVERSION:3.0\nTEL:1\nEND:VCARD\n", "{path}:1: card has no name (FN or N)"),
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL:1\n",
            "{path}:1: card not closed (END:VCARD missing)",
        ),
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nBEGIN:VCARD\n",
            "{path}:4: BEGIN:VCARD inside the card begun at {path}:1",
        ),
        (
            "BEGIN:VCARD\nFN:Ann\nTEL:1\nEND:VCARD\nstray text\n",
            "{path}:5: not a vCard property line",
        ),
        ("BEGIN:VCARD\nFN:Ann\nTEL:1\nEND:VCARD\nNOTE:x\n", "{path}:5: text outside BEGIN:VCARD"),
        (
            "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\n wrapped\nTEL\nEND:VCARD\n",
            "{path}:5: not a vCard property line",
        ),
        (
            "BEGIN:VCARD\nFN:Ann\nTEL:1\nEND:VCARD\nBEGIN:VCARD\nFN:ANN\nTEL:2\nEND:VCARD\n",
            "{path}:5: name: already in the phone book ({path}:1)",
        ),
    ],
)
def test_vcard_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "contacts.vcf", text)
    assert error_for(path).startswith(message.format(path=path))


def test_phone_book_built_from_entries() -> None:
    book = PhoneBook([Entry("Ann", ("100",), None, "x:1")])
    with pytest.raises(ValidationError, match="x:2: name: already in the phone book"):
        PhoneBook([Entry("Ann", ("100",), None, "x:1"), Entry("ann", ("101",), None, "x:2")])
    assert book.lookup("100") == Entry("Ann", ("100",))
