"""`scholarpage import`: papers from arXiv, ORCID, DBLP, OpenAlex or any .bib into the site's
BibTeX, deduplicated and idempotent.

One module per job: `http` (the network client), one module per source turning its answer into
neutral records (`arxiv`, `orcid`, `dblp`, `openalex`, `bibfile` for any .bib), `records` (the
record and its clean BibTeX), `merge` (deduplication and the only edits allowed in the user's
file), `metrics` (profile metrics from OpenAlex), `atomic` (replacing a file safely) and `run`
(the order of it all, returning a report).
"""

from generator.importers.run import SOURCES, ImportReport, ImportRequest, import_papers

__all__ = ["SOURCES", "ImportReport", "ImportRequest", "import_papers"]
