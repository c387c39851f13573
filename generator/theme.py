"""Theme lookup: the site's templates/ -> the theme (site's own themes/NAME or built-in) -> parent.

A template in an override folder may extend the one it replaces with `{% extends "!theme/x.html" %}`
(pelican's convention): the `!theme/` prefix skips the site's overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator.errors import ScholarpageError
from generator.yamlfile import read_yaml

THEME_FILE = "theme.yaml"


def builtin_themes_dir() -> Path:
    """Themes shipped in the wheel (generator/themes) or, from a checkout, top-level themes/."""
    here = Path(__file__).resolve().parent
    packaged = here / "themes"
    return packaged if packaged.is_dir() else here.parent / "themes"


def available_themes(site_dir: Path) -> list[str]:
    names = {p.name for p in builtin_themes_dir().iterdir() if (p / THEME_FILE).is_file()}
    site_themes = site_dir / "themes"
    if site_themes.is_dir():
        names |= {p.name for p in site_themes.iterdir() if (p / THEME_FILE).is_file()}
    return sorted(names)


@dataclass(frozen=True)
class Theme:
    """A resolved theme: its folders, most specific first, and its declared option defaults."""

    name: str
    dirs: tuple[Path, ...]
    overrides: Path | None
    options: tuple[tuple[str, Any], ...]

    def template_dirs(self) -> list[Path]:
        return [d / "templates" for d in self.dirs if (d / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Output path -> source file; a child theme's file wins over its parent's."""
        files: dict[str, Path] = {}
        for directory in reversed(self.dirs):
            static = directory / "static"
            if static.is_dir():
                for path in sorted(static.rglob("*")):
                    if path.is_file() and not path.name.startswith((".", "~")):
                        files["assets/" + path.relative_to(static).as_posix()] = path
        return files

    def environment(self) -> jinja2.Environment:
        theme_loader = jinja2.FileSystemLoader([str(d) for d in self.template_dirs()])
        loaders: list[jinja2.BaseLoader] = []
        if self.overrides is not None and self.overrides.is_dir():
            loaders.append(jinja2.FileSystemLoader(str(self.overrides)))
        loaders.append(theme_loader)
        loader = jinja2.ChoiceLoader(
            [jinja2.PrefixLoader({"!theme": theme_loader}, delimiter="/"), *loaders]
        )
        return jinja2.Environment(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )


def _find_theme_dir(name: str, site_dir: Path) -> Path | None:
    for base in (site_dir / "themes", builtin_themes_dir()):
        candidate = base / name
        if (candidate / THEME_FILE).is_file():
            return candidate
    return None


def load_theme(name: str, site_dir: Path, config_file: Path | None = None) -> Theme:
    """Resolve `name` and its parents; an unknown theme lists the ones that exist."""
    dirs: list[Path] = []
    options: dict[str, Any] = {}
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
        doc = read_yaml(found / THEME_FILE, what="theme.yaml")
        data = doc.data if isinstance(doc.data, dict) else {}
        for key, spec in (data.get("options") or {}).items():
            if key not in options:
                options[key] = spec.get("default") if isinstance(spec, dict) else spec
        parent = data.get("parent")
        current = str(parent) if parent else None
    overrides = site_dir / "templates"
    return Theme(
        name, tuple(dirs), overrides if overrides.is_dir() else None, tuple(sorted(options.items()))
    )
