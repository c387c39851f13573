"""Stage 4: Site + Theme -> tuple[Output, ...]. Pure: no disk writes.

Templates get a declared context of plain values and Markup (documented for theme authors), never
the internal dataclasses, so internals can change without breaking themes.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.assemble import format_date
from generator.errors import ScholarpageError
from generator.model import Output, Paper, Site
from generator.theme import Theme
from generator.urls import absolute, relative, safe_url

INDEX = "index.html"


def paper_path(slug: str) -> str:
    return f"papers/{slug}/index.html"


def _initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in (parts[:1] + parts[-1:] if len(parts) > 1 else parts))


def _authors_html(paper: Paper, limit: int) -> Markup:
    names = [Markup(a.html) for a in paper.authors]
    shown = names[:limit]
    truncated = len(names) > limit or paper.others
    out = Markup(", ").join(shown)
    if truncated:
        out += Markup(" et al.") if shown else Markup("et al.")
    return out


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _paper_links(paper: Paper) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    if paper.arxiv_id:
        links.append({"label": "arXiv", "url": f"https://arxiv.org/abs/{paper.arxiv_id}"})
    if paper.doi:
        links.append({"label": "DOI", "url": f"https://doi.org/{paper.doi}"})
    for label, value in (
        ("PDF", paper.pdf),
        ("Code", paper.code),
        ("Slides", paper.slides),
        ("Web", paper.url),
    ):
        url = safe_url(value) if value else None
        if url and not any(link["url"] == url for link in links):
            links.append({"label": label, "url": url})
    return links


def paper_context(site: Site, paper: Paper, slug: str) -> dict[str, Any]:
    """What a template may read about one paper (see docs/themes.md)."""
    config = site.config
    specs = {spec.field: spec for spec in config.paper_badges}
    badges = [
        {
            "field": name,
            "label": specs[name].label,
            "value": value,
            "display": _number(value, specs[name].decimals),
        }
        for name, value in paper.badges
    ]
    return {
        "key": paper.key,
        "slug": slug,
        "path": paper_path(slug),
        "type": paper.entry_type,
        "title": Markup(paper.title.html),
        "title_text": paper.title.text,
        "authors": Markup(_authors_html(paper, config.max_authors)),
        "authors_all": Markup(_authors_html(paper, 10**9)),
        "author_names": [a.text for a in paper.authors],
        "et_al": paper.others,
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
        "links": _paper_links(paper),
        "keywords": list(paper.keywords),
        "selected": paper.selected,
        "citations": paper.citations,
        "bibtex": paper.bibtex,
        "has_math": paper.has_math,
    }


def site_context(site: Site) -> dict[str, Any]:
    """The part of the context shared by every page."""
    profile = site.profile
    config = site.config
    photo = None
    if profile.photo:
        photo = profile.photo if "://" in profile.photo else "assets/" + Path(profile.photo).name
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
        ],
        "papers": [paper_context(site, p, s) for p, s in zip(site.papers, site.slugs, strict=True)],
        "reference_date": site.reference_date.isoformat(),
    }


def _page_helpers(path: str, base_url: str) -> dict[str, Any]:
    def rel(target: str) -> str:
        if "://" in target or target.startswith(("mailto:", "#")):
            return target
        return relative(path, target)

    return {
        "page": {"path": path, "url": absolute(base_url, path)},
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


def render_site(site: Site, theme: Theme) -> tuple[Output, ...]:
    """Render every page and collect every static file, in a stable order."""
    env = theme.environment()
    shared = site_context(site)
    base_url = site.config.base_url

    def render(template: str, path: str, extra: Mapping[str, Any]) -> Output:
        try:
            tpl = env.get_template(template)
            html = tpl.render({**shared, **_page_helpers(path, base_url), **extra})
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise _template_error(exc, theme) from None
        return Output(path, html.encode("utf-8"))

    outputs: list[Output] = [render("index.html", INDEX, {})]
    for paper in shared["papers"]:
        outputs.append(render("paper.html", paper["path"], {"paper": paper}))
    for target, source in theme.static_files().items():
        outputs.append(Output(target, source.read_bytes()))
    photo = site.profile.photo
    if photo and "://" not in photo:
        source = site.config.site_dir / photo
        try:
            outputs.append(Output("assets/" + Path(photo).name, source.read_bytes()))
        except OSError:
            raise ScholarpageError.single(
                f"photo not found: {photo}",
                file=site.profile.file,
                key="photo",
                hint="put the image in the site folder and give its path relative to it",
            ) from None
    return tuple(outputs)
