"""scholarpage against Hugo, side by side on the same papers (run by hand, not in CI).

    python benchmarks/hugo_bench.py [--sizes 10,1000,10000] [--repeats 3] [--keep DIR]

Both tools build the same synthetic papers (benchmarks/build_bench.py's generator: realistic
~1,100-character abstracts with math, accents and emphasis) into the same files: a page and a
.bib per paper, the index page listing every paper with its abstract, the whole bibliography as
one .bib, a 404 page and the theme's CSS. scholarpage reads one papers.bib; Hugo reads one
Markdown file per paper (front matter + the abstract as body), as Hugo academic sites do.

Every build is a new process, timed whole (interpreter start-up included), as a user runs it:
    cold       no output, no cache (scholarpage: no .scholarpage-cache; Hugo: no public/,
               resources/ or cache dir)
    no-change  the same build again, output and cache present
    one-edit   one paper's title changed (atomic save), then built
    next-edit  the same again: the second edit in a row (what a writing session repeats)
Builds are paired and interleaved (scholarpage, Hugo, then Hugo, scholarpage in the next round)
so load from other users of the machine falls on both; each figure is the median over rounds and
each ratio the median of the paired ratios. Peak memory is the larger of the process's own peak
resident set (wait4) and the peak of its process tree's summed proportional set sizes, sampled
every 20 ms (a forked worker pool counts whole, its shared pages once), for both tools alike.
Python's bytecode cache is enabled for the child processes (as in any installed package), kept
in a private folder.

Hugo is installed with apt-get when missing (`hugo` from Debian: 0.111 on bookworm).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.build_bench import SITE_YAML, SynthPaper, synthetic_papers  # noqa: E402

KINDS = ("cold", "no-change", "one-edit", "next-edit")
# the targets: scholarpage's time (or memory) over Hugo's
TARGETS = {"cold": 1.0, "no-change": 0.25, "one-edit": 0.25, "next-edit": 0.25}
SCHOLARPAGE = "scholarpage"
HUGO = "hugo"

HUGO_CONFIG = """\
baseURL: https://example.org/
title: Bench
languageCode: en
disableKinds: [taxonomy, term, RSS, sitemap, section]
disablePathToLower: true
buildFuture: true
enableRobotsTXT: true
outputs:
  home: [html, bib]
  page: [html, bib]
mediaTypes:
  text/x-bibtex:
    suffixes: [bib]
outputFormats:
  bib:
    mediaType: text/x-bibtex
    baseName: cite
    isPlainText: true
    notAlternative: true
"""

_BIB_ENTRY = """\
@article{{ "{" }}{{ .Params.key }},
  title = {{ "{" }}{{ .Title }}{{ "}" }},
  author = {{ "{" }}{{ delimit .Params.authors " and " }}{{ if .Params.et_al }} and others\
{{ end }}{{ "}" }},
  date = {{ "{" }}{{ .Date.Format "2006-01-02" }}{{ "}" }},
  primaryClass = {{ "{" }}{{ .Params.category }}{{ "}" }},
  archivePrefix = {arXiv},
  eprint = {{ "{" }}{{ .Params.eprint }}{{ "}" }},
  citations = {{ "{" }}{{ .Params.citations }}{{ "}" }},
  score = {{ "{" }}{{ .Params.score }}{{ "}" }},
  abstract = {{ "{" }}{{ trim .RawContent "\\n" }}{{ "}" }},
}
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{ block "title" . }}{{ site.Title }}{{ end }}</title>
<link rel="icon" href="{{ "favicon.svg" | relURL }}" type="image/svg+xml">
<link rel="stylesheet" href="{{ "assets/style.css" | relURL }}">
{{ block "head" . }}{{ end }}
</head>
<body>
<header class="site-header"><nav><a href="{{ "" | relURL }}">{{ site.Title }}</a>
<a href="{{ "cite.bib" | relURL }}">BibTeX</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer class="site-footer"><p>&copy; {{ now.Year }} Weile Jia</p></footer>
<script src="{{ "assets/site.js" | relURL }}" defer></script>
</body>
</html>
""",
    "partials/card.html": """\
