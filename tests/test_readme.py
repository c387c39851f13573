"""The README's commands, run as written.

The fenced blocks marked `doctest` are extracted in order and run through bash:

- `sh doctest`: the newcomer's path, in one session (the working folder carries over from block
  to block), starting in an empty folder with an empty HOME: `pip install scholarpage`, `init`,
  `build`, `serve`, pushing to GitHub, `deploy`, shell completion;
- `sh doctest checkout`: the developer's commands, in a copy of this checkout;
- `yaml doctest append=FILE`: text the README asks to add to FILE (in the current folder).

Nothing reaches the network, and the commands are not edited, except as said here:
- `pip` runs in a fresh virtual environment and takes scholarpage from a wheel of this checkout
  (its configuration, through environment variables: no index, that wheel, the dependencies from
  this environment); `pip install -e`/`pip install .` build without isolation, for the same
  reason;
- GitHub is a bare repository on disk: git's `url.<base>.insteadOf` maps
  `https://github.com/` to a local folder, so `git push` and `scholarpage deploy` run unchanged;
- `scholarpage serve` gets `--port 0` (port 8000 may be taken on a shared machine); the test
  waits for the address it prints, fetches the page, then stops it with Ctrl-C (SIGINT);
- `python -m pytest` in the checkout only collects the suite (PYTEST_ADDOPTS=--collect-only):
  the suite runs itself, this test checks that the command works in a virtual environment;
- in a block marked `network` (`scholarpage import` from arXiv, ORCID, DBLP, OpenAlex), a line
  that would ask one of those services is parsed by the real command-line parser (a wrong option
  or source fails) but not run; the others run as written, a `--from FILE` line with FILE taken
  from tests/fixtures/api when the README has not made it (a saved answer of that service).
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import __version__
from generator.cli import _parser
from tests.conftest import REPO, git
from tests.test_migrate import source_site
from tests.venvs import build_wheel, make_venv, offline_env

README = REPO / "README.md"
FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SHELL_LANGUAGES = {"sh", "bash", "shell", "console", "zsh", "fish"}
HANG = 120.0  # seconds: only to detect a command that never finishes
SAVED_ANSWERS = {
    "openalex": REPO / "tests" / "fixtures" / "api" / "openalex_works_A5023888391_page1.json"
}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence in README.md
    language: str
    options: tuple[str, ...]
    text: str

    @property
    def where(self) -> str:
        return f"README.md:{self.line}"


def readme_blocks() -> list[Block]:
    source = README.read_text(encoding="utf-8")
    return [
        Block(
            source.count("\n", 0, m.start()) + 1, m.group(1), tuple(m.group(2).split()), m.group(3)
        )
        for m in FENCE.finditer(source)
    ]


def doctests(kind: str) -> list[Block]:
    """The blocks of one kind: "newcomer" (plain `doctest`) or "checkout"."""
    marked = [b for b in readme_blocks() if "doctest" in b.options]
    checkout = [b for b in marked if "checkout" in b.options]
    return checkout if kind == "checkout" else [b for b in marked if b not in checkout]


def commands(block: Block) -> list[str]:
    """The block's command lines (a trailing backslash continues a line)."""
    return [line for line in block.text.replace("\\\n", " ").splitlines() if line.strip()]


def test_every_shell_block_is_run_by_this_test() -> None:
    blocks = readme_blocks()
    assert blocks, "README.md has no code blocks"
    unmarked = [
        b.where for b in blocks if b.language in SHELL_LANGUAGES and "doctest" not in b.options
    ]
    assert not unmarked, f"shell blocks not marked `doctest` (run by nothing): {unmarked}"
    # the first lines stay the two commands: build the example site, run the tests
    first = blocks[0]
    assert first.line == 3 and "checkout" in first.options
    assert [c.split("&&")[0].strip() for c in commands(first)] == [
        "pip install .",
        "pip install -e '.[test]'",
    ]
    for block in blocks:
        if "doctest" in block.options and block.language not in SHELL_LANGUAGES:
            assert any(o.startswith("append=") for o in block.options), block.where


