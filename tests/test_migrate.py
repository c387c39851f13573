"""`scholarpage migrate`: fixture sites of al-folio, academicpages and Hugo Blox (small files
written here plus the real shared configuration files copied in), migrated through the real CLI
and then built; SRC stays byte-identical, DEST must be new, hostile SRC content stays out."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED, assert_user_error

FIXTURES = REPO / "tests" / "fixtures" / "migrate"
PROFILES = SHARED / "corpus" / "profiles"
BIBS = SHARED / "corpus" / "bib"
# fixture site -> shared real files copied in (shared path -> path in the site)
SHARED_FILES: dict[str, dict[Path, str]] = {
    "alfolio": {
        PROFILES / "alfolio_config.yml": "_config.yml",
        PROFILES / "alfolio_cv_en.yml": "_data/cv.yml",
        BIBS / "alfolio_example_papers.bib": "_bibliography/papers.bib",
    },
    "academicpages": {
        PROFILES / "academicpages_config.yml": "_config.yml",
        PROFILES / "academicpages_publications.tsv": "_publications/publications.tsv",
    },
    "hugoblox": {
        PROFILES / "hugoblox_author_me.yaml": "data/authors/me.yaml",
        PROFILES / "hugoblox_academic_cv_params.yaml": "config/_default/params.yaml",
    },
}


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1795824000"}
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,  # only to detect a hang
    )


def source_site(kind: str, tmp_path: Path) -> Path:
    missing = [p for p in SHARED_FILES[kind] if not p.is_file()]
    if missing:
        pytest.skip(f"shared corpus file missing: {missing[0]}")
    src = tmp_path / f"{kind}-src"
    shutil.copytree(FIXTURES / kind, src, symlinks=True)
    for shared, rel in SHARED_FILES[kind].items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared, src / rel)
    return src


def snapshot(root: Path) -> dict[str, bytes]:
    """Every entry under `root`: file bytes, symlink targets, and a marker for anything else."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = b"<dir>" if path.is_dir() else b"<special>"
    return out


def migrate_and_build(kind: str, src: Path, tmp_path: Path) -> tuple[str, Path, Path]:
    """(the migrate report, DEST, the built site); both commands must succeed, the build
    with --strict (no warning: every link and file the migration wrote resolves)."""
    dest = tmp_path / f"{kind}-dest"
    before = snapshot(src)
    result = run("migrate", kind, src, dest)
    assert result.returncode == 0, result.stderr
    assert snapshot(src) == before  # SRC is never written
    out = tmp_path / f"{kind}-site"
    built = run("build", dest, "-o", out, "--strict")
    assert built.returncode == 0, built.stderr + built.stdout
    return result.stdout, dest, out


def page(out: Path, rel: str) -> str:
    return html.unescape((out / rel).read_text(encoding="utf-8"))


def test_alfolio_site_migrates_and_builds(tmp_path: Path) -> None:
    src = source_site("alfolio", tmp_path)
    report, dest, out = migrate_and_build("alfolio", src, tmp_path)
    home = page(out, "index.html")
    assert "You R. Name" in home  # first_name middle_name last_name
    assert "move between generators" in home  # the bio from _pages/about.md
    assert "A simple inline announcement about the migration workshop." in home  # _news/
    assert "Institute for Migration Studies" in home  # subtitle, its link dropped
    papers = page(out, "index.html")
    assert (
        "Can Quantum-Mechanical Description of Physical Reality Be Considered Complete?" in papers
    )
    cv = page(out, "cv/index.html")
    assert "University of Zurich, Zurich, Switzerland" in cv  # _data/cv.yml, copied as is
    assert (dest / "content/cv.yaml").read_bytes() == (src / "_data/cv.yml").read_bytes()
    # assets/pdf and the previews are mapped into content/files/, the .bib edited in place only
    assert (out / "files/example_pdf.pdf").read_bytes() == (
        src / "assets/pdf/example_pdf.pdf"
    ).read_bytes()
    assert (out / "files/prof_pic.jpg").is_file()
    original = (src / "_bibliography/papers.bib").read_text(encoding="utf-8")
    expected = (
        original.replace("pdf={example_pdf.pdf}", "pdf={files/example_pdf.pdf}")
        .replace("{brownian-motion.gif}", "{files/publication_preview/brownian-motion.gif}")
        .replace("{wave-mechanics.gif}", "{files/publication_preview/wave-mechanics.gif}")
    )
    assert expected != original
    assert (dest / "content/papers.bib").read_text(encoding="utf-8") == expected
    assert "abbr" in expected and "selected" in expected  # al-folio's own fields are kept
    # what was left out, each with file:line
    assert f"{src}/_pages/about.md:19: bio: template tag left out" in report
    assert f"{src}/_pages/about.md:21: bio: HTML tag left out" in report
    assert "<script>" not in (dest / "content/profile.yaml").read_text(encoding="utf-8")
    assert f"{src}/_config.yml:" in report and "setting `jsonresume` not carried over" in report


