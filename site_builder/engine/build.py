"""A build from start to end: config -> (nothing changed? done) -> pipeline (load, model, outputs) -> write.

The pipeline itself is in pipeline.py; this module runs it and writes what it defines, and keeps what one build
leaves for the next (Builder). It imports the pipeline only when there is work to do.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.config import Config, load_config
from ..core.errors import Collector, Problem, SiteError, display_path
from ..outputs.base import ready
from ..outputs.theme import PROJECT_TEMPLATES, Theme
from . import search as search_module
from .store import (
    SPARE_DIR,
    BuildCache,
    CacheData,
    Snapshot,
    cache_folder,
    forget_cache_for,
    load_cache_for,
    load_snapshot_for,
    save_cache_for,
)
from .workers import cpu_count
from .write import Lock, check_output, output_lock, write_site

if TYPE_CHECKING:
    from concurrent.futures import Executor


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


def build(
    source: Path,
    output: Path | None,
    templates: Path | None = None,
    overrides: dict | None = None,
    strict: bool = False,
    executor: Executor | None = None,
) -> Summary:
    """Build the site; with output None, validate and render only (check). executor: where the Markdown bodies are
    converted (any concurrent.futures.Executor; None: a process pool of ours when there are enough).

    Raises SiteError on bad input, and on any warning when strict.
    """
    return Builder(source, output, templates, overrides, strict, executor=executor).build()


class Builder:
    """Builds one site, again and again: keeps the build cache in memory between builds.

    `serve` holds one and calls build() after each change; the CLI makes one per run. The cache also lives
    on disk beside output/ (.site-builder-cache/), so the next process starts warm. check uses no cache.
    """

    def __init__(
        self,
        source: Path,
        output: Path | None,
        templates: Path | None = None,
        overrides: dict | None = None,
        strict: bool = False,
        cache: bool = True,
        progress=None,
        in_place: bool = False,
        defer_save: bool = False,
        executor: Executor | None = None,
    ):
        self.source, self.output, self.templates = source, output, templates
        self.executor = executor  # where bodies are converted (e.g. dask's, see executors.py); None: a pool of ours
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
        with _cycle_collection_paused():
            return self._build()

    def _build(self) -> Summary:
        started = time.perf_counter()
        theme = Theme.resolve(self.templates)  # templates/ may appear or go between two builds of serve
        if self.output is not None:  # a folder no build may replace: refused before anything is read
            # the templates folder, there or not yet: an output inside it would become part of the theme
            check_output(self.output, self.source, self.templates or PROJECT_TEMPLATES)
        errors = Collector()  # every problem of the run, reported together (see pipeline.generate)
        config = load_config(self.source, self.overrides, errors)
        notes: tuple[str, ...] = ()
        self._indexer = search_module.find_pagefind()  # installing it later is a change: the next build indexes
        snapshot = Snapshot.take(
            self.source,
            theme.folders,
            self.output,
            self.overrides,
            self.strict,
            extra=(str(self._indexer), search_module.why_missing() if self._indexer is None else ""),
        )
        kept, last = None, None
        if self.use_cache and self.output is not None and self.output.is_dir():
            # the last build's snapshot: in memory, or from its own small file (not the whole cache)
            last = self._state.snapshot if self._state is not None else load_snapshot_for(self.output)
            if last:
                with output_lock(self.output):  # a build writing it now: refuse, as a build that writes would
                    kept = snapshot.unchanged_since(last)
        if kept is None and self._state is None:
            self._state, note = load_cache_for(self.output if self.use_cache else None, last)
            notes = (note,) if note else ()
        if kept is not None and not errors.problems:  # nothing changed: the previous build's output stands as it is
            articles, companies, count, warnings, held_back = kept
            summary = Summary(articles, companies, count, 0.0, config, warnings, held_back, 0, count, notes)
        else:
            summary = self._full(config, theme, snapshot, notes, errors)
        if self.strict and summary.warnings:
            raise SiteError([w.as_strict() for w in summary.warnings])
        return dataclasses.replace(summary, seconds=time.perf_counter() - started)

    def _full(
        self, config: Config, theme: Theme, snapshot: Snapshot, notes: tuple[str, ...], errors: Collector
    ) -> Summary:
        from . import pipeline  # Jinja, Markdown and YAML: imported only when a build has work to do

        cache = BuildCache(self._state, self.progress, memo=self.use_cache, executor=self.executor)
        try:
            site = pipeline.generate(self.source, theme, config, cache, snapshot.files, errors, self.strict)
        finally:
            cache.close()  # the progress bar, and a pool left by a build that failed
        explain = functools.partial(pipeline.explain, theme)
        outputs, warnings = site.outputs, site.warnings
        if self.output is not None:  # kept outputs need not be made, so a build names the ones it makes
            previous = cache.records
        else:  # check: make every output once, so that a template error fails it as it would fail a build
            previous = {}
            outputs = [pipeline.made(o, explain) for o in outputs]
        search = pipeline.search_index(cache, outputs, previous, explain, self.output, self._indexer, site.searchable)
        outputs = outputs + [ready(path, data) for path, data in search.files.items()]
        warnings += [Problem("pagefind", 0, search.problem)] if search.problem else []
        stats = {"written": 0, "unchanged": 0, "made": 0}
        if output := self.output:
            if not (self.strict and warnings):
                trash = cache_folder(output) / "trash" if self.use_cache else None
                spare = cache_folder(output) / SPARE_DIR if self.use_cache else None
                saved: list[str] = []

                def keep(lock: Lock, records: dict) -> None:  # the new site is in place, its lock still held
                    if not self.use_cache:
                        return
                    cache.current.records = records
                    # the replaced site is the spare now; an in-place update leaves the spare as it was
                    cache.current.spare_records = (
                        previous if stats.get("spared") else cache.spare_records if stats.get("in_place") else {}
                    )
                    if search.problem is None or self._indexer is None:  # a failed indexer run: try again
                        snapshot.record(
                            cache,
                            output,
                            (site.articles, site.companies, len(outputs), tuple(warnings), site.held_back),
                            records,
                        )
                    self._unsaved = cache.current
                    if not self.defer_save:
                        saved.extend(self._save(lock))

                write_site(
                    outputs,
                    output,
                    self.source,
                    stats,
                    trash,
                    previous,
                    explain,
                    in_place=self.in_place,
                    workers=cpu_count(),
                    spare=spare,
                    spare_records=cache.spare_records,
                    after=keep,
                )
                notes += tuple(saved)
        cache.made = stats["made"]
        cache.kept = len(outputs) - stats["made"] if self.output is not None else 0
        self._state = cache.current
        self.last = cache  # what the last build made, kept and converted (tests, the benchmark)
        return Summary(
            site.articles,
            site.companies,
            len(outputs),
            0.0,
            config,
            tuple(warnings),
            site.held_back,
            stats["written"],
            stats["unchanged"],
            notes,
        )

    def save(self) -> tuple[str, ...]:
        """Write the cache the last build left to disk, for the next process (build() does, unless defer_save).
        Returns a warning when it could not be saved (the site is in place all the same). When another build is
        writing the output now, there is nothing to save: that build saves its own."""
        if self._unsaved is None or self.output is None:
            return ()
        try:
            with output_lock(self.output) as lock:
                return self._save(lock)
        except SiteError:  # another build holds the lock
            self._unsaved = None
            return ()

    def _save(self, lock: Lock) -> tuple[str, ...]:
        """Save the cache while holding the output's lock (its temporary files are in the lock's records)."""
        data, self._unsaved = self._unsaved, None
        if data is None or self.output is None:
            return ()
        try:
            save_cache_for(self.output, data, lock.claim)
        except OSError as exc:  # a full disk, say: the site is in place; the next build must not trust this cache
            forget_cache_for(self.output)
            return (
                (
                    f"{display_path(cache_folder(self.output))}: cannot save the build cache "
                    f"({exc.strerror or exc}); the site is built, and the next build starts without the cache"
                ),
            )
        return ()


@contextmanager
def _cycle_collection_paused():
    """Python's cycle collector off for the length of a build. A build frees nearly everything it makes by
    reference counting, but its allocations trigger collections that walk every object the cache and the model
    hold: tens of milliseconds per rebuild in serve (a tenth of it). The few cycles a build leaves are collected
    after it (serve collects between builds; a CLI build ends its process)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
