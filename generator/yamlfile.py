"""The one YAML reader: every YAML input (site.yaml, profile.yaml, theme.yaml, page front matter)
goes through it, so hostile YAML is refused the same way everywhere and every key keeps its line.

PyYAML's SafeLoader is safe against code execution but not against size: an alias graph is
expanded by whoever walks it ("billion laughs"), an alias may point into its own node, and the
composer recurses once per nesting level. `_BoundedLoader` bounds all three while composing,
refuses duplicate keys and out-of-range numbers with their lines, and nothing here recurses on the
document's shape, so a RecursionError or MemoryError never escapes.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from generator.errors import ScholarpageError
from generator.sources import YAML, read_input

KeyPath = tuple[Hashable, ...]

MAX_DEPTH = 64
"""Nesting levels a YAML document may have; no setting needs more than a handful."""
ALIAS_BUDGET = 10_000
"""Nodes aliases may add beyond the document's own: what `*x` expands to is counted once per use
(sizes are memoised per node), and the budget grows with the file so merge keys in a long file of
sane size keep working while a few hundred bytes of nested aliases cannot expand to billions."""
MAX_INT_TEXT = 64
"""Characters of an integer scalar read at all (Python's int() is quadratic in the digits)."""
MAX_INT = 10**18
"""Magnitude no integer in any setting reaches; beyond it the value is refused where it is."""

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_QUOTE_TIP = "if it is meant as text, put it in quotes"
# what YAML lets a file hold; an escape ("\x00", "\ud800") can still put the rest in a string,
# and a NUL or lone surrogate breaks the HTML, the XML feed or the UTF-8 output
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# types beyond plain YAML (text, numbers, true/false, null, dates, lists, mappings): no setting
# takes bytes, sets or ordered pairs, and a stray !!binary would print as b'...'
_UNSUPPORTED_TAGS = ("binary", "set", "omap", "pairs")


def shown(value: object, limit: int = 60) -> str:
    """A value for an error message: its repr, cut short (without walking all of a big list) so
    a huge value cannot flood the message."""
    short = reprlib.Repr()  # made per call: no module-level mutable state
    short.maxlevel, short.maxdict, short.maxlist, short.maxset = 2, 3, 4, 4
    short.maxstring = short.maxother = limit
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Bounds:
    """The range a numeric setting may take, declared beside the setting in its schema."""

    low: int | float
    high: int | float
    whole: bool = True  # a whole number (an int, not 2.0)

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {_number(self.low)} to {_number(self.high)}"

    def error(self, value: object) -> str | None:
        """None when `value` is a number within the bounds, else what is wrong with it."""
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not numeric or (self.whole and not isinstance(value, int)):
            return f"expected {self.describe()}, got {shown(value)}"
        assert isinstance(value, (int, float))
        if not math.isfinite(value) or not self.low <= value <= self.high:
            return f"{shown(value)} is out of range: expected {self.describe()}"
        return None


def _number(value: int | float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else str(value)


class _Refused(yaml.YAMLError):
    """Input the bounded loader will not read, with where it is and what to do."""

    def __init__(self, message: str, mark: Any, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.hint = hint


def _key_text(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return shown(node.value)
    return "a mapping key" if isinstance(node, MappingNode) else "a list key"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that bounds nesting and alias expansion, refuses recursive aliases, duplicate
    keys and absurd numbers, and remembers each key's constructed value for the line walker."""

    def __init__(self, text: str, line_offset: int) -> None:
        super().__init__(text)
        self.line_offset = line_offset  # lines of the file before `text` (front matter's ---)
        self.depth = 0
        self.fresh = 0  # nodes written out in the document
        self.aliased = 0  # nodes the aliases add when expanded
        self.sizes: dict[Node, int] = {}  # expanded size of each completed node
        self.keys: dict[Node, object] = {}  # constructed value of each scalar node
        self.merges: dict[Node, int] = {}  # length of the chain of merge keys behind a mapping

    def _peek(self) -> Any:
        return self.peek_event()  # type: ignore[no-untyped-call]

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self._peek()
            target = self.anchors.get(event.anchor)
            if isinstance(target, CollectionNode) and target.end_mark is None:
                # composed nodes get their end mark when they close: this one is still open
                raise _Refused(
                    f"alias *{event.anchor} refers to a node that contains it",
                    event.start_mark,
                    f"data cannot contain itself: copy the values instead of using *{event.anchor}",
                )
            if target is not None:
                self.aliased += self.sizes.get(target, 1)
                if self.aliased > ALIAS_BUDGET + self.fresh:
                    raise _Refused(
                        "aliases expand to too much data "
                        f"(over {ALIAS_BUDGET + self.fresh:,} values)",
                        event.start_mark,
                        "use anchors (&name) and aliases (*name) for a few shared values, "
                        "not to multiply data",
                    )
            return super().compose_node(parent, index)
        event = self._peek()
        first = self.anchors.get(event.anchor) if event.anchor is not None else None
        if first is not None:
            raise _Refused(
                f"anchor &{event.anchor} is defined twice: at line "
                f"{self.line_offset + first.start_mark.line + 1} and at line "
                f"{self.line_offset + event.start_mark.line + 1}",
                event.start_mark,
                "give each anchor its own name",
            )
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Refused(
                    f"nested more than {MAX_DEPTH} levels deep",
                    event.start_mark,
                    "no setting needs this much nesting: check for unclosed [ or { "
                    "and the indentation",
                )
        try:
            node = super().compose_node(parent, index)
        finally:
            if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
                self.depth -= 1
        assert node is not None
        self.fresh += 1
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self.sizes.get(item, 1) for item in node.value)
        elif isinstance(node, MappingNode):
            size += sum(self.sizes.get(k, 1) + self.sizes.get(v, 1) for k, v in node.value)
            self._check_keys(node)
        self.sizes[node] = size
        return node

    def _check_keys(self, node: MappingNode) -> None:
        """Keys are single values, given once (PyYAML would keep the last silently), and merge
        keys (<<) chain no deeper than MAX_DEPTH (PyYAML flattens them recursively)."""
        seen: dict[object, Node] = {}
        merged = 0
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Refused(
                    "a key must be a single value (text or a number), not a list or mapping",
                    key_node.start_mark,
                    "write the key as plain text",
                )
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                merged = max([merged, *(self.merges.get(src, 0) + 1 for src in sources)])
                continue
            if key_node.tag == _VALUE_TAG:
                continue
            key = self.construct_object(key_node)
            if not isinstance(key, Hashable):
                continue
            first = seen.setdefault(key, key_node)
            if first is key_node:
                continue
            a, b = (self.line_offset + n.start_mark.line + 1 for n in (first, key_node))
            if first.value == key_node.value:
                message = f"key {_key_text(key_node)} is given twice: at line {a} and at line {b}"
            else:
                message = (
                    f"key {_key_text(key_node)} (line {b}) is the same key as "
                    f"{_key_text(first)} (line {a})"
                )
            raise _Refused(
                message,
                key_node.start_mark,
                "keep one of them (YAML would silently use the last one)",
            )
        if merged > MAX_DEPTH:
            raise _Refused(
                f"merge keys (<<) chained more than {MAX_DEPTH} deep",
                node.start_mark,
                "merge a shared mapping directly instead of a chain of merges",
            )
        if merged:
            self.merges[node] = merged

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            data = super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # a date such as 2026-02-30
            what = "date" if node.tag.endswith("timestamp") else "value"
            raise _Refused(
                f"invalid {what} {shown(node.value)}: {exc}", node.start_mark, _QUOTE_TIP
            ) from None
        if isinstance(node, ScalarNode):
            if isinstance(data, str) and (bad := _NON_PRINTABLE.search(data)):
                raise _Refused(
                    f"text contains a control or invalid character (#x{ord(bad.group()):04x})",
                    node.start_mark,
                    "remove it, or the escape (such as \\x00 or \\ud800) that makes it",
                )
            self.keys[node] = data
        return data

    def construct_unsupported(self, node: Node) -> None:
        raise _Refused(
            f"values tagged {node.tag.replace('tag:yaml.org,2002:', '!!')} are not supported",
            node.start_mark,
            "write plain YAML: text, numbers, true/false, dates, lists and mappings",
        )

    def construct_bounded_int(self, node: ScalarNode) -> int:
        text = str(node.value)
        if len(text) > MAX_INT_TEXT:
            raise _Refused(
                f"integer too large ({len(text):,} characters)", node.start_mark, _QUOTE_TIP
            )
        value = self.construct_yaml_int(node)
        if not -MAX_INT < value < MAX_INT:
            raise _Refused(
                f"integer too large: {shown(value)} (no setting takes a number beyond 10^18)",
                node.start_mark,
                _QUOTE_TIP,
            )
        return value

    def construct_finite_float(self, node: ScalarNode) -> float:
        value = self.construct_yaml_float(node)
        if not math.isfinite(value):
            raise _Refused(
                f"{shown(node.value)} is not a finite number", node.start_mark, _QUOTE_TIP
            )
        return value


_BoundedLoader.add_constructor(_INT_TAG, _BoundedLoader.construct_bounded_int)
_BoundedLoader.add_constructor(_FLOAT_TAG, _BoundedLoader.construct_finite_float)
for _tag in _UNSUPPORTED_TAGS:
    _BoundedLoader.add_constructor(
        f"tag:yaml.org,2002:{_tag}", _BoundedLoader.construct_unsupported
    )


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


def _key_lines(root: Node, keys: dict[Node, object], offset: int) -> dict[KeyPath, int]:
    """The line of every key and item, walking each node once with an explicit stack.

    A node reached again through an alias is not descended into again (its keys are located
    under the path it was first met at; callers fall back to the alias's own line).
    """
    lines: dict[KeyPath, int] = {}
    visited: set[Node] = set()
    stack: list[tuple[Node, KeyPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        children: list[tuple[Node, KeyPath]] = []
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key = keys.get(key_node, key_node.value)
                if not isinstance(key, Hashable) or not isinstance(key_node, ScalarNode):
                    key = _key_text(key_node)
                sub = (*path, key)
                # assigned, not setdefault: after a merge (<<) the last pair is the one in data
                lines[sub] = key_node.start_mark.line + 1 + offset
                children.append((value_node, sub))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                sub = (*path, i)
                lines[sub] = item.start_mark.line + 1 + offset
                children.append((item, sub))
        stack.extend(reversed(children))
    return lines


def parse_yaml(text: str, path: Path, *, what: str, line_offset: int = 0) -> YamlDoc:
    """Parse `text` (read from `path`; its first line is line 1 + `line_offset` of the file).

    Every problem, syntax or refused content, becomes a ScholarpageError naming the file and line.
    """

    def located(message: str, mark: Any, hint: str) -> ScholarpageError:
        line = mark.line + 1 + line_offset if mark is not None else None
        return ScholarpageError.single(message, file=path, line=line, hint=hint)

    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, line_offset)  # checks the characters, so inside the try
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        lines = _key_lines(node, loader.keys, line_offset) if node is not None else {}
    except _Refused as exc:
        raise located(exc.message, exc.mark, exc.hint) from None
    except (yaml.composer.ComposerError, yaml.constructor.ConstructorError) as exc:
        # well-formed YAML the reader cannot turn into values (an unknown tag, an alias without
        # its anchor, a merge of a scalar): not a syntax error
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context.rstrip('; ')}: {problem}"
        raise located(
            f"YAML error: {problem}",
            exc.problem_mark or exc.context_mark,
            "use plain YAML values; an alias (*name) needs its anchor (&name) before it, "
            "once; !!tags such as !!python/... are not read",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark is not None:
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1 + line_offset})"
            if "<stream end>" in problem:
                # the end of the file says nothing; the construct left open is what to fix
                mark = exc.context_mark
        raise located(
            f"YAML syntax error: {problem}",
            mark,
            "check indentation and quoting near this line (quote values with '#' or ': ')",
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1 + line_offset
        char = exc.character if isinstance(exc.character, int) else 0
        raise ScholarpageError.single(
            f"{what} contains a control character (#x{char:04x}), which YAML does not allow",
            file=path,
            line=line,
            hint="remove it (a stray byte from copying and pasting?)",
        ) from None
    except yaml.YAMLError as exc:
        raise ScholarpageError.single(f"YAML error: {exc}", file=path) from None
    except (RecursionError, MemoryError):
        # the loader bounds depth and size, so this is a backstop, never a traceback
        raise ScholarpageError.single(
            f"{what} is too deeply nested or too large to read",
            file=path,
            hint=f"keep it under {MAX_DEPTH} levels of nesting and of a sane size",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDoc(path, data, lines)


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
    return parse_yaml(text, path, what=what)
