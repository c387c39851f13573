"""LaTeX in BibTeX field values -> safe HTML and plain text.

BibTeX values are LaTeX fragments written by people and mangled by exporters (Mendeley, Zotero,
Papers3). Pages need them as HTML that can be inserted as-is, and titles, feeds and search need
them as plain Unicode. This package is the one place that does it:

- ``tables``: the vocabulary (accents, letters, symbols, markup, math commands), read-only data;
- ``repair``: undoes exporter damage before anything else looks at the value;
- ``text``: the single-pass tokenizer for text mode, and ``convert``;
- ``math``: formulas to MathML and plain text through one token walk, latex2mathml beyond it;
- ``escape``: HTML escaping and whitespace rules both modes share.

``convert`` is pure and never raises: whatever the input, the HTML is well formed, only uses a
small set of elements, and never shows a raw ``\\command``.
"""

from __future__ import annotations

from generator.latex.text import Rendered, convert

__all__ = ["Rendered", "convert"]