def test_academicpages_site_migrates_and_builds(tmp_path: Path) -> None:
    src = source_site("academicpages", tmp_path)
    report, _dest, out = migrate_and_build("academicpages", src, tmp_path)
    home = page(out, "index.html")
    assert "Diheng Zhang" in home and "University of Arizona" in home  # the author block
    assert "interpretation bias" in home  # _pages/about.md
    assert "https://orcid.org/0000-0001-8878-8952" in home
    assert "I joined the anxiety lab this summer" in home  # _posts/ as news
    papers = page(out, "index.html")
    assert "Improving spatial abilities through mindfulness" in papers  # _publications/*.md
    assert "Comorbid interpretation and expectancy bias" in papers  # publications.tsv only
    assert "Teachman" in papers  # authors read from the citation
    assert papers.count("Improving spatial abilities through mindfulness") == papers.count(
        "Comorbid interpretation and expectancy bias"
    )  # a paper in both the .md and the .tsv is one paper
    assert (out / "files/mindfulness.pdf").is_file()  # files/ and paperurl into it
    assert "Ph.D in Clinical Psychology" in page(out, "cv/index.html")  # _pages/cv.md
    assert "Talk on interpretation bias" in page(out, "talks/index.html")
    assert "Introduction to Psychology" in page(out, "teaching/index.html")
    assert f"{src}/_config.yml:89: e-mail" in report  # an obfuscated address is not guessed
    assert f"{src}/_pages/cv.md:8: CV: template tag left out" in report


def test_hugoblox_site_migrates_and_builds(tmp_path: Path) -> None:
    src = source_site("hugoblox", tmp_path)
    report, dest, out = migrate_and_build("hugoblox", src, tmp_path)
    home = page(out, "index.html")
    assert "Dr. Alex Johnson" in home and "Meta AI" in home
    assert "Senior AI Research Scientist at Meta AI" in home  # the bio
    assert "The multimodal lab opens its doors this spring." in home  # content/post/ as news
    papers = page(out, "index.html")
    assert "Scaling Laws for Multimodal Models" in papers  # cite.bib
    assert "An Ethics Checklist for" in papers  # index.md only: an entry written from it
    cv = page(out, "cv/index.html")
    assert "Stanford University" in cv and "Best Paper Award" in cv
    bib = (dest / "content/papers.bib").read_text(encoding="utf-8")
    cite = (src / "content/publication/fast-solvers/cite.bib").read_text(encoding="utf-8")
    head = cite.rstrip()[:-1]  # the entry's own text, kept; featured and url_pdf added
    assert head + ",\n  selected = {true},\n  pdf = {https://arxiv.org/pdf/2301.00001},\n}" in bib
    assert "Dr. Alex Johnson and Jo Park" in bib  # `admin` is the owner
    assert f"{src}/content/post/first-post/index.md:1: blog post" in report


def test_old_hugo_academic_author_page(tmp_path: Path) -> None:
    src = tmp_path / "old"
    author = src / "content/authors/admin"
    author.mkdir(parents=True)
    (author / "_index.md").write_text(
        "---\ntitle: Nelson Bighetti\nrole: Professor\norganizations:\n"
        "  - name: Stanford University\nsocial:\n  - icon: github\n    icon_pack: fab\n"
        "    link: https://github.com/gcushen\neducation:\n  courses:\n"
        "    - course: PhD in Artificial Intelligence\n      institution: Stanford\n"
        "      year: 2012\n---\n\nNelson Bighetti is a professor of {{< hl >}}AI{{< /hl >}}.\n",
        encoding="utf-8",
    )
    report, _dest, out = migrate_and_build("hugoblox", src, tmp_path)
    home = page(out, "index.html")
    assert "Nelson Bighetti" in home and "Professor, Stanford University" in home
    assert "https://github.com/gcushen" in home
    assert "PhD in Artificial Intelligence" in page(out, "cv/index.html")
    assert f"{author}/_index.md:17: bio: template tag left out" in report


