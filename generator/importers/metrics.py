"""Write imported metrics into profile.yaml's `metrics:`, changing nothing else.

The file is edited as text at positions PyYAML reports, so comments, order and formatting
stay: a metric that scholarpage wrote before (its `source` is the same) gets its value
replaced, a missing one is added as a line at the end of `metrics:` (or a new `metrics:` block
is added at the end of the file). A metric the user declared (a plain number, or another
source) is kept and reported. The result is parsed again and must equal the old data with only
those metrics changed; when it does not (anchors, flow style at the top, odd layouts), nothing
is edited and the report gives the lines to add by hand.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.sources import YAML, read_input

_BOM = "\ufeff"


@dataclass(frozen=True)
class MetricUpdate:
    key: str  # h_index, i10_index, citations
    value: int


@dataclass(frozen=True)
class MetricsPlan:
    """The new bytes of the profile (None: nothing to write) and what the report says."""

    path: Path
    data: bytes | None
    original: bytes | None
    written: tuple[str, ...]
    kept: tuple[str, ...]
    manual: str | None


def _flow(update: MetricUpdate, source: str, as_of: dt.date) -> str:
    return f"{{value: {update.value}, source: {source}, as_of: {as_of.isoformat()}}}"


def _content_end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark runs on to the next token,
    past comments and blank lines, so take its last child's end)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _content_end(node.value[-1])
    return int(node.end_mark.index)


def _ours(value: Any, source: str) -> bool:
    return isinstance(value, dict) and str(value.get("source", "")).casefold() == source.casefold()


def plan_metrics(
    path: Path, updates: tuple[MetricUpdate, ...], *, source: str, as_of: dt.date
) -> MetricsPlan:
    """The edit of `path` that sets `updates` (see the module docstring)."""
    manual_lines = "metrics:\n" + "".join(
        f"  {u.key}: {_flow(u, source, as_of)}\n" for u in updates
    )
    if not path.is_file():
        return MetricsPlan(path, None, None, (), (), manual_lines)
    raw = read_input(path, YAML, what="profile")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return MetricsPlan(path, None, raw, (), (), manual_lines)
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return MetricsPlan(path, None, raw, (), (), manual_lines)
    newline = "\r\n" if "\r\n" in text else "\n"
    if data is None:
        data, root = {}, None
    if not isinstance(data, dict) or (root is not None and not isinstance(root, yaml.MappingNode)):
        return MetricsPlan(path, None, raw, (), (), manual_lines)
    metrics = data.get("metrics")
    if metrics is not None and not isinstance(metrics, dict):
        return MetricsPlan(path, None, raw, (), (), manual_lines)
    metrics = metrics or {}
    todo: list[MetricUpdate] = []
    kept: list[str] = []
    for update in updates:
        current = metrics.get(update.key)
        if update.key in metrics and not _ours(current, source):
            shown = current.get("value") if isinstance(current, dict) else current
            kept.append(
                f"{update.key}: {shown} (declared in the profile; OpenAlex says {update.value})"
            )
            continue
        if (
            isinstance(current, dict)
            and _ours(current, source)
            and (current.get("value"), current.get("as_of")) == (update.value, as_of)
        ):
            continue
        todo.append(update)
    if not todo:
        return MetricsPlan(path, None, raw, (), tuple(kept), None)
    edits = _edits(text, root, todo, source, as_of, newline)
    expected = copy.deepcopy(data)
    if not isinstance(expected.get("metrics"), dict):
        expected["metrics"] = {}
    target = expected["metrics"]
    for update in todo:
        target[update.key] = {"value": update.value, "source": source, "as_of": as_of}
    if edits is None:
        return MetricsPlan(path, None, raw, (), tuple(kept), manual_lines)
    new_text = text
    for start, end, replacement in sorted(edits, reverse=True):
        new_text = new_text[:start] + replacement + new_text[end:]
    try:
        again = yaml.safe_load(new_text)
    except yaml.YAMLError:
        again = None
    if again != expected:
        return MetricsPlan(path, None, raw, (), tuple(kept), manual_lines)
    data_out = ((_BOM if bom else "") + new_text).encode("utf-8")
    written = tuple(f"{u.key}: {u.value}" for u in todo)
    return MetricsPlan(path, data_out, raw, written, tuple(kept), None)


def _edits(
    text: str,
    root: yaml.Node | None,
    todo: list[MetricUpdate],
    source: str,
    as_of: dt.date,
    newline: str,
) -> list[tuple[int, int, str]] | None:
    if root is None or not root.value:
        lead = "" if not text or text.endswith("\n") else newline
        block = (
            "metrics:"
            + newline
            + "".join(f"  {u.key}: {_flow(u, source, as_of)}{newline}" for u in todo)
        )
        return [(len(text), len(text), lead + block)]
    assert isinstance(root, yaml.MappingNode)
    if root.flow_style:
        return None
    metrics_pair = next(
        ((k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "metrics"),
        None,
    )
    if metrics_pair is None:
        end = _content_end(root)
        cut = text.find("\n", end)
        at = len(text) if cut == -1 else cut + 1
        lead = newline if cut == -1 else ""
        column = root.value[0][0].start_mark.column
        pad = " " * column
        block = f"{pad}metrics:{newline}" + "".join(
            f"{pad}  {u.key}: {_flow(u, source, as_of)}{newline}" for u in todo
        )
        return [(at, at, lead + block)]
    key_node, value_node = metrics_pair
    if isinstance(value_node, yaml.ScalarNode):  # `metrics:` with nothing (null) after it
        start = int(value_node.start_mark.index)
        end = int(value_node.end_mark.index)
        cut = text.find("\n", end)
        at = len(text) if cut == -1 else cut + 1
        lead = newline if cut == -1 else ""
        pad = " " * (key_node.start_mark.column + 2)
        block = "".join(f"{pad}{u.key}: {_flow(u, source, as_of)}{newline}" for u in todo)
        return [(start, end, ""), (at, at, lead + block)]
    if not isinstance(value_node, yaml.MappingNode):
        return None
    edits: list[tuple[int, int, str]] = []
    present = {k.value: (k, v) for k, v in value_node.value if isinstance(k, yaml.ScalarNode)}
    missing: list[MetricUpdate] = []
    for update in todo:
        if update.key in present:
            k, v = present[update.key]
            if value_node.flow_style:
                edits.append(
                    (int(v.start_mark.index), _content_end(v), _flow(update, source, as_of))
                )
            else:
                edits.append(
                    (int(k.end_mark.index), _content_end(v), ": " + _flow(update, source, as_of))
                )
        else:
            missing.append(update)
    if missing and value_node.flow_style:
        close = int(value_node.end_mark.index) - 1
        if text[close : close + 1] != "}":
            return None
        body = ", ".join(f"{u.key}: {_flow(u, source, as_of)}" for u in missing)
        sep = ", " if value_node.value else ""
        edits.append((close, close, sep + body))
    elif missing:
        if not value_node.value:
            return None
        end = _content_end(value_node)
        cut = text.find("\n", end)
        at = len(text) if cut == -1 else cut + 1
        lead = newline if cut == -1 else ""
        pad = " " * value_node.value[0][0].start_mark.column
        block = "".join(f"{pad}{u.key}: {_flow(u, source, as_of)}{newline}" for u in missing)
        edits.append((at, at, lead + block))
    return edits
