"""Save-to-screen latency of `scholarpage serve`, measured in headless Chromium.

For the example site (this repository, copied to a temp dir) and a generated 1,000-paper site:
start `python -m generator serve`, open the page, then repeatedly change one paper title in the
.bib (atomic save, like an editor) and time from just before the save to the moment the new title
is in the page (a MutationObserver stamps it; both clocks are the same machine's wall clock).
Goals (issue 12): example <= 100 ms, 1,000 papers <= 300 ms (median).

    python benchmarks/serve_bench.py [--runs 9] [--papers 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WORDS = tuple(
    [
        "efficient",
        "scalable",
        "training",
        "molecular",
        "dynamics",
        "pipeline",
        "sparse",
        "attention",
        "quantum",
        "graph",
        "neural",
        "network",
        "parallel",
        "learning",
        "potentials",
        "exascale",
        "mixture",
        "experts",
    ]
)

# Installs the promise on window: evaluate() would wait for a returned promise right away.
OBSERVER = """(marker) => { window.__benchShown = new Promise((resolve) => {
  const seen = () => document.body && document.body.innerText.includes(marker);
  if (seen()) { resolve(performance.timeOrigin + performance.now()); return; }
  const obs = new MutationObserver(() => {
    if (seen()) {
      obs.disconnect();
      requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
    }
  });
  obs.observe(document.documentElement, {childList: true, subtree: true, characterData: true});
}); }"""


def big_site(root: Path, papers: int) -> str:
    """A site with `papers` arXiv-style entries; returns the title the benchmark edits."""
    rng = random.Random(1)
    (root / "content").mkdir(parents=True)
    (root / "content/profile.yaml").write_text("name: Alice Example\naffiliation: Example U\n")
    entries = []
    for i in range(papers):
        title = " ".join(rng.choice(WORDS) for _ in range(8)).title() + f" {i}"
        abstract = " ".join(rng.choice(WORDS) for _ in range(90))
        entries.append(
            f"@article{{paper{i},\n  title = {{{title}}},\n"
            "  author = {Alice Example and Bob Jones and Carol Li and others},\n"
            f"  date = {{20{10 + i % 16}-{1 + i % 12:02d}-{1 + i % 28:02d}}},\n"
            f"  archivePrefix = {{arXiv}}, eprint = {{2401.{i:05d}}}, primaryClass = {{cs.LG}},\n"
            f"  score = {{{rng.uniform(30, 90):.1f}}},\n"
            "  abstract = {We show $O(n \\log n)$ speedups of $1.5\\times$ --- "
            f"{abstract}}},\n}}\n"
        )
    (root / "content/papers.bib").write_text("\n".join(entries))
    (root / "site.yaml").write_text(
        "title: Alice Example\nbase_url: https://alice.github.io/profile/\n"
        "bibliography: [content/papers.bib]\n"
        "paper_badges: [{field: score, label: Score, decimals: 1}]\ntoday: 2026-11-28\n"
    )
    return entries[0].split("title = {", 1)[1].split("}", 1)[0]


def example_site(root: Path) -> str:
    root.mkdir(parents=True)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copytree(REPO / "content", root / "content")
    return "Efficient Pipeline Parallel Training"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def save(path: Path, text: str) -> None:
    side = path.with_name(path.name + ".swp")
    side.write_text(text, encoding="utf-8")
    os.replace(side, path)


def measure(browser: Any, site: Path, title: str, runs: int) -> tuple[list[float], list[float]]:
    """Save-to-shown times, and the server's own rebuild times (from its "Built ... ms" lines)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(site), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []))
    reader.start()
    context = browser.new_context()
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("Serving ") for line in lines):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("serve did not start:\n" + "".join(lines))
            time.sleep(0.05)
        url = next(line for line in lines if line.startswith("Serving ")).split(" at ")[1]
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url.split()[0])
        bib = site / "content" / "papers.bib"
        text = bib.read_text(encoding="utf-8")
        current = title
        times = []
        for run in range(runs):
            marker = f"{title} v{run}"
            builds = sum(line.startswith("Built ") for line in lines)
            page.evaluate(OBSERVER, marker)
            time.sleep(0.3)  # idle between saves, as a person would be
            start = time.time()
            text = text.replace(current, marker, 1)
            save(bib, text)
            shown = page.evaluate("() => window.__benchShown") / 1000
            times.append(shown - start)
            current = marker
            deadline = time.monotonic() + 60
            while sum(line.startswith("Built ") for line in lines) <= builds:
                if time.monotonic() > deadline:
                    raise SystemExit("no rebuild reported:\n" + "".join(lines))
                time.sleep(0.02)
        builds_ms = [
            float(line.split(" in ", 1)[1].split(" ms", 1)[0])
            for line in lines
            if line.startswith("Built ")
        ][1:]
        return times, [ms / 1000 for ms in builds_ms]
    finally:
        context.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join()
        proc.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--papers", type=int, default=1000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            cases = [
                ("example site", example_site, 0.1),
                (f"{args.papers}-paper site", lambda r: big_site(r, args.papers), 0.3),
            ]
            for i, (name, make, goal) in enumerate(cases):
                root = Path(tmp) / f"site{i}"
                title = make(root)
                print(f"{name}:")
                times, rebuilds = measure(browser, root, title, args.runs)
                median = statistics.median(times)
                print(
                    f"  save -> shown: median {median * 1000:.0f} ms, "
                    f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                    f"over {len(times)} saves (goal <= {goal * 1000:.0f} ms: "
                    f"{'met' if median <= goal else 'NOT met'})\n"
                    f"  of which the server's rebuild: median "
                    f"{statistics.median(rebuilds) * 1000:.0f} ms"
                )
        finally:
            browser.close()


if __name__ == "__main__":
    main()
