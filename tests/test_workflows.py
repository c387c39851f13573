"""The GitHub Actions workflows: the project's own (CI, release) and the one `init` writes.

Each is parsed as YAML, every action is pinned to a major version, and the steps of the init
workflow's build job run here as written, in a site made by init, with `pip install` served by a
wheel of this checkout instead of PyPI: what the first Actions run of a new site does.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import __version__
from generator.scaffold import SKELETON, VERSION_PLACEHOLDER, init_site
from tests.conftest import REPO
from tests.venvs import build_wheel, make_venv, offline_env

PROJECT_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
# owner/repo[/path]@vN or @release/vN (pypa/gh-action-pypi-publish's documented pin)
PINNED = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?@(?:release/)?v\d+")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# what GitHub's configure-pages reports for https://github.com/alice/site (no trailing slash)
PAGES_BASE_URL = "https://alice.github.io/site"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
    data["on"] = data.pop(True, data.get("on"))
    return data


def uses_of(data: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for job in data["jobs"].values():
        if "uses" in job:  # a reusable workflow
            found.append(job["uses"])
        found += [step["uses"] for step in job.get("steps", []) if "uses" in step]
    return found


def init_workflow(tmp_path: Path) -> tuple[Path, Path]:
    site = tmp_path / "my-site"
    init_site(site)
    return site, site / ".github" / "workflows" / "pages.yml"


def test_the_project_has_ci_and_release_workflows() -> None:
    names = {p.name for p in PROJECT_WORKFLOWS}
    assert {"ci.yml", "release.yml"} <= names
    ci = load(REPO / ".github" / "workflows" / "ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert any("bash .ci/run" in s.get("run", "") for s in ci["jobs"]["test"]["steps"])
    release = load(REPO / ".github" / "workflows" / "release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    publish = release["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    runs = "\n".join(s.get("run", "") for s in release["jobs"]["dist"]["steps"])
    for command in ("python -m build", "twine check", "scholarpage init", "scholarpage build"):
        assert command in runs, command
    # the release checks that the workflow its init writes pins the release itself
    assert 'SCHOLARPAGE: scholarpage==${GITHUB_REF_NAME#v}" mysite/.github/workflows/' in runs


@pytest.mark.parametrize("name", ["ci.yml", "release.yml", "init: pages.yml"])
def test_every_action_is_pinned_to_a_major_version(name: str, tmp_path: Path) -> None:
    if name.startswith("init: "):
        path = init_workflow(tmp_path)[1]
    else:
        path = REPO / ".github" / "workflows" / name
    uses = uses_of(load(path))
    assert uses, f"{path} uses no action"
    loose = [u for u in uses if not PINNED.fullmatch(u)]
    assert not loose, f"{path}: not pinned to a major version (@vN): {loose}"


def test_init_pins_the_version_that_wrote_it(tmp_path: Path) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__  # the release tag, the package and the pin agree
    skeleton = (SKELETON / "github" / "workflows" / "pages.yml").read_bytes()
    assert skeleton.count(VERSION_PLACEHOLDER) == 1
    site, workflow = init_workflow(tmp_path)
    text = workflow.read_text(encoding="utf-8")
    assert load(workflow)["env"]["SCHOLARPAGE"] == f"scholarpage=={__version__}"
    # one comment says how to install from git instead
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert sum("git+https://" in line for line in comments) == 1
    for path in site.rglob("*"):  # no placeholder left in anything init wrote
        if path.is_file():
            assert VERSION_PLACEHOLDER not in path.read_bytes(), path


@pytest.mark.slow
def test_the_build_job_runs_as_written_in_a_site_made_by_init(tmp_path: Path) -> None:
    """Every `run:` step of the build job, in order, through bash as on GitHub's runner
    (`bash -e {0}`), with the expressions GitHub would fill in replaced by what configure-pages
    reports; `uses:` steps (checkout, setup-python, the Pages actions) are GitHub's own."""
    site, workflow = init_workflow(tmp_path)
    data = load(workflow)
    wheel = build_wheel(tmp_path / "dist")
    bin_dir = make_venv(tmp_path / "venv")
    env = offline_env(bin_dir, wheel.parent, **data.get("env", {}))
    steps = data["jobs"]["build"]["steps"]
    runs = [step for step in steps if "run" in step]
    assert [s["name"] for s in runs] == ["Install scholarpage", "Build"]
    pages_id = next(s["id"] for s in steps if s.get("uses", "").startswith("actions/configure-"))

    def fill(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert expression == f"steps.{pages_id}.outputs.base_url", expression
        return PAGES_BASE_URL

    for step in runs:
        command = EXPRESSION.sub(fill, step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-c", command],
            cwd=site,
            env={**env, **step.get("env", {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (step["name"], command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
    # the scholarpage that ran is the one the install step put into the venv, at the pinned version
    version = subprocess.run(
        [str(bin_dir / "scholarpage"), "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.strip() == f"scholarpage {__version__}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-"))
    out = site / upload["with"]["path"]  # what the upload step would publish
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{PAGES_BASE_URL}/">' in index
    assert f"<loc>{PAGES_BASE_URL}/</loc>" in (out / "sitemap.xml").read_text(encoding="utf-8")
