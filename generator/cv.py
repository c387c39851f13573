"""content/cv.yaml (al-folio's cv.yml format) or content/resume.json (JSON Resume 1.0) -> CV.

Both are read into one record: sections of a kind al-folio names (`map`, `time_table`, `list`,
`nested_list`), so one template renders either. al-folio's file is read as it is, inline HTML
included (`<a href>`, `<u>`: see generator/richtext.py, which keeps a small safe set and shows
everything else as text). JSON Resume's sections become sections of the same kinds, in the
order of the schema's documentation. Unknown keys warn with a did-you-mean; a value of the
wrong type is an error at its line.

The CV page (`cv/`) adds a Publications section from the bibliography (site.yaml's
`cv_publications`), and with `cv_pdf: true` the build prints that same page to `cv.pdf`
(generator/cvpdf.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator import richtext
from generator.assemble import MONTH_ABBR
from generator.errors import ScholarpageError, Warnings, did_you_mean
from generator.fields import Fields
from generator.files import relocate, relocate_url
from generator.markdown import render_markdown
from generator.model import CV, CVContact, CVEntry, CVItem, CVSection
from generator.yamlfile import KeyPath, YamlDoc, read_yaml

ALFOLIO_FILE = Path("content") / "cv.yaml"
ALFOLIO_ALIASES = (Path("content") / "cv.yml",)
RESUME_FILE = Path("content") / "resume.json"
CV_PAGE = "cv/index.html"
CV_PDF = "cv.pdf"
KINDS = ("map", "time_table", "list", "nested_list")
SECTION_KEYS = ("title", "type", "contents")
TIME_TABLE_KEYS = ("title", "institution", "year", "location", "description", "items", "url")
ALFOLIO_EXAMPLE = "- {title: Education, type: time_table, contents: [{title: PhD, year: 2020}]}"
_ISO = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def cv_sources(site_dir: Path) -> list[Path]:
    """The CV files present (more than one is an error the caller reports)."""
    names = [ALFOLIO_FILE, *ALFOLIO_ALIASES, RESUME_FILE]
    return [site_dir / n for n in names if (site_dir / n).exists() or (site_dir / n).is_symlink()]


def read_cv(site_dir: Path, warnings: Warnings) -> CV | None:
    """The site's CV, or None when it has none."""
    found = cv_sources(site_dir)
    if len(found) > 1:
        raise ScholarpageError.single(
            "more than one CV: " + ", ".join(p.name for p in found),
            file=found[1],
            hint="keep one: content/cv.yaml (al-folio's format) or content/resume.json",
        )
    if not found:
        return None
    path = found[0]
    if path.suffix == ".json":
        from generator.jsonfile import read_json

        return _JsonResume(read_json(path, what="resume"), warnings).read()
    return _AlFolio(read_yaml(path, what="CV"), warnings).read()


# --- al-folio -------------------------------------------------------------------------------


