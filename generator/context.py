"""The template context: what a theme may read, declared once as typed records.

Templates get plain values and Markup (documented for theme authors in docs/themes.md, which
mirrors these records field for field), never the internal dataclasses, so internals can change
without breaking themes. The functions here build the records from a Site; generator.render
renders them and generator.incremental memoises them (equal inputs give an equal context).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any, Literal, TypedDict
from urllib.parse import urlsplit

from markupsafe import Markup

from generator import __version__, content, seo
from generator.assemble import format_date
from generator.model import Page, Paper, Site, SortOrder
from generator.paperfiles import LINK_FIELDS
from generator.seo import Head
from generator.urls import absolute, link_target, relative

INDEX = "index.html"

PageKind = Literal["index", "paper", "page", "news", "cv", "talks", "teaching", "people"]
"""`page.kind`: the profile page, a paper's, a Markdown page, or a content page's kind."""


class LinkContext(TypedDict):
    label: str
    url: str


class SiteInfo(TypedDict):
    """`site`: from site.yaml (title defaults to the profile name, description to the bio)."""

    title: str
    description: str
    base_url: str
    language: str
    generator: str
    options: dict[str, object]


class ProfileContext(TypedDict):
    """`profile`: the researcher; `photo` is an output path (assets/me.jpg) or a URL."""

    name: str
    initials: str
    aliases: list[str]
    affiliation: str | None
    photo: str | None
    email: str | None
    category: str | None
    links: list[LinkContext]
    bio: Markup
    bio_text: str


class MetricContext(TypedDict):
    """One of `metrics`: a profile header badge (filtered by the `badges` option)."""

    key: str
    label: str
    value: float | int | str
    display: str
    unit: str
    value_first: bool
    source: str | None
    as_of: str | None
    computed: bool


class BadgeContext(TypedDict):
    """One of a paper's `badges`: a numeric BibTeX field the site declares."""

    field: str
    label: str
    value: float
    display: str


class AuthorContext(TypedDict):
    name: str
    html: Markup
    me: bool


class PaperContext(TypedDict):
    """What a template may read about one paper (`paper_context`)."""

    key: str
    slug: str
    path: str
    type: str
    title: Markup
    title_text: str
    authors: Markup
    authors_all: Markup
    author_names: list[str]
    authors_list: list[AuthorContext]
    by_owner: bool
    et_al: bool
    type_value: str
    type_label: str
    search_text: str
    date: str
    date_iso: str
    year: int | None
    category: str | None
    primary_class: str | None
    badges: list[BadgeContext]
    score: BadgeContext | None
    venue: Markup | None
    venue_text: str | None
    volume: str | None
    number: str | None
    pages: str | None
    publisher: Markup | None
    abstract: Markup | None
    abstract_text: str | None
    doi: str | None
    arxiv_id: str | None
    links: list[LinkContext]
    keywords: list[str]
    selected: bool
    citations: int | None
    bibtex: str
    bibtex_cite: str
    has_math: bool


class ListedPaper(PaperContext):
    """A paper of `papers` (and of the lists derived from it): `index` is its position there."""

    index: int


class PaperPageContext(ListedPaper):
    """`paper` on paper.html: `bib` is the path of its .bib file, also among its `links`."""

    bib: str


class FacetContext(TypedDict):
    value: int | str
    label: str
    count: int


class FacetsContext(TypedDict):
    years: list[FacetContext]
    categories: list[FacetContext]
    types: list[FacetContext]


class SortChoice(TypedDict):
    value: str
    label: str


class YearGroup(TypedDict):
    year: int | None
    papers: list[ListedPaper]


class ListContext(TypedDict):
    """The paper-list helpers (`list_context`)."""

    selected_papers: list[ListedPaper]
    papers_by_year: list[YearGroup]
    facets: FacetsContext
    sorts: list[SortChoice]


