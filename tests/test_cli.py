"""The command line as a user meets it: exit codes, file:line messages, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.output import MARKER
from tests.conftest import REPO, SiteFactory, assert_user_error


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1795824000"}
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_version_and_usage() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("scholarpage ")
    usage = run("frobnicate")
    assert usage.returncode == 2
    assert "invalid choice" in usage.stderr


def test_build_ok_and_quiet(make_site: SiteFactory) -> None:
    site = make_site()
    result = run("build", site)
    assert result.returncode == 0, result.stderr
    assert "Built 1 papers" in result.stdout
    assert (site / "_site" / "index.html").is_file()
    assert (site / "_site" / MARKER).is_file()
    quiet = run("-q", "build", site)
    assert quiet.returncode == 0 and quiet.stdout == ""


def test_broken_yaml(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="title: ok\nsort: [date\nlanguage: en\n")
    assert_user_error(run("build", site), "site.yaml:3", "YAML syntax error")


def test_unknown_key_warns_then_fails_under_strict(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="title: T\ntheem: scholar\n")
    lenient = run("build", site)
    assert lenient.returncode == 0
    assert "site.yaml:2: theem: unknown key" in lenient.stderr
    assert "did you mean 'theme'?" in lenient.stderr
    assert_user_error(run("build", "--strict", site), "site.yaml:2", "theem")


def test_wrong_type_in_profile(make_site: SiteFactory) -> None:
    profile = "name: Ada\nmetrics:\n  h_index: 3\n  citations: many\n"
    site = make_site(profile=profile)
    assert_user_error(
        run("build", site), "profile.yaml:4", "metrics.citations", "expected a whole number"
    )


def test_every_config_problem_listed_at_once(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="max_authors: lots\nsort: newest\nbase_url: ftp://x\n")
    result = run("build", site)
    assert_user_error(result, "site.yaml:1: max_authors", "site.yaml:2: sort", "site.yaml:3")
    assert result.stderr.count("error:") == 3


def test_missing_bib(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="bibliography: [content/nope.bib]\n")
    assert_user_error(run("build", site), "nope.bib", "BibTeX file not found", "tip:")


def test_bibtex_syntax_error(make_site: SiteFactory) -> None:
    bib = (
        "@article{good, title={Good}, year={2020}}\n\n"
        "@article{bad, title = {Broken, year = 2020\n\n"
        "@article{also, title={Also good}, year={2021}}\n"
    )
    site = make_site(bib=bib)
    lenient = run("build", site)
    assert lenient.returncode == 0, lenient.stderr
    assert "papers.bib:3: unbalanced braces" in lenient.stderr
    # the broken entry is repaired and kept, and the one after it is not swallowed
    assert "Built 3 papers" in lenient.stdout
    assert_user_error(run("build", "--strict", site), "papers.bib:3:")


def test_failed_build_keeps_previous_output(make_site: SiteFactory) -> None:
    site = make_site()
    assert run("build", site).returncode == 0
    index = site / "_site" / "index.html"
    before = index.read_bytes()
    (site / "content" / "profile.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    assert_user_error(run("build", site), "profile.yaml:1")
    assert index.read_bytes() == before
    leftovers = [p.name for p in site.iterdir() if p.name.startswith("._site")]
    assert leftovers == []


def test_output_guard(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site()
    assert_user_error(run("build", site, "-o", site), "contains the site's sources")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious", encoding="utf-8")
    assert_user_error(run("build", site, "-o", foreign), "not made by scholarpage")
    assert (foreign / "thesis.tex").read_text(encoding="utf-8") == "precious"
    sources = tmp_path / "other"
    make_site("other")
    assert_user_error(run("build", site, "-o", sources), "site.yaml or content/")
    assert (sources / "site.yaml").exists()


def test_template_error_is_located(make_site: SiteFactory) -> None:
    site = make_site(files={"templates/index.html": "<p>{{ profile.name }\n"})
    assert_user_error(run("build", site), "index.html:1", "template syntax error")


def test_init_then_build(tmp_path: Path) -> None:
    target = tmp_path / "mysite"
    created = run("init", target, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    ignored = (target / ".gitignore").read_text(encoding="utf-8").split()
    assert ignored == ["_site/", ".scholarpage-cache/", ".*.staging-*/"]
    built = run("build", target, "--strict", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    html = (target / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Ada Example" in html and "<math" in html
    again = run("init", target)
    assert_user_error(again, "not empty")


@pytest.mark.parametrize("epoch", ["not-a-number"])
def test_bad_source_date_epoch(make_site: SiteFactory, epoch: str) -> None:
    site = make_site()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": epoch}
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert_user_error(result, "SOURCE_DATE_EPOCH")
