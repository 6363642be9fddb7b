"""The one readable pipeline: config -> load -> index -> render + feeds -> write."""
from __future__ import annotations

import dataclasses
import functools
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .checks import find_warnings
from .config import Config, load_config
from .errors import Problem, SiteError, display_path
from .feeds import render_feeds, render_sitemap
from .api import render_api
from .cache import SPARE_DIR, BuildCache, CacheData, Snapshot, cache_folder, load_cache_for, save_cache_for, search_key, tree_key
from .citations import render_citations
from .index import build_site
from .jsonfeed import render_json_feed
from .load import load_archive
from .outputs import Keys, Output, by_path, global_key, ready
from .parallel import cpu_count
from .redirects import render_redirects
from .render import make_env, render_site, static_assets
from .schedule import build_now
from . import search as search_module
from .search import SearchIndex, index_search
from .source_pages import render_source_feeds, render_source_pages
from .urls import raw_path
from .write import output_lock, write_site


@dataclass(frozen=True)
class Summary:
    """What a build did."""

    articles: int
    companies: int
    files: int
    seconds: float
    config: Config
    warnings: tuple[Problem, ...] = ()
    held_back: tuple[str, ...] = ()  # 'path (date)' of each article dated after the build's "now"
    written: int = 0  # files written anew (the rest were unchanged, kept as they were)
    unchanged: int = 0
    notes: tuple[str, ...] = ()  # e.g. why the build cache was ignored


def _template_error(templates: Path, exc: jinja2.TemplateError) -> SiteError:
    """Name the template file and line: from a syntax error, or from the innermost template frame."""
    name = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None) or 0
    if not name:
        root = str(templates.resolve())
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]
        if frames:
            name, line = frames[-1].filename, frames[-1].lineno or 0
    where = display_path(name) if name else display_path(templates)
    return SiteError([Problem(where, line, f"template error: {exc.message or exc}")])


@dataclass
class Generated:
    """The site, modelled and ready to make: every output (not made yet) and what the summary reports."""

    outputs: list[Output]
    articles: int
    companies: int
    warnings: list[Problem]
    held_back: tuple[str, ...]


def generate(source: Path, templates: Path, config: Config, cache: BuildCache | None = None) -> Generated:
    """Load and model the archive, and define every output of the site (made later, by the write step)."""
    archive = load_archive(source, cache.articles if cache is not None else None)
    memo = cache.memo if cache is not None else None
    site = build_site(archive, build_now(), convert=cache.convert if cache else None, memo=memo)
    if not (templates / "base.html").is_file():
        raise SiteError([Problem(display_path(templates), 0, "templates folder not found (no base.html in it)")])
    env = make_env(templates)
    if cache is not None:
        cache.prime(env)
    outputs, stylesheet = static_assets(templates)
    keys = Keys(global_key(tree_key(templates), stylesheet, config, site.companies), site)
    pages = render_site(env, config, site, stylesheet, keys) + render_source_pages(env, config, site, stylesheet, keys)
    outputs += pages
    outputs += [ready(raw_path(name), data) for name, data in site.raw_files.items()]
    outputs += render_feeds(env, config, site, keys)
    outputs += render_source_feeds(env, config, site, keys)
    outputs += render_json_feed(config, site, keys)
    outputs += render_citations(config, site, keys)
    outputs += render_api(config, site, keys)
    outputs += render_sitemap(env, config, site, keys, [o.path for o in pages if o.path.endswith(".html")])
    outputs += render_redirects(env, config, site, keys, [o.path for o in outputs])  # after the sitemap: not in it
    outputs = list(by_path(outputs).values())
    warnings = find_warnings(archive.articles, site, {o.path for o in outputs}, config.base_path, memo)
    held_back = tuple(f"{display_path(a.path)} ({a.published.isoformat()})" for a in site.held_back)
    return Generated(outputs, len(site.articles), len(site.companies), warnings, held_back)


def build(source: Path, output: Path | None, templates: Path, overrides: dict | None = None,
          strict: bool = False) -> Summary:
    """Build the site; with output None, validate and render only (check).

    Raises SiteError on bad input, and on any warning when strict.
    """
    return Builder(source, output, templates, overrides, strict).build()