class PageContext(TypedDict):
    """One of `pages`: a Markdown page (`page_context`)."""

    slug: str
    path: str
    title: str
    content: Markup
    text: str
    description: str
    nav: bool
    nav_order: int
    template: str


class NavItem(TypedDict):
    title: str
    path: str


class OwnerContext(TypedDict):
    name: str
    names: list[str]


class PageInfo(TypedDict):
    """`page`: this output's path, absolute URL ("" without base_url) and kind."""

    path: str
    url: str
    kind: PageKind


class MarkdownPageInfo(PageInfo, PageContext):
    """`page` on a Markdown page's template: PageInfo and the page's PageContext merged."""


class ContentContext(TypedDict):
    """What the homepage's content types add to every page (generator/content.py); a news
    item's record is built by generator/news.py."""

    news_home: list[dict[str, Any]]
    news_count: int
    content_pages: dict[str, str | None]


class SiteContext(ListContext, ContentContext):
    """The part of the context every page shares (`site_context`)."""

    site: SiteInfo
    profile: ProfileContext
    metrics: list[MetricContext]
    papers: list[ListedPaper]
    pages: list[PageContext]
    nav: list[NavItem]
    options: dict[str, object]
    owner: OwnerContext
    reference_date: str


Link = Callable[[str], str]


class PageHelpers(TypedDict):
    """Per output page: `page`, and `rel()` / `absolute()` for links from it."""

    page: PageInfo
    rel: Link
    absolute: Link


class OwnContext(TypedDict, total=False):
    """A page's own variables: `seo` always, `page` on Markdown pages, `paper` on paper pages."""

    seo: Head
    page: MarkdownPageInfo
    paper: PaperPageContext


ContentOwn = dict[str, Any]
"""A content page's own variables (news, cv, talks, ...: built by generator/content.py)."""


def paper_path(slug: str) -> str:
    return f"papers/{slug}/index.html"


def photo_asset(photo: str) -> str:
    """The output path of a local photo: assets/ and its file name."""
    return "assets/" + PurePosixPath(photo).name


def _initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in (parts[:1] + parts[-1:] if len(parts) > 1 else parts))


def _authors_html(
    paper: Paper, limit: int, owner: tuple[int, ...] = (), keep_owner: bool = False
) -> Markup:
    """Author list, the owner in <strong class="me">; "et al." past `limit` authors.

    With `keep_owner`, an owner past the limit stays visible: "A, B, C, …, Owner et al."
    """
    names = [
        Markup('<strong class="me">{}</strong>').format(Markup(a.html))
        if i in owner
        else Markup(a.html)
        for i, a in enumerate(paper.authors)
    ]
    shown = names[:limit]
    hidden_after = len(names) > limit
    late = [i for i in owner if i >= limit]
    if keep_owner and late:
        if late[0] > limit:
            shown.append(Markup("…"))
        shown.append(names[late[0]])
        hidden_after = len(names) > late[0] + 1
    truncated = hidden_after or paper.others
    out = Markup(", ").join(shown)
    if truncated:
        out += Markup(" et al.") if shown else Markup("et al.")
    return out


TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "article": "Journal article",
        "inproceedings": "Conference paper",
        "conference": "Conference paper",
        "incollection": "Book chapter",
        "inbook": "Book chapter",
        "book": "Book",
        "phdthesis": "Thesis",
        "mastersthesis": "Thesis",
        "thesis": "Thesis",
        "techreport": "Report",
        "report": "Report",
        "misc": "Other",
        "unpublished": "Preprint",
        "online": "Preprint",
        "patent": "Patent",
        "dataset": "Dataset",
        "data": "Dataset",
        "software": "Software",
        "talk": "Talk",
        "presentation": "Talk",
        "proceedings": "Proceedings",
        "collection": "Book",
    }
)
# Venues that are preprint servers, not journals: DBLP files arXiv versions as
# `@article{..., journal = {CoRR}}` and ECCC reports as `journal = {Electron. Colloquium Comput.
# Complex.}`; Google Scholar writes "arXiv preprint arXiv:2101.00001" or "bioRxiv".
_PREPRINT_VENUE = re.compile(
    r"^\s*(?:corr|\w*rxiv\b.*|.*\bpreprints?\b.*|eccc\b.*|ssrn\b.*|research square\b.*"
    r"|electron(?:ic)?\.? colloquium (?:on )?comput(?:ational|\.)? complex.*"
    r"|iacr cryptol(?:ogy|\.) eprint.*)\s*$",
    re.I,
)


