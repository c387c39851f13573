"""The frozen dataclasses passed between pipeline stages (data only, no behaviour beyond views).

Every stage takes these and returns new ones; nothing is mutated after construction, so stages can
be cached and tested alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SortOrder = Literal["date", "file", "score", "citations", "title"]
"""site.yaml's `sort`: the order papers are listed in."""
OptionKind = Literal["bool", "int", "str", "color", "choice", "list"]
"""The types a theme option may have (theme.yaml's `type`)."""


@dataclass(frozen=True, slots=True)
class Text:
    """A string converted once: safe HTML for pages, plain text for titles, meta and feeds."""

    html: str
    text: str


@dataclass(frozen=True, slots=True)
class BibSource:
    """One BibTeX file listed in site.yaml, with the encoding to read it in."""

    path: Path
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class BadgeSpec:
    """A numeric BibTeX field the site shows as a badge on each paper (the example's `score`)."""

    field: str
    label: str
    decimals: int = 1


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """site.yaml after validation; paths are absolute."""

    site_dir: Path
    config_file: Path
    title: str
    description: str
    base_url: str
    language: str
    theme: str
    profile: Path
    bibliography: tuple[BibSource, ...]
    output: Path
    today: dt.date | None
    paper_badges: tuple[BadgeSpec, ...]
    max_authors: int
    sort: SortOrder
    theme_options: tuple[tuple[str, object], ...] = ()
    domain: str | None = None  # custom domain: `scholarpage deploy` writes it to CNAME
    # line of each theme_options key in site.yaml, for problems found once the theme is known
    theme_option_lines: tuple[tuple[str, int], ...] = ()
    # the homepage's content types (news, CV): how many news items the home page shows, which
    # papers the CV lists (selected, all, none) and whether the build writes cv.pdf
    news_on_home: int = 5
    cv_publications: str = "selected"
    cv_pdf: bool = False
    # line of each top-level key in site.yaml, for problems found after load_config
    key_lines: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Metric:
    """A profile header badge; `computed` marks a value derived from the papers."""

    key: str
    label: str
    value: float | int | str
    unit: str = ""
    value_first: bool = False
    source: str | None = None
    as_of: dt.date | None = None
    computed: bool = False

    @property
    def display(self) -> str:
        value = self.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{value}{self.unit}"


@dataclass(frozen=True, slots=True)
class Profile:
    """The researcher, from profile.yaml. Metrics here are the declared ones only."""

    file: Path
    name: str
    aliases: tuple[str, ...]
    affiliation: str | None
    photo: str | None
    email: str | None
    category: str | None
    links: tuple[Link, ...]
    bio_html: str
    bio_text: str
    declared_metrics: tuple[Metric, ...]
    custom_metrics: tuple[Metric, ...]


@dataclass(frozen=True, slots=True)
class Person:
    """One author; `text`/`html` are the display form "First von Last, Jr"."""

    first: str
    von: str
    last: str
    jr: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class PaperDate:
    year: int | None
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        """YYYY, YYYY-MM or YYYY-MM-DD, as much as is known."""
        if self.year is None:
            return ""
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
            if self.day:
                out += f"-{self.day:02d}"
        return out

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month or 0, self.day or 0)


@dataclass(frozen=True, slots=True)
class Paper:
    """One BibTeX entry, fields converted from LaTeX, ready to assemble."""

    key: str
    entry_type: str
    source: Path
    line: int
    index: int
    title: Text
    authors: tuple[Person, ...]
    others: bool
    date: PaperDate
    venue: Text | None
    volume: str | None
    number: str | None
    pages: str | None
    publisher: Text | None
    abstract: Text | None
    doi: str | None
    url: str | None
    pdf: str | None
    code: str | None
    slides: str | None
    arxiv_id: str | None
    primary_class: str | None
    category: str | None
    keywords: tuple[str, ...]
    selected: bool
    citations: int | None
    badges: tuple[tuple[str, float], ...]
    bibtex: str
    has_math: bool = False


@dataclass(frozen=True, slots=True)
class SitePaper:
    """A paper as the site lists it: its URL slug (unique in the site) and the positions among
    its authors of the site's owner (highlighted; empty when the owner is not an author)."""

    paper: Paper
    slug: str
    owner_positions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Site:
    """Everything a theme needs, assembled and computed; the input of render_site."""

    config: SiteConfig
    profile: Profile
    entries: tuple[SitePaper, ...]  # the papers in display order
    metrics: tuple[Metric, ...]
    category: str | None
    reference_date: dt.date
    pages: tuple[Page, ...] = ()
    # the site's own files papers link to by path: (published path, source file)
    files: tuple[tuple[str, Path], ...] = ()
    # the homepage's other content (content/news.yaml, cv.yaml | resume.json, talks.yaml, ...)
    content: Content | None = None

    @property
    def papers(self) -> tuple[Paper, ...]:
        """The papers in display order (a view of `entries`; bind it once in a loop)."""
        return tuple(entry.paper for entry in self.entries)


