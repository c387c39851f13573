"""content/files/ published as is, and every local link and image of the content resolved.

- `content_files()`: everything under `content/files/` is published at `files/`, through the one
  confinement check (generator/sources.py: no symlink out of the site folder, nothing hidden,
  regular files within the size limit).
- `link_site()`: every link or image that stays inside the site (no scheme, no host) in the
  profile, the Markdown pages, news, the CV, talks, teaching and people is looked up among what
  the build publishes. A link names a published path (`files/cv.pdf`, `about/`, `/news/`); in a
  Markdown page a link written relative to the page also counts. A found link is rewritten
  relative to the page it is shown on (so the site works at a subpath and from file://), and a
  published image gets its width and height from the file's header (the page does not jump as
  it loads). One that resolves to nothing is a warning at its file and line (an error under
  --strict); a link that leaves the site (`../other/`) is not the site's to check.

HTML here is always markdown-it's or generator/richtext.py's output, whose attributes are
double-quoted and escaped, so the rewriting works on that form only.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import imagesize

from generator import seo
from generator.errors import ScholarpageError, Warnings
from generator.model import CV, Content, CVItem, Link, Page, Profile, Site, Where
from generator.sources import PAGE, PUBLISHED, publishable_tree, read_input
from generator.urls import relative
from generator.yamlfile import read_yaml

FILES_DIR = Path("content") / "files"
FILES_PREFIX = "files/"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".svg"})
_TAG = re.compile(r"<(a|img)(\s[^>]*)?>")
_ATTR = re.compile(r'\s(href|src)="([^"]*)"')

Published = Mapping[str, Path | None]
"""Output path -> the source file it is copied from (None for a generated page)."""


def content_files(site_dir: Path) -> tuple[tuple[str, Path], ...]:
    """content/files/ as (published path under files/, resolved source), sorted; a file that
    may not be published is an error naming it (all such files listed at once)."""
    found = publishable_tree(site_dir, site_dir / FILES_DIR, PUBLISHED, inside="the site folder")
    return tuple((FILES_PREFIX + rel, source) for rel, source in found)


def local_path(url: str) -> tuple[str, str] | None:
    """(decoded path, ?query#fragment as written) of a link into the site; None for a URL with
    a scheme or host, and for a link to a place on the same page (`#x`, `?q`)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme or parts.netloc or url.strip().startswith("//") or not parts.path:
        return None
    rest = ("?" + parts.query if parts.query else "") + (
        "#" + parts.fragment if parts.fragment else ""
    )
    return unquote(parts.path), rest


_OUTSIDE = "\0outside"


def _resolve(path: str, base_dir: str, published: Published) -> str | None:
    """The published path `path` names from folder `base_dir` ("" is the site root), or None;
    _OUTSIDE for a path that leaves the site."""
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if joined == ".":
        joined = ""
    if joined == ".." or joined.startswith("../"):
        return _OUTSIDE
    candidates = [] if (not joined or path.endswith("/")) else [joined]
    candidates.append(posixpath.join(joined, "index.html") if joined else "index.html")
    return next((c for c in candidates if c in published), None)


def _target(url: str, page: str, published: Published, *, page_relative: bool) -> str | None:
    """The published path a local `url` on output page `page` names (the root reading first,
    then, with `page_relative`, the browser's): _OUTSIDE when it leaves the site or is not
    local, None when it names nothing."""
    local = local_path(url)
    if local is None:
        return _OUTSIDE
    path, _ = local
    found = _resolve(path.lstrip("/"), "", published)
    if found not in (None, _OUTSIDE):
        return found
    if page_relative and not path.startswith("/"):
        return _resolve(path, posixpath.dirname(page), published)
    return found


def resolve_url(url: str, page: str, published: Published, *, page_relative: bool) -> str | None:
    """The published path a local `url` names, None when it names nothing; a URL that is not
    local or leaves the site is returned as it is."""
    found = _target(url, page, published, page_relative=page_relative)
    return url if found == _OUTSIDE else found


def link_for(url: str, page: str, published: Published, *, page_relative: bool) -> str | None:
    """`url` as it should be written on `page`: unchanged when it already leads where it
    resolves to (or is not local), else relative to `page`; None when it resolves to nothing."""
    target = _target(url, page, published, page_relative=page_relative)
    local = local_path(url)
    if target == _OUTSIDE or local is None:
        return url
    if target is None:
        return None
    path, rest = local
    browser = None if path.startswith("/") else _resolve(path, posixpath.dirname(page), published)
    if browser == target:
        return url
    return relative(page, target) + rest


def relocate(fragment: str, page: str) -> str:
    """A fragment whose local links are published paths (what `link_site` leaves in news and
    CV text), with those links made relative to output page `page`."""
    if page == "index.html":
        return fragment

    def attr(match: re.Match[str]) -> str:
        name, value = match.group(1), html.unescape(match.group(2))
        local = local_path(value)
        if local is None or local[0].startswith("/") or local[0].startswith("../"):
            return match.group(0)
        return f' {name}="{html.escape(relative(page, local[0]) + local[1])}"'

    return _TAG.sub(lambda m: _ATTR.sub(attr, m.group(0)), fragment)


def relocate_url(url: str | None, page: str) -> str | None:
    """One URL field that `link_site` left as a published path, relative to `page`."""
    if url is None:
        return None
    local = local_path(url)
    if local is None or page == "index.html":
        return url
    return relative(page, local[0]) + local[1]


def image_size(source: Path | None) -> tuple[int, int] | None:
    """(width, height) read from an image file's header, when cheap and known."""
    if source is None or source.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    try:
        width, height = imagesize.get(str(source))
    except (OSError, ValueError):
        return None
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return None


def localize(
    fragment: str, page: str, published: Published, *, page_relative: bool
) -> tuple[str, list[str]]:
    """`fragment` with every local href/src rewritten for `page` (see `link_for`) and published
    images given their size; also the links that resolve to nothing, as written."""
    missing: list[str] = []

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        size: tuple[int, int] | None = None

        def attr(found: re.Match[str]) -> str:
            nonlocal size
            name, value = found.group(1), html.unescape(found.group(2))
            link = link_for(value, page, published, page_relative=page_relative)
            if link is None:
                missing.append(value)
                return found.group(0)
            target = resolve_url(value, page, published, page_relative=page_relative)
            if name == "src" and target is not None:
                size = image_size(published.get(target))
            if link == value:
                return found.group(0)
            return f' {name}="{html.escape(link)}"'

        text = _ATTR.sub(attr, text)
        if match.group(1) == "img" and size is not None and " width=" not in text:
            end = -3 if text.endswith(" />") else -1
            text = f'{text[:end]} width="{size[0]}" height="{size[1]}"{text[end:]}'
        return text

    return _TAG.sub(tag, fragment), missing


# --- the link stage ---------------------------------------------------------------------------


def published_paths(
    site: Site, static: Iterable[str], extra_pages: Iterable[str]
) -> dict[str, Path | None]:
    """Every output path the build will write, with the source of each copied file."""
    from generator.context import paper_path, photo_asset  # the page layout is context's

    out: dict[str, Path | None] = dict.fromkeys(
        ["index.html", seo.ROBOTS, seo.FAVICON, seo.BIBLIOGRAPHY, *static, *extra_pages]
    )
    if site.config.base_url:
        out.update(dict.fromkeys([seo.SITEMAP, seo.FEED]))
    for slug in (entry.slug for entry in site.entries):
        out.update(dict.fromkeys([paper_path(slug), seo.bib_path(slug)]))
    for page in site.pages:
        out[f"{page.slug}/index.html"] = None
    photo = site.profile.photo
    if photo and "://" not in photo:
        out[photo_asset(photo)] = site.config.site_dir / photo
    out.update(dict(site.files))
    return out


_TIP = (
    "link to a published path: a file under content/files/ as files/NAME, a page as NAME/, "
    "or give a full https:// URL"
)


class _Linker:
    """Checks and rewrites the links of one build; reports each broken one where it is written."""

    def __init__(self, published: Published, warnings: Warnings) -> None:
        self.published = published
        self.warnings = warnings

    def broken(self, value: str, where: Where, what: str, *, dropped: bool = False) -> None:
        shown = " (no link is shown)" if dropped else ""
        self.warnings.warn(
            f"{what} {value} resolves to nothing in the built site{shown}",
            file=where.file,
            line=where.line,
            key=where.key,
            hint=_TIP,
        )

    def fragment(self, fragment: str, where: Where) -> str:
        """A YAML-sourced fragment, its local links left as published paths (relocate() makes
        them relative on each page that shows it)."""
        out, missing = localize(fragment, "index.html", self.published, page_relative=False)
        for value in missing:
            self.broken(value, where, "link")
        return out

    def url(
        self, value: str | None, where: Where, what: str = "link", *, report: bool = True
    ) -> str | None:
        """A URL field: a local one becomes the published path it names; one that names
        nothing is a warning (unless `report` is false) and None: no link is shown, as for a
        paper's missing file (a dead link helps nobody)."""
        if value is None:
            return None
        found = resolve_url(value, "index.html", self.published, page_relative=False)
        if found is None:
            if report:
                self.broken(value, where, what, dropped=True)
            return None
        local = local_path(value)
        if local is None or found == value:
            return found
        return relative("index.html", found) + local[1]  # a published path, URL-quoted


def _line_of(source: str, value: str) -> int | None:
    """The first line of `source` that holds `value` as written (or decoded)."""
    for needle in dict.fromkeys([value, unquote(value)]):
        at = source.find(needle)
        if at >= 0:
            return source.count("\n", 0, at) + 1
    return None


def _page(page: Page, linker: _Linker) -> Page:
    path = f"{page.slug}/index.html"
    out, missing = localize(page.html, path, linker.published, page_relative=True)
    if missing:
        try:
            source = read_input(page.source, PAGE).decode("utf-8-sig", "replace")
        except ScholarpageError:
            source = ""
        for value in missing:
            linker.broken(value, Where(page.source, _line_of(source, value)), "link")
    return page if out == page.html else replace(page, html=out)


def _profile(profile: Profile, linker: _Linker) -> Profile:
    out, missing = localize(profile.bio_html, "index.html", linker.published, page_relative=True)
    local = [link for link in profile.links if local_path(link.url) is not None]
    if not missing and not local:
        return profile
    try:
        doc = read_yaml(profile.file, what="profile")
        lines, data = doc.lines, doc.data
    except ScholarpageError:
        lines, data = {}, None
    bio_line = lines.get(("bio",))
    for value in missing:
        linker.broken(value, Where(profile.file, bio_line, "bio"), "link")
    raw_links = data.get("links") if isinstance(data, dict) else None
    links = []
    for link in profile.links:
        if link not in local:
            links.append(link)
            continue
        found = linker.url(link.url, Where(profile.file), "link", report=False)
        if found is not None:
            links.append(Link(link.label, found))
            continue
        keypath: tuple[str | int, ...] = ("links", link.label)
        if isinstance(raw_links, list):
            index = next(
                (
                    i
                    for i, x in enumerate(raw_links)
                    if isinstance(x, dict) and x.get("url") == link.url
                ),
                0,
            )
            keypath = ("links", index)
        where = Where(profile.file, lines.get(keypath), ".".join(map(str, keypath)))
        linker.broken(link.url, where, "link", dropped=True)
    return replace(profile, bio_html=out, links=tuple(links))


def _cv(cv: CV, linker: _Linker) -> CV:
    sections = []
    for section in cv.sections:
        entries = []
        for entry in section.entries:
            where = Where(section.where.file, entry.line or section.where.line, section.where.key)

            def text(fragment: str, where: Where = where) -> str:
                return linker.fragment(fragment, where)

            entries.append(
                replace(
                    entry,
                    title=text(entry.title),
                    institution=text(entry.institution),
                    value=text(entry.value),
                    url=linker.url(entry.url, where),
                    description=tuple(
                        CVItem(text(d.html), tuple(text(c) for c in d.children))
                        for d in entry.description
                    ),
                    items=tuple(text(i) for i in entry.items),
                )
            )
        sections.append(replace(section, entries=tuple(entries)))
    where = Where(cv.source)
    return replace(
        cv,
        sections=tuple(sections),
        summary_html=linker.fragment(cv.summary_html, where),
        contact=tuple(replace(c, url=linker.url(c.url, where)) for c in cv.contact),
    )


def _content(content: Content, linker: _Linker) -> Content:
    news = tuple(
        replace(n, html=linker.fragment(n.html, n.where), url=linker.url(n.url, n.where))
        for n in content.news
    )
    talks = tuple(
        replace(
            t,
            url=linker.url(t.url, t.where),
            slides=linker.url(t.slides, t.where, "slides"),
            video=linker.url(t.video, t.where, "video"),
        )
        for t in content.talks
    )
    teaching = tuple(replace(c, url=linker.url(c.url, c.where)) for c in content.teaching)
    people = []
    for member in content.people:
        photo = member.photo
        if photo is not None and local_path(photo) is not None:
            # a photo that names nothing is not shown (the initials are)
            photo = linker.url(photo, member.where, "photo")
        people.append(replace(member, url=linker.url(member.url, member.where), photo=photo))
    return replace(
        content,
        news=news,
        cv=_cv(content.cv, linker) if content.cv is not None else None,
        talks=talks,
        teaching=teaching,
        people=tuple(people),
    )


def link_site(
    site: Site,
    static: Iterable[str],
    extra_pages: Iterable[str],
    warnings: Warnings,
) -> Site:
    """The site with every local link of its content checked and rewritten (see the module's
    docstring); `static`: the theme's output paths, `extra_pages`: the content types' pages."""
    published = published_paths(site, static, extra_pages)
    linker = _Linker(published, warnings)
    pages = tuple(_page(p, linker) for p in site.pages)
    profile = _profile(site.profile, linker)
    content = _content(site.content, linker) if site.content is not None else None
    return replace(site, pages=pages, profile=profile, content=content)
