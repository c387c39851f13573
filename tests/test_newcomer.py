"""The frictions a newcomer met between `pip install` and a live site (issue 17), each through the
real command (`python -m generator` subprocesses) and, for deploy, real git repositories with a
bare remote standing in for GitHub."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator import __version__
from tests.conftest import REPO, assert_user_error, git, write_site

NEWCOMER_ORDER = ["init", "serve", "build", "deploy", "import", "migrate", "completion"]


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = env if env is not None else dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1795824000"},
        timeout=180,
    )


def user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert_user_error(result, *fragments)
    return result.stderr


# --- global flags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "build", "SITE"],
        ["build", "SITE", "-v"],
        ["build", "-v", "SITE"],
        ["build", "SITE", "--verbose", "--strict"],
    ],
)
def test_global_flags_work_before_and_after_the_command(tmp_path: Path, argv: list[str]) -> None:
    site = write_site(tmp_path / "site", site_yaml="title: T\ntheem: scholar\n")
    result = run(*[str(site) if a == "SITE" else a for a in argv])
    assert "unrecognized arguments" not in result.stderr
    assert "theem" in result.stderr  # the warning (or, with --strict, the error) is reported
    assert result.returncode == (1 if "--strict" in argv else 0), result.stderr


def test_quiet_after_the_command_silences_and_verbose_before_is_kept(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    quiet = run("build", site, "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert "Built 1 papers" in run("build", site).stdout
    # -v before the command is not undone by the subcommand's own (unset) copy of the flag
    verbose = run("-v", "init", tmp_path / "new")
    assert verbose.returncode == 0, verbose.stderr
    assert "created" in verbose.stdout and "site.yaml" in verbose.stdout
    assert f"Next: cd {tmp_path / 'new'} && scholarpage serve" in verbose.stdout  # what to do now
    again = run("init", tmp_path / "new2", "--verbose")
    assert "created" in again.stdout


def test_version_after_the_command(tmp_path: Path) -> None:
    for argv in (["--version"], ["build", "--version"], ["deploy", str(tmp_path), "--version"]):
        result = run(*argv)
        assert result.returncode == 0 and result.stdout.strip() == f"scholarpage {__version__}"


def test_a_mistyped_flag_is_still_a_usage_error(tmp_path: Path) -> None:
    result = run("build", tmp_path, "--verbsoe")
    assert result.returncode == 2 and "unrecognized arguments: --verbsoe" in result.stderr


# --- help ----------------------------------------------------------------------------------------


def help_commands(text: str) -> list[tuple[str, str]]:
    """(command, summary) rows of the `commands:` section of `--help`."""
    section = text.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(None, 1) for line in section.splitlines()[1:]]  # [0] is "  COMMAND"
    return [(row[0], row[1] if len(row) > 1 else "") for row in rows]


def test_help_lists_every_command_in_newcomer_order_one_line_each() -> None:
    from generator.cli import COMMANDS

    result = run("--help", env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0
    rows = help_commands(result.stdout)
    names = [name for name, _ in rows]
    assert sorted(names) == sorted(COMMANDS)  # every command, each once
    assert names == sorted(names, key=NEWCOMER_ORDER.index)
    assert names[:4] == ["init", "serve", "build", "deploy"]
    for name, summary in rows:  # a summary on the command's own line: none wrapped to the next
        assert summary and summary[0].islower(), (name, result.stdout)
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "scholarpage init" in result.stdout  # where to start


def test_bare_command_shows_the_help() -> None:
    result = run()
    assert result.returncode == 2
    assert "commands:" in result.stderr and "init" in result.stderr


# --- --theme -------------------------------------------------------------------------------------


def test_a_mistyped_theme_on_the_command_line_is_reported_as_such(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", site_yaml="title: T\ntheme: scholar\n")
    text = user_error(run("build", site, "--theme", "clasic"), "--theme: ", "command line")
    assert "site.yaml" not in text  # site.yaml's theme is fine and is not blamed
    assert "did you mean 'classic'?" in text and "available themes: classic, scholar" in text
    user_error(run("build", site, "--theme", "base"), "--theme", "parent for other themes")
    # a theme of the site's own is found from the command line too
    (site / "themes" / "mine").mkdir(parents=True)
    (site / "themes" / "mine" / "theme.yaml").write_text("parent: scholar\n", encoding="utf-8")
    assert run("build", site, "--theme", "mine").returncode == 0
    # and site.yaml's own mistake is still located in site.yaml
    (site / "site.yaml").write_text("title: T\ntheme: clasic\n", encoding="utf-8")
    text = user_error(run("build", site), "site.yaml", "theme 'clasic' not found")
    assert "command line" not in text


# --- domain vs base_url --------------------------------------------------------------------------


def test_domain_and_base_url_on_different_hosts_is_a_warning_naming_both_lines(
    tmp_path: Path,
) -> None:
    yaml_text = "title: T\nbase_url: https://alice.github.io/profile/\ndomain: www.alice.org\n"
    site = write_site(tmp_path / "site", site_yaml=yaml_text)
    result = run("build", site)
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "www.alice.org" in line)
    assert warning.startswith("warning: ") and "site.yaml:3: domain:" in warning
    assert "base_url https://alice.github.io/profile/ (site.yaml:2)" in warning
    assert "canonical links, og:url, sitemap.xml and feed.xml" in warning
    assert "tip: set base_url: https://www.alice.org/" in result.stderr
    user_error(run("build", site, "--strict"), "site.yaml:3", "(--strict)")
    # from the command line (the Actions workflow's --base-url): named as such
    cli = run("build", site, "--base-url", "https://bob.github.io/x")
    assert "is not the host of --base-url https://bob.github.io/x/" in cli.stderr
    assert "Settings -> Pages -> Custom domain" in cli.stderr
    # hosts that agree (any case, any path) say nothing
    for base_url in ("https://www.alice.org/", "https://WWW.Alice.org/sub/"):
        agreed = run("build", site, "--base-url", base_url)
        assert agreed.returncode == 0 and "is not the host" not in agreed.stderr
    # no domain, or no base_url: nothing to compare
    (site / "site.yaml").write_text("title: T\ndomain: www.alice.org\n", encoding="utf-8")
    assert "is not the host" not in run("build", site).stderr


# --- JSON-LD description -------------------------------------------------------------------------

BIO = """bio: |
  I work on **numerical
  methods** for PDEs, [with friends](https://example.org/)'s help;
  e.g. $\\nabla \\cdot u = 0$. Also `code`, *emphasis*-joined,
  and $10^{-8}$ errors.[^1]

  A second   paragraph.

  - one item
  - another

  [^1]: A note.
"""


def test_person_description_has_single_spaces_where_the_reader_sees_them(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        site_yaml="title: T\nbase_url: https://a.github.io/s/\n",
        profile="name: Ada Example\n" + BIO,
    )
    assert run("build", site).returncode == 0
    page = (site / "_site" / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    person = next(d for d in map(json.loads, blocks) if d.get("@type") == "Person")
    assert person["description"] == (
        "I work on numerical methods for PDEs, with friends's help; e.g. ∇⋅u=0. Also code, "
        "emphasis-joined, and 10^(−8) errors. A second paragraph. one item another A note."
    )


# --- deploy --------------------------------------------------------------------------------------


def site_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A site made by `init`, committed on main, with base_url set: what a newcomer deploys."""
    site = tmp_path / "my-site"
    assert run("init", site, env=env).returncode == 0
    config = site / "site.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "# base_url: https://USERNAME.github.io/REPOSITORY/",
            "base_url: https://ada.github.io/my-site/",
        ),
        encoding="utf-8",
    )
    git(site, env, "init", "-q", "-b", "main")
    git(site, env, "config", "user.name", "Ada Example")
    git(site, env, "config", "user.email", "ada@example.org")
    git(site, env, "add", "-A")
    git(site, env, "commit", "-q", "-m", "My site")
    return site


