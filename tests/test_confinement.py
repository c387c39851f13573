"""Every file the build reads is confined and bounded (issue 10 §1).

One table: each hostile case (an absolute path, `..`, /proc/self/environ, symlinks in and out, a
symlinked folder that leads out, a FIFO, /dev/zero, a folder, an oversized sparse file) against
each input (photo, a paper's pdf, site.yaml, profile.yaml, a bibliography, a page, a template
override, a theme static file). Files the site publishes must come from inside their folder;
inputs named in site.yaml may be read from anywhere, but only as regular, bounded files.

What must not leak is written outside the site folder (and put in the build's environment, for
/proc/self/environ) carrying a marker; every output is searched for it. Cases that would hang a
broken build (FIFO, device) run as a real `python -m generator build` with a timeout, so a hang
fails the test instead of wedging it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.build import build_site
from generator.errors import ScholarpageError
from generator.sources import (
    BIBTEX,
    PAGE,
    PHOTO,
    PUBLISHED,
    TEMPLATE,
    YAML,
    Kind,
    Refusal,
    publishable,
    read_input,
)
from tests.conftest import REPO, write_site

# real builds and server processes: several seconds each (see pyproject's markers)
pytestmark = pytest.mark.slow

MARKER = "LEAKED-c0ffee"  # in every file outside the site folder
ENV_MARKER = "ENVLEAK-5ec12e7"  # in the build's environment (/proc/self/environ)
INSIDE = "INSIDE-f00d"  # in files inside the site folder that may be used
EPOCH = {"SOURCE_DATE_EPOCH": "1795824000"}
HANG_TIMEOUT = 120  # seconds; only detects a hang, the builds take about a second


@dataclass(frozen=True)
class Target:
    """One input: where the hostile object goes, how a setting names it, what it holds."""

    name: str
    at: str  # path in the site folder of the file the case replaces
    kind: Kind
    payload: str  # valid content of this kind; {mark} is the marker
    setting: Callable[[Path, str], None] | None  # writes the setting naming the file
    where: str  # fragment locating the problem in the message
    confined: bool  # published (must stay inside its root) or only read
    root: str = "."  # the folder it must stay inside (relative to the site)


def _photo(site: Path, value: str) -> None:
    (site / "content/profile.yaml").write_text(f"name: Ada Example\nphoto: {json.dumps(value)}\n")


def _pdf(site: Path, value: str) -> None:
    bib = f"@misc{{x, title={{T}}, year={{2024}},\n  pdf={{{value}}}}}\n"
    (site / "content/papers.bib").write_text(bib)


def _bibliography(site: Path, value: str) -> None:
    (site / "site.yaml").write_text(f"today: 2026-11-28\nbibliography: [{json.dumps(value)}]\n")


def _profile(site: Path, value: str) -> None:
    (site / "site.yaml").write_text(f"today: 2026-11-28\nprofile: {json.dumps(value)}\n")


def _own_theme(site: Path, value: str) -> None:
    (site / "site.yaml").write_text("today: 2026-11-28\ntheme: mine\n")
    (site / "themes/mine").mkdir(parents=True, exist_ok=True)
    (site / "themes/mine/theme.yaml").write_text("name: mine\nparent: scholar\n")


TARGETS = {
    t.name: t
    for t in (
        Target(
            "photo",
            "content/files/me.jpg",
            PHOTO,
            "{mark}",
            _photo,
            "profile.yaml:2: photo: ",
            True,
        ),
        Target(
            "pdf",
            "files/paper.pdf",
            PUBLISHED,
            "%PDF {mark}",
            _pdf,
            "papers.bib:1: pdf: pdf ",
            True,
        ),
        Target("page", "content/pages/x.md", PAGE, "# {mark}\n", None, "pages/x.md: page ", True),
        Target(
            "template",
            "templates/index.html",
            TEMPLATE,
            "<!DOCTYPE html><title>t</title><p>{mark}</p>\n",
            None,
            "templates/index.html: template ",
            True,
        ),
        Target(
            "static",
            "themes/mine/static/extra.css",
            PUBLISHED,
            "/* {mark} */\n",
            _own_theme,
            "static/extra.css: published file ",
            True,
            root="themes/mine",
        ),
        Target(
            "bibliography",
            "content/bibs/extra.bib",
            BIBTEX,
            "@misc{{shared, title={{{mark}}}, year={{2024}}}}\n",
            _bibliography,
            "extra.bib: BibTeX file ",
            False,
        ),
        Target(
            "profile",
            "content/people/profile.yaml",
            YAML,
            "name: {mark}\n",
            _profile,
            "profile.yaml: profile ",
            False,
        ),
        Target(
            "site.yaml",
            "site.yaml",
            YAML,
            "today: 2026-11-28\ntitle: {mark}\n",
            None,
            "site.yaml",
            False,
        ),
    )
}


@dataclass(frozen=True)
class Case:
    """One hostile (or, for link_inside, benign) way to name or replace the file."""

    name: str
    make: Callable[[Path, Path, Target], str]  # (site, outside, target) -> value of the setting
    subprocess: bool  # run as a real CLI build with a timeout (could hang or needs the env)
    named_only: bool = False  # only for inputs a setting names by path


def _outside_file(outside: Path, target: Target) -> Path:
    path = outside / f"{target.name}-{Path(target.at).name}"
    path.write_text(target.payload.format(mark=MARKER))
    return path


def _absolute(site: Path, outside: Path, target: Target) -> str:
    return str(_outside_file(outside, target))


def _dotdot(site: Path, outside: Path, target: Target) -> str:
    return os.path.relpath(_outside_file(outside, target), site)


def _proc_environ(site: Path, outside: Path, target: Target) -> str:
    return "/proc/self/environ"


def _link(site: Path, target: Target, to: Path | str) -> str:
    at = site / target.at
    at.parent.mkdir(parents=True, exist_ok=True)
    at.unlink(missing_ok=True)
    at.symlink_to(to)
    return target.at


def _link_inside(site: Path, outside: Path, target: Target) -> str:
    real = site / target.root / "real" / Path(target.at).name
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text(target.payload.format(mark=INSIDE))
    return _link(site, target, real)


def _link_outside(site: Path, outside: Path, target: Target) -> str:
    return _link(site, target, _outside_file(outside, target))


def _link_proc(site: Path, outside: Path, target: Target) -> str:
    return _link(site, target, "/proc/self/environ")


def _link_hidden(site: Path, outside: Path, target: Target) -> str:
    secret = site / target.root / ".git" / "config"  # actions/checkout keeps the CI token here
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(target.payload.format(mark=MARKER))
    return _link(site, target, secret)


def _dirlink_outside(site: Path, outside: Path, target: Target) -> str:
    folder = outside / f"folder-{target.name}"
    folder.mkdir()
    (folder / Path(target.at).name).write_text(target.payload.format(mark=MARKER))
    at = site / target.at
    at.parent.parent.mkdir(parents=True, exist_ok=True)
    assert not at.parent.exists()
    at.parent.symlink_to(folder, target_is_directory=True)
    return target.at


def _fresh(site: Path, target: Target) -> Path:
    at = site / target.at
    at.parent.mkdir(parents=True, exist_ok=True)
    at.unlink(missing_ok=True)
    return at


def _fifo(site: Path, outside: Path, target: Target) -> str:
    os.mkfifo(_fresh(site, target))
    return target.at


def _dev_zero(site: Path, outside: Path, target: Target) -> str:
    return _link(site, target, "/dev/zero")


def _dev_zero_named(site: Path, outside: Path, target: Target) -> str:
    return "/dev/zero"


def _folder(site: Path, outside: Path, target: Target) -> str:
    _fresh(site, target).mkdir()
    return target.at


def _oversized(site: Path, outside: Path, target: Target) -> str:
    with _fresh(site, target).open("wb") as sparse:
        sparse.truncate(target.kind.limit + 1)  # a hole: no disk used
    return target.at


CASES = {
    c.name: c
    for c in (
        Case("absolute", _absolute, False, named_only=True),
        Case("dotdot", _dotdot, False, named_only=True),
        Case("proc_environ", _proc_environ, True, named_only=True),
        Case("dev_zero_named", _dev_zero_named, True, named_only=True),
        Case("link_inside", _link_inside, False),
        Case("link_outside", _link_outside, False),
        Case("link_proc", _link_proc, True),
        Case("link_hidden", _link_hidden, False),
        Case("dirlink_outside", _dirlink_outside, False),
        Case("fifo", _fifo, True),
        Case("dev_zero", _dev_zero, True),
        Case("folder", _folder, False),
        Case("oversized", _oversized, False),
    )
}

# why each case is refused, for files the site publishes (confined) and inputs it only reads
CONFINED_REASON = {
    "absolute": "is an absolute path, outside the site folder",
    "dotdot": "points outside the site folder",
    "proc_environ": "is an absolute path, outside the site folder",
    "dev_zero_named": "is an absolute path, outside the site folder",
    "link_outside": "(through a symlink)",
    "link_proc": "(through a symlink)",
    "link_hidden": "is hidden",
    "dirlink_outside": "(through a symlink)",
    "fifo": "is a named pipe (FIFO), not a regular file",
    "dev_zero": "(through a symlink)",
    "folder": "is a folder, not a file",
    "oversized": "limit for a",
}
READ_REASON = {
    "fifo": "is a named pipe (FIFO), not a regular file",
    "dev_zero": "is a device, not a regular file",
    "dev_zero_named": "is a device, not a regular file",
    "folder": "is a folder, not a file",
    "oversized": "limit for a",
}
# reading is not publishing: a file named in site.yaml may live anywhere (a shared .bib)
READ_ALLOWED = ("absolute", "dotdot", "link_outside", "link_hidden", "dirlink_outside")


def _expected(target: Target, case: Case) -> tuple[str, str] | None:
    """(outcome, reason fragment); outcome ok / error / warn; None: the pair does not apply."""
    if case.named_only and target.setting in (None, _own_theme):
        return None
    if case.name == "link_inside":
        return ("ok", "")
    if target.confined:
        if target.name == "static" and case.name == "folder":
            return ("ok", "")  # a folder in static/ is just a folder: nothing to copy
        return ("warn" if target.name == "pdf" else "error", CONFINED_REASON[case.name])
    if target.name == "site.yaml":
        if case.name in ("fifo", "dev_zero", "folder", "oversized"):
            return ("error", READ_REASON[case.name])
        return None
    if case.name in READ_ALLOWED:
        return ("ok", "")
    if case.name in READ_REASON:
        return ("error", READ_REASON[case.name])
    return None  # /proc/self/environ as a .bib or profile: the user named it; not a leak


PAIRS = [(t, c) for t in TARGETS.values() for c in CASES.values() if _expected(t, c) is not None]
TABLE = [pytest.param(t, c, id=f"{t.name}-{c.name}") for t, c in PAIRS]


def _snapshot(out: Path) -> dict[str, bytes]:
    if not out.is_dir():
        return {}
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def _cli_build(site: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **EPOCH, "PYTHONPATH": str(REPO), "CONFINE_TEST_SECRET": ENV_MARKER}
    return subprocess.run(
        [sys.executable, "-m", "generator", "build", str(site), "-o", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_TIMEOUT,
    )


def _build(site: Path, out: Path, cli: bool) -> tuple[int, str]:
    """(exit code, every message) of a build, in a subprocess or in this process."""
    if cli:
        result = _cli_build(site, out)
        assert "Traceback" not in result.stderr, result.stderr
        return result.returncode, result.stderr
    try:
        built = build_site(site, output=out, env=EPOCH)
    except ScholarpageError as exc:
        return 1, "\n".join("error: " + p.format() for p in exc.problems)
    return 0, "\n".join("warning: " + p.format() for p in built.warnings)


@pytest.mark.parametrize(("target", "case"), TABLE)
def test_every_input_is_confined_and_bounded(target: Target, case: Case, tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    assert _build(site, out, cli=False)[0] == 0  # the previous, good output
    before = _snapshot(out)
    if target.setting is not None:
        target.setting(site, target.at)
    value = case.make(site, outside, target)
    if target.setting is not None:
        target.setting(site, value)
    expected = _expected(target, case)
    assert expected is not None
    outcome, reason = expected

    code, messages = _build(site, out, case.subprocess)

    # site.yaml's paths are resolved when read (config.py), so a read input is reported at its
    # symlink's target
    devices = ("dev_zero_named", "dev_zero")
    resolved = case.name in devices and target.setting is not None and not target.confined
    where = "/dev/zero: " if resolved else target.where
    if outcome == "error":
        assert code == 1, messages
        assert where in messages and reason in messages, messages
        assert "tip: " in messages
        assert _snapshot(out) == before  # the previous output stays intact
        return
    assert code == 0, messages
    built = b"\0".join(_snapshot(out).values())
    if outcome == "warn":
        assert where in messages and reason in messages and "(no link is shown)" in messages
        assert b"files/paper.pdf" not in built.split(b"<pre")[0]
    if case.name == "link_inside":
        assert INSIDE.encode() in built, f"{target.name}: the file inside was not used"
    if target.confined:
        assert MARKER.encode() not in built
    elif case.name in READ_ALLOWED:
        assert MARKER.encode() in built  # read from outside, as the user asked
    assert ENV_MARKER.encode() not in built


def test_table_covers_every_input_and_case() -> None:
    """A refactoring of the table must not silently drop a pair that applies."""
    covered = {(t.name, c.name) for t, c in PAIRS}
    for name in ("photo", "pdf", "page", "template", "static"):
        for case in ("link_outside", "link_proc", "dirlink_outside", "fifo", "dev_zero"):
            assert (name, case) in covered
    for name in ("photo", "pdf", "bibliography", "profile"):
        assert (name, "absolute") in covered and (name, "dotdot") in covered
    for name in ("bibliography", "profile", "site.yaml"):
        assert (name, "fifo") in covered and (name, "oversized") in covered
    assert len(PAIRS) >= 75


def test_photo_error_is_located_in_the_cli(tmp_path: Path) -> None:
    """The issue's example: a photo read from /proc/self/environ, through the real CLI."""
    site = write_site(tmp_path / "site", profile="name: Ada\nphoto: /proc/self/environ\n")
    result = _cli_build(site, tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "content/profile.yaml:2: photo: /proc/self/environ is an absolute path" in result.stderr
    assert "tip: put the file in the site folder, e.g. content/files/me.jpg" in result.stderr
    assert not (tmp_path / "out").exists()


def test_photo_may_not_replace_a_theme_asset(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        profile="name: Ada\nphoto: content/style.css\n",
        files={"content/style.css": "body{}"},
    )
    with pytest.raises(ScholarpageError, match=r"would replace the theme's own assets/style\.css"):
        build_site(site, output=tmp_path / "out", env=EPOCH)


def test_strict_refuses_an_unpublishable_paper_file(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", bib="@misc{x, title={T}, pdf={.git/config}}\n")
    (site / ".git").mkdir()
    (site / ".git/config").write_text(MARKER)
    result = _cli_build(site, tmp_path / "out", "--strict")
    assert result.returncode == 1, result.stderr
    assert "pdf is hidden" in result.stderr and "(--strict)" in result.stderr


def test_hidden_and_backup_static_files_are_skipped(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    _own_theme(site, "")
    static = site / "themes/mine/static"
    (static / ".hidden").mkdir(parents=True)
    (static / ".hidden/a.css").write_text(MARKER)
    (static / "~backup.css").write_text(MARKER)
    (static / "ok.css").write_text(INSIDE)
    out = tmp_path / "out"
    build_site(site, output=out, env=EPOCH)
    assert (out / "assets/ok.css").read_text() == INSIDE
    assert MARKER.encode() not in b"".join(_snapshot(out).values())


def test_editor_lock_files_are_not_pages(tmp_path: Path) -> None:
    """Emacs leaves `.#name.md`, a dangling symlink, beside a page being edited."""
    site = write_site(tmp_path / "site", files={"content/pages/about.md": "# About\n"})
    (site / "content/pages/.#about.md").symlink_to("ada@host.1234:1700000000")
    out = tmp_path / "out"
    build_site(site, output=out, env=EPOCH)
    assert (out / "about/index.html").is_file()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "is not a valid path"),
        ("content/a\0b.jpg", "is not a valid path"),
        ("/etc/passwd", "is an absolute path"),
        ("~/me.jpg", "names a home folder"),
        ("~root/me.jpg", "names a home folder"),
        ("..", "points outside"),
        ("content/../../x.jpg", "points outside"),
        (".", "is a folder"),
        ("content", "is a folder"),
        (".env", "is hidden"),
        ("content/.secret/me.jpg", "is hidden"),
        ("content/missing.jpg", "does not exist"),
        ("content/me.jpg/x", "does not exist"),
        ("content/loop.jpg", "is a symlink loop"),
    ],
)
def test_publishable_refusals(tmp_path: Path, path: str, reason: str) -> None:
    site = write_site(tmp_path / "site", files={"content/me.jpg": "jpg"})
    (site / "content/loop.jpg").symlink_to("loop.jpg")
    found = publishable(site, path, PHOTO)
    assert isinstance(found, Refusal), found
    assert found.reason.startswith(reason) or reason in found.reason, found.reason
    assert found.hint


