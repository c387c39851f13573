"""build_site(): the pipeline in order. Gather and compute everything, then write."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from generator.assemble import assemble_site
from generator.bibtex import ReadMemo, read_papers
from generator.cache import CACHE_DIR_NAME
from generator.config import check_theme_options, load_config
from generator.errors import Problem, ScholarpageError, Warnings
from generator.model import BadgeSpec, BibSource, Paper
from generator.output import check_output_dir, remove_leftovers, sync_site, write_site
from generator.pages import page_templates, read_pages
from generator.profile import read_profile
from generator.render import RenderMemo, paper_files, render_site, template_stamp
from generator.sources import BIBTEX, read_input
from generator.theme import Theme, load_theme


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    pages: int
    files: int
    papers: int
    warnings: tuple[Problem, ...]
    changed: tuple[str, ...] = ()


@dataclass
class BuildCache:
    """Parsed inputs kept in memory between rebuilds (serve), so a template, CSS or site.yaml
    edit does not re-parse BibTeX. Keyed by the files' bytes, not their mtimes, so an edit is
    never missed; only the latest entry is kept. `written` lets an incremental write skip
    re-reading files it wrote itself; `render` keeps rendered pages, re-rendering only those
    whose inputs changed. When a .bib file did change, `bibtex` keeps what reading it computed
    (parsed blocks, converted LaTeX, each entry's Paper), so only the edited entries are read
    again; `names` keeps author names in the form owner highlighting compares."""

    papers: dict[object, tuple[tuple[Paper, ...], tuple[Problem, ...]]] = field(
        default_factory=dict
    )
    written: dict[str, bytes] = field(default_factory=dict)
    environments: dict[object, jinja2.Environment] = field(default_factory=dict)
    render: RenderMemo = field(default_factory=RenderMemo)
    bibtex: ReadMemo = field(default_factory=ReadMemo)
    names: dict[str, str] = field(default_factory=dict)


def _environment(theme: Theme, cache: BuildCache | None) -> jinja2.Environment | None:
    """The theme's Jinja environment, reused while the template files (paths and contents) stay
    the same: a new override file must be seen, and an edit within the file system's mtime
    granularity, which Jinja's own reload check would miss, must not leave a stale template."""
    if cache is None:
        return None
    key = (theme.dirs, theme.overrides, template_stamp(theme))
    env = cache.environments.get(key)
    if env is None:
        cache.environments.clear()
        env = cache.environments[key] = theme.environment()
        # the key holds every template file's contents: Jinja's per-template mtime check
        # (a stat per page) can only repeat what the key already tells
        env.auto_reload = False
    return env


def _read_papers_cached(
    sources: tuple[BibSource, ...],
    badges: tuple[BadgeSpec, ...],
    warnings: Warnings,
    cache: BuildCache | None,
    cache_dir: Path | None,
) -> tuple[Paper, ...]:
    if cache is None:
        return read_papers(sources, badges, warnings, cache_dir=cache_dir)
    digests: list[tuple[str, str | None, str]] = []
    for source in sources:
        try:
            data = read_input(source.path, BIBTEX)
        except ScholarpageError:  # read_papers reports it
            digest = "missing"
        else:
            digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        digests.append((str(source.path), source.encoding, digest))
    key = (tuple(digests), badges)
    hit = cache.papers.get(key)
    if hit is not None:
        for problem in hit[1]:
            warnings.add(problem)
        return hit[0]
    mine = Warnings()
    papers = read_papers(sources, badges, mine, cache_dir=cache_dir, memo=cache.bibtex)
    cache.papers.clear()
    cache.papers[key] = (papers, mine.items)
    for problem in mine.items:
        warnings.add(problem)
    return papers


def reference_date(today: dt.date | None, env: Mapping[str, str]) -> dt.date:
    """SOURCE_DATE_EPOCH wins (reproducible builds), then site.yaml's `today:`, then the clock."""
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
        except (ValueError, OverflowError):
            raise ScholarpageError.single(
                f"SOURCE_DATE_EPOCH must be a Unix timestamp, got {epoch!r}",
                hint="unset it or set it to seconds since 1970, e.g. $(date +%s)",
            ) from None
    return today or dt.date.today()


def build_site(
    site_dir: Path,
    *,
    output: Path | None = None,
    base_url: str | None = None,
    theme: str | None = None,
    strict: bool = False,
    env: Mapping[str, str] | None = None,
    cache: BuildCache | None = None,
    incremental: bool = False,
) -> BuildResult:
    """Build SITE_DIR into its output folder; on any error the previous output stays as it was.

    `cache` reuses parsed inputs across calls; `incremental` updates the output folder in place,
    rewriting only changed files (serve, which keeps serving it), instead of swapping it whole.
    """
    warnings = Warnings()
    config = load_config(site_dir, warnings, base_url=base_url, theme=theme, output=output)
    check_output_dir(config.output, config.site_dir)
    if not incremental:
        # before anything can fail: a build that stops at a content error cleans up too
        remove_leftovers(config.output)
    chosen_theme = load_theme(config.theme, config.site_dir, config.config_file, warnings)
    config = replace(
        config, theme_options=check_theme_options(config, chosen_theme.specs, warnings)
    )
    profile = read_profile(config.profile, config.site_dir)
    papers = _read_papers_cached(
        config.bibliography,
        config.paper_badges,
        warnings,
        cache,
        config.site_dir / CACHE_DIR_NAME,
    )
    md_pages = read_pages(config.site_dir, warnings, page_templates(chosen_theme))
    site = assemble_site(
        config,
        profile,
        papers,
        reference_date(config.today, os.environ if env is None else env),
        md_pages,
        paper_files(config.site_dir, papers, warnings),
        cache.names if cache is not None else None,
    )
    outputs = render_site(
        site,
        chosen_theme,
        _environment(chosen_theme, cache),
        cache.render if cache is not None else None,
    )
    if strict and len(warnings):
        raise ScholarpageError(
            tuple(
                Problem(p.message, p.file, p.line, p.key, (p.hint or "") + " (--strict)")
                for p in warnings.items
            )
        )
    if incremental:
        written = cache.written if cache is not None else None
        changed = sync_site(outputs, config.output, config.site_dir, written)
    else:
        write_site(outputs, config.output, config.site_dir)
        changed = tuple(o.path for o in outputs)
    pages = sum(1 for o in outputs if o.path.endswith(".html"))
    return BuildResult(config.output, pages, len(outputs), len(papers), warnings.items, changed)
