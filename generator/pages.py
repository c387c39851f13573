"""Stage 2c: content/pages/*.md -> tuple[Page, ...] (Markdown with YAML front matter).

A page is `---`, YAML front matter, `---`, then Markdown. The front matter is validated like
site.yaml (unknown keys warn with a did-you-mean, wrong types are errors with file:line), and the
body goes through the same Markdown path as the bio (CommonMark, tables, footnotes, math as
MathML, raw HTML off), so a page can never inject markup the theme did not write.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from generator.errors import Problems, ScholarpageError, Warnings, did_you_mean
from generator.markdown import html_to_text, render_markdown
from generator.model import Page
from generator.sources import PAGE, Refusal, publishable, read_input
from generator.theme import Theme
from generator.yamlfile import Bounds, YamlDoc, parse_yaml, shown

PAGES_DIR = Path("content") / "pages"
PAGE_KEYS = ("title", "nav", "nav_order", "template", "description")
# output folders the generator itself writes; a page there would clash with them
RESERVED = frozenset({"index", "papers", "assets", "404"})
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_TEMPLATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html")
NAV_ORDER = Bounds(-10_000, 10_000)
# templates that are no page's layout (they expect their own context); `_name.html` are partials
_NOT_A_PAGE = {
    "base.html": "it is the layout every page extends",
    "404.html": "it is the page hosts show for a missing address",
    "index.html": "it is the home page",
    "paper.html": "it is the page of one paper",
    # the homepage's content pages (generator/content.py)
    "news.html": "it is the page of content/news.yaml",
    "cv.html": "it is the page of the CV",
    "talks.html": "it is the page of content/talks.yaml",
    "teaching.html": "it is the page of content/teaching.yaml",
    "people.html": "it is the page of content/people.yaml",
}
NOT_PAGE_TEMPLATES = frozenset(_NOT_A_PAGE)


def _front_matter(text: str, path: Path) -> tuple[YamlDoc, str]:
    """(front matter with the file line of each key, Markdown body), read by the one YAML reader
    every other YAML file goes through (bounded nesting and aliases, no duplicate keys)."""
    match = _FRONT.match(text)
    if match is None:
        return YamlDoc(path, {}, {}), text
    doc = parse_yaml(match.group(1), path, what="front matter", line_offset=1)  # after `---`
    if doc.data is None:
        doc = YamlDoc(path, {}, {})
    if not isinstance(doc.data, dict):
        raise ScholarpageError.single(
            "front matter must be a mapping of key: value", file=path, line=2
        )
    return doc, text[match.end() :]


def page_templates(theme: Theme) -> tuple[str, ...]:
    """Templates a page's `template:` may name: the top-level templates of the site's templates/
    folder and of the theme chain, without layouts, partials and the generator's own pages."""
    folders = [theme.overrides] if theme.overrides is not None else []
    names: set[str] = set()
    for folder in [*folders, *theme.template_dirs()]:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        names.update(p.name for p in entries if _page_template_name(p.name) and p.is_file())
    return tuple(sorted(names))


def _page_template_name(name: str) -> bool:
    return _TEMPLATE.fullmatch(name) is not None and name not in NOT_PAGE_TEMPLATES


def _check_template(value: object, templates: Collection[str] | None) -> tuple[str, str | None]:
    """(message, hint) when `value` is not a page template the theme provides, else ("", None).

    Without `templates` (the theme is not known) only the name itself is checked.
    """
    choices = sorted(templates) if templates is not None else []
    listed = f"page templates: {', '.join(choices)}" if choices else None
    close = did_you_mean(value, choices) if isinstance(value, str) else None
    if close:
        listed = f"{close} ({listed})"
    if not isinstance(value, str):
        return f"expected a template file name such as page.html, got {shown(value)}", listed
    if "/" in value or "\\" in value or ".." in value:
        return f"expected a template file name, not a path: {shown(value)}", listed
    if value.startswith("_"):
        return f"{shown(value)} is a partial included by other templates, not a page", listed
    if value in NOT_PAGE_TEMPLATES:
        return f"{shown(value)} is not a page template: {_NOT_A_PAGE[value]}", listed
    if not _page_template_name(value):
        return f"expected a template file name such as page.html, got {shown(value)}", listed
    if templates is not None and value not in templates:
        return (
            f"no page template {shown(value)} in the theme or the site's templates/ folder",
            listed or "add it to the site's templates/ folder",
        )
    return "", None


