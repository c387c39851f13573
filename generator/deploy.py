"""Publish an already-built site folder to a git branch (GitHub Pages "deploy from branch").

Only git plumbing is used, against a temporary index file, so the user's working tree, index
(`.git/index`), HEAD and current branch never change. The steps:

1. hash every file of the output folder into the object database as is (`hash-object -w
   --no-filters`: no `.gitignore`, no `.gitattributes` filters, no line-ending conversion), add an
   empty `.nojekyll` (so GitHub Pages serves `_`-prefixed files) and, when a domain is given, a
   `CNAME`; nothing is written into the output folder;
2. build a tree from them with a temporary index (`update-index --index-info`, `write-tree`);
3. make one commit on top of the branch's history (`commit-tree`): the parent is the local branch
   `refs/heads/<branch>` if it exists, else the remote's branch when pushing and the remote has
   one, else none;
4. move the local branch to the new commit (`update-ref` with the old value, so a concurrent
   change is detected), then `git push <remote> <branch>:<branch>` unless `push` is False. If the
   push fails, the local branch is put back where it was, so a failed deploy changes nothing.

Every deploy makes a new commit, even when the published tree is the same as the previous one:
a deploy is recorded, and the tree is compared by nobody.

Symbolic links in the output are published as git symlinks (what `git add` would do); `.git`
folders inside the output are skipped.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from generator.config import load_config
from generator.errors import ScholarpageError, Warnings
from generator.incremental import build_site

__all__ = ["DeployResult", "deploy_site"]

LOCAL_TIMEOUT = 120.0
"""Seconds allowed for a git command that only touches the local repository."""

NETWORK_TIMEOUT = 600.0
"""Seconds allowed for `git ls-remote`, `git fetch` and `git push`."""

FALLBACK_NAME = "scholarpage"
FALLBACK_EMAIL = "scholarpage@localhost"

_HASH_CHUNK = 200  # paths per `git hash-object` call (keeps the command line short)
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
# Variables that would point git at another repository, index or work tree than the ones we name.
_DROPPED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR")


@dataclass(frozen=True)
class DeployResult:
    """What `deploy_site` published."""

    branch: str
    commit: str  # sha of the new commit
    pushed: bool
    remote: str | None  # the remote pushed to; None when push was False
    files: int  # number of files in the published tree


@dataclass(frozen=True)
class _Entry:
    """One file of the published tree."""

    path: bytes  # relative, "/"-separated, as git stores it
    mode: str  # "100644", "100755" or "120000"
    sha: str


class _Git:
    """Runs git in one repository with a fixed environment; turns failures into user errors."""

    def __init__(self, cwd: Path, env: Mapping[str, str]) -> None:
        self.cwd = cwd
        self.env = dict(env)

    def run(
        self,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = LOCAL_TIMEOUT,
        check: bool = True,
        doing: str | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        env = self.env if extra_env is None else {**self.env, **extra_env}
        cmd = ["git", *args]
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.cwd,
                env=env,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise ScholarpageError.single(
                "cannot deploy: git is not installed (or not on PATH)",
                hint="install git (https://git-scm.com/downloads) and run the deploy again",
            ) from None
        except subprocess.TimeoutExpired:
            raise ScholarpageError.single(
                f"cannot deploy: `git {_command_name(args)}` did not finish within "
                f"{timeout:.0f} seconds",
                file=self.cwd,
                hint="check your network connection and that the remote is reachable "
                "(and does not wait for a password), then deploy again",
            ) from None
        if check and proc.returncode != 0:
            what = doing or f"`git {_command_name(args)}` failed"
            raise ScholarpageError.single(
                f"cannot deploy: {what}:\n{_stderr(proc)}",
                file=self.cwd,
                hint="fix the problem git reports above and deploy again",
            )
        return proc

    def out(
        self,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = LOCAL_TIMEOUT,
        doing: str | None = None,
    ) -> str:
        """Run a command that must succeed and return its stdout, stripped."""
        proc = self.run(args, stdin=stdin, extra_env=extra_env, timeout=timeout, doing=doing)
        return proc.stdout.decode("utf-8", "surrogateescape").strip()


def deploy_site(
    output_dir: Path,
    repo_dir: Path,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
    push: bool = True,
    domain: str | None = None,
    env: Mapping[str, str] | None = None,
) -> DeployResult:
    """Commit the contents of `output_dir` as the new tip of `branch` and push it to `remote`.

    `repo_dir` is any folder inside the user's git work tree. `env` is the environment git runs
    with (default: this process's). Raises ScholarpageError for every problem the user can fix.
    """
    output_dir = Path(output_dir)
    repo_dir = Path(repo_dir)
    base_env = {k: v for k, v in (os.environ if env is None else env).items()}
    for name in _DROPPED_ENV:
        base_env.pop(name, None)

    files = _list_output(output_dir)
    if domain is not None:
        domain = _check_domain(domain)

    if not repo_dir.is_dir():
        raise ScholarpageError.single(
            "cannot deploy: the site folder does not exist",
            file=repo_dir,
            hint="pass the folder of your site (the one inside your git repository)",
        )
    git = _Git(repo_dir, base_env)
    top, git_dir = _find_repository(git, repo_dir)
    git = _Git(top, base_env)
    _check_output_not_repository(output_dir, top)
    _check_branch(git, branch)
    if push:
        _check_remote(git, remote, top)

    entries = _hash_files(git, output_dir, files)
    names = {e.path for e in entries}
    if b".nojekyll" not in names:
        entries.append(_Entry(b".nojekyll", "100644", _hash_bytes(git, b"")))
    if domain is not None:
        entries = [e for e in entries if e.path != b"CNAME"]
        entries.append(_Entry(b"CNAME", "100644", _hash_bytes(git, domain.encode() + b"\n")))

    tree = _write_tree(git, git_dir, entries)
    ref = f"refs/heads/{branch}"
    old = _rev(git, ref)
    parent = old
    if parent is None and push:
        parent = _fetch_remote_tip(git, remote, branch)

    ident_env = _identity_env(git, base_env)
    text = message if message is not None else _default_message(git)
    if not text.strip():
        raise ScholarpageError.single(
            "cannot deploy: the commit message is empty", hint="give a non-empty message"
        )
    commit_args = ["commit-tree", tree]
    if parent is not None:
        commit_args += ["-p", parent]
    commit_args += ["-F", "-"]
    commit = git.out(
        commit_args,
        stdin=text.encode("utf-8"),
        extra_env=ident_env,
        doing="`git commit-tree` could not create the deploy commit",
    )

    git.run(
        ["update-ref", "-m", "scholarpage deploy", ref, commit, old or ""],
        doing=f"could not move branch {branch!r} (did something else change it just now?)",
    )
    if push:
        _push(git, remote, branch, ref, commit, old)

    return DeployResult(
        branch=branch,
        commit=commit,
        pushed=push,
        remote=remote if push else None,
        files=len(entries),
    )


# --- the output folder ---------------------------------------------------------------------------


def _list_output(output_dir: Path) -> list[Path]:
    """Every file (and symlink) under `output_dir`, sorted; `.git` folders are skipped."""
    hint = "run `scholarpage build` first (or pass the folder the site was built into)"
    if not output_dir.exists():
        raise ScholarpageError.single(
            "cannot deploy: the output folder does not exist", file=output_dir, hint=hint
        )
    if not output_dir.is_dir():
        raise ScholarpageError.single(
            "cannot deploy: the output path is not a folder", file=output_dir, hint=hint
        )
    found: list[Path] = []
    for root, dirs, names in os.walk(output_dir):
        dirs[:] = sorted(d for d in dirs if d.lower() != ".git")
        root_path = Path(root)
        for d in dirs:
            if (root_path / d).is_symlink():  # os.walk does not descend into these
                found.append(root_path / d)
        for name in sorted(names):
            if name.lower() == ".git":  # a worktree's or submodule's `.git` file
                continue
            found.append(root_path / name)
    if not found:
        raise ScholarpageError.single(
            "cannot deploy: the output folder is empty", file=output_dir, hint=hint
        )
    return found


def _check_domain(domain: str) -> str:
    value = domain.strip()
    if not _DOMAIN_RE.match(value):
        raise ScholarpageError.single(
            f"cannot deploy: {domain!r} is not a domain name",
            key="domain",
            hint="give just the host name, like `www.example.org` (no https://, no path)",
        )
    return value


def _check_output_not_repository(output_dir: Path, top: Path) -> None:
    out = output_dir.resolve()
    if out == top or out in top.parents:
        raise ScholarpageError.single(
            "cannot deploy: the output folder is the whole repository, not a built site",
            file=output_dir,
            hint="pass the folder the site was built into (by default `_site/`)",
        )


# --- repository checks ---------------------------------------------------------------------------


def _find_repository(git: _Git, repo_dir: Path) -> tuple[Path, Path]:
    """The top of the work tree and the absolute git dir, or a clear error."""
    proc = git.run(["rev-parse", "--show-toplevel", "--absolute-git-dir"], check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if proc.returncode != 0 or len(lines) != 2:
        err = _stderr(proc)
        if "not a git repository" in err.lower():
            raise ScholarpageError.single(
                "cannot deploy: the site folder is not inside a git repository",
                file=repo_dir,
                hint="run `git init` in the site folder, add your GitHub repository with "
                "`git remote add origin URL`, and deploy again",
            )
        raise ScholarpageError.single(
            f"cannot deploy: git cannot use the repository here:\n{err}",
            file=repo_dir,
            hint="deploy from a normal (non-bare) git work tree",
        )
    return Path(lines[0]).resolve(), Path(lines[1])


def _check_branch(git: _Git, branch: str) -> None:
    proc = git.run(["check-ref-format", "--branch", branch], check=False)
    if proc.returncode != 0 or branch.startswith("-"):
        raise ScholarpageError.single(
            f"cannot deploy: {branch!r} is not a valid branch name",
            key="branch",
            hint="use a plain branch name such as `gh-pages`",
        )
    ref = f"refs/heads/{branch}"
    head = git.run(["symbolic-ref", "-q", "HEAD"], check=False)
    checked_out = {head.stdout.decode("utf-8", "surrogateescape").strip()}
    worktrees = git.run(["worktree", "list", "--porcelain"], check=False)
    for line in worktrees.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("branch "):
            checked_out.add(line[len("branch ") :])
    if ref in checked_out:
        raise ScholarpageError.single(
            f"cannot deploy: branch {branch!r} is checked out; deploying would change the files "
            "you are working on",
            key="branch",
            hint=f"switch to your source branch (`git switch main`) or deploy to another branch; "
            f"{branch!r} should hold only the built site",
        )


def _check_remote(git: _Git, remote: str, top: Path) -> None:
    remotes = git.out(["remote"]).split()
    if remote in remotes:
        return
    looks_like_url = "://" in remote or re.match(r"^[^/\\]+@[^/\\]+:", remote) is not None
    if looks_like_url or (top / remote).exists():
        return
    known = ", ".join(remotes) if remotes else "none"
    raise ScholarpageError.single(
        f"cannot deploy: the repository has no remote called {remote!r} (remotes: {known})",
        key="remote",
        hint=(
            f"pass one of the remotes above, or add it: `git remote add {remote} URL`"
            if remotes
            else f"add your GitHub repository: `git remote add {remote} URL`, "
            "or deploy without pushing"
        ),
    )


# --- building the commit -------------------------------------------------------------------------


def _hash_files(git: _Git, output_dir: Path, files: list[Path]) -> list[_Entry]:
    """Write every file into the object database as is and return the tree entries."""
    entries: list[_Entry] = []
    regular: list[tuple[bytes, str, Path]] = []
    for path in files:
        rel = os.fsencode(path.relative_to(output_dir).as_posix())
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            target = os.fsencode(os.readlink(path))
            entries.append(_Entry(rel, "120000", _hash_bytes(git, target)))
        elif stat.S_ISREG(st.st_mode):
            mode = "100755" if st.st_mode & stat.S_IXUSR else "100644"
            regular.append((rel, mode, path))
        # anything else (sockets, fifos) is not a web page: skipped
    for start in range(0, len(regular), _HASH_CHUNK):
        chunk = regular[start : start + _HASH_CHUNK]
        shas = git.out(
            ["hash-object", "-w", "--no-filters", "--", *(str(p.resolve()) for _, _, p in chunk)],
            doing="could not read the output files into git",
        ).split()
        if len(shas) != len(chunk):
            raise ScholarpageError.single(
                "cannot deploy: git did not hash every output file", file=output_dir
            )
        entries.extend(
            _Entry(rel, mode, sha) for (rel, mode, _), sha in zip(chunk, shas, strict=True)
        )
    return entries


def _hash_bytes(git: _Git, data: bytes) -> str:
    return git.out(["hash-object", "-w", "--no-filters", "--stdin"], stdin=data)


def _write_tree(git: _Git, git_dir: Path, entries: list[_Entry]) -> str:
    """Build a tree object from `entries` with a temporary index (never `.git/index`)."""
    listing = b"".join(
        f"{e.mode} {e.sha}\t".encode() + e.path + b"\0" for e in sorted(entries, key=_path_key)
    )
    with tempfile.TemporaryDirectory(prefix="scholarpage-deploy-") as tmp:
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run(
            ["update-index", "-z", "--index-info"],
            stdin=listing,
            extra_env=index_env,
            doing="could not list the output files for the deploy commit",
        )
        return git.out(["write-tree"], extra_env=index_env)


def _path_key(entry: _Entry) -> bytes:
    return entry.path


def _rev(git: _Git, ref: str) -> str | None:
    proc = git.run(["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _fetch_remote_tip(git: _Git, remote: str, branch: str) -> str | None:
    """The remote's tip of `branch` (fetched so it can be a parent), or None if it has none."""
    ref = f"refs/heads/{branch}"
    listing = git.out(
        ["ls-remote", "--heads", remote, ref],
        timeout=NETWORK_TIMEOUT,
        doing=f"could not reach remote {remote!r}",
    )
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            git.run(
                ["fetch", "--no-tags", "--quiet", remote, ref],
                timeout=NETWORK_TIMEOUT,
                doing=f"could not fetch {branch!r} from {remote!r}",
            )
            if _rev(git, sha) is None:
                raise ScholarpageError.single(
                    f"cannot deploy: {branch!r} on {remote!r} moved while it was being fetched",
                    hint="deploy again",
                )
            return sha
    return None


def _identity_env(git: _Git, env: Mapping[str, str]) -> dict[str, str]:
    """Author and committer from the environment or git config, else the scholarpage fallback.

    Set explicitly so commit-tree never stops at "please tell me who you are".
    """
    result: dict[str, str] = {}
    for role in ("author", "committer"):
        for field, fallback in (("name", FALLBACK_NAME), ("email", FALLBACK_EMAIL)):
            var = f"GIT_{role.upper()}_{field.upper()}"
            value = env.get(var) or _config(git, f"{role}.{field}") or _config(git, f"user.{field}")
            result[var] = value or fallback
    return result


def _config(git: _Git, key: str) -> str | None:
    proc = git.run(["config", "--get", key], check=False)
    value = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return value if proc.returncode == 0 and value else None


def _default_message(git: _Git) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    proc = git.run(["rev-parse", "--verify", "-q", "--short", "HEAD"], check=False)
    short = proc.stdout.decode().strip()
    if proc.returncode == 0 and short:
        return f"Deploy {short} at {stamp}\n\nBuilt and published by scholarpage.\n"
    return f"Deploy site at {stamp}\n\nBuilt and published by scholarpage.\n"


def _push(git: _Git, remote: str, branch: str, ref: str, commit: str, old: str | None) -> None:
    proc = git.run(
        ["-c", "advice.pushUpdateRejected=false", "push", "--porcelain", remote, f"{ref}:{ref}"],
        timeout=NETWORK_TIMEOUT,
        check=False,
    )
    if proc.returncode == 0:
        return
    # Put the local branch back, so a failed deploy leaves the repository as it was.
    if old is None:
        git.run(["update-ref", "-d", ref, commit], check=False)
    else:
        git.run(["update-ref", "-m", "scholarpage deploy: undo", ref, old, commit], check=False)
    lines = [*proc.stdout.decode("utf-8", "replace").splitlines(), *_stderr(proc).splitlines()]
    report = "\n".join(line for line in lines if line.strip() and line.strip() != "Done")
    rejected = any(
        line.startswith("!") for line in proc.stdout.decode("utf-8", "replace").splitlines()
    )
    if rejected:
        raise ScholarpageError.single(
            f"cannot deploy: the push to {remote!r} was rejected; {branch!r} on the remote has "
            f"commits your local {branch!r} does not have (the branch moved):\n{report}",
            hint=f"fetch the remote branch and build on it: `git fetch {remote} {branch}` then "
            f"`git branch -f {branch} FETCH_HEAD`, and deploy again",
        )
    raise ScholarpageError.single(
        f"cannot deploy: `git push {remote} {branch}` failed:\n{report}",
        hint="check that the remote URL is right and that you may push to it, then deploy again",
    )


def _command_name(args: Sequence[str]) -> str:
    """The git subcommand in `args`, skipping `-c key=value` options."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        rest = rest[2:] if rest[0] == "-c" else rest[1:]
    return rest[0] if rest else "git"


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode("utf-8", "replace").strip()


@dataclass(frozen=True)
class PublishResult:
    """What `scholarpage deploy` did: the strict build, then the branch commit."""

    papers: int
    deploy: DeployResult


def build_and_deploy(
    site_dir: Path,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
    push: bool = True,
    base_url: str | None = None,
) -> PublishResult:
    """Build SITE_DIR with --strict into a temporary folder (the user's _site is neither needed
    nor touched) and publish it; refuses a site without base_url, whose pages would lack
    canonical links, sitemap and feed."""
    config = load_config(site_dir, Warnings(), base_url=base_url)
    if not config.base_url:
        raise ScholarpageError.single(
            "cannot deploy: base_url is not set, so the site would have no canonical links, "
            "sitemap.xml or feed.xml",
            file=config.config_file,
            key="base_url",
            hint="set `base_url: https://USER.github.io/REPOSITORY/` in site.yaml "
            "(or pass --base-url URL)",
        )
    with tempfile.TemporaryDirectory(prefix="scholarpage-deploy-") as tmp:
        built = build_site(site_dir, output=Path(tmp) / "site", base_url=base_url, strict=True)
        result = deploy_site(
            built.out_dir,
            site_dir,
            remote=remote,
            branch=branch,
            message=message,
            push=push,
            domain=config.domain,
        )
    return PublishResult(built.papers, result)
