"""Publish an already-built site folder to a git branch (GitHub Pages "deploy from branch").

Only git plumbing is used, against a temporary index file, so the user's working tree, index
(`.git/index`), HEAD and current branch never change. The steps:

1. hash every file of the output folder into the object database as is (`hash-object -w
   --no-filters`: no `.gitignore`, no `.gitattributes` filters, no line-ending conversion), add an
   empty `.nojekyll` (so GitHub Pages serves `_`-prefixed files), the `.scholarpage` marker (what
   makes a branch ours, below) and, when a domain is given, a `CNAME`; nothing is written into the
   output folder;
2. build a tree from them with a temporary index (`update-index --index-info`, `write-tree`);
3. make one commit on top of the branch's history (`commit-tree`): the parent is the local branch
   `refs/heads/<branch>` if it exists, else the remote's branch when pushing and the remote has
   one, else none;
4. move the local branch to the new commit (`update-ref` with the old value, so a concurrent
   change is detected), then `git push <remote> <branch>:<branch>` unless `push` is False. If the
   push fails, the local branch is put back where it was, so a failed deploy changes nothing.

A deploy whose tree is the same as the branch tip's makes no commit (the history of gh-pages is
one commit per change of the site, not per run); an unchanged local tip that the remote lacks (an
earlier `--no-push`) is still pushed.

A branch is ours when its tip tree is empty, or carries the `.scholarpage` marker at its root and
no sources (`site.yaml`, `content/`). Any other existing branch (local, or on the remote when the
local one does not exist) is refused unless `force`: deploying to `main` by mistake would
otherwise replace the sources at its tip with the built site. `force` keeps the branch's history
(the deploy is a normal commit on top, pushed without `--force`).

Every value the user gives reaches git after `--` or inside a `refs/heads/...` name, and remote,
branch and message values starting with `-` are refused, so none can be read as a git option
(`--remote '--upload-pack=CMD'` would run CMD). A refused push is told apart: a rejected
non-fast-forward (the branch moved: fetch and retry) from a refusal by the server (a hook,
branch protection, missing permission: retrying does not help; the server's own lines are shown).

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
from generator.errors import Problem, ScholarpageError, Warnings
from generator.incremental import build_site
from generator.output import MARKER, MARKER_TEXT

__all__ = ["DeployResult", "check_deploy_options", "deploy_site"]

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
_SOURCES = ("site.yaml", "content")  # a tip holding these is a source branch, never ours
# Control characters a hostile server (or a commit subject) could use to rewrite the terminal.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ESCAPE_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_PERMISSION_RE = re.compile(
    r"permission|denied|forbidden|not authorized|authentication failed|\b403\b", re.IGNORECASE
)
# Variables that would point git at another repository, index or work tree than the ones we name.
_DROPPED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR")


@dataclass(frozen=True)
class DeployResult:
    """What `deploy_site` published."""

    branch: str
    commit: str  # sha of the new commit
    pushed: bool  # the remote has the commit (pushed now, or it had it already)
    remote: str | None  # the remote pushed to; None when push was False
    files: int  # number of files in the published tree
    changed: bool = True  # False: the tree was the tip's, no commit was made
    up_to_date: bool = False  # the remote already had the commit; nothing was sent


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
    force: bool = False,
    env: Mapping[str, str] | None = None,
) -> DeployResult:
    """Commit the contents of `output_dir` as the new tip of `branch` and push it to `remote`.

    `repo_dir` is any folder inside the user's git work tree. `env` is the environment git runs
    with (default: this process's). `force` publishes even onto a branch that is not ours (see the
    module docstring). Raises ScholarpageError for every problem the user can fix.
    """
    output_dir = Path(output_dir)
    repo_dir = Path(repo_dir)
    check_deploy_options(remote=remote, branch=branch, message=message)
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

    # The commit goes on top of the branch's history: the local branch, else the remote's.
    ref = f"refs/heads/{branch}"
    old = _rev(git, ref)
    parent, where = old, f"the local branch {branch!r}"
    if parent is None and push:
        parent, where = _fetch_remote_tip(git, remote, branch), f"{branch!r} on {remote!r}"
    if parent is not None and not force:
        _check_ours(git, parent, branch, where)

    entries = _hash_files(git, output_dir, files)
    if not any(e.path == b".nojekyll" for e in entries):
        entries = _put(entries, b".nojekyll", _hash_bytes(git, b""))
    entries = _put(entries, MARKER.encode(), _hash_bytes(git, MARKER_TEXT))
    if domain is not None:
        entries = _put(entries, b"CNAME", _hash_bytes(git, domain.encode() + b"\n"))

    tree = _write_tree(git, git_dir, entries)
    if parent is not None and git.out(["rev-parse", f"{parent}^{{tree}}"]) == tree:
        return _unchanged(git, remote, branch, ref, parent, old, push=push, files=len(entries))
    ident_env = _identity_env(git, base_env)
    text = message if message is not None else _default_message(git)
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
        ["update-ref", "-m", "scholarpage deploy", "--", ref, commit, old or ""],
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


def _unchanged(
    git: _Git,
    remote: str,
    branch: str,
    ref: str,
    tip: str,
    old: str | None,
    *,
    push: bool,
    files: int,
) -> DeployResult:
    """The site is the tip's: no commit. A local tip is pushed (the remote may lack it: an
    earlier deploy with push=False); a tip taken from the remote is there already."""
    up_to_date = push
    if push and old is not None:
        up_to_date = _push(git, remote, branch, ref, tip, old)
    return DeployResult(
        branch=branch,
        commit=tip,
        pushed=push,
        remote=remote if push else None,
        files=files,
        changed=False,
        up_to_date=up_to_date,
    )


def check_deploy_options(*, remote: str, branch: str, message: str | None) -> None:
    """Refuse values that git could read as an option (or that are no name at all), before any
    work is done. The message never reaches git's command line (it goes through stdin), but one
    starting with `-` is almost always an option typed where the message belongs."""
    problems: list[Problem] = []
    for key, value in (("remote", remote), ("branch", branch), ("message", message)):
        if value is None:
            continue
        if key == "message" and not value.strip():
            problems.append(
                Problem(
                    "cannot deploy: the commit message is empty",
                    key="message",
                    hint="give a non-empty message",
                )
            )
        elif value.startswith("-") and key == "message":
            problems.append(
                Problem(
                    f"cannot deploy: the message {_shown(value)} starts with `-`, so it looks "
                    "like an option given where the message belongs",
                    key=key,
                    hint="write the message itself, starting with another character",
                )
            )
        elif value.startswith("-"):
            problems.append(
                Problem(
                    f"cannot deploy: the {key} {_shown(value)} starts with `-`, so git would "
                    "read it as an option",
                    key=key,
                    hint=f"give a {key} that does not start with `-` (was an option given where "
                    f"the {key} belongs, as in `--{key}=--something`?)",
                )
            )
        elif key != "message" and (
            not value.strip() or any(ord(c) < 32 or 127 <= ord(c) <= 159 for c in value)
        ):
            problems.append(
                Problem(
                    f"cannot deploy: the {key} {_shown(value)} is empty or holds control "
                    "characters",
                    key=key,
                    hint="give a plain name, such as `origin` or `gh-pages`",
                )
            )
    if problems:
        raise ScholarpageError(tuple(problems))


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
    # The full ref name: git's rules for a branch, with no `@{-1}` expansion and no option.
    ref = f"refs/heads/{branch}"
    proc = git.run(["check-ref-format", ref], check=False)
    if proc.returncode != 0 or branch.startswith("-") or branch in ("HEAD", "@"):
        raise ScholarpageError.single(
            f"cannot deploy: {_shown(branch)} is not a valid branch name",
            key="branch",
            hint="use a plain branch name such as `gh-pages` (see `git help check-ref-format`)",
        )
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


def _check_ours(git: _Git, commit: str, branch: str, where: str) -> None:
    """Refuse a tip that is not a published scholarpage site: its files would be replaced."""
    proc = git.run(["ls-tree", "-z", commit], doing=f"could not read the tip of {where}")
    types: dict[str, str] = {}
    for item in proc.stdout.split(b"\0"):
        info, tab, name = item.partition(b"\t")
        if tab:
            types[os.fsdecode(name)] = info.decode("ascii", "replace").split(" ")[1]
    sources = [n + ("/" if types[n] == "tree" else "") for n in _SOURCES if n in types]
    if not types or (types.get(MARKER) == "blob" and not sources):
        return
    if sources:
        why = f"holds {' and '.join(sources)}, the sources of a site"
    else:
        why = f"has no {MARKER} marker, so scholarpage did not publish it"
    subject = git.run(["log", "-1", "--format=%s", commit], check=False).stdout
    title = _clean(subject.decode("utf-8", "replace")).strip()
    title = title if len(title) <= 60 else title[:57] + "..."
    raise ScholarpageError.single(
        f"cannot deploy: {where} is not a branch scholarpage publishes to: its tip "
        f"{commit[:12]} ({title!r}) {why}; deploying would replace its files with the built site",
        file=git.cwd,
        key="branch",
        hint="publish to a branch of its own (the default `--branch gh-pages`); if "
        f"{branch!r} really should hold only the built site, deploy with --force (its history "
        "is kept)",
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
            f"pass one of the remotes above, or add it: `git remote add {remote} URL`; or "
            "commit to the branch without pushing: `scholarpage deploy --no-push`"
            if remotes
            else f"add your GitHub repository: `git remote add {remote} URL`, or commit to the "
            "branch without pushing: `scholarpage deploy --no-push`"
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


def _put(entries: list[_Entry], path: bytes, sha: str) -> list[_Entry]:
    """`entries` with `path` as a regular file of blob `sha`, replacing whatever had that path
    (also a folder of that name, which git could not store beside the file)."""
    inside = path + b"/"
    kept = [e for e in entries if e.path != path and not e.path.startswith(inside)]
    return [*kept, _Entry(path, "100644", sha)]


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
        ["ls-remote", "--heads", "--", remote, ref],
        timeout=NETWORK_TIMEOUT,
        doing=f"could not reach remote {remote!r}",
    )
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            git.run(
                ["fetch", "--no-tags", "--quiet", "--", remote, ref],
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


def _push(git: _Git, remote: str, branch: str, ref: str, commit: str, old: str | None) -> bool:
    """Push `ref`; True when the remote had it already (nothing was sent)."""
    proc = git.run(
        [
            "-c",
            "advice.pushUpdateRejected=false",
            "push",
            "--porcelain",
            "--",
            remote,
            f"{ref}:{ref}",
        ],
        timeout=NETWORK_TIMEOUT,
        check=False,
    )
    if proc.returncode == 0:
        # porcelain: "=<TAB>from:to<TAB>[up to date]" for a ref the remote already has
        return any(
            line.startswith("=\t") for line in proc.stdout.decode("utf-8", "replace").splitlines()
        )
    # Put the local branch back, so a failed deploy leaves the repository as it was.
    if old is None:
        git.run(["update-ref", "-d", "--", ref, commit], check=False)
    else:
        git.run(
            ["update-ref", "-m", "scholarpage deploy: undo", "--", ref, old, commit], check=False
        )
    raise push_failure(
        proc.stdout.decode("utf-8", "replace"), _stderr(proc), remote=remote, branch=branch
    )


def push_failure(stdout: str, stderr: str, *, remote: str, branch: str) -> ScholarpageError:
    """The error for a failed `git push --porcelain`: a branch that moved (fetch and retry) told
    apart from a server that refused the push (retrying changes nothing: its reason is shown)."""
    # porcelain: "!<TAB>from:to<TAB>[rejected] (non-fast-forward)" for every refused ref
    summaries = [
        line.split("\t")[2].strip()
        for line in stdout.splitlines()
        if line.startswith("!") and line.count("\t") >= 2
    ]
    lines = [_clean(line).rstrip() for line in stderr.splitlines()]
    said = [line for line in lines if line.startswith("remote:") and line[7:].strip()]
    errors = [line for line in lines if line.strip() and not line.startswith(("remote:", "hint:"))]
    report = "\n".join(f"  {line}" for line in [*summaries, *said, *errors])
    if any(s.startswith("[rejected]") for s in summaries):
        return ScholarpageError.single(
            f"cannot deploy: the push to {remote!r} was rejected: {branch!r} on the remote has "
            f"commits your local {branch!r} does not have (the branch moved):\n{report}",
            key="branch",
            hint=f"fetch the remote branch and build on it: `git fetch {remote} {branch}` then "
            f"`git branch -f {branch} FETCH_HEAD`, and deploy again",
        )
    remote_rejected = [s for s in summaries if s.startswith("[remote rejected]")]
    if remote_rejected or (not summaries and _PERMISSION_RE.search(stderr)):
        reason = "no permission"
        if remote_rejected:
            reason = remote_rejected[0].removeprefix("[remote rejected]").strip(" ()")
        server = "\n".join(f"  {line}" for line in said or errors) or "  (it gave no reason)"
        return ScholarpageError.single(
            f"cannot deploy: the server of {remote!r} refused the push to {branch!r} "
            f"({reason}); this is not a conflict, so fetching and retrying will not help. "
            f"The server said:\n{server}",
            key="remote",
            hint="do what the server's message asks: a protected branch, a repository hook or "
            "missing write access stops the push (on GitHub: the branch rules under Settings > "
            "Branches, and your access to the repository); then deploy again",
        )
    return ScholarpageError.single(
        f"cannot deploy: `git push {remote} {branch}` failed:\n{report}",
        key="remote",
        hint="check that the remote URL is right and that you may push to it, then deploy again",
    )


def _shown(value: str) -> str:
    """A user value for a message: quoted, control characters escaped, long ones cut."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _clean(text: str) -> str:
    """Text from git or a server without the control characters that could rewrite the
    terminal (colours, cursor moves); a carriage return (progress output) ends a line."""
    text = _ESCAPE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL_RE.sub("", text)


def _command_name(args: Sequence[str]) -> str:
    """The git subcommand in `args`, skipping `-c key=value` options."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        rest = rest[2:] if rest[0] == "-c" else rest[1:]
    return rest[0] if rest else "git"


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return _clean(proc.stderr.decode("utf-8", "replace")).strip()


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
    force: bool = False,
) -> PublishResult:
    """Build SITE_DIR with --strict into a temporary folder (the user's _site is neither needed
    nor touched) and publish it; refuses a site without base_url, whose pages would lack
    canonical links, sitemap and feed."""
    check_deploy_options(remote=remote, branch=branch, message=message)
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
            force=force,
        )
    return PublishResult(built.papers, result)