@dataclass(frozen=True, slots=True)
class ThemeOption:
    """One option a theme declares in theme.yaml: its type, default and where it was declared.

    Kinds: bool, int, str, color (#rgb / #rrggbb), choice (one of `choices`), list (of text,
    each one of `choices` when given). `nullable` options accept null (meaning "not set").
    """

    name: str
    kind: OptionKind
    default: object
    doc: str = ""
    choices: tuple[str, ...] = ()
    nullable: bool = False
    file: Path | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A Markdown page from content/pages/*.md, rendered to safe HTML."""

    source: Path
    slug: str
    title: str
    html: str
    text: str
    nav: bool = True
    nav_order: int = 100
    template: str = "page.html"
    description: str = ""


@dataclass(frozen=True, slots=True)
class Output:
    """One file to write, relative to the output folder."""

    path: str
    content: bytes


# --- the homepage's other content types (generator/news.py, cv.py, listings.py, files.py) ---


@dataclass(frozen=True, slots=True)
class Where:
    """Where a value was written (for located warnings after reading: a broken local link)."""

    file: Path
    line: int | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One item of content/news.yaml; `html` is its Markdown text as safe HTML, with local
    links written as published paths (generator/files.py makes them page-relative)."""

    date: dt.date
    html: str
    text: str
    anchor: str  # unique id on the news page (news-YYYY-MM-DD, -2, -3 for the same day)
    title: str | None
    url: str | None
    where: Where


@dataclass(frozen=True, slots=True)
class CVItem:
    """One line of a CV entry's description, with its sub-items (al-folio's nested form)."""

    html: str
    children: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CVEntry:
    """One row of a CV section. `time_table`: title, institution, date, location, description
    (and `items` for a list of awards in one year); `map`: title (the name) and value;
    `nested_list`: title and items; `list`: title only. Texts are safe HTML."""

    title: str = ""
    institution: str = ""
    date: str = ""
    location: str = ""
    value: str = ""
    url: str | None = None
    description: tuple[CVItem, ...] = ()
    items: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class CVSection:
    title: str
    kind: str  # map | time_table | list | nested_list
    entries: tuple[CVEntry, ...]
    where: Where


@dataclass(frozen=True, slots=True)
class CVContact:
    label: str
    value: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CV:
    """content/cv.yaml (al-folio) or content/resume.json (JSON Resume 1.0), read into one form.

    `name`/`label`/`summary_html`/`contact` come from JSON Resume's `basics` (al-folio's file
    has none; the profile's name is used)."""

    source: Path
    format: str  # alfolio | jsonresume
    sections: tuple[CVSection, ...]
    name: str | None = None
    label: str | None = None
    summary_html: str = ""
    contact: tuple[CVContact, ...] = ()
    image: str | None = None


@dataclass(frozen=True, slots=True)
class Talk:
    title: str
    event: str | None
    location: str | None
    date: PaperDate
    url: str | None
    slides: str | None
    video: str | None
    where: Where


@dataclass(frozen=True, slots=True)
class Course:
    course: str
    role: str | None
    term: str | None
    year: int | None  # from `year:` or the first year in `term` (Fall 2024 -> 2024)
    institution: str | None
    url: str | None
    where: Where


@dataclass(frozen=True, slots=True)
class Member:
    """One person of content/people.yaml (a student, postdoc, collaborator)."""

    name: str
    role: str | None
    years: str | None
    url: str | None
    photo: str | None  # an https URL or a published path (files/x.jpg)
    status: str  # current | alumni
    where: Where


@dataclass(frozen=True, slots=True)
class Content:
    """Everything besides profile, papers and Markdown pages; each part is empty when its file
    is absent. `files`: content/files/ as (published path under files/, source)."""

    news: tuple[NewsItem, ...] = ()
    news_file: Path | None = None
    cv: CV | None = None
    talks: tuple[Talk, ...] = ()
    talks_file: Path | None = None
    teaching: tuple[Course, ...] = ()
    teaching_file: Path | None = None
    people: tuple[Member, ...] = ()
    people_file: Path | None = None
    files: tuple[tuple[str, Path], ...] = ()
    # published path of an image -> (width, height), read from the file's header
    image_sizes: tuple[tuple[str, tuple[int, int]], ...] = ()
