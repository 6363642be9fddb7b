"""Work on every core: Markdown conversion on a concurrent.futures Executor (by default a ProcessPoolExecutor of
ours with one configured Converter per worker, started while the archive is still loading, in a cold build; or one
given, e.g. dask's), and pools whose workers are forked only where that is safe (no thread in this process) and die
with their parent. Imports Python-Markdown only when it converts."""

from __future__ import annotations

import collections
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.platform import cpu_count, die_with, fork_is_safe, other_start_method, thread_count

if TYPE_CHECKING:  # a build with nothing to do never imports the model
    from concurrent.futures import Executor, Future

    from ..core.models import Body, Company

MIN_PARALLEL = 48  # fewer bodies than this convert faster in this process than a pool starts


def can_fork() -> bool:
    """Whether this process may fork workers: the system's fork is safe (core/platform.py: not macOS, where system
    libraries break in a forked child) and no thread runs here (a fork copies a lock another thread holds: Python
    3.12+ warns), as in `serve` (its watcher and HTTP server)."""
    return fork_is_safe() and thread_count() == 1


def start_method() -> str:
    """How a process pool starts its workers: fork where it is safe (they inherit everything loaded, at no cost),
    else forkserver (POSIX) or spawn."""
    if can_fork():
        return "fork"
    return other_start_method()


def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = (), method: str | None = None
) -> Executor:
    """A ProcessPoolExecutor of `workers` processes, started the way start_method() says (or method). Forked
    workers die with this process (Linux), so a killed build leaves none behind."""
    from concurrent.futures import ProcessPoolExecutor

    method = method or start_method()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=_multiprocessing().get_context(method),
        initializer=_started,
        initargs=(os.getpid() if method == "fork" else None, initializer, initargs),
    )
    if method == "fork":  # fork every worker now, while this process has no other thread (the pool's own comes next)
        pool.submit(int)
    return pool


