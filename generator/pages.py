"""Stage 2c: content/pages/*.md -> tuple[Page, ...] (Markdown with YAML front matter).

A page is `---`, YAML front matter, `---`, then Markdown. The front matter is validated like
site.yaml (unknown keys warn with a did-you-mean, wrong types are errors with file:line), and the
body goes through the same Markdown path as the bio (CommonMark, tables, footnotes, math as
MathML, raw HTML off), so a page can never inject markup the theme did not write.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem, ScholarpageError, Warnings
from generator.markdown import html_to_text, render_markdown
from generator.model import Page
from generator.sources import PAGE, Refusal, publishable, read_input
from generator.theme import did_you_mean

PAGES_DIR = Path("content") / "pages"
PAGE_KEYS = ("title", "nav", "nav_order", "template", "description")
# output folders the generator itself writes; a page there would clash with them
RESERVED = frozenset({"index", "papers", "assets", "404"})
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


def _front_matter(text: str, path: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """(data, line of each key, Markdown body, line the body starts on)."""
    match = _FRONT.match(text)
    if match is None:
        return {}, {}, text, 1
    source = match.group(1)
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScholarpageError.single(
            f"YAML syntax error in front matter: {exc.problem or 'invalid YAML'}",
            file=path,
            line=mark.line + 2 if mark is not None else None,
            hint="check indentation and quoting near this line",
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(node, (yaml.MappingNode, type(None))):
        raise ScholarpageError.single(
            "front matter must be a mapping of key: value", file=path, line=2
        )
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            lines[str(key_node.value)] = key_node.start_mark.line + 2  # +1 base, +1 for ---
    body_line = text[: match.end()].count("\n") + 1
    return data, lines, text[match.end() :], body_line


def read_page(path: Path, warnings: Warnings) -> Page:
    """Read and render one page; problems name the file and line."""
    try:
        text = read_input(path, PAGE).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScholarpageError.single(
            f"page is not valid UTF-8 (byte offset {exc.start})",
            file=path,
            hint="save the file as UTF-8",
        ) from None
    data, lines, body, _ = _front_matter(text, path)
    problems: list[Problem] = []

    def fail(key: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(message, path, lines.get(key), key, hint))

    for key in data:
        if key not in PAGE_KEYS:
            warnings.warn(
                "unknown front matter key (ignored)",
                file=path,
                line=lines.get(str(key)),
                key=str(key),
                hint=did_you_mean(str(key), PAGE_KEYS) or f"known keys: {', '.join(PAGE_KEYS)}",
            )
    slug = path.stem.lower()
    if not _SLUG.fullmatch(slug):
        problems.append(
            Problem(
                "page file names become URLs: use lower-case letters, digits and hyphens",
                path,
                hint=f"rename it, e.g. {re.sub(r'[^a-z0-9]+', '-', slug).strip('-') or 'page'}.md",
            )
        )
    elif slug in RESERVED:
        problems.append(
            Problem(
                f"'{slug}' is used by the generator itself",
                path,
                hint="rename the file (e.g. about.md, teaching.md)",
            )
        )
    title = data.get("title", path.stem.replace("-", " ").capitalize())
    if not isinstance(title, (str, int, float)) or isinstance(title, bool) or not str(title):
        fail("title", "expected a title as text")
        title = path.stem
    nav = data.get("nav", True)
    if not isinstance(nav, bool):
        fail("nav", f"expected true or false, got {nav!r}")
        nav = True
    order = data.get("nav_order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        fail("nav_order", f"expected a whole number, got {order!r}", "lower numbers come first")
        order = 100
    template = data.get("template", "page.html")
    if not isinstance(template, str) or not template.endswith(".html") or ".." in template:
        fail("template", f"expected a template file name such as page.html, got {template!r}")
        template = "page.html"
    description = data.get("description", "")
    if not isinstance(description, str):
        fail("description", "expected one sentence of text")
        description = ""
    if problems:
        raise ScholarpageError(tuple(problems))
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


def read_pages(site_dir: Path, warnings: Warnings) -> tuple[Page, ...]:
    """Every content/pages/*.md of the site, in file-name order (navigation sorts them later).

    Problems in all pages are collected and reported together.
    """
    folder = site_dir / PAGES_DIR
    if not folder.is_dir():
        return ()
    pages: list[Page] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("."):
            continue  # hidden: an editor's lock or swap file, never a page
        # a page is published: a symlink to a file outside the site folder is refused
        found = publishable(site_dir, path.relative_to(site_dir), PAGE)
        if isinstance(found, Refusal):
            problems.append(Problem(f"page {found.reason}", path, hint=found.hint))
            continue
        try:
            pages.append(read_page(path, warnings))
        except ScholarpageError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScholarpageError(tuple(problems))
    return tuple(pages)
