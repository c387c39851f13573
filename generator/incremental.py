"""What is remembered between builds, behind one seam: the disk cache and everything serve keeps.

The stages (generator.build and the modules it calls) compute; this module remembers. It runs
the same stage and step functions, with lookups around them:

- BibTeX: parsed blocks and converted LaTeX values in `.scholarpage-cache/` (generator.cache),
  also kept in memory between rebuilds; the Papers of the last build, reused while the
  bibliography's text is unchanged, and per entry while its inputs are.
- Rendering: the Jinja environment while the template files are unchanged; each paper's context
  and head; each page, reused while every input it can read is unchanged (the names its
  templates read are found in their syntax trees); each included partial (`_name.html`, a paper
  card) likewise.
- Output: the bytes last written to each file, so a rebuild rewrites only what changed.

Every memo keeps one build's worth, and reuses an entry only when the inputs it was computed
from compare equal (values, or digests of contents; never mtimes), so a rebuild's output is
always the same as a build from scratch (tests/test_incremental.py checks that after each edit).

`build_site` is the `build` command's build (the plain pipeline, with the disk cache);
`Rebuilder` is serve's, which keeps everything in memory and updates its folder in place.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
import jinja2.runtime

from generator import bibtex, context, render
from generator.build import (
    BuildResult,
    Settings,
    build_result,
    check_strict,
    make_site,
    read_config,
    read_settings,
)
from generator.cache import CACHE_DIR_NAME, Memo, MemoTables, content_key, fingerprint
from generator.errors import Problem, ScholarpageError, Warnings
from generator.model import BadgeSpec, BibSource, Output, Paper, Site
from generator.output import (
    MARKER,
    MARKER_TEXT,
    check_output_dir,
    remove_leftovers,
    safe_relpath,
    write_site,
)
from generator.seo import Head
from generator.sources import TEMPLATE, read_input
from generator.theme import Theme, ThemeEnvironment

__all__ = ["BuildResult", "PaperReader", "Rebuilder", "build_site"]

_BLOCK_MEMO = "bibtex-blocks"
_LATEX_MEMO = "latex"


# --- BibTeX -----------------------------------------------------------------------------------

# One warning from converting an entry: (the unknown macro it reports, or None; the problem).
_Event = tuple[str | None, Problem]


class _MemoConverter(bibtex.Converter):
    """The LaTeX conversion step with the disk memo around it; while one entry is converted,
    what it reported and which values it read are recorded (to replay for a reused Paper)."""

    def __init__(self, warnings: Warnings, memo: Memo) -> None:
        super().__init__(warnings)
        self.memo = memo
        self.events: list[_Event] | None = None
        self.values: list[str] | None = None

    def emit(self, problem: Problem, macro: str | None = None) -> None:
        if self.events is not None:
            self.events.append((macro, problem))
        super().emit(problem, macro)

    def convert(self, value: str) -> list[Any]:
        if self.values is not None:
            self.values.append(value)
        hit = self.memo.get(value)
        if isinstance(hit, list) and len(hit) == 5:
            return hit
        out = bibtex.convert_latex(value)
        self.memo.put(value, out)
        return out


def _parse_block(
    block: bibtex.RawEntry, macros: dict[str, str], memo: Memo, state: str, budget: int
) -> dict[str, Any]:
    """bibtex.parse_block through the disk memo, keyed by the block and the macros before it.

    `budget`: what @string expansion may still add in this file. A memoised result is reused
    only when it fits what is left (then parsing again would give the same); a result the
    file's budget cut depends on more than the key says, so it is not memoised."""
    key = content_key(state, block.text)
    hit = memo.get(key)
    spent = bibtex.expanded(hit) if isinstance(hit, dict) else None
    if isinstance(hit, dict) and spent is not None and spent <= budget:
        if "macro" in hit:
            macros[hit["macro"][0]] = hit["macro"][1]
        return hit
    result = bibtex.parse_block(block.text, macros, budget)
    if bibtex.memoisable(result, budget):
        memo.put(key, result)
    return result


