"""Incremental rendering (serve): a rebuild re-renders only the pages whose inputs changed, and
its output is always byte-identical to a build from scratch of the same inputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from generator import incremental
from generator.build import BuildResult, build_site
from generator.incremental import Rebuilder, template_variables
from tests.conftest import ALICE_PAPERS, ALICE_PROFILE, write_alice_site, write_files

PAPER_PAGES = {
    "papers/first2026/index.html",
    "papers/second2025/index.html",
    "papers/third2024/index.html",
}


class Site:
    """A fixture site built incrementally with one cache, like `scholarpage serve` does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root.parent / "serve-out"
        self.builder = Rebuilder(root, output=self.out)
        self.renders: list[str] = []  # shared with the `renders` fixture when it is used
        write_alice_site(root)

    def write(self, rel: str, text: str) -> None:
        write_files(self.root, {rel: text})

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new), encoding="utf-8")

    def build(self) -> BuildResult:
        """Build incrementally, and check the output equals a build from scratch."""
        result = self.builder.build()
        seen = len(self.renders)
        fresh = self.root.parent / "fresh-out"
        cold = build_site(self.root, output=fresh)
        del self.renders[seen:]  # count only what the incremental build rendered
        assert files(self.out) == files(fresh), "the incremental build served a stale file"
        assert result.warnings == cold.warnings, "the memos replay the same warnings"
        return result


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".scholarpage"
    }


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "site")


