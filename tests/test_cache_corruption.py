"""The build cache is not trusted: whatever `.scholarpage-cache/` holds (damaged, hand-edited,
forged with `<script>`, signed by another machine's key, written by a buggy writer of ours), the
build gives the output and warnings of a clean build, byte for byte, and raises nothing.

Every check builds a real site whose BibTeX exercises each cached shape: @string macros,
crossref, accents, math, links, persons of every form, and blocks whose problems are replayed
as warnings from the cache."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import bibtex, latex
from generator.cache import CACHE_DIR_NAME, KEY_NAME, Memo, fingerprint, key_path
from generator.incremental import build_site  # the `build` command's build: disk cache
from tests.conftest import write_site

ENV = {"SOURCE_DATE_EPOCH": "1795824000"}
BLOCKS, LATEX = "bibtex-blocks.json", "latex.json"
SCRIPT = "<script>alert(1)</script>"
BIB = r"""@string{jx = "J. Examples"}
@article{accents,
  title = {Caf\'e na\"ive --- \textbf{bold} \emph{em} $x^2 + \alpha$},
  author = {M{\"u}ller, J{\"o}rg and von Neumann, John and others},
  journal = jx, year = 2024, month = mar,
  abstract = {With \href{https://e.org}{a link} and 50\% of it, ``quoted''.},
}
@inproceedings{child, crossref = {parent}, title = {Child}, author = {Doe, J.}, pages = {1--2}}
@proceedings{parent, title = {Proc. of Things}, year = {2023}}
@misc{unknown, title = {Uses \frobnicate{x}}, editor = {family=Adler, given=Alfred}}
@misc{pct, title = {100% sure}, note = undefinedmacro}
@misc{dup, title = {One}, title = {Two}, author = {A, B, C, D}}
@misc{broken, title = {Broken, author = {A, B}
@article{after, title = {After the broken one}, year = 2020}
"""

Result = tuple[dict[str, str], tuple[str, ...]]


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This user's cache key lives here, not in the real home folder."""
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


def _build(site: Path) -> Result:
    result = build_site(site, env=ENV)
    files = {
        p.relative_to(result.out_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(result.out_dir.rglob("*"))
        if p.is_file()
    }
    return files, tuple(p.format() for p in result.warnings)


class Primed:
    """A site, its clean build's output and warnings, and the cache files that build wrote."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.cache = site / CACHE_DIR_NAME
        self.clean = _build(site)
        self.files = {name: (self.cache / name).read_bytes() for name in (BLOCKS, LATEX)}
        assert len(self.clean[0]) > 10 and len(self.clean[1]) == 6

    def items(self, name: str) -> dict[str, Any]:
        """The entries of a table as the clean build wrote them."""
        data = self.files[name]
        items = json.loads(data)["items"]
        assert isinstance(items, dict) and items
        return items

    def restore(self) -> None:
        for name, data in self.files.items():
            path = self.cache / name
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
            path.write_bytes(data)

    def put(self, name: str, data: bytes) -> None:
        self.restore()
        (self.cache / name).unlink()
        (self.cache / name).write_bytes(data)

    def sign(self, name: str, items: dict[str, Any], *, print_: str | None = None) -> None:
        """Write `items` as a table signed with the current key (what a buggy writer of ours,
        or another machine's scholarpage when the key is another, would leave)."""
        self.restore()
        (self.cache / name).unlink()
        memo = Memo(self.cache, name.removesuffix(".json"), print_ or fingerprint(), valid=_any)
        for key, value in items.items():
            memo.put(key, value)
        memo.save()

    def assert_clean(self) -> None:
        assert _build(self.site) == self.clean

    def assert_healed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The build after a bad cache rewrote it: the next one parses and converts nothing."""

        def forbidden(*args: object) -> None:
            raise AssertionError("cache miss after the cache was rewritten")

        with monkeypatch.context() as patch:
            patch.setattr(bibtex, "parse_block", forbidden)
            patch.setattr(latex, "convert", forbidden)
            self.assert_clean()


def _any(value: Any) -> bool:
    return True


@pytest.fixture
def primed(tmp_path: Path) -> Primed:
    return Primed(write_site(tmp_path / "site", bib=BIB))


def test_a_warm_build_uses_the_cache_and_equals_the_clean_build(
    primed: Primed, monkeypatch: pytest.MonkeyPatch
) -> None:
    primed.assert_healed(monkeypatch)  # i.e. the intact cache is used at all
    for name, data in primed.files.items():
        assert re.match(rb'\{"fingerprint":"[0-9a-f]{64}","mac":"[0-9a-f]{64}","items":\{', data)
        assert json.loads(data)["items"], name


def _damaged(data: bytes) -> list[bytes]:
    head = data.index(b'"items":') + len(b'"items":')
    legacy = json.dumps({"fingerprint": fingerprint(), "items": json.loads(data)["items"]})
    return [
        b"",
        data[: len(data) // 2],
        data[:-1],
        data + b"x",
        data[:head] + b"3}",
        data[:head] + b"[]}",
        data[:head] + b"\xff\xfe" + data[head:],
        b"\x00{not json",
        b'{"items": 3}',
        b"[" * 100_000 + b"]" * 100_000,
        data[:head] + b"[" * 100_000 + b"]" * 100_000 + b"}",
        legacy.encode(),  # the unsigned format of earlier versions
        data.replace(b'"mac":"', b'"mac":"0', 1),
        re.sub(rb'"mac":"[0-9a-f]{64}"', b'"mac":"' + b"0" * 64 + b'"', data),
    ]


@pytest.mark.parametrize("name", [BLOCKS, LATEX])
def test_damaged_files_are_a_miss_and_are_rewritten(
    primed: Primed, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for data in _damaged(primed.files[name]):
        primed.put(name, data)
        primed.assert_clean()
        assert (primed.cache / name).read_bytes() == primed.files[name]
        primed.assert_healed(monkeypatch)


@pytest.mark.parametrize("name", [BLOCKS, LATEX])
def test_odd_file_types_are_a_miss_and_never_hang(primed: Primed, name: str) -> None:
    path = primed.cache / name
    elsewhere = primed.site.parent / "elsewhere.json"
    elsewhere.write_bytes(primed.files[name])
    makers: list[Callable[[], None]] = [
        lambda: os.mkfifo(path),  # opening it to read would wait for a writer forever
        lambda: path.symlink_to("/dev/zero"),  # reading it would never end
        lambda: path.symlink_to(elsewhere),  # a link is not our file, however well formed
        lambda: path.mkdir(),
    ]
    for make in makers:
        primed.restore()
        path.unlink()
        make()
        primed.assert_clean()
    assert elsewhere.read_bytes() == primed.files[name]


_BAD_CONVERSIONS: list[Any] = [
    3,
    "x",
    [],
    ["<b>x</b>"],
    ["h", "t", [], False],
    ["h", "t", [], False, False, "extra"],
    [1, "t", [], False, False],
    ["h", None, [], False, False],
    ["h", "t", "\\m", False, False],
    ["h", "t", [3], False, False],
    ["h", "t", [], 0, False],
    ["h", "t", [], False, None],
    {"html": "x"},
]


def _bad_blocks(real: dict[str, Any]) -> list[Any]:
    person = ["a", "", "b", ""]
    return [
        3,
        [],
        {},
        {k: v for k, v in real.items() if k != "fields"},
        {**real, "extra": 1},
        {**real, "type": 5},
        {**real, "key": ["k"]},
        {**real, "fields": [["title", "x"]]},
        {**real, "fields": {"title": 5}},
        {**real, "persons": {"author": [["a", "b", "c"]]}},
        {**real, "persons": {"author": [person, "x"]}},
        {**real, "persons": {"editor": "x"}},
        {**real, "persons": {"translator": [person]}},
        {**real, "problems": [[True, "m", "h"]]},
        {**real, "problems": [["1", "m", "h"]]},
        {**real, "problems": [[1, "m"]]},
        {**real, "problems": {"1": "m"}},
        {**real, "macro": ["jx", "J. Examples"]},  # a macro from a block that is no @string
        {**real, "type": "string", "macro": ["jx"]},
        {**real, "type": "string", "macro": [1, 2]},
    ]


@pytest.mark.parametrize("scope", ["every entry", "one entry"])
def test_entries_of_the_wrong_shape_signed_with_our_key_are_a_miss(
    primed: Primed, scope: str
) -> None:
    """A writer of ours with a bug (or an older one with the same fingerprint) is caught by the
    shape check, the authentication notwithstanding."""
    cases: list[tuple[str, Callable[[str, Any], list[Any]]]] = [
        (LATEX, lambda key, real: _BAD_CONVERSIONS),
        (BLOCKS, lambda key, real: _bad_blocks(real)),
    ]
    for name, bad_values in cases:
        items = primed.items(name)
        first = next(iter(items))
        for index in range(len(bad_values(first, items[first]))):
            changed = {
                key: bad_values(key, real)[index]
                if scope == "every entry" or key == first
                else real
                for key, real in items.items()
            }
            primed.sign(name, changed)
            primed.assert_clean()


def _with_html(items: dict[str, Any], html: str) -> dict[str, Any]:
    return {key: [html, *value[1:]] for key, value in items.items()}


def test_script_in_a_forged_cache_is_never_emitted(
    primed: Primed, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = primed.items(LATEX)
    forged = _with_html(items, SCRIPT)
    data = primed.files[LATEX]
    found = re.match(rb'(\{"fingerprint":"[0-9a-f]{64}","mac":"([0-9a-f]{64})","items":)', data)
    assert found is not None
    head, mac = found.group(1), found.group(2)
    body = json.dumps(forged, ensure_ascii=False, separators=(",", ":")).encode()
    attempts = [
        head + body + b"}",  # our MAC left on other items
        json.dumps({"fingerprint": fingerprint(), "items": forged}).encode(),  # no MAC at all
        data.replace(mac, hashlib.sha256(body).hexdigest().encode()),  # a plain hash as MAC
    ]
    for attempt in attempts:
        primed.put(LATEX, attempt)
        files, _ = _build(primed.site)
        assert files == primed.clean[0]
    # a well-formed table MAC'd with another key: a cache committed on another machine
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg.parent / "attacker"))
    primed.sign(LATEX, forged)
    forged_file = (primed.cache / LATEX).read_bytes()
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    (primed.cache / LATEX).write_bytes(forged_file)
    primed.assert_clean()
    pages = "".join(p.read_text(encoding="utf-8") for p in (primed.site / "_site").rglob("*.html"))
    assert SCRIPT not in pages and "alert(1)" not in pages


def test_swapped_entries_and_tables_are_a_miss(primed: Primed) -> None:
    data = primed.files[LATEX]
    items = primed.items(LATEX)
    keys = list(items)
    assert len(keys) > 3
    swapped = dict(items)
    swapped[keys[0]], swapped[keys[1]] = items[keys[1]], items[keys[2]]
    head = data[: data.index(b'"items":') + len(b'"items":')]
    body = json.dumps(swapped, ensure_ascii=False, separators=(",", ":")).encode()
    primed.put(LATEX, head + body + b"}")
    primed.assert_clean()
    # each table signed with our key, but under the other's name
    primed.restore()
    (primed.cache / LATEX).write_bytes(primed.files[BLOCKS])
    (primed.cache / BLOCKS).write_bytes(primed.files[LATEX])
    primed.assert_clean()
    # a table signed with our key by a program of another fingerprint
    primed.sign(LATEX, _with_html(items, "<b>stale</b>"), print_="0" * 64)
    primed.assert_clean()


def test_a_cache_from_another_key_is_a_miss_then_ours(
    primed: Primed, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg.parent / "other-machine"))
    primed.assert_clean()
    assert (primed.cache / LATEX).read_bytes() != primed.files[LATEX]
    primed.assert_healed(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    primed.assert_clean()
    assert (primed.cache / LATEX).read_bytes() == primed.files[LATEX]


def _key() -> Path:
    path = key_path()
    assert path is not None and path.name == KEY_NAME
    return path


def test_key_is_private_and_made_once(primed: Primed) -> None:
    key = _key()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    text = key.read_bytes()
    primed.assert_clean()
    assert key.read_bytes() == text and len(text.strip()) == 64


@pytest.mark.parametrize("damage", ["garbage", "short", "readable by others"])
def test_a_damaged_or_exposed_key_of_ours_is_replaced(primed: Primed, damage: str) -> None:
    key = _key()
    old = key.read_bytes()
    if damage == "garbage":
        key.write_bytes(b"z" * 64 + b"\n")
    elif damage == "short":
        key.write_bytes(old[:10])
    else:
        key.chmod(0o644)  # its value may have been read: it authenticates nothing any more
    primed.assert_clean()
    assert key.read_bytes() not in (old, b"z" * 64 + b"\n", old[:10])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (primed.cache / LATEX).read_bytes() != primed.files[LATEX]  # signed anew


@pytest.mark.parametrize("where", ["key is a link", "key is a FIFO", "folder open", "no folder"])
def test_without_a_safe_key_the_disk_cache_is_not_used(
    primed: Primed, where: str, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key()
    target = xdg.parent / "some-file"
    text = key.read_bytes()
    target.write_bytes(text)
    key.unlink()
    if where == "key is a link":
        key.symlink_to(target)
    elif where == "key is a FIFO":
        os.mkfifo(key)
    elif where == "folder open":
        key.parent.chmod(0o777)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", str(target))  # a file: no folder can be made
    for name in primed.files:
        (primed.cache / name).unlink()
    primed.assert_clean()
    assert not (primed.cache / LATEX).exists()  # neither read nor written
    assert target.read_bytes() == text  # a link is not followed, let alone written through
    if where == "key is a link":
        assert key.is_symlink()


def _mutations(data: bytes, rng: random.Random) -> bytes:
    size = len(data)
    op = rng.randrange(5)
    at = rng.randrange(size)
    if op == 0:  # flip a few bits
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(size)
            out[i] ^= 1 << rng.randrange(8)
        return bytes(out)
    if op == 1:
        return data[:at]
    if op == 2:
        return data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]
    if op == 3:
        end = min(size, at + rng.randint(1, 64))
        return data[:at] + bytes(end - at) + data[end:]
    end = min(size, at + rng.randint(1, 200))
    return data[:at] + data[at:end] * 2 + data[end:]


@pytest.mark.parametrize("seed", range(4))
def test_random_corruption_gives_the_clean_output(primed: Primed, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(12):
        name = rng.choice([BLOCKS, LATEX])
        data = _mutations(primed.files[name], rng)
        if data == primed.files[name]:
            continue
        primed.put(name, data)
        if rng.random() < 0.3:  # both tables at once
            other = BLOCKS if name == LATEX else LATEX
            (primed.cache / other).write_bytes(_mutations(primed.files[other], rng))
        primed.assert_clean()


def test_a_change_to_any_module_empties_the_tables(tmp_path: Path) -> None:
    """The cached values depend on code spread over several modules (the LaTeX package, the
    BibTeX reader, the model): changing any of them, or adding one, must change the
    fingerprint, or a rebuild would show what the old code computed."""
    import shutil
    import subprocess
    import sys

    package = Path(__file__).resolve().parents[1] / "generator"
    copy = tmp_path / "generator"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    probe = [sys.executable, "-c", "from generator.cache import fingerprint; print(fingerprint())"]

    def current() -> str:
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        run = subprocess.run(
            probe, capture_output=True, text=True, env=env, cwd=tmp_path, check=True
        )
        return run.stdout.strip()

    seen = [current()]
    for rel in ("latex/text.py", "model.py", "new_module.py"):
        target = copy / rel
        with target.open("a", encoding="utf-8") as handle:
            handle.write("\n# changed\n")
        seen.append(current())
    assert len(set(seen)) == len(seen), seen
