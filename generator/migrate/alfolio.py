"""al-folio (Jekyll): _config.yml, _data/socials.yml, _pages/about.md, _news/, _data/cv.yml or
assets/json/resume.json, _bibliography/papers.bib with its own fields, assets/pdf, assets/img."""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import quote

from generator.migrate.common import (
    base_url,
    clean_markdown,
    day,
    email,
    link,
    rewrite_bib,
    write_site_files,
)
from generator.migrate.read import Source, text_value
from generator.migrate.write import Draft
from generator.sources import BIBTEX, PHOTO, PUBLISHED, YAML, read_input

# al-folio social id -> (label, URL with {} for the quoted id; "" for a value that is a URL)
SOCIALS: dict[str, tuple[str, str]] = {
    "orcid_id": ("ORCID", "https://orcid.org/{}"),
    "scholar_userid": ("Google Scholar", "https://scholar.google.com/citations?user={}"),
    "semanticscholar_id": ("Semantic Scholar", "https://www.semanticscholar.org/author/{}"),
    "github_username": ("GitHub", "https://github.com/{}"),
    "gitlab_username": ("GitLab", "https://gitlab.com/{}"),
    "linkedin_username": ("LinkedIn", "https://www.linkedin.com/in/{}"),
    "twitter_username": ("X", "https://x.com/{}"),
    "x_username": ("X", "https://x.com/{}"),
    "research_gate_profile": ("ResearchGate", "https://www.researchgate.net/profile/{}"),
    "dblp_url": ("DBLP", ""),
    "bluesky_url": ("Bluesky", ""),
    "inspirehep_id": ("INSPIRE", "https://inspirehep.net/authors/{}"),
    "publons_id": ("Publons", "https://publons.com/a/{}/"),
    "wikipedia_id": ("Wikipedia", "https://en.wikipedia.org/wiki/User:{}"),
    "youtube_id": ("YouTube", "https://youtube.com/@{}"),
    "website": ("Website", ""),
    "blogger_url": ("Blog", ""),
    "medium_username": ("Medium", "https://medium.com/@{}"),
    "stackoverflow_id": ("Stack Overflow", "https://stackoverflow.com/users/{}"),
    "kaggle_id": ("Kaggle", "https://www.kaggle.com/{}"),
}
MAPPED_CONFIG = frozenset(
    {"title", "first_name", "middle_name", "last_name", "url", "baseurl", "description", "email"}
    | set(SOCIALS)
)
# Jekyll and theme machinery with nothing to carry (layout, plugins, build settings, services)
IGNORED_CONFIG = frozenset(
    {
        "keywords",
        "icon",
        "last_updated",
        "impressum_path",
        "back_to_top",
        "repo_theme_light",
        "repo_theme_dark",
        "repo_trophies",
        "external_services",
        "navbar_fixed",
        "footer_fixed",
        "search_enabled",
        "socials_in_search",
        "posts_in_search",
        "bib_search",
        "max_width",
        "serve_og_meta",
        "serve_schema_org",
        "permalink",
        "lsi",
        "pagination",
        "related_blog_posts",
        "collections",
        "markdown",
        "highlighter",
        "kramdown",
        "include",
        "exclude",
        "keep_files",
        "plugins",
        "defaults",
        "sass",
        "jekyll-minifier",
        "imagemagick",
        "scholar",
        "enable_publication_badges",
        "filtered_bibtex_keywords",
        "enable_math",
        "enable_darkmode",
        "enable_navbar_social",
        "enable_project_categories",
        "enable_medium_zoom",
        "enable_progressbar",
        "enable_video_embedding",
        "enable_tooltips",
        "enable_google_analytics",
        "enable_cookie_consent",
        "footer_text",
        "lang",
        "timezone",
        "source",
        "destination",
        "data_dir",
        "third_party_libraries",
        "jekyll_tabs",
        "jekyll-archives",
        "display_tags",
        "display_categories",
        "horizontal_sections",
        "bibliography_sort",
        "latest_posts",
        "languages",
        "default_lang",
        "exclude_from_localization",
        "lang_in_url",
        "show_social_icons",
        "bing_site_verification",
        "google_site_verification",
        "newsletter",
        "giscus",
        "disqus_shortname",
        "external_sources",
        "og_image",
        "contact_note",
        "blog_name",
        "blog_nav_title",
        "blog_description",
        "github_followers",
        "repos",
        "back_end",
    }
)
# BibTeX fields whose local value names a file in assets/pdf/ (else a URL)
PDF_FIELDS = ("pdf", "supp", "poster", "slides")


