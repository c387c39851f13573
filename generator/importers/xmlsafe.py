"""XML from the network, parsed without trusting it (what defusedxml does, with the stdlib).

A document type declaration is refused outright: it is where entity definitions live, so
refusing it rules out entity expansion bombs ("billion laughs") and external entities (files or
URLs pulled into the document). No API we read sends one. Nesting depth is bounded; size is
bounded by the caller (the HTTP client's cap, the input file limit). Malformed or cut-off XML
is an error with its line and column.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from xml.parsers import expat

from generator.importers.records import Origin

MAX_DEPTH = 200


class _Refused(Exception):
    pass


def parse_xml(data: bytes, origin: Origin, what: str) -> ET.Element:
    """The root element of `data`; element names are `{namespace}local` as in ElementTree."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0

    def name(raw: str) -> str:
        uri, sep, local = raw.rpartition(" ")
        return f"{{{uri}}}{local}" if sep else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(f"elements nested over {MAX_DEPTH} deep")
        builder.start(name(tag), {name(k): v for k, v in attrs.items()})

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(name(tag))

    def doctype(*_: object) -> None:
        raise _Refused("a document type declaration (<!DOCTYPE ...>), which could define entities")

    def entity(*_: object) -> None:
        raise _Refused("an entity declaration")

    def external(*_: object) -> int:
        raise _Refused("a reference to an external entity")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise origin.error(
            f"refusing this {what}: it contains {exc}", hint="check that this is the API's answer"
        ) from None
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code) if exc.code else str(exc)
        cut = (
            " (the response looks cut off)"
            if "no element found" in message or "unclosed" in message
            else ""
        )
        raise origin.error(
            f"the {what} is not well-formed XML: {message} at line {exc.lineno}, column "
            f"{exc.offset + 1}{cut}",
            line=exc.lineno,
            hint="download it again, or check that the file is the API's complete answer",
        ) from None
    try:
        return builder.close()
    except AssertionError:  # pragma: no cover - expat reports unbalanced elements first
        raise origin.error(f"the {what} is not well-formed XML") from None


def local(tag: str) -> str:
    """`{namespace}name` -> `name`."""
    return tag.rpartition("}")[2]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Direct children with local name `name`, whatever their namespace."""
    return (child for child in element if local(child.tag) == name)


def child(element: ET.Element | None, *path: str) -> ET.Element | None:
    """The first element along `path` of local names, or None."""
    current = element
    for name in path:
        if current is None:
            return None
        current = next(children(current, name), None)
    return current


def text(element: ET.Element | None, *path: str) -> str | None:
    """All text inside the element at `path` (None when absent or empty)."""
    found = child(element, *path) if path else element
    if found is None:
        return None
    value = "".join(found.itertext()).strip()
    return value or None


def walk(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every descendant with local name `name`, in document order."""
    return (e for e in element.iter() if local(e.tag) == name)
