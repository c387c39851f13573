"""Interrupted builds: real `python -m generator build` processes stopped mid-write by SIGINT,
SIGTERM and SIGKILL. The previous output must survive byte for byte, and after one more build
nothing of the interrupted ones may be left beside the output; a running build's folder and
folders that only look like ours must survive every cleanup."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.cache import CACHE_DIR_NAME
from generator.locking import lock
from generator.output import (
    LOCK,
    LOCK_TEXT,
    MARKER,
    MARKER_TEXT,
    claim_folder,
    remove_dead_folders,
    remove_leftovers,
    staging_prefix,
)
from tests.conftest import REPO, write_site

# real builds and server processes: several seconds each (see pyproject's markers)
pytestmark = pytest.mark.slow

PAPERS = 2000
HANG = 600.0  # seconds: only to stop a hung build, never a measure of speed
SOURCES = {"site.yaml", "content", CACHE_DIR_NAME}


def _bib(papers: int, title: str) -> str:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    entries = []
    for i in range(papers):
        abstract = " ".join(words[(i * 7 + j) % len(words)] for j in range(80))
        entries.append(
            f"@article{{p{i},\n  title = {{{title} {i} with $x_{{{i}}}$ and \\'etude}},\n"
            f"  author = {{Example, Ada and Other{i}, Bob}},\n  year = {{{2000 + i % 25}}},\n"
            f"  journal = {{J. Examples}},\n  abstract = {{{abstract}}},\n}}\n"
        )
    return "".join(entries)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SOURCE_DATE_EPOCH": "1795824000",
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
    }


def _start(site: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "-q", "build", str(site), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _build(site: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "-q", "build", str(site), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG,
    )


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _staging(site: Path) -> list[Path]:
    return sorted(site.glob(staging_prefix(site / "_site") + "*"))


def _wait_mid_write(site: Path, build: subprocess.Popen[str]) -> Path:
    """Poll until the build is writing its staging folder (index written, papers begun)."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        for folder in _staging(site):
            if (folder / "site" / "papers").is_dir():
                return folder
        if build.poll() is not None:
            raise AssertionError(f"the build ended before it was interrupted: {build.stderr}")
        time.sleep(0.002)
    build.kill()
    raise AssertionError("the build never started writing")


def _debris(site: Path) -> set[str]:
    """Whatever is beside the output that is neither a source nor the output."""
    return set(os.listdir(site)) - SOURCES - {"_site"}


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    return write_site(root / "site", bib=_bib(PAPERS, "Paper number"))


