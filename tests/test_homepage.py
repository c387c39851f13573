"""The homepage's content through real builds of fixture sites: content/files published and
linked, Markdown images sized, every broken local link a located warning (an error under
--strict, through the real CLI), news on the home page and news/, the feed, talks/teaching/
people pages with their JSON-LD, schema errors at file:line, confinement, and init."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from generator.build import build_site
from generator.errors import ScholarpageError
from generator.scaffold import init_site
from tests.conftest import REPO, write_site
from tests.homepage_fixtures import BASE_URL, hostile_site, png, write_homepage

ENV = {"SOURCE_DATE_EPOCH": "1795824000"}  # 2026-11-28


def build(site: Path, **kwargs: object) -> tuple[Path, list[str]]:
    out = site.parent / f"{site.name}-out"
    result = build_site(site, output=out, env=ENV, **kwargs)  # type: ignore[arg-type]
    return out, [p.format() for p in result.warnings]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **ENV}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def main_of(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return text[text.index("<main") : text.index("</main>")]


def jsonld(page: Path) -> object:
    text = page.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert found is not None, page
    return json.loads(found.group(1))


# --- files and links --------------------------------------------------------------------------


def test_profile_link_to_files_cv_pdf_resolves_and_the_file_is_published(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site")
    out, warnings = build(site)
    assert warnings == []
    assert (out / "files" / "cv.pdf").read_bytes() == (site / "content/files/cv.pdf").read_bytes()
    assert (out / "files" / "slides.pdf").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="files/cv.pdf" rel="me">CV</a>' in index
    # a page one level down links the same file page-relatively, and so do news and talks
    about = main_of(out / "about" / "index.html")
    assert 'href="../files/cv.pdf"' in about
    assert 'href="../news/index.html"' in about  # `news/` names the news page
    assert 'href="../talks/index.html"' in about  # `/talks/` too (made relative, not absolute)
    assert 'href="../files/slides.pdf"' in main_of(out / "talks" / "index.html")


def test_markdown_images_are_published_and_shown_with_their_size(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site")
    out, _ = build(site)
    assert (out / "files" / "group.png").read_bytes() == png(48, 30)
    sized = 'src="{}" alt="{}" width="48" height="30"'
    assert sized.format("../files/group.png", "The group") in main_of(out / "about/index.html")
    assert sized.format("files/group.png", "Our group") in (out / "index.html").read_text()
    assert sized.format("../files/group.png", "Group") in main_of(out / "news/index.html")
    # the home page's news shows it root-relative
    assert sized.format("files/group.png", "Group") in main_of(out / "index.html")


def test_a_page_link_written_relative_to_the_page_keeps_working(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        files={
            "content/pages/about.md": "[teaching](../teaching/) [home](../index.html)\n",
            "content/pages/teaching.md": "[about](../about/)\n",
        },
    )
    out, warnings = build(site)
    assert warnings == []
    assert '<a href="../teaching/">teaching</a>' in main_of(out / "about/index.html")
    assert '<a href="../index.html">home</a>' in main_of(out / "about/index.html")


BROKEN = {
    "content/pages/about.md": (
        "---\ntitle: About\n---\nIntro.\n\nSee [the poster](files/poster.pdf).\n"
    ),
    "content/news.yaml": "- date: 2026-01-02\n  text: Slides are [here](files/nope.pdf).\n",
    "content/talks.yaml": "- title: A talk\n  date: 2026\n  slides: files/talk.pdf\n",
    "content/people.yaml": "- name: Bob\n  photo: files/bob.jpg\n",
    "content/teaching.yaml": "- course: X\n  url: courses/x/\n",
}


def test_every_missing_local_target_is_a_located_warning(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        profile="name: Ada\nlinks:\n  CV: files/cv.pdf\nbio: '![me](files/me.jpg)'\n",
        files=BROKEN,
    )
    out, warnings = build(site)
    text = "\n".join(warnings)
    expected = [
        ("content/profile.yaml:3", "files/cv.pdf"),
        ("content/profile.yaml:4", "files/me.jpg"),
        ("content/pages/about.md:6", "files/poster.pdf"),
        ("content/news.yaml:2", "files/nope.pdf"),
        ("content/talks.yaml:1", "files/talk.pdf"),
        ("content/people.yaml:1", "files/bob.jpg"),
        ("content/teaching.yaml:1", "courses/x/"),
    ]
    for where, target in expected:
        assert re.search(rf"{re.escape(where)}: .*{re.escape(target)} resolves to nothing", text), (
            where,
            text,
        )
    assert len(warnings) == len(expected)
    # a link field that names nothing is not shown (as a paper's missing file), the missing
    # photo neither (the initials are); a link inside text stays part of its sentence
    assert "bob.jpg" not in main_of(out / "people/index.html")
    assert "talk.pdf" not in main_of(out / "talks/index.html")
    assert "courses/x" not in main_of(out / "teaching/index.html")
    assert "files/cv.pdf" not in (out / "index.html").read_text()
    assert 'href="files/nope.pdf"' in main_of(out / "index.html")
    assert "(no link is shown)" in text


def test_missing_local_target_fails_the_build_under_strict(tmp_path: Path) -> None:
    page = BROKEN["content/pages/about.md"]
    site = write_site(tmp_path / "site", files={"content/pages/about.md": page})
    ok = cli("build", str(site), cwd=tmp_path)
    assert ok.returncode == 0 and "about.md:6" in ok.stderr and "resolves to nothing" in ok.stderr
    before = (site / "_site" / "about" / "index.html").read_bytes()
    (site / "content/pages/about.md").write_text(page.replace("Intro.", "Changed."))
    proc = cli("build", "--strict", str(site), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "about.md:6" in proc.stderr and "files/poster.pdf resolves to nothing" in proc.stderr
    assert "(--strict)" in proc.stderr and "Traceback" not in proc.stderr
    assert (site / "_site" / "about" / "index.html").read_bytes() == before  # previous output


def test_content_files_are_confined(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN-123")
    site = write_site(tmp_path / "site", files={"content/files/ok.txt": "fine"})
    (site / "content" / "files" / ".env").write_text("HIDDEN")
    (site / "content" / "files" / "leak.txt").symlink_to(secret)
    with pytest.raises(ScholarpageError) as caught:
        build(site)
    assert "leak.txt" in str(caught.value) and "outside the site folder" in str(caught.value)
    (site / "content" / "files" / "leak.txt").unlink()
    out, _ = build(site)
    assert (out / "files" / "ok.txt").read_text() == "fine"
    assert not (out / "files" / ".env").exists()
    assert not any("TOKEN-123" in p.read_text(errors="replace") for p in out.rglob("*.*"))


@pytest.mark.parametrize(
    "name", ["news.yaml", "cv.yaml", "resume.json", "talks.yaml", "teaching.yaml", "people.yaml"]
)
def test_a_content_file_symlinked_out_of_the_site_is_refused(tmp_path: Path, name: str) -> None:
    outside = tmp_path / name
    outside.write_text("[]\n")
    site = write_site(tmp_path / "site")
    (site / "content" / name).symlink_to(outside)
    with pytest.raises(ScholarpageError) as caught:
        build(site)
    assert f"content/{name}" in str(caught.value)
    assert f"{name} points outside the site folder" in str(caught.value)


def test_a_content_file_that_is_a_fifo_is_refused_without_a_hang(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    os.mkfifo(site / "content" / "news.yaml")
    proc = cli("build", str(site), cwd=tmp_path)  # a hang would hit the timeout
    assert proc.returncode == 1 and "news.yaml is a named pipe (FIFO)" in proc.stderr


def test_a_paper_pdf_in_content_files_is_linked(tmp_path: Path) -> None:
    bib = "@article{a, title={T}, author={Ada, B}, year={2024}, pdf={files/a.pdf}}\n"
    site = write_site(tmp_path / "site", bib=bib, files={"content/files/a.pdf": "%PDF-1.4"})
    out, warnings = build(site)
    assert warnings == []
    assert 'href="../../files/a.pdf"' in (out / "papers/a/index.html").read_text()


# --- news ---------------------------------------------------------------------------------------


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'<li class="news-item" id="(news-[0-9-]+)">', html)


def test_news_on_the_home_page_and_on_news_page_in_order_and_count(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site", site_yaml="today: 2026-11-28\nnews_on_home: 2\n")
    out, _ = build(site)
    home = main_of(out / "index.html")
    assert '<h2 id="news-heading">News</h2>' in home
    assert titles_in_order(home) == ["news-2026-09-15", "news-2026-03-01"]
    assert '<a href="news/index.html">All news (4 items)</a>' in home
    page = main_of(out / "news" / "index.html")
    assert titles_in_order(page) == [
        "news-2026-09-15",
        "news-2026-03-01",
        "news-2025-11-02",
        "news-2024-01-10",
    ]
    assert re.findall(r'<h2 id="news-(\d{4})">', page) == ["2026", "2025", "2024"]
    assert '<a href="https://example.org/grant">Grant awarded</a>' in page
    nav = (out / "index.html").read_text()
    assert '<a href="news/index.html">News</a>' in nav


def test_news_on_home_defaults_to_five_and_zero_hides_it(tmp_path: Path) -> None:
    items = "".join(f"- {{date: 2026-01-{d:02d}, text: item {d}}}\n" for d in range(1, 8))
    site = write_site(tmp_path / "site", files={"content/news.yaml": items})
    out, _ = build(site)
    home = main_of(out / "index.html")
    assert titles_in_order(home) == [f"news-2026-01-{d:02d}" for d in range(7, 2, -1)]
    assert len(titles_in_order(main_of(out / "news/index.html"))) == 7
    (site / "site.yaml").write_text("today: 2026-11-28\nnews_on_home: 0\n")
    out, _ = build(site)
    assert "news-heading" not in (out / "index.html").read_text()
    assert (out / "news" / "index.html").is_file()


def test_news_items_are_in_the_atom_feed(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site")
    out, _ = build(site)
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert titles[0] == "Grant awarded"  # 2026-09-15, newer than every paper
    assert "Quokka Graphs at Scale" in titles and "The lab opened." in titles
    grant = feed.entries[0]
    assert grant.link == "https://example.org/grant"
    assert grant.id == BASE_URL + "news/index.html#news-2026-09-15"
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert feed.feed.title.endswith("papers and news")
    index = (out / "index.html").read_text()
    assert 'title="Ada Example: papers and news" href="feed.xml"' in index


# --- talks, teaching, people ------------------------------------------------------------------


def test_talks_teaching_people_pages_group_by_year_and_carry_jsonld(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site")
    out, _ = build(site)
    talks = main_of(out / "talks/index.html")
    assert re.findall(r'<h2 id="talks-(\w+)">', talks) == ["2026", "2025"]
    assert talks.index("Solvers for all") < talks.index("A first talk")  # Mar 2025 before 2025
    data = jsonld(out / "talks/index.html")
    assert isinstance(data, dict)
    events = data["@graph"]
    assert [e["@type"] for e in events] == ["Event"] * 3
    assert events[0]["name"] == "Quokka graphs" and events[0]["startDate"] == "2026-07-20"
    assert events[0]["location"] == {"@type": "Place", "name": "Vienna, Austria"}
    assert {"@type": "PresentationDigitalDocument", "url": BASE_URL + "files/slides.pdf"} in (
        events[0]["workFeatured"]
    )
    teaching = main_of(out / "teaching/index.html")
    assert re.findall(r'<h2 id="teaching-(\w+)">', teaching) == ["2026", "2025", "2023"]
    courses = jsonld(out / "teaching/index.html")
    assert isinstance(courses, dict)
    assert [c["@type"] for c in courses["@graph"]] == ["Course"] * 3
    assert courses["@graph"][0]["provider"]["name"] == "Example U"
    people = main_of(out / "people/index.html")
    assert people.index("Current members") < people.index("Bob Student") < people.index("Alumni")
    assert people.index("Alumni") < people.index("Dee Alum")
    assert 'src="../files/bob.png"' in people
    persons = jsonld(out / "people/index.html")
    assert isinstance(persons, dict)
    assert [p["name"] for p in persons["@graph"]] == ["Bob Student", "Cy Postdoc", "Dee Alum"]
    assert persons["@graph"][0]["image"] == BASE_URL + "files/bob.png"
    index = (out / "index.html").read_text()
    block = index[index.index('<nav class="site-nav"') : index.index("</nav>")]
    nav = re.findall(r'<li><a href="[^"]*"[^>]*>([^<]+)</a></li>', block)
    assert nav[1:] == ["About", "News", "CV", "Talks", "Teaching", "People"]
    sitemap = (out / "sitemap.xml").read_text()
    for page in ("news", "cv", "talks", "teaching", "people"):
        assert f"<loc>{BASE_URL}{page}/</loc>" in sitemap


def test_schema_problems_are_located_with_did_you_mean(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        files={
            "content/talks.yaml": "- title: T\n  dte: 2026-01-01\n- title: U\n  date: next week\n",
        },
    )
    with pytest.raises(ScholarpageError) as caught:
        build(site)
    assert "talks.yaml:4: [1].date: expected a date YYYY-MM-DD, YYYY-MM or YYYY" in str(
        caught.value
    )
    (site / "content/talks.yaml").write_text("- title: T\n  dte: 2026-01-01\n")
    _, warnings = build(site)
    assert any(
        "talks.yaml:2: [0].dte: unknown key in a talk (ignored)" in w and "did you mean 'date'" in w
        for w in warnings
    ), warnings
    cases = {
        "content/people.yaml": (
            "- {name: Bob, status: alumnus}\n",
            "people.yaml:1: [0].status",
            "did you mean 'alumni'",
        ),
        "content/news.yaml": ("- {date: 2026-01-01}\n", "news.yaml:1: [0].text: is required", ""),
        "content/teaching.yaml": ("course: X\n", "teaching.yaml", "expected a list of courses"),
    }
    for rel, (text, where, more) in cases.items():
        other = write_site(tmp_path / rel.replace("/", "-"), files={rel: text})
        with pytest.raises(ScholarpageError) as caught:
            build(other)
        assert where in str(caught.value) and more in str(caught.value), str(caught.value)


def test_an_unsafe_url_in_content_is_an_error_at_its_line(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        files={"content/talks.yaml": "- title: T\n  slides: 'javascript:alert(1)'\n"},
    )
    with pytest.raises(ScholarpageError) as caught:
        build(site)
    assert "talks.yaml:2: [0].slides: unsafe or malformed URL" in str(caught.value)


def test_a_markdown_page_with_a_content_page_name_is_an_error(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        files={"content/pages/teaching.md": "Hi\n", "content/teaching.yaml": "- course: X\n"},
    )
    with pytest.raises(ScholarpageError) as caught:
        build(site)
    assert "teaching.md" in str(caught.value) and "teaching/ is also made" in str(caught.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("news_on_home: -1", "news_on_home: -1 is out of range: expected a whole number from 0"),
        ("news_on_home: 101", "101 is out of range: expected a whole number from 0 to 100"),
        ("news_on_home: many", "expected a whole number from 0 to 100, got 'many'"),
        ("cv_publications: selectd", "did you mean 'selected'?"),
        ("cv_pdf: 'yes'", "cv_pdf: expected true or false, got 'yes'"),
        ("cv_pdf: true", "cv_pdf: true, but the site has no CV"),
    ],
)
def test_site_yaml_keys_of_the_content_are_checked(tmp_path: Path, line: str, message: str) -> None:
    site = write_site(tmp_path / "site", site_yaml=f"today: 2026-11-28\n{line}\n")
    with pytest.raises(ScholarpageError) as caught:
        build(site)
    assert "site.yaml:2" in str(caught.value) and message in str(caught.value), str(caught.value)


def test_hostile_text_in_every_new_field_stays_text_in_the_html(tmp_path: Path) -> None:
    site = hostile_site(tmp_path / "site")
    out, _ = build(site, base_url=BASE_URL)
    for page in ("index.html", "news", "cv", "talks", "teaching", "people"):
        path = out / page if page.endswith(".html") else out / page / "index.html"
        html = path.read_text(encoding="utf-8")
        assert "<script>window" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html, page
    feed = (out / "feed.xml").read_text()
    assert "<script>" not in feed and "&lt;script&gt;window.__pwned" in feed


def test_init_scaffolds_a_site_that_shows_every_content_type(tmp_path: Path) -> None:
    target = tmp_path / "new"
    init_site(target)
    for rel in (
        "content/news.yaml",
        "content/cv.yaml",
        "content/talks.yaml",
        "content/pages/about.md",
        "content/files/group.svg",
    ):
        text = (target / rel).read_text(encoding="utf-8")
        assert "#" in text or "<!--" in text, rel  # commented
    proc = cli("build", "--strict", str(target), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = target / "_site"
    for page in ("news", "cv", "talks", "teaching", "people", "about"):
        assert (out / page / "index.html").is_file(), page
    assert "news-heading" in (out / "index.html").read_text()
    assert any((out / "files").iterdir())


def test_odd_local_links_are_resolved_quoted_or_reported(tmp_path: Path) -> None:
    profile = (
        "name: Ada\nlinks:\n"
        '  Poster: "/files/a poster.pdf#page=2"\n'  # site-absolute, with a space
        '  Sibling: "../other-site/"\n'  # leaves the site: not the site's to check
        '  Search: "?q=1"\n'  # this page
    )
    page = "[a](../files/a%20poster.pdf) [b](../nothere/) [c](%2e%2e/%2e%2e/etc/passwd)\n"
    site = write_site(tmp_path / "site", profile=profile, files={"content/pages/p.md": page})
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / "a poster.pdf").write_bytes(b"%PDF-1.4")
    out, warnings = build(site)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="files/a%20poster.pdf#page=2" rel="me">Poster</a>' in index
    assert '<a href="../other-site/" rel="me">' in index and '<a href="?q=1" rel="me">' in index
    assert 'href="../files/a%20poster.pdf"' in main_of(out / "p" / "index.html")
    assert len(warnings) == 1 and "p.md:1" in warnings[0] and "../nothere/" in warnings[0]