class _AlFolio:
    def __init__(self, doc: YamlDoc, warnings: Warnings) -> None:
        self.doc = doc
        self.f = Fields(doc, warnings, "CV section")

    def line(self, keypath: KeyPath) -> int | None:
        return self.doc.line(keypath)

    def html(self, value: Any, keypath: KeyPath) -> str:
        """One text value as inline HTML ('' when absent)."""
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float, dt.date)):
            self.f.fail(keypath, f"expected text, got {type(value).__name__}")
            return ""
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return richtext.inline(text)

    def strings(self, value: Any, keypath: KeyPath) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            return (self.html(value, keypath),)
        return tuple(self.html(v, (*keypath, i)) for i, v in enumerate(value))

    def description(self, value: Any, keypath: KeyPath) -> tuple[CVItem, ...]:
        """A text, or a list of texts and `{title, contents: [texts]}` sub-lists."""
        if value is None:
            return ()
        if not isinstance(value, list):
            return (CVItem(self.html(value, keypath)),)
        out: list[CVItem] = []
        for i, item in enumerate(value):
            where = (*keypath, i)
            if isinstance(item, dict):
                for key in item:
                    if key not in ("title", "contents", "items"):
                        self.f.warn(
                            (*where, str(key)),
                            "unknown key in a description item (ignored)",
                            did_you_mean(str(key), ("title", "contents"))
                            or "known keys: title, contents",
                        )
                children = item.get("contents", item.get("items"))
                out.append(
                    CVItem(
                        self.html(item.get("title"), (*where, "title")),
                        self.strings(children, (*where, "contents")),
                    )
                )
            else:
                out.append(CVItem(self.html(item, where)))
        return tuple(out)

    def entry(self, kind: str, item: Any, keypath: KeyPath) -> CVEntry | None:
        line = self.line(keypath)
        if kind == "list":
            if isinstance(item, dict):
                self.f.fail(keypath, "expected text (a `list` section holds lines of text)")
                return None
            return CVEntry(title=self.html(item, keypath), line=line)
        keys = {
            "map": ("name", "value"),
            "time_table": TIME_TABLE_KEYS,
            "nested_list": ("title", "items"),
        }[kind]
        record = self.f.record(item, keypath, keys, example=f"a mapping with {', '.join(keys)}")
        if record is None:
            return None
        if kind == "map":
            return CVEntry(
                title=self.html(record.get("name"), (*keypath, "name")),
                value=self.html(record.get("value"), (*keypath, "value")),
                line=line,
            )
        if kind == "nested_list":
            return CVEntry(
                title=self.html(record.get("title"), (*keypath, "title")),
                items=self.strings(record.get("items"), (*keypath, "items")),
                line=line,
            )
        return CVEntry(
            title=self.html(record.get("title"), (*keypath, "title")),
            institution=self.html(record.get("institution"), (*keypath, "institution")),
            date=richtext.to_text(self.html(record.get("year"), (*keypath, "year"))),
            location=richtext.to_text(self.html(record.get("location"), (*keypath, "location"))),
            url=self.f.url(record, "url", keypath),
            description=self.description(record.get("description"), (*keypath, "description")),
            items=self.strings(record.get("items"), (*keypath, "items")),
            line=line,
        )

    def read(self) -> CV:
        sections: list[CVSection] = []
        for i, raw in self.f.items(self.doc.data, example=ALFOLIO_EXAMPLE):
            section = self.f.record(raw, (i,), SECTION_KEYS, example=ALFOLIO_EXAMPLE)
            if section is None:
                continue
            title = self.f.text(section, "title", (i,), required=True) or ""
            kind = self.f.choice(section, "type", (i,), KINDS, "list")
            contents = section.get("contents")
            if contents is None:
                contents = []
            if not isinstance(contents, list):
                self.f.fail((i, "contents"), "expected a list of entries")
                contents = []
            entries = [
                self.entry(kind, item, (i, "contents", j)) for j, item in enumerate(contents)
            ]
            sections.append(
                CVSection(
                    richtext.inline(title),
                    kind,
                    tuple(e for e in entries if e is not None),
                    self.f.where((i,)),
                )
            )
        self.f.raise_problems()
        return CV(self.doc.path, "alfolio", tuple(sections))


# --- JSON Resume ------------------------------------------------------------------------------

# section -> (title, kind, keys its items may have); in the order of jsonresume.org's schema
RESUME_SECTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "work": (
        "Experience",
        "time_table",
        (
            "name",
            "location",
            "description",
            "position",
            "url",
            "startDate",
            "endDate",
            "summary",
            "highlights",
        ),
    ),
    "volunteer": (
        "Volunteering",
        "time_table",
        ("organization", "position", "url", "startDate", "endDate", "summary", "highlights"),
    ),
    "education": (
        "Education",
        "time_table",
        ("institution", "url", "area", "studyType", "startDate", "endDate", "score", "courses"),
    ),
    "awards": ("Awards", "time_table", ("title", "date", "awarder", "summary")),
    "certificates": ("Certificates", "time_table", ("name", "date", "issuer", "url")),
    "publications": (
        "Publications",
        "time_table",
        ("name", "publisher", "releaseDate", "url", "summary"),
    ),
    "skills": ("Skills", "nested_list", ("name", "level", "keywords")),
    "languages": ("Languages", "map", ("language", "fluency")),
    "interests": ("Interests", "nested_list", ("name", "keywords")),
    "references": ("References", "time_table", ("name", "reference")),
    "projects": (
        "Projects",
        "time_table",
        (
            "name",
            "description",
            "highlights",
            "keywords",
            "startDate",
            "endDate",
            "url",
            "roles",
            "entity",
            "type",
        ),
    ),
}
RESUME_KEYS = ("$schema", "basics", "meta", *RESUME_SECTIONS)
BASICS_KEYS = ("name", "label", "image", "email", "phone", "url", "summary", "location", "profiles")
LOCATION_KEYS = ("address", "postalCode", "city", "countryCode", "region")


def resume_date(value: str | None) -> str:
    """JSON Resume's ISO 8601 date (2014-06-29, 2014-06, 2014) as "Jun 2014" or "2014"."""
    if not value:
        return ""
    match = _ISO.fullmatch(value)
    if match is None:
        return value
    year, month = match.group(1), match.group(2)
    if month and 1 <= int(month) <= 12:
        return f"{MONTH_ABBR[int(month) - 1]} {year}"
    return year


