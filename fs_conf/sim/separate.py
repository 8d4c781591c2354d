"""switch_separate_string() of src/switch_utils.c: how FreeSWITCH splits application data.

Blank and character delimiters, single quotes, the `limit` on words and the clean-up of each
word (cleanup_separated_string) as FreeSWITCH does them.
The rules: docs/simulator.md#sessions-and-applications
"""

from __future__ import annotations

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def separate(text: str, delim: str = " ", limit: int | None = None) -> list[str]:
    if text.startswith("^^") and len(text) > 3:
        delim, text = text[2], text[3:]
    words = _blank_words(text, limit) if delim == " " else _char_words(text, delim, limit)
    return [_cleanup(word, "" if delim == " " else delim) for word in words]


def _blank_words(text: str, limit: int | None) -> list[str]:
    words: list[str] = []
    index = 0
    while index < len(text) and (limit is None or len(words) < limit):
        start = index
        while index < len(text) and text[index] == " ":
            index += 1
        quoted = False
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 1
            elif char == "'":
                quoted = not quoted
            elif char == " " and not quoted:
                break
            index += 1
        words.append(text[start:index])
        while index < len(text) and text[index] == " ":
            index += 1
    return words


def _char_words(text: str, delim: str, limit: int | None) -> list[str]:
    words: list[str] = []
    index = 0
    while index < len(text) and (limit is None or len(words) < limit):
        start, quoted = index, False
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 1
            elif char == "'" and (quoted or "'" in text[index + 1 :]):
                quoted = not quoted
            elif char == delim and not quoted:
                break
            index += 1
        words.append(text[start:index])
        index += 1
    return words


def _cleanup(word: str, delim: str) -> str:
    out: list[str] = []
    end = 0
    quoted = False
    index = len(word) - len(word.lstrip(" "))
    while index < len(word):
        char = word[index]
        following = word[index + 1] if index + 1 < len(word) else ""
        if char == "\\" and following and (following in "'\"\\" or following == delim):
            out.append(following)
            end, index = len(out), index + 2
            continue
        if char == "\\" and following in ESCAPES:
            out.append(ESCAPES[following])
            end, index = len(out), index + 2
            continue
        if char == "'" and (quoted or "'" in word[index + 1 :]):
            quoted = not quoted
            if quoted:
                end = len(out)
        else:
            out.append(char)
            if char != " " or quoted:
                end = len(out)
        index += 1
    return "".join(out[:end])
