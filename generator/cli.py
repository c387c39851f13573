"""The command line: parse options, call one library function, report. The only module that
prints or exits."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator import __version__
from generator.completion import SHELLS, completion_script
from generator.errors import Problem, ScholarpageError
from generator.seo import SITEMAP

EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
NO_BASE_URL_NOTE = (
    "note: base_url is not set: the pages have no canonical or og:url links, and no sitemap.xml "
    "or feed.xml was written (links between pages work anyway).\n"
    "  tip: set base_url in site.yaml, or pass --base-url https://USER.github.io/REPOSITORY/"
)


def _site_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "site_dir",
        nargs="?",
        default=".",
        type=Path,
        metavar="SITE_DIR",
        help="the site folder, with site.yaml (default: the current folder)",
    )


GLOBAL_FLAGS_TITLE = "global options (before or after the command)"


def _global_flags(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """-v, -q and --version, accepted before the command and after it (`build . -v`).

    After the command their default is SUPPRESS: argparse copies a subcommand's values over the
    main parser's, so a default there would undo a `-v` given before the command.
    """
    default: Any = argparse.SUPPRESS if after_command else False
    group = parser.add_argument_group(GLOBAL_FLAGS_TITLE)
    group.add_argument("--version", action="version", version=f"scholarpage {__version__}")
    group.add_argument("-v", "--verbose", action="store_true", default=default, help="say more")
    group.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="print errors only"
    )


def _parser() -> argparse.ArgumentParser:
    """The commands, listed by `--help` in the order a newcomer uses them, one line each."""
    parser = argparse.ArgumentParser(
        prog="scholarpage",
        description="Build a researcher's profile site from site.yaml, a YAML profile and BibTeX.",
        epilog="Start with `scholarpage init my-site`. "
        "`scholarpage COMMAND --help` shows a command's options.",
    )
    _global_flags(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        made = sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:])
        _global_flags(made, after_command=True)
        return made

    init = command("init", "create a new site folder with an example profile")
    init.add_argument("directory", type=Path, metavar="DIR", help="the folder to create")

    serve = command("serve", "preview on 127.0.0.1, rebuild and reload on save")
    _site_dir(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--open", action="store_true", help="open the site in a web browser")

    build = command("build", "build the site into _site/ (or -o DIR)")
    _site_dir(build)
    build.add_argument("-o", "--output", type=Path, metavar="OUT", help="output folder")
    build.add_argument("--base-url", metavar="URL", help="override base_url from site.yaml")
    build.add_argument("--theme", metavar="NAME", help="override the theme from site.yaml")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")

    deploy = command("deploy", "build --strict, commit to gh-pages and push it")
    _site_dir(deploy)
    deploy.add_argument("--remote", default="origin", help="remote to push to (origin)")
    deploy.add_argument("--branch", default="gh-pages", help="branch to publish to (gh-pages)")
    deploy.add_argument("-m", "--message", metavar="M", help="commit message")
    deploy.add_argument("--no-push", action="store_true", help="commit to the branch, no push")
    deploy.add_argument("--base-url", metavar="URL", help="override base_url from site.yaml")
    deploy.add_argument(
        "--force",
        action="store_true",
        help="publish even to a branch scholarpage did not publish (its tip has site.yaml, "
        "content/ or no .scholarpage marker): its files are replaced, its history is kept",
    )

    completion = command("completion", "print a shell completion script (bash, zsh, fish)")
    completion.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    return parser


def _report(problems: Sequence[Problem], label: str) -> None:
    for problem in problems:
        print(f"{label}: {problem.format()}", file=sys.stderr)


def _cmd_build(args: argparse.Namespace) -> int:
    from generator.build import build_site

    result = build_site(
        args.site_dir,
        output=args.output,
        base_url=args.base_url,
        theme=args.theme,
        strict=args.strict,
    )
    if not args.quiet:
        _report(result.warnings, "warning")
        print(
            f"Built {result.papers} papers into {result.out_dir} "
            f"({result.pages} pages, {result.files} files"
            + (f", {len(result.warnings)} warnings" if result.warnings else "")
            + ")"
        )
        if not (result.out_dir / SITEMAP).exists():
            print(NO_BASE_URL_NOTE, file=sys.stderr)
    return EXIT_OK


def _cmd_deploy(args: argparse.Namespace) -> int:
    from generator.deploy import build_and_deploy

    published = build_and_deploy(
        args.site_dir,
        remote=args.remote,
        branch=args.branch,
        message=args.message,
        push=not args.no_push,
        base_url=args.base_url,
        force=args.force,
    )
    result = published.deploy
    if not args.quiet and not result.changed:
        if not result.pushed:
            where = "(not pushed)"
        elif result.up_to_date:
            where = f"which {result.remote} already has"
        else:
            where = f"and pushed it to {result.remote}"
        print(
            f"Nothing changed since the last deploy: no new commit; branch {result.branch} "
            f"stays at commit {result.commit[:12]} {where}"
        )
        if not result.pushed:
            print(f"Publish it with: git push {args.remote} {result.branch}")
    elif not args.quiet:
        where = f"and pushed it to {result.remote}" if result.pushed else "(not pushed)"
        print(
            f"Deployed {published.papers} papers ({result.files} files) to branch "
            f"{result.branch} as commit {result.commit[:12]} {where}"
        )
        if not result.pushed:
            print(f"Publish it with: git push {args.remote} {result.branch}")
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from generator.scaffold import init_site

    created = init_site(args.directory)
    if not args.quiet:
        for path in created:
            if args.verbose:
                print(f"  created {path}")
        print(
            f"Created a new site in {args.directory}. Next: cd {shlex.quote(str(args.directory))}"
            " && scholarpage serve (a preview that follows your edits)"
        )
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from generator.serve import ServeEvent, serve_site

    def report(event: ServeEvent) -> None:
        if event.kind == "serving":
            print(f"Serving {args.site_dir} at {event.url} (Ctrl-C to stop)", flush=True)
            if args.open:
                import webbrowser

                webbrowser.open(event.url)
        elif event.kind == "failed":
            print(f"Rebuild failed ({event.message}):", file=sys.stderr, flush=True)
            _report(event.problems, "error")
        elif event.kind == "warning":
            print(f"warning: {event.message}", file=sys.stderr, flush=True)
        elif event.kind == "built" and event.result is not None and not args.quiet:
            if args.verbose or event.message == "start":
                _report(event.problems, "warning")
            result = event.result
            print(
                f"Built {result.papers} papers in {event.seconds * 1000:.0f} ms "
                f"({len(result.changed)} files changed"
                + (f", {len(result.warnings)} warnings" if result.warnings else "")
                + f"; {event.message})",
                flush=True,
            )

    serve_site(args.site_dir, host=args.host, port=args.port, report=report)
    if not args.quiet:
        print("Stopped.")
    return EXIT_OK


def _cmd_completion(args: argparse.Namespace) -> int:
    sys.stdout.write(completion_script(_parser(), args.shell))
    return EXIT_OK


COMMANDS = {
    "init": _cmd_init,
    "serve": _cmd_serve,
    "build": _cmd_build,
    "deploy": _cmd_deploy,
    "completion": _cmd_completion,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare `scholarpage`: what it can do
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:  # SIGTERM (a CI job cancelled, `kill`) cleans up as Ctrl-C does
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread: signals are not ours to set
        previous = None
    try:
        return COMMANDS[args.command](args)
    except ScholarpageError as exc:
        _report(exc.problems, "error")
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
