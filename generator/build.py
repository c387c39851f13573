"""build_site(): the pipeline in order. Gather and compute everything, then write."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.assemble import assemble_site
from generator.bibtex import read_papers
from generator.config import load_config
from generator.errors import Problem, ScholarpageError, Warnings
from generator.output import check_output_dir, write_site
from generator.profile import read_profile
from generator.render import render_site
from generator.theme import load_theme


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    pages: int
    files: int
    papers: int
    warnings: tuple[Problem, ...]


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
) -> BuildResult:
    """Build SITE_DIR into its output folder; on any error the previous output stays as it was."""
    warnings = Warnings()
    config = load_config(site_dir, warnings, base_url=base_url, theme=theme, output=output)
    check_output_dir(config.output, config.site_dir)
    chosen_theme = load_theme(config.theme, config.site_dir, config.config_file)
    profile = read_profile(config.profile)
    papers = read_papers(config.bibliography, config.paper_badges, warnings)
    site = assemble_site(
        config, profile, papers, reference_date(config.today, os.environ if env is None else env)
    )
    outputs = render_site(site, chosen_theme)
    if strict and len(warnings):
        raise ScholarpageError(
            tuple(
                Problem(p.message, p.file, p.line, p.key, (p.hint or "") + " (--strict)")
                for p in warnings.items
            )
        )
    write_site(outputs, config.output, config.site_dir)
    pages = sum(1 for o in outputs if o.path.endswith(".html"))
    return BuildResult(config.output, pages, len(outputs), len(papers), warnings.items)
