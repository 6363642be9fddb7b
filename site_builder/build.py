"""The one readable pipeline: config -> load -> index -> render + feeds -> write."""
from __future__ import annotations

import dataclasses
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
from .cache import BuildCache, Snapshot, cache_folder, load_cache_for, save_cache_for, search_key
from .citations import render_citations
from .index import build_site
from .jsonfeed import render_json_feed
from .load import load_archive
from .redirects import render_redirects
from .render import make_env, render_site, static_assets
from .schedule import build_now
from . import search as search_module
from .search import index_search
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


def generate(source: Path, templates: Path, config: Config, cache: BuildCache | None = None
             ) -> tuple[dict[str, bytes], int, int, list[Problem], tuple[str, ...]]:
    """Load, model and render the whole site in memory: ({output path: bytes}, articles, companies, warnings,
    held back)."""
    archive = load_archive(source)
    site = build_site(archive, build_now(), convert=cache.convert if cache else None)
    if not (templates / "base.html").is_file():
        raise SiteError([Problem(display_path(templates), 0, "templates folder not found (no base.html in it)")])
    env = make_env(templates)
    try:
        files, stylesheet = static_assets(templates)
        env = cache.wrap(env, templates, config, stylesheet) if cache else env
        pages = render_site(env, config, site, stylesheet)
        pages.update(render_source_pages(env, config, site, stylesheet))
        files.update(pages)
        files.update({raw_path(name): data for name, data in site.raw_files.items()})
        files.update(render_feeds(env, config, site))
        files.update(render_source_feeds(env, config, site))
        files.update(render_json_feed(config, site))
        files.update(render_citations(config, site))
        files.update(render_api(config, site))
        files.update(render_sitemap(env, config, site, [p for p in pages if p.endswith(".html")]))
        files.update(render_redirects(env, config, site, list(files)))  # after the sitemap: not listed in it
    except jinja2.TemplateError as exc:
        raise _template_error(templates, exc) from None
    warnings = find_warnings(archive.articles, site, set(files), config.base_path)
    held_back = tuple(f"{display_path(a.path)} ({a.published.isoformat()})" for a in site.held_back)
    return files, len(site.articles), len(site.companies), warnings, held_back


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
                 strict: bool = False, cache: bool = True, progress=None):
        self.source, self.output, self.templates = source, output, templates
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
        cache = BuildCache(self._state, self.progress, self.output, memo=self.use_cache)
        try:
            files, articles, companies, warnings, held_back = generate(self.source, self.templates, config, cache)
        finally:
            cache.close_progress()
        key = search_key(files)  # Pagefind is slow: reuse its index while no page it reads has changed
        search = cache.search(key) or index_search(files)  # check indexes too, so it reports what build would
        if search.problem is None:  # a missing binary may be installed before the next build: try again then
            cache.keep_search(key, search)
        files.update(search.files)
        warnings += [Problem("pagefind", 0, search.problem)] if search.problem else []
        stats = {"written": 0, "unchanged": 0}
        if output := self.output:
            if not (self.strict and warnings):
                trash = cache_folder(output) / "trash" if self.use_cache else None
                write_site(files, output, self.source, stats, trash)
                if self.use_cache:
                    cache.record_outputs(files)
                    if search.problem is None or self._indexer is None:  # a failed indexer run: try again
                        snapshot.record(cache, output, (articles, companies, len(files), tuple(warnings), held_back))
                    save_cache_for(output, cache.current)
        self._state = cache.current
        self.last = cache  # what the last build rendered, reused and converted (tests, the benchmark)
        return Summary(articles, companies, len(files), 0.0, config, tuple(warnings), held_back,
                       stats["written"], stats["unchanged"], notes)
