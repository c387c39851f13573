"""`scholarpage import` over HTTP: a real server on 127.0.0.1 answers with the recorded
responses (the API base URL is `--api-url`), and misbehaves on purpose: 503 then 200, 429 with
Retry-After, a hang, a trickle, a cut-off body, an error answer, a redirect out of http(s).

Waits are asserted as the waits the client asks for (an injected clock and sleep), never as
measured wall time; timeouts here only bound hangs.
"""

from __future__ import annotations

import gzip
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.errors import ScholarpageError
from generator.importers import arxiv
from generator.importers.http import USER_AGENT, HttpClient
from tests.conftest import REPO
from tests.importkit import (
    SHARED_API,
    RecordedAPI,
    Reply,
    Request,
    entries,
    fixture,
    ok,
    run,
    serve,
    shared,
    user_error,
)

SiteFactory = Callable[..., Path]
needs_corpus = pytest.mark.skipif(
    not (SHARED_API / "arxiv_atom_2016_au_del_maestro.xml").exists(),
    reason="the shared corpus (../shared/corpus/api) is not present",
)
ATOM = "application/atom+xml"
JSON = "application/json"


@pytest.fixture
def api() -> Iterator[RecordedAPI]:
    yield from serve(RecordedAPI())


class FakeTime:
    """A clock that only moves when the client sleeps; the sleeps asked for are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def client(fake: FakeTime, **kwargs: float) -> HttpClient:
    return HttpClient(clock=fake.clock, wall=time.time, sleep=fake.sleep, **kwargs)  # type: ignore[arg-type]


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


# --- each source end to end through the server ------------------------------------------------


@needs_corpus
def test_arxiv_author_search(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add(
        "/api/query", Reply(body=shared("arxiv_atom_2016_au_del_maestro.xml"), content_type=ATOM)
    )
    site = make_site(bib="")
    bib = site / "content" / "papers.bib"
    args = ("import", "arxiv", "Adrian Del Maestro", "--api-url", f"{api.url}/api", "--limit", "10")
    out = ok(run(*args, cwd=site))
    assert "10 new" in out and "stopped at 10 of 31 results (--limit)" in out
    (request,) = api.requests
    assert request.query["search_query"] == ['au:"Adrian Del Maestro"']
    assert request.query["max_results"] == ["10"] and request.query["start"] == ["0"]
    assert request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("scholarpage/0.1.0 (+https://")
    first = bib.read_bytes()
    again = ok(run(*args, cwd=site))
    assert "0 new, 10 already present" in again
    assert bib.read_bytes() == first
    built = ok(run("build", site))
    assert "Built 10 papers" in built
    index = (site / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Local Superfluidity at the Nanoscale" in index


@needs_corpus
def test_arxiv_id_list_keeps_only_what_was_asked(api: RecordedAPI, make_site: SiteFactory) -> None:
    # a server that ignores id_list and answers with 100 papers
    api.add(
        "/api/query", Reply(body=shared("arxiv_atom_2026_q_testing_100.xml"), content_type=ATOM)
    )
    site = make_site(bib="")
    out = ok(
        run(
            "import",
            "arxiv",
            "arXiv:2202.12139v1",
            "2301.99999",
            "--api-url",
            f"{api.url}/api",
            cwd=site,
        )
    )
    assert "1 new" in out and "arXiv 2301.99999: skipped, not found on arXiv" in out
    assert "ignored 99 entries of the answer that were not asked for" in out
    (request,) = api.requests
    assert request.query["id_list"] == ["2202.12139,2301.99999"]
    (fields,) = entries(site / "content" / "papers.bib").values()
    assert fields["eprint"] == "2202.12139" and fields["primaryclass"] == "cs.SE"
    assert fields["doi"] == "10.1109/ICSTW55395.2022.00035"


def _paging_feed(recording: bytes) -> Callable[[dict[str, list[str]]], Reply]:
    """An arXiv that pages through the recording's 100 entries by start and max_results."""
    text = recording.decode("utf-8")
    head, _, rest = text.partition("<entry>")
    chunks = ["<entry>" + c for c in rest.split("<entry>")]
    chunks[-1] = chunks[-1].replace("</feed>", "")
    head = head.replace(
        "<opensearch:totalResults>214881<", f"<opensearch:totalResults>{len(chunks)}<"
    )

    def answer(query: dict[str, list[str]]) -> Reply:
        start, size = int(query["start"][0]), int(query["max_results"][0])
        page = (
            head.replace("<opensearch:startIndex>0<", f"<opensearch:startIndex>{start}<")
            + "".join(chunks[start : start + size])
            + "</feed>\n"
        )
        return Reply(body=page.encode("utf-8"), content_type=ATOM)

    return answer