class Builder:
    """Builds one site, again and again: keeps the build cache in memory between builds.

    `serve` holds one and calls build() after each change; the CLI makes one per run. The cache also lives
    on disk beside output/ (.site-builder-cache/), so the next process starts warm. check uses no cache.
    """

    def __init__(self, source: Path, output: Path | None, templates: Path, overrides: dict | None = None,
                 strict: bool = False, cache: bool = True, progress=None, in_place: bool = False,
                 defer_save: bool = False):
        self.source, self.output, self.templates = source, output, templates
        self.in_place = in_place  # after the first build, replace changed files one by one (serve)
        self.defer_save = defer_save  # leave the cache file to save(), called when the caller is idle (serve)
        self._unsaved: CacheData | None = None
        self.overrides, self.strict = overrides, strict
        self.use_cache = cache and output is not None
        self.progress = progress  # progress(total) -> a bar with update() and close(), e.g. tqdm
        self._state = None  # the cache as the last build left it
        self.last: BuildCache | None = None
        self._indexer: Path | None = None  # the search indexer binary this build found

    def build(self) -> Summary:
        """One build: nothing at all when no input and no output file changed; else only what changed."""
        started = time.perf_counter()
        config = load_config(self.source, self.overrides)
        notes: tuple[str, ...] = ()
        if self._state is None:
            self._state, note = load_cache_for(self.output if self.use_cache else None)
            notes = (note,) if note else ()
        self._indexer = search_module.find_pagefind()  # installing it later is a change: the next build indexes
        snapshot = Snapshot.take(self.source, self.templates, self.output, self.overrides, self.strict,
                                 extra=(str(self._indexer),))
        kept = None
        if self.use_cache and self._state.snapshot and self.output is not None and self.output.is_dir():
            with output_lock(self.output):  # a build writing it now: refuse, as a build that writes would
                kept = snapshot.unchanged_since(self._state)
        if kept is not None:  # nothing changed: the previous build's output stands as it is
            articles, companies, count, warnings, held_back = kept
            summary = Summary(articles, companies, count, 0.0, config, warnings, held_back, 0, count, notes)
        else:
            summary = self._full(config, snapshot, notes)
        if self.strict and summary.warnings:
            raise SiteError([Problem(w.path, w.line, f"{w.message} (--strict)") for w in summary.warnings])
        return dataclasses.replace(summary, seconds=time.perf_counter() - started)

    def _full(self, config: Config, snapshot: Snapshot, notes: tuple[str, ...]) -> Summary:
        cache = BuildCache(self._state, self.progress, memo=self.use_cache)
        try:
            site = generate(self.source, self.templates, config, cache)
        finally:
            cache.close_progress()
        explain = functools.partial(_explain, self.templates)
        outputs, warnings = site.outputs, site.warnings
        if self.output is not None:  # kept outputs need not be made, so a build names the ones it makes
            previous = cache.records
        else:  # check: make every output once, so that a template error fails it as it would fail a build
            previous = {}
            outputs = [_made(o, explain) for o in outputs]
        search = self._search(cache, outputs, previous, explain)
        outputs = outputs + [ready(path, data) for path, data in search.files.items()]
        warnings += [Problem("pagefind", 0, search.problem)] if search.problem else []
        stats = {"written": 0, "unchanged": 0, "made": 0}
        records = previous
        if output := self.output:
            if not (self.strict and warnings):
                trash = cache_folder(output) / "trash" if self.use_cache else None
                spare = cache_folder(output) / SPARE_DIR if self.use_cache else None
                records = write_site(outputs, output, self.source, stats, trash, previous, explain,
                                     in_place=self.in_place, workers=cpu_count(), spare=spare,
                                     spare_records=cache.spare_records)
                if self.use_cache:
                    cache.current.records = records
                    # the replaced site is the spare now; an in-place update leaves the spare as it was
                    cache.current.spare_records = (previous if stats.get("spared") else
                                                   cache.spare_records if stats.get("in_place") else {})
                    if search.problem is None or self._indexer is None:  # a failed indexer run: try again
                        snapshot.record(cache, output, (site.articles, site.companies, len(outputs), tuple(warnings),
                                                        site.held_back), records)
                    self._unsaved = cache.current
                    if not self.defer_save:
                        self.save()
        cache.made = stats["made"]
        cache.kept = len(outputs) - stats["made"] if self.output is not None else 0
        self._state = cache.current
        self.last = cache  # what the last build made, kept and converted (tests, the benchmark)
        return Summary(site.articles, site.companies, len(outputs), 0.0, config, tuple(warnings), site.held_back,
                       stats["written"], stats["unchanged"], notes)

    def save(self) -> None:
        """Write the cache the last build left to disk, for the next process (build() does, unless defer_save)."""
        if self._unsaved is not None and self.output is not None:
            save_cache_for(self.output, self._unsaved)
            self._unsaved = None

    def _search(self, cache: BuildCache, outputs: list[Output], previous: dict, explain) -> SearchIndex:
        """The search index of the HTML pages: the last build's while no page changed, else made anew."""
        if self._indexer is None:
            return index_search({})  # reports why there is none
        key = search_key({o.path: o.key for o in outputs})  # Pagefind is slow: reuse its index while no page changed
        found = cache.search(key)
        if found is None:
            pages = {o.path: _page_bytes(o, self.output, previous, explain) for o in outputs if o.path.endswith(".html")}
            found = index_search(pages, self._indexer)  # check indexes too, so it reports what build would
        if found.problem is None:  # a missing binary may be installed before the next build: try again then
            cache.keep_search(key, found)
        return SearchIndex(found.files, found.problem)


def _explain(templates: Path, exc: Exception) -> SiteError | None:
    """A template error as a SiteError naming the template file and line; None for any other exception."""
    return _template_error(templates, exc) if isinstance(exc, jinja2.TemplateError) else None


def _made(o: Output, explain) -> Output:
    """o with its bytes made now (a template error raised as a SiteError)."""
    try:
        data = o.make()
    except jinja2.TemplateError as exc:
        raise explain(exc) from None
    return Output(o.path, o.key, lambda: data)


def _page_bytes(o: Output, output: Path | None, previous: dict, explain) -> bytes:
    """The bytes of o: the previous build's file when o's key is unchanged and the file is as written, else made."""
    record = previous.get(o.path)
    if output is not None and record is not None and record[0] == o.key:
        try:
            path = output / o.path
            st = path.stat()
            if (st.st_size, st.st_mtime_ns, st.st_ino) == record[1:]:
                return path.read_bytes()
        except OSError:
            pass
    return _made(o, explain).make()
