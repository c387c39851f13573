"""build_site(): the pipeline in order, from scratch. Gather and compute everything, then write.

This is the plain pipeline: nothing is cached or remembered, so it is the oracle every faster
build is compared with. generator.incremental runs the same stages with what it remembers
between builds (and is what the commands use); the steps both share are here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from generator.assemble import assemble_site
from generator.bibtex import read_papers
from generator.config import check_theme_options, load_config
from generator.content import output_paths, read_content
from generator.errors import Problem, ScholarpageError, Warnings
from generator.files import link_site
from generator.model import Output, Paper, Profile, Site, SiteConfig
from generator.output import check_output_dir, remove_leftovers, write_site
from generator.pages import page_templates, read_pages
from generator.paperfiles import paper_files
from generator.profile import read_profile
from generator.render import render_site
from generator.theme import Theme, load_theme


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    pages: int
    files: int
    papers: int
    warnings: tuple[Problem, ...]
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """What a build reads before the bibliography: site.yaml (theme options checked against the
    theme), the theme and the profile."""

    config: SiteConfig
    theme: Theme
    profile: Profile


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


def read_config(
    site_dir: Path,
    warnings: Warnings,
    *,
    output: Path | None = None,
    base_url: str | None = None,
    theme: str | None = None,
) -> SiteConfig:
    """Load site.yaml (with the command line's overrides); refuse an output folder whose
    replacement could delete a user's files."""
    config = load_config(site_dir, warnings, base_url=base_url, theme=theme, output=output)
    check_output_dir(config.output, config.site_dir)
    return config


def read_settings(config: SiteConfig, warnings: Warnings) -> Settings:
    """Load the theme (and check site.yaml's options against it) and the profile."""
    chosen_theme = load_theme(config.theme, config.site_dir, config.config_file, warnings)
    config = replace(
        config, theme_options=check_theme_options(config, chosen_theme.specs, warnings)
    )
    return Settings(config, chosen_theme, read_profile(config.profile, config.site_dir))


def make_site(
    settings: Settings,
    papers: tuple[Paper, ...],
    warnings: Warnings,
    env: Mapping[str, str] | None = None,
) -> Site:
    """Read the Markdown pages, the homepage content (news, CV, talks, ...) and the date, find
    the files papers link to, assemble, then check and relink every local link of the content."""
    config = settings.config
    md_pages = read_pages(config.site_dir, warnings, page_templates(settings.theme))
    content = read_content(config, md_pages, warnings)  # news, CV, talks, ... (content.py)
    published = frozenset(path for path, _ in content.files)
    site = assemble_site(
        config,
        settings.profile,
        papers,
        reference_date(config.today, os.environ if env is None else env),
        md_pages,
        paper_files(config.site_dir, papers, warnings, published),
        content,
    )
    # every local link and image of the content checked and made page-relative (files.py)
    return link_site(
        site, settings.theme.static_files(), output_paths(site.content, config), warnings
    )


def check_strict(warnings: Warnings, strict: bool) -> None:
    """Under --strict, any warning stops the build before anything is written."""
    if strict and len(warnings):
        raise ScholarpageError(
            tuple(
                Problem(p.message, p.file, p.line, p.key, (p.hint or "") + " (--strict)")
                for p in warnings.items
            )
        )


def build_result(
    config: SiteConfig,
    outputs: tuple[Output, ...],
    papers: int,
    warnings: Warnings,
    changed: tuple[str, ...],
) -> BuildResult:
    pages = sum(1 for o in outputs if o.path.endswith(".html"))
    return BuildResult(config.output, pages, len(outputs), papers, warnings.items, changed)


def build_site(
    site_dir: Path,
    *,
    output: Path | None = None,
    base_url: str | None = None,
    theme: str | None = None,
    strict: bool = False,
    env: Mapping[str, str] | None = None,
) -> BuildResult:
    """Build SITE_DIR into its output folder; on any error the previous output stays as it was."""
    warnings = Warnings()
    config = read_config(site_dir, warnings, output=output, base_url=base_url, theme=theme)
    # before anything can fail: a build that stops at a content error cleans up too
    remove_leftovers(config.output)
    settings = read_settings(config, warnings)
    config = settings.config
    papers = read_papers(config.bibliography, config.paper_badges, warnings)
    site = make_site(settings, papers, warnings, env)
    outputs = render_site(site, settings.theme)
    check_strict(warnings, strict)
    write_site(outputs, config.output, config.site_dir)
    return build_result(config, outputs, len(papers), warnings, tuple(o.path for o in outputs))