def test_dest_must_be_new_and_outside_src(tmp_path: Path) -> None:
    src = source_site("academicpages", tmp_path)
    before = snapshot(src)
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    assert_user_error(
        run("migrate", "academicpages", src, dest), "not empty", "nothing was written"
    )
    assert snapshot(dest) == {"keep.txt": b"mine"}
    assert_user_error(run("migrate", "academicpages", src, src / "new"), "inside SRC")
    assert_user_error(run("migrate", "academicpages", src, src), "inside SRC")
    assert snapshot(src) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("migrate", "academicpages", src, empty).returncode == 0
    assert (empty / "site.yaml").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    usage = run("migrate", "jekyll", src, tmp_path / "x")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
    assert_user_error(run("migrate", "alfolio", tmp_path / "nowhere", tmp_path / "y"), "SRC")


def test_hostile_source_is_refused_or_stays_text(tmp_path: Path) -> None:
    src = source_site("alfolio", tmp_path)
    pdf = src / "assets/pdf/example_pdf.pdf"
    pdf.unlink()
    pdf.symlink_to("/etc/passwd")  # a symlink out of SRC
    os.mkfifo(src / "_news/fifo.md")  # would block a naive reader forever
    (src / "_data/socials.yml").symlink_to("/etc/passwd")
    (src / "_news/evil.md").write_text(
        "---\ntitle: <script>alert('news')</script>\ndate: 2016-01-15\n---\n"
        "Text with <img src=x onerror=alert(1)> and *emphasis*.\n",
        encoding="utf-8",
    )
    bib = src / "_bibliography/papers.bib"
    bib.write_text(
        bib.read_text(encoding="utf-8")
        + "\n@article{evil, title={<script>alert('bib')</script> Hostile}, author={X, Y}, "
        "year={2020}, pdf={../../../etc/passwd}}\n",
        encoding="utf-8",
    )
    result = run("migrate", "alfolio", src, tmp_path / "dest")
    assert result.returncode == 0, result.stderr
    assert f"{pdf}: not read: points outside the source site" in result.stdout
    assert f"{src}/_news/fifo.md: not read: is a named pipe" in result.stdout
    assert f"{src}/_data/socials.yml: not read" in result.stdout
    assert "pdf = {../../../etc/passwd}: assets/pdf/../../../etc/passwd not found" in result.stdout
    dest = tmp_path / "dest"
    copied = b"".join(p.read_bytes() for p in dest.rglob("*") if p.is_file())
    assert b"root:" not in copied  # nothing of /etc/passwd
    out = tmp_path / "site"
    built = run("build", dest, "-o", out)
    assert built.returncode == 0, built.stderr
    raw = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "<script>alert" not in raw and "<img src=x" not in raw
    assert "&lt;script&gt;alert(&#39;bib&#39;)&lt;/script&gt; Hostile" in raw or (
        "&lt;script&gt;alert('bib')&lt;/script&gt; Hostile" in raw
    )


