"""cv.pdf: with `cv_pdf: true` the build prints cv/ to a real PDF (read back with pdftotext from
Debian's poppler-utils) holding the owner's name, the CV's sections and a paper title; the same
input gives the same bytes; without WeasyPrint the build stops with a message at site.yaml's
line saying what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import build_site
from generator.cvpdf import unlink_local
from tests.conftest import REPO
from tests.homepage_fixtures import BASE_URL, write_homepage

ENV = {"SOURCE_DATE_EPOCH": "1795824000"}
PDF_SITE = f"today: 2026-11-28\nbase_url: {BASE_URL}\ncv_pdf: true\n"


def pdftotext(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not installed (apt-get install -y poppler-utils)")
    proc = subprocess.run(
        [tool, "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout


@pytest.mark.parametrize("cv", ["alfolio", "resume"])
def test_cv_pdf_is_a_real_pdf_with_the_owner_and_a_paper(tmp_path: Path, cv: str) -> None:
    pytest.importorskip("weasyprint", reason="the optional extra scholarpage[pdf] is not installed")
    site = write_homepage(tmp_path / "site", site_yaml=PDF_SITE, cv=cv)
    out = tmp_path / "out"
    build_site(site, output=out, env=ENV)
    pdf = out / "cv.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdftotext(pdf)
    assert "Ada Example" in text
    assert "Quokka Graphs at Scale" in text  # a paper from the bibliography
    assert ("Education" in text) and ("Selected publications" in text)
    # the print styles leave out what belongs to the web page
    assert "CV as PDF" not in text and "Skip to content" not in text and "Built with" not in text
    page = (out / "cv" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../cv.pdf" type="application/pdf">CV as PDF</a>' in page


def test_cv_pdf_is_reproducible(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="the optional extra scholarpage[pdf] is not installed")
    site = write_homepage(tmp_path / "site", site_yaml=PDF_SITE)
    first, second = tmp_path / "one", tmp_path / "two"
    build_site(site, output=first, env=ENV)
    build_site(site, output=second, env=ENV)
    assert (first / "cv.pdf").read_bytes() == (second / "cv.pdf").read_bytes()


def test_without_weasyprint_cv_pdf_is_a_clear_error(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site", site_yaml=PDF_SITE)
    # a real run of the CLI in which `import weasyprint` fails, as it does when not installed
    code = (
        "import sys; sys.modules['weasyprint'] = None\n"
        "from generator.cli import main\n"
        f"sys.exit(main(['build', {str(site)!r}]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), **ENV}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    assert "site.yaml:3: cv_pdf: cv_pdf: true needs WeasyPrint" in proc.stderr
    assert "pip install 'scholarpage[pdf]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (site / "_site").exists()


def test_without_base_url_the_pdf_has_no_links_to_nowhere() -> None:
    page = (
        '<a href="../papers/x/index.html">T</a> <a class="c" href="https://doi.org/1">D</a> '
        '<a href="mailto:a@b.org">M</a> <a href="#cv-1">S</a>'
    )
    assert unlink_local(page) == (
        '<a>T</a> <a class="c" href="https://doi.org/1">D</a> <a href="mailto:a@b.org">M</a> '
        '<a href="#cv-1">S</a>'
    )
