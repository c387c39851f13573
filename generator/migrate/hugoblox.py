"""Hugo Blox (Wowchemy): data/authors/me.yaml or content/authors/admin/_index.md (the author,
CV sections), params.yaml / hugo.yaml (site), content/publication/*/cite.bib + index.md
(papers), content/post|blog/*/index.md (news), content/event|talk/*/index.md (talks)."""

from __future__ import annotations

import posixpath
from typing import Any

from generator.importers.bibfile import read_blocks
from generator.migrate.common import (
    base_url,
    bib_entry,
    bib_key,
    clean_markdown,
    day,
    link,
    write_site_files,
)
from generator.migrate.read import Source, text_value
from generator.migrate.write import Draft
from generator.sources import BIBTEX, PHOTO

ICON_LABELS = {
    "github": "GitHub",
    "linkedin": "LinkedIn",
    "x": "X",
    "twitter": "X",
    "google-scholar": "Google Scholar",
    "orcid": "ORCID",
    "at-symbol": "Email",
    "envelope": "Email",
    "researchgate": "ResearchGate",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "youtube": "YouTube",
    "cv": "CV",
}
CONFIG_DIRS = ("config/_default", ".")
_CARRIED_AUTHOR = frozenset(
    {
        "schema",
        "slug",
        "is_owner",
        "name",
        "bio",
        "role",
        "affiliations",
        "links",
        "education",
        "experience",
        "awards",
        "skills",
        "languages",
        "interests",
        "title",
        "organizations",
        "social",
        "email",
        "superuser",
        "authors",
        "user_groups",
        "status",
        "postnominals",
        "highlight_name",
    }
)


def _config(src: Source, name: str) -> tuple[Any, dict[str, Any]] | None:
    for folder in CONFIG_DIRS:
        for ext in (".yaml", ".yml"):
            rel = posixpath.normpath(posixpath.join(folder, name + ext))
            if src.has(rel):
                return src.mapping(rel)
    return None


def migrate(src: Source, draft: Draft) -> None:
    params = _config(src, "params")
    identity: dict[str, Any] = {}
    if params:
        blox = params[1].get("hugoblox")
        if isinstance(blox, dict) and isinstance(blox.get("identity"), dict):
            identity = blox["identity"]
    hugo = _config(src, "hugo") or _config(src, "config")
    hconf = hugo[1] if hugo else {}
    profile, cv = _author(src, draft)
    title = text_value(hconf.get("title")) or text_value(identity.get("name")) or profile["name"]
    if title == "Your Name":
        title = profile["name"]
    base = text_value(hconf.get("baseURL")) or text_value(hconf.get("baseurl"))
    if cv:
        draft.yaml("content/cv.yaml", cv, "CV, migrated from Hugo Blox (al-folio's cv.yml format).")
        draft.carried.append(f"CV ({len(cv)} sections)")
    bib = _publications(src, draft, profile["name"])
    news = _posts(src, draft)
    _events(src, draft)
    write_site_files(
        draft,
        generator="Hugo Blox",
        title=title,
        description=text_value(identity.get("description"))
        or text_value(profile.get("affiliation")),
        base=base_url(base, None),
        profile=profile,
        bibliography=bib,
        news=news,
    )


