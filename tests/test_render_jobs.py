"""Rendering is a list of self-contained page jobs: the shared context is built once, and each
job renders alone, also in another process (a later process pool over pages relies on it)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import shutil
from pathlib import Path

from generator import render
from generator.bibtex import read_papers
from generator.build import build_site, make_site, read_config, read_settings
from generator.context import SiteContext, paper_context, paper_head, paper_inputs, site_context
from generator.errors import Warnings
from generator.model import Output, Site
from generator.theme import Theme
from tests.conftest import REPO

EPOCH = {"SOURCE_DATE_EPOCH": "1795824000"}  # 2026-11-28


def _example(tmp_path: Path) -> tuple[Site, Theme]:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    shutil.copy(REPO / "site.yaml", site_dir / "site.yaml")
    shutil.copytree(REPO / "content", site_dir / "content")
    (site_dir / "content/pages").mkdir(exist_ok=True)
    (site_dir / "content/pages/about.md").write_text("---\ntitle: About\n---\nHi.\n")
    warnings = Warnings()
    settings = read_settings(read_config(site_dir, warnings, output=tmp_path / "out"), warnings)
    config = settings.config
    papers = read_papers(config.bibliography, config.paper_badges, warnings)
    return make_site(settings, papers, warnings, EPOCH), settings.theme


def _render_alone(theme: Theme, context: SiteContext, job: render.PageJob) -> Output:
    """In a worker: a fresh environment, the shared context and one job, each unpickled."""
    return render.render_page(theme.environment(), context, job)


def test_jobs_render_the_same_pages_in_another_process(tmp_path: Path) -> None:
    site, theme = _example(tmp_path)
    contexts = [paper_context(site, *inputs[:3]) for inputs in paper_inputs(site)]
    context = site_context(site, contexts)
    heads = [paper_head(site, entry.paper, entry.slug) for entry in site.entries]
    jobs = render.page_jobs(site, context, heads)
    assert [j.path for j in jobs] == [
        "index.html",
        *(f"papers/{entry.slug}/index.html" for entry in site.entries),
        "about/index.html",
        "404.html",
    ]
    env = theme.environment()
    here = [render.render_page(env, context, job) for job in jobs]
    assert pickle.loads(pickle.dumps(jobs)) == jobs
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=spawn) as pool:
        there = list(pool.map(_render_alone, [theme] * len(jobs), [context] * len(jobs), jobs))
    assert there == here
    # the loop over the jobs is the render stage, and the build writes just that
    outputs = render.site_outputs(site, theme, context, here)
    assert outputs == render.render_site(site, theme)
    out = tmp_path / "built"
    result = build_site(site.config.site_dir, output=out, env=EPOCH)
    assert result.files == len(outputs)
    for output in outputs:
        assert (out / output.path).read_bytes() == output.content, output.path
