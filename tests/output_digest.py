"""Digest of every built file of the example site, the fixture sites and each shared corpus file.

A refactoring must leave the output byte-identical. Run this before and after and compare:

    python tests/output_digest.py > /tmp/before.json      # on the old commit
    python tests/output_digest.py --compare /tmp/before.json   # on the new one

Each site is built cold (a fresh copy, no cache) with a fixed reference date. Exit status 1 when
`--compare` finds a difference (the differing files are listed), 0 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator.build import build_site  # noqa: E402
from generator.errors import ScholarpageError  # noqa: E402
from tests.test_corpus import CORPUS  # noqa: E402
from tests.test_corpus import _write_site as write_corpus_site  # noqa: E402

ENV = {"SOURCE_DATE_EPOCH": "1796083200"}  # 2026-12-01


def _digest(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _build(site: Path) -> dict[str, str]:
    try:
        result = build_site(site, env=ENV)
    except ScholarpageError as exc:
        return {"<error>": str(exc)}
    return _digest(result.out_dir)


def _copy_site(src: Path, tmp: Path) -> Path:
    dest = tmp / src.name
    shutil.copytree(
        src, dest, ignore=shutil.ignore_patterns("_site", ".scholarpage-cache", ".scholarpage*")
    )
    return dest


def _corpus_site(rel: str, tmp: Path) -> Path:
    """A site of one corpus file, as tests/test_corpus.py builds it."""
    root = tmp / rel.replace("/", "-")
    write_corpus_site(root, rel)
    return root


def collect(corpus: bool) -> dict[str, dict[str, str]]:
    """Build every site into a temporary folder; return {site: {path: sha256}}."""
    sites: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        example = tmp / "example"
        example.mkdir()
        for item in ("site.yaml", "content"):
            src = REPO / item
            if src.is_dir():
                shutil.copytree(src, example / item)
            else:
                shutil.copy2(src, example / item)
        sites["example"] = _build(example)
        for fixture in sorted((REPO / "tests" / "fixtures" / "sites").iterdir()):
            sites[f"fixture:{fixture.name}"] = _build(_copy_site(fixture, tmp))
        if corpus and CORPUS.is_dir():
            files = sorted(CORPUS.glob("*.bib")) + sorted(CORPUS.glob("fixtures/*.bib"))
            for f in files:
                rel = f.relative_to(CORPUS).as_posix()
                print(f"building {rel}", file=sys.stderr)
                site = _corpus_site(rel, tmp)
                sites[f"corpus:{rel}"] = _build(site)
                shutil.rmtree(site)
    return sites


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, help="a digest written earlier by this script")
    parser.add_argument("--no-corpus", action="store_true", help="skip the shared corpus")
    args = parser.parse_args()
    now = collect(not args.no_corpus)
    if args.compare is None:
        json.dump(now, sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    before: dict[str, dict[str, str]] = json.loads(args.compare.read_text(encoding="utf-8"))
    differ = 0
    sites = set(now) if args.no_corpus else set(before) | set(now)
    for site in sorted(sites):
        old, new = before.get(site, {}), now.get(site, {})
        for path in sorted(set(old) | set(new)):
            if old.get(path) != new.get(path):
                differ += 1
                state = "added" if path not in old else "removed" if path not in new else "changed"
                print(f"{site}: {path} {state}")
    files = sum(len(v) for v in now.values())
    print(f"{len(now)} sites, {files} files, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
