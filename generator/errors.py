"""One error type for everything the user can fix.

The library raises these; only the CLI turns them into a message and an exit code. Each problem
carries where it is (file, line, key) and a hint, so the message can say what to do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    """A hint naming the closest known word, so a typo in a key or value points at the fix."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    message: str
    file: Path | None = None
    line: int | None = None
    key: str | None = None
    hint: str | None = None

    def format(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        text = f"{where}{key}{self.message}"
        if self.hint:
            text += f"\n  tip: {self.hint}"
        return text


@dataclass
class ScholarpageError(Exception):
    """Raised for input the user must fix; holds every problem found so all are reported at once."""

    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> ScholarpageError:
        return cls((Problem(message, file, line, key, hint),))

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)


class Problems:
    """The located problems of one input, reported together: add() each as it is found, then
    raise_if_any() once, so the user sees every problem of a file in one run, not one per run."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(
        self,
        message: str,
        file: Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self._items.append(Problem(message, file, line, key, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Take over problems found elsewhere (a ScholarpageError of a part that was read)."""
        self._items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise ScholarpageError(tuple(self._items))


class Warnings:
    """Collects non-fatal problems during a build; `--strict` turns them into an error.

    An instance is created per build and passed down explicitly (no module-level state).
    """

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._seen: set[tuple[str, str | None, int | None]] = set()

    def add(self, problem: Problem) -> None:
        sig = (problem.message, str(problem.file) if problem.file else None, problem.line)
        if sig not in self._seen:
            self._seen.add(sig)
            self._items.append(problem)

    def warn(
        self,
        message: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.add(Problem(message, file, line, key, hint))

    @property
    def items(self) -> tuple[Problem, ...]:
        return tuple(self._items)

    def __len__(self) -> int:
        return len(self._items)
