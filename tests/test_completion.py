"""`scholarpage completion bash|zsh|fish`: the scripts complete in the real shells.

Each shell runs interactively in a tmux pane (its own tmux server, socket in tmp_path), sources
the script the command printed, and gets the keys a user types: a line, then Tab. The test reads
the screen. bash's and fish's candidate lists are also read through their own interfaces (the
completion function with COMP_WORDS, `complete -C`), which show every candidate in order.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.cli import _parser
from generator.completion import parser_spec
from tests.conftest import REPO

COMMANDS = [command.name for command in parser_spec(_parser()).commands]
HANG = 30.0  # seconds: only to detect a shell that never answers


def script(shell: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "generator", "completion", shell],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed (Debian package {program})")
    return found


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with one subfolder and one file: folder completion must offer only the folder."""
    work = tmp_path / "work"
    (work / "outdir").mkdir(parents=True)
    (work / "afile.txt").write_text("x", encoding="utf-8")
    return work


class Pane:
    """An interactive shell in a tmux pane of a private tmux server."""

    def __init__(self, socket: Path, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.tmux = [need("tmux"), "-S", str(socket)]
        self._run("new-session", "-d", "-x", "200", "-y", "50", "-c", str(cwd), *argv, env=env)

    def _run(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [*self.tmux, *args], capture_output=True, text=True, env=env, timeout=HANG
        )
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-J")

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + HANG
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
            time.sleep(0.1)

    def type(self, text: str, *keys: str) -> None:
        self._run("send-keys", "-l", text)
        for key in keys:
            self._run("send-keys", key)

    def first_line(self) -> str:
        lines = self.screen().splitlines()
        return lines[0].rstrip() if lines else ""

    def line_after_tab(self, line: str) -> str:
        """Type `line`, then Tab; the command line once the shell has changed it."""
        self.type("clear", "Enter")
        self.wait_for_prompt_alone()
        self.type(line)
        self.wait_for("$ " + line.rstrip())
        self.type("", "Tab")
        deadline = time.monotonic() + HANG
        previous = ""
        while True:  # changed by the Tab, and the same on two reads in a row
            time.sleep(0.2)
            shown = self.screen().splitlines()[0]
            if shown == previous and shown.rstrip() != "$ " + line.rstrip():
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"Tab changed nothing after {line!r}:\n{self.screen()}")
            previous = shown
        self.type("", "C-u")
        return shown[2:]

    def wait_for_prompt_alone(self) -> None:
        deadline = time.monotonic() + HANG
        while [line.strip() for line in self.screen().splitlines() if line.strip()] != ["$"]:
            if time.monotonic() > deadline:
                raise AssertionError(f"no prompt; the screen:\n{self.screen()}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, timeout=HANG)


def start_shell(shell: str, tmp_path: Path, cwd: Path) -> Pane:
    """The shell with scholarpage's completion loaded the way the script's header says."""
    program = need(shell)
    path = tmp_path / f"completion.{shell}"
    path.write_text(script(shell), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "xterm"}
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    if shell == "bash":
        argv = [program, "--norc", "--noprofile", "-i"]
        setup = f"PS1='$ '; source {path}"
    elif shell == "zsh":
        argv = [program, "-f", "-i"]
        setup = f"PROMPT='$ '; autoload -U compinit && compinit -u -D && source {path}"
    else:
        argv = [program, "--no-config", "-i"]
        setup = (
            "set -g fish_autosuggestion_enabled 0; set -g fish_greeting; "
            f"function fish_prompt; echo -n '$ '; end; source {path}"
        )
    pane = Pane(tmp_path / f"tmux-{shell}.sock", argv, cwd, env)
    pane.type(setup, "Enter")
    return pane


TAB_CASES = [
    ("scholarpage b", "scholarpage build "),
    ("scholarpage in", "scholarpage init "),
    ("scholarpage build --st", "scholarpage build --strict "),
    ("scholarpage deploy --no-p", "scholarpage deploy --no-push "),
    ("scholarpage build . --verb", "scholarpage build . --verbose "),  # a global flag, after
    ("scholarpage -q build -o ", "scholarpage -q build -o outdir/"),  # folders only
    ("scholarpage serve ", "scholarpage serve outdir/"),
    ("scholarpage completion z", "scholarpage completion zsh "),
]


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_completes_in_each_shell(shell: str, tmp_path: Path, workdir: Path) -> None:
    pane = start_shell(shell, tmp_path, workdir)
    try:
        got = [(typed, pane.line_after_tab(typed)) for typed, _ in TAB_CASES]
    finally:
        pane.close()
    assert got == [(typed, completed) for typed, completed in TAB_CASES]


def bash_candidates(script_path: Path, line: str, cwd: Path) -> list[str]:
    """What bash's completion function puts in COMPREPLY for `line` (cursor at its end)."""
    words = line.split(" ")
    program = f"""source {script_path}
COMP_WORDS=({" ".join(f"'{w}'" for w in words)})
COMP_CWORD={len(words) - 1}
_scholarpage
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        [need("bash"), "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=HANG,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_bash_lists_commands_in_order_and_every_option(tmp_path: Path, workdir: Path) -> None:
    path = tmp_path / "completion.bash"
    path.write_text(script("bash"), encoding="utf-8")
    assert bash_candidates(path, "scholarpage ", workdir) == COMMANDS
    # every option the parser has, for each command, and the global ones after the command
    for command in parser_spec(_parser()).commands:
        expected = sorted(f for o in command.options for f in o.flags if f.startswith("--"))
        assert sorted(bash_candidates(path, f"scholarpage {command.name} --", workdir)) == expected
        assert "--verbose" in expected and "--quiet" in expected
    # a value is completed as what it is; words after an option's value are arguments again
    assert bash_candidates(path, "scholarpage build --output=", workdir) == ["outdir"]
    assert bash_candidates(path, "scholarpage build --output = ", workdir) == ["outdir"]
    assert bash_candidates(path, "scholarpage build --base-url ", workdir) == []
    assert bash_candidates(path, "scholarpage deploy -m init ", workdir) == ["outdir"]
    assert bash_candidates(path, "scholarpage completion ", workdir) == ["bash", "zsh", "fish"]
    assert bash_candidates(path, "scholarpage build . ", workdir) == []  # one SITE_DIR only


def test_fish_lists_commands_in_order_with_their_summary(tmp_path: Path, workdir: Path) -> None:
    path = tmp_path / "completion.fish"
    path.write_text(script("fish"), encoding="utf-8")
    done = subprocess.run(
        [need("fish"), "--no-config", "-c", f"source {path}; complete -C 'scholarpage '"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=HANG,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert [row[0] for row in rows] == COMMANDS
    helps = dict(row for row in rows if len(row) == 2)
    assert helps["init"] == "create a new site folder with an example profile"


def test_zsh_lists_commands_in_order(tmp_path: Path, workdir: Path) -> None:
    shell = start_shell("zsh", tmp_path, workdir)
    try:
        shell.type("clear", "Enter")
        shell.wait_for_prompt_alone()
        shell.type("scholarpage ", "Tab")
        screen = shell.wait_for("completion")
        listed = [line.split()[0] for line in screen.splitlines()[1:] if line.strip()]
        assert listed == COMMANDS, screen
        assert "create a new site folder" in screen  # each with its summary
    finally:
        shell.close()


def test_unknown_shell_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "generator", "completion", "powershell"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'powershell'" in done.stderr and "Traceback" not in done.stderr
