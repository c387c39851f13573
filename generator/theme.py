"""Theme lookup: the site's templates/ -> the theme (site's own themes/NAME or built-in) -> parent.

A template in an override folder may extend the one it replaces with `{% extends "!theme/x.html" %}`
(pelican's convention): the `!theme/` prefix skips the site's overrides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import jinja2

from generator.config import check_option_value
from generator.errors import Problems, ScholarpageError, Warnings, did_you_mean
from generator.model import OptionKind, ThemeOption
from generator.sources import (
    PUBLISHED,
    TEMPLATE,
    Refusal,
    publishable,
    publishable_tree,
    read_input,
)
from generator.yamlfile import YamlDoc, read_yaml

THEME_FILE = "theme.yaml"
THEME_KEYS = ("name", "description", "parent", "options", "abstract")
OPTION_KEYS = ("type", "default", "doc", "choices")
OPTION_KINDS: tuple[OptionKind, ...] = get_args(OptionKind)


def builtin_themes_dir() -> Path:
    """Themes shipped in the wheel (generator/themes) or, from a checkout, top-level themes/."""
    here = Path(__file__).resolve().parent
    packaged = here / "themes"
    return packaged if packaged.is_dir() else here.parent / "themes"


BASE_THEME = "base"
"""The built-in parent of every theme (shared head partial, 404 page); never chosen directly."""


def is_abstract(theme_dir: Path) -> bool:
    """True when theme.yaml says `abstract: true`: a parent for other themes, not a theme to use."""
    try:
        data = read_yaml(theme_dir / THEME_FILE, what="theme.yaml").data
    except ScholarpageError:
        return False  # a broken theme.yaml is reported when the theme is used
    return isinstance(data, dict) and data.get("abstract") is True


def available_themes(site_dir: Path) -> list[str]:
    """Themes a site may choose (abstract parents such as `base` are not offered)."""
    found = [p for p in builtin_themes_dir().iterdir() if (p / THEME_FILE).is_file()]
    site_themes = site_dir / "themes"
    if site_themes.is_dir():
        found += [p for p in site_themes.iterdir() if (p / THEME_FILE).is_file()]
    return sorted({p.name for p in found if not is_abstract(p)})


class ThemeEnvironment(jinja2.Environment):
    """A theme's Jinja environment; `theme` names what made it, for "template not found"."""

    theme: Theme | None = None


