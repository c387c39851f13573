"""Cold and cached build times of a real bibliography (run by hand, prints figures).

    python benchmarks/bibtex_bench.py [BIB] [--repeat N]

Default BIB: ../shared/corpus/bib/beebe_tugboat.bib (4,839 entries). Writes a throwaway site
(site.yaml, profile.yaml, the .bib) to a temporary folder and reports, for `read_papers` alone
and for the whole build of the `build` command (incremental.build_site, per-paper pages
included): a cold run (no on-disk cache) and cached runs (the cache written by the cold run).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.bibtex import read_papers
from generator.cache import CACHE_DIR_NAME
from generator.errors import Warnings
from generator.incremental import PaperReader, build_site
from generator.model import BibSource

DEFAULT_BIB = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "corpus"
    / "bib"
    / "beebe_tugboat.bib"
)


def _timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bib", nargs="?", type=Path, default=DEFAULT_BIB)
    parser.add_argument("--encoding", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.bib.is_file():
        sys.exit(f"not found: {args.bib}")
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        (site / "content").mkdir(parents=True)
        shutil.copy(args.bib, site / "content" / "papers.bib")
        enc = f", encoding: {args.encoding}" if args.encoding else ""
        (site / "site.yaml").write_text(
            f"today: 2026-11-28\nbibliography:\n  - {{path: content/papers.bib{enc}}}\n",
            encoding="utf-8",
        )
        (site / "content" / "profile.yaml").write_text("name: Bench Mark\n", encoding="utf-8")
        cache = site / CACHE_DIR_NAME
        source = (BibSource(site / "content" / "papers.bib", args.encoding),)
        count = len(read_papers(source, (), Warnings()))

        def read(cache_dir: Path | None) -> None:
            """As a new process would: the plain stage, or through the disk cache."""
            if cache_dir is None:
                read_papers(source, (), Warnings())
            else:
                PaperReader(cache_dir).read(source, (), Warnings())

        print(f"{args.bib.name}: {count} papers")
        cold_read = _timed(lambda: read(None))
        print(
            f"read_papers, no cache:      {cold_read:6.2f} s  ({count / cold_read:,.0f} entries/s)"
        )
        shutil.rmtree(cache, ignore_errors=True)
        read(cache)
        warm = [_timed(lambda: read(cache)) for _ in range(args.repeat)]
        print(
            f"read_papers, cached:        {statistics.median(warm):6.2f} s  "
            f"(median of {args.repeat})"
        )
        shutil.rmtree(cache, ignore_errors=True)
        cold_build = _timed(lambda: build_site(site))
        print(f"build_site, cold cache:     {cold_build:6.2f} s")
        builds = [_timed(lambda: build_site(site)) for _ in range(args.repeat)]
        pages = len(list((site / "_site" / "papers").glob("*/index.html")))
        print(
            f"build_site, cached:         {statistics.median(builds):6.2f} s  "
            f"(median of {args.repeat}; {pages} paper pages)"
        )


if __name__ == "__main__":
    main()