def paper_type(paper: Paper) -> tuple[str, str]:
    """(filter value, label): an arXiv entry without a venue, or one whose venue is a preprint
    server (CoRR, ECCC, bioRxiv, ...), is a preprint, whatever its type."""
    if paper.arxiv_id and paper.venue is None:
        return "preprint", "Preprint"
    if paper.venue is not None and _PREPRINT_VENUE.match(paper.venue.text):
        return "preprint", "Preprint"
    label = TYPE_LABELS.get(paper.entry_type, paper.entry_type.capitalize())
    return label.lower().replace(" ", "-"), label


_BIB_SYNTAX = re.compile(r'[{}()",]')


def without_fields(bibtex: str, drop: frozenset[str]) -> str:
    """The BibTeX entry minus the named fields (for "copy BibTeX": no abstract, no site badges).

    Splits the body on top-level commas, so braces and quotes inside values are respected; an
    entry it cannot follow is returned unchanged rather than mangled.
    """
    start = min((i for i in (bibtex.find("{"), bibtex.find("(")) if i >= 0), default=-1)
    first_comma = bibtex.find(",", start)
    if start < 0 or first_comma < 0:
        return bibtex
    parts: list[str] = []
    depth, quoted, begin, end = 0, False, first_comma + 1, -1
    # visit only the characters that matter: values are long, these are few
    for match in _BIB_SYNTAX.finditer(bibtex, first_comma + 1):
        char, i = match.group(), match.start()
        if char == "{":
            depth += 1
        elif char in "})" and depth == 0 and not quoted:
            end = i
            break
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "," and depth == 0 and not quoted:
            parts.append(bibtex[begin:i])
            begin = i + 1
    if end < 0:
        return bibtex
    parts.append(bibtex[begin:end])
    kept = [p for p in parts if p.split("=", 1)[0].strip().lower() not in drop]
    return bibtex[: first_comma + 1] + ",".join(kept) + bibtex[end:]


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