def _read_texts(sources: tuple[BibSource, ...]) -> list[tuple[BibSource, str]]:
    """Every bibliography's text; every file that cannot be read is named in one error."""
    texts: list[tuple[BibSource, str]] = []
    problems: list[Problem] = []
    for source in sources:
        try:
            texts.append((source, bibtex.read_text(source)))
        except ScholarpageError as error:
            problems.extend(error.problems)
    if problems:
        raise ScholarpageError(tuple(problems))
    return texts


class PaperReader:
    """bibtex.read_papers, composed of the same steps with memos around them: parsed blocks
    and converted LaTeX in the disk tables of `cache_dir` (None: in memory only), and what
    the previous call of this reader computed.

    Remembered between calls: the tables, in memory; the bibliography's texts and badges with
    the Papers and warnings they gave; per citation key, the complete inputs of its Paper
    (entry after crossref inheritance, position, badges), the Paper, the warnings converting it
    gave and the LaTeX values it converted. Each holds the latest call's entries only.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._tables = MemoTables()
        self._last: tuple[object, tuple[Paper, ...], tuple[Problem, ...]] | None = None
        self._papers: dict[str, tuple[object, Paper, tuple[_Event, ...], tuple[str, ...]]] = {}

    def read(
        self, sources: tuple[BibSource, ...], badges: tuple[BadgeSpec, ...], warnings: Warnings
    ) -> tuple[Paper, ...]:
        """The same Papers and warnings as bibtex.read_papers(sources, badges, warnings)."""
        texts = _read_texts(sources)
        key = (
            tuple(
                (str(s.path), hashlib.blake2b(t.encode("utf-8", "surrogatepass")).digest())
                for s, t in texts
            ),
            badges,
        )
        if self._last is not None and self._last[0] == key:
            for problem in self._last[2]:
                warnings.add(problem)
            return self._last[1]
        mine = Warnings()
        print_ = fingerprint()
        blocks = Memo(self.cache_dir, _BLOCK_MEMO, print_, self._tables, valid=bibtex.valid_block)
        conversions = Memo(
            self.cache_dir, _LATEX_MEMO, print_, self._tables, valid=bibtex.valid_conversion
        )
        macros = bibtex.initial_macros()
        state = print_
        entries = []
        for source, text in texts:
            budget = bibtex.expansion_budget(text)
            for block in bibtex.entry_blocks(text):
                result = _parse_block(block, macros, blocks, state, budget)
                budget -= bibtex.expanded(result) or 0
                if "macro" in result:
                    # every later block depends on the macros defined so far
                    state = content_key(state, block.text)
                entry = bibtex.block_entry(block, result, source.path, mine)
                if entry is not None:
                    entries.append(entry)
        merged = bibtex.resolve_entries(entries, mine)
        papers = self._to_papers(merged, badges, _MemoConverter(mine, conversions))
        blocks.save()
        conversions.save()
        self._last = (key, papers, mine.items)
        for problem in mine.items:
            warnings.add(problem)
        return papers

    def _to_papers(
        self, merged: Mapping[str, Any], badges: tuple[BadgeSpec, ...], convert: _MemoConverter
    ) -> tuple[Paper, ...]:
        """bibtex.to_paper for each entry, reusing last build's Paper (its warnings replayed, its
        LaTeX values kept in the disk table) when the entry's inputs are unchanged."""
        papers: list[Paper] = []
        fresh: dict[str, tuple[object, Paper, tuple[_Event, ...], tuple[str, ...]]] = {}
        for index, (key, entry) in enumerate(merged.items()):
            inputs = (
                entry.kind,
                entry.fields,
                entry.persons,
                entry.line,
                entry.text,
                entry.path,
                index,
                badges,
            )
            hit = self._papers.get(key)
            if hit is not None and hit[0] == inputs:
                _, paper, events, values = hit
                for macro, problem in events:
                    convert.emit(problem, macro)
                for value in values:
                    convert.memo.keep(value)
            else:
                convert.events, convert.values = [], []
                paper = bibtex.to_paper(key, entry, index, badges, convert)
                events, values = tuple(convert.events), tuple(convert.values)
                convert.events = convert.values = None
            fresh[key] = (inputs, paper, events, values)
            papers.append(paper)
        self._papers = fresh
        return tuple(papers)


# --- templates --------------------------------------------------------------------------------


