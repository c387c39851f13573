"""content/talks.yaml, teaching.yaml and people.yaml -> typed records, and their template context.

Each is a list of records with a declared schema (unknown keys warn with a did-you-mean, wrong
types are errors at file:line). Each present file gives a page: talks and teaching grouped by
year, newest first; people by status (current, then alumni). All values are plain text (the
templates escape them); URLs are checked (http(s), mailto or a path of the site).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from generator.assemble import MONTH_ABBR
from generator.errors import Warnings
from generator.fields import Fields
from generator.model import Course, Member, PaperDate, Talk
from generator.yamlfile import read_yaml

TALKS_FILE = Path("content") / "talks.yaml"
TEACHING_FILE = Path("content") / "teaching.yaml"
PEOPLE_FILE = Path("content") / "people.yaml"
TALK_KEYS = ("title", "event", "location", "date", "url", "slides", "video")
COURSE_KEYS = ("course", "role", "term", "year", "institution", "url")
MEMBER_KEYS = ("name", "role", "years", "url", "photo", "status")
STATUSES = ("current", "alumni")
TALK_EXAMPLE = "- {title: My talk, event: ICML 2026, date: 2026-07-20}"
COURSE_EXAMPLE = "- {course: Numerical Methods, role: Instructor, term: Fall 2025}"
MEMBER_EXAMPLE = "- {name: Ada Student, role: PhD student, years: 2024–, status: current}"
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")

T = TypeVar("T")


def read_talks(path: Path, warnings: Warnings) -> tuple[Talk, ...]:
    doc = read_yaml(path, what="talks file")
    fields = Fields(doc, warnings, "talk")
    out: list[Talk] = []
    for i, raw in fields.items(doc.data, example=TALK_EXAMPLE):
        item = fields.record(raw, (i,), TALK_KEYS, example=TALK_EXAMPLE)
        if item is None:
            continue
        title = fields.text(item, "title", (i,), required=True)
        talk = Talk(
            title=title or "",
            event=fields.text(item, "event", (i,)),
            location=fields.text(item, "location", (i,)),
            date=fields.partial_date(item, "date", (i,)),
            url=fields.url(item, "url", (i,)),
            slides=fields.url(item, "slides", (i,)),
            video=fields.url(item, "video", (i,)),
            where=fields.where((i,)),
        )
        if title is not None:
            out.append(talk)
    fields.raise_problems()
    return tuple(out)


def read_teaching(path: Path, warnings: Warnings) -> tuple[Course, ...]:
    doc = read_yaml(path, what="teaching file")
    fields = Fields(doc, warnings, "course")
    out: list[Course] = []
    for i, raw in fields.items(doc.data, example=COURSE_EXAMPLE):
        item = fields.record(raw, (i,), COURSE_KEYS, example=COURSE_EXAMPLE)
        if item is None:
            continue
        name = fields.text(item, "course", (i,), required=True)
        term = fields.text(item, "term", (i,))
        year = fields.partial_date(item, "year", (i,)).year
        if year is None and term:
            found = _YEAR.search(term)
            year = int(found.group(1)) if found else None
        course = Course(
            course=name or "",
            role=fields.text(item, "role", (i,)),
            term=term,
            year=year,
            institution=fields.text(item, "institution", (i,)),
            url=fields.url(item, "url", (i,)),
            where=fields.where((i,)),
        )
        if name is not None:
            out.append(course)
    fields.raise_problems()
    return tuple(out)


def read_people(path: Path, warnings: Warnings) -> tuple[Member, ...]:
    doc = read_yaml(path, what="people file")
    fields = Fields(doc, warnings, "person")
    out: list[Member] = []
    for i, raw in fields.items(doc.data, example=MEMBER_EXAMPLE):
        item = fields.record(raw, (i,), MEMBER_KEYS, example=MEMBER_EXAMPLE)
        if item is None:
            continue
        name = fields.text(item, "name", (i,), required=True)
        member = Member(
            name=name or "",
            role=fields.text(item, "role", (i,)),
            years=fields.text(item, "years", (i,)),
            url=fields.url(item, "url", (i,)),
            photo=fields.url(item, "photo", (i,)),
            status=fields.choice(item, "status", (i,), STATUSES, "current"),
            where=fields.where((i,)),
        )
        if name is not None:
            out.append(member)
    fields.raise_problems()
    return tuple(out)


# --- template context ---------------------------------------------------------------------


def date_text(date: PaperDate) -> str:
    """ "Jul 20, 2026", "Jul 2026" or "2026": as much as is known."""
    if date.year is None:
        return ""
    if date.month is None:
        return str(date.year)
    month = MONTH_ABBR[date.month - 1]
    return f"{month} {date.day}, {date.year}" if date.day else f"{month} {date.year}"


def by_year(
    items: Sequence[T], year: Callable[[T], int | None], sort: Callable[[T], Any]
) -> list[tuple[int | None, list[T]]]:
    """Items grouped by year, newest year first, undated last; within a year by `sort`."""
    groups: dict[int | None, list[T]] = {}
    for item in sorted(items, key=sort):
        groups.setdefault(year(item), []).append(item)
    return sorted(groups.items(), key=lambda g: (g[0] is None, -(g[0] or 0)))


def talk_context(talk: Talk) -> dict[str, Any]:
    return {
        "title": talk.title,
        "event": talk.event,
        "location": talk.location,
        "date": date_text(talk.date),
        "date_iso": talk.date.iso(),
        "year": talk.date.year,
        "url": talk.url,
        "slides": talk.slides,
        "video": talk.video,
    }


def talks_context(talks: Sequence[Talk]) -> list[dict[str, Any]]:
    """[{year, entries}], newest first (a talk's place in the file breaks ties)."""
    order = {id(t): i for i, t in enumerate(talks)}
    groups = by_year(
        talks,
        lambda t: t.date.year,
        lambda t: (tuple(-x for x in t.date.sort_key()), order[id(t)]),
    )
    return [{"year": y, "entries": [talk_context(t) for t in ts]} for y, ts in groups]


def course_context(course: Course) -> dict[str, Any]:
    return {
        "course": course.course,
        "role": course.role,
        "term": course.term,
        "year": course.year,
        "institution": course.institution,
        "url": course.url,
    }


def teaching_context(courses: Sequence[Course]) -> list[dict[str, Any]]:
    """[{year, entries}], newest year first; within a year, the file's order."""
    order = {id(c): i for i, c in enumerate(courses)}
    groups = by_year(courses, lambda c: c.year, lambda c: order[id(c)])
    return [{"year": y, "entries": [course_context(c) for c in cs]} for y, cs in groups]


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in (parts[:1] + parts[-1:] if len(parts) > 1 else parts))


def member_context(member: Member) -> dict[str, Any]:
    return {
        "name": member.name,
        "initials": initials(member.name),
        "role": member.role,
        "years": member.years,
        "url": member.url,
        "photo": member.photo,
        "status": member.status,
    }


def people_context(people: Sequence[Member]) -> list[dict[str, Any]]:
    """[{status, title, entries}]: current members, then alumni, each in the file's order."""
    titles = {"current": "Current members", "alumni": "Alumni"}
    return [
        {
            "status": status,
            "title": titles[status],
            "entries": [member_context(m) for m in people if m.status == status],
        }
        for status in STATUSES
        if any(m.status == status for m in people)
    ]
