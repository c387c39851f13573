"""The output passes the Nu HTML Checker (vnu) with zero errors: every page of the example site
and of the SEO fixture site, in each built-in theme, plus the SVG favicon.

vnu is the npm package `vnu-jar`, run with the machine's Java. .ci/run installs both (Java from
Debian, the jar with `npm install --prefix .ci vnu-jar`); the test is skipped, with the reason,
when either is missing. SCHOLARPAGE_VNU_JAR points at another vnu.jar.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.build import build_site
from tests.conftest import REPO, copy_example_site
from tests.test_seo import BASE_URL, write_seo_site

JAR_CANDIDATES = (
    REPO / ".ci" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar",
    REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar",
)


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed (apt-get install -y default-jre-headless)")
    configured = os.environ.get("SCHOLARPAGE_VNU_JAR")
    candidates = [Path(configured)] if configured else list(JAR_CANDIDATES)
    jar = next((c for c in candidates if c.is_file()), None)
    if jar is None:
        pytest.skip(
            "vnu.jar not found (npm install --no-save --prefix .ci vnu-jar); looked in "
            + ", ".join(str(c) for c in candidates)
        )
    return [java, "-jar", str(jar)]


@pytest.mark.slow
def test_output_passes_the_nu_html_checker(tmp_path: Path) -> None:
    command = vnu_command()
    example = copy_example_site(tmp_path / "example")
    fixture = write_seo_site(tmp_path / "fixture")
    outputs: list[Path] = []
    for site, theme in ((example, "scholar"), (fixture, "scholar"), (fixture, "classic")):
        out = tmp_path / f"out-{site.name}-{theme}"
        build_site(site, output=out, base_url=BASE_URL, theme=theme)
        outputs.append(out)
    pages = sorted(p for out in outputs for p in out.rglob("*.html"))
    icons = [out / "favicon.svg" for out in outputs]
    assert len(pages) > 20
    proc = subprocess.run(
        [
            *command,
            "--errors-only",
            "--also-check-svg",
            "--format",
            "json",
            *map(str, pages + icons),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(proc.stderr or proc.stdout)
    errors = [
        f"{m.get('url', '?').split(str(tmp_path))[-1]}:{m.get('lastLine', '?')}: {m.get('message')}"
        for m in report.get("messages", [])
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)
    assert proc.returncode == 0, proc.stderr[-2000:]