def test_interrupt_while_writing_leaves_no_dest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of copying: no DEST, no staging folder left beside it."""
    from generator.migrate import write

    src = source_site("alfolio", tmp_path)
    dest = tmp_path / "dest"
    calls: list[Path] = []

    def interrupted(path: Path, kind: object, **_: object) -> bytes:
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return path.read_bytes()

    monkeypatch.setattr(write, "read_input", interrupted)
    from generator.migrate import migrate_site

    with pytest.raises(KeyboardInterrupt):
        migrate_site("alfolio", src, dest)
    assert len(calls) == 2  # the copy was under way
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alfolio-src"]


def test_empty_and_multilanguage_sources(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    report, dest, out = migrate_and_build("alfolio", empty, tmp_path)
    assert "no _bibliography/papers.bib: no papers" in report
    assert (dest / "content/papers.bib").is_file()
    src = tmp_path / "polyglot"
    for lang, bio in (("en-us", "English bio here."), ("pt-br", "Biografia aqui.")):
        (src / "_pages" / lang).mkdir(parents=True, exist_ok=True)
        (src / "_pages" / lang / "about.md").write_text(f"---\ntitle: about\n---\n{bio}\n")
        (src / "_news" / lang).mkdir(parents=True, exist_ok=True)
        (src / "_news" / lang / "a.md").write_text(
            "---\ndate: 2020-01-02\n---\n{% if x %}\nNews in "
            + lang
            + "\n{% endif\n  spanning %} <b>bold</b>\n"
        )
    (src / "_config.yml").write_text("first_name: Ana\nlast_name: Poly\nemail: ana@example.org\n")
    dest = tmp_path / "poly-dest"
    result = run("migrate", "alfolio", src, dest)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "poly-site"
    assert run("build", dest, "-o", out, "--strict").returncode == 0
    home = page(out, "index.html")
    assert "English bio here." in home and "Biografia" not in home
    assert "News in en-us" in home and "mailto:ana@example.org" in home
    assert f"{src}/_pages/pt-br: other language" in result.stdout
    news = src / "_news/en-us/a.md"
    assert f"{news}:4: news: template tag left out: {{% if x %}}" in result.stdout
    assert f"{news}:6: news: template tag left out: {{% endif spanning %}}" in result.stdout
    assert f"{news}:7: news: HTML tag left out" in result.stdout  # lines kept their numbers


def test_hostile_sizes_finish(tmp_path: Path) -> None:
    """Unclosed template tags, a citation without commas and many news files: the migration
    finishes (the subprocess timeout only detects a hang) and reports what it left out."""
    src = tmp_path / "big"
    (src / "_pages").mkdir(parents=True)
    (src / "_pages/about.md").write_text("---\ntitle: a\n---\n" + "{% {{ " * 300_000 + "\n")
    (src / "_publications").mkdir()
    (src / "_publications/x.md").write_text(
        "---\ntitle: X\ncitation: '" + "Aaaa " * 200_000 + "'\n---\n"
    )
    result = run("migrate", "academicpages", src, tmp_path / "d1")
    assert result.returncode == 0, result.stderr
    assert "no authors found in `citation`" in result.stdout
    result = run("migrate", "alfolio", src, tmp_path / "d2")
    assert result.returncode == 0, result.stderr


def test_migrated_site_is_kept_up_to_date_by_import(tmp_path: Path) -> None:
    """The README's third command: import into the migrated al-folio site, then build."""
    src = source_site("alfolio", tmp_path)
    dest = tmp_path / "dest"
    assert run("migrate", "alfolio", src, dest).returncode == 0
    first = run("build", dest, "-o", tmp_path / "site0")
    assert first.returncode == 0 and "Built 9 papers" in first.stdout, first.stderr
    before = (dest / "content/papers.bib").read_bytes()
    imported = run(
        "import",
        "dblp",
        "--from",
        FIXTURES.parent / "api/dblp_pid_e_AdaExample.bib",
        "--site",
        dest,
    )
    assert imported.returncode == 0, imported.stderr
    after = (dest / "content/papers.bib").read_bytes()
    assert after.startswith(before.rstrip(b"\n")) and len(after) > len(before)  # appended only
    assert (dest / "content/papers.bib.bak").read_bytes() == before
    built = run("build", dest, "-o", tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert "Built 9 papers" not in built.stdout and "papers" in built.stdout  # more of them


def test_alfolio_other_bibliographies(tmp_path: Path) -> None:
    """A Latin-1 papers.bib with a coding cookie is copied byte for byte (the build decodes it);
    another .bib of _bibliography/ is copied and listed in site.yaml."""
    src = tmp_path / "src"
    (src / "_bibliography").mkdir(parents=True)
    latin = "% -*- coding: latin-1 -*-\n"
    latin += "@article{a, title={Caf\xe9 Theory}, author={B, C}, year={2020}}\n"
    (src / "_bibliography/papers.bib").write_bytes(latin.encode("latin-1"))
    (src / "_bibliography/talks.bib").write_text(
        "@misc{t, title={A Second Bibliography}, author={D, E}, year={2021}}\n", encoding="utf-8"
    )
    report, dest, out = migrate_and_build("alfolio", src, tmp_path)
    assert (dest / "content/papers.bib").read_bytes() == latin.encode("latin-1")
    assert "not UTF-8: copied as is" in report
    assert "content/talks.bib" in (dest / "site.yaml").read_text(encoding="utf-8")
    home = page(out, "index.html")
    assert "Café Theory" in home and "A Second Bibliography" in home
