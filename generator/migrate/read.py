"""Reading the source site, which is untrusted input: every file goes through
`publishable` (inside SRC once symlinks are followed, not hidden, a regular file within its
kind's limit) and `read_input` (bounded, never blocks on a FIFO). A file refused or unreadable
is recorded as lost, with its path and why, rather than failing the whole migration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from generator.errors import ScholarpageError
from generator.migrate.write import Draft
from generator.sources import PAGE, YAML, Kind, Refusal, publishable, read_input
from generator.yamlfile import YamlDoc, parse_yaml

MAX_LISTED = 5_000
"""Entries of one SRC folder read (news items, publications, talks); the rest is reported."""
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)


class Source:
    """SRC, with every read checked and every refusal recorded in `draft`."""

    def __init__(self, root: Path, draft: Draft) -> None:
        if not root.is_dir():
            raise ScholarpageError.single(
                "SRC is not a folder", file=root, hint="give the folder of the site to migrate"
            )
        self.root = root
        self.draft = draft

    def path(self, rel: str) -> Path:
        return self.root / rel

    def has(self, rel: str) -> bool:
        return (self.root / rel).exists() or (self.root / rel).is_symlink()

    def file(self, rel: str, kind: Kind) -> Path | None:
        """The checked file `rel`, or None (recorded as lost unless it does not exist)."""
        if not self.has(rel):
            return None
        result = publishable(self.root, rel, kind, inside="the source site")
        if isinstance(result, Refusal):
            self.draft.lose(self.path(rel), None, f"not read: {result.reason}")
            return None
        return result

    def read(self, rel: str, kind: Kind) -> str | None:
        checked = self.file(rel, kind)
        if checked is None:
            return None
        try:
            return read_input(checked, kind).decode("utf-8-sig")
        except ScholarpageError as exc:
            self.draft.lose(self.path(rel), None, f"not read: {exc.problems[0].message}")
        except UnicodeDecodeError as exc:
            self.draft.lose(self.path(rel), None, f"not read: not UTF-8 (byte {exc.start})")
        return None

    def yaml(self, rel: str) -> YamlDoc | None:
        text = self.read(rel, YAML)
        if text is None:
            return None
        try:
            return parse_yaml(text, self.path(rel), what="YAML file")
        except ScholarpageError as exc:
            p = exc.problems[0]
            self.draft.lose(self.path(rel), p.line, f"not read: {p.message}")
            return None

    def mapping(self, rel: str) -> tuple[YamlDoc, dict[str, Any]] | None:
        doc = self.yaml(rel)
        if doc is None:
            return None
        if not isinstance(doc.data, dict):
            if doc.data is not None:
                self.draft.lose(self.path(rel), 1, "not read: expected a mapping of key: value")
            return None
        return doc, doc.data

    def front_matter(self, rel: str) -> tuple[YamlDoc, str, int] | None:
        """(front matter, body, the body's first line) of a Markdown file with `---` YAML."""
        text = self.read(rel, PAGE)
        if text is None:
            return None
        match = _FRONT.match(text)
        if match is None:
            return YamlDoc(self.path(rel), {}, {}), text, 1
        try:
            doc = parse_yaml(match.group(1), self.path(rel), what="front matter", line_offset=1)
        except ScholarpageError as exc:
            p = exc.problems[0]
            self.draft.lose(self.path(rel), p.line, f"not read: {p.message}")
            return None
        if not isinstance(doc.data, dict):
            doc = YamlDoc(self.path(rel), {}, {})
        body = text[match.end() :]
        return doc, body, text.count("\n", 0, match.end()) + 1

    def listing(self, rel: str, suffixes: tuple[str, ...] = ()) -> list[str]:
        """Relative paths of the visible entries of folder `rel` (not entered when it is a
        symlink), sorted, at most MAX_LISTED; `suffixes` keeps only names ending so."""
        folder = self.root / rel
        if folder.is_symlink() or not folder.is_dir():
            if folder.is_symlink():
                self.draft.lose(folder, None, "not read: a symlinked folder is not followed")
            return []
        names = sorted(
            p.name
            for p in folder.iterdir()
            if not p.name.startswith((".", "~")) and (not suffixes or p.name.endswith(suffixes))
        )
        if len(names) > MAX_LISTED:
            self.draft.lose(folder, None, f"only the first {MAX_LISTED} of {len(names)} read")
            names = names[:MAX_LISTED]
        return [f"{rel}/{name}" for name in names]

    def tree(self, rel: str, kind: Kind) -> list[tuple[str, Path]]:
        """Every visible file under `rel` as (path relative to `rel`, checked source)."""
        folder = self.root / rel
        if folder.is_symlink() or not folder.is_dir():
            if folder.is_symlink():
                self.draft.lose(folder, None, "not copied: a symlinked folder is not followed")
            return []
        found: list[tuple[str, Path]] = []
        stack = [folder]
        while stack:
            current = stack.pop()
            for entry in sorted(current.iterdir(), reverse=True):
                if entry.name.startswith((".", "~")):
                    continue
                sub = entry.relative_to(self.root).as_posix()
                if entry.is_dir() and not entry.is_symlink():
                    stack.append(entry)
                    continue
                checked = self.file(sub, kind)
                if checked is not None:
                    found.append((entry.relative_to(folder).as_posix(), checked))
                if len(found) > MAX_LISTED * 4:
                    self.draft.lose(folder, None, "too many files; the rest was not copied")
                    return sorted(found)
        return sorted(found)


def text_value(value: object) -> str | None:
    """A YAML scalar as stripped text (None for nothing, a mapping or a list)."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None
