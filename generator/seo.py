"""What search engines, feed readers and citation managers read: pure functions, no disk access.

Two kinds of output come from here:

- head data for templates (Google Scholar `citation_*` tags, Open Graph, Twitter card, schema.org
  JSON-LD), so the `_seo_head.html` partial of the base theme only prints values and every theme
  gets the same, tested metadata;
- site files: `sitemap.xml`, `robots.txt`, the Atom feed `feed.xml`, `papers.bib` and one `.bib`
  per paper, and `favicon.svg`.

All text comes from the plain-text side of the LaTeX conversion (`Text.text`), never from HTML,
so no markup leaks into meta tags, feeds or JSON. Absolute URLs come from `base_url` only; when
it is not set, everything that needs one (canonical, `og:url`, sitemap, feed) is left out rather
than guessed, and the rest of the site still works because its links are page-relative.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict
from xml.sax.saxutils import escape as xml_escape

from generator.model import Course, Member, NewsItem, Output, Paper, PaperDate, Site, Talk
from generator.urls import absolute, link_target, safe_url

SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
FEED = "feed.xml"
BIBLIOGRAPHY = "papers.bib"
FAVICON = "favicon.svg"
NOT_FOUND = "404.html"

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SCHEMA_ORG = "https://schema.org"

# Entry types whose venue is a journal, or a conference (Google Scholar names them differently).
JOURNAL_TYPES = frozenset({"article"})
CONFERENCE_TYPES = frozenset({"inproceedings", "conference", "proceedings"})
THESIS_TYPES = frozenset({"phdthesis", "mastersthesis", "thesis"})
REPORT_TYPES = frozenset({"techreport", "report"})

DESCRIPTION_LIMIT = 300
DEFAULT_ICON_COLOR = "#2563eb"

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_PAGES = re.compile(r"^\s*([^\s\-–—]+)\s*(?:-+|–|—)\s*([^\s\-–—]+)\s*$")


def bib_path(slug: str) -> str:
    """Output path of one paper's BibTeX file, beside its page (so the page links `slug.bib`)."""
    return f"papers/{slug}/{slug}.bib"


def clean_text(text: str) -> str:
    """One line of plain text: whitespace collapsed, characters XML cannot hold removed."""
    return " ".join(_XML_INVALID.sub("", text).split())


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis (for previews)."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def scholar_date(date: PaperDate) -> str | None:
    """Google Scholar's `citation_publication_date`: YYYY/MM/DD when the day is known, else YYYY."""
    if date.year is None:
        return None
    if date.month and date.day:
        return f"{date.year:04d}/{date.month:02d}/{date.day:02d}"
    return f"{date.year:04d}"


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    """First and last page of a BibTeX `pages` field ("12--34" -> ("12", "34"))."""
    if not pages:
        return None, None
    match = _PAGES.match(pages)
    if match:
        return match.group(1), match.group(2)
    single = pages.strip()
    return (single, None) if single and " " not in single else (None, None)


def pdf_url(paper: Paper, base_url: str, files: frozenset[str] = frozenset()) -> str | None:
    """Absolute URL of the paper's PDF, or None when none is known.

    An absolute `pdf` field is used as is; a relative one is a path in the published site and
    becomes absolute under base_url (left out without base_url: a relative URL is useless to a
    crawler); otherwise an arXiv paper's PDF on arxiv.org.
    """
    target = link_target(paper.pdf) if paper.pdf else None
    if target is not None:
        kind, url = target
        if kind == "url" and url.lower().startswith(("http://", "https://")):
            return url
        if kind == "file" and url in files:
            return absolute(base_url, url) or None
    if paper.arxiv_id:
        return f"https://arxiv.org/pdf/{paper.arxiv_id}"
    return None


def _venue_tag(paper: Paper) -> str | None:
    kind = paper.entry_type
    if kind in JOURNAL_TYPES:
        return "citation_journal_title"
    if kind in CONFERENCE_TYPES:
        return "citation_conference_title"
    if kind in THESIS_TYPES:
        return "citation_dissertation_institution"
    if kind in REPORT_TYPES:
        return "citation_technical_report_institution"
    if kind in ("incollection", "inbook"):
        return "citation_inbook_title"
    return None