def _started(parent: int | None, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    if parent is not None:
        die_with(parent)
    if initializer is not None:
        initializer(*initargs)


def _multiprocessing():
    """The multiprocessing module, imported when first needed (a build with nothing to do never does)."""
    import multiprocessing

    return multiprocessing


# The converters of this worker (a process of a pool, or a thread of a dask worker): one per setup, made on first use.
_local = threading.local()


def _convert_batch(setup: tuple[str, tuple[Company, ...], Callable[[str], str]], texts: list[str]) -> list[Body]:
    """Convert texts with the Converter for setup (key, companies, href); the key names the companies and links."""
    from ..content.markdown import Converter

    key, companies, href = setup
    converters = getattr(_local, "converters", None)
    if converters is None:
        converters = _local.converters = {}
    converter = converters.get(key)
    if converter is None:
        if href is None:
            raise RuntimeError("a conversion worker was not given its companies")
        converters.clear()  # one setup at a time: a new build's links replace the last one's
        converter = converters[key] = Converter(companies, href)
    return [converter.convert(t) for t in texts]


def _install(setup: tuple[str, tuple[Company, ...], Callable[[str], str]]) -> None:
    """A pool worker's initializer: its Converter made once (forked workers inherit the setup without pickling)."""
    _convert_batch(setup, [])


def worth_a_pool(workers: int, count: int) -> bool:
    """Whether count bodies are worth a process pool of that many workers."""
    return workers >= 2 and count >= MIN_PARALLEL


class Conversion:
    """Bodies converted on an executor (a process pool of ours, or one given, e.g. dask's), possibly while the
    archive is still loading: the loader adds each body as it reads its file, so every core is busy from the first
    file on, and collect() gives the bodies back, in order, when the model asks for them. close() ends a pool of
    ours (whatever was not collected is dropped); a given executor is left running.

    Memory stays bounded by the work in flight, not the archive: at most AHEAD tasks wait for a worker (the loader
    waits for the oldest one beyond that), a body is known by the digest of its text (not the text), and keep, if
    given, is handed each task's bodies as they are done (the build cache puts them in its database and holds
    only their records: see store.py)."""

    BATCH = 8  # bodies per task: fewer round trips than one each, and work still starts at once
    AHEAD = 64  # tasks submitted and not yet done, at most: beyond that the loader waits (bodies queued cost memory)

    def __init__(
        self,
        companies: Iterable[Company],
        href: Callable[[str], str],
        workers: int,
        progress: Any = None,
        executor: Executor | None = None,
        key: str = "",
        keep: Callable[[list[str], list[Body]], list[Body]] | None = None,
    ):
        """progress, if given, has update(n) (a tqdm bar): called as batches of bodies are done. key: a digest of
        the companies and href (what a converted body depends on besides its text). keep(keys, bodies): called
        with each task's bodies, once done, and their keys (body_key); what it returns is what collect() gives."""
        from ..content.markdown import Converter  # noqa: F401 - Python-Markdown: imported once, before forking

        self.progress = progress
        self._own = executor is None
        self._links = key
        self._keep = keep
        setup = (key or os.urandom(8).hex(), tuple(companies), href)
        # a pool of ours is given the companies once per worker; another executor's tasks carry them
        self._executor = process_pool(workers, _install, (setup,)) if executor is None else executor
        self._setup = (setup[0], (), None) if executor is None else setup
        self._where: dict[str, tuple[int, int]] = {}  # body key -> (task, index in it)
        self._tasks: list[Future | None] = []  # each task, in order, until its bodies are taken (then None)
        self._keys: list[list[str]] = []  # each task's body keys
        self._bodies: dict[int, list[Body]] = {}  # each task's bodies, once taken from its future
        self._waiting: collections.deque[int] = collections.deque()  # tasks whose bodies are not taken, in order
        self._sizes: list[int] = []
        self._reported: set[int] = set()  # tasks counted on the progress bar
        self._lock = threading.Lock()
        self._batch: list[str] = []
        self._batch_keys: list[str] = []

    def add(self, text: str, key: str | None = None) -> str:
        """Start converting text (once, however often it is added); return its body key (key: known already)."""
        key = key or body_key(self._links, text)
        if key in self._where:
            return key
        self._where[key] = (len(self._tasks), len(self._batch))
        self._batch.append(text)
        self._batch_keys.append(key)
        if len(self._batch) == self.BATCH:
            self._flush()
        return key

    def _flush(self) -> None:
        if self._batch:
            task = len(self._tasks)
            future = self._executor.submit(_convert_batch, self._setup, self._batch)
            self._tasks.append(future)
            self._keys.append(self._batch_keys)
            self._sizes.append(len(self._batch))
            self._waiting.append(task)
            self._batch, self._batch_keys = [], []
            future.add_done_callback(lambda f, task=task: f.cancelled() or f.exception() or self._report(task))
            self._drain()

    def _drain(self) -> None:
        """Take the bodies of the oldest tasks that are done; wait while more than AHEAD are not."""
        while self._waiting:
            future = self._tasks[self._waiting[0]]
            if future is None or not (future.done() or len(self._waiting) > self.AHEAD):
                break
            self._take(self._waiting.popleft())

    def _take(self, task: int) -> list[Body]:
        """Task's bodies (waiting for them), through keep once; the future is dropped, and with it their bytes."""
        if task not in self._bodies:
            future = self._tasks[task]
            assert future is not None
            bodies = future.result()
            self._report(task)
            self._bodies[task] = self._keep(self._keys[task], bodies) if self._keep is not None else bodies
            self._tasks[task] = None
        return self._bodies[task]

    def _report(self, task: int) -> None:
        """Move the bar by task's bodies, once (from the executor's thread as it finishes, or from collect)."""
        with self._lock:
            if task in self._reported or self.progress is None:
                return
            self._reported.add(task)
            self.progress.update(self._sizes[task])

    def collect(self, texts: Sequence[str], keys: Sequence[str] | None = None) -> list[Body]:
        """The converted bodies of texts, in order (any not added yet are converted now). keys: their body keys,
        when known already (body_key)."""
        keys = [self.add(text, key) for text, key in zip(texts, keys or [None] * len(texts), strict=True)]
        self._flush()
        out = []
        for key in keys:
            task, index = self._where[key]
            out.append(self._take(task)[index])
        return out

    def close(self) -> None:
        for future in self._tasks:
            if future is not None:
                future.cancel()
        if self._own:
            self._executor.shutdown(wait=True, cancel_futures=True)


def body_key(links: str, text: str) -> str:
    """The key of a converted body: a digest of its Markdown text and of links (a digest of the companies and
    their links: what a converted body depends on besides its text)."""
    return hashlib.sha256(f"{links}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


Prefetch = Conversion  # the name a cold build's early conversion had


def convert_bodies(
    companies: Iterable[Company],
    href: Callable[[str], str],
    texts: Sequence[str],
    workers: int | None = None,
    progress: Any = None,
    executor: Executor | None = None,
    key: str = "",
    keep: Callable[[list[str], list[Body]], list[Body]] | None = None,
) -> list[Body]:
    """Convert Markdown bodies in order: on executor when given, else in a process pool of `workers` processes
    when it pays, else here. progress, if given, has update(n) (a tqdm bar): called as bodies are done."""
    companies = tuple(companies)
    workers = cpu_count() if workers is None else workers
    # Python-Markdown: imported when there is a body to convert (before forking)
    from ..content.markdown import Converter

    if not texts or (executor is None and not worth_a_pool(workers, len(texts))):
        converter = Converter(companies, href)
        out = [converter.convert(t) for t in texts]
        if progress is not None:
            progress.update(len(out))
        return keep([body_key(key, t) for t in texts], out) if keep is not None else out
    conversion = Conversion(companies, href, workers, progress, executor, key, keep)
    try:
        return conversion.collect(texts)
    finally:
        conversion.close()