<article class="paper">
<p class="meta"><span class="pill">{{ .Params.score }}</span>
<span class="chip">{{ .Params.category }}</span>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "Jan 2, 2006" }}</time></p>
<h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p class="authors">{{ delimit (first 3 .Params.authors) ", " }}\
{{ if or .Params.et_al (gt (len .Params.authors) 3) }} et al.{{ end }}</p>
<div class="abstract">{{ .Content }}</div>
</article>
""",
    "index.html": """\
{{ define "main" }}
<h1>Weile Jia</h1>
{{ $papers := where site.RegularPages "Section" "papers" }}
<p class="badges">{{ len $papers }} papers</p>
<h2>{{ len $papers }} Papers</h2>
{{ range $papers.ByDate.Reverse }}{{ partial "card.html" . }}{{ end }}
{{ end }}
""",
    "_default/single.html": """\
{{ define "title" }}{{ .Title }} | {{ site.Title }}{{ end }}
{{ define "head" }}
<meta name="description" content="{{ .Summary | plainify | truncate 300 }}">
<link rel="alternate" type="application/x-bibtex" title="BibTeX" href="cite.bib">
<meta name="citation_title" content="{{ .Title }}">
{{ range .Params.authors }}<meta name="citation_author" content="{{ . }}">
{{ end }}<meta name="citation_publication_date" content="{{ .Date.Format "2006/01/02" }}">
<meta name="citation_arxiv_id" content="{{ .Params.eprint }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:type" content="article">
{{ end }}
{{ define "main" }}
<article class="paper-page">
<h1>{{ .Title }}</h1>
<p class="authors">{{ delimit .Params.authors ", " }}{{ if .Params.et_al }} et al.{{ end }}</p>
<p class="meta"><span class="chip">{{ .Params.category }}</span>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "Jan 2, 2006" }}</time>
<span>{{ .Params.citations }} citations</span></p>
<p class="links"><a href="https://arxiv.org/abs/{{ .Params.eprint }}">arXiv</a>
<a href="https://arxiv.org/pdf/{{ .Params.eprint }}">PDF</a> <a href="cite.bib">BibTeX</a></p>
<h2>Abstract</h2>
<div class="abstract">{{ .Content }}</div>
</article>
{{ end }}
""",
    "404.html": """\
{{ define "main" }}<h1>Page not found</h1><p><a href="{{ "" | relURL }}">Home</a></p>{{ end }}
""",
    "_default/single.bib.bib": _BIB_ENTRY,
    "index.bib.bib": (
        '{{ range (where site.RegularPages "Section" "papers").ByDate.Reverse }}'
        + _BIB_ENTRY
        + "{{ end }}"
    ),
}


@dataclass(frozen=True)
class Run:
    """One build process: wall time, CPU time (user + system) and peak memory."""

    seconds: float
    cpu: float
    peak_mb: float


def ensure_hugo() -> str:
    """Hugo's path, installing Debian's package first when it is missing."""
    found = shutil.which("hugo")
    if found is None:
        print("hugo not found: apt-get install -y hugo", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "hugo"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("hugo")
    if found is None:
        raise SystemExit("hugo is still not on PATH after apt-get install")
    return found


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of `pid` and its descendants, in KiB (0 once it is gone): pages
    shared by a forked pool count once in the sum, as they are once in memory."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    todo.extend(int(kid) for kid in kids.read().split())
        except (OSError, ValueError):
            continue
    return total


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run one build to its end; a failed build stops the benchmark with its error output."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        peak_kb = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_kb
            while not done.wait(0.02):
                peak_kb = max(peak_kb, _tree_pss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                + errors.read().decode(errors="replace")
            )
    peak = max(peak_kb, usage.ru_maxrss)
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak / 1024)


def _save(path: Path, text: str) -> None:
    """Replace `path` atomically, as an editor saves."""
    side = path.with_name(f".{path.name}.swp")
    side.write_text(text, encoding="utf-8")
    os.replace(side, path)


def _front_matter(paper: SynthPaper) -> str:
    # JSON scalars are YAML: every string is quoted and escaped the same way
    fields = {
        "title": paper.title,
        "date": paper.date,
        "key": paper.key,
        "authors": list(paper.authors),
        "et_al": paper.et_al,
        "category": paper.category,
        "eprint": paper.eprint,
        "citations": paper.citations,
        "score": paper.score,
    }
    lines = [f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


class Site:
    """One tool's copy of the papers: how to build it, clean it and edit one paper."""

    def __init__(self, tool: str, root: Path, papers: list[SynthPaper]) -> None:
        self.tool = tool
        self.root = root
        self.papers = papers
        self.edits = 0
        if tool == SCHOLARPAGE:
            (root / "content").mkdir(parents=True)
            (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
            (root / "content" / "profile.yaml").write_text("name: Weile Jia\n", encoding="utf-8")
            self._write_bib()
        else:
            (root / "content" / "papers").mkdir(parents=True)
            (root / "config.yaml").write_text(HUGO_CONFIG, encoding="utf-8")
            (root / "content" / "_index.md").write_text("---\ntitle: Bench\n---\n", "utf-8")
            for paper in papers:
                self._write_md(paper)
            for name, text in HUGO_LAYOUTS.items():
                target = root / "layouts" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            static = root / "static" / "assets"
            static.mkdir(parents=True)
            theme = REPO / "themes" / "scholar" / "static"
            for name in ("style.css", "site.js"):
                shutil.copy(theme / name, static / name)
            (root / "static" / "favicon.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"></svg>\n', "utf-8"
            )

    def _write_bib(self) -> None:
        text = "\n".join(paper.bibtex() for paper in self.papers)
        _save(self.root / "content" / "papers.bib", text)

    def _write_md(self, paper: SynthPaper) -> None:
        path = self.root / "content" / "papers" / f"{paper.key}.md"
        _save(path, _front_matter(paper) + "\n" + paper.abstract + "\n")

    def command(self, hugo: str) -> list[str]:
        if self.tool == SCHOLARPAGE:
            return [sys.executable, "-m", "generator", "-q", "build", str(self.root)]
        cache = str(self.root / ".hugo_cache")
        return [hugo, "--quiet", "--source", str(self.root), "--cacheDir", cache]

    def paper_files(self) -> tuple[int, int]:
        """How many paper pages and paper .bib files the last build wrote (a check that both
        tools do the same work)."""
        out = self.root / ("_site" if self.tool == SCHOLARPAGE else "public") / "papers"
        files = [p.name for p in out.glob("*/*")]
        return files.count("index.html"), sum(name.endswith(".bib") for name in files)

    def clean(self) -> None:
        """Remove every output and cache, for a cold build."""
        names = ("_site", ".scholarpage-cache", "public", "resources", ".hugo_cache")
        for name in names:
            shutil.rmtree(self.root / name, ignore_errors=True)

    def edit(self) -> None:
        """Change the title of the paper in the middle, a new title each time."""
        self.edits += 1
        i = len(self.papers) // 2
        old = self.papers[i]
        self.papers[i] = SynthPaper(
            old.key,
            f"{old.title.split(' (rev', 1)[0]} (rev {self.edits})",
            old.authors,
            old.et_al,
            old.date,
            old.category,
            old.eprint,
            old.citations,
            old.score,
            old.abstract,
        )
        if self.tool == SCHOLARPAGE:
            self._write_bib()
        else:
            self._write_md(self.papers[i])


def child_env(pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def measure_size(
    n: int, base: Path, repeats: int, hugo: str, env: dict[str, str]
) -> dict[str, dict[str, list[Run]]]:
    """Paired, interleaved builds of `n` papers: runs by tool and kind."""
    papers = synthetic_papers(n)
    sites = {
        SCHOLARPAGE: Site(SCHOLARPAGE, base / f"scholarpage-{n}", list(papers)),
        HUGO: Site(HUGO, base / f"hugo-{n}", list(papers)),
    }
    for site in sites.values():  # warm the page cache and Python's bytecode cache
        run(site.command(hugo), REPO, env)
        built = site.paper_files()
        if built != (n, n):
            raise SystemExit(f"{site.tool} built {built} paper pages and .bib files, not {n}")
    runs: dict[str, dict[str, list[Run]]] = {t: {k: [] for k in KINDS} for t in sites}
    prepare: dict[str, Callable[[Site], None]] = {
        "cold": Site.clean,
        "no-change": lambda site: None,
        "one-edit": Site.edit,
        "next-edit": Site.edit,
    }
    for round_ in range(repeats):
        order = [SCHOLARPAGE, HUGO] if round_ % 2 == 0 else [HUGO, SCHOLARPAGE]
        for kind in KINDS:
            for tool in order:
                site = sites[tool]
                prepare[kind](site)
                runs[tool][kind].append(run(site.command(hugo), REPO, env))
    return runs


def _ratio(ours: list[float], theirs: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def example_site(base: Path, repeats: int, env: dict[str, str]) -> tuple[float, float]:
    """Whole-process cold and no-change builds of this repository's example site."""
    root = base / "example"
    root.mkdir()
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copytree(REPO / "content", root / "content")
    cmd = [sys.executable, "-m", "generator", "-q", "build", str(root)]
    run(cmd, REPO, env)
    cold, warm = [], []
    for _ in range(repeats):
        shutil.rmtree(root / "_site")
        shutil.rmtree(root / ".scholarpage-cache", ignore_errors=True)
        cold.append(run(cmd, REPO, env).seconds)
        warm.append(run(cmd, REPO, env).seconds)
    return statistics.median(cold), statistics.median(warm)


def floors(repeats: int, env: dict[str, str]) -> tuple[float, float]:
    """Python's bare start-up, and start-up plus importing the build pipeline."""
    bare = [run([sys.executable, "-c", "pass"], REPO, env).seconds for _ in range(repeats)]
    imports = [
        run([sys.executable, "-c", "import generator.cli, generator.build"], REPO, env).seconds
        for _ in range(repeats)
    ]
    return statistics.median(bare), statistics.median(imports)


def report(
    results: dict[int, dict[str, dict[str, list[Run]]]],
    example: tuple[float, float],
    floor: tuple[float, float],
) -> list[str]:
    out = [
        "| papers | build | scholarpage | Hugo | ratio | target |",
        "|---|---|---|---|---|---|",
    ]
    for n, runs in results.items():
        ours, theirs = runs[SCHOLARPAGE], runs[HUGO]
        for kind in KINDS:
            a = [r.seconds for r in ours[kind]]
            b = [r.seconds for r in theirs[kind]]
            ratio = _ratio(a, b)
            mark = "met" if ratio <= TARGETS[kind] else "not met"
            out.append(
                f"| {n:,} | {kind} | {statistics.median(a):.2f} s | {statistics.median(b):.2f} s"
                f" | {ratio:.2f}x | <= {TARGETS[kind]}x {mark} |"
            )
        a_mb = [r.peak_mb for r in ours["cold"]]
        b_mb = [r.peak_mb for r in theirs["cold"]]
        ratio = _ratio(a_mb, b_mb)
        out.append(
            f"| {n:,} | peak memory (cold) | {statistics.median(a_mb):.0f} MB"
            f" | {statistics.median(b_mb):.0f} MB | {ratio:.2f}x | <= 1.0x"
            f" {'met' if ratio <= 1.0 else 'not met'} |"
        )
        a_cpu = [r.cpu for r in ours["cold"]]
        b_cpu = [r.cpu for r in theirs["cold"]]
        out.append(
            f"| {n:,} | CPU time (cold) | {statistics.median(a_cpu):.2f} s"
            f" | {statistics.median(b_cpu):.2f} s | {_ratio(a_cpu, b_cpu):.2f}x | |"
        )
    sizes = sorted(results)
    for small, big in itertools.pairwise(sizes):
        if small < 100:
            continue  # start-up dominates tiny sites: no growth to read
        steps = math.log2(big / small)
        for tool in (SCHOLARPAGE, HUGO):
            t_small = statistics.median(r.seconds for r in results[small][tool]["cold"])
            t_big = statistics.median(r.seconds for r in results[big][tool]["cold"])
            per = (t_big / t_small) ** (1 / steps)
            out.append(
                f"growth {small:,} -> {big:,} papers, cold, {tool}: {per:.2f}x per doubling"
                + (" (target <= 2x)" if tool == SCHOLARPAGE else "")
            )
    out.append(
        f"example site (10 papers), whole process: cold {example[0]:.3f} s, "
        f"no-change {example[1]:.3f} s (target <= 0.2 s)"
    )
    out.append(f"floor: python -c pass {floor[0]:.3f} s; importing the pipeline {floor[1]:.3f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--repeats", type=int, default=3, help="paired rounds per size (3)")
    parser.add_argument("--keep", type=Path, help="generate the sites here and keep them")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()
    hugo = ensure_hugo()
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip()
    base = args.keep or Path(tempfile.mkdtemp(prefix="hugo-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    env = child_env(base / "pycache")
    print(f"{version}; {os.cpu_count()} CPUs; load before: {_load()}", flush=True)
    try:
        results: dict[int, dict[str, dict[str, list[Run]]]] = {}
        for n in (int(s) for s in args.sizes.split(",")):
            for name in (f"scholarpage-{n}", f"hugo-{n}"):
                shutil.rmtree(base / name, ignore_errors=True)
            results[n] = measure_size(n, base, args.repeats, hugo, env)
            print(f"  {n:,} papers done; load: {_load()}", flush=True)
        shutil.rmtree(base / "example", ignore_errors=True)
        example = example_site(base, max(args.repeats, 5), env)
        floor = floors(max(args.repeats, 5), env)
        print(f"load after: {_load()}")
        print("\n".join(report(results, example, floor)))
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        str(n): {
                            tool: {kind: [vars(r) for r in rs] for kind, rs in kinds.items()}
                            for tool, kinds in runs.items()
                        }
                        for n, runs in results.items()
                    },
                    indent=1,
                ),
                encoding="utf-8",
            )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
