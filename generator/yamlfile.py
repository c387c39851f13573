"""Read a YAML file keeping the line of every key, so errors can point at file:line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ScholarpageError
from generator.sources import YAML, read_input

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML data plus the 1-based line of each mapping key / sequence item."""

    path: Path
    data: Any
    lines: dict[KeyPath, int]

    def line(self, keypath: KeyPath) -> int | None:
        """The line of `keypath`, or of its nearest located parent."""
        while keypath:
            if keypath in self.lines:
                return self.lines[keypath]
            keypath = keypath[:-1]
        return None


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            sub = (*path, key)
            lines[sub] = key_node.start_mark.line + 1
            _walk(value_node, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = item.start_mark.line + 1
            _walk(item, sub, lines)


def read_yaml(path: Path, *, what: str) -> YamlDoc:
    """Parse `path`; a syntax error becomes a ScholarpageError naming the file and line."""
    # a regular file of at most 10 MB: a folder, FIFO or device is a clear error, never a hang
    raw = read_input(
        path, YAML, what=what, missing=f"create {path.name} or fix the path that names it"
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScholarpageError.single(
            f"{what} is not valid UTF-8 (byte offset {exc.start})",
            file=path,
            hint="save the file as UTF-8",
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark is not None:
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
            if "<stream end>" in problem:
                # the end of the file says nothing; the construct left open is what to fix
                mark = exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScholarpageError.single(
            f"YAML syntax error: {problem}",
            file=path,
            line=line,
            hint="check indentation and quoting near this line (quote values with '#' or ': ')",
        ) from None
    except yaml.YAMLError as exc:
        raise ScholarpageError.single(f"YAML error: {exc}", file=path) from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(path, data, lines)
