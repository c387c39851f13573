"""BibTeX file -> @-blocks: decoding and the scanner.

Every block keeps its line, and a broken block cannot swallow the next (see the package
docstring): the scanner is ours, not pybtex's whole-file parser."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from generator.errors import ScholarpageError
from generator.model import BibSource
from generator.sources import BIBTEX, read_input

SPECIAL_KINDS = frozenset({"comment", "preamble", "string"})
"""Block types that are not entries: not papers and not lost."""

_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w:-]*)[ \t\r\n]*([{(])")
_SCAN = re.compile(r'[{}")]|\n(?=[ \t]*@[ \t]*[A-Za-z][\w:-]*[ \t]*[{(])')
_CODING = re.compile(rb"(?:-\*-.*?\bcoding|\bcoding|\bencoding)[:=][ \t]*([-\w.]+)", re.I)
_EMACS_CODINGS = MappingProxyType(
    {
        "iso-latin-1": "latin-1",
        "iso-latin-9": "iso8859-15",
        "latin-9": "iso8859-15",
        "utf-8-with-signature": "utf-8-sig",
        "prefer-utf-8": "utf-8",
        "undecided": "utf-8",
    }
)
_FIELD_LINE = re.compile(r"[ \t]*,?[ \t]*[A-Za-z][\w.:+/-]*[ \t]*=")


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One `@type{...}` block as it stands in the file; `repaired` when its braces never close."""

    kind: str
    start: int
    line: int
    text: str
    repaired: bool


def decode_bib(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode by the configured encoding, else an Emacs/JabRef coding cookie, else UTF-8 (BOM
    allowed). Guessing (e.g. a Latin-1 fallback) would turn a wrong file into silent mojibake,
    so an undecodable file is an error naming the byte offset."""
    origin = "site.yaml"
    if encoding is None:
        cookie = _CODING.search(raw[:4096])
        if cookie:
            origin = "the file's coding cookie"
            encoding = cookie.group(1).decode("ascii").lower()
            encoding = re.sub(r"-(unix|dos|mac)$", "", encoding)
            encoding = _EMACS_CODINGS.get(encoding, encoding)
    if encoding is not None and encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding or "utf-8-sig")
    except LookupError:
        raise ScholarpageError.single(
            f"unknown encoding {encoding!r} (from {origin})",
            file=path,
            hint="use a Python codec name such as utf-8, latin-1 or gbk",
        ) from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScholarpageError.single(
            f"cannot decode as {encoding or 'UTF-8'} at byte offset {exc.start} "
            f"(byte {raw[exc.start : exc.start + 1]!r})",
            file=path,
            line=line,
            hint="convert the file to UTF-8, or set its encoding in site.yaml: "
            "bibliography: [{path: ..., encoding: latin-1}]",
        ) from None


def split_entries(text: str) -> Iterator[RawEntry]:
    """Yield every @-block with its 1-based line; text outside blocks is a comment in BibTeX.

    An entry whose braces never balance is cut at the next line that starts a new entry, and
    its unclosed fields are closed at the end of their line (see _close_fields), so one typo
    costs at most one field rather than the rest of the file.
    """
    newlines = [m.start() for m in re.finditer("\n", text)]
    pos = 0
    n = len(text)
    while True:
        m = _ENTRY_START.search(text, pos)
        if m is None:
            return
        kind = m.group(1).lower()
        close_ch = "}" if m.group(2) == "{" else ")"
        depth = 0
        in_quote = False
        i = m.end()
        end = -1
        cut = n
        while True:
            s = _SCAN.search(text, i)
            if s is None:
                break
            ch = text[s.start()]
            i = s.end()
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0 and close_ch == "}":
                    end = i
                    break
                depth = max(depth - 1, 0)
            elif ch == '"':
                if depth == 0 and kind != "comment":
                    in_quote = not in_quote
            elif ch == ")":
                if close_ch == ")" and depth == 0 and not in_quote:
                    end = i
                    break
            else:
                # a line starting a new entry while this one is open: this one is broken
                cut = s.start()
                break
        line = bisect.bisect_right(newlines, m.start() - 1) + 1
        if end == -1:
            if kind != "comment":
                body = text[m.start() : cut].rstrip()
                yield RawEntry(kind, m.start(), line, _close_fields(body, close_ch), True)
            pos = max(cut, m.end())
            continue
        yield RawEntry(kind, m.start(), line, text[m.start() : end], False)
        pos = end


def _close_fields(body: str, close_ch: str) -> str:
    """Close, at the end of its line, each field whose braces are still open when the next
    field starts (`publisher = {Taylor {{\\&} Francis},` in a real Papers3 export)."""
    lines = body.split("\n")
    depth = 0
    out: list[str] = []
    for index, line in enumerate(lines):
        if index > 0 and depth > 0 and _FIELD_LINE.match(line):
            k = len(out) - 1
            while k > 0 and not out[k].strip():
                k -= 1
            prev = out[k].rstrip()
            comma = prev.endswith(",")
            out[k] = (prev[:-1] if comma else prev) + "}" * depth + ("," if comma else "")
            depth = 0
        start = line.index("{") + 1 if index == 0 and "{" in line else 0
        if index == 0 and close_ch == ")":
            start = line.index("(") + 1 if "(" in line else 0
        segment = line[start:]
        depth = max(depth + segment.count("{") - segment.count("}"), 0)
        out.append(line)
    return "\n".join(out) + "}" * depth + "\n" + close_ch


def read_text(source: BibSource) -> str:
    """A .bib file's text, read within the size limit and decoded (see decode_bib); a missing
    or unreadable file is a located error."""
    data = read_input(
        source.path, BIBTEX, missing="fix the path under `bibliography:` in site.yaml"
    )
    return decode_bib(data, source.path, source.encoding)


def entry_blocks(text: str) -> Iterator[RawEntry]:
    """The blocks to parse: split_entries without @comment, whose body BibTeX never reads."""
    return (block for block in split_entries(text) if block.kind != "comment")
