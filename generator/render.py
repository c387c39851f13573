"""Stage 4: Site + Theme -> tuple[Output, ...]. Pure: no disk writes.

Templates get a declared context of plain values and Markup (documented for theme authors), never
the internal dataclasses, so internals can change without breaking themes.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jinja2
import jinja2.meta
import jinja2.nodes
import jinja2.runtime
from markupsafe import Markup

from generator import __version__, content, seo
from generator.assemble import format_date
from generator.cvpdf import cv_pdf_outputs
from generator.errors import ScholarpageError, Warnings
from generator.model import Output, Page, Paper, Site
from generator.sources import PHOTO, PUBLISHED, TEMPLATE, Refusal, publishable, read_input
from generator.theme import Theme, ThemeEnvironment
from generator.urls import absolute, link_target, relative

INDEX = "index.html"


@dataclass
class RenderMemo:
    """What rendering computed last time, kept between builds by serve so a one-paper edit
    re-renders only the pages whose inputs changed.

    Every entry is stored with the complete inputs it was computed from and reused only when
    they compare equal (values, not hashes or mtimes), so a stale page is never served. One
    entry per paper / output path: memory stays one build's worth.
    """

    stamp: str = ""  # digest of every template file (paths and bytes) the entries were made with
    uses: dict[str, frozenset[str] | None] = _field(default_factory=dict)
    contexts: dict[str, tuple[object, dict[str, Any]]] = _field(default_factory=dict)
    heads: dict[str, tuple[object, dict[str, Any]]] = _field(default_factory=dict)
    pages: dict[str, tuple[object, bytes]] = _field(default_factory=dict)
    # included partials (a paper card): output by the complete inputs it read
    fragments: dict[object, str] = _field(default_factory=dict)
    pure: dict[str, bool] = _field(default_factory=dict)


def template_stamp(theme: Theme) -> str:
    """Digest of the paths and contents of every template the theme chain can load."""
    folders = [theme.overrides] if theme.overrides is not None else []
    folders += theme.template_dirs()
    digest = hashlib.blake2b(digest_size=16)
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            try:
                data = read_input(path, TEMPLATE)
            except ScholarpageError:  # reported if a page uses it
                data = b"\0unreadable"
            digest.update(f"{path}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
            digest.update(data)
    return digest.hexdigest()


def _template_closure(env: jinja2.Environment, name: str) -> list[jinja2.nodes.Template] | None:
    """The parsed template and every template it extends, includes or imports (recursively);
    None when that cannot be known (a dynamic reference, an error)."""
    found: list[jinja2.nodes.Template] = []
    seen: set[str] = set()
    todo = [name]
    loader = env.loader
    if loader is None:
        return None
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            ast = env.parse(loader.get_source(env, current)[0])
        except jinja2.TemplateError:
            return None
        found.append(ast)
        for ref in jinja2.meta.find_referenced_templates(ast):
            if ref is None:
                return None
            todo.append(ref)
    return found


def template_variables(env: jinja2.Environment, name: str) -> frozenset[str] | None:
    """The context names a template may read, through everything it references; None when that
    cannot be known: then the page is taken to depend on the whole context."""
    closure = _template_closure(env, name)
    if closure is None:
        return None
    return frozenset(v for ast in closure for v in jinja2.meta.find_undeclared_variables(ast))


_IMPURE = (jinja2.nodes.Macro, jinja2.nodes.NSRef, jinja2.nodes.ExprStmt)


def template_pure(env: jinja2.Environment, name: str) -> bool:
    """Whether a template's output is all it does: no macros (an import needs them run), no
    namespace writes or `do` (side effects on the includer), likewise for all it references."""
    closure = _template_closure(env, name)
    return closure is not None and not any(True for ast in closure for _ in ast.find_all(_IMPURE))


class _Fragments:
    """FragmentHook for one build: an included partial is reused when every context value it
    can read compares equal to last build's (values, as for whole pages)."""

    def __init__(
        self,
        env: jinja2.Environment,
        memo: RenderMemo,
        base_url: str,
        papers_inputs: object,
    ) -> None:
        self.env, self.memo, self.base_url = env, memo, base_url
        self.papers_inputs = papers_inputs
        self.now: dict[object, str] = {}

    def _reads(self, name: str) -> frozenset[str] | None:
        if name not in self.memo.uses:
            self.memo.uses[name] = template_variables(self.env, name)
        if name not in self.memo.pure:
            self.memo.pure[name] = template_pure(self.env, name)
        return self.memo.uses[name] if self.memo.pure[name] else None

    def lookup(self, name: str, context: jinja2.runtime.Context) -> tuple[object, str | None]:
        names = self._reads(name)
        if names is None:
            return None, None
        page = context.resolve_or_missing("page")
        path = page.get("path") if isinstance(page, dict) else None
        parts: list[object] = [name, path, self.base_url]
        for var in sorted(names):
            value = context.resolve_or_missing(var)
            if var in _PAPER_DERIVED:
                parts.append(self.papers_inputs)
            elif callable(value) and not isinstance(value, (jinja2.Undefined, type)):
                # rel()/absolute() depend on the page path and base_url, both in the key
                qualname = getattr(value, "__qualname__", None)
                if qualname is None:
                    return None, None
                parts.append((var, getattr(value, "__module__", None), qualname))
            else:
                fingerprint = _fingerprint(value)
                if not isinstance(fingerprint, str):
                    return None, None
                parts.append((var, fingerprint))
        key = tuple(parts)
        hit = self.memo.fragments.get(key)
        if hit is not None:
            self.now[key] = hit
        return key, hit

    def store(self, key: object, text: str) -> None:
        self.now[key] = text


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
}


