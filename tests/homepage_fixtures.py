"""Fixture sites for the homepage content types (news, CV, talks, teaching, people, files),
written on the fly into a test's folder: real files, built by the real pipeline."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

from tests.conftest import SHARED, write_site

ALFOLIO_CV = SHARED / "corpus" / "profiles" / "alfolio_cv_en.yml"
BASE_URL = "https://ada.example.org/lab/"

PROFILE = """name: Ada Example
aliases: [A. Example]
affiliation: Example University
links:
  CV: files/cv.pdf
  Code: https://example.org/code
bio: |
  I lead the lab. ![Our group](files/group.png)
"""

BIB = """@article{graphs2026,
  title = {Quokka Graphs at Scale},
  author = {Example, Ada and Other, Bob},
  date = {2026-03-02},
  journal = {J. Examples},
  selected = {true},
}
@inproceedings{fast2025,
  title = {Fast Solvers for Everything},
  author = {Other, Bob and Example, Ada and Third, Cy},
  year = {2025},
  booktitle = {Proc. Examples},
}
@misc{old2019,
  title = {An Old Note},
  author = {Example, Ada},
  year = {2019},
}
"""

NEWS = """# newest first on the site, whatever the order here
- date: 2026-03-01
  text: Our paper on [quokka graphs](papers/graphs2026/) is out. ![Group](files/group.png)
- date: 2026-09-15
  title: Grant awarded
  text: The lab received a **grant**.
  url: https://example.org/grant
- {date: 2025-11-02, text: Bob joined the lab.}
- {date: 2024-01-10, text: The lab opened.}
"""

TALKS = """- title: Quokka graphs
  event: ICML 2026
  location: Vienna, Austria
  date: 2026-07-20
  slides: files/slides.pdf
  video: https://example.org/video
- {title: Solvers for all, event: SIAM CSE, location: Amsterdam, date: 2025-03}
- {title: A first talk, event: Lab seminar, date: 2025}
"""

TEACHING = """- {course: Numerical Methods, role: Instructor, term: Fall 2025,
   institution: Example U, url: "https://example.org/nm"}
- {course: Linear Algebra, role: Teaching assistant, term: Spring 2023, institution: Other U}
- {course: Graph Theory, role: Instructor, term: Winter 2025/26, year: 2026}
"""

PEOPLE = """- {name: Bob Student, role: PhD student, years: 2024–, status: current,
   photo: files/bob.png, url: "https://bob.example.org"}
- {name: Cy Postdoc, role: Postdoc, years: 2025–, status: current}
- {name: Dee Alum, role: PhD student, years: 2018–2023, status: alumni}
"""

PAGE = """---
title: About
nav_order: 1
---
Read my [CV](files/cv.pdf), the [news](news/) and [talks](/talks/).

![The group](files/group.png)
"""


def png(width: int, height: int) -> bytes:
    """A real PNG image of the given size (red pixels)."""
    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def write_homepage(
    root: Path,
    *,
    site_yaml: str = f"today: 2026-11-28\nbase_url: {BASE_URL}\n",
    cv: str | None = "alfolio",
    files: dict[str, str] | None = None,
    profile: str = PROFILE,
) -> Path:
    """A site with every content type: pages, news, a CV, talks, teaching, people, files.

    `cv`: "alfolio" (the shared al-folio cv.yml, when present, else a small one in its
    format), "resume" (a JSON Resume file with every section), or None."""
    texts = {
        "content/news.yaml": NEWS,
        "content/talks.yaml": TALKS,
        "content/teaching.yaml": TEACHING,
        "content/people.yaml": PEOPLE,
        "content/pages/about.md": PAGE,
    }
    if cv == "alfolio":
        texts["content/cv.yaml"] = (
            ALFOLIO_CV.read_text(encoding="utf-8") if ALFOLIO_CV.is_file() else SMALL_ALFOLIO
        )
    elif cv == "resume":
        texts["content/resume.json"] = json.dumps(RESUME, indent=2, ensure_ascii=False)
    texts.update(files or {})
    site = write_site(root, site_yaml=site_yaml, profile=profile, bib=BIB, files=texts)
    (site / "content" / "files").mkdir(parents=True, exist_ok=True)
    (site / "content" / "files" / "group.png").write_bytes(png(48, 30))
    (site / "content" / "files" / "bob.png").write_bytes(png(20, 20))
    (site / "content" / "files" / "cv.pdf").write_bytes(MINIMAL_PDF)
    (site / "content" / "files" / "slides.pdf").write_bytes(MINIMAL_PDF)
    return site


SMALL_ALFOLIO = """- title: General Information
  type: map
  contents:
    - {name: Full Name, value: Albert Einstein}
- title: Education
  type: time_table
  contents:
    - title: PhD
      institution: University of Zurich
      year: 1905
      description:
        - Description 1.
        - title: Description 3.
          contents: [Sub-description 1.]
- title: Open Source Projects
  type: time_table
  contents:
    - {title: '<a href="https://github.com/alshedivat/al-folio">al-folio</a>', year: 2015-now}
- title: Honors and Awards
  type: time_table
  contents:
    - {year: 2029, items: [Max Planck Medal]}
- title: Academic Interests
  type: nested_list
  contents:
    - {title: Topic 1., items: [Description 1.]}
