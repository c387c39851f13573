"""Discoverability: Scholar tags, Open Graph, JSON-LD, sitemap, robots.txt, feed, .bib files.

One fixture site (written here) with the cases search engines care about: a journal article with
volume, issue, pages and DOI; a conference paper from arXiv; a title that tries to close the
JSON-LD script; authors in a known order. Also used by test_links.py and test_vnu.py.
"""

from __future__ import annotations

import html.parser
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml

from generator.build import build_site
from generator.config import load_config
from generator.errors import ScholarpageError, Warnings
from generator.model import Paper, PaperDate, Text
from generator.scaffold import init_site
from generator.seo import (
    favicon_svg,
    feed_order,
    json_ld,
    page_range,
    pdf_url,
    scholar_date,
    scholar_tags,
)
from generator.theme import available_themes
from tests.conftest import write_site

BASE_URL = "https://example.github.io/profile/"
# A 1x1 PNG, so the profile photo becomes an absolute og:image / Person image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5273de20000000049454e44ae426082"
)

SEO_PROFILE = """name: Ada Example
aliases: [A. Example]
affiliation: Example University
photo: content/me.png
links:
  GitHub: https://github.com/ada-example
  Email: "mailto:ada@example.org"
bio: Ada works on *numerical methods*.
"""

SEO_BIB = r"""@article{journal2024,
  title   = {Stable Solvers for {Stiff} Systems},
  author  = {Example, Ada and M{\"u}ller, Bea and Chen, Cai},
  journal = {Journal of Computational Examples},
  volume  = {12},
  number  = {3},
  pages   = {101--120},
  date    = {2024-03-05},
  doi     = {10.1000/jce.2024.12},
  abstract = {We show that $x^2$ solvers are stable \& fast.},
}

@inproceedings{conf2025,
  title         = {Learning to Precondition},
  author        = {Zeta, Zoe and Example, Ada},
  booktitle     = {Proceedings of the Example Conference},
  year          = {2025},
  eprint        = {2501.01234},
  archivePrefix = {arXiv},
  primaryClass  = {cs.LG},
  keywords      = {preconditioning, learning},
}

@misc{tricky2023,
  title  = {Why </script> & friends break pages},
  author = {Example, Ada},
  year   = {2023},
  month  = jun,
  pdf    = {https://example.org/tricky.pdf},
}
"""

PAPER_KEYS = ("journal2024", "conf2025", "tricky2023")


def write_seo_site(root: Path, site_yaml: str = "title: Ada Example\ntoday: 2026-11-28\n") -> Path:
    """The fixture site of this module (no base_url in site.yaml: tests pass --base-url)."""
    write_site(root, site_yaml=site_yaml, profile=SEO_PROFILE, bib=SEO_BIB)
    (root / "content" / "me.png").write_bytes(PNG)
    return root