def read_page(path: Path, warnings: Warnings, templates: Collection[str] | None = None) -> Page:
    """Read and render one page; problems name the file and line.

    `templates`: the page templates the theme provides (see page_templates), which a page's
    `template:` must name; None checks the name only.
    """
    try:
        text = read_input(path, PAGE).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScholarpageError.single(
            f"page is not valid UTF-8 (byte offset {exc.start})",
            file=path,
            hint="save the file as UTF-8",
        ) from None
    doc, body = _front_matter(text, path)
    data: dict[Any, Any] = doc.data
    problems = Problems()

    def fail(key: str, message: str, hint: str | None = None) -> None:
        problems.add(message, path, doc.line((key,)), key, hint)

    for key in data:
        if key not in PAGE_KEYS:
            warnings.warn(
                "unknown front matter key (ignored)",
                file=path,
                line=doc.line((key,)),
                key=str(key),
                hint=did_you_mean(str(key), PAGE_KEYS) or f"known keys: {', '.join(PAGE_KEYS)}",
            )
    slug = path.stem.lower()
    if not _SLUG.fullmatch(slug):
        problems.add(
            "page file names become URLs: use lower-case letters, digits and hyphens",
            path,
            hint=f"rename it, e.g. {re.sub(r'[^a-z0-9]+', '-', slug).strip('-') or 'page'}.md",
        )
    elif slug in RESERVED:
        problems.add(
            f"'{slug}' is used by the generator itself",
            path,
            hint="rename the file (e.g. about.md, teaching.md)",
        )
    title = data.get("title", path.stem.replace("-", " ").capitalize())
    if not isinstance(title, (str, int, float)) or isinstance(title, bool) or not str(title):
        fail("title", "expected a title as text")
        title = path.stem
    nav = data.get("nav", True)
    if not isinstance(nav, bool):
        fail("nav", f"expected true or false, got {shown(nav)}")
        nav = True
    order = data.get("nav_order", 100)
    order_error = NAV_ORDER.error(order)
    if order_error:
        fail("nav_order", order_error, "lower numbers come first; the default is 100")
        order = 100
    template = data.get("template", "page.html")
    if "template" in data:
        message, hint = _check_template(template, templates)
        if message:
            fail("template", message, hint)
            template = "page.html"
    description = data.get("description", "")
    if not isinstance(description, str):
        fail("description", "expected one sentence of text")
        description = ""
    problems.raise_if_any()
    html = render_markdown(body)
    return Page(
        source=path,
        slug=slug,
        title=str(title),
        html=html,
        text=html_to_text(html),
        nav=nav,
        nav_order=order,
        template=template,
        description=description,
    )


def read_pages(
    site_dir: Path, warnings: Warnings, templates: Collection[str] | None = None
) -> tuple[Page, ...]:
    """Every content/pages/*.md of the site, in file-name order (navigation sorts them later).

    Problems in all pages are collected and reported together. `templates`: as for read_page.
    """
    folder = site_dir / PAGES_DIR
    if not folder.is_dir():
        return ()
    pages: list[Page] = []
    problems = Problems()
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("."):
            continue  # hidden: an editor's lock or swap file, never a page
        # a page is published: a symlink to a file outside the site folder is refused
        found = publishable(site_dir, path.relative_to(site_dir), PAGE)
        if isinstance(found, Refusal):
            problems.add(f"page {found.reason}", path, hint=found.hint)
            continue
        try:
            pages.append(read_page(path, warnings, templates))
        except ScholarpageError as exc:
            problems.extend(exc.problems)
    problems.raise_if_any()
    return tuple(pages)