@pytest.fixture
def renders(site: Site, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the templates the incremental builds rendered (one per page)."""
    names = site.renders
    real = jinja2.Template.render

    def counting(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        names.append(str(self.name))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", counting)
    yield names


def html_changed(result: BuildResult) -> set[str]:
    return {p for p in result.changed if p.endswith(".html")}


def test_one_paper_edit_renders_only_its_page_and_the_index(site: Site, renders: list[str]) -> None:
    site.build()
    renders.clear()
    site.edit("content/papers.bib", "A First Paper on Pipelines", "Pipelines Renamed")
    result = site.build()
    assert sorted(renders) == ["index.html", "paper.html"]
    assert set(result.changed) <= {
        "index.html",
        "papers/first2026/index.html",
        "papers/first2026/first2026.bib",
        "papers.bib",
        "feed.xml",
        "sitemap.xml",
    }
    assert html_changed(result) == {"index.html", "papers/first2026/index.html"}
    renders.clear()
    again = site.build()
    assert again.changed == ()
    assert renders == [], "nothing changed: nothing is rendered"


def test_profile_edit_changes_every_page(site: Site) -> None:
    site.build()
    site.edit("content/profile.yaml", "Example University", "Other University")
    site.edit("content/profile.yaml", "Alice Example", "Alice B. Example")
    result = site.build()
    assert PAPER_PAGES | {"index.html"} <= html_changed(result)


def test_site_yaml_edit_changes_every_page(site: Site) -> None:
    site.build()
    site.edit("site.yaml", "title: Alice Example", "title: Alice's Papers")
    assert PAPER_PAGES | {"index.html", "404.html"} <= html_changed(site.build())


def test_template_edit_changes_its_pages(site: Site) -> None:
    site.write("templates/paper.html", '{% extends "!theme/paper.html" %}\n')
    site.build()
    site.write(
        "templates/paper.html",
        '{% extends "!theme/paper.html" %}{% block title %}P: {{ paper.title_text }}'
        "{% endblock %}\n",
    )
    result = site.build()
    assert html_changed(result) == PAPER_PAGES
    assert (
        b"<title>P: A Third Paper</title>"
        in (site.out / "papers/third2024/index.html").read_bytes()
    )


def test_edit_of_an_included_template_changes_the_pages_including_it(site: Site) -> None:
    nav = (
        Path(__file__).resolve().parent.parent / "themes/scholar/templates/_site_nav.html"
    ).read_text()
    site.write("templates/_site_nav.html", nav)
    site.build()
    site.write("templates/_site_nav.html", nav.replace("<nav", "<nav data-edited", 1))
    result = site.build()
    assert PAPER_PAGES | {"index.html"} <= html_changed(result)
    assert b"data-edited" in (site.out / "papers/first2026/index.html").read_bytes()


def test_same_size_template_edit_within_one_mtime_is_seen(site: Site) -> None:
    path = site.root / "templates/paper.html"
    template = '{% extends "!theme/paper.html" %}{% block title %}TEXT{% endblock %}\n'
    site.write("templates/paper.html", template.replace("TEXT", "AAAA"))
    site.build()
    stat = path.stat()
    # same size and the same mtime: only the contents tell the edit apart
    site.write("templates/paper.html", template.replace("TEXT", "BBBB"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = site.build()
    assert html_changed(result) == PAPER_PAGES
    assert b"<title>BBBB</title>" in (site.out / "papers/first2026/index.html").read_bytes()


def test_paper_pages_depend_on_the_paper_list_only_when_a_template_reads_it(
    site: Site, renders: list[str]
) -> None:
    site.build()
    site.edit("content/papers.bib", "A Third Paper", "A Third Paper, Renamed")
    site.build()
    assert renders.count("paper.html") == 3 + 1, "another paper's edit leaves a paper page be"

    # a paper page that shows how many papers there are depends on every paper
    site.write(
        "templates/paper.html",
        '{% extends "!theme/paper.html" %}{% block title %}{{ paper.title_text }} '
        "(1 of {{ papers | length }}){% endblock %}\n",
    )
    site.build()
    bib = (site.root / "content/papers.bib").read_text(encoding="utf-8")
    start, end = bib.index("@article{second2025"), bib.index("@inproceedings{third2024")
    site.write("content/papers.bib", bib[:start] + bib[end:])
    result = site.build()
    assert {"papers/first2026/index.html", "papers/third2024/index.html"} <= html_changed(result)


def test_dynamic_template_reference_means_everything(tmp_path: Path) -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {
                "a.html": '{% extends "b.html" %}{% block x %}{{ one }}{% endblock %}',
                "b.html": '{% include "c.html" %}{% block x %}{% endblock %}{{ two }}',
                "c.html": "{% from 'd.html' import m %}{{ m(three) }}",
                "d.html": "{% macro m(v) %}{{ v }}{{ four }}{% endmacro %}",
                "dyn.html": "{% include name %}",
            }
        )
    )
    assert template_variables(env, "a.html") == frozenset({"one", "two", "three", "four"})
    assert template_variables(env, "dyn.html") is None
    assert template_variables(env, "missing.html") is None


def test_bib_edits_read_from_the_memo_match_a_cold_build(site: Site) -> None:
    site.edit("content/papers.bib", "A Second Paper on Potentials", r"A Second \foo{Paper}")
    site.edit("content/papers.bib", "Proceedings of Things", r"Proceedings of \foo{Things}")
    first = site.build()
    assert [w.line for w in first.warnings if "\\foo" in w.message] == [9]
    # the entry that reported the unknown macro no longer has it: the next one reports it
    site.edit("content/papers.bib", r"A Second \foo{Paper}", "A Second Paper")
    assert [w.line for w in site.build().warnings if "\\foo" in w.message] == [15]
    # the owner's name appears and disappears; an entry gains lines (all later lines move)
    site.edit("content/papers.bib", "Carol Li and Alice Example", "Carol Li and Alice Other")
    site.build()
    site.edit("content/papers.bib", "Alice Other", "Alice Example")
    site.edit("content/papers.bib", "  year = {2025},\n", "  year = {2025},\n  note = {x},\n")
    assert [w.line for w in site.build().warnings if "\\foo" in w.message] == [16]
    site.edit("content/papers.bib", "@article{first2026,", "@article{first2026b,")
    site.build()


def test_index_reuses_the_cards_of_unchanged_papers(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh: list[object] = []
    real = incremental._Fragments.store

    def counting(self: incremental._Fragments, key: object, text: str) -> None:
        assert isinstance(key, tuple)
        fresh.append(key[0])
        real(self, key, text)

    monkeypatch.setattr(incremental._Fragments, "store", counting)
    site.build()
    assert fresh.count("_paper_card.html") == 3
    fresh.clear()
    site.edit("content/papers.bib", "A First Paper on Pipelines", "Pipelines Renamed")
    site.build()  # also checks the bytes equal a build from scratch
    assert fresh.count("_paper_card.html") == 1, "only the edited paper's card is rendered"
    fresh.clear()
    site.edit("content/profile.yaml", "Example University", "Another University")
    site.build()
    # the cards read nothing of the profile's affiliation: all reused, output still exact
    assert fresh.count("_paper_card.html") == 0


def test_a_paper_file_appearing_gives_its_link(site: Site) -> None:
    site.edit(
        "content/papers.bib", "  score = {63.3},\n", "  score = {63.3},\n  pdf = {content/a.pdf},\n"
    )
    first = site.build()
    assert [w.key for w in first.warnings if "content/a.pdf (no link is shown)" in w.message] == [
        "pdf"
    ]
    page = site.out / "papers/first2026/index.html"
    assert b'href="../../content/a.pdf"' not in page.read_bytes()
    site.write("content/a.pdf", "%PDF-1.4\n")  # the .bib is unchanged: only the file is new
    second = site.build()
    assert not second.warnings
    assert b'href="../../content/a.pdf"' in page.read_bytes()
    assert (site.out / "content/a.pdf").is_file()


def test_a_partial_reading_the_paper_list_follows_it(site: Site) -> None:
    site.write("templates/index.html", '<p>{% include "_count.html" %}</p>\n')
    site.write("templates/_count.html", "{{ papers | length }} papers, {{ profile.name }}")
    site.build()
    assert (site.out / "index.html").read_text() == "<p>3 papers, Alice Example</p>\n"
    bib = (site.root / "content/papers.bib").read_text(encoding="utf-8")
    site.write("content/papers.bib", bib[: bib.index("@inproceedings{third2024")])
    site.build()
    assert (site.out / "index.html").read_text() == "<p>2 papers, Alice Example</p>\n"
    site.edit("content/profile.yaml", "name: Alice Example", "name: Alice B. Example")
    site.build()
    assert (site.out / "index.html").read_text() == "<p>2 papers, Alice B. Example</p>\n"


def test_a_value_changing_only_its_type_is_seen(site: Site) -> None:
    """56 and 56.0 compare equal but print differently: the memos compare types too."""
    site.write("templates/_value.html", "{{ metrics[-1].value }}")
    site.write("templates/page.html", '{% include "_value.html" %} {{ metrics[-1].value }}\n')
    site.write("content/pages/about.md", "---\ntitle: About\n---\nHello.\n")
    metric = "metrics:\n  custom:\n    - {label: Novelty, value: VALUE, unit: '%'}\n"
    site.write("content/profile.yaml", ALICE_PROFILE + metric.replace("VALUE", "56"))
    site.build()
    assert (site.out / "about/index.html").read_text() == "56 56\n"
    site.write("content/profile.yaml", ALICE_PROFILE + metric.replace("VALUE", "56.0"))
    site.build()
    assert (site.out / "about/index.html").read_text() == "56.0 56.0\n"


def test_pages_and_overrides_come_and_go(site: Site) -> None:
    site.build()
    site.write("content/pages/talks.md", "---\ntitle: Talks\nnav_order: 2\n---\nSome talks.\n")
    assert {"talks/index.html", "index.html"} <= html_changed(site.build())
    site.edit("content/pages/talks.md", "Some talks.", "More talks.")
    site.build()
    site.write("templates/plain.html", "<main>{{ page.content }}</main>\n")
    site.edit("content/pages/talks.md", "nav_order: 2\n", "nav_order: 2\ntemplate: plain.html\n")
    site.build()
    assert (site.out / "talks/index.html").read_text() == "<main><p>More talks.</p>\n</main>\n"
    (site.root / "content/pages/talks.md").unlink()
    site.build()
    assert not (site.out / "talks").exists()
    site.write("templates/paper.html", "{{ paper.title_text }}\n")
    site.build()
    (site.root / "templates/paper.html").unlink()  # the theme's own paper page again
    assert html_changed(site.build()) >= PAPER_PAGES


def test_a_failed_rebuild_keeps_the_last_good_output_and_recovers(site: Site) -> None:
    from generator.errors import ScholarpageError

    site.build()
    before = files(site.out)
    site.write("templates/paper.html", "{% if %}\n")
    with pytest.raises(ScholarpageError, match="template syntax error"):
        site.builder.build()
    site.write("templates/paper.html", '{% extends "!theme/paper.html" %}\n')
    site.edit("content/papers.bib", "{A Third Paper}", "{A Third Paper, Fixed}")
    with pytest.raises(ScholarpageError, match="cannot decode"):
        (site.root / "content/papers.bib").write_bytes(b"@article{x, title={\xff}}\n")
        site.builder.build()
    assert files(site.out) == before
    site.write(
        "content/papers.bib", ALICE_PAPERS.replace("{A Third Paper}", "{A Third Paper, Fixed}")
    )
    site.build()
    assert b"A Third Paper, Fixed" in (site.out / "papers/third2024/index.html").read_bytes()


def test_partials_that_cannot_be_reused_are_rendered_every_time(site: Site) -> None:
    """Macros, namespace writes and dynamic includes: rendered as usual, output still exact."""
    site.write("templates/_macros.html", "{% macro shout(t) %}{{ t | upper }}{% endmacro %}")
    site.write(
        "templates/_count.html",
        "{% set ns = namespace(n=0) %}{% for p in papers %}{% set ns.n = ns.n + 1 %}"
        "{% endfor %}{{ ns.n }}",
    )
    site.write("templates/_dynamic.html", "{{ profile.affiliation }}")
    site.write(
        "templates/index.html",
        '{% from "_macros.html" import shout %}{{ shout(profile.name) }} '
        '{% include "_count.html" %} {% set which = "_dynamic.html" %}{% include which %}\n',
    )
    site.build()
    assert (site.out / "index.html").read_text() == "ALICE EXAMPLE 3 Example University"
    site.edit("content/profile.yaml", "Example University", "Other University")
    site.edit("content/profile.yaml", "name: Alice Example", "name: Alice B")
    site.build()
    assert (site.out / "index.html").read_text() == "ALICE B 3 Other University"


def test_homepage_content_comes_goes_and_changes(site: Site) -> None:
    """News, talks, a CV and content/files/ follow every edit (home page, their own pages, the
    feed), as a build from scratch of the same files shows them."""
    site.build()
    site.write("content/news.yaml", "- {date: 2026-10-01, text: 'First *news*'}\n")
    site.build()
    assert "First" in (site.out / "news" / "index.html").read_text(encoding="utf-8")
    site.edit("content/news.yaml", "First", "Changed")
    site.write("content/talks.yaml", "- {title: A Talk, event: Conf, date: 2026-03-01}\n")
    site.write("content/files/cv.txt", "the CV\n")
    site.build()
    assert (site.out / "files" / "cv.txt").read_text(encoding="utf-8") == "the CV\n"
    assert "Changed" in (site.out / "index.html").read_text(encoding="utf-8")
    site.write(
        "content/cv.yaml",
        "- title: Education\n  type: time_table\n  contents:\n"
        "    - {title: PhD, institution: Uni, year: 2020}\n",
    )
    site.build()
    assert "PhD" in (site.out / "cv" / "index.html").read_text(encoding="utf-8")
    (site.root / "content" / "news.yaml").unlink()
    (site.root / "content" / "files" / "cv.txt").unlink()
    site.build()
    assert not (site.out / "news").exists() and not (site.out / "files" / "cv.txt").exists()
