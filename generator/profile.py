"""Stage 2a: profile.yaml -> Profile (declared metrics kept apart from computed ones)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from generator.errors import Problems, ScholarpageError
from generator.markdown import html_to_text, render_markdown
from generator.model import Link, Metric, Profile
from generator.sources import PHOTO, Refusal, publishable
from generator.urls import safe_url
from generator.yamlfile import Bounds, YamlDoc, read_yaml, shown

PROFILE_KEYS = (
    "name",
    "aliases",
    "affiliation",
    "photo",
    "email",
    "category",
    "links",
    "bio",
    "metrics",
)
COUNT = Bounds(0, 1_000_000_000)
"""A standard metric (a count of papers or citations, an index)."""
CUSTOM_NUMBER = Bounds(-1e12, 1e12, whole=False)
"""A custom metric's number (a score, a percentage, an amount)."""
# standard metrics: key -> (label, value shown before the label)
STANDARD_METRICS: dict[str, tuple[str, bool]] = {
    "h_index": ("h-index", False),
    "papers": ("papers", True),
    "citations": ("citations", True),
    "i10_index": ("i10-index", False),
}


class _Reader:
    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.problems = Problems()

    def fail(self, keypath: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        name = ".".join(str(k) for k in keypath)
        self.problems.add(message, self.doc.path, self.doc.line(keypath), name, hint)

    def text(self, data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((key,), "is required", hint=f"add `{key}: ...` to the profile")
            return None
        if isinstance(value, (dict, list, bool)):
            self.fail((key,), f"expected text, got {type(value).__name__}")
            return None
        return str(value).strip()

    def links(self, value: Any) -> tuple[Link, ...]:
        if value is None:
            return ()
        items: list[tuple[Any, Any, tuple[str | int, ...]]] = []
        if isinstance(value, dict):
            items = [(k, v, ("links", k)) for k, v in value.items()]
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    items.append((item.get("label"), item.get("url"), ("links", i)))
                else:
                    self.fail(("links", i), "expected a mapping with label and url")
        else:
            self.fail(("links",), "expected a mapping of label: url, or a list of {label, url}")
        out: list[Link] = []
        for label, url, where in items:
            if not isinstance(label, str) or not isinstance(url, str):
                self.fail(where, "a link needs a text label and a url")
                continue
            checked = safe_url(url)
            if checked is None:
                self.fail(
                    where, f"unsafe or malformed URL {url!r}", hint="use an http(s) or mailto URL"
                )
                continue
            out.append(Link(label, checked))
        return tuple(out)

    def number(
        self, value: Any, where: tuple[str | int, ...], bounds: Bounds
    ) -> float | int | None:
        error = bounds.error(value)
        if error:
            self.fail(where, error, hint="write the value as a plain number, e.g. 53")
            return None
        assert isinstance(value, (int, float))
        return value

    def as_of(self, value: Any, where: tuple[str | int, ...]) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value
        self.fail(where, f"expected a date YYYY-MM-DD, got {shown(value)}")
        return None

    def metrics(self, value: Any) -> tuple[tuple[Metric, ...], tuple[Metric, ...]]:
        if value is None:
            return (), ()
        if not isinstance(value, dict):
            self.fail(("metrics",), "expected a mapping (h_index, citations, custom, ...)")
            return (), ()
        declared: list[Metric] = []
        custom: list[Metric] = []
        for key, raw in value.items():
            where: tuple[str | int, ...] = ("metrics", key)
            if key == "custom":
                custom.extend(self.custom(raw))
                continue
            if key not in STANDARD_METRICS:
                known = ", ".join([*STANDARD_METRICS, "custom"])
                self.fail(where, "unknown metric", hint=f"known metrics: {known}")
                continue
            source = None
            as_of = None
            if isinstance(raw, dict):
                source = raw.get("source")
                if isinstance(source, (dict, list, bool)):
                    self.fail((*where, "source"), f"expected text, got {shown(source)}")
                as_of = self.as_of(raw.get("as_of"), (*where, "as_of"))
                raw = raw.get("value")
                where = (*where, "value")
            number = self.number(raw, where, COUNT)
            if number is None:
                continue
            label, first = STANDARD_METRICS[key]
            declared.append(
                Metric(key, label, number, "", first, str(source) if source else None, as_of)
            )
        return tuple(declared), tuple(custom)

    def custom(self, raw: Any) -> list[Metric]:
        if not isinstance(raw, list):
            self.fail(("metrics", "custom"), "expected a list of {label, value, unit, source}")
            return []
        out: list[Metric] = []
        for i, item in enumerate(raw):
            where: tuple[str | int, ...] = ("metrics", "custom", i)
            if not isinstance(item, dict) or "label" not in item or "value" not in item:
                self.fail(where, "a custom metric needs a label and a value")
                continue
            if isinstance(item["label"], (dict, list, bool)) or item["label"] is None:
                self.fail(
                    (*where, "label"), f"expected a label as text, got {shown(item['label'])}"
                )
                continue
            value = item["value"]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if self.number(value, (*where, "value"), CUSTOM_NUMBER) is None:
                    continue
            elif not isinstance(value, str):
                self.fail((*where, "value"), f"expected a number or short text, got {shown(value)}")
                continue
            unit, source = item.get("unit") or "", item.get("source")
            value_first = item.get("value_first", False)
            for name, given in (("unit", unit), ("source", source)):
                if isinstance(given, (dict, list, bool)):
                    self.fail((*where, name), f"expected text, got {shown(given)}")
            if not isinstance(value_first, bool):
                self.fail(
                    (*where, "value_first"), f"expected true or false, got {shown(value_first)}"
                )
            out.append(
                Metric(
                    key=f"custom-{i}",
                    label=str(item["label"]),
                    value=value,
                    unit=str(unit),
                    value_first=value_first is True,
                    source=str(source) if source else None,
                    as_of=self.as_of(item.get("as_of"), (*where, "as_of")),
                )
            )
        return out


def read_profile(path: Path, site_dir: Path | None = None) -> Profile:
    """Read and validate the researcher's profile; all problems are reported together.

    `photo` is an https URL or a path relative to the site folder (not to profile.yaml, so it
    reads the same wherever site.yaml puts the profile); the file must be publishable from
    inside the site folder (see generator/sources.py), checked here at its line when `site_dir`
    is given, and again by render_site before it is published."""
    doc = read_yaml(path, what="profile")
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ScholarpageError.single("expected a mapping of key: value", file=path, line=1)
    reader = _Reader(doc)
    for key in data:
        if key not in PROFILE_KEYS:
            reader.fail((key,), "unknown key", hint=f"known keys: {', '.join(PROFILE_KEYS)}")
    name = reader.text(data, "name", required=True) or ""
    aliases_raw = data.get("aliases") or []
    if not isinstance(aliases_raw, list):
        reader.fail(("aliases",), "expected a list of names")
        aliases_raw = []
    photo = reader.text(data, "photo")
    if photo is not None and safe_url(photo) is None:
        reader.fail(("photo",), "expected a path inside the site folder or an https URL")
        photo = None
    elif photo is not None and "://" not in photo and site_dir is not None:
        # a path is relative to the site folder, and what it names is published: confined
        found = publishable(site_dir, photo, PHOTO)
        if isinstance(found, Refusal):
            reader.fail(("photo",), f"{photo} {found.reason}", found.hint)
            photo = None
    bio_source = reader.text(data, "bio") or ""
    declared, custom = reader.metrics(data.get("metrics"))
    links = reader.links(data.get("links"))
    category = reader.text(data, "category")
    affiliation = reader.text(data, "affiliation")  # read before the check, so a list is reported
    email = reader.text(data, "email")
    for i, alias in enumerate(aliases_raw):
        if isinstance(alias, (dict, list, bool)) or alias is None:
            reader.fail(("aliases", i), f"expected a name, got {shown(alias)}")
    reader.problems.raise_if_any()
    bio_html = render_markdown(bio_source) if bio_source else ""
    return Profile(
        file=path,
        name=name,
        aliases=tuple(str(a) for a in aliases_raw),
        affiliation=affiliation,
        photo=photo,
        email=email,
        category=category.upper() if category else None,
        links=links,
        bio_html=bio_html,
        bio_text=html_to_text(bio_html),
        declared_metrics=declared,
        custom_metrics=custom,
    )