_DOI_URL = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/(10\.[^?#]+?)/*$", re.I)
_ARXIV_LINK = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:v\d+)?(?:\.pdf)?/*$",
    re.I,
)


def link_identity(url: str) -> str:
    """What a link points at, so that two spellings of one target count once: doi.org and
    dx.doi.org (DOIs are case-insensitive), arxiv.org/abs and /pdf (any version), http and
    https, a trailing slash."""
    url = url.strip()
    doi = _DOI_URL.match(url)
    if doi:
        return "doi:" + doi.group(1).lower()
    arxiv = _ARXIV_LINK.match(url)
    if arxiv:
        return "arxiv:" + arxiv.group(1).lower()
    return re.sub(r"^https?://(?:www\.)?", "", url).rstrip("/").lower()


def _paper_links(paper: Paper, files: frozenset[str]) -> list[LinkContext]:
    """Links as absolute URLs or site paths (of published `files`); templates use rel().
    One link per target: DBLP repeats the DOI URL in `url`, which is then no second link."""
    links: list[LinkContext] = []
    if paper.arxiv_id:
        links.append({"label": "arXiv", "url": f"https://arxiv.org/abs/{paper.arxiv_id}"})
    if paper.doi:
        links.append({"label": "DOI", "url": f"https://doi.org/{paper.doi}"})
    for label, field in LINK_FIELDS:
        value = getattr(paper, field)
        target = link_target(value) if value else None
        if target is None or (target[0] == "file" and target[1] not in files):
            continue
        url = target[1]
        if not any(link_identity(link["url"]) == link_identity(url) for link in links):
            links.append({"label": label, "url": url})
    return links


def _shown_badges(options: Mapping[str, object]) -> frozenset[str] | None:
    """The theme option `badges` (metric keys/labels, badge fields) in matching form; None: all."""
    chosen = options.get("badges")
    if chosen is None:
        return None
    names = chosen if isinstance(chosen, (list, tuple)) else (chosen,)
    return frozenset(str(b).casefold() for b in names)


def paper_context(site: Site, paper: Paper, slug: str, owner: tuple[int, ...] = ()) -> PaperContext:
    """What a template may read about one paper (see docs/themes.md)."""
    config = site.config
    options = dict(config.theme_options)
    chosen_limit = options.get("max_authors")
    limit = (
        chosen_limit if isinstance(chosen_limit, int) and chosen_limit > 0 else config.max_authors
    )
    keep_owner = bool(options.get("keep_owner", True))
    shown_badges = _shown_badges(options)
    specs = {spec.field: spec for spec in config.paper_badges}
    badges: list[BadgeContext] = [
        {
            "field": name,
            "label": specs[name].label,
            "value": value,
            "display": _number(value, specs[name].decimals),
        }
        for name, value in paper.badges
        if shown_badges is None
        or name in shown_badges
        or specs[name].label.casefold() in shown_badges
    ]
    type_value, type_label = paper_type(paper)
    drop = frozenset({"abstract", "selected", "citations", *specs})
    return {
        "key": paper.key,
        "slug": slug,
        "path": paper_path(slug),
        "type": paper.entry_type,
        "title": Markup(paper.title.html),
        "title_text": paper.title.text,
        "authors": _authors_html(paper, limit, owner, keep_owner),
        "authors_all": _authors_html(paper, 10**9, owner),
        "author_names": [a.text for a in paper.authors],
        "authors_list": [
            {"name": a.text, "html": Markup(a.html), "me": i in owner}
            for i, a in enumerate(paper.authors)
        ],
        "by_owner": bool(owner),
        "et_al": paper.others,
        "type_value": type_value,
        "type_label": type_label,
        "search_text": " ".join(
            [
                paper.title.text,
                *(a.text for a in paper.authors),
                paper.venue.text if paper.venue else "",
                *paper.keywords,
            ]
        ).strip(),
        "date": format_date(paper, site.reference_date),
        "date_iso": paper.date.iso(),
        "year": paper.date.year,
        "category": paper.category,
        "primary_class": paper.primary_class,
        "badges": badges,
        "score": badges[0] if badges else None,
        "venue": Markup(paper.venue.html) if paper.venue else None,
        "venue_text": paper.venue.text if paper.venue else None,
        "volume": paper.volume,
        "number": paper.number,
        "pages": paper.pages,
        "publisher": Markup(paper.publisher.html) if paper.publisher else None,
        "abstract": Markup(paper.abstract.html) if paper.abstract else None,
        "abstract_text": paper.abstract.text if paper.abstract else None,
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "links": _paper_links(paper, frozenset(path for path, _ in site.files)),
        "keywords": list(paper.keywords),
        "selected": paper.selected,
        "citations": paper.citations,
        "bibtex": paper.bibtex,
        "bibtex_cite": without_fields(paper.bibtex, drop),
        "has_math": paper.has_math,
    }


SORT_LABELS: dict[SortOrder, str] = {
    "date": "Newest first",
    "score": "Highest score",
    "citations": "Most cited",
    "title": "Title",
    "file": "Bibliography order",
}


def _facet(
    values: Sequence[int | str | None], labels: Mapping[str, str] | None = None
) -> list[FacetContext]:
    counts: dict[int | str, int] = {}
    for value in values:
        if value is not None and value != "":
            counts[value] = counts.get(value, 0) + 1
    return [
        {"value": v, "label": (labels or {}).get(str(v), str(v)), "count": counts[v]}
        for v in counts
    ]


def list_context(site: Site, papers: list[ListedPaper]) -> ListContext:
    """Paper-list helpers: selected papers, year groups, filter facets and the sort choices."""
    years = sorted(_facet([p["year"] for p in papers]), key=lambda f: -int(f["value"]))
    categories = sorted(_facet([p["category"] for p in papers]), key=lambda f: str(f["value"]))
    type_labels = {p["type_value"]: p["type_label"] for p in papers}
    types = sorted(_facet([p["type_value"] for p in papers], type_labels), key=lambda f: f["label"])
    groups: dict[int | None, list[ListedPaper]] = {}
    for paper in sorted(papers, key=lambda p: -(p["year"] or 0)):
        groups.setdefault(paper["year"], []).append(paper)
    order = site.config.sort
    sorts: list[SortChoice] = [{"value": "", "label": SORT_LABELS[order]}]
    has_score = any(p["score"] for p in papers)
    has_citations = any(p["citations"] is not None for p in papers)
    choices: tuple[tuple[SortOrder, bool], ...] = (
        ("date", True),
        ("score", has_score),
        ("citations", has_citations),
    )
    for value, available in choices:
        if available and value != order:
            sorts.append({"value": value, "label": SORT_LABELS[value]})
    return {
        "selected_papers": [p for p in papers if p["selected"]],
        "papers_by_year": [{"year": y, "papers": ps} for y, ps in groups.items()],
        "facets": {"years": years, "categories": categories, "types": types},
        "sorts": sorts,
    }


def page_context(page: Page) -> PageContext:
    """What a template may read about a Markdown page (see docs/themes.md)."""
    return {
        "slug": page.slug,
        "path": f"{page.slug}/index.html",
        "title": page.title,
        "content": Markup(page.html),
        "text": page.text,
        "description": page.description or page.text[:200],
        "nav": page.nav,
        "nav_order": page.nav_order,
        "template": page.template,
    }


PaperInputs = tuple[Paper, str, tuple[int, ...], tuple[object, ...]]


def paper_inputs(site: Site) -> list[PaperInputs]:
    """Per paper, everything paper_context() reads (the paper, its slug, the owner's positions
    among its authors, and the site-wide settings): equal inputs give an equal context."""
    config = site.config
    common = (
        config.theme_options,
        config.max_authors,
        config.paper_badges,
        site.reference_date,
        site.files,
    )
    return [(e.paper, e.slug, e.owner_positions, common) for e in site.entries]


def site_context(site: Site, contexts: Sequence[PaperContext]) -> SiteContext:
    """The part of the context shared by every page; `contexts`: paper_context() of each paper,
    in the site's order (computed once, for this and for the paper pages)."""
    profile = site.profile
    config = site.config
    options = dict(config.theme_options)
    shown_badges = _shown_badges(options)
    papers: list[ListedPaper] = [{**c, "index": i} for i, c in enumerate(contexts)]
    pages = [page_context(page) for page in site.pages]
    photo = None
    if profile.photo:
        photo = profile.photo if "://" in profile.photo else photo_asset(profile.photo)
    home: NavItem = {"title": "Home", "path": INDEX}
    extra = content.shared_context(site.content, config)
    return {
        "site": {
            "title": config.title or profile.name,
            "description": config.description or profile.bio_text[:200],
            "base_url": config.base_url,
            "language": config.language,
            "generator": f"scholarpage {__version__}",
            "options": dict(config.theme_options),
        },
        "profile": {
            "name": profile.name,
            "initials": _initials(profile.name),
            "aliases": list(profile.aliases),
            "affiliation": profile.affiliation,
            "photo": photo,
            "email": profile.email,
            "category": site.category,
            "links": [{"label": link.label, "url": link.url} for link in profile.links],
            "bio": Markup(profile.bio_html),
            "bio_text": profile.bio_text,
        },
        "metrics": [
            {
                "key": m.key,
                "label": m.label,
                "value": m.value,
                "display": m.display,
                "unit": m.unit,
                "value_first": m.value_first,
                "source": m.source,
                "as_of": m.as_of.isoformat() if m.as_of else None,
                "computed": m.computed,
            }
            for m in site.metrics
            if shown_badges is None
            or m.key.casefold() in shown_badges
            or m.label.casefold() in shown_badges
        ],
        "papers": papers,
        **list_context(site, papers),
        "pages": pages,
        # Home, the pages and the homepage's content pages (generator/content.py)
        "nav": content.content_nav(site.content, home, pages),
        "news_home": extra["news_home"],
        "news_count": extra["news_count"],
        "content_pages": extra["content_pages"],
        "options": options,
        "owner": {"name": profile.name, "names": [profile.name, *profile.aliases]},
        "reference_date": site.reference_date.isoformat(),
    }


def page_kind(path: str) -> PageKind:
    """What an output page is, for templates that share a layout: index, paper or page."""
    if path == INDEX:
        return "index"
    return "paper" if path.startswith("papers/") else "page"


def page_info(path: str, base_url: str) -> PageInfo:
    return {"path": path, "url": absolute(base_url, path), "kind": page_kind(path)}


def page_helpers(path: str, base_url: str) -> PageHelpers:
    def rel(target: str) -> str:
        if "://" in target or target.startswith(("mailto:", "#")):
            return target
        return relative(path, target)

    return {
        "page": page_info(path, base_url),
        "rel": rel,
        "absolute": lambda target: absolute(base_url, target),
    }


def root_rel(base_url: str) -> Link:
    """rel() for the 404 page, which hosts serve at any missing URL: absolute paths under the
    base_url's path (/profile/assets/style.css), since a page-relative link would break there."""
    root = urlsplit(base_url).path or "/"
    if not root.endswith("/"):
        root += "/"

    def rel(target: str) -> str:
        if "://" in target or target.startswith(("mailto:", "#")):
            return target
        return posixpath.join(root, target)

    return rel


def paper_page_context(paper: ListedPaper) -> PaperPageContext:
    """The paper's context on its own page: its .bib file (beside the page) among its links."""
    bib = seo.bib_path(paper["slug"])
    link: LinkContext = {"label": "BibTeX", "url": bib}
    return {**paper, "bib": bib, "links": [*paper["links"], link]}


def markdown_page_info(md_page: PageContext, base_url: str) -> MarkdownPageInfo:
    """`page` on a Markdown page's template: its PageInfo, then the page's own keys."""
    return {**page_info(md_page["path"], base_url), **md_page}


def head_settings(site: Site) -> tuple[object, ...]:
    """The site-wide values paper_head() reads besides the paper and its slug: the site's
    name, base_url, language and published files."""
    config = site.config
    return (config.title or site.profile.name, config.base_url, config.language, site.files)


def paper_head(site: Site, paper: Paper, slug: str) -> Head:
    """The `seo` template variable of a paper's page (head metadata from generator/seo.py);
    it reads the paper, the slug and head_settings()."""
    title = site.config.title or site.profile.name
    head: Head = {
        **seo.paper_head(
            site, paper, url=absolute(site.config.base_url, paper_path(slug)), site_name=title
        ),
        "bibtex": seo.bib_path(slug),
    }
    head["jsonld"] = Markup(head["jsonld"])  # escaped for <script> by seo.json_ld
    return head


def index_head(site: Site) -> Head:
    """The `seo` template variable of the profile page."""
    config = site.config
    title = config.title or site.profile.name
    description = config.description or site.profile.bio_text
    photo = site.profile.photo
    image = ""
    if photo:
        image = photo if "://" in photo else absolute(config.base_url, photo_asset(photo))
    head = seo.index_head(site, title=title, description=description, image=image)
    head["jsonld"] = Markup(head["jsonld"])
    return head
