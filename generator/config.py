"""Stage 1: site.yaml -> SiteConfig, validated against a declared schema.

Every problem is collected with its line, then reported once (mkdocs' config style); unknown keys
get a did-you-mean and are warnings (errors under --strict).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.errors import Problems, ScholarpageError, Warnings, did_you_mean
from generator.model import BadgeSpec, BibSource, SiteConfig, ThemeOption
from generator.yamlfile import Bounds, YamlDoc, read_yaml, shown

CONFIG_NAME = "site.yaml"
SORT_ORDERS = ("date", "file", "score", "citations", "title")
CV_PUBLICATIONS = ("selected", "all", "none")
NEWS_ON_HOME_MAX = 100
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
# base_url is written into HTML attributes, XML (sitemap, feed) and JSON-LD as it is
_URL_UNSAFE = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")
_HOST = re.compile(r"[^\W_](?:[\w.-]*[^\W_])?|[0-9A-Fa-f:.]+", re.UNICODE)
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
URL_TIP = "give where the site will live, such as https://alice.github.io/profile/"


@dataclass(frozen=True)
class Option:
    """One documented site.yaml key: expected type, default, what it is for and, for a number,
    the range it may take."""

    kind: str
    default: Any
    doc: str
    bounds: Bounds | None = None


SCHEMA: dict[str, Option] = {
    "title": Option("str", "", "Site title; defaults to the profile's name."),
    "description": Option("str", "", "One sentence for search engines and link previews."),
    "base_url": Option(
        "url", "", "Where the site will live, e.g. https://alice.github.io/profile/."
    ),
    "domain": Option(
        "domain", None, "Custom domain for `scholarpage deploy` (written to CNAME), e.g. www.x.org."
    ),
    "language": Option("language", "en", "Language of the pages (html lang), e.g. en or en-GB."),
    "theme": Option("name", "scholar", "Theme name: built-in, or a folder in themes/."),
    "profile": Option("path", "content/profile.yaml", "The researcher's profile (YAML)."),
    "bibliography": Option("bibs", ["content/papers.bib"], "BibTeX files, read in this order."),
    "output": Option("path", "_site", "Output folder."),
    "today": Option("date", None, "Reference date for dates (else SOURCE_DATE_EPOCH/now)."),
    "paper_badges": Option("badges", [], "Numeric BibTeX fields shown as badges on each paper."),
    "max_authors": Option("int", 3, "Authors named before 'et al.' in lists.", Bounds(1, 1000)),
    "sort": Option("sort", "date", "Paper order: date, file, score, citations or title."),
    "theme_options": Option("mapping", {}, "Options for the theme (see its theme.yaml)."),
    "news_on_home": Option(
        "int", 5, "News items on the home page (0: none).", Bounds(0, NEWS_ON_HOME_MAX)
    ),
    "cv_publications": Option(
        "cv_publications", "selected", "Papers on the CV: selected (else all), all or none."
    ),
    "cv_pdf": Option("bool", False, "Also write cv.pdf from the CV (needs scholarpage[pdf])."),
}
BADGE_DECIMALS = Bounds(0, 6)
"""`paper_badges[i].decimals`: digits shown after the point."""


OPTION_INT = Bounds(0, 10_000)
"""The range of an `int` option (counts such as authors or items shown)."""
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def check_option_value(spec: ThemeOption, value: Any) -> tuple[Any, str | None]:
    """Convert `value` to the option's type; (value, None) when fine, (default, error) when not.

    Shared by theme.yaml defaults and site.yaml `theme_options`, so both are held to one rule.
    """
    if value is None and spec.nullable:
        return None, None
    kind = spec.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        return spec.default, f"expected true or false, got {shown(value)}"
    if kind == "int":
        error = OPTION_INT.error(value)
        return (value, None) if error is None else (spec.default, error)
    if kind == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value), None
        return spec.default, f"expected text, got {shown(value)}"
    if kind == "color":
        if isinstance(value, str) and _COLOR.fullmatch(value.strip()):
            return value.strip().lower(), None
        return spec.default, f"expected a colour such as #2563eb, got {shown(value)}"
    if kind == "choice":
        if isinstance(value, str) and value in spec.choices:
            return value, None
        return spec.default, f"expected one of {', '.join(spec.choices)}, got {shown(value)}"
    if kind == "list":
        items = value if isinstance(value, list) else None
        if items is None or not all(isinstance(v, str) for v in items):
            return spec.default, f"expected a list of names, got {shown(value)}"
        bad = [v for v in items if spec.choices and v not in spec.choices]
        if bad:
            return (
                spec.default,
                f"unknown value {shown(bad[0])}; expected some of {', '.join(spec.choices)}",
            )
        return tuple(items), None
    return spec.default, f"unknown option type {kind!r}"


def _check_url(value: str) -> str | None:
    """An error message, or None when `value` can be the site's base URL: an absolute http(s)
    URL with a host, no query or fragment (page paths are appended to it), and none of the
    characters that would need escaping where it is written (attributes, XML, JSON-LD)."""
    unsafe = _URL_UNSAFE.search(value)
    if unsafe:
        char = unsafe.group()
        what = "a space" if char == " " else "whitespace" if char.isspace() else repr(char)
        return f"must not contain {what}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number < 65536)
    except ValueError:
        return "is not a valid URL (check the host and port)"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http(s) URL such as https://alice.github.io/profile/"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if not parts.hostname or not _HOST.fullmatch(parts.hostname):
        return f"has no valid host name ({parts.hostname or 'none'})"
    if "?" in value:
        return "must not have a query (?...): page paths are appended to it"
    if "#" in value:
        return "must not have a fragment (#...): page paths are appended to it"
    return None


def _check_name(value: object) -> str | None:
    """An error message, or None when `value` is a plain folder name (a theme's)."""
    if isinstance(value, str) and _NAME.fullmatch(value) and ".." not in value:
        return None
    return f"expected a theme name (a folder name, no path), got {shown(value)}"


def _check_cli_theme(theme: str, site_dir: Path) -> tuple[str, str] | None:
    """A (message, hint) when the theme named by --theme cannot be used; said to come from the
    command line, since site.yaml's `theme:` is not what failed (nor read at all)."""
    # theme.py reads theme.yaml with this module's option checks: imported here, not at the top
    from generator.theme import THEME_FILE, available_themes, builtin_themes_dir, is_abstract

    choices = available_themes(site_dir)
    if theme in choices:
        return None
    folders = (site_dir / "themes" / theme, builtin_themes_dir() / theme)
    if any((folder / THEME_FILE).is_file() and is_abstract(folder) for folder in folders):
        what = "is a parent for other themes, not a theme to use"
    else:
        what = "was not found"
    hint = did_you_mean(theme, choices)
    available = f"available themes: {', '.join(choices)}"
    return (
        f"theme {theme!r} given on the command line {what}",
        f"{hint} {available}" if hint else available,
    )


def _check_domain_matches(
    doc: YamlDoc, values: dict[str, Any], *, from_cli: bool, warnings: Warnings
) -> None:
    """Warn when `domain:` (where GitHub Pages will serve the site) and the host of base_url (what
    canonical links, og:url, sitemap.xml and feed.xml point at) disagree: every absolute URL
    would then lead search engines and link previews to the other host."""
    domain, base_url = values["domain"], values["base_url"]
    host = (urlsplit(base_url).hostname or "").lower() if base_url else ""
    if not domain or not host or host == domain:
        return
    line = doc.line(("base_url",))
    where = (
        f"--base-url {base_url}"
        if from_cli
        else f"base_url {base_url} ({CONFIG_NAME}{f':{line}' if line else ''})"
    )
    warnings.warn(
        f"{domain} is not the host of {where}: canonical links, og:url, sitemap.xml and "
        f"feed.xml would point at {host}, not at {domain}",
        file=doc.path,
        line=doc.line(("domain",)),
        key="domain",
        hint=(
            f"pass --base-url https://{domain}/, or remove domain: from {CONFIG_NAME}; in the "
            "GitHub Actions workflow --base-url is the address GitHub Pages reports, so set the "
            "custom domain under Settings -> Pages -> Custom domain"
            if from_cli
            else f"set base_url: https://{domain}/ (a custom domain serves the site at its "
            f"root), or remove domain: to publish at {host}"
        ),
    )


class _Checker:
    """Collects problems while converting raw YAML values to typed ones."""

    def __init__(self, doc: YamlDoc, site_dir: Path) -> None:
        self.doc = doc
        self.site_dir = site_dir
        self.problems = Problems()

    def fail(self, key: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        name = ".".join(str(k) for k in key)
        self.problems.add(message, self.doc.path, self.doc.line(key), name, hint)

    def typed(self, key: str, value: Any) -> Any:
        kind = SCHEMA[key].kind
        checker: Callable[[str, Any], Any] = getattr(self, f"_as_{kind}")
        return checker(key, value)

    def _as_str(self, key: str, value: Any) -> Any:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self.fail((key,), f"expected text, got {type(value).__name__}")
        return SCHEMA[key].default

    def _as_url(self, key: str, value: Any) -> Any:
        if value in ("", None):
            return ""
        if not isinstance(value, str):
            self.fail((key,), f"expected a URL, got {type(value).__name__}")
            return ""
        error = _check_url(value)
        if error:
            self.fail((key,), f"{shown(value)} {error}", URL_TIP)
            return ""
        return value if value.endswith("/") else value + "/"

    def _as_domain(self, key: str, value: Any) -> Any:
        if value in ("", None):
            return None
        host = str(value).strip().lower() if isinstance(value, str) else ""
        if not _DOMAIN.fullmatch(host):
            self.fail(
                (key,),
                f"expected a host name such as www.example.org, got {shown(value)}",
                "give only the host: no https://, no path (GitHub Pages reads it from CNAME)",
            )
            return None
        return host

    def _as_path(self, key: str, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            self.fail((key,), "expected a path relative to the site folder")
            return self.site_dir / SCHEMA[key].default
        return (self.site_dir / value).resolve()

    def _as_int(self, key: str, value: Any) -> Any:
        bounds = SCHEMA[key].bounds
        assert bounds is not None, f"{key}: a number option declares its bounds"
        error = bounds.error(value)
        if error:
            self.fail((key,), error, f"the default is {SCHEMA[key].default}")
            return SCHEMA[key].default
        return value

    def _as_name(self, key: str, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        error = _check_name(value)
        if error:
            self.fail((key,), error, "give the name of a built-in theme or of a folder in themes/")
            return SCHEMA[key].default
        return value

    def _as_language(self, key: str, value: Any) -> Any:
        if value in ("", None):
            return ""
        if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
            self.fail(
                (key,),
                f"expected a language tag such as en or en-GB, got {shown(value)}",
                "it becomes the pages' lang attribute (BCP 47: en-GB, not en_GB)",
            )
            return SCHEMA[key].default
        return value

    def _as_date(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        self.fail((key,), f"expected a date YYYY-MM-DD, got {shown(value)}")
        return None

    def _as_sort(self, key: str, value: Any) -> Any:
        if value not in SORT_ORDERS:
            hint = did_you_mean(str(value), list(SORT_ORDERS)) if isinstance(value, str) else None
            self.fail((key,), f"expected one of {', '.join(SORT_ORDERS)}, got {shown(value)}", hint)
            return SCHEMA[key].default
        return value

    def _as_bool(self, key: str, value: Any) -> Any:
        if not isinstance(value, bool):
            self.fail((key,), f"expected true or false, got {value!r}")
            return SCHEMA[key].default
        return value

    def _as_cv_publications(self, key: str, value: Any) -> Any:
        if value not in CV_PUBLICATIONS:
            hint = did_you_mean(str(value), list(CV_PUBLICATIONS))
            self.fail((key,), f"expected one of {', '.join(CV_PUBLICATIONS)}, got {value!r}", hint)
            return SCHEMA[key].default
        return value

    def _as_mapping(self, key: str, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail((key,), "expected a mapping of option: value")
            return {}
        names = [k for k in value if not isinstance(k, str)]
        for name in names:
            self.fail((key, name), f"an option name is text, got {shown(name)}")
        return {k: v for k, v in value.items() if isinstance(k, str)}

    def _as_bibs(self, key: str, value: Any) -> Any:
        items = [value] if isinstance(value, (str, dict)) else value
        if not isinstance(items, list):
            self.fail((key,), "expected a list of .bib files")
            return ()
        out: list[BibSource] = []
        for i, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                out.append(BibSource((self.site_dir / item).resolve()))
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                extra = sorted(set(item) - {"path", "encoding"})
                if extra:
                    self.fail((key, i, extra[0]), "unknown key; an entry has path and encoding")
                enc = item.get("encoding")
                if enc is not None and not isinstance(enc, str):
                    self.fail((key, i, "encoding"), "expected an encoding name such as latin-1")
                    enc = None
                out.append(BibSource((self.site_dir / item["path"]).resolve(), enc))
            else:
                self.fail((key, i), "expected a path, or a mapping with path (and encoding)")
        return tuple(out)

    def _as_badges(self, key: str, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail((key,), "expected a list of {field, label} mappings")
            return ()
        out: list[BadgeSpec] = []
        for i, item in enumerate(value):
            if isinstance(item, str) and _FIELD.fullmatch(item):
                out.append(BadgeSpec(item.lower(), item.capitalize()))
                continue
            if isinstance(item, str):
                self.fail(
                    (key, i), f"expected a BibTeX field name such as score, got {shown(item)}"
                )
                continue
            if not isinstance(item, dict) or not isinstance(item.get("field"), str):
                self.fail((key, i), "expected a mapping with field (and label, decimals)")
                continue
            if not _FIELD.fullmatch(item["field"]):
                self.fail(
                    (key, i, "field"),
                    f"expected a BibTeX field name such as score, got {shown(item['field'])}",
                )
                continue
            label = item.get("label", item["field"].capitalize())
            if not isinstance(label, (str, int, float)) or isinstance(label, bool):
                self.fail((key, i, "label"), f"expected a label as text, got {shown(label)}")
                continue
            decimals = item.get("decimals", 1)
            error = BADGE_DECIMALS.error(decimals)
            if error:
                self.fail((key, i, "decimals"), error, "digits shown after the point")
                decimals = 1
            out.append(BadgeSpec(item["field"].lower(), str(label), decimals))
        return tuple(out)


def load_config(
    site_dir: Path,
    warnings: Warnings,
    *,
    base_url: str | None = None,
    theme: str | None = None,
    output: Path | None = None,
) -> SiteConfig:
    """Read and validate SITE_DIR/site.yaml; command-line overrides win over the file."""
    site_dir = site_dir.resolve()
    path = site_dir / CONFIG_NAME
    if not os.path.lexists(path):
        raise ScholarpageError.single(
            f"no {CONFIG_NAME} in {site_dir}",
            file=path,
            hint="run `scholarpage init DIR` to create a site, or pass the site folder",
        )
    doc = read_yaml(path, what=CONFIG_NAME)
    raw = doc.data if doc.data is not None else {}
    if not isinstance(raw, dict):
        raise ScholarpageError.single(
            "expected a mapping of key: value at the top level", file=path, line=1
        )
    check = _Checker(doc, site_dir)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in SCHEMA:
            hint = did_you_mean(str(key), list(SCHEMA))
            warnings.warn(
                "unknown key (ignored)",
                file=path,
                line=doc.line((key,)),
                key=str(key),
                hint=hint or f"known keys: {', '.join(SCHEMA)}",
            )
            continue
        values[key] = check.typed(key, value)
    for key, option in SCHEMA.items():
        if key not in values:
            values[key] = check.typed(key, option.default)
    if theme is not None:
        error = _check_name(theme) or _check_cli_theme(theme, site_dir)
        if error:
            message, hint = error if isinstance(error, tuple) else (error, None)
            check.problems.add(message, key="--theme", hint=hint)
    if base_url is not None:
        error = _check_url(base_url)
        if error:
            check.problems.add(f"{shown(base_url)} {error}", key="--base-url", hint=URL_TIP)
        else:
            values["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    check.problems.raise_if_any()
    _check_domain_matches(doc, values, from_cli=base_url is not None, warnings=warnings)
    out_dir = output.resolve() if output is not None else values["output"]
    return SiteConfig(
        site_dir=site_dir,
        config_file=path,
        title=values["title"],
        description=values["description"],
        base_url=values["base_url"],
        domain=values["domain"],
        language=values["language"],
        theme=theme or values["theme"],
        profile=values["profile"],
        bibliography=values["bibliography"],
        output=out_dir,
        today=values["today"],
        paper_badges=values["paper_badges"],
        max_authors=values["max_authors"],
        sort=values["sort"],
        theme_options=tuple(sorted(values["theme_options"].items())),
        theme_option_lines=tuple(
            (str(k), line)
            for k in values["theme_options"]
            if (line := doc.line(("theme_options", k))) is not None
        ),
        news_on_home=values["news_on_home"],
        cv_publications=values["cv_publications"],
        cv_pdf=values["cv_pdf"],
        key_lines=tuple((str(k), line) for k in raw if (line := doc.line((k,))) is not None),
    )


def check_theme_options(
    config: SiteConfig, specs: tuple[ThemeOption, ...], warnings: Warnings
) -> tuple[tuple[str, object], ...]:
    """site.yaml's `theme_options` checked against the theme's declared options, defaults filled.

    Runs once the theme is known (after load_config). Like site.yaml keys: an unknown option is a
    warning with a did-you-mean, a value of the wrong type an error; all problems at once.
    """
    lines = dict(config.theme_option_lines)
    known = {spec.name: spec for spec in specs}
    given = dict(config.theme_options)
    problems = Problems()
    for key in given:
        if key not in known:
            warnings.warn(
                "unknown theme option (ignored)",
                file=config.config_file,
                line=lines.get(key),
                key=f"theme_options.{key}",
                hint=did_you_mean(key, list(known))
                or f"theme '{config.theme}' options: {', '.join(known) or 'none'}",
            )
    values: dict[str, object] = {}
    for name, spec in known.items():
        if name not in given:
            values[name] = spec.default
            continue
        value, error = check_option_value(spec, given[name])
        if error:
            where = f" (declared in {spec.file}:{spec.line})" if spec.file else ""
            problems.add(
                error,
                config.config_file,
                lines.get(name),
                f"theme_options.{name}",
                (spec.doc + where).strip() or None,
            )
        values[name] = value
    problems.raise_if_any()
    return tuple(sorted(values.items()))