def scholar_tags(
    paper: Paper, base_url: str, files: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """Google Scholar's Highwire Press tags for one paper page, in the order Scholar documents.

    Authors keep their order (one tag each); unknown values are left out, never empty.
    """
    tags: list[tuple[str, str]] = [("citation_title", clean_text(paper.title.text))]
    tags += [("citation_author", clean_text(a.text)) for a in paper.authors if a.text.strip()]
    date = scholar_date(paper.date)
    if date:
        tags.append(("citation_publication_date", date))
    venue_tag = _venue_tag(paper)
    if paper.venue and venue_tag:
        tags.append((venue_tag, clean_text(paper.venue.text)))
    if paper.volume:
        tags.append(("citation_volume", clean_text(paper.volume)))
    if paper.number:
        tags.append(("citation_issue", clean_text(paper.number)))
    first, last = page_range(paper.pages)
    if first:
        tags.append(("citation_firstpage", first))
    if last:
        tags.append(("citation_lastpage", last))
    if paper.publisher:
        tags.append(("citation_publisher", clean_text(paper.publisher.text)))
    if paper.doi:
        tags.append(("citation_doi", paper.doi))
    if paper.arxiv_id:
        tags.append(("citation_arxiv_id", paper.arxiv_id))
    pdf = pdf_url(paper, base_url, files)
    if pdf:
        tags.append(("citation_pdf_url", pdf))
    if paper.keywords:
        tags.append(("citation_keywords", "; ".join(clean_text(k) for k in paper.keywords)))
    return [(name, value) for name, value in tags if value]


def _og_locale(language: str) -> str:
    """Open Graph wants language_TERRITORY (en_GB); a bare language such as "en" is left out."""
    parts = language.replace("-", "_").split("_")
    return f"{parts[0].lower()}_{parts[1].upper()}" if len(parts) == 2 and all(parts) else ""


def open_graph(
    *,
    kind: str,
    title: str,
    description: str,
    url: str,
    site_name: str,
    image: str = "",
    locale: str = "",
    published: str = "",
) -> list[tuple[str, str]]:
    """Open Graph properties (`og:*`, `article:*`); empty values are left out."""
    props = [
        ("og:type", kind),
        ("og:title", clean_text(title)),
        ("og:description", shorten(description)),
        ("og:url", url),
        ("og:site_name", clean_text(site_name)),
        ("og:image", image),
        ("og:locale", _og_locale(locale)),
        ("article:published_time", published),
    ]
    return [(k, v) for k, v in props if v]


def twitter_card(title: str, description: str, image: str = "") -> list[tuple[str, str]]:
    """Twitter/X card tags; a plain `summary` card (there is no large image to show)."""
    tags = [
        ("twitter:card", "summary"),
        ("twitter:title", clean_text(title)),
        ("twitter:description", shorten(description)),
        ("twitter:image", image),
    ]
    return [(k, v) for k, v in tags if v]


def json_ld(data: Mapping[str, Any]) -> str:
    """JSON for a <script type="application/ld+json"> element.

    `<`, `>` and `&` are written as JSON escapes, so no text (a title with "</script>") can end
    the element early or be read as markup; JSON parsers read the escapes back as the characters.
    """
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _prune(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def article_data(paper: Paper, url: str, language: str) -> dict[str, Any]:
    """schema.org `ScholarlyArticle` for one paper page."""
    title = clean_text(paper.title.text)
    same_as = []
    if paper.doi:
        same_as.append(f"https://doi.org/{paper.doi}")
    if paper.arxiv_id:
        same_as.append(f"https://arxiv.org/abs/{paper.arxiv_id}")
    web = safe_url(paper.url) if paper.url else None
    if web and web.lower().startswith(("http://", "https://")) and web not in same_as:
        same_as.append(web)
    first, last = page_range(paper.pages)
    part_of: dict[str, Any] | None = None
    if paper.venue:
        venue_type = "Periodical" if paper.entry_type in JOURNAL_TYPES else "CreativeWork"
        part_of = _prune(
            {
                "@type": venue_type,
                "name": clean_text(paper.venue.text),
                "volumeNumber": paper.volume,
                "issueNumber": paper.number,
            }
        )
    return _prune(
        {
            "@context": SCHEMA_ORG,
            "@type": "ScholarlyArticle",
            "@id": url or None,
            "url": url or None,
            "headline": shorten(title, 110),
            "name": title,
            "author": [
                {"@type": "Person", "name": clean_text(a.text)}
                for a in paper.authors
                if a.text.strip()
            ],
            "datePublished": paper.date.iso() or None,
            "abstract": clean_text(paper.abstract.text) if paper.abstract else None,
            "isPartOf": part_of,
            "pageStart": first,
            "pageEnd": last,
            "publisher": (
                {"@type": "Organization", "name": clean_text(paper.publisher.text)}
                if paper.publisher
                else None
            ),
            "identifier": (
                {"@type": "PropertyValue", "propertyID": "DOI", "value": paper.doi}
                if paper.doi
                else None
            ),
            "sameAs": same_as,
            "keywords": ", ".join(clean_text(k) for k in paper.keywords) or None,
            "inLanguage": language or None,
        }
    )


def person_data(site: Site, image: str) -> dict[str, Any]:
    """schema.org `Person` for the index page: who the site is about, and where else they are."""
    profile = site.profile
    same_as = [
        link.url
        for link in profile.links
        if link.url.lower().startswith(("http://", "https://")) and safe_url(link.url)
    ]
    email = profile.email
    if email is None:
        mails = [link.url for link in profile.links if link.url.startswith("mailto:")]
        email = mails[0][len("mailto:") :] if mails else None
    base_url = site.config.base_url
    return _prune(
        {
            "@context": SCHEMA_ORG,
            "@type": "Person",
            "@id": (base_url + "#person") if base_url else None,
            "name": clean_text(profile.name),
            "alternateName": [clean_text(a) for a in profile.aliases],
            "url": base_url or None,
            "image": image or None,
            "email": email,
            "affiliation": (
                {"@type": "Organization", "name": clean_text(profile.affiliation)}
                if profile.affiliation
                else None
            ),
            "description": shorten(profile.bio_text) if profile.bio_text else None,
            "sameAs": same_as,
        }
    )


class NameContent(TypedDict):
    name: str
    content: str


class PropertyContent(TypedDict):
    property: str
    content: str


class Head(TypedDict):
    """The `seo` template variable (docs/themes.md): what `_seo_head.html` prints."""

    canonical: str
    meta: list[NameContent]
    properties: list[PropertyContent]
    jsonld: str  # escaped for <script> already; a Markup once the context holds it
    bibtex: str  # output path of the page's own .bib file (paper pages), else ""


def _page_url(base_url: str, url: str | None) -> str | None:
    """An absolute URL for JSON-LD: a site path under base_url (None without one)."""
    if not url:
        return None
    if "://" in url or url.startswith("mailto:"):
        return url if url.lower().startswith(("http://", "https://")) else None
    return absolute(base_url, url) or None


def talks_data(talks: Sequence[Talk], owner: str, base_url: str) -> dict[str, Any]:
    """schema.org `Event`s for the talks page: each talk, given by the site's owner."""
    events = [
        _prune(
            {
                "@type": "Event",
                "name": clean_text(talk.title),
                "startDate": talk.date.iso() or None,
                "location": (
                    {"@type": "Place", "name": clean_text(talk.location)} if talk.location else None
                ),
                "superEvent": (
                    {"@type": "Event", "name": clean_text(talk.event)} if talk.event else None
                ),
                "performer": {"@type": "Person", "name": clean_text(owner)},
                "url": _page_url(base_url, talk.url),
                "workFeatured": [
                    _prune({"@type": kind, "url": _page_url(base_url, url)})
                    for kind, url in (
                        ("PresentationDigitalDocument", talk.slides),
                        ("VideoObject", talk.video),
                    )
                    if _page_url(base_url, url)
                ],
            }
        )
        for talk in talks
    ]
    return {"@context": SCHEMA_ORG, "@graph": events}


def courses_data(courses: Sequence[Course], owner: str, base_url: str) -> dict[str, Any]:
    """schema.org `Course`s for the teaching page, each with the term as a CourseInstance."""
    items = []
    for course in courses:
        instance = _prune(
            {
                "@type": "CourseInstance",
                "name": clean_text(course.term) if course.term else None,
                "instructor": {"@type": "Person", "name": clean_text(owner)},
                "description": clean_text(course.role) if course.role else None,
            }
        )
        items.append(
            _prune(
                {
                    "@type": "Course",
                    "name": clean_text(course.course),
                    "provider": (
                        {"@type": "Organization", "name": clean_text(course.institution)}
                        if course.institution
                        else None
                    ),
                    "url": _page_url(base_url, course.url),
                    "hasCourseInstance": instance,
                }
            )
        )
    return {"@context": SCHEMA_ORG, "@graph": items}


def people_data(people: Sequence[Member], base_url: str) -> dict[str, Any]:
    """schema.org `Person`s for the people page."""
    return {
        "@context": SCHEMA_ORG,
        "@graph": [
            _prune(
                {
                    "@type": "Person",
                    "name": clean_text(m.name),
                    "jobTitle": clean_text(m.role) if m.role else None,
                    "url": _page_url(base_url, m.url),
                    "image": _page_url(base_url, m.photo),
                    "description": clean_text(m.years) if m.years else None,
                }
            )
            for m in people
        ],
    }


def head(
    *,
    canonical: str = "",
    meta: Sequence[tuple[str, str]] = (),
    properties: Sequence[tuple[str, str]] = (),
    data: Mapping[str, Any] | None = None,
    robots: str = "",
) -> Head:
    """The `seo` template variable: plain lists the `_seo_head.html` partial prints as they are.

    `jsonld` is already escaped for a script element (see `json_ld`); a theme marks it safe.
    """
    tags = [("robots", robots)] if robots else []
    return {
        "canonical": canonical,
        "meta": [{"name": n, "content": c} for n, c in (*tags, *meta)],
        "properties": [{"property": p, "content": c} for p, c in properties],
        "jsonld": json_ld(data) if data else "",
        "bibtex": "",
    }


def index_head(site: Site, *, title: str, description: str, image: str) -> Head:
    """Head data of the profile page: Open Graph `profile`, Twitter card, schema.org Person."""
    base_url = site.config.base_url
    return head(
        canonical=base_url,
        meta=twitter_card(title, description, image),
        properties=open_graph(
            kind="profile",
            title=title,
            description=description,
            url=base_url,
            site_name=title,
            image=image,
            locale=site.config.language,
        ),
        data=person_data(site, image),
    )


def paper_head(site: Site, paper: Paper, *, url: str, site_name: str) -> Head:
    """Head data of one paper page: Scholar tags, Open Graph `article`, ScholarlyArticle."""
    title = paper.title.text
    description = paper.abstract.text if paper.abstract else title
    return head(
        canonical=url,
        meta=[
            *scholar_tags(paper, site.config.base_url, frozenset(p for p, _ in site.files)),
            *twitter_card(title, description),
        ],
        properties=open_graph(
            kind="article",
            title=title,
            description=description,
            url=url,
            site_name=site_name,
            locale=site.config.language,
            published=paper.date.iso(),
        ),
        data=article_data(paper, url, site.config.language),
    )


# --- site files ------------------------------------------------------------------------------


_XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n'


def _text(value: str) -> str:
    """XML character data, escaped as ElementTree escapes it (&, <, >)."""
    return xml_escape(value)


def _attr(value: str) -> str:
    """An XML attribute value (in double quotes), escaped as ElementTree escapes it."""
    value = _text(value)
    for raw, escaped in (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;")):
        if raw in value:
            value = value.replace(raw, escaped)
    return value


def _element(
    depth: int, tag: str, text: str | None = None, attrs: Iterable[tuple[str, str]] = ()
) -> str:
    """One element without children on its own line, `depth` levels in: the bytes
    ElementTree writes for it after `ET.indent` (an empty one is self-closed)."""
    head = "  " * depth + "<" + tag + "".join(f' {k}="{_attr(v)}"' for k, v in attrs)
    if text:
        return f"{head}>{_text(text)}</{tag}>\n"
    return head + " />\n"


def sitemap_xml(base_url: str, pages: Iterable[str]) -> bytes:
    """sitemaps.org sitemap listing every page (output paths) under base_url, in the given order.

    No `lastmod`: the build cannot know when a page's content last changed, and a wrong date is
    worse than none for crawlers.
    """
    parts = [_XML_HEADER, f'<urlset xmlns="{SITEMAP_NS}">\n']
    for path in pages:
        parts += ["  <url>\n", _element(2, "loc", absolute(base_url, path)), "  </url>\n"]
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def robots_txt(base_url: str) -> bytes:
    """Allow everything; name the sitemap when there is one (it needs an absolute URL)."""
    lines = ["User-agent: *", "Allow: /"]
    if base_url:
        lines += ["", f"Sitemap: {absolute(base_url, SITEMAP)}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _timestamp(date: PaperDate, fallback: dt.date) -> str:
    day = fallback if date.year is None else dt.date(date.year, date.month or 1, date.day or 1)
    return f"{day.isoformat()}T00:00:00Z"


def feed_order(papers: Sequence[Paper]) -> list[int]:
    """Indices of `papers`, newest first; undated papers last; ties keep the site's order."""
    return sorted(
        range(len(papers)),
        key=lambda i: (
            papers[i].date.year is None,
            tuple(-x for x in papers[i].date.sort_key()),
            i,
        ),
    )


def atom_feed(site: Site, paper_paths: Sequence[str], generator: str) -> bytes:
    """Atom feed of the papers, newest first; one entry per paper, linking to its page.

    Dates are the papers' publication dates (the only dates the input has), so the same input
    gives the same feed. Only called with a base_url: Atom needs absolute ids and links.
    """
    config = site.config
    base_url = config.base_url
    title = config.title or site.profile.name
    papers = site.papers
    order = feed_order(papers)
    dated = [papers[i].date for i in order if papers[i].date.year is not None]
    news = site.content.news if site.content is not None else ()
    if news:  # the newest of papers and news (news are dated to the day)
        first = news[0].date
        dated = sorted([*dated, PaperDate(first.year, first.month, first.day)], key=_newest)
    updated = (
        _timestamp(dated[0], site.reference_date)
        if dated
        else _timestamp(PaperDate(None), site.reference_date)
    )
    lang = f' xml:lang="{_attr(config.language)}"' if config.language else ""
    parts = [_XML_HEADER, f'<feed xmlns="{ATOM_NS}"{lang}>\n']
    head: list[tuple[str, str | None, tuple[tuple[str, str], ...]]] = [
        ("title", clean_text(f"{title}: papers and news" if news else f"{title}: papers"), ())
    ]
    description = config.description or site.profile.bio_text
    if description:
        head.append(("subtitle", shorten(description), ()))
    feed_url = absolute(base_url, FEED)
    head += [
        ("id", feed_url, ()),
        ("link", None, (("rel", "self"), ("type", "application/atom+xml"), ("href", feed_url))),
        ("link", None, (("rel", "alternate"), ("type", "text/html"), ("href", base_url))),
        ("updated", updated, ()),
    ]
    parts += [_element(1, tag, text, attrs) for tag, text, attrs in head]
    parts += [
        "  <author>\n",
        _element(2, "name", clean_text(site.profile.name)),
        _element(2, "uri", base_url),
        "  </author>\n",
        _element(
            1, "generator", generator.split(" ")[0], (("version", generator.rpartition(" ")[2]),)
        ),
        _element(1, "icon", absolute(base_url, FAVICON)),
    ]
    entries: list[tuple[tuple[int, ...], str]] = []
    for rank, i in enumerate(order):
        paper = papers[i]
        stamp = _timestamp(paper.date, site.reference_date) if paper.date.year else updated
        key = (0, rank) if not news else (*_newest(paper.date), 1, rank)
        entries.append((key, _feed_entry(paper, absolute(base_url, paper_paths[i]), stamp)))
    for rank, item in enumerate(news):
        day = PaperDate(item.date.year, item.date.month, item.date.day)
        entries.append(((*_newest(day), 0, rank), _news_entry(item, base_url)))
    parts += [entry for _, entry in sorted(entries, key=lambda e: e[0])]
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def _newest(date: PaperDate) -> tuple[int, ...]:
    """Sort key: newest first, undated last."""
    return (date.year is None, *(-x for x in date.sort_key()))


def _news_entry(item: NewsItem, base_url: str) -> str:
    """One news item's `<entry>`: its own URL when it has one, else its place on news/."""
    page = absolute(base_url, f"news/index.html#{item.anchor}")
    link = item.url if item.url and "://" in item.url else page
    if item.url and "://" not in item.url and not item.url.startswith("mailto:"):
        link = absolute(base_url, item.url.lstrip("/"))
    stamp = f"{item.date.isoformat()}T00:00:00Z"
    title = clean_text(item.title or shorten(item.text, 100))
    lines = [
        "  <entry>\n",
        _element(2, "title", title, (("type", "text"),)),
        _element(2, "id", page),
        _element(2, "link", None, (("rel", "alternate"), ("type", "text/html"), ("href", link))),
        _element(2, "published", stamp),
        _element(2, "updated", stamp),
        _element(2, "summary", clean_text(item.text), (("type", "text"),)),
        "  </entry>\n",
    ]
    return "".join(lines)


def _feed_entry(paper: Paper, url: str, stamp: str) -> str:
    """One paper's `<entry>` element of the Atom feed, indented as in the feed (the bytes
    `_element` would give, written out for speed: a feed has an entry per paper)."""
    title = _text(clean_text(paper.title.text))
    href = _attr(url)
    parts = [
        f'  <entry>\n    <title type="text">{title}</title>\n'
        if title
        else '  <entry>\n    <title type="text" />\n',
        f"    <id>{_text(url)}</id>\n" if url else "    <id />\n",
        f'    <link rel="alternate" type="text/html" href="{href}" />\n',
    ]
    if paper.date.year is not None:
        parts.append(f"    <published>{stamp}</published>\n")
    parts.append(f"    <updated>{stamp}</updated>\n")
    for person in paper.authors:
        name = _text(clean_text(person.text))
        if name:
            parts.append(f"    <author>\n      <name>{name}</name>\n    </author>\n")
        elif person.text.strip():
            parts.append("    <author>\n      <name />\n    </author>\n")
    if paper.primary_class:
        parts.append(f'    <category term="{_attr(paper.primary_class)}" />\n')
    for keyword in paper.keywords:
        parts.append(f'    <category term="{_attr(clean_text(keyword))}" />\n')
    if paper.abstract:
        summary = _text(clean_text(paper.abstract.text))
        parts.append(
            f'    <summary type="text">{summary}</summary>\n'
            if summary
            else '    <summary type="text" />\n'
        )
    parts.append("  </entry>\n")
    return "".join(parts)


def bibtex_file(papers: Iterable[Paper]) -> bytes:
    """The papers' BibTeX entries as read, in the site's order, blank-line separated."""
    entries = [paper.bibtex.strip() for paper in papers if paper.bibtex.strip()]
    return ("\n\n".join(entries) + "\n").encode("utf-8")


def icon_color(options: Mapping[str, object]) -> str:
    """The theme's accent colour when it declares a valid one (`accent`), else the default."""
    value = options.get("accent")
    if isinstance(value, str) and _HEX_COLOR.fullmatch(value.strip()):
        return value.strip()
    return DEFAULT_ICON_COLOR


def favicon_svg(initials: str, color: str = DEFAULT_ICON_COLOR) -> bytes:
    """A square SVG icon with the owner's initials: no image file needed, no external request."""
    letters = clean_text(initials)[:3] or "?"
    text = letters.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    size = 30 if len(letters) < 3 else 22
    if not _HEX_COLOR.fullmatch(color):
        color = DEFAULT_ICON_COLOR
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{color}"/>'
        f'<text x="32" y="33" fill="#fff" font-family="system-ui,-apple-system,Segoe UI,'
        f'Helvetica,Arial,sans-serif" font-size="{size}" font-weight="600" text-anchor="middle" '
        f'dominant-baseline="central">{text}</text></svg>\n'
    )
    return svg.encode("utf-8")


def site_files(
    site: Site,
    *,
    pages: Sequence[str],
    paper_paths: Sequence[str],
    slugs: Sequence[str],
    initials: str,
    options: Mapping[str, object],
    generator: str,
) -> tuple[Output, ...]:
    """Every file this module adds to the output, in a stable order.

    `pages` are the HTML pages a crawler should index (the 404 page is not one of them);
    sitemap.xml and feed.xml are written only when base_url is set.
    """
    base_url = site.config.base_url
    outputs = [
        Output(ROBOTS, robots_txt(base_url)),
        Output(FAVICON, favicon_svg(initials, icon_color(options))),
        Output(BIBLIOGRAPHY, bibtex_file(site.papers)),
    ]
    outputs += [
        Output(bib_path(slug), bibtex_file([paper]))
        for paper, slug in zip(site.papers, slugs, strict=True)
    ]
    if base_url:
        outputs.append(Output(SITEMAP, sitemap_xml(base_url, pages)))
        outputs.append(Output(FEED, atom_feed(site, paper_paths, generator)))
    return tuple(outputs)