class Session:
    """Runs README blocks one after the other in bash, keeping the working folder."""

    def __init__(self, cwd: Path, env: dict[str, str], state: Path) -> None:
        self.cwd = cwd
        self.env = env
        self.state = state
        self.outputs: dict[int, str] = {}  # README line of a block -> what it printed

    def run(self, block: Block) -> str:
        if block.language not in SHELL_LANGUAGES:
            (target,) = [o.removeprefix("append=") for o in block.options if "=" in o]
            with (self.cwd / target).open("a", encoding="utf-8") as file:
                file.write(block.text)
            return ""
        printed = []
        chunk: list[str] = []
        for line in commands(block):
            if "network" in block.options and not self._offline(block, line):
                printed.append(f"(not run, needs the network: {line})\n")
            elif line.split("#")[0].split()[:2] == ["scholarpage", "serve"]:
                printed.append(self._script(block, chunk))
                chunk = []
                printed.append(self._serve(block, line))
            else:
                chunk.append(line)
        printed.append(self._script(block, chunk))
        self.outputs[block.line] = "".join(printed)
        return self.outputs[block.line]

    def _offline(self, block: Block, line: str) -> bool:
        """Whether a line can run here: any but an import that asks a web API; each import line
        is checked by the real parser first."""
        argv = shlex.split(line, comments=True)
        if argv[:2] != ["scholarpage", "import"]:
            return True
        try:
            with contextlib.redirect_stderr(io.StringIO()) as errors:
                args = _parser().parse_args(argv[1:])
        except SystemExit:
            raise AssertionError(f"{block.where}: {line}\n{errors.getvalue()}") from None
        if args.from_file is not None:
            saved = self.cwd / args.from_file
            if not saved.exists():
                shutil.copyfile(SAVED_ANSWERS[args.source], saved)
            return True
        return args.source == "bibtex" and not args.ids[0].startswith(("http:", "https:"))

    def _script(self, block: Block, lines: list[str]) -> str:
        if not lines:
            return ""
        script = "\n".join(["set -euo pipefail", *lines, f'pwd > "{self.state}"'])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=HANG * 3,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{block.where} failed ({done.returncode}):\n{output}"
        assert "Traceback" not in output, f"{block.where}:\n{output}"
        self.cwd = Path(self.state.read_text(encoding="utf-8").strip())
        return output

    def _serve(self, block: Block, line: str) -> str:
        assert "#" not in line, f"{block.where}: a serve line takes no comment (--port is added)"
        proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-c", f"exec {line} --port 0"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout

        def read() -> None:
            for text in stream:
                lines.put(text)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        seen: list[str] = []
        try:
            while not (url := re.search(r"Serving .* at (http://\S+)", "".join(seen))):
                try:
                    seen.append(lines.get(timeout=HANG))
                except queue.Empty:
                    raise AssertionError(f"{block.where}: serve never said where") from None
            with urllib.request.urlopen(url.group(1), timeout=HANG) as response:
                page: str = response.read().decode("utf-8")
            assert response.status == 200 and "<html" in page, f"{block.where}: {page[:200]}"
        finally:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, to the process this test started
            returncode = proc.wait(timeout=HANG)
            reader.join(timeout=HANG)
            stream.close()
        while not lines.empty():
            seen.append(lines.get())
        output = "".join(seen)
        assert returncode == 0 and "Stopped." in output, f"{block.where}:\n{output}"
        return output + page