def migrate(src: Source, draft: Draft) -> None:
    config = src.mapping("_config.yml")
    conf: dict[str, Any] = config[1] if config else {}
    name = " ".join(
        t
        for t in (text_value(conf.get(k)) for k in ("first_name", "middle_name", "last_name"))
        if t
    )
    title = text_value(conf.get("title"))
    if not title or title.lower() == "blank":
        title = name or "My homepage"
    profile: dict[str, Any] = {"name": name or title}
    if name:
        draft.carried.append(f"name ({name})")
    elif config:
        draft.lose(src.path("_config.yml"), None, "no first_name/last_name: the name is the title")
    links = _links(src, draft, conf, config[0] if config else None)
    _about(src, draft, profile)
    if links:
        profile["links"] = links
    if config:
        for key, value in conf.items():
            if key in MAPPED_CONFIG or key in IGNORED_CONFIG or value in (None, "", [], {}):
                continue
            if value is False:
                continue
            draft.lose(config[0].path, config[0].line((key,)), f"setting `{key}` not carried over")
    bibs: list[str] = []
    bib = _bibliography(src, draft, bibs)
    _cv(src, draft)
    news = _news(src, draft)
    for rel in ("_projects", "_posts", "_books", "_teachings", "_repositories"):
        if src.listing(rel):
            draft.lose(src.path(rel), None, "not carried over (no scholarpage equivalent yet)")
    write_site_files(
        draft,
        generator="al-folio",
        title=title,
        description=text_value(conf.get("description")),
        base=base_url(text_value(conf.get("url")), text_value(conf.get("baseurl"))),
        profile=profile,
        bibliography=bib,
        news=news,
        more_bibs=bibs,
    )


def _links(src: Source, draft: Draft, conf: dict[str, Any], doc: Any) -> dict[str, str]:
    """Social ids of _config.yml (al-folio up to v0.11) and _data/socials.yml (later)."""
    links: dict[str, str] = {}
    sources = [(conf, doc)]
    socials = src.mapping("_data/socials.yml")
    if socials:
        sources.append((socials[1], socials[0]))
    for data, where in sources:
        for key, value in data.items():
            text = text_value(value)
            if text is None:
                continue
            if key == "email":
                address = email(text)
                if address:
                    links["Email"] = f"mailto:{address}"
                else:
                    draft.lose(where.path, where.line((key,)), f"e-mail {text!r} not carried over")
                continue
            if key not in SOCIALS:
                if where is not doc:  # socials.yml: every entry is a social link
                    draft.lose(where.path, where.line((key,)), f"social link `{key}` unknown")
                continue
            label, template = SOCIALS[key]
            url = link(text if not template else template.format(quote(text, safe="-._~@")))
            if url is None:
                draft.lose(where.path, where.line((key,)), f"`{key}` is not a usable link")
            else:
                links[label] = url
    if links:
        draft.carried.append(f"{len(links)} links")
    return links


def _language(src: Source, draft: Draft, folder: str) -> str:
    """`folder`, or in a multi-language site (al-folio's polyglot: `_pages/en-us/`) its English
    (else first) language folder; the other languages are reported."""
    if src.listing(folder, (".md", ".markdown", ".html")):
        return folder
    subs = [p for p in src.listing(folder) if src.path(p).is_dir() and not src.path(p).is_symlink()]
    if not subs:
        return folder
    chosen = next((p for p in subs if p.rsplit("/", 1)[-1].lower().startswith("en")), subs[0])
    for other in subs:
        if other != chosen:
            draft.lose(src.path(other), None, f"other language: only {chosen} is carried over")
    return chosen


