"""The command line: parse options, call one library function, report. The only module that
prints or exits."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import __version__
from generator.errors import Problem, ScholarpageError

EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scholarpage",
        description="Build a researcher's profile site from site.yaml, a YAML profile and BibTeX.",
    )
    parser.add_argument("--version", action="version", version=f"scholarpage {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="say more")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    build = sub.add_parser("build", help="build the site into _site/ (or -o DIR)")
    build.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR")
    build.add_argument("-o", "--output", type=Path, metavar="OUT", help="output folder")
    build.add_argument("--base-url", metavar="URL", help="override base_url from site.yaml")
    build.add_argument("--theme", metavar="NAME", help="override the theme from site.yaml")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")

    init = sub.add_parser("init", help="create a new site folder with an example profile")
    init.add_argument("directory", type=Path, metavar="DIR")
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
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from generator.scaffold import init_site

    created = init_site(args.directory)
    if not args.quiet:
        for path in created:
            if args.verbose:
                print(f"  created {path}")
        print(f"Created a new site in {args.directory}. Next: scholarpage build {args.directory}")
    return EXIT_OK


COMMANDS = {"build": _cmd_build, "init": _cmd_init}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except ScholarpageError as exc:
        _report(exc.problems, "error")
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
