"""The command line: parse options, call one library function, report. The only module that
prints or exits."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator.completion import SHELLS, completion_script
from generator.errors import Problem, ScholarpageError
from generator.seo import SITEMAP

if TYPE_CHECKING:
    from generator.importers import ImportReport

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

    _global_flags(_import_parser(sub), after_command=True)
    _global_flags(_migrate_parser(sub), after_command=True)

    completion = command("completion", "print a shell completion script (bash, zsh, fish)")
    completion.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    return parser


def _migrate_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    from generator.migrate import GENERATORS

    mig = sub.add_parser(
        "migrate",
        help="move an al-folio, academicpages or Hugo Blox site over",
        description="Read the site in SRC (never written to) and write a scholarpage site into "
        "DEST (new or empty); what could not be carried over is listed with its file and line.",
    )
    mig.add_argument(
        "generator", choices=GENERATORS, metavar="GENERATOR", help=", ".join(GENERATORS)
    )
    mig.add_argument("src", type=Path, metavar="SRC", help="the site to migrate from")
    mig.add_argument("dest", type=Path, metavar="DEST", help="the new scholarpage site folder")
    return mig


def _import_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    from generator.importers import SOURCES

    imp = sub.add_parser(
        "import",
        help="add papers from arXiv, ORCID, DBLP, OpenAlex or a .bib",
        description="Add papers to the site's BibTeX (the first bibliography in site.yaml, or "
        "--into): deduplicated by DOI, arXiv id and title, the user's entries never changed "
        "except their citations count. IDs: arxiv AUTHOR or ARXIV-IDS; orcid ORCID-iD; dblp "
        "PERSON-ID (45/8290); openalex AUTHOR-ID (A5023888391); bibtex FILE-or-URL.",
    )
    imp.add_argument("source", choices=SOURCES, metavar="SOURCE", help=", ".join(SOURCES))
    imp.add_argument("ids", nargs="*", metavar="ID", help="what to import (see above)")
    imp.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="read a saved API answer or export instead of the network",
    )
    imp.add_argument("--into", type=Path, metavar="BIB", help="the .bib to add to")
    imp.add_argument(
        "--site", type=Path, default=Path("."), metavar="SITE_DIR", help="the site folder (.)"
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="report what would change, write nothing"
    )
    imp.add_argument(
        "--api-url", metavar="URL", help="the API's base URL (a mirror; default: the public API)"
    )
    imp.add_argument("--limit", type=int, default=1000, help="most works to fetch (1000)")
    imp.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    imp.add_argument("--retries", type=int, default=3, help="retries on 429/5xx/timeouts (3)")
    return imp


def _report(problems: Sequence[Problem], label: str) -> None:
    for problem in problems:
        print(f"{label}: {problem.format()}", file=sys.stderr)


def _cmd_build(args: argparse.Namespace) -> int:
    from generator.incremental import build_site

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


class _ProgressBar:
    """One self-overwriting status line on a terminal (stderr), cleared when done."""

    def __init__(self) -> None:
        self.width = 0

    def __call__(self, what: str, done: int, total: int | None) -> None:
        from generator.importers.records import printable

        what = printable(what, 60)
        if total:
            filled = int(24 * min(done, total) / total)
            line = f"{what} [{'#' * filled}{'.' * (24 - filled)}] {done}/{total}"
        else:
            line = f"{what}: {done}" if done else what
        line = line[:79]
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = max(self.width, len(line))

    def close(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _cmd_import(args: argparse.Namespace) -> int:
    from generator.importers import ImportRequest, import_papers

    request = ImportRequest(
        source=args.source,
        ids=tuple(args.ids),
        from_file=args.from_file,
        site_dir=args.site,
        into=args.into,
        dry_run=args.dry_run,
        api_url=args.api_url,
        limit=args.limit,
        timeout=args.timeout,
        retries=args.retries,
    )
    bar = _ProgressBar() if sys.stderr.isatty() and not args.quiet else None
    try:
        report = import_papers(request, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if args.quiet:
        return EXIT_OK
    try:
        _print_import(report, verbose=args.verbose)
    except BrokenPipeError:  # `scholarpage import ... | head`: the rest is not wanted
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def _print_import(report: ImportReport, *, verbose: bool) -> None:
    from generator.importers.records import printable

    counts = (
        f"{len(report.new)} new, {len(report.present)} already present, "
        f"{len(report.updated)} updated, {len(report.skipped)} skipped"
    )
    print(f"{report.source} ({printable(report.query)}) -> {report.into}: {counts}")
    for item in report.new:
        print(f"  + {printable(item.key or '')}  {item.title} ({item.detail})")
    for item in report.updated:
        print(f"  ~ {printable(item.key or '')}  {item.title}: {item.detail}")
    for item in report.skipped:
        key = f"{printable(item.key)}  " if item.key else ""
        print(f"  - {key}{item.title}: skipped, {item.detail}")
    if verbose:
        for item in report.present:
            print(f"  = {printable(item.key or '')}  {item.title}: {item.detail}")
        if report.dropped_fields:
            fields = ", ".join(f"{name} ({n})" for name, n in report.dropped_fields)
            print(f"  fields not carried over: {printable(fields, 500)}")
    for note in report.notes:
        print(f"note: {note}")
    if report.metrics_written:
        verb = "would be written" if report.dry_run else "written"
        print(f"metrics {verb} to {report.profile}: {', '.join(report.metrics_written)} (OpenAlex)")
    for kept in report.metrics_kept:
        print(f"metrics: kept {kept}")
    if report.metrics_manual:
        print(f"metrics: add these lines to {report.profile or 'the profile'} yourself:")
        print("\n".join("  " + line for line in report.metrics_manual.splitlines()))
    if report.dry_run:
        print("Dry run: nothing was written.")
    elif report.backup is not None:
        print(f"The previous version is kept as {report.backup}")
    elif not report.written:
        print(f"{report.into} is unchanged.")


def _cmd_migrate(args: argparse.Namespace) -> int:
    from generator.importers.records import printable
    from generator.migrate import migrate_site

    report = migrate_site(args.generator, args.src, args.dest)
    if args.quiet:
        return EXIT_OK
    print(f"Migrated {args.generator} site {args.src} into {args.dest} ({report.files} files)")
    for item in report.carried:
        print(f"  + {printable(item, 200)}")
    if report.lost:
        print(f"Not carried over ({len(report.lost)}):")
        for lost in report.lost:
            print(f"  - {printable(lost.format(), 300)}")
    print(f"Next: scholarpage build {args.dest}")
    return EXIT_OK


COMMANDS = {
    "init": _cmd_init,
    "serve": _cmd_serve,
    "build": _cmd_build,
    "deploy": _cmd_deploy,
    "import": _cmd_import,
    "migrate": _cmd_migrate,
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