@needs_corpus
def test_arxiv_pages_one_request_per_3_seconds(api: RecordedAPI) -> None:
    api.add("/api/query", _paging_feed(shared("arxiv_atom_2026_q_testing_100.xml")))
    fake = FakeTime()
    query = arxiv.make_query(("au:example",))
    harvest = arxiv.fetch(client(fake), query, base_url=f"{api.url}/api", limit=1000, page_size=30)
    assert len(harvest.works) == 100 and harvest.complete
    assert [r.query["start"][0] for r in api.requests] == ["0", "30", "60", "90"]
    assert fake.sleeps == [3.0, 3.0, 3.0]


@needs_corpus
def test_arxiv_empty_page_is_asked_again_then_noted(api: RecordedAPI) -> None:
    paging = _paging_feed(shared("arxiv_atom_2026_q_testing_100.xml"))
    empty = paging({"start": ["1000"], "max_results": ["1"]})
    api.add("/api/query", empty, match=lambda q: q["start"] == ["50"])
    api.add("/api/query", paging, match=lambda q: q["start"] != ["50"])
    fake = FakeTime()
    query = arxiv.make_query(("au:example",))
    harvest = arxiv.fetch(
        client(fake, retries=2), query, base_url=f"{api.url}/api", limit=1000, page_size=50
    )
    assert len(harvest.works) == 50 and not harvest.complete
    assert "no more results after 50 of 100" in harvest.notes[0]
    assert [r.query["start"][0] for r in api.requests] == ["0", "50", "50", "50"]


