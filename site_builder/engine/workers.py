"""Work on every core: Markdown conversion in a process pool with one configured Converter per worker (started
while the archive is still loading, in a cold build), and forked workers that die with their parent. Imports
Python-Markdown only when it converts."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from ..core.platform import can_fork as _can_fork_here, cpu_count, die_with

if TYPE_CHECKING:  # a build with nothing to do never imports the model
    from ..content.markdown import Converter
    from ..core.models import Body, Company

MIN_PARALLEL = 48  # fewer bodies than this convert faster in this process than a pool starts
_worker: Converter | None = None


def _init(companies: tuple[Company, ...], href: Callable[[str], str], parent: int) -> None:
    from ..content.markdown import Converter

    global _worker
    die_with(parent)  # a killed build leaves no worker behind
    _worker = Converter(companies, href)


def _convert(text: str) -> Body:
    assert _worker is not None
    return _worker.convert(text)


def _convert_batch(texts: list[str]) -> list[Body]:
    assert _worker is not None
    return [_worker.convert(t) for t in texts]


def can_fork(workers: int, count: int) -> bool:
    """Whether count bodies are worth a pool of that many forked workers."""
    return workers >= 2 and count >= MIN_PARALLEL and _can_fork_here()


def _multiprocessing():
    """The multiprocessing module, imported when first needed (a build with nothing to do never does)."""
    import multiprocessing

    return multiprocessing


class Prefetch:
    """Bodies converted by a forked pool while the archive is still loading: the loader adds each body as it
    reads its file, so both cores are busy from the first file on, and collect() gives the bodies back, in
    order, when the model asks for them. close() ends the pool (whatever was not collected is dropped)."""

    BATCH = 8  # bodies per task: fewer round trips than one each, and the pool still starts work at once

    def __init__(self, companies: Iterable[Company], href: Callable[[str], str], workers: int,
                 progress: Any = None):
        """progress, if given, has update(n) (a tqdm bar): called as the workers finish each batch of bodies."""
        from ..content.markdown import Converter  # noqa: F401 - Python-Markdown: imported once, before forking

        self._done = (lambda batch: progress.update(len(batch))) if progress is not None else None
        self._pool = _multiprocessing().get_context("fork").Pool(workers, _init, (tuple(companies), href, os.getpid()))
        self._where: dict[str, tuple[int, int]] = {}  # body -> (task, index in it)
        self._tasks: list[Any] = []  # AsyncResult of each task, in order
        self._batch: list[str] = []

    def add(self, text: str) -> None:
        """Start converting text (once, however often it is added)."""
        if text in self._where:
            return
        self._where[text] = (len(self._tasks), len(self._batch))
        self._batch.append(text)
        if len(self._batch) == self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._tasks.append(self._pool.apply_async(_convert_batch, (self._batch,), callback=self._done))
            self._batch = []

    def collect(self, texts: Sequence[str]) -> list[Body]:
        """The converted bodies of texts, in order (any not added yet are converted now)."""
        for text in texts:
            self.add(text)
        self._flush()
        done: dict[int, list[Body]] = {}
        out = []
        for text in texts:
            task, index = self._where[text]
            if task not in done:
                done[task] = self._tasks[task].get()
            out.append(done[task][index])
        return out

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


def convert_bodies(companies: Iterable[Company], href: Callable[[str], str], texts: Sequence[str],
                   workers: int | None = None, progress: Any = None) -> list[Body]:
    """Convert Markdown bodies in order; in a forked pool of `workers` processes when it pays. progress, if
    given, has update(n) (a tqdm bar): called as bodies are done."""
    companies = tuple(companies)
    workers = cpu_count() if workers is None else workers
    from ..content.markdown import Converter  # Python-Markdown: imported when there is a body to convert (before forking)

    if not can_fork(workers, len(texts)):
        converter = Converter(companies, href)
        out = [converter.convert(t) for t in texts]
        if progress is not None:
            progress.update(len(out))
        return out
    # fork: the workers inherit companies and href (a lambda) without pickling them
    with _multiprocessing().get_context("fork").Pool(workers, _init, (companies, href, os.getpid())) as pool:
        chunk = max(1, min(32, len(texts) // (workers * 8)))
        out = []
        for body in pool.imap(_convert, texts, chunksize=chunk):
            out.append(body)
            if progress is not None:
                progress.update(1)
        return out
