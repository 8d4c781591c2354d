"""${var} and $${global} expansion as switch_channel_expand_variables() does it.

`${name}` takes the channel variable, else the global variable, else the empty string;
`$${name}` is the preprocessor form that FreeSWITCH replaces when it loads XML (globals only).
A `$` not followed by `{` is kept as it is.
"""

from __future__ import annotations

from collections.abc import Mapping


def expand_globals(text: str, global_vars: Mapping[str, str]) -> str:
    """Replace `$${name}` (switch_xml.c preprocessing); unknown names become empty."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i):
            end = text.find("}", i + 3)
            if end < 0:
                out.append(text[i:])
                break
            out.append(global_vars.get(text[i + 3 : end], ""))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def expand_variables(
    text: str,
    variables: Mapping[str, str],
    global_vars: Mapping[str, str],
) -> str:
    """Replace `${name}` (nesting allowed: `${a_${b}}`) from channel then global variables."""
    if "$" not in text:
        return text
    text = expand_globals(text, global_vars)
    out = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                out.append(text[i:])
                break
            name = expand_variables(text[i + 2 : end], variables, global_vars)
            value = variables.get(name)
            if value is None:
                value = global_vars.get(name, "")
            out.append(value)
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1