def test_sigint_sigterm_sigkill_keep_the_previous_output_and_leave_no_debris(
    big_site: Path, env: dict[str, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    write_site(site, bib=(big_site / "content" / "papers.bib").read_text(encoding="utf-8"))
    first = _build(site, env)
    assert first.returncode == 0, first.stderr
    before = _digest(site / "_site")
    assert len(before) > 2 * PAPERS
    # a build that finished would change every paper page: the output shows it did not
    bib = site / "content" / "papers.bib"
    bib.write_text(_bib(PAPERS, "Renamed paper"), encoding="utf-8")

    for sig in (signal.SIGINT, signal.SIGTERM):
        build = _start(site, env)
        _wait_mid_write(site, build)
        build.send_signal(sig)
        _out, err = build.communicate(timeout=HANG)
        assert build.returncode == 130, (sig, err)
        assert "interrupted" in err and "Traceback" not in err
        assert _digest(site / "_site") == before, sig
        assert _debris(site) == set(), sig  # cleaned on the way out, no later build needed

    build = _start(site, env)
    staging = _wait_mid_write(site, build)
    build.kill()
    build.communicate(timeout=HANG)
    assert build.returncode == -signal.SIGKILL
    assert _digest(site / "_site") == before
    assert staging.is_dir() and (staging / LOCK).read_bytes() == LOCK_TEXT  # no finally ran

    # the next build stops at a content error (strict: an unknown macro) and cleans up anyway
    bib.write_text(bib.read_text(encoding="utf-8") + "@misc{u, title={\\unknownmacro{x}}}\n")
    failed = _build(site, env, "--strict")
    assert failed.returncode == 1 and "unknownmacro" in failed.stderr, failed.stderr
    assert _debris(site) == set()
    assert _digest(site / "_site") == before
    assert not [p for p in (site / CACHE_DIR_NAME).iterdir() if p.name.startswith(".tmp-")]

    done = _build(site, env)
    assert done.returncode == 0, done.stderr
    after = _digest(site / "_site")
    assert after != before and len(after) == len(before) + 2  # the new paper's page and .bib
    assert "Renamed paper 7 " in (site / "_site" / "papers" / "p7" / "index.html").read_text(
        encoding="utf-8"
    )
    assert _debris(site) == set()


@pytest.fixture
def make_site_with_output(tmp_path: Path, env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    site = write_site(tmp_path / "site")
    built = _build(site, env)
    assert built.returncode == 0, built.stderr
    return site, _digest(site / "_site")


_CRASH_MID_SWAP = """
import os, signal, sys
from pathlib import Path
from generator.output import claim_folder, staging_prefix
out = Path(sys.argv[1])
claimed = claim_folder(out.parent, staging_prefix(out))
(claimed.path / "site").mkdir()
(claimed.path / "site" / "half.html").write_text("half")
out.rename(claimed.path / "old")  # the previous output swapped out, the new not yet in
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_between_the_two_renames_puts_the_previous_output_back(
    make_site_with_output: tuple[Path, dict[str, str]], env: dict[str, str]
) -> None:
    site, before = make_site_with_output
    crash = subprocess.run(
        [sys.executable, "-c", _CRASH_MID_SWAP, str(site / "_site")], env=env, timeout=HANG
    )
    assert crash.returncode == -signal.SIGKILL
    assert not (site / "_site").exists() and len(_staging(site)) == 1
    (site / "content" / "papers.bib").write_text("@misc{u, title={\\unknownmacro{x}}}\n")
    failed = _build(site, env, "--strict")
    assert failed.returncode == 1, failed.stderr
    assert _digest(site / "_site") == before
    assert _debris(site) == set()


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Path]:
    """A staging folder whose lock this test process holds, as a running build would."""
    site = tmp_path / "site"
    site.mkdir()
    claimed = claim_folder(site, staging_prefix(site / "_site"))
    (claimed.path / "site").mkdir()
    (claimed.path / "site" / "index.html").write_text("being written")
    yield claimed.path
    claimed.release()
    assert not claimed.path.exists()


def test_a_running_builds_folder_is_left_alone(
    held_lock: Path, env: dict[str, str], tmp_path: Path
) -> None:
    site = write_site(tmp_path / "site")
    built = _build(site, env)
    assert built.returncode == 0, built.stderr
    assert (held_lock / "site" / "index.html").read_text() == "being written"
    assert _debris(site) == {held_lock.name}
    # in this process too: flock locks belong to open files, so a second open cannot take it
    assert remove_dead_folders(site, staging_prefix(site / "_site")) == 0
    assert held_lock.is_dir()


def test_a_second_build_does_not_destroy_a_running_one(big_site: Path, env: dict[str, str]) -> None:
    site = big_site
    slow = _start(site, env)
    staging = _wait_mid_write(site, slow)
    # the first thing a second build does, while the first one is writing
    assert remove_leftovers(site / "_site") == 0
    assert staging.is_dir() or slow.poll() == 0
    # and a whole build of the same site meanwhile (its own output: this one's stays checkable)
    quick = _build(site, env, "-o", str(site.parent / "elsewhere"))
    assert quick.returncode == 0, quick.stderr
    _out, err = slow.communicate(timeout=HANG)
    assert slow.returncode == 0, err
    assert not staging.exists()
    assert _debris(site) == set()
    concurrent = _digest(site / "_site")
    alone = _build(site, env)
    assert alone.returncode == 0, alone.stderr
    assert _digest(site / "_site") == concurrent  # complete, as a build on its own makes it


def _dead_pid() -> int:
    """The PID of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    return int(done.stdout)


_DIE_HOLDING = """
import os, signal, sys
from pathlib import Path
from generator.output import claim_folder, staging_prefix

out = Path(sys.argv[1])
claimed = claim_folder(out.parent, staging_prefix(out))
(claimed.path / "site" / "papers").mkdir(parents=True)
(claimed.path / "site" / "papers" / "x.html").write_text("x")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_only_our_dead_folders_are_removed(
    make_site_with_output: tuple[Path, dict[str, str]], env: dict[str, str], tmp_path: Path
) -> None:
    site, before = make_site_with_output
    out = site / "_site"
    token = "0123456789abcdef"
    dead, dead2, dead3 = _dead_pid(), _dead_pid(), _dead_pid()
    died = subprocess.run([sys.executable, "-c", _DIE_HOLDING, str(out)], env=env, timeout=HANG)
    assert died.returncode == -signal.SIGKILL and len(_staging(site)) == 1

    def folder(name: str, files: dict[str, bytes]) -> Path:
        path = site / name
        path.mkdir()
        for rel, data in files.items():
            (path / rel).write_bytes(data)
        return path

    elsewhere = folder("elsewhere", {LOCK: LOCK_TEXT, "keep.txt": b"mine"})
    foreign = [
        folder(f"._site.staging-1-{token}", {"notes.txt": b"no lock: not provably ours"}),
        folder(f"._site.staging-2-{token}", {LOCK: b"someone else's lock\n", "a": b"a"}),
        folder("._site.staging-3-short", {LOCK: LOCK_TEXT, "a": b"a"}),
        folder(f"._site.staging-4-{token}.bak", {LOCK: LOCK_TEXT, "a": b"a"}),
        folder(f".other.staging-5-{token}", {LOCK: LOCK_TEXT, "a": b"a"}),
        folder(f"._site.old-{dead}", {MARKER: b"not our marker text", "a": b"a"}),
        folder(f"._site.staging-{dead}", {"index.html": b"no marker: not complete, not ours"}),
        folder(f"._site.staging-{os.getpid()}", {MARKER: MARKER_TEXT}),  # a live PID
        folder(f"._site.staging-6-{token}", {}),
    ]
    (foreign[-1] / LOCK).symlink_to(elsewhere / LOCK)  # a link is never our lock file
    link = site / f"._site.staging-7-{token}"
    link.symlink_to(elsewhere, target_is_directory=True)
    plain = site / f"._site.staging-8-{token}"
    plain.write_bytes(b"a file")
    legacy = [
        folder(f"._site.staging-{dead2}", {MARKER: MARKER_TEXT, "i.html": b"1"}),
        folder(f"._site.old-{dead3}", {MARKER: MARKER_TEXT, "i.html": b"0"}),
    ]
    if any(Path(f"/proc/{pid}").exists() for pid in (dead, dead2, dead3)):
        pytest.skip("the dead PIDs were reused meanwhile")
    snapshot = {p.name: _digest(p) for p in foreign}

    built = _build(site, env)
    assert built.returncode == 0, built.stderr
    assert _digest(out) == before
    assert {p.name: _digest(p) for p in foreign} == snapshot
    assert link.is_symlink() and plain.read_bytes() == b"a file"
    assert (elsewhere / LOCK).read_bytes() == LOCK_TEXT and (elsewhere / "keep.txt").is_file()
    left = {p.name for p in foreign} | {link.name, plain.name, elsewhere.name}
    assert _debris(site) == left  # the killed build's folder and the complete legacy ones went
    assert not any(p.exists() for p in legacy)


def test_leftover_cache_temp_files_go_unless_a_save_holds_them(
    tmp_path: Path, env: dict[str, str]
) -> None:
    site = write_site(tmp_path / "site")
    cache = site / CACHE_DIR_NAME
    cache.mkdir()
    dead = cache / ".tmp-killed01.json"
    dead.write_bytes(b'{"fingerprint": "half written')
    held = cache / ".tmp-writing.json"
    held.write_bytes(b"{")
    other = cache / "notes.json"
    other.write_bytes(b"user file")
    with held.open("rb") as handle:
        assert lock(handle.fileno(), wait=True)
        built = _build(site, env)
        assert built.returncode == 0, built.stderr
        assert held.exists()
    assert not dead.exists() and other.read_bytes() == b"user file"
    assert {p.name for p in cache.iterdir()} == {
        "CACHEDIR.TAG",
        "bibtex-blocks.json",
        "latex.json",
        held.name,
        other.name,
    }


def _wait_for(check: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + HANG
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"serve exited before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_killed_previews_folder_is_removed_by_the_next_preview(
    tmp_path: Path, env: dict[str, str]
) -> None:
    site = write_site(tmp_path / "site")
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = [sys.executable, "-m", "generator", "serve", str(site), "--port", "0"]

    def serve() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "TMPDIR": str(temp)},
        )

    def built() -> list[Path]:
        return [p for p in temp.iterdir() if (p / "site" / "index.html").is_file()]

    first = serve()
    _wait_for(lambda: bool(built()), first, "the first build")
    first.kill()
    first.communicate(timeout=HANG)
    (killed,) = built()
    second = serve()
    _wait_for(lambda: built() != [killed] and bool(built()), second, "the second build")
    assert not killed.exists()
    second.send_signal(signal.SIGTERM)
    out, err = second.communicate(timeout=HANG)
    assert second.returncode == 0 and "Stopped." in out, err
    assert list(temp.iterdir()) == []