def _author(src: Source, draft: Draft) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(profile, CV sections) from the new-style data file, else the old author page."""
    me = src.mapping("data/authors/me.yaml")
    body = ""
    if me is not None:
        doc, data = me
        name = data.get("name")
        name_text = text_value(name.get("display")) if isinstance(name, dict) else text_value(name)
        photo_dir, photo_stem = "assets/media/authors", text_value(data.get("slug")) or "me"
    else:
        old = src.front_matter("content/authors/admin/_index.md")
        if old is None:
            draft.lose(src.root, None, "no data/authors/me.yaml or content/authors/admin/_index.md")
            return {"name": "My homepage"}, []
        doc, body_md, first = old
        data = doc.data
        name_text = text_value(data.get("title")) or text_value(data.get("name"))
        body = clean_markdown(body_md, doc.path, first, draft, "bio")
        photo_dir, photo_stem = "content/authors/admin", "avatar"
    profile: dict[str, Any] = {"name": name_text or "My homepage"}
    draft.carried.append(f"name ({profile['name']})")
    affiliations = data.get("affiliations") or data.get("organizations")
    if isinstance(affiliations, list) and affiliations and isinstance(affiliations[0], dict):
        org = text_value(affiliations[0].get("name"))
        role = text_value(data.get("role"))
        if org:
            profile["affiliation"] = f"{role}, {org}" if role else org
    for ext in (".jpg", ".jpeg", ".png", ".webp"):
        checked = src.file(f"{photo_dir}/{photo_stem}{ext}", PHOTO)
        if checked is not None:
            profile["photo"] = draft.copy(f"content/files/{photo_stem}{ext}", checked)
            draft.carried.append("photo")
            break
    links: dict[str, str] = {}
    raw_links = data.get("links") if isinstance(data.get("links"), list) else data.get("social")
    for i, item in enumerate(raw_links if isinstance(raw_links, list) else []):
        key = "links" if isinstance(data.get("links"), list) else "social"
        if not isinstance(item, dict):
            continue
        url = link(text_value(item.get("url")) or text_value(item.get("link")))
        icon = (text_value(item.get("icon")) or "").rsplit("/", 1)[-1]
        label = ICON_LABELS.get(icon) or text_value(item.get("label")) or icon.title()
        if (
            url is None
            or not label
            or url.startswith("/")
            or ("://" not in url and not url.startswith("mailto:"))
        ):
            draft.lose(doc.path, doc.line((key, i)), "link not carried over (no usable URL)")
            continue
        links[label] = url
    if text_value(data.get("email")) and "Email" not in links:
        address = link("mailto:" + str(text_value(data.get("email"))))
        if address:
            links["Email"] = address
    if links:
        profile["links"] = links
        draft.carried.append(f"{len(links)} links")
    bio = body or (text_value(data.get("bio")) or "")
    if bio:
        profile["bio"] = bio.strip() + "\n"
        draft.carried.append("bio")
    for key in data:
        if key not in _CARRIED_AUTHOR and data[key] not in (None, "", [], {}):
            draft.lose(doc.path, doc.line((key,)), f"`{key}` not carried over")
    return profile, _cv(data)


def _years(item: dict[str, Any]) -> str:
    start, end = day(item.get("start")), day(item.get("end"))
    if start and end:
        return f"{start.year} – {end.year}" if start.year != end.year else str(start.year)
    if start:
        return f"{start.year} – now"
    when = day(item.get("date"))
    return str(when.year) if when else text_value(item.get("year")) or ""


def _row(title: Any, where: Any, item: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"title": text_value(title) or ""}
    if text_value(where):
        row["institution"] = text_value(where)
    years = _years(item)
    if years:
        row["year"] = years
    summary = text_value(item.get("summary"))
    if summary:
        row["description"] = [" ".join(summary.split())]
    return row


def _cv(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The author's education, experience, awards, skills and languages as al-folio sections."""
    sections: list[dict[str, Any]] = []
    education = data.get("education")
    if isinstance(education, dict):  # the old author page: education.courses
        education = education.get("courses")

    def table(title: str, items: Any, what: str, where: str) -> None:
        rows = (
            [
                _row(i.get(what) or i.get("course"), i.get(where), i)
                for i in items
                if isinstance(i, dict)
            ]
            if isinstance(items, list)
            else []
        )
        rows = [r for r in rows if r["title"]]
        if rows:
            sections.append({"title": title, "type": "time_table", "contents": rows})

    table("Education", education, "degree", "institution")
    table("Experience", data.get("experience"), "role", "org")
    table("Honors and Awards", data.get("awards"), "title", "awarder")
    skills = data.get("skills")
    if isinstance(skills, list):
        groups = []
        for group in skills:
            if isinstance(group, dict) and isinstance(group.get("items"), list):
                labels = [
                    text_value(i.get("label")) if isinstance(i, dict) else text_value(i)
                    for i in group["items"]
                ]
                groups.append(
                    {
                        "title": text_value(group.get("name")) or "Skills",
                        "items": [x for x in labels if x],
                    }
                )
        if groups:
            sections.append({"title": "Skills", "type": "nested_list", "contents": groups})
    languages = data.get("languages")
    if isinstance(languages, list):
        rows = [
            {"name": text_value(i.get("name")), "value": text_value(i.get("label")) or ""}
            for i in languages
            if isinstance(i, dict) and text_value(i.get("name"))
        ]
        if rows:
            sections.append({"title": "Languages", "type": "map", "contents": rows})
    interests = data.get("interests")
    if isinstance(interests, list):
        lines = [text_value(i) for i in interests if text_value(i)]
        if lines:
            sections.append({"title": "Interests", "type": "list", "contents": lines})
    return sections