def paper_type(paper: Paper) -> tuple[str, str]:
    """(filter value, label): an arXiv entry without a venue is a preprint, whatever its type."""
    if paper.arxiv_id and paper.venue is None:
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


def _paper_links(paper: Paper, files: frozenset[str]) -> list[dict[str, str]]:
    """Links as absolute URLs or site paths (of published `files`); templates use rel()."""
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
        if not any(link["url"] == url for link in links):
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


def _paper_inputs(site: Site) -> list[PaperInputs]:
    """Per paper, everything paper_context() reads: equal inputs give an equal context."""
    config = site.config
    common = (config.theme_options, config.max_authors, config.paper_badges, site.reference_date)
    owners = site.owner_authors or tuple(() for _ in site.papers)
    return [(p, s, o, common) for p, s, o in zip(site.papers, site.slugs, owners, strict=True)]


def _paper_contexts(
    site: Site, inputs: list[PaperInputs], memo: RenderMemo | None
) -> list[dict[str, Any]]:
    if memo is None:
        return [paper_context(site, p, s, o) for p, s, o, _ in inputs]
    kept: dict[str, tuple[object, dict[str, Any]]] = {}
    contexts = []
    for key in inputs:
        paper, slug, owner, _ = key
        hit = memo.contexts.get(paper.key)
        context = hit[1] if hit is not None and hit[0] == key else None
        if context is None:
            context = paper_context(site, paper, slug, owner)
        kept[paper.key] = (key, context)
        contexts.append(context)
    memo.contexts = kept
    return contexts


def site_context(site: Site, memo: RenderMemo | None = None) -> dict[str, Any]:
    """The part of the context shared by every page (`memo`: reuse unchanged papers' parts)."""
    profile = site.profile
    config = site.config
    options = dict(config.theme_options)
    shown_badges = _shown_badges(options)
    contexts = _paper_contexts(site, _paper_inputs(site), memo)
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