def test_publishable_accepts_what_stays_inside(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", files={"content/files/me.jpg": "jpg"})
    (site / "content/x").mkdir()
    (site / "content/alias.jpg").symlink_to("files/me.jpg")
    (site / "shortcut").symlink_to("content/files", target_is_directory=True)
    real = (site / "content/files/me.jpg").resolve()
    for path in ("content/files/me.jpg", "./content/files/me.jpg", "content/x/../files/me.jpg"):
        assert publishable(site, path, PHOTO) == real, path
    assert publishable(site, "content/alias.jpg", PHOTO) == real
    assert publishable(site, "shortcut/me.jpg", PHOTO) == real
    # the site folder itself may be reached through a symlink
    (tmp_path / "via").symlink_to(site, target_is_directory=True)
    assert publishable(tmp_path / "via", "content/alias.jpg", PHOTO) == real


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    """A file the build may not read is refused by name. Root reads every file whatever its
    mode (CI runs as root), so the check runs in a child process whose capabilities to bypass
    file modes are dropped (util-linux's setpriv, part of every Debian system)."""
    site = write_site(tmp_path / "site", files={"content/me.jpg": "jpg"})
    (site / "content/me.jpg").chmod(0)
    check = (
        "import sys\n"
        "from pathlib import Path\n"
        "from generator.errors import ScholarpageError\n"
        "from generator.sources import PHOTO, Refusal, publishable, read_input\n"
        "site = Path(sys.argv[1])\n"
        "found = publishable(site, 'content/me.jpg', PHOTO)\n"
        "assert isinstance(found, Refusal) and 'permission denied' in found.reason, found\n"
        "try:\n"
        "    read_input(site / 'content/me.jpg', PHOTO)\n"
        "except ScholarpageError as exc:\n"
        "    assert 'permission denied' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('an unreadable file was read')\n"
    )
    command = [sys.executable, "-c", check, str(site)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv is not None, "setpriv (util-linux) is needed to drop root's file access"
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_read_input_stops_at_the_limit_of_a_file_that_lies_about_its_size() -> None:
    """/proc files report size 0: only the bounded read stops them, one byte past the limit."""
    tiny = Kind("test file", 16, "tip")
    assert os.stat("/proc/self/environ").st_size == 0
    with pytest.raises(ScholarpageError, match="over the 16 bytes limit for a test file"):
        read_input(Path("/proc/self/environ"), tiny)


def test_read_input_reads_a_regular_file_whole(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)  # more than one read chunk
    path = tmp_path / "a.bin"
    path.write_bytes(data)
    assert read_input(path, PUBLISHED) == data
    exact = Kind("exact", len(data), "tip")
    assert read_input(path, exact) == data
    with pytest.raises(ScholarpageError, match="over the"):
        read_input(path, Kind("smaller", len(data) - 1, "tip"))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "photo not found"),
        (lambda p: p.mkdir(), "photo is a folder, not a file"),
        (lambda p: os.mkfifo(p), "photo is a named pipe (FIFO)"),
        (lambda p: p.symlink_to("/dev/null"), "photo is a device"),
        (lambda p: p.symlink_to(p.name), "photo is a symlink loop"),
    ],
)
def test_read_input_refusals_name_the_file(
    tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "input"
    make(path)
    with pytest.raises(ScholarpageError) as caught:
        read_input(path, PHOTO)
    problem = caught.value.problems[0]
    assert problem.file == path and problem.hint
    assert str(caught.value).startswith(f"{path}: {message}")


def test_limits_are_the_documented_ones() -> None:
    mb = 1024 * 1024
    assert (PHOTO.limit, BIBTEX.limit, YAML.limit) == (20 * mb, 200 * mb, 10 * mb)
    assert (PAGE.limit, TEMPLATE.limit, PUBLISHED.limit) == (10 * mb, 2 * mb, 100 * mb)
