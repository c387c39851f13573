"""Stage 4: Site + Theme -> tuple[Output, ...]. Pure: no disk writes.

Templates get the declared context of generator/context.py (documented for theme authors in
docs/themes.md), never the internal dataclasses.

Rendering is a list of jobs: the context every page shares is built once (context.site_context,
from each paper's paper_context), page_jobs() lists one PageJob per page, render_page() renders
one, and render_site() loops. generator.incremental composes the same steps with its memos.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator import content, seo
from generator.context import (
    INDEX,
    ContentOwn,
    OwnContext,
    SiteContext,
    index_head,
    markdown_page_info,
    page_helpers,
    paper_context,
    paper_head,
    paper_inputs,
    paper_page_context,
    photo_asset,
    root_rel,
    site_context,
)
from generator.cvpdf import cv_pdf_outputs
from generator.errors import ScholarpageError
from generator.model import Output, Site
from generator.seo import Head
from generator.sources import PHOTO, PUBLISHED, Refusal, publishable, read_input
from generator.theme import Theme, ThemeEnvironment
from generator.urls import absolute


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
    own: OwnContext | ContentOwn
    paper: int | None = None
    root_links: bool = False


def page_jobs(site: Site, context: SiteContext, heads: Sequence[Head]) -> list[PageJob]:
    """Every page, in output order: the index, one per paper, the Markdown pages, the content
    pages (news, CV, talks, ...), the 404 page.
    `context` is site_context()'s; `heads` the paper_head() of each paper, in the site's order."""
    base_url = site.config.base_url
    jobs = [PageJob("index.html", INDEX, {"seo": index_head(site)})]
    for i, (paper, head) in enumerate(zip(context["papers"], heads, strict=True)):
        jobs.append(PageJob("paper.html", paper["path"], {"seo": head}, paper=i))
    for md_page in context["pages"]:
        path = md_page["path"]
        own: OwnContext = {
            "seo": seo.head(canonical=absolute(base_url, path)),
            "page": markdown_page_info(md_page, base_url),
        }
        jobs.append(PageJob(md_page["template"], path, own))
    # the homepage's content pages: news/, cv/, talks/, ... (generator/content.py)
    for template, path, extra in content.page_jobs(site.content, site.config, context):
        jobs.append(PageJob(template, path, extra))
    missing = seo.head(robots="noindex")
    missing["jsonld"] = Markup(missing["jsonld"])
    jobs.append(PageJob("404.html", seo.NOT_FOUND, {"seo": missing}, root_links=True))
    return jobs


def render_page(env: jinja2.Environment, context: SiteContext, job: PageJob) -> Output:
    """Render one page: the shared `context`, the page's helpers (rel, absolute, page) and its
    own values. Pure: the same environment, context and job give the same bytes."""
    base_url = context["site"]["base_url"]
    helpers = page_helpers(job.path, base_url)
    if job.root_links:
        helpers["rel"] = root_rel(base_url)
    own = job.own
    if job.paper is not None:
        own = {**own, "paper": paper_page_context(context["papers"][job.paper])}
    variables: dict[str, object] = {**context, **helpers, **own}
    try:
        html = env.get_template(job.template).render(variables)
    except RecursionError:
        raise ScholarpageError.single(
            f"template {job.template} extends or includes itself",
            hint='in a theme, extend the parent\'s template as "!PARENT/name.html" '
            '(e.g. "!classic/index.html"); "!theme/" is for the site\'s templates/ folder',
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise _template_error(exc, env) from None
    return Output(job.path, html.encode("utf-8"))


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
    site: Site, theme: Theme, context: SiteContext, pages: Sequence[Output]
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
        slugs=[entry.slug for entry in site.entries],
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
    heads = [paper_head(site, entry.paper, entry.slug) for entry in site.entries]
    pages = [render_page(env, context, job) for job in page_jobs(site, context, heads)]
    return site_outputs(site, theme, context, pages)
