"""Issue 14 on small real snippets: types a reader understands and one link per target.

The snippets are shaped as in ../shared/corpus/bib: dblp_homepage_crossref.bib (CoRR and ECCC
entries filed as @article, `url` repeating the DOI), and Google Scholar exports
("arXiv preprint arXiv:...", bioRxiv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.bibtex import read_papers
from generator.context import _paper_links, link_identity, paper_type
from generator.errors import Warnings
from generator.model import BibSource, Paper


def _paper(tmp_path: Path, bib: str) -> Paper:
    path = tmp_path / "refs.bib"
    path.write_text(bib, encoding="utf-8")
    (paper,) = read_papers((BibSource(path),), (), Warnings())
    return paper


@pytest.mark.parametrize(
    ("bib", "kind"),
    [
        # DBLP files arXiv versions as journal articles in "CoRR"
        (
            "@article{DBLP:journals/corr/abs-2301-00001, author = {A. B}, title = {T},"
            " journal = {CoRR}, volume = {abs/2301.00001}, year = {2023},"
            " eprinttype = {arXiv}, eprint = {2301.00001}}",
            ("preprint", "Preprint"),
        ),
        # ... and ECCC reports likewise
        (
            "@article{DBLP:journals/eccc/X23, author = {A. B}, title = {T},"
            " journal = {Electron. Colloquium Comput. Complex.}, volume = {TR23-001}, year = 2023}",
            ("preprint", "Preprint"),
        ),
        # Google Scholar's arXiv and bioRxiv exports
        (
            "@article{gs, author = {A. B}, title = {T},"
            " journal = {arXiv preprint arXiv:2101.00001}, year = 2021}",
            ("preprint", "Preprint"),
        ),
        (
            "@article{bio, author = {A. B}, title = {T}, journal = {bioRxiv}, year = 2020}",
            ("preprint", "Preprint"),
        ),
        # a journal stays a journal, even one whose name starts like CoRR
        (
            "@article{j, author = {A. B}, title = {T}, journal = {Corrosion Science}, year = 2020}",
            ("journal-article", "Journal article"),
        ),
        (
            "@phdthesis{t, author = {A. B}, title = {T}, school = {MIT}, year = 2020}",
            ("thesis", "Thesis"),
        ),
        ("@patent{p, author = {A. B}, title = {T}, year = 2020}", ("patent", "Patent")),
        ("@dataset{d, author = {A. B}, title = {T}, year = 2020}", ("dataset", "Dataset")),
    ],
)
def test_types_a_reader_understands(tmp_path: Path, bib: str, kind: tuple[str, str]) -> None:
    assert paper_type(_paper(tmp_path, bib)) == kind


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (
            "https://doi.org/10.1145/3618260.3649638",
            "https://dx.doi.org/10.1145/3618260.3649638",
            True,
        ),
        ("https://doi.org/10.1145/ABC", "http://doi.org/10.1145/abc/", True),
        ("https://arxiv.org/abs/2301.00001", "https://arxiv.org/pdf/2301.00001v2.pdf", True),
        ("https://arxiv.org/abs/math/0601001", "http://export.arxiv.org/abs/math/0601001v1", True),
        ("https://example.org/a", "http://www.example.org/a/", True),
        ("https://doi.org/10.1145/1", "https://doi.org/10.1145/2", False),
        ("https://arxiv.org/abs/2301.00001", "https://arxiv.org/abs/2301.00002", False),
    ],
)
def test_link_identity(first: str, second: str, same: bool) -> None:
    assert (link_identity(first) == link_identity(second)) is same


def test_dblp_url_repeating_the_doi_is_one_link(tmp_path: Path) -> None:
    """dblp_homepage_crossref.bib: `doi` and `url = {https://doi.org/...}` on every entry."""
    paper = _paper(
        tmp_path,
        "@inproceedings{DBLP:conf/stoc/F24, author = {A. B}, title = {T}, booktitle = {STOC},"
        " year = {2024}, doi = {10.1145/3618260.3649638},"
        " url = {https://doi.org/10.1145/3618260.3649638}}",
    )
    links = _paper_links(paper, frozenset())
    assert [link["label"] for link in links] == ["DOI"]
    other = _paper(
        tmp_path,
        "@article{a, author = {A. B}, title = {T}, journal = {J}, year = 2024,"
        " eprint = {2301.00001},"
        " archivePrefix = {arXiv}, url = {https://arxiv.org/pdf/2301.00001v3},"
        " code = {https://github.com/x/y}}",
    )
    assert [link["label"] for link in _paper_links(other, frozenset())] == ["arXiv", "Code"]