def template_stamp(theme: Theme) -> str:
    """Digest of the paths and contents of every template the theme chain can load."""
    folders = [theme.overrides] if theme.overrides is not None else []
    folders += theme.template_dirs()
    digest = hashlib.blake2b(digest_size=16)
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            try:
                data = read_input(path, TEMPLATE)
            except ScholarpageError:  # reported if a page uses it
                data = b"\0unreadable"
            digest.update(f"{path}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
            digest.update(data)
    return digest.hexdigest()


def _template_closure(env: jinja2.Environment, name: str) -> list[jinja2.nodes.Template] | None:
    """The parsed template and every template it extends, includes or imports (recursively);
    None when that cannot be known (a dynamic reference, an error)."""
    found: list[jinja2.nodes.Template] = []
    seen: set[str] = set()
    todo = [name]
    loader = env.loader
    if loader is None:
        return None
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            ast = env.parse(loader.get_source(env, current)[0])
        except jinja2.TemplateError:
            return None
        found.append(ast)
        for ref in jinja2.meta.find_referenced_templates(ast):
            if ref is None:
                return None
            todo.append(ref)
    return found


def template_variables(env: jinja2.Environment, name: str) -> frozenset[str] | None:
    """The context names a template may read, through everything it references; None when that
    cannot be known: then the page is taken to depend on the whole context."""
    closure = _template_closure(env, name)
    if closure is None:
        return None
    return frozenset(v for ast in closure for v in jinja2.meta.find_undeclared_variables(ast))


_IMPURE = (jinja2.nodes.Macro, jinja2.nodes.NSRef, jinja2.nodes.ExprStmt)


def template_pure(env: jinja2.Environment, name: str) -> bool:
    """Whether a template's output is all it does: no macros (an import needs them run), no
    namespace writes or `do` (side effects on the includer), likewise for all it references."""
    closure = _template_closure(env, name)
    return closure is not None and not any(True for ast in closure for _ in ast.find_all(_IMPURE))


_PAPER_DERIVED = frozenset({"papers", "selected_papers", "papers_by_year"})


def _fingerprint(value: object) -> object:
    """A value's repr, which the context's plain values (str, Markup, numbers, lists, dicts)
    spell out completely; an object shown by identity never matches anything."""
    text = repr(value)
    return object() if " at 0x" in text else text


def _same(a: object, b: object) -> bool:
    """Equal, with the same types and key order all the way down: 1, 1.0 and True compare
    equal but render differently, and a template may loop over a dict."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        pairs = zip(a.items(), b.items(), strict=True)
        return len(a) == len(b) and all(ka == kb and _same(va, vb) for (ka, va), (kb, vb) in pairs)
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple))
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


@dataclass
class _RenderMemory:
    """What rendering computed last time: see the module docstring. `stamp` is the template
    files' digest the analyses, pages and partials were made with."""

    stamp: str = ""
    uses: dict[str, frozenset[str] | None] = field(default_factory=dict)
    pure: dict[str, bool] = field(default_factory=dict)
    contexts: dict[str, tuple[context.PaperInputs, context.PaperContext]] = field(
        default_factory=dict
    )
    heads: dict[str, tuple[object, Head]] = field(default_factory=dict)
    # per output path: (inputs compared with _same, model inputs compared with ==, bytes)
    pages: dict[str, tuple[object, object, bytes]] = field(default_factory=dict)
    shared: dict[str, tuple[object, ...]] = field(default_factory=dict)  # by template: reads
    papers: list[context.PaperInputs] = field(default_factory=list)
    papers_token: int = 0  # changes whenever `papers` does: the paper list in partials' keys
    fragments: dict[object, str] = field(default_factory=dict)


class _Fragments:
    """An included partial is reused when every context value it can read compares equal to
    last build's (values, as for whole pages)."""

    def __init__(self, env: jinja2.Environment, memo: _RenderMemory, base_url: str) -> None:
        self.env, self.memo, self.base_url = env, memo, base_url
        self.now: dict[object, str] = {}

    def _reads(self, name: str) -> frozenset[str] | None:
        if name not in self.memo.uses:
            self.memo.uses[name] = template_variables(self.env, name)
        if name not in self.memo.pure:
            self.memo.pure[name] = template_pure(self.env, name)
        return self.memo.uses[name] if self.memo.pure[name] else None

    def lookup(self, name: str, context: jinja2.runtime.Context) -> tuple[object, str | None]:
        """(the key to store the output under, or None: not reusable; last build's output)."""
        names = self._reads(name)
        if names is None:
            return None, None
        page = context.resolve_or_missing("page")
        path = page.get("path") if isinstance(page, dict) else None
        parts: list[object] = [name, path, self.base_url]
        for var in sorted(names):
            value = context.resolve_or_missing(var)
            if var in _PAPER_DERIVED:
                parts.append((var, self.memo.papers_token))
            elif callable(value) and not isinstance(value, (jinja2.Undefined, type)):
                # rel()/absolute() depend on the page path and base_url, both in the key
                qualname = getattr(value, "__qualname__", None)
                if qualname is None:
                    return None, None
                parts.append((var, getattr(value, "__module__", None), qualname))
            else:
                fingerprint = _fingerprint(value)
                if not isinstance(fingerprint, str):
                    return None, None
                parts.append((var, fingerprint))
        key = tuple(parts)
        hit = self.memo.fragments.get(key)
        if hit is not None:
            self.now[key] = hit
        return key, hit

    def store(self, key: object, text: str) -> None:
        self.now[key] = text


RenderFunc = Callable[[jinja2.runtime.Context], Iterator[str]]


class _FragmentTemplate(jinja2.Template):
    """A template whose output as an `{% include %}` of a partial (`_name.html`) may be reused
    while its environment has fragments to look in; otherwise it renders as usual."""

    _raw_root: RenderFunc

    @property
    def root_render_func(self) -> RenderFunc:
        raw = self._raw_root
        env = self.environment
        hook = env.fragments if isinstance(env, _MemoEnvironment) else None
        name = self.name
        if hook is None or name is None or not posixpath.basename(name).startswith("_"):
            return raw

        def render_fragment(context: jinja2.runtime.Context) -> Iterator[str]:
            key, hit = hook.lookup(name, context)
            if hit is None:
                hit = "".join(raw(context))
                if key is not None:
                    hook.store(key, hit)
            yield hit

        return render_fragment

    @root_render_func.setter
    def root_render_func(self, value: RenderFunc) -> None:
        self._raw_root = value


class _MemoEnvironment(ThemeEnvironment):
    """The theme's environment with partials looked up in `fragments` during a render."""

    template_class = _FragmentTemplate
    fragments: _Fragments | None = None


# --- output -----------------------------------------------------------------------------------


def _sync(
    outputs: tuple[Output, ...], out_dir: Path, site_dir: Path, written: dict[str, bytes]
) -> tuple[str, ...]:
    """Update `out_dir` in place to hold exactly `outputs`; return the paths that changed.

    Serve keeps serving the folder while it rebuilds: only files whose bytes differ are
    replaced (each atomically), files no longer produced are deleted, and deleting happens only
    in a folder that carries our marker, so a user's files are never touched. `written` (path ->
    the bytes the previous calls wrote, updated here) spares re-reading unchanged files.
    """
    check_output_dir(out_dir, site_dir)
    root = str(out_dir.resolve())
    wanted: dict[str, bytes] = {}
    for output in outputs:
        rel = str(safe_relpath(output.path))
        if rel in wanted or rel == MARKER:
            raise ScholarpageError.single(
                f"two pages would be written to the same file: {output.path}",
                hint="two entries have keys that give the same path; rename one",
            )
        wanted[rel] = output.content
    known = written
    # what we wrote last time is all the folder holds (it is private to serve), else look
    stale = set(known) - set(wanted) if known else None
    changed: list[str] = []
    try:
        os.makedirs(root, exist_ok=True)
        marker = os.path.join(root, MARKER)
        if not os.path.isfile(marker):
            Path(marker).write_bytes(MARKER_TEXT)
        for rel, content in wanted.items():
            if known.get(rel) is content:  # the very bytes written before (a memoized page)
                continue
            target = os.path.join(root, rel)
            try:
                size = os.lstat(target).st_size
            except OSError:
                size = -1
            if size == len(content) and (
                known[rel] == content if rel in known else Path(target).read_bytes() == content
            ):
                known[rel] = content
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            temp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.tmp")
            Path(temp).write_bytes(content)
            os.replace(temp, target)
            known[rel] = content
            changed.append(rel)
        if stale is None:
            stale = set()
            for folder, _dirs, files in os.walk(root):
                prefix = folder[len(root) + 1 :].replace(os.sep, "/")
                stale.update(f"{prefix}/{n}" if prefix else n for n in files)
            stale -= {*wanted, MARKER}
        for rel in sorted(stale):
            target = os.path.join(root, rel)
            if os.path.lexists(target):
                os.unlink(target)
                changed.append(rel)
            known.pop(rel, None)
            folder = os.path.dirname(target)
            while folder != root and not os.listdir(folder):
                os.rmdir(folder)
                folder = os.path.dirname(folder)
    except OSError as exc:
        raise ScholarpageError.single(
            f"cannot write the site: {exc.strerror or exc}", file=Path(exc.filename or out_dir)
        ) from None
    return tuple(changed)


# --- builds -----------------------------------------------------------------------------------


def build_site(
    site_dir: Path,
    *,
    output: Path | None = None,
    base_url: str | None = None,
    theme: str | None = None,
    strict: bool = False,
    env: Mapping[str, str] | None = None,
) -> BuildResult:
    """generator.build.build_site with the disk cache: an unchanged bibliography is neither
    parsed nor converted again. The output is the same; the previous one stays on any error."""
    warnings = Warnings()
    config = read_config(site_dir, warnings, output=output, base_url=base_url, theme=theme)
    remove_leftovers(config.output)  # before anything can fail (see build.build_site)
    settings = read_settings(config, warnings)
    config = settings.config
    reader = PaperReader(config.site_dir / CACHE_DIR_NAME)
    papers = reader.read(config.bibliography, config.paper_badges, warnings)
    outputs = render.render_site(make_site(settings, papers, warnings, env), settings.theme)
    check_strict(warnings, strict)
    write_site(outputs, config.output, config.site_dir)
    return build_result(config, outputs, len(papers), warnings, tuple(o.path for o in outputs))


class Rebuilder:
    """Serve's builds of one site into one folder, updated in place (it is being served):
    each build computes only what its edits changed, and rewrites only the files that did."""

    def __init__(
        self,
        site_dir: Path,
        *,
        output: Path | None = None,
        base_url: str | None = None,
        theme: str | None = None,
        strict: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.site_dir = site_dir
        self.output, self.base_url, self.theme = output, base_url, theme
        self.strict, self.env = strict, env
        self._papers: PaperReader | None = None
        self._environment: tuple[object, _MemoEnvironment] | None = None
        self._render = _RenderMemory()
        self._written: dict[str, bytes] = {}

    def build(self) -> BuildResult:
        """Build like generator.build.build_site; `changed` lists the files rewritten or
        deleted. On any error the folder keeps the last good build."""
        warnings = Warnings()
        config = read_config(
            self.site_dir, warnings, output=self.output, base_url=self.base_url, theme=self.theme
        )
        settings = read_settings(config, warnings)
        config = settings.config
        if self._papers is None:
            self._papers = PaperReader(config.site_dir / CACHE_DIR_NAME)
        papers = self._papers.read(config.bibliography, config.paper_badges, warnings)
        site = make_site(settings, papers, warnings, self.env)
        outputs = self._render_site(site, settings)
        check_strict(warnings, self.strict)
        changed = _sync(outputs, config.output, config.site_dir, self._written)
        return build_result(config, outputs, len(papers), warnings, changed)

    def _environment_for(self, theme: Theme, stamp: str) -> _MemoEnvironment:
        """The theme's Jinja environment, reused while the template files (paths and contents)
        stay the same: a new override file must be seen, and an edit within the file system's
        mtime granularity, which Jinja's own reload check would miss, must not go unseen."""
        key = (theme.dirs, theme.overrides, stamp)
        if self._environment is None or self._environment[0] != key:
            env = theme.environment(_MemoEnvironment)
            assert isinstance(env, _MemoEnvironment)
            # the key holds every template file's contents: Jinja's per-template mtime check
            # (a stat per page) can only repeat what the key already tells
            env.auto_reload = False
            self._environment = (key, env)
        return self._environment[1]

    def _render_site(self, site: Site, settings: Settings) -> tuple[Output, ...]:
        """render.render_site, composed of the same steps with the memos around them."""
        memo = self._render
        stamp = template_stamp(settings.theme)
        env = self._environment_for(settings.theme, stamp)
        if stamp != memo.stamp:
            memo.stamp, memo.uses, memo.pure, memo.pages, memo.fragments = stamp, {}, {}, {}, {}
        inputs = context.paper_inputs(site)
        if inputs != memo.papers:
            memo.papers, memo.papers_token = inputs, memo.papers_token + 1
        shared = context.site_context(site, self._paper_contexts(site, inputs))
        heads = self._paper_heads(site)
        jobs = render.page_jobs(site, shared, heads)
        fragments = _Fragments(env, memo, site.config.base_url)
        env.fragments = fragments
        try:
            pages = self._render_pages(env, shared, jobs, inputs)
        finally:
            env.fragments = None
        memo.fragments = fragments.now
        return render.site_outputs(site, settings.theme, shared, pages)

    def _paper_contexts(
        self, site: Site, inputs: list[context.PaperInputs]
    ) -> list[context.PaperContext]:
        kept: dict[str, tuple[context.PaperInputs, context.PaperContext]] = {}
        contexts = []
        for key in inputs:
            paper, slug, owner, _ = key
            hit = self._render.contexts.get(paper.key)
            found = hit[1] if hit is not None and hit[0] == key else None
            if found is None:
                found = context.paper_context(site, paper, slug, owner)
            kept[paper.key] = (key, found)
            contexts.append(found)
        self._render.contexts = kept
        return contexts

    def _paper_heads(self, site: Site) -> list[Head]:
        settings = context.head_settings(site)
        kept: dict[str, tuple[object, Head]] = {}
        heads = []
        for paper, slug in ((e.paper, e.slug) for e in site.entries):
            key = (paper, slug, settings)
            hit = self._render.heads.get(slug)
            head = hit[1] if hit is not None and hit[0] == key else None
            if head is None:
                head = context.paper_head(site, paper, slug)
            kept[slug] = (key, head)
            heads.append(head)
        self._render.heads = kept
        return heads

    def _render_pages(
        self,
        env: _MemoEnvironment,
        site_ctx: context.SiteContext,
        jobs: Sequence[render.PageJob],
        inputs: list[context.PaperInputs],
    ) -> list[Output]:
        """render.render_page for each job whose inputs changed: the job itself, base_url (the
        helpers' other input), and the shared context names its template can read (a name
        derived from the paper list compares as the papers' inputs)."""
        memo = self._render
        base_url = site_ctx["site"]["base_url"]
        by_name: Mapping[str, object] = site_ctx  # the names templates read, looked up by name
        per_template: dict[str, tuple[tuple[object, ...], bool]] = {}
        shared_now: dict[str, tuple[object, ...]] = {}
        pages: dict[str, tuple[object, object, bytes]] = {}
        outputs = []
        for job in jobs:
            if job.template not in per_template:
                if job.template not in memo.uses:
                    memo.uses[job.template] = template_variables(env, job.template)
                names = memo.uses[job.template]
                chosen = sorted(by_name if names is None else names & by_name.keys())
                reads: tuple[object, ...] = tuple(
                    (n, by_name[n]) for n in chosen if n not in _PAPER_DERIVED
                )
                before = memo.shared.get(job.template)
                if before is not None and _same(before, reads):
                    reads = before  # compared once per template, then by identity per page
                shared_now[job.template] = reads
                per_template[job.template] = (reads, any(n in _PAPER_DERIVED for n in chosen))
            shared, reads_papers = per_template[job.template]
            strict = (job.template, job.root_links, job.paper, base_url, job.own, shared)
            model = (
                inputs[job.paper] if job.paper is not None else None,
                inputs if reads_papers else None,
            )
            hit = memo.pages.get(job.path)
            if hit is not None and hit[1] == model and _same(hit[0], strict):
                content = hit[2]
            else:
                content = render.render_page(env, site_ctx, job).content
            pages[job.path] = (strict, model, content)
            outputs.append(Output(job.path, content))
        memo.pages, memo.shared = pages, shared_now
        return outputs