class HeadParser(html.parser.HTMLParser):
    """Collects meta/link tags, JSON-LD scripts, ids and every a/link/img/script URL of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []  # (name or property, content)
        self.links: list[dict[str, str]] = []
        self.jsonld: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "meta" and "content" in a:
            self.meta.append((a.get("name") or a.get("property") or "", a["content"]))
        if tag == "link":
            self.links.append(a)
        if tag == "script" and a.get("type") == "application/ld+json":
            self._in_jsonld = True
            self.jsonld.append("")
        for attr in ("href", "src"):
            if attr in a:
                self.urls.append((tag, attr, a[attr]))
        if "srcset" in a:
            for candidate in a["srcset"].split(","):
                if candidate.strip():
                    self.urls.append((tag, "srcset", candidate.split()[0]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld[-1] += data

    def values(self, name: str) -> list[str]:
        return [content for key, content in self.meta if key == name]

    def link(self, rel: str) -> list[str]:
        return [a["href"] for a in self.links if a.get("rel") == rel]


def parse(path: Path) -> HeadParser:
    parser = HeadParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seo")
    site = write_seo_site(root / "site")
    out = root / "out"
    build_site(site, output=out, base_url=BASE_URL, strict=True)
    return out


def _paper(**fields: Any) -> Paper:
    values: dict[str, Any] = {
        "key": "k",
        "entry_type": "article",
        "source": Path("x.bib"),
        "line": 1,
        "index": 0,
        "title": Text("T", "T"),
        "authors": (),
        "others": False,
        "date": PaperDate(2024),
        "venue": None,
        "volume": None,
        "number": None,
        "pages": None,
        "publisher": None,
        "abstract": None,
        "doi": None,
        "url": None,
        "pdf": None,
        "code": None,
        "slides": None,
        "arxiv_id": None,
        "primary_class": None,
        "category": None,
        "keywords": (),
        "selected": False,
        "citations": None,
        "badges": (),
        "bibtex": "@article{k, title={T}}",
    }
    values.update(fields)
    return Paper(**values)


# --- pure functions ----------------------------------------------------------------------------


def test_scholar_date_is_full_or_year_only() -> None:
    assert scholar_date(PaperDate(2024, 3, 5)) == "2024/03/05"
    assert scholar_date(PaperDate(2024, 3)) == "2024"
    assert scholar_date(PaperDate(2024)) == "2024"
    assert scholar_date(PaperDate(None)) is None


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("101--120", ("101", "120")),
        ("101-120", ("101", "120")),
        ("e1234", ("e1234", None)),
        ("S1 – S9", ("S1", "S9")),
        (None, (None, None)),
        ("see text", (None, None)),
    ],
)
def test_page_range(pages: str | None, expected: tuple[str | None, str | None]) -> None:
    assert page_range(pages) == expected


def test_pdf_url_absolute_relative_arxiv_and_unsafe() -> None:
    assert pdf_url(_paper(pdf="https://x.org/a.pdf"), "") == "https://x.org/a.pdf"
    published = frozenset({"files/a.pdf"})
    assert pdf_url(_paper(pdf="files/a.pdf"), BASE_URL, published) == BASE_URL + "files/a.pdf"
    assert pdf_url(_paper(pdf="./files/a.pdf"), BASE_URL, published) == BASE_URL + "files/a.pdf"
    assert pdf_url(_paper(pdf="files/a.pdf"), BASE_URL) is None  # not a published file
    assert pdf_url(_paper(pdf="files/a.pdf"), "", published) is None  # nothing to resolve against
    assert pdf_url(_paper(pdf="arxiv.org/pdf/1.2"), "") == "https://arxiv.org/pdf/1.2"
    assert pdf_url(_paper(arxiv_id="2501.01234"), "") == "https://arxiv.org/pdf/2501.01234"
    assert pdf_url(_paper(pdf="javascript:alert(1)"), BASE_URL) is None


def test_scholar_tags_skip_unknown_values() -> None:
    tags = scholar_tags(_paper(date=PaperDate(None)), "")
    assert tags == [("citation_title", "T")]


def test_json_ld_cannot_end_its_script_element() -> None:
    data = {"name": "</script><script>alert(1)</script> & <!-- \u2028"}
    text = json_ld(data)
    assert not set("<>&") & set(text)
    assert json.loads(text) == data


def test_favicon_is_svg_with_escaped_initials_and_no_requests() -> None:
    svg = favicon_svg("A&B", "#123456").decode()
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "".join(root.itertext()) == "A&B"
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert 'fill="#2563eb"' in favicon_svg("AE", "red; x").decode()  # invalid colour: default


def test_feed_order_newest_first_undated_last() -> None:
    papers = [
        _paper(date=PaperDate(2020)),
        _paper(date=PaperDate(None)),
        _paper(date=PaperDate(2024, 5, 1)),
        _paper(date=PaperDate(2024, 5)),
    ]
    assert feed_order(papers) == [2, 3, 0, 1]


# --- the built site ----------------------------------------------------------------------------


def paper_pages(out: Path) -> dict[str, Path]:
    return {key: out / "papers" / key / "index.html" for key in PAPER_KEYS}


def test_no_output_path_starts_with_underscore(built: Path) -> None:
    for path in built.rglob("*"):
        rel = path.relative_to(built)
        assert not any(part.startswith("_") for part in rel.parts), rel


def test_site_files_exist(built: Path) -> None:
    for name in ("sitemap.xml", "robots.txt", "feed.xml", "404.html", "favicon.svg", "papers.bib"):
        assert (built / name).is_file(), name
    robots = (built / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots.splitlines()


def test_sitemap_lists_every_page_under_base_url(built: Path) -> None:
    root = ET.parse(built / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    locs = [el.text or "" for el in root.findall("s:url/s:loc", ns)]
    pages = sorted(p.relative_to(built).as_posix() for p in built.rglob("*.html"))
    expected = {
        BASE_URL + (p[: -len("index.html")] if p.endswith("index.html") else p)
        for p in pages
        if p != "404.html"
    }
    assert set(locs) == expected and len(locs) == len(expected)
    assert all(loc.startswith(BASE_URL) for loc in locs)


def test_feed_has_one_entry_per_paper_newest_first(built: Path) -> None:
    feed = feedparser.parse((built / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Ada Example: papers"
    entries = feed.entries
    assert [e.link for e in entries] == [
        f"{BASE_URL}papers/{key}/" for key in ("conf2025", "journal2024", "tricky2023")
    ]
    assert entries[1].title == "Stable Solvers for Stiff Systems"
    assert [a.name for a in entries[1].authors] == ["Ada Example", "Bea Müller", "Cai Chen"]
    assert entries[1].published.startswith("2024-03-05")
    assert "stable & fast" in entries[1].summary
    assert entries[2].title == "Why </script> & friends break pages"
    assert entries[0].tags[0].term == "cs.LG"


def test_scholar_tags_on_every_paper_page(built: Path) -> None:
    pages = {key: parse(path) for key, path in paper_pages(built).items()}
    for key, page in pages.items():
        assert len(page.values("citation_title")) == 1, key
        assert page.values("citation_author"), key
        (date,) = page.values("citation_publication_date")
        assert re.fullmatch(r"\d{4}(/\d{2}/\d{2})?", date), (key, date)
        for url in page.values("citation_pdf_url"):
            assert url.startswith("https://"), url
    journal = pages["journal2024"]
    assert journal.values("citation_title") == ["Stable Solvers for Stiff Systems"]
    assert journal.values("citation_author") == ["Ada Example", "Bea Müller", "Cai Chen"]
    assert journal.values("citation_publication_date") == ["2024/03/05"]
    assert journal.values("citation_journal_title") == ["Journal of Computational Examples"]
    assert journal.values("citation_volume") == ["12"]
    assert journal.values("citation_issue") == ["3"]
    assert journal.values("citation_firstpage") == ["101"]
    assert journal.values("citation_lastpage") == ["120"]
    assert journal.values("citation_doi") == ["10.1000/jce.2024.12"]
    assert journal.values("citation_pdf_url") == []
    conf = pages["conf2025"]
    assert conf.values("citation_author") == ["Zoe Zeta", "Ada Example"]
    assert conf.values("citation_publication_date") == ["2025"]
    assert conf.values("citation_conference_title") == ["Proceedings of the Example Conference"]
    assert conf.values("citation_journal_title") == []
    assert conf.values("citation_arxiv_id") == ["2501.01234"]
    assert conf.values("citation_pdf_url") == ["https://arxiv.org/pdf/2501.01234"]
    tricky = pages["tricky2023"]
    assert tricky.values("citation_title") == ["Why </script> & friends break pages"]
    assert tricky.values("citation_pdf_url") == ["https://example.org/tricky.pdf"]


def test_canonical_open_graph_and_twitter(built: Path) -> None:
    for key, path in paper_pages(built).items():
        page = parse(path)
        url = f"{BASE_URL}papers/{key}/"
        assert page.link("canonical") == [url]
        assert page.values("og:url") == [url]
        assert page.values("og:type") == ["article"]
        assert page.values("og:title") == page.values("citation_title")
        assert page.values("twitter:card") == ["summary"]
    index = parse(built / "index.html")
    assert index.link("canonical") == [BASE_URL]
    assert index.values("og:type") == ["profile"]
    assert index.values("og:image") == [BASE_URL + "assets/me.png"]
    assert index.link("icon") == ["favicon.svg"]
    assert index.link("alternate") == ["feed.xml"]


def test_json_ld_on_index_and_paper_pages(built: Path) -> None:
    raw = (built / "papers" / "tricky2023" / "index.html").read_text(encoding="utf-8")
    assert raw.count("</script>") == raw.count("<script")  # the title did not close the element
    for key, path in paper_pages(built).items():
        page = parse(path)
        (text,) = page.jsonld
        data = json.loads(text)
        assert data["@context"] == "https://schema.org"
        assert data["@type"] == "ScholarlyArticle"
        assert data["url"] == f"{BASE_URL}papers/{key}/"
        assert data["name"] == page.values("citation_title")[0]
        assert [a["name"] for a in data["author"]] == page.values("citation_author")
    journal = json.loads(parse(paper_pages(built)["journal2024"]).jsonld[0])
    assert journal["datePublished"] == "2024-03-05"
    assert journal["isPartOf"] == {
        "@type": "Periodical",
        "name": "Journal of Computational Examples",
        "volumeNumber": "12",
        "issueNumber": "3",
    }
    assert "https://doi.org/10.1000/jce.2024.12" in journal["sameAs"]
    (person_text,) = parse(built / "index.html").jsonld
    person = json.loads(person_text)
    assert person["@type"] == "Person"
    assert person["name"] == "Ada Example"
    assert person["alternateName"] == ["A. Example"]
    assert person["affiliation"] == {"@type": "Organization", "name": "Example University"}
    assert person["sameAs"] == ["https://github.com/ada-example"]
    assert person["email"] == "ada@example.org"
    assert person["image"] == BASE_URL + "assets/me.png"


def test_bib_files_every_entry_and_one_per_paper_linked(built: Path) -> None:
    everything = (built / "papers.bib").read_text(encoding="utf-8")
    for key, path in paper_pages(built).items():
        assert f"{{{key}," in everything
        bib = path.parent / f"{key}.bib"
        own = bib.read_text(encoding="utf-8")
        assert own.lstrip().startswith("@") and f"{{{key}," in own
        assert all(f"{{{other}," not in own for other in PAPER_KEYS if other != key)
        page = parse(path)
        assert ("a", "href", f"{key}.bib") in page.urls
        assert page.link("alternate")[-1] == f"{key}.bib"


def test_404_page_uses_paths_under_base_url(built: Path) -> None:
    page = parse(built / "404.html")
    assert page.values("robots") == ["noindex"]
    assert page.link("canonical") == []
    internal = [v for _, _, v in page.urls if "://" not in v and not v.startswith("#")]
    assert internal and all(v.startswith("/profile/") for v in internal), internal


def test_same_input_same_output(built: Path, tmp_path: Path) -> None:
    site = write_seo_site(tmp_path / "again")
    out = tmp_path / "out"
    build_site(site, output=out, base_url=BASE_URL, strict=True)
    for name in ("feed.xml", "sitemap.xml", "index.html", "papers/conf2025/index.html"):
        assert (out / name).read_bytes() == (built / name).read_bytes(), name


def test_without_base_url_absolute_outputs_are_left_out(tmp_path: Path) -> None:
    site = write_seo_site(tmp_path / "site")
    out = tmp_path / "out"
    result = build_site(site, output=out, strict=True)  # not a warning: links still work
    assert result.warnings == ()
    assert not (out / "sitemap.xml").exists() and not (out / "feed.xml").exists()
    assert "Sitemap" not in (out / "robots.txt").read_text(encoding="utf-8")
    index = parse(out / "index.html")
    assert index.link("canonical") == [] and index.values("og:url") == []
    assert "url" not in json.loads(index.jsonld[0])
    paper = parse(out / "papers" / "journal2024" / "index.html")
    assert paper.values("citation_title") == ["Stable Solvers for Stiff Systems"]
    assert paper.link("canonical") == []


# --- configuration, themes, scaffold -----------------------------------------------------------


def test_domain_key(tmp_path: Path) -> None:
    site = write_site(tmp_path / "ok", site_yaml="domain: Www.Example.org\n")
    assert load_config(site, Warnings()).domain == "www.example.org"
    bad = write_site(tmp_path / "bad", site_yaml="title: T\ndomain: https://x.org/page\n")
    with pytest.raises(ScholarpageError) as info:
        load_config(bad, Warnings())
    assert "site.yaml:2" in str(info.value) and "host name" in str(info.value)


def test_base_theme_is_not_offered_nor_usable(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", site_yaml="theme: base\n")
    assert "base" not in available_themes(site)
    assert "scholar" in available_themes(site)
    with pytest.raises(ScholarpageError) as info:
        build_site(site, output=tmp_path / "out")
    assert "parent for other themes" in str(info.value)


def test_init_writes_the_pages_workflow(tmp_path: Path) -> None:
    target = tmp_path / "new"
    init_site(target)
    workflow = target / ".github" / "workflows" / "pages.yml"
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    assert data["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = data["jobs"]["build"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    for action in (
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
    ):
        assert action in uses, action
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"] == {"path": "_site", "include-hidden-files": True}
    configure = next(s for s in steps if s.get("uses", "").startswith("actions/configure-pages"))
    build = next(s for s in steps if "scholarpage build" in s.get("run", ""))
    assert "--strict" in build["run"]
    assert f"steps.{configure['id']}.outputs.base_url" in build["run"]
    assert build["run"].rstrip().endswith('/"')  # base_url from configure-pages has no slash
    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert uses.index("actions/configure-pages") < len(uses) - 1


def test_feed_dates_come_from_the_papers(built: Path) -> None:
    """Not from the build day, so rebuilding the same input does not change the feed."""
    feed = feedparser.parse((built / "feed.xml").read_bytes())
    assert feed.feed.updated == "2025-01-01T00:00:00Z"  # the newest paper (year only)


def test_author_names_are_plain_text(built: Path) -> None:
    page = parse(paper_pages(built)["journal2024"])
    assert not any("{" in v or "\\" in v for v in page.values("citation_author"))