def date_range(start: str | None, end: str | None) -> str:
    if start and end:
        return f"{resume_date(start)} – {resume_date(end)}"
    if start:
        return f"{resume_date(start)} – present"
    return resume_date(end)


class _JsonResume:
    def __init__(self, doc: YamlDoc, warnings: Warnings) -> None:
        self.doc = doc
        self.f = Fields(doc, warnings, "resume entry")

    def mapping(self, value: Any, keypath: KeyPath, keys: Sequence[str]) -> dict[str, Any]:
        record = self.f.record(value, keypath, keys, example="an object {...}")
        return record if record is not None else {}

    def text(self, data: Mapping[str, Any], key: str, keypath: KeyPath) -> str | None:
        return self.f.text(data, key, keypath)

    def html(self, data: Mapping[str, Any], key: str, keypath: KeyPath) -> str:
        value = self.text(data, key, keypath)
        return richtext.inline(value) if value else ""

    def strings(self, data: Mapping[str, Any], key: str, keypath: KeyPath) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.f.fail((*keypath, key), "expected a list of texts")
            return ()
        out = []
        for i, item in enumerate(value):
            text = self.f.text({"item": item}, "item", (*keypath, key, i))
            if text:
                out.append(richtext.inline(text))
        return tuple(out)

    def basics(
        self, value: Any
    ) -> tuple[str | None, str | None, str, tuple[CVContact, ...], str | None]:
        data = self.mapping(value, ("basics",), BASICS_KEYS)
        where: KeyPath = ("basics",)
        contact: list[CVContact] = []
        email = self.text(data, "email", where)
        if email:
            contact.append(CVContact("Email", email, f"mailto:{email}"))
        phone = self.text(data, "phone", where)
        if phone:
            contact.append(CVContact("Phone", phone))
        url = self.f.url(data, "url", where)
        if url:
            contact.append(CVContact("Web", url, url))
        if data.get("location") is not None:
            place = self.mapping(data["location"], (*where, "location"), LOCATION_KEYS)
            parts = [self.text(place, k, (*where, "location")) for k in LOCATION_KEYS]
            shown = ", ".join(p for p in parts if p)
            if shown:
                contact.append(CVContact("Location", shown))
        profiles = data.get("profiles")
        if profiles is not None and not isinstance(profiles, list):
            self.f.fail((*where, "profiles"), "expected a list of {network, username, url}")
            profiles = []
        for i, raw in enumerate(profiles or []):
            keypath = (*where, "profiles", i)
            item = self.mapping(raw, keypath, ("network", "username", "url"))
            network = self.text(item, "network", keypath) or "Profile"
            link = self.f.url(item, "url", keypath)
            contact.append(
                CVContact(network, self.text(item, "username", keypath) or link or "", link)
            )
        summary = self.text(data, "summary", where)
        return (
            self.text(data, "name", where),
            self.text(data, "label", where),
            render_markdown(summary) if summary else "",
            tuple(contact),
            self.f.url(data, "image", where),
        )

    def entry(self, section: str, kind: str, data: dict[str, Any], keypath: KeyPath) -> CVEntry:
        text, html, strings = self.text, self.html, self.strings
        line = self.doc.line(keypath)
        if kind == "map":
            return CVEntry(
                title=html(data, "language", keypath),
                value=html(data, "fluency", keypath),
                line=line,
            )
        if kind == "nested_list":
            level = text(data, "level", keypath)
            title = html(data, "name", keypath)
            if level:
                title += " " + richtext.inline(f"({level})")
            return CVEntry(title=title, items=strings(data, "keywords", keypath), line=line)
        dates = date_range(text(data, "startDate", keypath), text(data, "endDate", keypath))
        description: list[CVItem] = []
        for key in ("summary", "description", "reference"):
            if key in data:
                value = html(data, key, keypath)
                if value:
                    description.append(CVItem(value))
        description += [CVItem(h) for h in strings(data, "highlights", keypath)]
        if section == "education":
            score = text(data, "score", keypath)
            if score:
                description.append(CVItem(richtext.inline(f"Score: {score}")))
            courses = strings(data, "courses", keypath)
            if courses:
                description.append(CVItem("Courses", courses))
        if section == "projects":
            roles = strings(data, "roles", keypath)
            if roles:
                description.append(CVItem("Roles: " + ", ".join(roles)))
        title_key, place_key = {
            "work": ("position", "name"),
            "volunteer": ("position", "organization"),
            "education": ("studyType", "institution"),
            "awards": ("title", "awarder"),
            "certificates": ("name", "issuer"),
            "publications": ("name", "publisher"),
            "references": ("name", ""),
            "projects": ("name", "entity"),
        }[section]
        title = html(data, title_key, keypath)
        place = html(data, place_key, keypath) if place_key else ""
        if section == "education":
            area = html(data, "area", keypath)
            title = Markup(", ").join(x for x in (Markup(title), Markup(area)) if x)
        if not title and place:  # work with a company but no position
            title, place = place, ""
        single = text(data, "date", keypath) or text(data, "releaseDate", keypath)
        return CVEntry(
            title=str(title),
            institution=place,
            date=dates or resume_date(single),
            location=(text(data, "location", keypath) or "") if section == "work" else "",
            url=self.f.url(data, "url", keypath),
            description=tuple(description),
            line=line,
        )

    def read(self) -> CV:
        data = self.doc.data
        if not isinstance(data, dict):
            raise ScholarpageError.single(
                "expected a JSON object with basics, work, education, ...",
                file=self.doc.path,
                line=1,
                hint="see https://jsonresume.org/schema",
            )
        for key in data:
            if key not in RESUME_KEYS:
                self.f.warn(
                    (str(key),),
                    "unknown JSON Resume section (ignored)",
                    did_you_mean(str(key), RESUME_KEYS) or f"known: {', '.join(RESUME_KEYS)}",
                )
        name, label, summary, contact, image = self.basics(data.get("basics") or {})
        sections: list[CVSection] = []
        for key, (title, kind, keys) in RESUME_SECTIONS.items():
            items = data.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                self.f.fail(
                    (key,), "expected a list of objects", "see https://jsonresume.org/schema"
                )
                continue
            entries = []
            for i, raw in enumerate(items):
                record = self.f.record(raw, (key, i), keys, example="an object {...}")
                if record is not None:
                    entries.append(self.entry(key, kind, record, (key, i)))
            if entries:
                sections.append(CVSection(title, kind, tuple(entries), self.f.where((key,))))
        self.f.raise_problems()
        return CV(
            self.doc.path, "jsonresume", tuple(sections), name, label, summary, contact, image
        )


