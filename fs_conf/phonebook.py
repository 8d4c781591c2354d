"""The phone book: names for numbers, so participants and call-outs can be named.

`load_phonebook(path)` reads CSV or vCard 3.0/4.0, told apart by the content; names must be
unique and pass the checks of a typed name, and every error names the file and line. The
vCard subset is parsed here, not with a library, for exact line numbers. The formats:
docs/participants.md#the-phone-book
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fs_conf.errors import ValidationError
from fs_conf.participants import normalise_phone, validate_email, validate_name

CSV_COLUMNS = ("name", "number", "email")
_VCARD_VERSIONS = ("3.0", "4.0")


@dataclass(frozen=True)
class Entry:
    """One person: `numbers` has the preferred number first; `source` is `file:line`."""

    name: str
    numbers: tuple[str, ...] = ()
    email: str | None = None
    source: str = field(default="", compare=False)

    @property
    def number(self) -> str | None:
        return self.numbers[0] if self.numbers else None


class PhoneBook:
    """Entries found by name (case-insensitive) or by number (after normalisation)."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries: list[Entry] = []
        self._by_name: dict[str, Entry] = {}
        self._by_number: dict[str, list[Entry]] = {}
        self._by_email: dict[str, Entry] = {}
        for entry in entries:
            self._add(entry)

    def _add(self, entry: Entry) -> None:
        key = _name_key(entry.name)
        if key in self._by_name:
            raise ValidationError(
                f"{entry.source}: name",
                entry.name,
                f"already in the phone book ({self._by_name[key].source}); names must be unique",
            )
        self._entries.append(entry)
        self._by_name[key] = entry
        for number in entry.numbers:
            self._by_number.setdefault(number, []).append(entry)
        if entry.email:
            self._by_email.setdefault(entry.email.casefold(), entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def lookup(self, name_or_number: str) -> Entry | None:
        """The entry with this name, else the one entry with this number."""
        entry = self._by_name.get(_name_key(name_or_number))
        if entry is not None:
            return entry
        try:
            number = normalise_phone(name_or_number, "lookup")
        except ValidationError:
            return None
        found = self._by_number.get(number, [])
        return found[0] if len(found) == 1 else None

    def lookup_email(self, email: str) -> Entry | None:
        return self._by_email.get(email.strip().casefold())


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def load_phonebook(path: str | os.PathLike[str]) -> PhoneBook:
    """Read a CSV or vCard phone book (see the module docstring)."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            label, label, "not UTF-8 text; save the phone book as UTF-8 (Excel: CSV UTF-8)"
        ) from exc
    except OSError as exc:
        raise ValidationError(label, label, f"cannot read phone book: {exc.strerror}") from exc
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.upper().startswith("BEGIN:VCARD"):
        return PhoneBook(parse_vcards(text, label))
    return PhoneBook(parse_csv(text, label))


# --- CSV ---------------------------------------------------------------------------------


def parse_csv(text: str, source: str) -> list[Entry]:
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        return []
    delimiter = next((d for d in (",", ";", "\t") if d in header_line), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    columns: dict[str, int] | None = None
    width = 0
    entries = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            where = f"{source}:{reader.line_num}"
            if columns is None:
                columns, width = _csv_header(row, where), len(row)
                continue
            entry = _csv_row(row, columns, width, where)
            entries.append(entry)
    except csv.Error as exc:
        raise ValidationError(f"{source}:{reader.line_num}", "", f"not valid CSV: {exc}") from exc
    return entries


def _csv_header(row: list[str], where: str) -> dict[str, int]:
    names = [cell.strip().casefold() for cell in row]
    columns: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in CSV_COLUMNS:
            if name in columns:
                raise ValidationError(where, name, "column named twice in the header")
            columns[name] = position
    missing = [name for name in ("name", "number") if name not in columns]
    if missing:
        raise ValidationError(
            where,
            ",".join(row),
            f"the header must name the columns name, number and optionally email (missing: {', '.join(missing)})",
        )
    return columns


def _csv_row(row: list[str], columns: dict[str, int], width: int, where: str) -> Entry:
    if len(row) > width:
        raise ValidationError(
            where,
            len(row),
            f"more fields than the header's {width} (quote values that contain the separator)",
        )

    def cell(name: str) -> str:
        position = columns.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    name, number, email = cell("name"), cell("number"), cell("email")
    if not name:
        raise ValidationError(f"{where}: name", name, "name is empty")
    if not number and not email:
        raise ValidationError(f"{where}: number", number, "needs a number or an e-mail address")
    numbers = (normalise_phone(number, f"{where}: number"),) if number else ()
    return Entry(
        name=validate_name(name, f"{where}: name"),
        numbers=numbers,
        email=validate_email(email, f"{where}: email") if email else None,
        source=where,
    )


# --- vCard -------------------------------------------------------------------------------


@dataclass
class _Card:
    begin: str
    version: str = ""
    name: str = ""
    structured_name: str = ""
    numbers: list[tuple[bool, str]] = field(default_factory=list)
    emails: list[tuple[bool, str]] = field(default_factory=list)


def parse_vcards(text: str, source: str) -> list[Entry]:
    entries = []
    card: _Card | None = None
    for line_number, line in _unfolded(text):
        where = f"{source}:{line_number}"
        name, params, value = _content_line(line, where)
        if name == "BEGIN" and value.upper() == "VCARD":
            if card is not None:
                raise ValidationError(
                    where, line, f"BEGIN:VCARD inside the card begun at {card.begin}"
                )
            card = _Card(begin=where)
        elif card is None:
            raise ValidationError(where, line, "text outside BEGIN:VCARD ... END:VCARD")
        elif name == "END" and value.upper() == "VCARD":
            entry = _entry(card)
            if entry is not None:
                entries.append(entry)
            card = None
        else:
            _card_property(card, name, params, value, where)
    if card is not None:
        raise ValidationError(card.begin, "BEGIN:VCARD", "card not closed (END:VCARD missing)")
    return entries


def _unfolded(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines (RFC 6350 §3.2: a line starting with a blank continues the one before)
    with the number of the physical line each starts on; blank lines are dropped."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] in (" ", "\t") and current:
            current.append(line[1:])
            continue
        if current and "".join(current).strip():
            yield start, "".join(current)
        current, start = [line], number
    if current and "".join(current).strip():
        yield start, "".join(current)


def _content_line(line: str, where: str) -> tuple[str, dict[str, list[str]], str]:
    """`group.NAME;PARAM=a,b:value` as (NAME, {PARAM: [a, b]}, value); a bare parameter
    (`TEL;CELL:`) counts as a TYPE."""
    head, value = _split_unquoted(line, ":", where)
    pieces = _split_all_unquoted(head, ";")
    name = pieces[0].rsplit(".", 1)[-1].strip().upper()
    if not name:
        raise ValidationError(where, line, "property name missing before ':'")
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        key, has_value, values = piece.partition("=")
        if not has_value:
            key, values = "TYPE", piece
        params.setdefault(key.strip().upper(), []).extend(
            v.strip().strip('"') for v in _split_all_unquoted(values, ",")
        )
    return name, params, value


def _split_unquoted(text: str, separator: str, where: str) -> tuple[str, str]:
    quoted = False
    for position, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            return text[:position], text[position + 1 :]
    raise ValidationError(where, text, f"not a vCard property line (no '{separator}')")


def _split_all_unquoted(text: str, separator: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def _card_property(
    card: _Card, name: str, params: dict[str, list[str]], value: str, where: str
) -> None:
    types = {t.lower() for t in params.get("TYPE", [])}
    preferred = "pref" in types or "PREF" in params
    if name == "VERSION":
        if value.strip() not in _VCARD_VERSIONS:
            raise ValidationError(
                f"{where}: VERSION",
                value.strip(),
                "only vCard 3.0 and 4.0 are read; export the contacts as vCard 3.0 or 4.0",
            )
        card.version = value.strip()
    elif name == "FN":
        card.name = validate_name(_unescape(value).strip(), f"{where}: FN")
    elif name == "N":
        parts = [_unescape(p).strip() for p in _split_escaped(value, ";")]
        structured = " ".join(p for p in (parts[1:2] + parts[0:1]) if p)
        card.structured_name = validate_name(structured, f"{where}: N")
    elif name == "TEL" and "fax" not in types:
        card.numbers.append((preferred, _tel_number(value, params, where)))
    elif name == "EMAIL":
        card.emails.append((preferred, validate_email(_unescape(value), f"{where}: EMAIL")))


def _tel_number(value: str, params: dict[str, list[str]], where: str) -> str:
    text = value.strip()
    is_uri = [v.lower() for v in params.get("VALUE", [])] == ["uri"] or text.lower().startswith(
        "tel:"
    )
    if is_uri:
        if not text.lower().startswith("tel:"):
            raise ValidationError(f"{where}: TEL", text, "a TEL URI must start with tel:")
        text = text[4:]
        if ";" in text:
            raise ValidationError(
                f"{where}: TEL",
                value.strip(),
                "tel: URIs with parameters (;ext=, ;phone-context=) are not supported",
            )
    return normalise_phone(text, f"{where}: TEL")


def _entry(card: _Card) -> Entry | None:
    name = card.name or card.structured_name
    if not name:
        raise ValidationError(card.begin, "BEGIN:VCARD", "card has no name (FN or N)")
    numbers = _preferred_first(card.numbers)
    emails = _preferred_first(card.emails)
    if not numbers and not emails:
        return None
    return Entry(
        name=name, numbers=tuple(numbers), email=emails[0] if emails else None, source=card.begin
    )


def _preferred_first(values: list[tuple[bool, str]]) -> list[str]:
    ordered = [v for pref, v in values if pref] + [v for pref, v in values if not pref]
    return list(dict.fromkeys(ordered))


def _split_escaped(text: str, separator: str) -> list[str]:
    pieces, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def _unescape(text: str) -> str:
    """RFC 6350 §3.4 text escapes: \\n, \\, \\; \\, and \\\\."""
    result, escaped = [], False
    for char in text:
        if escaped:
            result.append("\n" if char in "nN" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            result.append(char)
    return "".join(result)
