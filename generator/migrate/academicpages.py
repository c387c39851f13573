"""academicpages (Jekyll): _config.yml's author block, _pages/about.md, _publications/*.md or
publications.tsv, _talks/, _teaching/, _posts/ (as news), _pages/cv.md, files/."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import posixpath
import re
from typing import Any
from urllib.parse import quote, urlsplit

from generator.migrate.common import (
    base_url,
    bib_entry,
    bib_key,
    clean_markdown,
    day,
    email,
    link,
    write_site_files,
)
from generator.migrate.read import Source, text_value
from generator.migrate.write import Draft
from generator.sources import PHOTO, PUBLISHED, YAML

# author key -> (label, URL with {} for the quoted value; "" for a value that is a URL)
AUTHOR_LINKS: dict[str, tuple[str, str]] = {
    "uri": ("Website", ""),
    "googlescholar": ("Google Scholar", ""),
    "orcid": ("ORCID", ""),
    "researchgate": ("ResearchGate", ""),
    "pubmed": ("PubMed", ""),
    "github": ("GitHub", "https://github.com/{}"),
    "linkedin": ("LinkedIn", "https://www.linkedin.com/in/{}"),
    "twitter": ("X", "https://x.com/{}"),
    "bitbucket": ("Bitbucket", "https://bitbucket.org/{}"),
    "stackoverflow": ("Stack Overflow", ""),
    "youtube": ("YouTube", "https://youtube.com/@{}"),
    "wikipedia": ("Wikipedia", "https://en.wikipedia.org/wiki/{}"),
    "impactstory": ("Impactstory", ""),
    "keybase": ("Keybase", "https://keybase.io/{}"),
    "mastodon": ("Mastodon", ""),
    "bluesky": ("Bluesky", "https://bsky.app/profile/{}"),
}
MAX_CITATION = 5_000
"""Characters of a `citation` searched for author names (a real one has a few hundred)."""
_AUTHOR = re.compile(r"([A-Z][^,()&.]*?(?:-[A-Z][^,()&.]*)?),\s*((?:[A-Z]\.\s*(?:-\s*)?)+)")


def migrate(src: Source, draft: Draft) -> None:
    config = src.mapping("_config.yml")
    conf: dict[str, Any] = config[1] if config else {}
    raw_author = conf.get("author")
    author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
    name = text_value(author.get("name")) or text_value(conf.get("name")) or "My homepage"
    profile: dict[str, Any] = {"name": name}
    draft.carried.append(f"name ({name})")
    employer = text_value(author.get("employer"))
    if employer:
        profile["affiliation"] = employer
    files = src.tree("files", PUBLISHED)
    for rel, found in files:
        draft.copy("content/files/" + rel, found)
    if files:
        draft.carried.append(f"{len(files)} files")
    avatar = text_value(author.get("avatar"))
    if avatar:
        rel = avatar.lstrip("/") if avatar.startswith("/") else posixpath.join("images", avatar)
        checked = src.file(rel, PHOTO)
        if checked is not None:
            profile["photo"] = draft.copy("content/files/" + posixpath.basename(rel), checked)
            draft.carried.append("photo")
        elif config:
            draft.lose(config[0].path, config[0].line(("author", "avatar")), "avatar not found")
    links: dict[str, str] = {}
    for key, value in author.items():
        text = text_value(value)
        if text is None or key in ("name", "avatar", "bio", "location", "employer"):
            continue
        where = config[0].line(("author", key)) if config else None
        path = src.path("_config.yml")
        if key == "email":
            address = email(text)
            if address:
                links["Email"] = f"mailto:{address}"
            else:
                draft.lose(path, where, f"e-mail {text!r} is not an address: not carried over")
            continue
        if key not in AUTHOR_LINKS:
            draft.lose(path, where, f"author.{key} not carried over")
            continue
        label, template = AUTHOR_LINKS[key]
        url = link(
            text if not template or "://" in text else template.format(quote(text.strip("/")))
        )
        if url is None:
            draft.lose(path, where, f"author.{key} is not a usable link")
        else:
            links[label] = url
    if links:
        profile["links"] = links
        draft.carried.append(f"{len(links)} links")
    about = src.front_matter("_pages/about.md")
    if about is not None and about[1].strip():
        bio = clean_markdown(about[1], about[0].path, about[2], draft, "bio")
        if bio:
            profile["bio"] = bio + "\n"
            draft.carried.append("bio")
    elif text_value(author.get("bio")):
        profile["bio"] = str(text_value(author.get("bio"))) + "\n"
        draft.carried.append("bio (author.bio)")
    bib = _publications(src, draft, conf)
    _talks(src, draft)
    _teaching(src, draft)
    _cv(src, draft)
    news = _posts(src, draft)
    write_site_files(
        draft,
        generator="academicpages",
        title=text_value(conf.get("title")) or name,
        description=text_value(conf.get("description")),
        base=base_url(text_value(conf.get("url")), text_value(conf.get("baseurl"))),
        profile=profile,
        bibliography=bib,
        news=news,
    )


def _own_file(url: str, conf: dict[str, Any]) -> str | None:
    """`files/x.pdf` when `url` points into the site's own files/ folder."""
    parts = urlsplit(url)
    site = urlsplit(str(conf.get("url") or ""))
    if parts.netloc and parts.netloc != site.netloc:
        return None
    path = parts.path.lstrip("/")
    base = str(conf.get("baseurl") or "").strip("/")
    if base and path.startswith(base + "/"):
        path = path[len(base) + 1 :]
    return path if path.startswith("files/") else None


