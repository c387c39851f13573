"""Typed, located reading of the content files that are lists of records (news, talks, teaching,
people, the CV): each record's keys are checked against its declared schema, each value against
its type, and every problem keeps its file, line and key.

Unknown keys are warnings with a did-you-mean (errors under --strict), like site.yaml's; a value
of the wrong type is an error. A reader collects every problem of a file before it stops, so the
user fixes them in one go.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import Problem, ScholarpageError, Warnings, did_you_mean
from generator.model import PaperDate, Where
from generator.urls import safe_url
from generator.yamlfile import KeyPath, YamlDoc

_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
TEXT_LIMIT = 20_000
"""Characters in one text value: a news item or a CV line, not a book."""


def keyname(keypath: KeyPath) -> str:
    """`(3, "date")` -> "[3].date", `("work", 0, "name")` -> "work[0].name"."""
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Fields:
    """Collects the problems of one file while its values are converted."""

    doc: YamlDoc
    warnings: Warnings
    what: str  # "news item", "talk", ... for messages

    def __post_init__(self) -> None:
        self.problems: list[Problem] = []

    @property
    def path(self) -> Path:
        return self.doc.path

    def where(self, keypath: KeyPath) -> Where:
        return Where(self.doc.path, self.doc.line(keypath), keyname(keypath) or None)

    def fail(self, keypath: KeyPath, message: str, hint: str | None = None) -> None:
        self.problems.append(
            Problem(message, self.doc.path, self.doc.line(keypath), keyname(keypath), hint)
        )

    def warn(self, keypath: KeyPath, message: str, hint: str | None = None) -> None:
        self.warnings.warn(
            message,
            file=self.doc.path,
            line=self.doc.line(keypath),
            key=keyname(keypath),
            hint=hint,
        )

    def raise_problems(self) -> None:
        if self.problems:
            raise ScholarpageError(tuple(self.problems))

    def items(self, data: Any, keypath: KeyPath = (), *, example: str) -> list[tuple[int, Any]]:
        """The items of a list (an empty or absent file is an empty list)."""
        if data is None:
            return []
        if not isinstance(data, list):
            self.fail(keypath, f"expected a list of {self.what}s", f"write it as {example}")
            return []
        return list(enumerate(data))

    def record(
        self, item: Any, keypath: KeyPath, keys: Sequence[str], *, example: str
    ) -> dict[str, Any] | None:
        """`item` as a mapping, unknown keys warned about; None (and a problem) if it is not one."""
        if not isinstance(item, dict):
            self.fail(keypath, f"expected a {self.what} (a mapping of key: value)", example)
            return None
        for key in item:
            if key not in keys:
                self.warn(
                    (*keypath, str(key)),
                    f"unknown key in a {self.what} (ignored)",
                    did_you_mean(str(key), tuple(keys)) or f"known keys: {', '.join(keys)}",
                )
        return item

    def text(
        self, data: Mapping[str, Any], key: str, keypath: KeyPath, *, required: bool = False
    ) -> str | None:
        """A text value (numbers are taken as text: `year: 2024`); None when absent or empty."""
        value = data.get(key)
        where = (*keypath, key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(where, "is required", f"give each {self.what} a {key}")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float, dt.date)):
            self.fail(where, f"expected text, got {_kind(value)}")
            return None
        text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
        if len(text) > TEXT_LIMIT:
            self.fail(where, f"is {len(text):,} characters long, over {TEXT_LIMIT:,}")
            return None
        return text

    def url(self, data: Mapping[str, Any], key: str, keypath: KeyPath) -> str | None:
        """An http(s)/mailto URL or a path in the site (files/x.pdf); anything else is an error."""
        value = self.text(data, key, keypath)
        if value is None:
            return None
        checked = safe_url(value)
        if checked is None:
            self.fail(
                (*keypath, key),
                f"unsafe or malformed URL {value!r}",
                "use an http(s) or mailto URL, or the path of a published file (files/x.pdf)",
            )
        return checked

    def day(self, data: Mapping[str, Any], key: str, keypath: KeyPath) -> dt.date | None:
        """A date written YYYY-MM-DD (YAML reads it as a date; a quoted one is read too)."""
        value = data.get(key)
        where = (*keypath, key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if value is None:
            self.fail(where, "is required", f"give each {self.what} a date: YYYY-MM-DD")
        else:
            self.fail(where, f"expected a date YYYY-MM-DD, got {value!r}")
        return None

    def partial_date(self, data: Mapping[str, Any], key: str, keypath: KeyPath) -> PaperDate:
        """A date as precise as known: YYYY-MM-DD, YYYY-MM or YYYY."""
        value = data.get(key)
        where = (*keypath, key)
        if value is None:
            return PaperDate(None)
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return PaperDate(value.year, value.month, value.day)
        text = str(value).strip() if isinstance(value, (str, int)) else ""
        match = _YEAR_MONTH.fullmatch(text) if not isinstance(value, bool) else None
        if match:
            year, month, day = (int(g) if g else None for g in match.groups())
            try:
                if year is not None:
                    dt.date(year, month or 1, day or 1)
                    return PaperDate(year, month, day)
            except ValueError:
                pass
        self.fail(where, f"expected a date YYYY-MM-DD, YYYY-MM or YYYY, got {value!r}")
        return PaperDate(None)

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        keypath: KeyPath,
        choices: Sequence[str],
        default: str,
    ) -> str:
        value = data.get(key, default)
        if value in choices:
            return str(value)
        self.fail(
            (*keypath, key),
            f"expected one of {', '.join(choices)}, got {value!r}",
            did_you_mean(str(value), tuple(choices)),
        )
        return default


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    return type(value).__name__
