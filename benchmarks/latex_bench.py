"""Time ``generator.latex.convert`` on real abstracts and titles (run by hand, prints figures).

    python benchmarks/latex_bench.py [--corpus DIR] [--repeat N]

Reads every abstract and title from the .bib files of the shared corpus (pybtex, lenient mode),
adds synthetic ~1,100-character abstracts with math and accents, and reports the mean time per
value and per 10,000 abstracts. The goal is < 0.2 ms mean per abstract.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.latex import convert

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "bib"

_SENTENCES = [
    r"We present a scalable method for {GPU} clusters that reaches 1.51$\times$ and "
    r"1.45$\times$ speedups over the state of the art.",
    r"The algorithm runs in $O(N \log N)$ time and uses $O(\sqrt{E})$ extra memory.",
    r"Experiments on Cu$_2$O films grown at 300~K show a band gap of 2.1\,eV.",
    r"Following Erd\H{o}s and R\'enyi, we study random graphs $G(n,p)$ with $p = c/n$.",
    r"Our results hold for {\em all} $\alpha \in (0, 1]$ --- a substantial improvement.",
    r"Jos\'e, Fran\c{c}ois and J\"urgen built the \emph{JanusPipe} system in Z\"urich.",
    r"The error decays as $10^{-3}$ per step, see \url{https://example.org/paper}.",
    r"This is ``surprising'' since prior work (pp.~12--34) assumed $\epsilon < 0.1$.",
    r"Na\"ive pipelines waste 50\% of the \textbf{bandwidth} in the all-to-all phase.",
    r"We release the code under an open licence and discuss limitations in Section~5.",
]
# Plain prose: real arXiv abstracts have about one formula each (api/arxiv_atom_2026 sample:
# 0.95 per 1,237 characters), so the "realistic" set mixes these in.
_PLAIN = [
    "Large language models are increasingly deployed on commodity hardware with limited memory.",
    "We evaluate the approach on three public benchmarks and a production workload.",
    "The design separates scheduling from execution, which simplifies fault tolerance.",
    "Compared with prior systems, our method needs no changes to user code or data layout.",
    "An ablation study shows that each component contributes to the overall improvement.",
    r"Prior work by M\"uller and Garc\'ia focused on single-node settings.",
]


def synthetic_abstracts(count: int, seed: int = 7, plain_share: float = 0.0) -> list[str]:
    """~1,100-character abstracts mixing prose, math, accents and markup.

    With ``plain_share=0`` every sentence has LaTeX (~14 formulas per abstract, a worst case);
    0.75 gives ~3 formulas per abstract, still three times the arXiv average."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 1100:
            pool = _PLAIN if rng.random() < plain_share else _SENTENCES
            parts.append(rng.choice(pool))
        out.append(" ".join(parts))
    return out


def corpus_values(corpus: Path) -> tuple[list[str], list[str]]:
    """All abstracts and titles in the corpus, parsed by pybtex in lenient mode."""
    import pybtex.errors
    from pybtex.database.input.bibtex import Parser

    pybtex.errors.set_strict_mode(False)
    abstracts: list[str] = []
    titles: list[str] = []
    for path in sorted(corpus.rglob("*.bib")):
        raw = path.read_bytes()
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            source = raw.decode("latin-1")
        try:
            with pybtex.errors.capture():  # lenient-mode warnings are collected, not printed
                data = Parser().parse_string(source)
        except Exception as exc:  # a broken file should not stop the benchmark
            print(f"skip {path.name}: {exc}", file=sys.stderr)
            continue
        for entry in data.entries.values():
            fields = entry.fields
            if "abstract" in fields:
                abstracts.append(str(fields["abstract"]))
            if "title" in fields:
                titles.append(str(fields["title"]))
    return abstracts, titles


def time_values(values: list[str], repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` total seconds for converting every value once, and its mean per value."""
    totals = []
    for _ in range(repeat):
        start = time.process_time()  # CPU time: the build machine is often busy
        for value in values:
            convert(value)
        totals.append(time.process_time() - start)
    best = min(totals)
    return best, best / max(len(values), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=2000)
    args = parser.parse_args()

    abstracts, titles = corpus_values(args.corpus) if args.corpus.is_dir() else ([], [])
    heavy = synthetic_abstracts(args.synthetic)
    realistic = synthetic_abstracts(args.synthetic, plain_share=0.75)
    groups = {
        "corpus abstracts": abstracts,
        "corpus titles": titles,
        "synthetic, ~3 formulas each": realistic,
        "synthetic, ~14 formulas each": heavy,
        "corpus + synthetic(~3) abstracts": abstracts + realistic,
    }
    print(f"{'set':38} {'n':>7} {'chars':>6} {'math':>5} {'mean us':>9} {'per 10k':>9}")
    for name, values in groups.items():
        if not values:
            continue
        _total, mean = time_values(values, args.repeat)
        chars = statistics.mean(len(v) for v in values)
        maths = statistics.mean(v.count("$") / 2 for v in values)
        print(
            f"{name:38} {len(values):7d} {chars:6.0f} {maths:5.1f} {mean * 1e6:9.1f}"
            f" {mean * 1e4:8.2f}s"
        )
    # The slowest single values, to see what is expensive.
    worst = []
    for value in abstracts + titles:
        start = time.perf_counter()
        convert(value)
        worst.append((time.perf_counter() - start, value))
    worst.sort(reverse=True)
    print("slowest corpus values:")
    for seconds, value in worst[:5]:
        print(f"  {seconds * 1e6:8.0f} us  {value[:90]!r}")


if __name__ == "__main__":
    main()