def _paper(
    fields: dict[str, str], citation: str | None, date: dt.date | None, taken: set[str], slug: str
) -> str:
    authors = _AUTHOR.findall(html.unescape(citation or "")[:MAX_CITATION])
    entry: dict[str, str] = {"title": fields.pop("title")}
    if authors:
        entry["author"] = " and ".join(
            f"{last.strip()}, {first.strip()}" for last, first in authors
        )
    if date is not None:
        entry["date"] = date.isoformat()
        entry["year"] = str(date.year)
    entry.update(fields)
    if citation:
        entry["note"] = html.unescape(re.sub(r"<[^>]*>", "", citation))
    return bib_entry("article", bib_key(slug, taken), entry)


def _publications(src: Source, draft: Draft, conf: dict[str, Any]) -> bool:
    entries: list[str] = []
    taken: set[str] = set()
    titles: set[str] = set()

    def fields_for(venue: Any, excerpt: Any, url: Any) -> dict[str, str]:
        out: dict[str, str] = {}
        if text_value(venue):
            out["journal"] = str(text_value(venue))
        if text_value(excerpt):
            out["abstract"] = re.sub(r"<[^>]*>", "", str(text_value(excerpt)))
        paper_url = text_value(url)
        if paper_url:
            own = _own_file(paper_url, conf)
            if own and src.file(own, PUBLISHED) is not None:
                out["pdf"] = own
            elif link(paper_url) and "://" in paper_url:
                out["url"] = paper_url
        return out

    for rel in src.listing("_publications", (".md", ".markdown")):
        found = src.front_matter(rel)
        if found is None:
            continue
        doc, _body, _ = found
        fm = doc.data
        title = text_value(fm.get("title"))
        if not title:
            draft.lose(doc.path, 1, "publication without a title: left out")
            continue
        fields = {
            "title": title,
            **fields_for(fm.get("venue"), fm.get("excerpt"), fm.get("paperurl")),
        }
        citation = text_value(fm.get("citation"))
        if not _AUTHOR.findall((citation or "")[:MAX_CITATION]):
            draft.lose(doc.path, doc.line(("citation",)) or 1, "no authors found in `citation`")
        slug = posixpath.splitext(posixpath.basename(rel))[0]
        entries.append(_paper(fields, citation, day(fm.get("date"), slug), taken, slug))
        titles.add(title.casefold())
    tsv_rel = next(
        (r for r in ("_publications/publications.tsv", "publications.tsv") if src.has(r)), None
    )
    tsv = src.read(tsv_rel, YAML) if tsv_rel else None
    if tsv_rel and tsv is not None:
        path = src.path(tsv_rel)
        for n, row in enumerate(csv.DictReader(io.StringIO(tsv), delimiter="\t"), start=2):
            title = text_value(row.get("title"))
            if not title or title.casefold() in titles:
                continue
            titles.add(title.casefold())
            fields = {
                "title": title,
                **fields_for(row.get("venue"), row.get("excerpt"), row.get("paper_url")),
            }
            citation = text_value(row.get("citation"))
            if not _AUTHOR.findall((citation or "")[:MAX_CITATION]):
                draft.lose(path, n, "no authors found in the citation column")
            slug = text_value(row.get("url_slug")) or title
            entries.append(_paper(fields, citation, day(row.get("pub_date")), taken, slug))
    if not entries:
        return False
    draft.text("content/papers.bib", "% Papers migrated from academicpages.\n" + "\n".join(entries))
    draft.carried.append(f"{len(entries)} papers")
    return True


