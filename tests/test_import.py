"""`scholarpage import` from saved answers (`--from`) and files: what is added, what is left
alone, and that the user's .bib and profile keep every byte they had except what must change.

The network path is tests/test_import_http.py; both go through the same parsing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from generator.errors import ScholarpageError
from generator.importers import ImportRequest, import_papers
from generator.importers.records import latex_value, plain_to_latex, title_key
from tests.conftest import REPO
from tests.importkit import FIXTURES, SHARED_API, entries, ok, run, user_error

SiteFactory = Callable[..., Path]
EMPTY_BIB = "% my papers\n"
DEL_MAESTRO = SHARED_API / "arxiv_atom_2016_au_del_maestro.xml"
TESTING_100 = SHARED_API / "arxiv_atom_2026_q_testing_100.xml"
ARXIV_ERROR = SHARED_API / "arxiv_atom_2026_error_bad_id.xml"
ORCID_XML = SHARED_API / "orcid_works_3.0_sample.xml"
ORCID_RECORD = SHARED_API / "orcid_record_full_3.0_sample.json"
ORCID_WORK = SHARED_API / "orcid_work_full_3.0_sample.json"
DBLP_REAL = REPO.parent / "shared" / "corpus" / "bib" / "dblp_homepage_crossref.bib"
OPENALEX_1 = FIXTURES / "openalex_works_A5023888391_page1.json"
OPENALEX_2 = FIXTURES / "openalex_works_A5023888391_page2.json"
DBLP_FIXTURE = FIXTURES / "dblp_pid_e_AdaExample.bib"
needs_corpus = pytest.mark.skipif(
    not DEL_MAESTRO.exists(), reason="the shared corpus (../shared/corpus/api) is not present"
)


def request(site: Path, source: str, **kwargs: object) -> ImportRequest:
    return ImportRequest(source=source, site_dir=site, **kwargs)  # type: ignore[arg-type]


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --- every recorded answer through --from -----------------------------------------------------


@needs_corpus
def test_arxiv_from_recorded_feed_adds_clean_entries_and_builds(make_site: SiteFactory) -> None:
    site = make_site(bib=EMPTY_BIB)
    bib = site / "content" / "papers.bib"
    out = ok(run("import", "arxiv", "--from", DEL_MAESTRO, cwd=site))
    assert "10 new, 0 already present, 0 updated, 0 skipped" in out
    assert "holds 10 of the 31 results" in out
    found = entries(bib)
    assert len(found) == 10
    luttinger = next(f for f in found.values() if f.get("eprint") == "1201.4869")
    assert luttinger["archiveprefix"] == "arXiv"
    assert luttinger["primaryclass"] == "cond-mat.mes-hall"
    assert luttinger["doi"] == "10.1142/S021797921244002X"
    assert luttinger["date"] == "2012-01-23"
    assert luttinger["author"] == "Adrian Del Maestro"
    assert luttinger["abstract"].startswith("As helium-4 is cooled below 2.17 K")
    old_style = next(f for f in found.values() if f.get("eprint") == "cond-mat/0412498")
    assert old_style["title"] == "Thermal melting of density waves on the square lattice"
    assert bib.read_text(encoding="utf-8").startswith(EMPTY_BIB)
    assert (site / "content" / "papers.bib.bak").read_text(encoding="utf-8") == EMPTY_BIB
    built = ok(run("build", site))
    assert "Built 10 papers" in built
    index = (site / "_site" / "index.html").read_text(encoding="utf-8")
    assert "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores" in index
    assert "Thermal melting of density waves on the square lattice" in index


@needs_corpus
def test_second_import_adds_nothing_and_keeps_the_file_byte_identical(
    make_site: SiteFactory,
) -> None:
    site = make_site(bib=EMPTY_BIB)
    bib = site / "content" / "papers.bib"
    ok(run("import", "arxiv", "--from", TESTING_100, cwd=site))
    first = bib.read_bytes()
    backup = (site / "content" / "papers.bib.bak").read_bytes()
    out = ok(run("import", "arxiv", "--from", TESTING_100, cwd=site))
    assert "0 new, 100 already present, 0 updated, 0 skipped" in out
    assert "is unchanged" in out
    assert bib.read_bytes() == first
    assert (site / "content" / "papers.bib.bak").read_bytes() == backup
    assert len(entries(bib)) == 100
    ok(run("build", site, "--strict"))


@needs_corpus
def test_math_in_arxiv_abstracts_stays_math(make_site: SiteFactory) -> None:
    site = make_site(bib="")
    ok(run("import", "arxiv", "--from", TESTING_100, cwd=site))
    text = (site / "content" / "papers.bib").read_text(encoding="utf-8")
    assert "$" in text  # the recording has $...$ math in summaries
    ok(run("build", site))
    pages = "".join(
        p.read_text(encoding="utf-8") for p in (site / "_site" / "papers").rglob("index.html")
    )
    assert "<math" in pages


@needs_corpus
def test_arxiv_error_entry_is_a_clear_message_and_no_change(make_site: SiteFactory) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()
    result = run("import", "arxiv", "--from", ARXIV_ERROR, cwd=site)
    user_error(result, "arXiv answered with an error: incorrect id format for abc")
    assert bib.read_bytes() == before
    assert "papers.bib.bak" not in files_in(site / "content")


@needs_corpus
@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("orcid_works_3.0_sample.xml", {"Work \\# 0", "Work \\# 1", "Work \\# 2"}),
        ("orcid_record_full_3.0_sample.json", {"Work Title"}),
        ("orcid_work_full_3.0_sample.json", {"Work Title: Work subtitle"}),
    ],
)
def test_orcid_from_each_recorded_answer(
    make_site: SiteFactory, name: str, titles: set[str]
) -> None:
    site = make_site(bib="")
    out = ok(run("import", "orcid", "--from", SHARED_API / name, cwd=site))
    found = entries(site / "content" / "papers.bib")
    assert {f["title"] for f in found.values()} == titles
    assert f"{len(titles)} new" in out
    ok(run("build", site, "--strict"))


@needs_corpus
def test_orcid_ids_count_only_when_they_are_the_works_own(make_site: SiteFactory) -> None:
    site = make_site(bib="")
    ok(run("import", "orcid", "--from", ORCID_WORK, cwd=site))
    (fields,) = entries(site / "content" / "papers.bib").values()
    # the sample's DOI is `part-of` (not the work's) and its `self` DOI is not a DOI at all
    assert "doi" not in fields
    assert fields["author"] == "Jordan and Fran"
    assert fields["abstract"] == "This is a short description of the work."
    assert fields["date"] == "2022-05-24"
    site2 = make_site("record", bib="")
    ok(run("import", "orcid", "--from", ORCID_RECORD, cwd=site2))
    (record,) = entries(site2 / "content" / "papers.bib").values()
    assert "doi" not in record  # a version-of DOI identifies another version, not this one


def test_orcid_bulk_works_carry_authors_and_skip_errors(make_site: SiteFactory) -> None:
    site = make_site(bib="")
    out = ok(
        run(
            "import",
            "orcid",
            "--from",
            FIXTURES / "orcid_works_bulk_8888-8888-8888-8880.xml",
            cwd=site,
        )
    )
    assert "2 new" in out and "No entity found with id: 3358" in out
    found = {f["title"]: f for f in entries(site / "content" / "papers.bib").values()}
    zero = found["Work \\# 0"]
    assert zero["author"] == "User One Credit name and Ana María Ejemplo"  # the editor is not
    assert zero["doi"] == "10.5555/123456"
    assert zero["booktitle"] == "Proceedings of the Example Conference"
    assert zero["abstract"] == "We study work number zero \\& report 50\\% of it."
    one = found["Work \\# 1"]
    assert one["author"] == "One, User and Zwei, Benutzer"  # from its BibTeX citation
    assert one["eprint"] == "1701.01234"
    ok(run("build", site, "--strict"))


def test_dblp_fixture_merges_corr_preprint_into_the_paper(make_site: SiteFactory) -> None:
    site = make_site(bib="")
    out = ok(run("import", "dblp", "--from", DBLP_FIXTURE, cwd=site))
    assert "4 new" in out and "listed twice by the source" in out
    found = entries(site / "content" / "papers.bib")
    focs = found["DBLP:conf/focs/ExampleST23"]
    assert focs["eprint"] == "2304.01234" and focs["doi"] == "10.1109/FOCS57990.2023.00052"
    assert "timestamp" not in focs and "biburl" not in focs
    note = found["DBLP:journals/corr/abs-2402-05678"]
    assert "journal" not in note and "volume" not in note  # a preprint, not "CoRR"
    assert note["eprint"] == "2402.05678" and "doi" not in note
    assert found["DBLP:phd/basesearch/Example19"]["school"] == "University of Examples"
    built = ok(run("build", site, "--strict"))
    assert "Built 4 papers" in built


@pytest.mark.skipif(not DBLP_REAL.exists(), reason="the shared corpus is not present")
def test_dblp_real_crossref_export(make_site: SiteFactory) -> None:
    site = make_site(bib="")
    out = ok(run("import", "dblp", "--from", DBLP_REAL, cwd=site))
    assert "a proceedings volume its papers point to by crossref" in out
    found = entries(site / "content" / "papers.bib")
    stoc = found["DBLP:conf/stoc/FournierL0T24"]
    assert stoc["booktitle"].startswith("Proceedings of the 56th Annual {ACM} Symposium")
    assert not any(k.startswith("DBLP:conf/stoc/2024") for k in found)
    again = ok(run("import", "dblp", "--from", DBLP_REAL, cwd=site))
    assert "0 new" in again and "0 updated" in again
    ok(run("build", site))


def test_openalex_page_without_the_rest_leaves_metrics_alone(make_site: SiteFactory) -> None:
    profile = "name: Heather Piwowar\n"
    site = make_site(bib="", profile=profile)
    out = ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    assert "holds 5 of 10 works" in out and "metrics not updated" in out
    assert (site / "content" / "profile.yaml").read_text(encoding="utf-8") == profile
    found = {f["title"]: f for f in entries(site / "content" / "papers.bib").values()}
    state = found[
        "The state of OA: a large-scale analysis of the prevalence and impact of Open Access "
        "articles"
    ]
    assert state["citations"] == "1102" and state["doi"] == "10.7717/peerj.4375"
    assert state["journal"] == "PeerJ" and state["pages"] == "e4375" and state["volume"] == "6"
    assert state["abstract"].startswith("Despite growing interest in Open Access (OA)")
    assert "Front Matter" not in found


def test_openalex_complete_file_writes_metrics_with_source_and_date(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    page1 = json.loads(OPENALEX_1.read_text(encoding="utf-8"))
    page2 = json.loads(OPENALEX_2.read_text(encoding="utf-8"))
    whole = {"meta": {**page2["meta"], "count": 10}, "results": page1["results"] + page2["results"]}
    saved = tmp_path / "works.json"
    saved.write_text(json.dumps(whole), encoding="utf-8")
    profile = "name: Heather Piwowar  # me\nmetrics:\n  custom:\n"
    profile += "    - {label: OA, value: 100, unit: '%'}\n"
    site = make_site(bib="", profile=profile)
    out = ok(run("import", "openalex", "--from", saved, cwd=site))
    assert "metrics written to" in out
    text = (site / "content" / "profile.yaml").read_text(encoding="utf-8")
    assert text.startswith(profile)  # every old byte kept, the metrics added after
    data = yaml.safe_load(text)
    as_of = dt.date(2026, 11, 28)  # SOURCE_DATE_EPOCH of run()
    # citations of the 8 works (the paratext and the untitled work are skipped)
    counts = [1102, 1400, 120, 12, 300, 400, 95, 9]
    assert data["metrics"]["citations"] == {
        "value": sum(counts),
        "source": "OpenAlex",
        "as_of": as_of,
    }
    assert data["metrics"]["h_index"]["value"] == 8
    assert data["metrics"]["i10_index"]["value"] == 7
    index_before = text
    again = ok(run("import", "openalex", "--from", saved, cwd=site))
    assert "0 new" in again and "metrics written" not in again
    assert (site / "content" / "profile.yaml").read_text(encoding="utf-8") == index_before
    ok(run("build", site, "--strict"))
    page = (site / "_site" / "index.html").read_text(encoding="utf-8")
    assert str(sum(counts)) in page


# --- deduplication: an id already present under another key ----------------------------------


@needs_corpus
@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            "@misc{mine, title = {Something else},\n"
            " eprint = {1201.4869v2}, archivePrefix = {arXiv}}",
            "same arXiv id",
        ),
        (
            "@article{mine, title = {Other words}, doi = {https://doi.org/10.1142/s021797921244002x}}",
            "same DOI",
        ),
        (
            "@article{mine, title = {A {L}uttinger liquid core inside {H}elium-4 filled "
            "nanopores},\n year = 2012}",
            "same title and year",
        ),
        (
            "@article{mine, title = {A Luttinger Liquid Core Inside Helium-4 Filled Nanopores},\n"
            " author = {Del Maestro, A.}, year = 2013}",
            "another version",
        ),
        ("@article{mine, title = {x}, url = {https://arxiv.org/abs/1201.4869}}", "same arXiv id"),
    ],
)
def test_a_paper_present_under_another_key_is_not_added(
    make_site: SiteFactory, entry: str, reason: str
) -> None:
    bib_text = f"% header\n{entry}\n"
    site = make_site(bib=bib_text)
    out = ok(run("-v", "import", "arxiv", "--from", DEL_MAESTRO, cwd=site))
    assert "9 new, 1 already present" in out
    assert reason in out and "papers.bib:2" in out
    text = (site / "content" / "papers.bib").read_text(encoding="utf-8")
    assert text.startswith(bib_text)
    assert "1201.4869" not in text[len(bib_text) :]


def test_present_in_another_listed_bibliography_is_not_added(make_site: SiteFactory) -> None:
    site = make_site(
        site_yaml="bibliography: [content/papers.bib, content/old.bib]\n",
        bib="",
        files={
            "content/old.bib": "@article{old, title = {Value all research products},\n"
            " doi = {10.1038/493159A}}\n"
        },
    )
    out = ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    assert "1 already present" in out
    assert "old.bib:1" not in out  # only listed with -v
    assert "citations are updated only in the file imported into, not in old.bib" in out
    text = (site / "content" / "papers.bib").read_text(encoding="utf-8")
    assert "Value all research products" not in text
    assert (site / "content" / "old.bib").read_text(encoding="utf-8").startswith("@article{old,")


def test_keys_are_unique_across_files_and_case(make_site: SiteFactory) -> None:
    site = make_site(bib="@article{Piwowar2018State, title = {Unrelated}, year = 1999}\n")
    ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    keys = list(entries(site / "content" / "papers.bib"))
    assert "piwowar2018state-2" in keys
    assert len({k.lower() for k in keys}) == len(keys)


# --- citations updated in place, nothing else -------------------------------------------------


def test_citations_are_updated_in_place_and_nothing_else_changes(make_site: SiteFactory) -> None:
    user = (
        "% -*- my bibliography -*-\n"
        "@string{plos = {PLoS ONE}}\n\n"
        "@Article{sharing2007,\n"
        "  Title     = {Sharing detailed research data is associated with increased\n"
        "               citation rate},\n"
        "  Author    = {Piwowar, Heather A. and Day, Roger S.},\n"
        "  Journal   = plos,\n"
        "  Year      = 2007,\n"
        "  DOI       = {10.1371/journal.pone.0000308},\n"
        '  Citations = "17",\n'
        "  note      = {my own note, do not touch},\n"
        "}\n\n"
        "@article{state, doi = {10.7717/PEERJ.4375}, title = {The state of OA}}\n"
        "@article{value,\n"
        "  title = {Value all research products},\n"
        "  doi = {10.1038/493159a}\n"
        "}\n"
    )
    site = make_site(bib=user)
    bib = site / "content" / "papers.bib"
    out = ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    assert "0 new, 4 already present, 3 updated" in out
    assert "citations 17 -> 1400" in out and "citations none -> 1102" in out
    expected = (
        user.replace('Citations = "17"', 'Citations = "1400"')
        .replace("title = {The state of OA}}", "title = {The state of OA}, citations = {1102}}")
        .replace("doi = {10.1038/493159a}\n}", "doi = {10.1038/493159a},\n  citations = {12}\n}")
    )
    assert bib.read_text(encoding="utf-8") == expected
    assert (site / "content" / "papers.bib.bak").read_text(encoding="utf-8") == user
    again = ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    assert "0 updated" in again and bib.read_text(encoding="utf-8") == expected


def test_a_citations_value_that_is_not_a_number_is_left_alone(make_site: SiteFactory) -> None:
    user = (
        "@article{v, title = {Value all research products}, doi = {10.1038/493159a},\n"
        "  citations = {12+}}\n"
    )
    site = make_site(bib=user)
    out = ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    assert "is not a number" in out
    assert (site / "content" / "papers.bib").read_text(encoding="utf-8").startswith(user)


# --- dry run, atomicity, interrupts -----------------------------------------------------------


def test_dry_run_writes_nothing(make_site: SiteFactory, tmp_path: Path) -> None:
    page1 = json.loads(OPENALEX_1.read_text(encoding="utf-8"))
    page1["meta"]["next_cursor"] = None
    page1["meta"]["count"] = 5
    saved = tmp_path / "one.json"
    saved.write_text(json.dumps(page1), encoding="utf-8")
    site = make_site(
        bib="@article{v, title = {Value all research products}, doi = {10.1038/493159a}}\n"
    )
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (site / "content").iterdir()}
    out = ok(run("import", "openalex", "--from", saved, "--dry-run", cwd=site))
    assert "2 new, 1 already present, 1 updated" in out
    assert "metrics would be written" in out and "Dry run: nothing was written." in out
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (site / "content").iterdir()}
    assert after == before


def test_an_interrupt_while_writing_leaves_the_file_as_it_was(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()
    real_replace = os.replace

    def interrupted(src: str, dst: str | Path) -> None:
        if Path(dst) == bib.resolve():
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_papers(request(site, "dblp", from_file=DBLP_FIXTURE))
    assert bib.read_bytes() == before
    leftovers = [p.name for p in bib.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_full_disk_is_a_message_and_no_change(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ScholarpageError, match="No space left on device"):
        import_papers(request(site, "dblp", from_file=DBLP_FIXTURE))
    assert bib.read_bytes() == before
    assert not [p for p in bib.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_symlinked_bib_stays_a_symlink(make_site: SiteFactory, tmp_path: Path) -> None:
    shared = tmp_path / "shared.bib"
    shared.write_text("% shared\n", encoding="utf-8")
    site = make_site()
    link = site / "content" / "papers.bib"
    link.unlink()
    link.symlink_to(shared)
    ok(run("import", "dblp", "--from", DBLP_FIXTURE, cwd=site))
    assert link.is_symlink()
    assert "DBLP:journals/jacm/ExampleL24" in shared.read_text(encoding="utf-8")
    assert (tmp_path / "shared.bib.bak").read_text(encoding="utf-8") == "% shared\n"


def test_file_style_is_kept_crlf_bom_and_a_missing_final_newline(make_site: SiteFactory) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    original = b"\xef\xbb\xbf@article{a,\r\n  title = {Caf\xc3\xa9},\r\n}"
    bib.write_bytes(original)
    ok(run("import", "dblp", "--from", DBLP_FIXTURE, cwd=site))
    data = bib.read_bytes()
    assert data.startswith(original + b"\r\n\r\n@article{")
    assert b"\n" not in data.replace(b"\r\n", b"")
    ok(run("build", site, "--strict"))


def test_a_latin1_bib_gets_latin1_or_latex_accents_and_skips_what_cannot_be_written(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    original = "% -*- coding: latin-1 -*-\n@article{a, title = {Übung}}\n".encode("latin-1")
    bib.write_bytes(original)
    export = tmp_path / "export.bib"
    export.write_text(
        "@article{k1, title = {Réseaux}, author = {Łukasz Kowalski}, year = 2020}\n"
        "@article{k2, title = {量子计算}, author = {王伟}, year = 2021}\n",
        encoding="utf-8",
    )
    out = ok(run("import", "bibtex", export, cwd=site))
    assert "1 new" in out and "cannot be written in the file's encoding" in out
    data = bib.read_bytes()
    assert data.startswith(original)
    text = data.decode("latin-1")
    assert "title = {Réseaux}" in text and "author = {{\\L}ukasz Kowalski}" in text
    built = ok(run("build", site, "--strict"))
    assert "Built 2 papers" in built
    assert "Łukasz Kowalski" in (site / "_site" / "index.html").read_text(encoding="utf-8")


def test_a_bibtex_export_keeps_fields_the_site_reads_and_drops_the_rest(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    site = make_site(site_yaml="paper_badges: [{field: score, label: Score}]\n", bib="")
    export = tmp_path / "zotero.bib"
    export.write_text(
        "@string{jml = {J. Mach. Learn.}}\n"
        "@article{zot1, title = {{Deep} nets}, author = {Ng, A. and others},\n"
        "  journal = jml # { Res.}, year = {2020}, month = mar,\n"
        "  file = {/home/me/Zotero/storage/x.pdf}, urldate = {2021-01-01},\n"
        "  score = {7.5}, pdf = {files/deep.pdf}, selected = {true}, keywords = {ml, nets}}\n"
        "@article{, title = {No key}, year = 2001}\n"
        "@article{bad, title = {Broken\n"
        "@book{nokey2, author = {X}}\n",
        encoding="utf-8",
    )
    out = ok(run("-v", "import", "bibtex", "--from", export, cwd=site))
    assert "fields not carried over: file (1), urldate (1)" in out
    assert "no title" in out
    found = entries(site / "content" / "papers.bib")
    deep = found["zot1"]
    assert deep["journal"] == "J. Mach. Learn. Res."
    assert deep["author"] == "Ng, A. and others"
    assert deep["date"] == "2020-03" and deep["score"] == "7.5" and deep["selected"] == "true"
    assert deep["pdf"] == "files/deep.pdf" and deep["keywords"] == "ml, nets"
    assert "file" not in deep and "urldate" not in deep
    assert any(f.get("title") == "No key" for f in found.values())


# --- refusals ---------------------------------------------------------------------------------


def test_refusals_are_clear_and_change_nothing(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()
    usage = run("import", "scholar", "x", cwd=site)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
    user_error(run("import", "orcid", cwd=site), "needs an id")
    user_error(run("import", "orcid", "0000-0002-1825-0098", cwd=site), "check digit is wrong")
    user_error(run("import", "dblp", "../../etc", cwd=site), "not a DBLP person id")
    user_error(run("import", "openalex", "W123", cwd=site), "not an OpenAlex author id")
    user_error(run("import", "arxiv", "x", "--api-url", "file:///etc", cwd=site), "http(s) URL")
    user_error(run("import", "dblp", "x", "--api-url", "http://h/?q=1", cwd=site), "http(s) URL")
    user_error(run("import", "dblp", "x", "--from", DBLP_FIXTURE, cwd=site), "not both")
    user_error(
        run(
            "import",
            "dblp",
            "--from",
            DBLP_FIXTURE,
            "--into",
            site / "content" / "profile.yaml",
            cwd=site,
        ),
        "--into must name a .bib file",
    )
    json_bib = site / "content" / "data.bib"
    json_bib.write_text('{"not": "bibtex"}\n', encoding="utf-8")
    user_error(
        run("import", "dblp", "--from", DBLP_FIXTURE, "--into", json_bib, cwd=site), "not BibTeX"
    )
    user_error(run("import", "openalex", "--from", DBLP_FIXTURE, cwd=site), "not valid JSON")
    user_error(run("import", "dblp", "--from", OPENALEX_1, cwd=site), "not BibTeX")
    nowhere = tmp_path / "empty"
    nowhere.mkdir()
    user_error(run("import", "dblp", "--from", DBLP_FIXTURE, cwd=nowhere), "--into FILE.bib")
    user_error(run("import", "dblp", "--from", tmp_path / "missing.json", cwd=site), "not found")
    user_error(run("import", "dblp", "--from", "/dev/zero", cwd=site), "not a regular file")
    user_error(run("import", "dblp", "x", "--limit", "0", cwd=site), "--limit must be 1 or more")
    for timeout in ("0", "nan", "inf", "-1"):
        user_error(run("import", "dblp", "x", "--timeout", timeout, cwd=site), "--timeout must be")
    user_error(run("import", "dblp", "x", "--retries", "99", cwd=site), "--retries must be 0 to 10")
    assert bib.read_bytes() == before
    assert json_bib.read_text(encoding="utf-8") == '{"not": "bibtex"}\n'


@needs_corpus
def test_truncated_and_hostile_answers(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()
    cut = tmp_path / "cut.xml"
    data = DEL_MAESTRO.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    user_error(
        run("import", "arxiv", "--from", cut, cwd=site),
        "not well-formed XML",
        "looks cut off",
        "cut.xml:",
    )
    cut_json = tmp_path / "cut.json"
    cut_json.write_bytes(ORCID_RECORD.read_bytes()[:5000])
    user_error(
        run("import", "orcid", "--from", cut_json, cwd=site), "not valid JSON", "looks cut off"
    )
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&b;</title></entry></feed>',
        encoding="utf-8",
    )
    user_error(
        run("import", "arxiv", "--from", bomb, cwd=site), "refusing", "document type declaration"
    )
    external = tmp_path / "xxe.xml"
    external.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        encoding="utf-8",
    )
    user_error(run("import", "orcid", "--from", external, cwd=site), "refusing")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    user_error(run("import", "openalex", "--from", deep, cwd=site), "nested too deeply")
    not_feed = tmp_path / "html.xml"
    not_feed.write_text("<html><body>Service unavailable</body></html>", encoding="utf-8")
    user_error(run("import", "arxiv", "--from", not_feed, cwd=site), "not an Atom feed")
    assert bib.read_bytes() == before


def test_hostile_text_cannot_break_the_bib(make_site: SiteFactory, tmp_path: Path) -> None:
    titles = [
        "Unbalanced } brace { and \\",
        "@article{evil, title = {injected}}",
        "50% done & C# #1 $5 a_b ~x ^y \\emph{not}",
        "line\nbreak\r\n@misc{x,\u2028sep\x00nul\x1b[31mred",
        "lone \ud800 surrogate",
    ]
    works = [
        {
            "id": f"https://openalex.org/W{i}",
            "title": t,
            "type": "article",
            "publication_year": 2020,
            "cited_by_count": 1,
        }
        for i, t in enumerate(titles, start=1)
    ]
    saved = tmp_path / "hostile.json"
    saved.write_text(
        json.dumps({"meta": {"count": 5, "next_cursor": None}, "results": works}), encoding="utf-8"
    )
    site = make_site(bib="")
    out = ok(run("import", "openalex", "--from", saved, cwd=site))
    assert "5 new" in out and "\x1b" not in out
    bib = site / "content" / "papers.bib"
    text = bib.read_text(encoding="utf-8")  # valid UTF-8 (the lone surrogate replaced)
    assert "@article{evil" not in text.replace("title = {@article", "")
    assert len(entries(bib)) == 5
    built = ok(run("build", site, "--strict"))
    assert "Built 5 papers" in built
    page = (site / "_site" / "index.html").read_text(encoding="utf-8").replace("\u2060", "")
    assert "Unbalanced } brace { and \\" in page
    assert "50% done &amp; C# #1 $5 a_b ~x ^y \\emph{not}" in page
    assert "@article{evil, title = {injected}}" in page


# --- profile metrics edited in place ----------------------------------------------------------


def _openalex_whole(tmp_path: Path) -> Path:
    page1 = json.loads(OPENALEX_1.read_text(encoding="utf-8"))
    page2 = json.loads(OPENALEX_2.read_text(encoding="utf-8"))
    saved = tmp_path / "whole.json"
    saved.write_text(
        json.dumps(
            {
                "meta": {"count": 10, "next_cursor": None},
                "results": page1["results"] + page2["results"],
            }
        ),
        encoding="utf-8",
    )
    return saved


@pytest.mark.parametrize(
    ("profile", "kept"),
    [
        ("name: A\n", ()),
        ("name: A\nmetrics:\n", ()),
        ("name: A\nmetrics: {}\n", ()),
        ("name: A\nmetrics: {h_index: 9}  # mine\nbio: x\n", ("h_index",)),
        (
            "name: A\r\nmetrics:\r\n  # from Scholar\r\n"
            "  citations: {value: 53, source: Google Scholar, as_of: 2026-11-01}\r\n"
            "  h_index:\r\n    value: 1\r\n    source: OpenAlex\r\n    as_of: 2020-01-01\r\n"
            "  # end\r\nbio: |\r\n  text\r\n",
            ("citations",),
        ),
        ("\ufeffname: A\nmetrics:\n  custom: [{label: x, value: 1}]\n# trailing comment", ()),
    ],
)
def test_profile_metrics_change_only_their_keys(
    make_site: SiteFactory, tmp_path: Path, profile: str, kept: tuple[str, ...]
) -> None:
    site = make_site(bib="", profile=profile)
    path = site / "content" / "profile.yaml"
    original = yaml.safe_load(profile.lstrip("\ufeff"))
    out = ok(run("import", "openalex", "--from", _openalex_whole(tmp_path), cwd=site))
    text = path.read_bytes().decode("utf-8")
    data = yaml.safe_load(text.lstrip("\ufeff"))
    assert text.startswith("\ufeff") == profile.startswith("\ufeff")
    assert ("\r\n" in text) == ("\r\n" in profile)
    for key in ("h_index", "i10_index", "citations"):
        if key in kept:
            assert data["metrics"][key] == original["metrics"][key]
            assert f"kept {key}" in out
        else:
            assert data["metrics"][key]["source"] == "OpenAlex"
            assert data["metrics"][key]["as_of"] == dt.date(2026, 11, 28)
    rest = {k: v for k, v in data.items() if k != "metrics"}
    assert rest == {k: v for k, v in original.items() if k != "metrics"}
    for line in profile.replace("\r\n", "\n").split("\n"):
        if "#" in line:
            assert line.split("#", 1)[1] in text  # comments stay
    ok(run("build", site, "--strict"))


def test_a_profile_that_cannot_be_edited_safely_gets_lines_to_add(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    profile = "name: &n A\naliases: [*n]\nmetrics: &m {custom: []}\n"
    site = make_site(bib="", profile=profile)
    path = site / "content" / "profile.yaml"
    flow = "{name: A, metrics: {custom: []}}\n"
    path.write_text(flow, encoding="utf-8")
    out = ok(run("import", "openalex", "--from", _openalex_whole(tmp_path), cwd=site))
    assert "add these lines to" in out and "h_index: {value: 8, source: OpenAlex" in out
    assert path.read_text(encoding="utf-8") == flow


# --- the text rules themselves ----------------------------------------------------------------


def test_plain_text_round_trips_through_latex() -> None:
    from generator.latex import convert

    for plain in ["a { b", "50% & #1 $2 _x ~y ^z \\w", "A--B", "naïve Ø"]:
        # (the converter puts a word joiner after a backslash before a letter)
        assert convert(plain_to_latex(plain)).text.replace("\u2060", "") == plain
    assert latex_value("$\\alpha$ 50% {x") == "$\\alpha$ 50\\% \\textbraceleft{}x"
    assert title_key("{\\O}rsted's $\\alpha$-decay") == title_key("Ørsted’s α-Decay")


def test_entries_after_a_broken_last_entry_are_still_read(make_site: SiteFactory) -> None:
    broken = "@article{mine, title = {Value all research products}, doi = {10.1038/493159a},\n"
    broken += "  note = {never closed\n"
    site = make_site(bib=broken)
    out = ok(run("import", "dblp", "--from", DBLP_FIXTURE, cwd=site))
    assert "4 new" in out
    text = (site / "content" / "papers.bib").read_text(encoding="utf-8")
    assert text.startswith(broken)
    built = run("build", site)
    assert built.returncode == 0 and "Built 5 papers" in built.stdout  # 4 new + the broken one


def test_same_title_in_two_issues_is_two_works(make_site: SiteFactory, tmp_path: Path) -> None:
    export = tmp_path / "tugboat.bib"
    export.write_text(
        "@article{e1, title = {Editorial comments}, author = {Beeton, Barbara}, year = 1985,\n"
        "  volume = 6, number = 1, pages = {1--2}}\n"
        "@article{e2, title = {Editorial comments}, author = {Beeton, Barbara}, year = 1985,\n"
        "  volume = 6, number = 2, pages = {65--66}}\n"
        "@article{e3, title = {Editorial Comments}, author = {B. Beeton}, year = 1985,\n"
        "  volume = 6, number = 2}\n"
        "@article{p1, title = {Deep learning}, author = {LeCun, Yann}, year = 2015}\n"
        "@book{p2, title = {Deep Learning}, author = {Goodfellow, Ian}, year = 2015}\n",
        encoding="utf-8",
    )
    site = make_site(bib="")
    out = ok(run("import", "bibtex", export, cwd=site))
    assert "4 new, 0 already present, 0 updated, 1 skipped" in out
    assert set(entries(site / "content" / "papers.bib")) == {"e1", "e2", "p1", "p2"}


def test_openalex_fields_of_the_wrong_type_are_not_a_traceback(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    odd = [
        {
            "id": "W1",
            "title": "Odd one",
            "authorships": 5,
            "locations": "x",
            "biblio": [],
            "publication_year": "2020",
            "cited_by_count": True,
            "abstract_inverted_index": {"a": [10**9]},
        },
        {
            "id": "W2",
            "title": "Odd two",
            "authorships": [None, {"author": "x"}],
            "primary_location": 3,
        },
        "not a work",
    ]
    saved = tmp_path / "odd.json"
    saved.write_text(json.dumps({"results": odd, "meta": {"count": 3}}), encoding="utf-8")
    site = make_site(bib="")
    out = ok(run("import", "openalex", "--from", saved, cwd=site))
    assert "2 new" in out and "not a work object" in out
    found = {f["title"]: f for f in entries(site / "content" / "papers.bib").values()}
    assert set(found) == {"Odd one", "Odd two"}
    assert "citations" not in found["Odd one"] and "abstract" not in found["Odd one"]


def test_citations_edits_in_paren_entries_bare_numbers_and_commented_fields(
    make_site: SiteFactory,
) -> None:
    user = (
        "@article{v,\n  title = {Value all research products}, % mine\n"
        "  doi = {10.1038/493159a},   % the DOI\n  citations = 3\n}\n"
        "@article(w, title = {Sharing Detailed Research Data Is Associated with Increased "
        "Citation Rate}, year=2007, author={Piwowar, H.})\n"
    )
    site = make_site(bib=user)
    ok(run("import", "openalex", "--from", OPENALEX_1, cwd=site))
    text = (site / "content" / "papers.bib").read_text(encoding="utf-8")
    expected = user.replace("citations = 3\n", "citations = 12\n").replace(
        "author={Piwowar, H.})", "author={Piwowar, H.}, citations = {1400})"
    )
    assert text.startswith(expected + "\n@")
    assert "Built 3 papers" in ok(run("build", site))  # (it warns about the user's % lines)
