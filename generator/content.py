"""The homepage's content besides profile, papers and pages: read it, and give render its pages.

`read_content()` reads what is present (content/files/, news.yaml, cv.yaml | resume.json,
talks.yaml, teaching.yaml, people.yaml) into one frozen `Content`; each file goes through the
confinement check before it is read. The rest are plain functions render.py calls: the
navigation entries, the shared context (`news_home`, `content_pages`), and one page job per
present content type (template, output path, the page's own context and `seo` head).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from generator import seo
from generator.cv import CV_PAGE, CV_PDF, cv_context, cv_sources, read_cv
from generator.errors import Problem, ScholarpageError, Warnings
from generator.files import content_files, relocate
from generator.listings import (
    PEOPLE_FILE,
    TALKS_FILE,
    TEACHING_FILE,
    people_context,
    read_people,
    read_talks,
    read_teaching,
    talks_context,
    teaching_context,
)
from generator.model import Content, Page, SiteConfig
from generator.news import NEWS_FILE, NEWS_PAGE, item_context, read_news
from generator.sources import YAML, Refusal, publishable
from generator.urls import absolute

if TYPE_CHECKING:
    from generator.context import NavItem, PageContext


@dataclass(frozen=True)
class ContentPage:
    """One page a content type gives: where it goes, its template, title and nav position."""

    kind: str
    path: str
    template: str
    title: str
    nav_order: int


PAGES = (
    ContentPage("news", NEWS_PAGE, "news.html", "News", 10),
    ContentPage("cv", CV_PAGE, "cv.html", "CV", 20),
    ContentPage("talks", "talks/index.html", "talks.html", "Talks", 30),
    ContentPage("teaching", "teaching/index.html", "teaching.html", "Teaching", 40),
    ContentPage("people", "people/index.html", "people.html", "People", 50),
)


def _confined(site_dir: Path, rel: Path) -> Path | None:
    """The file's path when it is present and may be read into the site; None when absent."""
    path = site_dir / rel
    if not path.exists() and not path.is_symlink():
        return None
    found = publishable(site_dir, rel.as_posix(), YAML, example=rel.as_posix())
    if isinstance(found, Refusal):
        raise ScholarpageError.single(f"{rel.name} {found.reason}", file=path, hint=found.hint)
    return path


def read_content(config: SiteConfig, pages: Sequence[Page], warnings: Warnings) -> Content:
    """Every content file that is present, read and checked; problems of all files at once."""
    site_dir = config.site_dir
    problems: list[Problem] = []
    parts: dict[str, Any] = {}

    def attempt(key: str, rel: Path | None, read: Any) -> None:
        try:
            if rel is None:
                parts[key] = read()
                return
            path = _confined(site_dir, rel)
            if path is not None:
                parts[key] = read(path, warnings)
                parts[f"{key}_file"] = path
        except ScholarpageError as exc:
            problems.extend(exc.problems)

    attempt("files", None, lambda: content_files(site_dir))
    attempt("news", NEWS_FILE, read_news)

    def cv() -> object:
        for path in cv_sources(site_dir):  # confined like every content file
            _confined(site_dir, path.relative_to(site_dir))
        return read_cv(site_dir, warnings)

    attempt("cv", None, cv)
    attempt("talks", TALKS_FILE, read_talks)
    attempt("teaching", TEACHING_FILE, read_teaching)
    attempt("people", PEOPLE_FILE, read_people)
    content = Content(**parts)
    present = {p.kind for p in PAGES if _present(content, p.kind)}
    for page in pages:
        if page.slug in present:
            problems.append(
                Problem(
                    f"the page {page.slug}/ is also made from the site's {page.slug} content",
                    page.source,
                    hint=f"rename this page, or move its text into the {page.slug} file",
                )
            )
    lines = dict(config.key_lines)
    if config.cv_pdf and content.cv is None:
        problems.append(
            Problem(
                "cv_pdf: true, but the site has no CV",
                config.config_file,
                lines.get("cv_pdf"),
                "cv_pdf",
                "add content/cv.yaml (al-folio's format) or content/resume.json, "
                "or set cv_pdf: false",
            )
        )
    elif config.cv_pdf:
        from generator.cvpdf import weasyprint

        try:
            weasyprint(config)
        except ScholarpageError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScholarpageError(tuple(problems))
    return content