def _items(src: Source, draft: Draft, folder: str) -> list[tuple[Any, dict[str, Any], str]]:
    found: list[tuple[Any, dict[str, Any], str]] = []
    for rel in src.listing(folder, (".md", ".markdown")):
        got = src.front_matter(rel)
        if got is not None:
            found.append((got[0], got[0].data, rel))
    return found


def _talks(src: Source, draft: Draft) -> None:
    talks: list[dict[str, Any]] = []
    for doc, fm, rel in _items(src, draft, "_talks"):
        title = text_value(fm.get("title"))
        if not title:
            draft.lose(doc.path, 1, "talk without a title: left out")
            continue
        talk: dict[str, Any] = {"title": title}
        for key, target in (("venue", "event"), ("location", "location")):
            if text_value(fm.get(key)):
                talk[target] = text_value(fm.get(key))
        date = day(fm.get("date"), rel)
        if date is not None:
            talk["date"] = date
        for key in ("talkurl", "slidesurl"):
            url = text_value(fm.get(key))
            if url and "://" in url and link(url):
                talk["url" if key == "talkurl" else "slides"] = url
        talks.append(talk)
    if talks:
        draft.yaml("content/talks.yaml", talks, "Talks, migrated from academicpages.")
        draft.carried.append(f"{len(talks)} talks")


def _teaching(src: Source, draft: Draft) -> None:
    courses: list[dict[str, Any]] = []
    for doc, fm, rel in _items(src, draft, "_teaching"):
        title = text_value(fm.get("title"))
        if not title:
            draft.lose(doc.path, 1, "course without a title: left out")
            continue
        course: dict[str, Any] = {"course": title}
        if text_value(fm.get("type")):
            course["role"] = text_value(fm.get("type"))
        if text_value(fm.get("venue")):
            course["institution"] = text_value(fm.get("venue"))
        date = day(fm.get("date"), rel)
        if date is not None:
            course["year"] = date.year
        courses.append(course)
    if courses:
        draft.yaml("content/teaching.yaml", courses, "Teaching, migrated from academicpages.")
        draft.carried.append(f"{len(courses)} courses")


def _cv(src: Source, draft: Draft) -> None:
    for rel in ("_pages/cv.md", "_pages/cv.markdown"):
        found = src.front_matter(rel)
        if found is None:
            continue
        doc, body, first = found
        text = clean_markdown(body, doc.path, first, draft, "CV")
        front = "---\ntitle: CV\nnav_order: 20\n---\n"
        draft.text("content/pages/cv.md", front + text + "\n")
        draft.carried.append("CV (as the page cv/)")
        return


def _posts(src: Source, draft: Draft) -> list[dict[str, Any]]:
    news: list[dict[str, Any]] = []
    for doc, fm, rel in _items(src, draft, "_posts"):
        date = day(fm.get("date"), rel)
        title = text_value(fm.get("title"))
        if date is None or not title:
            draft.lose(doc.path, 1, "post without a date or title: left out")
            continue
        got = src.front_matter(rel)
        body = clean_markdown(got[1], doc.path, got[2], draft, "post") if got else ""
        first = text_value(fm.get("excerpt")) or next(
            (p for p in body.split("\n\n") if p.strip() and not p.lstrip().startswith("#")), title
        )
        news.append({"date": date, "title": title, "text": first})
        if body.strip() and body.strip() != first.strip():
            draft.lose(doc.path, 1, "blog post: only its first paragraph became a news item")
    return news