def _template_error(exc: Exception, theme: Theme) -> ScholarpageError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return ScholarpageError.single(
            f"template syntax error: {exc.message}",
            file=Path(exc.filename) if exc.filename else None,
            line=exc.lineno,
            hint="fix the template (Jinja2 syntax)",
        )
    if isinstance(exc, jinja2.TemplateNotFound):
        return ScholarpageError.single(
            f"template not found: {exc.name}",
            hint=f"theme '{theme.name}' looks in: "
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


def _seo_heads(
    site: Site, papers: list[dict[str, Any]], memo: RenderMemo | None = None
) -> dict[str, dict[str, Any]]:
    """Output path -> the `seo` template variable (head metadata from generator/seo.py)."""
    config = site.config
    title = config.title or site.profile.name
    description = config.description or site.profile.bio_text
    photo = site.profile.photo
    image = ""
    if photo:
        image = photo if "://" in photo else absolute(config.base_url, photo_asset(photo))
    heads = {INDEX: seo.index_head(site, title=title, description=description, image=image)}
    kept: dict[str, tuple[object, dict[str, Any]]] = {}
    for paper, context in zip(site.papers, papers, strict=True):
        path = context["path"]
        # what paper_head() reads: the paper, its URL, the site's name, base_url and language
        key = (paper, path, title, config.base_url, config.language)
        hit = memo.heads.get(path) if memo is not None else None
        if hit is not None and hit[0] == key:
            heads[path] = hit[1]
            kept[path] = hit
            continue
        url = absolute(config.base_url, path)
        head = {
            **seo.paper_head(site, paper, url=url, site_name=title),
            "bibtex": seo.bib_path(context["slug"]),
        }
        head["jsonld"] = Markup(head["jsonld"])  # escaped for <script> by seo.json_ld
        heads[path] = head
        kept[path] = (key, head)
    if memo is not None:
        memo.heads = kept
    heads[seo.NOT_FOUND] = seo.head(robots="noindex")
    for path in (INDEX, seo.NOT_FOUND):
        heads[path]["jsonld"] = Markup(heads[path]["jsonld"])
    return heads


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


_PAPER_DERIVED = frozenset({"papers", "selected_papers", "papers_by_year"})


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


def _fingerprint(value: object) -> object:
    """A value's repr, which the context's plain values (str, Markup, numbers, lists, dicts)
    spell out completely; an object shown by identity never matches anything."""
    text = repr(value)
    return object() if " at 0x" in text else text


def render_site(
    site: Site,
    theme: Theme,
    env: jinja2.Environment | None = None,
    memo: RenderMemo | None = None,
) -> tuple[Output, ...]:
    """Render every page and collect every static file, in a stable order.

    `env` may be a Jinja environment kept from an earlier build of the same theme (serve): its
    compiled templates are reused, and recompiled by Jinja when their files change. `memo`
    (serve) keeps rendered pages between builds: a page whose template files and context
    inputs (only the context names its templates read) are unchanged is not rendered again.
    """
    env = env or theme.environment()
    shared = site_context(site, memo)
    base_url = site.config.base_url
    heads = _seo_heads(site, shared["papers"], memo)
    inputs = _paper_inputs(site)
    pages: dict[str, tuple[object, bytes]] = {}
    fingerprints: dict[str, object] = {}
    per_template: dict[str, tuple[object, ...]] = {}
    if memo is not None:
        stamp = template_stamp(theme)
        if stamp != memo.stamp:
            memo.stamp, memo.uses, memo.pages = stamp, {}, {}
            memo.fragments, memo.pure = {}, {}

    def uses(template: str) -> frozenset[str] | None:
        assert memo is not None
        if template not in memo.uses:
            memo.uses[template] = template_variables(env, template)
        return memo.uses[template]

    def shared_inputs(template: str) -> tuple[object, ...]:
        """The shared context this template's pages read, in comparable form."""
        if template in per_template:
            return per_template[template]
        names = uses(template)
        chosen = sorted(shared if names is None else names & shared.keys())
        for name in chosen:
            if name not in fingerprints:
                # everything derived from the list of papers compares as the papers' inputs
                fingerprints[name] = (
                    inputs if name in _PAPER_DERIVED else _fingerprint(shared[name])
                )
        found = per_template[template] = tuple((name, fingerprints[name]) for name in chosen)
        return found

    def render(
        template: str,
        path: str,
        extra: Mapping[str, Any],
        own: object = None,
    ) -> Output:
        """Render `template` to `path`; `own`: what determines `extra` and the page's seo head
        (None: they are compared themselves)."""
        key: object = None
        if memo is not None:
            key = (
                template,
                path,
                base_url,
                shared_inputs(template),
                own if own is not None else _fingerprint((heads.get(path), extra)),
            )
            hit = memo.pages.get(path)
            if hit is not None and hit[0] == key:
                pages[path] = hit
                return Output(path, hit[1])
        try:
            tpl = env.get_template(template)
            context = {**shared, **_page_helpers(path, base_url), "seo": heads.get(path), **extra}
            if context["seo"] is None:  # a page seo.py has no special data for
                context["seo"] = seo.head(canonical=absolute(base_url, path))
            html = tpl.render(context)
        except RecursionError:
            raise ScholarpageError.single(
                f"template {template} extends or includes itself",
                hint='in a theme, extend the parent\'s template as "!PARENT/name.html" '
                '(e.g. "!classic/index.html"); "!theme/" is for the site\'s templates/ folder',
            ) from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise _template_error(exc, theme) from None
        content = html.encode("utf-8")
        if memo is not None:
            pages[path] = (key, content)
        return Output(path, content)

    fragments = None
    if memo is not None and isinstance(env, ThemeEnvironment):
        fragments = _Fragments(env, memo, base_url, inputs)
        env.fragment_hook = fragments
    try:
        outputs: list[Output] = [render("index.html", INDEX, {})]
        # a paper page's own inputs: its paper's context inputs and position, which with these
        # (and base_url, always part of the key) also determine its `seo` head (see _seo_heads)
        head_inputs = (site.config.title or site.profile.name, site.config.language)
        for i, paper in enumerate(shared["papers"]):
            own = (inputs[i], i, head_inputs)
            outputs.append(
                render("paper.html", paper["path"], {"paper": _with_bib_link(paper)}, own)
            )
        for md_page in shared["pages"]:
            helpers = _page_helpers(md_page["path"], base_url)
            outputs.append(
                render(
                    md_page["template"], md_page["path"], {"page": {**helpers["page"], **md_page}}
                )
            )
        # the homepage's content pages: news/, cv/, talks/, ... (generator/content.py)
        for template, path, extra in content.page_jobs(site.content, site.config, shared):
            outputs.append(render(template, path, extra))
        static = theme.static_files()
        for target, source in static.items():
            outputs.append(Output(target, read_input(source, PUBLISHED)))
        photo = _photo_output(site, static)
        if photo is not None:
            outputs.append(photo)
        outputs += [Output(path, read_input(source, PUBLISHED)) for path, source in site.files]
        outputs.append(render("404.html", seo.NOT_FOUND, {"rel": _root_rel(base_url)}, "404"))
    finally:
        if fragments is not None and isinstance(env, ThemeEnvironment):
            env.fragment_hook = None
    if memo is not None:
        memo.pages = pages
        if fragments is not None:
            memo.fragments = fragments.now
    outputs += cv_pdf_outputs(site, outputs)  # cv.pdf printed from cv/ (generator/cvpdf.py)
    options = {**dict(theme.options), **dict(site.config.theme_options)}
    outputs += seo.site_files(
        site,
        pages=[o.path for o in outputs if o.path.endswith(".html") and o.path != seo.NOT_FOUND],
        paper_paths=[p["path"] for p in shared["papers"]],
        slugs=list(site.slugs),
        initials=shared["profile"]["initials"],
        options=options,
        generator=shared["site"]["generator"],
    )
    return tuple(outputs)