def test_no_remote_tip_names_no_push_and_no_push_then_works(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    site = site_repo(tmp_path, git_env)
    text = user_error(run("deploy", cwd=site, env=git_env), "no remote called 'origin'")
    assert "git remote add origin URL" in text and "scholarpage deploy --no-push" in text
    # doing what the tip says works
    local = run("deploy", "--no-push", cwd=site, env=git_env)
    assert local.returncode == 0, local.stderr
    assert "(not pushed)" in local.stdout
    assert ".nojekyll" in git(site, git_env, "ls-tree", "--name-only", "gh-pages")
    # another missing remote, while one exists: the tip offers --no-push too
    git(site, git_env, "remote", "add", "upstream", str(tmp_path / "nowhere.git"))
    text = user_error(run("deploy", cwd=site, env=git_env), "(remotes: upstream)")
    assert "scholarpage deploy --no-push" in text


def test_deploy_with_nothing_changed_makes_no_commit_and_says_so(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    site = site_repo(tmp_path, git_env)
    remote = tmp_path / "remote.git"
    git(tmp_path, git_env, "init", "-q", "--bare", "-b", "main", str(remote))
    git(site, git_env, "remote", "add", "origin", str(remote))

    first = run("deploy", cwd=site, env=git_env)
    assert first.returncode == 0, first.stderr
    tip = git(remote, git_env, "rev-parse", "gh-pages")
    again = run("deploy", "-m", "again", cwd=site, env=git_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        "Nothing changed since the last deploy: no new commit; branch gh-pages stays at "
        f"commit {tip[:12]} which origin already has"
    )
    assert git(remote, git_env, "rev-parse", "gh-pages") == tip
    assert git(site, git_env, "rev-parse", "gh-pages") == tip

    # a change is a commit; the same change deployed locally first is pushed by the next deploy
    (site / "content" / "papers.bib").write_text("", encoding="utf-8")
    local = run("deploy", "--no-push", cwd=site, env=git_env)
    assert local.returncode == 0 and "(not pushed)" in local.stdout, local.stderr
    new_tip = git(site, git_env, "rev-parse", "gh-pages")
    assert new_tip != tip and git(site, git_env, "rev-parse", "gh-pages^") == tip
    unchanged_local = run("deploy", "--no-push", cwd=site, env=git_env)
    assert "Nothing changed" in unchanged_local.stdout
    assert "git push origin gh-pages" in unchanged_local.stdout
    pushed = run("deploy", cwd=site, env=git_env)
    assert pushed.returncode == 0, pushed.stderr
    assert "no new commit" in pushed.stdout and "and pushed it to origin" in pushed.stdout
    assert git(remote, git_env, "rev-parse", "gh-pages") == new_tip
    assert git(remote, git_env, "rev-list", "--count", "gh-pages") == "2"