@dataclass(frozen=True)
class Theme:
    """A resolved theme: its folders, most specific first, and its declared option defaults.

    `specs` are the typed options of the theme and its parents (a child's declaration wins), so
    site.yaml's `theme_options` can be checked against them.
    """

    name: str
    dirs: tuple[Path, ...]
    overrides: Path | None
    options: tuple[tuple[str, Any], ...]
    specs: tuple[ThemeOption, ...] = ()

    def template_dirs(self) -> list[Path]:
        return [d / "templates" for d in self.dirs if (d / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Output path -> source file; a child theme's file wins over its parent's.

        Each file must be publishable from inside its theme's folder: a symlink in `static/`
        that leads elsewhere, a FIFO or an oversized file is an error naming it."""
        files: dict[str, Path] = {}
        problems = Problems()
        for directory in reversed(self.dirs):
            try:
                found = publishable_tree(
                    directory, directory / "static", PUBLISHED, inside="the theme folder"
                )
            except ScholarpageError as exc:
                problems.extend(exc.problems)
                continue
            for rel, source in found:
                files["assets/" + rel] = source
        problems.raise_if_any()
        return files

    def environment(self, kind: type[ThemeEnvironment] = ThemeEnvironment) -> ThemeEnvironment:
        """The Jinja environment of this template search path (`kind`: a subclass to build).
        Templates come through ConfinedLoader: from their folder only, regular, bounded."""
        theme_folders = [(d / "templates", d) for d in self.dirs if (d / "templates").is_dir()]
        theme_loader = ConfinedLoader(theme_folders, "the theme folder")
        loaders: list[jinja2.BaseLoader] = []
        if self.overrides is not None and self.overrides.is_dir():
            site_dir = self.overrides.parent
            loaders.append(ConfinedLoader([(self.overrides, site_dir)], "the site folder"))
        loaders.append(theme_loader)
        # "!theme/x.html": the theme's x.html, skipping the site's overrides (pelican's prefix);
        # "!NAME/x.html": x.html as theme NAME of the chain (or its parents) has it, so a child
        # theme can extend the parent template it replaces without extending itself.
        prefixes: dict[str, jinja2.BaseLoader] = {"!theme": theme_loader}
        for i, directory in enumerate(self.dirs):
            chain = [(d / "templates", d) for d in self.dirs[i:] if (d / "templates").is_dir()]
            prefixes.setdefault("!" + directory.name, ConfinedLoader(chain, "the theme folder"))
        loader = jinja2.ChoiceLoader([jinja2.PrefixLoader(prefixes, delimiter="/"), *loaders])
        env = kind(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.theme = self
        return env


class ConfinedLoader(jinja2.BaseLoader):
    """FileSystemLoader's lookup, but a template is read only through `sources`: publishable
    from inside its root (the theme's folder, or the site folder for `templates/`), so a
    template symlinked to /proc/self/environ is never rendered into the site; a FIFO or a huge
    file is an error, not a hang."""

    def __init__(self, folders: Sequence[tuple[Path, Path]], inside: str) -> None:
        self.folders = tuple(folders)  # (search folder, root it must stay inside)
        self.inside = inside

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)  # refuses ".." itself
        for folder, root in self.folders:
            candidate = folder.joinpath(*pieces)
            if not os.path.lexists(candidate):
                continue
            rel = candidate.relative_to(root)
            found = publishable(root, rel, TEMPLATE, inside=self.inside, example=rel.as_posix())
            if isinstance(found, Refusal):
                raise ScholarpageError.single(
                    f"template {found.reason}", file=candidate, hint=found.hint
                )
            data = read_input(found, TEMPLATE)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ScholarpageError.single(
                    f"template is not valid UTF-8 (byte offset {exc.start})",
                    file=candidate,
                    hint="save the file as UTF-8",
                ) from None
            # universal newlines, as FileSystemLoader's text-mode read gives them
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            filename = os.path.normpath(candidate)
            try:
                mtime = os.path.getmtime(filename)
            except OSError:  # gone since it was read: the next build looks again
                mtime = -1.0

            def uptodate(filename: str = filename, mtime: float = mtime) -> bool:
                try:
                    return os.path.getmtime(filename) == mtime
                except OSError:
                    return False

            return text, filename, uptodate
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder, _ in self.folders:
            for path in folder.rglob("*"):
                if path.is_file():
                    found.add(path.relative_to(folder).as_posix())
        return sorted(found)


_THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _find_theme_dir(name: str, site_dir: Path) -> Path | None:
    """The folder of theme `name`: a plain folder name under the site's themes/ or the built-in
    ones, never a path (`../x` would pick any folder holding a theme.yaml)."""
    if not _THEME_NAME.fullmatch(name) or ".." in name:
        return None
    for base in (site_dir / "themes", builtin_themes_dir()):
        candidate = base / name
        if (candidate / THEME_FILE).is_file():
            return candidate
    return None


def _read_theme_file(
    path: Path, folder_name: str, warnings: Warnings | None
) -> tuple[str | None, list[ThemeOption]]:
    """Validate one theme.yaml like site.yaml: every problem with its line, then stop once."""
    doc: YamlDoc = read_yaml(path, what="theme.yaml")
    data = doc.data if doc.data is not None else {}
    problems = Problems()

    def fail(key: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        name = ".".join(str(k) for k in key)
        problems.add(message, path, doc.line(key), name, hint)

    if not isinstance(data, dict):
        raise ScholarpageError.single("expected a mapping of key: value", file=path, line=1)
    for key in data:
        if key not in THEME_KEYS:
            hint = did_you_mean(str(key), THEME_KEYS) or f"known keys: {', '.join(THEME_KEYS)}"
            if warnings is None:
                fail((key,), "unknown key", hint)
            else:
                warnings.warn(
                    "unknown key (ignored)",
                    file=path,
                    line=doc.line((key,)),
                    key=str(key),
                    hint=hint,
                )
    declared = data.get("name")
    if declared is not None and str(declared) != folder_name and warnings is not None:
        warnings.warn(
            f"theme name '{declared}' differs from its folder '{folder_name}'",
            file=path,
            line=doc.line(("name",)),
            key="name",
            hint="the folder name is what site.yaml's `theme:` refers to",
        )
    parent = data.get("parent")
    if parent is not None and (
        not isinstance(parent, str) or not _THEME_NAME.fullmatch(parent) or ".." in parent
    ):
        fail(("parent",), "expected the name of a theme (a folder name, not a path)")
        parent = None
    specs: list[ThemeOption] = []
    raw_options = data.get("options") or {}
    if not isinstance(raw_options, dict):
        fail(("options",), "expected a mapping of option name: {type, default, doc}")
        raw_options = {}
    for opt_name, raw in raw_options.items():
        spec = _theme_option(doc, opt_name, raw, fail)
        if spec is not None:
            specs.append(spec)
    problems.raise_if_any()
    return parent, specs


Fail = Callable[[tuple[str | int, ...], str, str | None], None]


def _theme_option(doc: YamlDoc, opt_name: str | int, raw: Any, fail: Fail) -> ThemeOption | None:
    """One entry of theme.yaml's `options`, checked (problems go to `fail`); None when it is
    not an option at all (not a mapping, or of an unknown type)."""
    path = doc.path
    where: tuple[str | int, ...] = ("options", opt_name)
    if not isinstance(raw, dict):
        fail(where, "expected a mapping with type, default and doc", None)
        return None
    for key in raw:
        if key not in OPTION_KEYS:
            fail((*where, key), "unknown key", did_you_mean(str(key), OPTION_KEYS))
    kind = raw.get("type", "str")
    if kind not in OPTION_KINDS:
        fail(
            (*where, "type"),
            f"unknown type {kind!r}; expected one of " + ", ".join(OPTION_KINDS),
            did_you_mean(str(kind), OPTION_KINDS),
        )
        return None
    choices = raw.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        fail((*where, "choices"), "expected a list of names", None)
        choices = []
    if kind == "choice" and not choices:
        fail((*where, "choices"), "a choice option needs its list of choices", None)
    default = raw.get("default")
    spec = ThemeOption(
        name=str(opt_name),
        kind=next(k for k in OPTION_KINDS if k == kind),  # the Literal it equals
        default=default,
        doc=str(raw.get("doc") or ""),
        choices=tuple(choices),
        nullable=default is None,
        file=path,
        line=doc.line(where),
    )
    value, error = check_option_value(spec, default)
    if error:
        fail((*where, "default"), f"default {error}", None)
    return ThemeOption(
        spec.name, spec.kind, value, spec.doc, spec.choices, spec.nullable, path, spec.line
    )


def load_theme(
    name: str,
    site_dir: Path,
    config_file: Path | None = None,
    warnings: Warnings | None = None,
) -> Theme:
    """Resolve `name` and its parents; an unknown theme lists the ones that exist.

    Each theme.yaml is validated; without `warnings`, unknown keys are errors rather than
    warnings (callers that cannot report warnings should not silently drop them).
    """
    chosen = _find_theme_dir(name, site_dir)
    if chosen is not None and is_abstract(chosen):
        raise ScholarpageError.single(
            f"theme '{name}' is a parent for other themes, not a theme to use",
            file=config_file,
            key="theme",
            hint=f"available themes: {', '.join(available_themes(site_dir))}",
        )
    dirs: list[Path] = []
    specs: dict[str, ThemeOption] = {}
    current: str | None = name
    while current is not None:
        found = _find_theme_dir(current, site_dir)
        if found is None:
            raise ScholarpageError.single(
                f"theme '{current}' not found",
                file=config_file,
                key="theme",
                hint=f"available themes: {', '.join(available_themes(site_dir))}",
            )
        if found in dirs:
            raise ScholarpageError.single(
                f"theme '{current}' is its own ancestor", file=found / THEME_FILE
            )
        dirs.append(found)
        parent, declared = _read_theme_file(found / THEME_FILE, current, warnings)
        for spec in declared:
            specs.setdefault(spec.name, spec)
        current = parent or None
    base = builtin_themes_dir() / BASE_THEME
    if base not in dirs and (base / THEME_FILE).is_file():
        dirs.append(base)  # built-ins last: every theme gets _seo_head.html and 404.html
    overrides = site_dir / "templates"
    ordered = tuple(specs[k] for k in sorted(specs))
    return Theme(
        name,
        tuple(dirs),
        overrides if overrides.is_dir() else None,
        tuple((s.name, s.default) for s in ordered),
        ordered,
    )
