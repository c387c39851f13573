"""Hostile YAML in every YAML input (site.yaml, profile.yaml, theme.yaml, page front matter).

The build runs as a real `python -m generator build` subprocess; its timeout only detects a hang
(nothing asserts on elapsed time). Each refusal must be exit code 1 with file:line, no traceback,
and the previous output left as it was. Then the reader itself, in process: what it accepts
(merge keys, non-string keys, shared anchors) and the lines it reports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from generator.build import build_site
from generator.errors import ScholarpageError
from generator.yamlfile import ALIAS_BUDGET, MAX_DEPTH, parse_yaml, read_yaml
from tests.conftest import REPO

# real builds and server processes: several seconds each (see pyproject's markers)
pytestmark = pytest.mark.slow

SiteFactory = Callable[..., Path]
HANG = 20  # seconds: a build that takes longer is wedged (each answers in well under one)
EPOCH = {"SOURCE_DATE_EPOCH": "1795824000"}

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
# a: 10 nodes, b: 91, c: 820, d: 7,381: the first *d on line 5 passes the alias budget
LAUGHS_LINE = 5


def nested_mappings(levels: int) -> str:
    """`k0:` / `  k1:` / ... : the mapping at nesting level d starts on line d."""
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "leaf\n"


BIG = "9" * 5000


def page(front: str) -> str:
    return f"---\n{front}---\nHello.\n"


def run_build(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **EPOCH}
    try:
        return subprocess.run(
            [sys.executable, "-m", "generator", "build", str(site), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=HANG,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"build of {site} did not finish within {HANG} s (hang)")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


OWN_THEME = "name: mine\nparent: scholar\n"

# (id, file written, its text, fragments stderr must hold: file:line and what is wrong)
HOSTILE = [
    ("laughs-site", "site.yaml", LAUGHS, f"site.yaml:{LAUGHS_LINE}: aliases expand to too much"),
    (
        "laughs-profile",
        "content/profile.yaml",
        "name: Ada\n" + LAUGHS,
        f"profile.yaml:{LAUGHS_LINE + 1}: aliases expand to too much",
    ),
    (
        "laughs-front-matter",
        "content/pages/about.md",
        page(LAUGHS),
        f"about.md:{LAUGHS_LINE + 1}: aliases expand to too much",
    ),
    (
        "laughs-theme",
        "themes/mine/theme.yaml",
        OWN_THEME + LAUGHS,
        f"theme.yaml:{LAUGHS_LINE + 2}: aliases expand to too much",
    ),
    (
        "self-alias-site",
        "site.yaml",
        "today: 2026-11-28\ntheme_options: &x [*x]\n",
        "site.yaml:2: alias *x refers to a node that contains it",
    ),
    (
        "self-alias-profile-mapping",
        "content/profile.yaml",
        "name: Ada\nmetrics: &m\n  custom:\n    - *m\n",
        "profile.yaml:4: alias *m refers to a node that contains it",
    ),
    (
        "self-merge-front-matter",
        "content/pages/about.md",
        page("title: &t {<<: *t}\n"),
        "about.md:2: alias *t refers to a node that contains it",
    ),
    (
        "brackets-site",
        "site.yaml",
        "title: " + "[" * 20_000 + "\n",
        f"site.yaml:1: nested more than {MAX_DEPTH} levels deep",
    ),
    (
        "brackets-profile",
        "content/profile.yaml",
        "name: Ada\naliases: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "profile.yaml:2: nested more than",
    ),
    (
        "mappings-profile",
        "content/profile.yaml",
        nested_mappings(3000),
        f"profile.yaml:{MAX_DEPTH + 1}: nested more than",
    ),
    (
        "mappings-front-matter",
        "content/pages/about.md",
        page(nested_mappings(3000)),
        f"about.md:{MAX_DEPTH + 2}: nested more than",
    ),
    (
        "big-int-metric",
        "content/profile.yaml",
        f"name: Ada\nmetrics:\n  citations: {BIG}\n",
        "profile.yaml:3: integer too large (5,000 characters)",
    ),
    (
        "big-int-custom-metric",
        "content/profile.yaml",
        f"name: Ada\nmetrics:\n  custom:\n    - {{label: X, value: -{BIG}}}\n",
        "profile.yaml:4: integer too large",
    ),
    (
        "big-int-front-matter",
        "content/pages/about.md",
        page(f"title: About\nnav_order: {BIG}\n"),
        "about.md:3: integer too large",
    ),
    (
        "big-hex-site",
        "site.yaml",
        "max_authors: 0x" + "f" * 5000 + "\n",
        "site.yaml:1: integer too large",
    ),
    (
        "infinite-float-metric",
        "content/profile.yaml",
        "name: Ada\nmetrics:\n  custom:\n    - {label: X, value: 1.0e+999}\n",
        "profile.yaml:4: '1.0e+999' is not a finite number",
    ),
    (
        "nan-site",
        "site.yaml",
        "paper_badges: [{field: score, decimals: .nan}]\n",
        "site.yaml:1: '.nan' is not a finite number",
    ),
    (
        "duplicate-top-level",
        "site.yaml",
        "title: A\ntoday: 2026-11-28\ntitle: B\n",
        "site.yaml:3: key 'title' is given twice: at line 1 and at line 3",
    ),
    (
        "duplicate-nested",
        "content/profile.yaml",
        "name: Ada\nmetrics:\n  h_index: 3\n  citations: 5\n  h_index: 4\n",
        "profile.yaml:5: key 'h_index' is given twice: at line 3 and at line 5",
    ),
    (
        "duplicate-front-matter",
        "content/pages/about.md",
        page("title: A\nnav: true\ntitle: B\n"),
        "about.md:4: key 'title' is given twice: at line 2 and at line 4",
    ),
    (
        "duplicate-theme",
        "themes/mine/theme.yaml",
        OWN_THEME + "options:\n  n: {type: int, default: 1}\n  n: {type: str, default: x}\n",
        "theme.yaml:5: key 'n' is given twice: at line 4 and at line 5",
    ),
    (
        "duplicate-by-value",
        "site.yaml",
        "today: 2026-11-28\ntheme_options: {1: a, 0x1: b}\n",
        "site.yaml:2: key '0x1' (line 2) is the same key as '1' (line 2)",
    ),
    (
        "complex-key",
        "site.yaml",
        "today: 2026-11-28\n? [a, b]\n: x\n",
        "site.yaml:2: a key must be a single value",
    ),
    (
        "invalid-date",
        "site.yaml",
        "today: 2026-02-30\n",
        "site.yaml:1: invalid date '2026-02-30': day is out of range for month",
    ),
    (
        "escaped-nul",
        "site.yaml",
        'title: "Ada\\x00"\n',
        "site.yaml:1: text contains a control or invalid character (#x0000)",
    ),
    (
        "escaped-surrogate-front-matter",
        "content/pages/about.md",
        page('title: "\\ud800"\n'),
        "about.md:2: text contains a control or invalid character (#xd800)",
    ),
    (
        "python-tag",
        "site.yaml",
        "title: !!python/object/apply:os.system [echo]\n",
        "site.yaml:1: YAML error: could not determine a constructor for the tag",
    ),
    (
        "binary-tag",
        "content/profile.yaml",
        "name: !!binary QWRh\n",
        "profile.yaml:1: values tagged !!binary are not supported",
    ),
    (
        "duplicate-anchor",
        "site.yaml",
        "today: &d 2026-11-28\ntitle: &d T\n",
        "site.yaml:2: anchor &d is defined twice: at line 1 and at line 2",
    ),
    (
        "undefined-alias",
        "content/profile.yaml",
        "name: Ada\naffiliation: *uni\n",
        "profile.yaml:2: YAML error: found undefined alias 'uni'",
    ),
    (
        "control-character",
        "content/profile.yaml",
        "name: Ada\nbio: bell\x07\n",
        "profile.yaml:2: profile contains a control character (#x0007)",
    ),
]


@pytest.mark.parametrize(
    ("relpath", "text", "fragment"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_hostile_yaml_is_a_located_error(
    make_site: SiteFactory, relpath: str, text: str, fragment: str
) -> None:
    theme = "theme: mine\n" if relpath.startswith("themes/") else ""
    site = make_site(
        site_yaml=f"today: 2026-11-28\n{theme}",
        files={"themes/mine/theme.yaml": OWN_THEME, "content/pages/about.md": page("title: A\n")},
    )
    build_site(site, env=EPOCH)  # in process: the previous output the failed build must keep
    before = snapshot(site / "_site")
    assert "index.html" in before and "about/index.html" in before

    target = site / relpath
    target.write_bytes(text.encode("utf-8"))  # bytes: a \x07 must reach the file as it is
    result = run_build(site)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert fragment in result.stderr, result.stderr
    assert "tip:" in result.stderr
    assert snapshot(site / "_site") == before


def test_hostile_site_yaml_does_not_wedge_serve(make_site: SiteFactory, tmp_path: Path) -> None:
    """`serve` with a billion-laughs site.yaml reports the error, serves, and stops on Ctrl-C."""
    site = make_site(site_yaml=LAUGHS)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(site), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out: list[str] = []
    err: list[str] = []

    def collect(stream: IO[str] | None, into: list[str]) -> None:
        assert stream is not None
        for line in stream:
            into.append(line)

    readers = [
        threading.Thread(target=collect, args=(proc.stdout, out)),
        threading.Thread(target=collect, args=(proc.stderr, err)),
    ]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + HANG
        while not any(line.startswith("Serving ") for line in out):
            assert proc.poll() is None, "".join(out + err)
            assert time.monotonic() < deadline, f"serve did not start: {''.join(out + err)}"
            time.sleep(0.05)
        # the preview answers (there is no page yet, the first build failed): it is not wedged
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=HANG)
        assert missing.value.code == 404
        missing.value.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=HANG) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for reader in readers:
            reader.join(timeout=HANG)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    stderr = "".join(err)
    assert f"site.yaml:{LAUGHS_LINE}: aliases expand to too much data" in stderr
    assert "Traceback" not in stderr


# --- what must keep working ---------------------------------------------------------------

SCORED_BIB = "@article{one, title={A Paper}, author={Example, Ada}, year={2024}, score={63.256}}\n"


def test_merge_keys_and_anchors_keep_working(make_site: SiteFactory) -> None:
    site_yaml = (
        "today: 2026-11-28\n"
        "theme_options: &opts {keep_owner: true}\n"
        "paper_badges:\n"
        "  - &score {field: score, label: Score, decimals: 2}\n"
        "  - {<<: *score, field: citations, label: Cited}\n"
    )
    profile = (
        "name: Ada Example\n"
        "metrics:\n"
        "  custom:\n"
        "    - &metric {label: Novelty, value: 56, unit: '%'}\n"
        "    - {<<: *metric, label: Rigour, value: 71}\n"
    )
    site = make_site(site_yaml=site_yaml, profile=profile, bib=SCORED_BIB)
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    index = (site / "_site" / "index.html").read_text(encoding="utf-8")
    assert "63.26" in index  # decimals: 2 from the anchored badge
    assert "Novelty" in index and "Rigour" in index and "71%" in index


def test_merge_keys_in_a_long_file_stay_within_the_budget(tmp_path: Path) -> None:
    """The alias budget grows with the file: 3,000 items each merging a 5-value mapping (more
    than ALIAS_BUDGET nodes added in all) are an ordinary file, not an attack."""
    items = "".join(f"  - {{<<: *d, n: {i}}}\n" for i in range(3000))
    text = "defaults: &d {a: 1, b: 2}\nitems:\n" + items
    doc = parse_yaml(text, tmp_path / "x.yaml", what="x")
    assert len(doc.data["items"]) == 3000 and doc.data["items"][2999] == {"a": 1, "b": 2, "n": 2999}
    assert ALIAS_BUDGET < 3000 * 5


def test_non_string_keys_are_located_not_crashes(make_site: SiteFactory) -> None:
    site_yaml = "today: 2026-11-28\n1: x\nfalse: y\n~: z\n2024-01-01: d\n3.5: f\n"
    site = make_site(site_yaml=site_yaml)
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    for line, key in [(2, "1"), (3, "False"), (4, "None"), (5, "2024-01-01"), (6, "3.5")]:
        assert f"site.yaml:{line}: {key}: unknown key (ignored)" in result.stderr
    profile = run_build(make_site("p", profile="name: Ada\n2024: x\n"))
    assert profile.returncode == 1 and "profile.yaml:2: 2024: unknown key" in profile.stderr
    assert "Traceback" not in profile.stderr


def test_key_lines_walk_each_node_once(tmp_path: Path) -> None:
    """A node shared through aliases is located where it is written, not once per use."""
    text = "base: &b {x: 1, y: {z: 2}}\nuses: [*b, *b, *b]\nother: *b\n"
    doc = parse_yaml(text, tmp_path / "x.yaml", what="x")
    assert doc.data["uses"][2]["y"]["z"] == 2 and doc.data["other"] is doc.data["base"]
    assert doc.lines == {
        ("base",): 1,
        ("base", "x"): 1,
        ("base", "y"): 1,
        ("base", "y", "z"): 1,
        ("uses",): 2,
        ("uses", 0): 1,  # an alias item is located at its anchor
        ("uses", 1): 1,
        ("uses", 2): 1,
        ("other",): 3,
    }
    assert doc.line(("other", "y", "z")) == 3  # falls back to where the alias is used


def test_merged_keys_are_located(tmp_path: Path) -> None:
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n"
    doc = parse_yaml(text, tmp_path / "x.yaml", what="x")
    assert doc.data["item"] == {"x": 1, "y": 3}
    assert doc.line(("item", "y")) == 4  # the key that wins
    assert doc.line(("item", "x")) == 1  # where the merged value is written


def test_merge_chains_are_bounded(tmp_path: Path) -> None:
    def chain(n: int) -> str:
        links = "".join(f"a{i}: &a{i} {{<<: *a{i - 1}, k{i}: {i}}}\n" for i in range(1, n))
        return "a0: &a0 {x: 1}\n" + links

    assert len(parse_yaml(chain(MAX_DEPTH), tmp_path / "ok.yaml", what="x").data) == MAX_DEPTH
    with pytest.raises(ScholarpageError, match=r"x\.yaml:\d+: merge keys \(<<\) chained"):
        parse_yaml(chain(MAX_DEPTH + 5), tmp_path / "x.yaml", what="x")


def test_depth_limit_is_exact(tmp_path: Path) -> None:
    ok = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_yaml(f"k: {ok}\n", tmp_path / "x.yaml", what="x").data is not None
    with pytest.raises(ScholarpageError, match=r"x\.yaml:1: nested more than"):
        parse_yaml(f"k: [{ok}]\n", tmp_path / "x.yaml", what="x")


def test_reader_never_leaks_recursion_error(tmp_path: Path) -> None:
    """Even with little stack left, the reader answers with a ScholarpageError."""
    path = tmp_path / "deep.yaml"
    path.write_text("k: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    outcome: list[BaseException | object] = []

    def read() -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(120)
        try:
            outcome.append(read_yaml(path, what="deep"))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            sys.setrecursionlimit(limit)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=HANG)
    (result,) = outcome
    assert isinstance(result, ScholarpageError), repr(result)
    assert "too deeply nested" in str(result)


def test_front_matter_keeps_working(make_site: SiteFactory, tmp_path: Path) -> None:
    front = "title: &t Teaching\ndescription: *t\nnav_order: -5\n"
    site = make_site(files={"content/pages/teaching.md": page(front)})
    result = build_site(site, output=tmp_path / "out", env=EPOCH)
    html = (result.out_dir / "teaching" / "index.html").read_text(encoding="utf-8")
    assert "<title>Teaching" in html and 'content="Teaching"' in html