@needs_corpus
def test_arxiv_error_answer(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add("/api/query", Reply(400, shared("arxiv_atom_2026_error_bad_id.xml"), content_type=ATOM))
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()
    result = run("import", "arxiv", "au:x", "--api-url", f"{api.url}/api", cwd=site)
    user_error(result, "arXiv answered HTTP 400", "incorrect id format for abc")
    assert bib.read_bytes() == before and len(api.requests) == 1


@needs_corpus
def test_orcid_json_summaries_then_full_works(api: RecordedAPI, make_site: SiteFactory) -> None:
    record = json.loads(shared("orcid_record_full_3.0_sample.json"))
    works = record["activities-summary"]["works"]  # what /v3.0/ID/works answers
    work = {**json.loads(shared("orcid_work_full_3.0_sample.json")), "put-code": 178602}
    api.add(
        "/v3.0/0000-0002-7319-2192/works", Reply(body=json.dumps(works).encode(), content_type=JSON)
    )
    api.add(
        "/v3.0/0000-0002-7319-2192/works/178602",
        Reply(body=json.dumps({"bulk": [{"work": work}]}).encode(), content_type=JSON),
    )
    site = make_site(bib="")
    out = ok(
        run(
            "import",
            "orcid",
            "https://orcid.org/0000-0002-7319-2192",
            "--api-url",
            f"{api.url}/v3.0",
            cwd=site,
        )
    )
    assert "1 new" in out
    assert api.paths() == [
        "/v3.0/0000-0002-7319-2192/works",
        "/v3.0/0000-0002-7319-2192/works/178602",
    ]
    assert all(r.headers["Accept"] == JSON for r in api.requests)
    (fields,) = entries(site / "content" / "papers.bib").values()
    assert fields["author"] == "Jordan and Fran" and fields["journal"] == "Journal title"
    ok(run("build", site, "--strict"))


@needs_corpus
def test_orcid_xml_summaries_then_bulk_xml(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add(
        "/v3.0/8888-8888-8888-8880/works",
        Reply(body=shared("orcid_works_3.0_sample.xml"), content_type="application/xml"),
    )
    api.add(
        "/v3.0/8888-8888-8888-8880/works/3356,3357,3358",
        Reply(
            body=fixture("orcid_works_bulk_8888-8888-8888-8880.xml"), content_type="application/xml"
        ),
    )
    site = make_site(bib="")
    out = ok(
        run("import", "orcid", "8888-8888-8888-8880", "--api-url", f"{api.url}/v3.0", cwd=site)
    )
    assert "2 new" in out and "No entity found with id: 3358" in out
    titles = {f["title"] for f in entries(site / "content" / "papers.bib").values()}
    assert titles == {"Work \\# 0", "Work \\# 1"}


def test_orcid_error_answer(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add(
        "/v3.0/0000-0002-1825-0097/works",
        Reply(404, fixture("orcid_error_404.json"), content_type=JSON),
    )
    site = make_site()
    result = run("import", "orcid", "0000-0002-1825-0097", "--api-url", f"{api.url}/v3.0", cwd=site)
    user_error(result, "ORCID answered HTTP 404", "The resource was not found.")


def test_dblp_person(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add(
        "/pid/e/AdaExample.bib",
        Reply(body=fixture("dblp_pid_e_AdaExample.bib"), content_type="application/x-bibtex"),
    )
    site = make_site(bib="")
    out = ok(
        run(
            "import",
            "dblp",
            "https://dblp.org/pid/e/AdaExample.html",
            "--api-url",
            api.url,
            cwd=site,
        )
    )
    assert "4 new" in out and api.paths() == ["/pid/e/AdaExample.bib"]
    again = ok(run("import", "dblp", "e/AdaExample", "--api-url", api.url, cwd=site))
    assert "0 new, 5 already present" in again
    ok(run("build", site, "--strict"))


def test_openalex_cursor_pages_citations_and_metrics(
    api: RecordedAPI, make_site: SiteFactory
) -> None:
    page1 = fixture("openalex_works_A5023888391_page1.json")
    cursor = json.loads(page1)["meta"]["next_cursor"]
    api.add("/works", Reply(body=page1, content_type=JSON), match=lambda q: q["cursor"] == ["*"])
    api.add(
        "/works",
        Reply(body=fixture("openalex_works_A5023888391_page2.json"), content_type=JSON),
        match=lambda q: q["cursor"] == [cursor],
    )
    profile = "name: Heather Piwowar\nmetrics:\n  h_index: 3   # my own count\n"
    site = make_site(
        bib="@article{sharing, title = {Sharing data}, doi = {10.1371/journal.pone.0000308},\n"
        "  citations = {10},\n}\n",
        profile=profile,
    )
    out = ok(run("import", "openalex", "A5023888391", "--api-url", api.url, cwd=site))
    assert "6 new, 1 already present, 1 updated, 3 skipped" in out
    assert [r.query["filter"] for r in api.requests] == [["author.id:A5023888391"]] * 2
    assert [r.query["cursor"][0] for r in api.requests] == ["*", cursor]
    text = (site / "content" / "profile.yaml").read_text(encoding="utf-8")
    assert "h_index: 3   # my own count" in text and "kept h_index" in out
    assert "i10_index: {value: 7, source: OpenAlex, as_of: 2026-11-28}" in text
    assert "citations: {value: 3438, source: OpenAlex, as_of: 2026-11-28}" in text
    bib = (site / "content" / "papers.bib").read_text(encoding="utf-8")
    first = "@article{sharing, title = {Sharing data}, doi = {10.1371/journal.pone.0000308},\n"
    assert bib.startswith(first + "  citations = {1400},\n}\n")
    ok(run("build", site, "--strict"))


def test_bibtex_from_a_url(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add(
        "/export.bib",
        Reply(body=b"@article{k, title = {From a URL}, year = 2020}\n", content_type="text/plain"),
    )
    site = make_site(bib="")
    out = ok(run("import", "bibtex", f"{api.url}/export.bib?format=bibtex", cwd=site))
    assert "1 new" in out and "k" in entries(site / "content" / "papers.bib")
    assert api.requests[0].query == {"format": ["bibtex"]}


# --- the network misbehaving ------------------------------------------------------------------


def test_503_then_200_is_retried(api: RecordedAPI, make_site: SiteFactory) -> None:
    body = fixture("dblp_pid_e_AdaExample.bib")
    api.add(
        "/pid/e/AdaExample.bib", Reply(503, b"busy", content_type="text/plain"), Reply(body=body)
    )
    site = make_site(bib="")
    out = ok(run("import", "dblp", "e/AdaExample", "--api-url", api.url, cwd=site))
    assert "4 new" in out and len(api.requests) == 2


def test_429_retry_after_is_honoured(api: RecordedAPI) -> None:
    body = fixture("dblp_pid_e_AdaExample.bib")
    api.add("/x", Reply(429, b"slow down", headers=(("Retry-After", "7"),)), Reply(body=body))
    fake = FakeTime()
    response = client(fake).get(f"{api.url}/x", what="test")
    assert response.ok and response.body == body
    assert fake.sleeps == [7.0] and len(api.requests) == 2


def test_a_retry_after_too_long_is_a_message_not_a_wait(api: RecordedAPI) -> None:
    api.add("/x", Reply(429, b"", headers=(("Retry-After", "3600"),)))
    fake = FakeTime()
    with pytest.raises(ScholarpageError, match="asks to wait 3600 s"):
        client(fake).get(f"{api.url}/x", what="test")
    assert fake.sleeps == [] and len(api.requests) == 1


def test_backoff_doubles_and_gives_up_with_the_reason(api: RecordedAPI) -> None:
    api.add("/x", Reply(502, b"bad gateway"))
    fake = FakeTime()
    with pytest.raises(ScholarpageError, match=r"HTTP 502 .*\(after 4 attempts\)"):
        client(fake, retries=3, backoff=1.0).get(f"{api.url}/x", what="test")
    assert fake.sleeps == [1.0, 2.0, 4.0] and len(api.requests) == 4


def test_a_hanging_server_times_out(api: RecordedAPI, make_site: SiteFactory) -> None:
    api.add("/pid/e/AdaExample.bib", Reply(stall=True))
    site = make_site()
    before = (site / "content" / "papers.bib").read_bytes()
    args = ("import", "dblp", "e/AdaExample", "--api-url", api.url, "--timeout", "0.5")
    user_error(run(*args, "--retries", "1", cwd=site), "no answer within 0.5 s (after 2 attempts)")
    assert len(api.requests) == 2
    assert (site / "content" / "papers.bib").read_bytes() == before


def test_a_trickling_server_hits_the_response_deadline(api: RecordedAPI) -> None:
    api.add("/x", Reply(body=b"x" * 1000, drip=0.05))
    with pytest.raises(ScholarpageError, match=r"did not finish within 1\.2 s"):
        HttpClient(timeout=0.3, retries=0).get(f"{api.url}/x", what="test")


def test_a_cut_off_body_is_retried_then_a_message(api: RecordedAPI, make_site: SiteFactory) -> None:
    body = fixture("dblp_pid_e_AdaExample.bib")
    api.add("/pid/e/AdaExample.bib", Reply(body=body[:1000], promise=len(body)))
    site = make_site()
    before = (site / "content" / "papers.bib").read_bytes()
    result = run("import", "dblp", "e/AdaExample", "--api-url", api.url, "--retries", "1", cwd=site)
    user_error(result, f"cut off after 1000 of {len(body)} bytes")
    assert len(api.requests) == 2
    assert (site / "content" / "papers.bib").read_bytes() == before


@needs_corpus
def test_a_complete_but_malformed_answer(api: RecordedAPI, make_site: SiteFactory) -> None:
    data = shared("arxiv_atom_2016_au_del_maestro.xml")
    api.add("/api/query", Reply(body=data[: len(data) // 3], content_type=ATOM))
    site = make_site()
    result = run("import", "arxiv", "au:x", "--api-url", f"{api.url}/api", cwd=site)
    user_error(result, "not well-formed XML", "looks cut off", f"{api.url}/api/query")
    api.add(
        "/api/query",
        Reply(body=b"<html>Service temporarily unavailable</html>", content_type="text/html"),
    )
    user_error(
        run("import", "arxiv", "au:x", "--api-url", f"{api.url}/api", cwd=site), "not an Atom feed"
    )


def test_redirects_stay_on_http(api: RecordedAPI) -> None:
    api.add("/moved", Reply(302, b"", headers=(("Location", "/here"),)))
    api.add("/here", Reply(body=b"arrived"))
    api.add("/escape", Reply(302, b"", headers=(("Location", "file:///etc/passwd"),)))
    http = HttpClient(retries=0)
    assert http.get(f"{api.url}/moved", what="test").body == b"arrived"
    with pytest.raises(ScholarpageError, match="redirects to 'file:///etc/passwd', which is not"):
        http.get(f"{api.url}/escape", what="test")


def test_compressed_and_oversized_answers(api: RecordedAPI) -> None:
    api.add(
        "/gz", Reply(body=gzip.compress(b"hello " * 100), headers=(("Content-Encoding", "gzip"),))
    )
    api.add(
        "/bomb",
        Reply(
            body=gzip.compress(b"\0" * (8 * 1024 * 1024)), headers=(("Content-Encoding", "gzip"),)
        ),
    )
    api.add("/big", Reply(body=b"y" * (2 * 1024 * 1024)))
    http = HttpClient(retries=0, max_bytes=1024 * 1024)
    assert http.get(f"{api.url}/gz", what="test").body == b"hello " * 100
    with pytest.raises(ScholarpageError, match="decompressed response is over"):
        http.get(f"{api.url}/bomb", what="test")
    with pytest.raises(ScholarpageError, match="over the 1 MB limit"):
        http.get(f"{api.url}/big", what="test")


def test_nothing_is_fetched_when_the_site_is_broken(
    api: RecordedAPI, make_site: SiteFactory
) -> None:
    site = make_site(site_yaml="bibliography: [content/papers.bib\n")
    result = run("import", "dblp", "e/AdaExample", "--api-url", api.url, cwd=site)
    user_error(result, "site.yaml", "YAML syntax error")
    assert api.requests == []


def test_a_bib_saved_during_the_import_is_not_overwritten(
    api: RecordedAPI, make_site: SiteFactory
) -> None:
    site = make_site()
    bib = site / "content" / "papers.bib"
    edited = bib.read_text(encoding="utf-8") + "@misc{typed, title = {Typed meanwhile}}\n"

    def save(request: Request) -> None:
        bib.write_text(edited, encoding="utf-8")

    api.on_request = save
    api.add("/pid/e/AdaExample.bib", Reply(body=fixture("dblp_pid_e_AdaExample.bib")))
    result = run("import", "dblp", "e/AdaExample", "--api-url", api.url, cwd=site)
    user_error(result, "the file changed while importing")
    assert bib.read_text(encoding="utf-8") == edited
    assert no_temp_files(bib.parent)


def test_ctrl_c_during_an_import_leaves_the_bib_unchanged(
    api: RecordedAPI, make_site: SiteFactory
) -> None:
    api.add("/pid/e/AdaExample.bib", Reply(stall=True))
    site = make_site()
    bib = site / "content" / "papers.bib"
    before = bib.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "import", "dblp", "e/AdaExample", "--api-url", api.url],
        cwd=site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert api.stalled.wait(60), "the import never reached the server"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert bib.read_bytes() == before
    assert sorted(p.name for p in bib.parent.iterdir()) == ["papers.bib", "profile.yaml"]


def test_a_progress_line_on_a_terminal(api: RecordedAPI, make_site: SiteFactory) -> None:
    page1 = fixture("openalex_works_A5023888391_page1.json")
    cursor = json.loads(page1)["meta"]["next_cursor"]
    api.add("/works", Reply(body=page1, content_type=JSON), match=lambda q: q["cursor"] == ["*"])
    api.add(
        "/works",
        Reply(body=fixture("openalex_works_A5023888391_page2.json"), content_type=JSON),
        match=lambda q: q["cursor"] == [cursor],
    )
    site = make_site(bib="")
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "import",
            "openalex",
            "A5023888391",
            "--api-url",
            api.url,
        ],
        cwd=site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read()
    assert proc.returncode == 0
    assert b"7 new" in out
    assert b"OpenAlex [############............] 5/10" in seen
    assert b"OpenAlex [########################] 10/10" in seen
    assert b"\r" in seen


def test_a_backoff_counts_toward_the_rate_interval(api: RecordedAPI) -> None:
    api.add("/a", Reply(body=b"first"))
    api.add("/b", Reply(503, b""), Reply(body=b"second"))
    fake = FakeTime()
    http = client(fake, backoff=1.0)
    assert http.get(f"{api.url}/a", what="arXiv", interval=3.0).body == b"first"
    assert http.get(f"{api.url}/b", what="arXiv", interval=3.0).body == b"second"
    # 3 s after the first request; the failed one then waits 1 s of backoff and the 2 s left
    assert fake.sleeps == [3.0, 1.0, 2.0] and len(api.requests) == 3