def _about(src: Source, draft: Draft, profile: dict[str, Any]) -> None:
    pages = _language(src, draft, "_pages")
    rel = f"{pages}/about.md"
    found = src.front_matter(rel)
    if found is None:
        draft.lose(src.path(rel), None, "no about page: the profile has no bio")
        return
    doc, body, first = found
    fm = doc.data
    bio = clean_markdown(body, doc.path, first, draft, "bio")
    if bio:
        profile["bio"] = bio + "\n"
        draft.carried.append("bio")
    subtitle = text_value(fm.get("subtitle"))
    if subtitle:
        plain = clean_markdown(subtitle, doc.path, doc.line(("subtitle",)) or 1, draft, "subtitle")
        if plain:
            profile["affiliation"] = plain
    image = fm.get("profile", {}).get("image") if isinstance(fm.get("profile"), dict) else None
    if isinstance(image, str) and image.strip():
        checked = src.file(posixpath.join("assets/img", image.strip()), PHOTO)
        if checked is not None:
            target = draft.copy("content/files/" + posixpath.basename(image.strip()), checked)
            profile["photo"] = target
            draft.carried.append("photo")
        else:
            draft.lose(doc.path, doc.line(("profile", "image")), f"photo {image!r} not found")
    more = fm.get("profile", {}).get("more_info") if isinstance(fm.get("profile"), dict) else None
    if isinstance(more, str) and more.strip():
        draft.lose(doc.path, doc.line(("profile", "more_info")), "profile.more_info not carried")
    for page in src.listing(pages, (".md", ".html")):
        if page != rel:
            draft.lose(src.path(page), None, "page not carried over (Liquid-driven in al-folio)")


def _bibliography(src: Source, draft: Draft, bibs: list[str]) -> bool:
    rel = "_bibliography/papers.bib"
    checked = src.file(rel, BIBTEX)
    if checked is None:
        if not src.has(rel):
            draft.lose(src.path("_bibliography"), None, "no _bibliography/papers.bib: no papers")
        return False
    path = src.path(rel)
    for other in src.listing("_bibliography", (".bib",)):
        extra = src.file(other, BIBTEX) if other != rel else None
        if extra is not None:  # copied as is and listed after papers.bib
            bibs.append(draft.copy("content/" + posixpath.basename(other), extra))
    try:
        text = read_input(checked, BIBTEX).decode("utf-8")
    except UnicodeDecodeError:
        draft.copy("content/papers.bib", checked)  # the build reads its coding cookie
        draft.lose(path, None, "not UTF-8: copied as is, its pdf/preview values not mapped")
        return True

    def change(name: str, value: str, line: int) -> str | None:
        value = value.strip()
        if name not in (*PDF_FIELDS, "preview") or not value or "://" in value:
            return None
        folder = "assets/img/publication_preview" if name == "preview" else "assets/pdf"
        under = "publication_preview/" if name == "preview" else ""
        checked = src.file(posixpath.join(folder, value), PUBLISHED)
        if checked is None:
            draft.lose(path, line, f"{name} = {{{value}}}: {folder}/{value} not found, kept as is")
            return None
        return draft.copy(f"content/files/{under}{value}", checked).removeprefix("content/")

    new, changed = rewrite_bib(text, change)
    draft.text("content/papers.bib", new)
    draft.carried.append(f"papers.bib ({changed} file fields mapped into content/files/)")
    return True


def _cv(src: Source, draft: Draft) -> None:
    for rel, target in (
        ("_data/cv.yml", "content/cv.yaml"),
        ("assets/json/resume.json", "content/resume.json"),
    ):
        checked = src.file(rel, YAML)
        if checked is None:
            continue
        draft.copy(target, checked)  # read as it is
        draft.carried.append(f"CV ({rel})")
        return


def _news(src: Source, draft: Draft) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for rel in src.listing(_language(src, draft, "_news"), (".md", ".markdown", ".html")):
        found = src.front_matter(rel)
        if found is None:
            continue
        doc, body, first = found
        date = day(doc.data.get("date"), rel)
        if date is None:
            draft.lose(doc.path, doc.line(("date",)) or 1, "news item without a date: left out")
            continue
        text = clean_markdown(body, doc.path, first, draft, "news")
        title = text_value(doc.data.get("title"))
        if not text:
            text = title or ""
        if not text:
            draft.lose(doc.path, 1, "news item without text: left out")
            continue
        item: dict[str, Any] = {"date": date}
        if title and doc.data.get("inline") is not True:
            item["title"] = title
        item["text"] = text
        items.append(item)
    return items
