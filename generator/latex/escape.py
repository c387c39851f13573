"""HTML escaping and whitespace rules shared by the text and math halves of the converter."""

from __future__ import annotations

import re

WS = re.compile(r"[ \t\n\r\f\v]+")
WJ = "\u2060"  # word joiner: keeps a literal backslash from reading as a command


def esc(s: str) -> str:
    """Escape text for element content (and double-quoted attributes)."""
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    return s


def collapse(s: str) -> str:
    """Runs of ASCII whitespace to one space, ends stripped (no-break and thin spaces stay)."""
    if "  " in s or "\n" in s or "\t" in s or "\r" in s or "\f" in s or "\v" in s:
        s = WS.sub(" ", s)
    return s.strip(" ")