def _publications(src: Source, draft: Draft, owner: str) -> bool:
    entries: list[str] = []
    taken: set[str] = set()
    for folder in src.listing("content/publication") + src.listing("content/publications"):
        if not src.path(folder).is_dir():
            continue
        found = src.front_matter(folder + "/index.md")
        fm: dict[str, Any] = found[0].data if found else {}
        featured = fm.get("featured") is True
        pdf = text_value(fm.get("url_pdf"))
        cite = src.read(folder + "/cite.bib", BIBTEX)
        if cite is not None:
            extra: dict[str, str] = {}
            if featured:
                extra["selected"] = "true"
            if pdf and "://" in pdf and link(pdf):
                extra["pdf"] = pdf
            text = _add_fields(cite, extra)
            for block in read_blocks(cite):
                key = (block.entry.key or "").lower()
                if key in taken:
                    draft.lose(
                        src.path(folder + "/cite.bib"),
                        block.line,
                        f"key {key!r} taken:"
                        " the build keeps the first entry of that key; rename one",
                    )
                taken.add(key)
            entries.append(text.strip() + "\n")
            continue
        title = text_value(fm.get("title"))
        if not title:
            draft.lose(src.path(folder), None, "publication without cite.bib or title: left out")
            continue
        fields: dict[str, str] = {"title": title}
        authors = fm.get("authors")
        if isinstance(authors, list):
            # `admin` is the site's owner in Hugo Blox
            names = [owner if text_value(a) == "admin" else text_value(a) for a in authors]
            names = [n for n in names if n]
            fields["author"] = " and ".join(str(n) for n in names)
        date = day(fm.get("date"))
        if date:
            fields["date"] = date.isoformat()
            fields["year"] = str(date.year)
        for key, target in (("publication", "journal"), ("doi", "doi"), ("abstract", "abstract")):
            if text_value(fm.get(key)):
                fields[target] = str(text_value(fm.get(key))).replace("_", " ").strip("*")
        if pdf and "://" in pdf and link(pdf):
            fields["pdf"] = pdf
        if featured:
            fields["selected"] = "true"
        entries.append(bib_entry("article", bib_key(posixpath.basename(folder), taken), fields))
    if not entries:
        return False
    draft.text("content/papers.bib", "% Papers migrated from Hugo Blox.\n\n" + "\n".join(entries))
    draft.carried.append(f"{len(entries)} papers")
    return True


def _add_fields(text: str, extra: dict[str, str]) -> str:
    """`text` with the `extra` fields its one entry lacks added before the entry's closing
    delimiter; all other text is kept. A file of several entries, or one that does not read
    cleanly, is kept as it is."""
    blocks = list(read_blocks(text))
    if len(blocks) != 1 or blocks[0].repaired or not blocks[0].entry.complete:
        return text
    block = blocks[0]
    have = {f.name for f in block.entry.fields}
    missing = {k: v for k, v in extra.items() if k not in have}
    if not missing:
        return text
    close = block.start + block.entry.close
    head = text[:close].rstrip()
    sep = "" if head.endswith((",", "{", "(")) else ","
    added = "".join(f"\n  {k} = {{{v}}}," for k, v in missing.items())
    return head + sep + added + "\n" + text[close:]


def _posts(src: Source, draft: Draft) -> list[dict[str, Any]]:
    news: list[dict[str, Any]] = []
    for folder in src.listing("content/post") + src.listing("content/blog"):
        rel = folder + "/index.md" if src.path(folder).is_dir() else folder
        if not rel.endswith(".md") or rel.endswith("_index.md"):
            continue
        found = src.front_matter(rel)
        if found is None:
            continue
        doc, body, first = found
        date, title = day(doc.data.get("date"), rel), text_value(doc.data.get("title"))
        if date is None or not title:
            draft.lose(doc.path, 1, "post without a date or title: left out")
            continue
        text = text_value(doc.data.get("summary")) or next(
            (
                p
                for p in clean_markdown(body, doc.path, first, draft, "post").split("\n\n")
                if p.strip() and not p.lstrip().startswith(("#", "!"))
            ),
            title,
        )
        news.append({"date": date, "title": title, "text": text})
        draft.lose(doc.path, 1, "blog post: only its summary became a news item")
    return news


def _events(src: Source, draft: Draft) -> None:
    talks: list[dict[str, Any]] = []
    for folder in src.listing("content/event") + src.listing("content/talk"):
        found = src.front_matter(folder + "/index.md") if src.path(folder).is_dir() else None
        if found is None:
            continue
        fm = found[0].data
        title = text_value(fm.get("title"))
        if not title:
            continue
        talk: dict[str, Any] = {"title": title}
        if text_value(fm.get("event")):
            talk["event"] = text_value(fm.get("event"))
        if text_value(fm.get("location")):
            talk["location"] = text_value(fm.get("location"))
        date = day(fm.get("date"))
        if date:
            talk["date"] = date
        for key, target in (("event_url", "url"), ("url_slides", "slides"), ("url_video", "video")):
            url = text_value(fm.get(key))
            if url and "://" in url and link(url):
                talk[target] = url
        talks.append(talk)
    if talks:
        draft.yaml("content/talks.yaml", talks, "Talks, migrated from Hugo Blox.")
        draft.carried.append(f"{len(talks)} talks")
