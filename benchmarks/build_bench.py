"""Build-time benchmark (run by hand): synthetic sites of 10, 1,000 and 10,000 papers.

    python benchmarks/build_bench.py [--sizes 10,1000,10000] [--keep DIR]

Each paper has a realistic ~1,100-character abstract with inline math, accents, dashes and
emphasis. Reports the cold build (fresh folder, no cache) and a no-change rebuild, plus peak RSS.
No assertions: the figures go in the issue note.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.incremental import build_site  # the `build` command's build: disk cache

_VOCABULARY = (
    "training distributed potential interatomic molecular dynamics scalable pipeline parallel "
    "accuracy efficiency throughput equivariant tensor graph neural network sparse attention "
    "long context scheduling heterogeneous benchmark memory bandwidth communication overhead "
    "supercomputer exascale foundation model invariant inference pruning quantization"
)
WORDS = tuple(_VOCABULARY.split())
SNIPPETS = (
    r"improves throughput by $1.51\times$ on average",
    r"with linear complexity $O(N \log N)$",
    r"reaching 24\% of theoretical peak",
    r"as shown by Schr{\"o}dinger and Poincar{\'e}",
    r"in \textit{ab initio} accuracy",
    r"the \textbf{first} such system",
    r"errors of $\mathcal{O}(h^2)$ --- and better",
    r"on {GPU} clusters (pp.~12--18)",
    r"for $\alpha \in [0, 1]$ and $\sum_i x_i^2 \leq \epsilon$",
)
CATEGORIES = ("cs.DC", "cs.LG", "physics.comp-ph", "cs.PF", "stat.ML")
NAMES = ("Hongyu Wang", "Siyu Hu", "Chen Wang", "Zoë Müller", "José Núñez", "Weile Jia",
         "Jiří Novák", "Ana Lúcia Sá")  # fmt: skip


def abstract(rng: random.Random) -> str:
    parts: list[str] = []
    length = 0
    while length < 1100:
        if rng.random() < 0.25:
            piece = rng.choice(SNIPPETS)
        else:
            piece = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        parts.append(piece)
        length += len(piece) + 2
    return ". ".join(parts).capitalize() + "."


@dataclass(frozen=True)
class SynthPaper:
    """One generated paper, so other benchmarks can write the same papers in their formats."""

    key: str
    title: str
    authors: tuple[str, ...]
    et_al: bool
    date: str
    category: str
    eprint: str
    citations: int
    score: str
    abstract: str

    def bibtex(self) -> str:
        authors = " and ".join(self.authors) + (" and others" if self.et_al else "")
        return (
            f"@article{{{self.key},\n  title = {{{self.title}}},\n"
            f"  author = {{{authors}}},\n  date = {{{self.date}}},\n"
            f"  primaryClass = {{{self.category}}},\n  archivePrefix = {{arXiv}},\n"
            f"  eprint = {{{self.eprint}}},\n  citations = {{{self.citations}}},\n"
            f"  score = {{{self.score}}},\n  abstract = {{{self.abstract}}},\n}}\n"
        )


def synthetic_papers(n: int) -> list[SynthPaper]:
    """The `n` papers of a benchmark site; the same `n` always gives the same papers."""
    rng = random.Random(n)
    papers = []
    for i in range(n):
        authors = tuple(rng.sample(NAMES, 4))
        title = f"Paper {i}: {' '.join(rng.sample(WORDS, 6))}"
        date = f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        category = rng.choice(CATEGORIES)
        citations = rng.randint(0, 300)
        score = f"{rng.uniform(30, 90):.1f}"
        papers.append(
            SynthPaper(
                f"paper{i}",
                title,
                authors,
                bool(i % 3),
                date,
                category,
                f"{2400 + i % 100}.{i:05d}",
                citations,
                score,
                abstract(rng),
            )
        )
    return papers


SITE_YAML = "title: Bench\ntoday: 2026-11-28\npaper_badges: [{field: score, label: Score}]\n"


def make_site(root: Path, n: int) -> None:
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    (root / "content" / "profile.yaml").write_text("name: Weile Jia\n", encoding="utf-8")
    entries = [paper.bibtex() for paper in synthetic_papers(n)]
    (root / "content" / "papers.bib").write_text("\n".join(entries), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--keep", type=Path, help="keep the generated sites here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="scholarpage-bench-"))
    print(f"{'papers':>8} {'cold s':>8} {'rebuild s':>10} {'pages':>7} {'peak RSS MB':>12}")
    for n in (int(s) for s in args.sizes.split(",")):
        site = base / f"site-{n}"
        if site.exists():
            shutil.rmtree(site)
        make_site(site, n)
        start = time.perf_counter()
        result = build_site(site)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        build_site(site)
        warm = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>8} {cold:>8.2f} {warm:>10.2f} {result.pages:>7} {rss:>12.0f}")
    if not args.keep:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
