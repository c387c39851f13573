"""Read a JSON file keeping the line of every key, like yamlfile does for YAML (resume.json).

The values come from the standard library's strict parser; a second pass over the text, with no
recursion (a hostile file nested 100,000 deep cannot overflow the stack), notes the line each
object key and array item starts on, so a problem points at file:line.
"""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path

from generator.errors import ScholarpageError
from generator.sources import YAML, read_input
from generator.yamlfile import KeyPath, YamlDoc

_SCALAR = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null")
_SPACE = re.compile(r"[ \t\r\n]*")


def _lines(text: str) -> dict[KeyPath, int]:
    """Line (1-based) of every key path in a text that json.loads accepted."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    lines: dict[KeyPath, int] = {}
    # open containers: [is_object, own path, current key or index, expecting a key]
    stack: list[list[object]] = []
    pos = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    n = len(text)

    def value_path() -> KeyPath:
        if not stack:
            return ()
        top = stack[-1]
        path = top[1]
        assert isinstance(path, tuple)
        key = top[2]
        assert isinstance(key, (str, int))
        return (*path, key)

    while pos < n:
        char = text[pos]
        top = stack[-1] if stack else None
        if char == '"':
            string, end = scanstring(text, pos + 1)
            if top is not None and top[0] and top[3]:
                path = top[1]
                assert isinstance(path, tuple)
                top[2] = string
                lines[(*path, string)] = line_of(pos)
                top[3] = False
            elif top is not None and not top[0]:
                lines[value_path()] = line_of(pos)
            pos = end
        elif char in "{[":
            if top is not None and not top[0]:
                lines[value_path()] = line_of(pos)
            stack.append([char == "{", value_path(), 0 if char == "[" else "", char == "{"])
            pos += 1
        elif char in "}]":
            stack.pop()
            pos += 1
        elif char == ",":
            if top is not None:
                if top[0]:
                    top[3] = True
                else:
                    index = top[2]
                    assert isinstance(index, int)
                    top[2] = index + 1
            pos += 1
        elif char == ":":
            pos += 1
        else:
            match = _SCALAR.match(text, pos)
            if top is not None and not top[0]:
                lines[value_path()] = line_of(pos)
            pos = match.end() if match else pos + 1
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
    return lines


def read_json(path: Path, *, what: str) -> YamlDoc:
    """Parse `path` as strict JSON; a syntax error names the file and line."""
    raw = read_input(path, YAML, what=what, missing=f"create {path.name} or remove it")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScholarpageError.single(
            f"{what} is not valid UTF-8 (byte offset {exc.start})",
            file=path,
            hint="save the file as UTF-8",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScholarpageError.single(
            f"JSON syntax error: {exc.msg} (column {exc.colno})",
            file=path,
            line=exc.lineno,
            hint="check commas, quotes and brackets near this line (JSON allows no comments "
            "and no comma after the last item)",
        ) from None
    except RecursionError:
        raise ScholarpageError.single(
            "JSON nested too deeply to read", file=path, hint="check that this is a resume"
        ) from None
    return YamlDoc(path, data, _lines(text))
