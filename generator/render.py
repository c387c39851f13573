"""Stage 4: Site + Theme -> tuple[Output, ...]. Pure: no disk writes.

Templates get a declared context of plain values and Markup (documented for theme authors), never
the internal dataclasses, so internals can change without breaking themes.

Rendering is a list of jobs: the context every page shares is built once (site_context, from
each paper's paper_context), page_jobs() lists one PageJob per page, render_page() renders one,
and render_site() loops. generator.incremental composes the same steps with its memos.
"""

from __future__ import annotations

import posixpath
import re
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from generator import __version__, content, seo
from generator.assemble import format_date
from generator.cvpdf import cv_pdf_outputs
from generator.errors import ScholarpageError, Warnings
from generator.model import Output, Page, Paper, Site
from generator.sources import PHOTO, PUBLISHED, Refusal, publishable, read_input
from generator.theme import Theme, ThemeEnvironment
from generator.urls import absolute, link_target, relative

INDEX = "index.html"


def paper_path(slug: str) -> str:
    return f"papers/{slug}/index.html"


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


TYPE_LABELS = {
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


LINK_FIELDS = (("PDF", "pdf"), ("Code", "code"), ("Slides", "slides"), ("Web", "url"))


def paper_files(
    site_dir: Path,
    papers: tuple[Paper, ...],
    warnings: Warnings,
    published: frozenset[str] = frozenset(),
) -> tuple[tuple[str, Path], ...]:
    """The site's own files that papers link to by path (`pdf = {files/a.pdf}`), to publish at
    the same path. One that may not be published (missing, outside the site folder once symlinks
    are followed, hidden, not a regular file, too large: see sources.publishable) is a warning
    at its entry and gets no link (a broken link helps nobody)."""
    found: dict[str, Path] = {}
    for paper in papers:
        for _, field in LINK_FIELDS:
            value = getattr(paper, field)
            target = link_target(value) if value else None
            if target is None or target[0] != "file":
                continue
            path = target[1]
            if path in published:  # content/files/ publishes it (generator/files.py)
                continue
            source = publishable(site_dir, path, PUBLISHED)
            if isinstance(source, Path):
                found[path] = source
                continue
            warnings.warn(
                f"{field} {source.reason}: {value} (no link is shown)",
                file=paper.source,
                line=paper.line,
                key=field,
                hint=source.hint,
            )
    return tuple(sorted(found.items()))


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


def _paper_links(paper: Paper, files: frozenset[str]) -> list[dict[str, str]]:
    """Links as absolute URLs or site paths (of published `files`); templates use rel().
    One link per target: DBLP repeats the DOI URL in `url`, which is then no second link."""
    links: list[dict[str, str]] = []
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


def _shown_badges(options: Mapping[str, Any]) -> frozenset[str] | None:
    """The theme option `badges` (metric keys/labels, badge fields) in matching form; None: all."""
    chosen = options.get("badges")
    if chosen is None:
        return None
    return frozenset(str(b).casefold() for b in chosen)


def paper_context(
    site: Site, paper: Paper, slug: str, owner: tuple[int, ...] = ()
) -> dict[str, Any]:
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
    badges = [
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


SORT_LABELS = {
    "date": "Newest first",
    "score": "Highest score",
    "citations": "Most cited",
    "title": "Title",
    "file": "Bibliography order",
}


def _facet(values: list[Any], labels: Mapping[Any, str] | None = None) -> list[dict[str, Any]]:
    counts: dict[Any, int] = {}
    for value in values:
        if value not in (None, ""):
            counts[value] = counts.get(value, 0) + 1
    return [
        {"value": v, "label": (labels or {}).get(v, str(v)), "count": counts[v]} for v in counts
    ]


def list_context(site: Site, papers: list[dict[str, Any]]) -> dict[str, Any]:
    """Paper-list helpers: selected papers, year groups, filter facets and the sort choices."""
    years = sorted(_facet([p["year"] for p in papers]), key=lambda f: -int(f["value"]))
    categories = sorted(_facet([p["category"] for p in papers]), key=lambda f: str(f["value"]))
    type_labels = {p["type_value"]: p["type_label"] for p in papers}
    types = sorted(_facet([p["type_value"] for p in papers], type_labels), key=lambda f: f["label"])
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for paper in sorted(papers, key=lambda p: -(p["year"] or 0)):
        groups.setdefault(paper["year"], []).append(paper)
    order = site.config.sort
    sorts = [{"value": "", "label": SORT_LABELS[order]}]
    has_score = any(p["score"] for p in papers)
    has_citations = any(p["citations"] is not None for p in papers)
    for value, available in (("date", True), ("score", has_score), ("citations", has_citations)):
        if available and value != order:
            sorts.append({"value": value, "label": SORT_LABELS[value]})
    return {
        "selected_papers": [p for p in papers if p["selected"]],
        "papers_by_year": [{"year": y, "papers": ps} for y, ps in groups.items()],
        "facets": {"years": years, "categories": categories, "types": types},
        "sorts": sorts,
    }


def page_context(page: Page) -> dict[str, Any]:
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
    owners = site.owner_authors or tuple(() for _ in site.papers)
    return [(p, s, o, common) for p, s, o in zip(site.papers, site.slugs, owners, strict=True)]


def site_context(site: Site, contexts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The part of the context shared by every page; `contexts`: paper_context() of each paper,
    in the site's order (computed once, for this and for the paper pages)."""
    profile = site.profile
    config = site.config
    options = dict(config.theme_options)
    shown_badges = _shown_badges(options)
    papers = [{**c, "index": i} for i, c in enumerate(contexts)]
    pages = [page_context(page) for page in site.pages]
    photo = None
    if profile.photo:
        photo = profile.photo if "://" in profile.photo else photo_asset(profile.photo)
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
        "nav": content.content_nav(site.content, {"title": "Home", "path": INDEX}, pages),
        **content.shared_context(site.content, config),
        "options": options,
        "owner": {"name": profile.name, "names": [profile.name, *profile.aliases]},
        "reference_date": site.reference_date.isoformat(),
    }


def _kind(path: str) -> str:
    """What an output page is, for templates that share a layout: index, paper or page."""
    if path == INDEX:
        return "index"
    return "paper" if path.startswith("papers/") else "page"


def _page_helpers(path: str, base_url: str) -> dict[str, Any]:
    def rel(target: str) -> str:
        if "://" in target or target.startswith(("mailto:", "#")):
            return target
        return relative(path, target)

    return {
        "page": {"path": path, "url": absolute(base_url, path), "kind": _kind(path)},
        "rel": rel,
        "absolute": lambda target: absolute(base_url, target),
    }


def _template_error(exc: Exception, env: jinja2.Environment) -> ScholarpageError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return ScholarpageError.single(
            f"template syntax error: {exc.message}",
            file=Path(exc.filename) if exc.filename else None,
            line=exc.lineno,
            hint="fix the template (Jinja2 syntax)",
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        theme = env.theme if isinstance(env, ThemeEnvironment) else None
        return ScholarpageError.single(
            f"template not found: {exc.name}",
            hint=None
            if theme is None
            else f"theme '{theme.name}' looks in: "
            + ", ".join(str(d) for d in theme.template_dirs()),
        )
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
    where = frames[-1] if frames else None
    return ScholarpageError.single(
        f"template error: {exc}",
        file=Path(where.filename) if where else None,
        line=where.lineno if where else None,
        hint="a template uses a variable the context does not have (see docs/themes.md)",
    )


def head_settings(site: Site) -> tuple[object, ...]:
    """The site-wide values paper_head() reads besides the paper and its slug: the site's
    name, base_url, language and published files."""
    config = site.config
    return (config.title or site.profile.name, config.base_url, config.language, site.files)


def paper_head(site: Site, paper: Paper, slug: str) -> dict[str, Any]:
    """The `seo` template variable of a paper's page (head metadata from generator/seo.py);
    it reads the paper, the slug and head_settings()."""
    title = site.config.title or site.profile.name
    head = {
        **seo.paper_head(
            site, paper, url=absolute(site.config.base_url, paper_path(slug)), site_name=title
        ),
        "bibtex": seo.bib_path(slug),
    }
    head["jsonld"] = Markup(head["jsonld"])  # escaped for <script> by seo.json_ld
    return head


def _index_head(site: Site) -> dict[str, Any]:
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


@dataclass(frozen=True)
class PageJob:
    """One page to render: its template, its output path and its own part of the context, all
    plain values, so a job is a self-contained unit of work (picklable, comparable).

    `paper`: the position in the shared `papers` of the paper a paper page shows (its context
    is taken from there rather than copied). `root_links`: rel() gives absolute paths under
    base_url's path instead of page-relative ones (the 404 page, served at any missing URL).
    """

    template: str
    path: str
    own: dict[str, Any]
    paper: int | None = None
    root_links: bool = False


def page_jobs(
    site: Site, context: Mapping[str, Any], heads: Sequence[dict[str, Any]]
) -> list[PageJob]:
    """Every page, in output order: the index, one per paper, the Markdown pages, the 404 page.
    `context` is site_context()'s; `heads` the paper_head() of each paper, in the site's order."""
    base_url = site.config.base_url
    jobs = [PageJob("index.html", INDEX, {"seo": _index_head(site)})]
    for i, (paper, head) in enumerate(zip(context["papers"], heads, strict=True)):
        jobs.append(PageJob("paper.html", paper["path"], {"seo": head}, paper=i))
    for md_page in context["pages"]:
        path = md_page["path"]
        own = {
            "seo": seo.head(canonical=absolute(base_url, path)),
            "page": {**_page_helpers(path, base_url)["page"], **md_page},
        }
        jobs.append(PageJob(md_page["template"], path, own))
    # the homepage's content pages: news/, cv/, talks/, ... (generator/content.py)
    for template, path, own in content.page_jobs(site.content, site.config, context):
        jobs.append(PageJob(template, path, own))
    missing = seo.head(robots="noindex")
    missing["jsonld"] = Markup(missing["jsonld"])
    jobs.append(PageJob("404.html", seo.NOT_FOUND, {"seo": missing}, root_links=True))
    return jobs


def render_page(env: jinja2.Environment, context: Mapping[str, Any], job: PageJob) -> Output:
    """Render one page: the shared `context`, the page's helpers (rel, absolute, page) and its
    own values. Pure: the same environment, context and job give the same bytes."""
    base_url = context["site"]["base_url"]
    helpers = _page_helpers(job.path, base_url)
    if job.root_links:
        helpers["rel"] = _root_rel(base_url)
    own = job.own
    if job.paper is not None:
        own = {**own, "paper": _with_bib_link(context["papers"][job.paper])}
    try:
        html = env.get_template(job.template).render({**context, **helpers, **own})
    except RecursionError:
        raise ScholarpageError.single(
            f"template {job.template} extends or includes itself",
            hint='in a theme, extend the parent\'s template as "!PARENT/name.html" '
            '(e.g. "!classic/index.html"); "!theme/" is for the site\'s templates/ folder',
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise _template_error(exc, env) from None
    return Output(job.path, html.encode("utf-8"))


def _with_bib_link(paper: dict[str, Any]) -> dict[str, Any]:
    """The paper's context on its own page: its .bib file (beside the page) among its links."""
    bib = seo.bib_path(paper["slug"])
    link = {"label": "BibTeX", "url": bib}
    return {**paper, "bib": bib, "links": [*paper["links"], link]}


def _root_rel(base_url: str) -> Any:
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


def photo_asset(photo: str) -> str:
    """The output path of a local photo: assets/ and its file name."""
    return "assets/" + PurePosixPath(photo).name


def _photo_output(site: Site, static: Mapping[str, Path]) -> Output | None:
    """The profile photo to publish (None: none, or a URL), read only if publishable.

    read_profile() already refused what may not be published, at its line; this checks again
    (the file may have changed since) and refuses to replace a theme's own asset."""
    photo = site.profile.photo
    if not photo or "://" in photo:
        return None
    profile = site.profile.file
    found = publishable(site.config.site_dir, photo, PHOTO)
    if isinstance(found, Refusal):
        raise ScholarpageError.single(
            f"{photo} {found.reason}", file=profile, key="photo", hint=found.hint
        )
    target = photo_asset(photo)
    if target in static:
        raise ScholarpageError.single(
            f"{photo} would replace the theme's own {target}",
            file=profile,
            key="photo",
            hint="rename the image, e.g. to me.jpg",
        )
    return Output(target, read_input(found, PHOTO, what=f"photo {photo}"))


def static_outputs(site: Site, theme: Theme) -> list[Output]:
    """The files published as they are: the theme's static files, the profile photo, and the
    site's own files that papers link to."""
    static = theme.static_files()
    outputs = [Output(target, read_input(source, PUBLISHED)) for target, source in static.items()]
    photo = _photo_output(site, static)
    if photo is not None:
        outputs.append(photo)
    outputs += [Output(path, read_input(source, PUBLISHED)) for path, source in site.files]
    return outputs


def site_outputs(
    site: Site, theme: Theme, context: Mapping[str, Any], pages: Sequence[Output]
) -> tuple[Output, ...]:
    """The whole output in a stable order: the rendered `pages` (render_page() of each of
    page_jobs(), in order), the static files before the 404 page, then the files seo.py
    derives (robots.txt, favicon, .bib files, sitemap and feed)."""
    shown = [o for o in pages if o.path != seo.NOT_FOUND]
    outputs = [*shown, *static_outputs(site, theme), *(o for o in pages if o.path == seo.NOT_FOUND)]
    outputs += cv_pdf_outputs(site, outputs)  # cv.pdf printed from cv/ (generator/cvpdf.py)
    options = {**dict(theme.options), **dict(site.config.theme_options)}
    outputs += seo.site_files(
        site,
        pages=[o.path for o in outputs if o.path.endswith(".html") and o.path != seo.NOT_FOUND],
        paper_paths=[p["path"] for p in context["papers"]],
        slugs=list(site.slugs),
        initials=context["profile"]["initials"],
        options=options,
        generator=context["site"]["generator"],
    )
    return tuple(outputs)


def render_site(site: Site, theme: Theme) -> tuple[Output, ...]:
    """Stage 4: render every page and collect every published file, in a stable order."""
    env = theme.environment()
    contexts = [paper_context(site, p, slug, owner) for p, slug, owner, _ in paper_inputs(site)]
    context = site_context(site, contexts)
    heads = [
        paper_head(site, paper, slug) for paper, slug in zip(site.papers, site.slugs, strict=True)
    ]
    pages = [render_page(env, context, job) for job in page_jobs(site, context, heads)]
    return site_outputs(site, theme, context, pages)