@pytest.mark.slow
def test_the_newcomer_path_runs_as_written(tmp_path: Path) -> None:
    blocks = doctests("newcomer")
    assert blocks, "no `doctest` blocks in README.md"
    home, work, github = tmp_path / "home", tmp_path / "work", tmp_path / "github"
    for folder in (home, work, github):
        folder.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Ada Example\n\temail = ada@example.org\n"
        f'[url "{github.as_uri()}/"]\n\tinsteadOf = https://github.com/\n',
        encoding="utf-8",
    )
    env = offline_env(
        make_venv(tmp_path / "venv", with_pip=True),
        build_wheel(tmp_path / "dist").parent,
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CEILING_DIRECTORIES=str(tmp_path),
        SOURCE_DATE_EPOCH="1795824000",
    )
    # the repository the README says to create on GitHub, empty
    remote = github / "USER" / "my-site.git"
    git(tmp_path, env, "init", "-q", "--bare", "-b", "main", str(remote))

    # the al-folio site the README's "Moving from al-folio" block migrates (tests/test_migrate.py)
    shutil.move(source_site("alfolio", tmp_path), home / "my-al-folio-site")
    session = Session(work, env, tmp_path / "cwd")
    printed = "".join(session.run(block) for block in blocks)

    assert f"scholarpage {__version__}" in printed  # the installed one, from the wheel
    site = work / "my-site"
    assert (site / "_site" / "index.html").is_file()
    assert "base_url: https://USER.github.io/my-site/" in (site / "site.yaml").read_text()
    # GitHub got the sources on main and the built site on gh-pages, from the README's commands
    assert "site.yaml" in git(remote, env, "ls-tree", "--name-only", "main").split()
    published = git(remote, env, "ls-tree", "--name-only", "gh-pages").split()
    assert {"index.html", ".nojekyll", "sitemap.xml"} <= set(published)
    sitemap = git(remote, env, "show", "gh-pages:sitemap.xml")
    assert "https://USER.github.io/my-site/" in sitemap
    # the imported paper reached GitHub with the README's commit and push
    assert "example2026surrogates" in git(remote, env, "show", "main:content/papers.bib")
    assert "1 new" in printed and "0 new" in printed  # imported once; again: nothing to add
    # the first deploy, the one after the import; then one with nothing changed
    assert "Nothing changed since the last deploy" in printed
    assert git(remote, env, "rev-list", "--count", "gh-pages") == "2"
    assert "not run, needs the network: scholarpage import arxiv" in printed
    assert "index.html" in git(remote, env, "ls-tree", "--name-only", "site").split()
    # shell completion was installed where the README says
    assert (home / ".zfunc" / "_scholarpage").read_text().startswith("#compdef scholarpage")
    assert (home / ".config" / "fish" / "completions" / "scholarpage.fish").is_file()
    # the migrated site was written and served
    assert (home / "my-scholarpage-site" / "content" / "profile.yaml").is_file()


@pytest.mark.slow
def test_the_checkout_commands_run_as_written_in_a_venv(tmp_path: Path) -> None:
    blocks = doctests("checkout")
    assert blocks
    checkout = tmp_path / "checkout"
    listed = git(REPO, dict(os.environ), "ls-files", "-z").split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            (checkout / name).write_bytes(source.read_bytes())
    env = offline_env(
        make_venv(tmp_path / "venv", with_pip=True),
        tmp_path / "no-wheels",
        PIP_NO_BUILD_ISOLATION="0",  # (sic: "0" turns isolation off) the backend is installed
        # a local folder is always (re)installed; the editable install replaces the plain one
        # (any copy outside the venv is left alone: pip does not uninstall outside it)
        PIP_IGNORE_INSTALLED="0",
        PYTEST_ADDOPTS="--collect-only -q -p no:cacheprovider",
        HOME=str(tmp_path),
    )
    session = Session(checkout, env, tmp_path / "cwd")
    printed = "".join(session.run(block) for block in blocks)

    assert "Weile Jia" in (checkout / "_site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"\d{3,} tests collected", printed), printed[-2000:]
    # the editable install is this copy, in the venv
    python = str(tmp_path / "venv" / "bin" / "python")
    where = subprocess.run(
        [python, "-c", "import generator; print(generator.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=HANG,
    )
    assert where.stdout.strip() == str(checkout / "generator" / "__init__.py")