- title: Other Interests
  type: list
  contents:
    - "<u>Hobbies:</u> Hobby 1, Hobby 2, etc."
"""

RESUME: dict[str, Any] = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "basics": {
        "name": "Ada Example",
        "label": "Professor of Examples",
        "email": "ada@example.org",
        "phone": "+1 555 0100",
        "url": "https://ada.example.org",
        "summary": "Works on *examples* of all kinds.",
        "location": {"city": "Zurich", "countryCode": "CH"},
        "profiles": [{"network": "GitHub", "username": "ada", "url": "https://github.com/ada"}],
    },
    "work": [
        {
            "name": "Example University",
            "position": "Professor",
            "startDate": "2020-09-01",
            "summary": "Leads the Example Lab.",
            "highlights": ["Founded the lab"],
            "location": "Zurich",
        }
    ],
    "volunteer": [{"organization": "Open Examples", "position": "Maintainer", "startDate": "2018"}],
    "education": [
        {
            "institution": "ETH Zurich",
            "area": "Mathematics",
            "studyType": "PhD",
            "startDate": "2012-09",
            "endDate": "2016-06",
            "score": "summa cum laude",
            "courses": ["Numerical Analysis"],
        }
    ],
    "awards": [{"title": "Best Paper Award", "date": "2024-05-01", "awarder": "ICEX"}],
    "certificates": [{"name": "Certified Example", "date": "2021", "issuer": "Cert Org"}],
    "publications": [
        {"name": "A Book of Examples", "publisher": "Example Press", "releaseDate": "2022"}
    ],
    "skills": [{"name": "Numerics", "level": "Expert", "keywords": ["PDEs", "Krylov"]}],
    "languages": [{"language": "German", "fluency": "Native speaker"}],
    "interests": [{"name": "Hiking", "keywords": ["Alps"]}],
    "references": [{"name": "Prof. Ref", "reference": "Ada is great."}],
    "projects": [
        {
            "name": "scholarpage",
            "description": "A static site generator.",
            "highlights": ["Used by many"],
            "startDate": "2025",
            "url": "https://example.org/scholarpage",
        }
    ],
    "meta": {"version": "v1.0.0"},
}

RESUME_TEXTS = (
    "Professor of Examples",
    "ada@example.org",
    "Zurich, CH",
    "GitHub",
    "Leads the Example Lab.",
    "Founded the lab",
    "Open Examples",
    "PhD, Mathematics",
    "ETH Zurich",
    "summa cum laude",
    "Numerical Analysis",
    "Best Paper Award",
    "ICEX",
    "Certified Example",
    "A Book of Examples",
    "Numerics (Expert)",
    "Krylov",
    "German",
    "Native speaker",
    "Hiking",
    "Ada is great.",
    "A static site generator.",
)
RESUME_TITLES = (
    "Experience",
    "Volunteering",
    "Education",
    "Awards",
    "Certificates",
    "Publications",
    "Skills",
    "Languages",
    "Interests",
    "References",
    "Projects",
)


HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> & "q"'
"""Text that would run if any field were put into a page as markup."""


def hostile_site(root: Path) -> Path:
    """A site whose every new text field (news, CV of both kinds, talks, teaching, people)
    holds HOSTILE: built, no script may run and the text must show as it is."""
    quoted = json.dumps(HOSTILE)  # a JSON string is a YAML string too
    news = f"- {{date: 2026-01-01, title: {quoted}, text: {quoted}}}\n"
    cv = (
        f"- title: {quoted}\n  type: time_table\n  contents:\n"
        f"    - {{title: {quoted}, institution: {quoted}, year: {quoted}, location: {quoted},\n"
        f"       description: [{quoted}, {{title: {quoted}, contents: [{quoted}]}}],"
        f" items: [{quoted}]}}\n"
        f"- title: M\n  type: map\n  contents: [{{name: {quoted}, value: {quoted}}}]\n"
        f"- title: L\n  type: list\n  contents: [{quoted}]\n"
        f"- title: N\n  type: nested_list\n  contents: [{{title: {quoted}, items: [{quoted}]}}]\n"
    )
    talks = f"- {{title: {quoted}, event: {quoted}, location: {quoted}, date: 2026-01-01}}\n"
    teaching = f"- {{course: {quoted}, role: {quoted}, term: {quoted}, institution: {quoted}}}\n"
    people = f"- {{name: {quoted}, role: {quoted}, years: {quoted}}}\n"
    return write_site(
        root,
        profile=f"name: Ada Example\nbio: {quoted}\n",
        files={
            "content/news.yaml": news,
            "content/cv.yaml": cv,
            "content/talks.yaml": talks,
            "content/teaching.yaml": teaching,
            "content/people.yaml": people,
        },
    )


def hostile_resume(root: Path) -> Path:
    """Like hostile_site, the CV a JSON Resume with HOSTILE in every text field."""

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if k in ("url", "email", "$schema") else fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return HOSTILE if isinstance(value, str) else value

    site = hostile_site(root)
    (site / "content" / "cv.yaml").unlink()
    resume = fill(RESUME)
    (site / "content" / "resume.json").write_text(json.dumps(resume), encoding="utf-8")
    return site