# --- template context -------------------------------------------------------------------------


def _entry_context(entry: CVEntry, page: str) -> dict[str, Any]:
    def h(fragment: str) -> Markup:
        return Markup(relocate(fragment, page))

    return {
        "title": h(entry.title),
        "institution": h(entry.institution) if entry.institution else None,
        "date": entry.date,
        "location": entry.location,
        "value": h(entry.value) if entry.value else None,
        "url": relocate_url(entry.url, page),
        "description": [
            {"html": h(d.html), "children": [h(c) for c in d.children]} for d in entry.description
        ],
        "lines": [h(i) for i in entry.items],
    }


def publications(papers: Sequence[Mapping[str, Any]], choice: str) -> tuple[str, list[Any]]:
    """The CV's Publications section from the papers' contexts: (title, papers) newest first.
    `selected` lists the papers marked selected, or all when none is marked."""
    if choice == "none":
        return "", []
    chosen = [p for p in papers if p["selected"]] if choice == "selected" else []
    title = "Selected publications" if chosen and len(chosen) < len(papers) else "Publications"
    shown = chosen or list(papers)
    order = sorted(range(len(shown)), key=lambda i: (-(shown[i]["year"] or 0), i))
    return title, [shown[i] for i in order]


def cv_context(
    cv: CV,
    papers: Sequence[Mapping[str, Any]],
    *,
    owner: str,
    choice: str,
    pdf: bool,
    page: str = CV_PAGE,
) -> dict[str, Any]:
    """What the cv.html template reads as `cv` (docs/themes.md)."""
    title, shown = publications(papers, choice)
    sections = [
        {
            "title": Markup(section.title),
            "id": f"cv-{i + 1}",
            "kind": section.kind,
            "entries": [_entry_context(e, page) for e in section.entries],
        }
        for i, section in enumerate(cv.sections)
    ]
    return {
        "name": cv.name or owner,
        "label": cv.label,
        "summary": Markup(relocate(cv.summary_html, page)),
        "contact": [
            {"label": c.label, "value": c.value, "url": relocate_url(c.url, page)}
            for c in cv.contact
        ],
        "sections": sections,
        "publications": {"title": title, "papers": shown, "id": "cv-publications"},
        "pdf": CV_PDF if pdf else None,
        "format": cv.format,
    }