def _present(content: Content, kind: str) -> bool:
    if kind == "cv":
        return content.cv is not None
    return getattr(content, f"{kind}_file") is not None


def content_pages(content: Content | None) -> list[ContentPage]:
    """The pages the present content types give, in navigation order."""
    if content is None:
        return []
    return [p for p in PAGES if _present(content, p.kind)]


def output_paths(content: Content | None, config: SiteConfig) -> list[str]:
    """The output paths of the content pages (and cv.pdf), for the link check."""
    paths = [p.path for p in content_pages(content)]
    if content is not None and content.cv is not None and config.cv_pdf:
        paths.append(CV_PDF)
    return paths


# --- what render.py calls -------------------------------------------------------------------


def content_nav(
    content: Content | None, home: NavItem, pages: Sequence[PageContext]
) -> list[NavItem]:
    """The navigation: Home, then the Markdown pages (`pages`: page contexts in their order)
    and the content pages, by nav_order (News 10, CV 20, Talks 30, Teaching 40, People 50)."""
    items: list[tuple[int, NavItem]] = [
        (p["nav_order"], {"title": p["title"], "path": p["path"]}) for p in pages if p["nav"]
    ]
    items += [(p.nav_order, {"title": p.title, "path": p.path}) for p in content_pages(content)]
    return [home.copy(), *(item for _, item in sorted(items, key=lambda x: x[0]))]


def shared_context(content: Content | None, config: SiteConfig) -> dict[str, Any]:
    """The part of every page's context the content types add (docs/themes.md)."""
    news = content.news if content is not None else ()
    shown = news[: config.news_on_home]
    pages: dict[str, str | None] = {p.kind: None for p in PAGES}
    pages.update({p.kind: p.path for p in content_pages(content)})
    pdf = content is not None and content.cv is not None and config.cv_pdf
    return {
        "news_home": [item_context(item, item.html) for item in shown],
        "news_count": len(news),
        "content_pages": {**pages, "cv_pdf": CV_PDF if pdf else None},
    }


def _head(config: SiteConfig, path: str, data: Mapping[str, Any] | None) -> seo.Head:
    head = seo.head(canonical=absolute(config.base_url, path), data=data)
    head["jsonld"] = Markup(head["jsonld"])  # escaped for <script> by seo.json_ld
    return head


def page_jobs(
    content: Content | None,
    config: SiteConfig,
    shared: Mapping[str, Any],
) -> list[tuple[str, str, dict[str, Any]]]:
    """(template, output path, the page's own context) for each content page; `shared` is the
    site context (its `papers` and `profile` feed the CV)."""
    if content is None:
        return []
    owner = shared["profile"]["name"]
    jobs: list[tuple[str, str, dict[str, Any]]] = []
    for page in content_pages(content):
        own: dict[str, Any] = {}
        data: dict[str, Any] | None = None
        if page.kind == "news":
            own["news"] = [item_context(n, relocate(n.html, page.path)) for n in content.news]
        elif page.kind == "cv" and content.cv is not None:
            own["cv"] = cv_context(
                content.cv,
                shared["papers"],
                owner=owner,
                choice=config.cv_publications,
                pdf=config.cv_pdf,
            )
        elif page.kind == "talks":
            own["talks"] = talks_context(content.talks)
            data = seo.talks_data(content.talks, owner, config.base_url)
        elif page.kind == "teaching":
            own["teaching"] = teaching_context(content.teaching)
            data = seo.courses_data(content.teaching, owner, config.base_url)
        elif page.kind == "people":
            own["people"] = people_context(content.people)
            data = seo.people_data(content.people, config.base_url)
        own["page"] = {
            "path": page.path,
            "url": absolute(config.base_url, page.path),
            "kind": page.kind,
            "title": page.title,
        }
        own["seo"] = _head(config, page.path, data)
        jobs.append((page.template, page.path, own))
    return jobs
