"""Incremental builds: a content-hash cache kept between builds in a git-ignored folder.

- bodies: converted Markdown, keyed by the body text and the company names it links (plus the tool key);
- records: the key of every output the last build wrote, with the file's size, mtime and inode. An output's key
  is a digest of everything its bytes depend on (outputs.py: the global key and the digests of the articles it
  shows), so an output whose key is unchanged, and whose file is still as written, is kept without being made.
  This is the dependency graph: an article edit remakes its own page, its API record and citations, and exactly
  the outputs that show it (its neighbours, its companies' pages and feeds, the index page that lists it, the
  archive, the feeds and lists of the whole site);
- the last build's snapshot (every input file's size, mtime and ctime, every output file's inode), so a
  build with nothing changed does no work at all.

The whole cache is keyed by the tool key (site-builder's own code and its libraries' versions): a cache
from another version, a corrupt file, or anything that is not our format is ignored with a warning, and
the build starts clean. Correctness never depends on the cache: an incremental build writes the same bytes
as a clean one (tests/test_incremental.py checks every kind of change).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..content.limits import refuse
from ..core.errors import display_path
from ..core.platform import installed_versions
from .workers import Conversion, body_key, convert_bodies, cpu_count, worth_a_pool
from .write import CACHE_DIR, MARKER

if TYPE_CHECKING:  # a build with nothing to do never imports the model (the cache loader finds its classes by name)
    import sqlite3
    from concurrent.futures import Executor

    from ..content.load import Memo
    from ..core.models import Article, Body, Company

CACHE_FILE = "cache.sqlite"  # the cache: an SQLite database (Database)
SNAPSHOT_FILE = "snapshot.pickle"  # the last build's snapshot alone: a build with nothing changed reads only this
SPARE_DIR = "spare"  # in the cache folder: the site before the current one, hard links mostly
_MAGIC = b"site-builder-cache\n"
_FORMAT = 7
PROGRESS_MIN = 200  # bodies to convert: fewer convert too quickly for a progress bar
_PACKAGE = Path(__file__).resolve().parents[1]  # site_builder/


def cache_folder(output: Path) -> Path:
    """Where the cache for an output folder lives: beside it, in .site-builder-cache/<its name>/."""
    output = output.absolute()
    return output.parent / CACHE_DIR / output.name


@functools.lru_cache(maxsize=1)  # the code this process runs cannot change under it
def tool_key() -> str:
    """site-builder's version and code, Python's and the libraries' versions: a new tool means a new cache."""
    h = hashlib.sha256(f"{__version__}\n{sys.version}\n".encode())
    versions = _installed_versions()
    for dist in _LIBRARIES:
        h.update(f"{dist}={versions.get(dist, '?')}\n".encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


_LIBRARIES = (
    "markdown",
    "jinja2",
    "markupsafe",
    "nh3",
    "pyyaml",
    "orjson",
    "pagefind_bin",
    "chardet",
)  # what output depends on


def _installed_versions() -> dict[str, str]:
    """{distribution: version} of _LIBRARIES (core/platform.py reads them)."""
    return installed_versions(_LIBRARIES)


def tree_key(folder: Path) -> str:
    """A hash of every file's path and bytes under folder."""
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# The cache file.


@dataclasses.dataclass
class CacheData:
    """What one build leaves for the next."""

    tool: str = ""
    bodies: dict[str, Body] = dataclasses.field(default_factory=dict)  # body key -> converted body
    articles: Memo = dataclasses.field(default_factory=dict)  # article file -> (its state, registry ids, article)
    # output path -> (its key, size, mtime, inode) as the last build wrote it: an output whose key is unchanged is
    # kept as it is, without being made (write.write_site)
    records: dict[str, tuple[bytes, int, int, int]] = dataclasses.field(default_factory=dict)
    # the same for the site the last build replaced, kept in SPARE_DIR for the next build to bring up to date
    spare_records: dict[str, tuple[bytes, int, int, int]] = dataclasses.field(default_factory=dict)
    search: dict[str, tuple[dict[str, bytes], str | None]] = dataclasses.field(default_factory=dict)
    memo: dict[str, Any] = dataclasses.field(default_factory=dict)  # results of pure functions, by input digest
    bytecode: dict[str, bytes] = dataclasses.field(default_factory=dict)  # compiled templates, by Jinja's key
    snapshot: dict[str, Any] | None = None  # the last build's inputs, outputs and summary
    db: Database | None = dataclasses.field(default=None, repr=False)  # where it is kept (None: nowhere)
    # article file -> the state its row in the database was saved with: unchanged rows are not written again
    stored: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)


_STATE = ("records", "spare_records", "search", "memo", "bytecode")  # kept in one row of the database


class _Unpickler(pickle.Unpickler):
    """Loads only our own records and plain values: a foreign pickle cannot run code."""

    _ALLOWED = frozenset(
        {
            ("site_builder.core.models", "Body"),
            ("site_builder.core.models", "Company"),
            ("site_builder.core.models", "Article"),
            ("datetime", "datetime"),
            ("datetime", "date"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
            ("site_builder.core.errors", "Problem"),
            ("builtins", "set"),
            ("builtins", "frozenset"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in the cache")


def _loads(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS articles (file TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, record BLOB NOT NULL, html BLOB NOT NULL,
                                   text BLOB NOT NULL);
"""


class Database:
    """The cache's SQLite file (the standard library's sqlite3): one row per converted body and per loaded article,
    written as they change, and one row for the rest (the output records, the memo, compiled templates, the search
    index). A rebuild reads each body's record (its first paragraph, mentions and links), never its HTML: a page
    made anew reads its body's HTML then (StoredBody), and a page kept reads nothing. A cold build puts the bodies
    in as the workers finish them, so no build holds every body's HTML in memory.

    SQLite's transactions keep the file whole if a build is killed while writing; the cache is only ever an
    optimisation, so a power cut may lose it (synchronous off): the next build finds it unreadable, says so and
    builds from scratch. One connection per process: a forked writer that reads a body opens its own."""

    def __init__(self, path: Path):
        self.path = path
        self._pid = -1
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        # bodies put in and not written yet, by key: read from here until written (a forked writer inherits them);
        # when writing fails (a full disk, say), they stay here for the rest of the build and the save fails
        self._unwritten: dict[str, tuple[str, bytes, bytes, bytes]] = {}
        self.failed: Exception | None = None

    def __getstate__(self) -> dict[str, Any]:  # a connection is never pickled: a new process opens its own
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    @property
    def conn(self) -> sqlite3.Connection:
        if self._pid != os.getpid() or self._conn is None:
            import sqlite3

            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_symlink():  # never written through: a link here may lead to a file of the user's
                self.path.unlink()
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(_SCHEMA)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def usable(self) -> Database | None:
        """self, when its file can be opened (made, if need be), else None: a build whose cache folder cannot be
        written keeps its bodies in memory, and says so when it saves (build.py)."""
        import sqlite3

        try:
            _ = self.conn
        except (OSError, sqlite3.Error):
            return None
        return self

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def remove(self) -> None:
        """Delete the file (it is the cache's own, and no build can read it): it is made anew."""
        self.close()
        for suffix in ("", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def clear(self) -> None:
        """Empty every table, in place: another build may have the file open (a file removed under it would leave
        it writing to nothing)."""
        with self.transaction() as conn:
            for table in ("meta", "articles", "bodies"):
                conn.execute(f"DELETE FROM {table}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def meta(self) -> dict[str, Any]:
        return {name: value for name, value in self.read("SELECT name, value FROM meta")}

    def body(self, key: str, column: str) -> bytes:
        row = self._unwritten.get(key)
        if row is not None:
            return row[2 if column == "html" else 3]
        rows = self.read(f"SELECT {column} FROM bodies WHERE key = ?", (key,))  # column: html or text, ours
        if not rows:  # removed by another build since this one read the records: never a wrong page
            raise RuntimeError(
                f"{display_path(self.path)}: a body was removed from the build cache during the build "
                "(another build of the same output?); build again"
            )
        return bytes(rows[0][0])

    FLUSH = 2048  # bodies written per transaction: each one costs a journal file made and removed

    def put_bodies(self, bodies: Iterable[tuple[str, Body]]) -> list[Body]:
        """Put converted bodies in (written by flush(), when FLUSH of them are waiting or when asked); return them
        as records that read their HTML from here."""
        kept = []
        for key, body in bodies:
            if body.stored is None:
                self._unwritten[key] = (key, _dumps(_record(body)), body.packed_html, body.packed_text)
            kept.append(_stored(self, key, _record(body)))
        if len(self._unwritten) >= self.FLUSH:
            self.flush()
        return kept

    def flush(self) -> None:
        """Write the bodies put in and not written yet. If that fails, they are kept here (see _unwritten)."""
        if self._unwritten and self.failed is None:
            import sqlite3

            try:
                with self.transaction() as conn:
                    conn.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)", self._unwritten.values())
            except (OSError, sqlite3.Error) as exc:
                self.failed = exc
                return
            self._unwritten = {}


def _record(body: Body) -> tuple:
    """What a rebuild needs of a body without its HTML and text."""
    return (body.first_paragraph, body.named, body.hrefs, body.forbidden)


def _stored(db: Database, key: str, record: tuple) -> Body:
    from ..core.models import Body  # a build with nothing to do never imports the model

    first, named, hrefs, forbidden = record
    return Body(b"", b"", first, named, hrefs, forbidden, stored=StoredBody(db, key))


@dataclasses.dataclass(frozen=True)
class StoredBody:
    """A body's HTML and text, read from the cache's database when a page asks (models.Stored)."""

    db: Database
    key: str

    def html(self) -> bytes:
        return self.db.body(self.key, "html")

    def text(self) -> bytes:
        return self.db.body(self.key, "text")


def load_cache(folder: Path | None, tool: str, snapshot: dict[str, Any] | None = None) -> tuple[CacheData, str | None]:
    """The cache in folder and None, or an empty cache and a warning saying why the stored one is ignored (its file
    is then made anew). Its snapshot is in a file of its own: given as snapshot when already read, else read here."""
    path = folder / CACHE_FILE if folder else None
    if path is None:
        return CacheData(tool), None
    db = Database(path)
    if not path.exists():
        return CacheData(tool, db=db.usable()), None
    why = None
    try:
        with open(path, "rb") as handle:
            is_sqlite = handle.read(16) == b"SQLite format 3\0"
        meta = db.meta() if is_sqlite else None
        if meta == {}:  # made by a build that has not saved yet (another one, now): an empty cache
            return CacheData(tool, db=db), None
        if meta is None or meta.get("format") is None:
            why = "it is not a site-builder cache"
        elif meta["format"] != str(_FORMAT):
            why = "it has another format"
        elif meta.get("tool") != tool:
            why = "it was written by another version of site-builder"
        else:
            state = _loads(meta["state"])
            data = CacheData(tool, db=db, **{name: state[name] for name in _STATE})
            for file, value in db.read("SELECT file, value FROM articles"):
                entry = data.articles[file] = _loads(value)
                data.stored[file] = entry[:2]
            data.bodies = {
                key: _stored(db, key, _loads(record)) for key, record in db.read("SELECT key, record FROM bodies")
            }
            data.snapshot = snapshot if snapshot is not None else load_snapshot(folder, tool)  # type: ignore[arg-type]
            return data, None
    except Exception as exc:  # any corruption at all: the cache is only ever an optimisation
        why = f"it cannot be read ({type(exc).__name__})"
    try:  # a database of another version or format is emptied in place; one that cannot be read is made anew
        db.clear() if why.startswith(("it was written by", "it has another")) else db.remove()
    except Exception:
        try:
            db.remove()
        except OSError:
            pass
    return CacheData(
        tool, db=Database(path).usable()
    ), f"{display_path(path)}: ignored the build cache, {why}; building from scratch"


def load_snapshot(folder: Path, tool: str) -> dict[str, Any] | None:
    """The last build's snapshot from its own small file, when it is there, readable and of this tool."""
    try:
        with open(folder / SNAPSHOT_FILE, "rb") as handle:
            if handle.read(len(_MAGIC)) != _MAGIC:
                return None
            fmt, (owner, snapshot) = _Unpickler(handle).load()
        if fmt == _FORMAT and owner == tool and isinstance(snapshot, dict):
            return snapshot
    except Exception:  # missing or unreadable: the build reads the whole cache instead
        pass
    return None


def _dump(path: Path, value: Any, claim: Callable[[Path], None] | None = None) -> None:
    """Pickle value into path atomically (a temporary file, then a rename). claim(tmp) records the temporary
    file's name before it is made (write.Lock.claim), so a build killed while saving leaves nothing for long."""
    tmp = path.parent / f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    if claim is not None:
        claim(tmp)
    try:
        with open(tmp, "wb") as handle:
            handle.write(_MAGIC)
            pickle.dump((_FORMAT, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_cache(folder: Path, data: CacheData, claim: Callable[[Path], None] | None = None) -> None:
    """Write the cache in one transaction: the article rows whose file changed, the bodies not in yet, the removal
    of those this build did not use, and the rest in one row; then the snapshot alone in its own file (written
    atomically). A body row is only ever valid content (keyed by its text and links), so a row left by a build
    that failed never makes a wrong build, only a larger file until the next save removes it."""
    folder.mkdir(parents=True, exist_ok=True)
    db = data.db if data.db is not None else Database(folder / CACHE_FILE)
    import sqlite3

    try:
        _save_rows(db, data)
    except sqlite3.Error as exc:  # a full disk, say: reported as an OSError (build.py)
        error = OSError(str(exc))
        error.strerror = str(exc)
        raise error from exc
    _dump(folder / SNAPSHOT_FILE, (data.tool, data.snapshot), claim)
    gitignore = folder.parent / ".gitignore"
    if not gitignore.exists():
        gitignore.write_bytes(b"*\n")  # not write_text: "\r\n" on Windows


def _save_rows(db: Database, data: CacheData) -> None:
    stale_bodies = [(key,) for (key,) in db.read("SELECT key FROM bodies") if key not in data.bodies]
    fresh = [(key, body) for key, body in data.bodies.items() if body.stored is None]
    kept = db.put_bodies(fresh)
    db.flush()
    if db.failed is not None:
        raise db.failed
    for (key, _), body in zip(fresh, kept, strict=True):
        data.bodies[key] = body
    changed = [(file, _dumps(entry)) for file, entry in data.articles.items() if data.stored.get(file) != entry[:2]]
    gone = [(file,) for file in data.stored if file not in data.articles]
    with db.transaction() as conn:
        conn.executemany("DELETE FROM bodies WHERE key = ?", stale_bodies)
        conn.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?)", changed)
        conn.executemany("DELETE FROM articles WHERE file = ?", gone)
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("format", str(_FORMAT)),
                ("tool", data.tool),
                ("state", _dumps({name: getattr(data, name) for name in _STATE})),
            ],
        )
    data.stored = {file: entry[:2] for file, entry in data.articles.items()}


# ---------------------------------------------------------------------------------------------------------
# One build's use of the cache.


def _body_memo(links: str, article: Article) -> str:
    """The memo key of an article's body key: its file's digest stands for its text."""
    return f"body:{links}:{article.source_digest.hex()}"


def _links(companies: tuple[Company, ...], href: Callable[[str], str]) -> str:
    """A digest of every company's names and link: with the body text, what a converted body depends on."""
    return hashlib.sha256(repr(sorted((c.id, c.names, href(c.id)) for c in companies)).encode()).hexdigest()


class BuildCache:
    """The cache as one build uses it: reads the previous build's entries, records this build's."""

    def __init__(
        self,
        previous: CacheData,
        progress: Callable[[int | None], Any] | None = None,
        memo: bool = True,
        executor: Executor | None = None,
    ):
        """executor: where bodies are converted (e.g. dask's); None: a process pool of ours, when it pays."""
        self.previous = previous
        self.executor = executor
        self.reuse = memo  # False: every output is made anew (a clean build, check)
        # the article rows in the database, as saved; the database itself only when this build keeps a cache
        self.current = CacheData(previous.tool, stored=dict(previous.stored), db=previous.db if memo else None)
        self._progress = progress
        self._bar: Any = None
        self._prefetch: Conversion | None = None
        self._prefetch_links = ""  # the company links the prefetching pool was started with
        self.converted = 0  # bodies converted in this build
        self.made = 0  # outputs made in this build (the others were kept: their keys were unchanged)
        self.kept = 0

    # articles ----------------------------------------------------------------------------------------
    @property
    def articles(self) -> Memo | None:
        """The articles loaded by the last build, by file; load_archive leaves this build's in it."""
        if not self.reuse:
            return None
        self.current.articles = dict(self.previous.articles)
        return self.current.articles

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """make()'s result, or the last build's for the same key (a digest of make's inputs); kept for the next
        build only when used in this one. Values must be plain data (the cache loader refuses classes)."""
        if key in self.current.memo:
            return self.current.memo[key]
        value = self.previous.memo[key] if self.reuse and key in self.previous.memo else make()
        self.current.memo[key] = value
        return value

    # bodies ------------------------------------------------------------------------------------------
    def prefetch(
        self, companies: tuple[Company, ...], href: Callable[[str], str], count: int
    ) -> Callable[[Article], None] | None:
        """With no body in the cache (a cold build) and count bodies to come: start converting them in a process
        pool as they load; the function returned takes each article. convert() collects them; close() ends the
        pool. None when a pool does not pay (with an executor given: when there is no body)."""
        workers = cpu_count()
        if self.previous.bodies or not (worth_a_pool(workers, count) if self.executor is None else count):
            return None
        self.close()
        links = _links(companies, href)
        self._prefetch = Conversion(companies, href, workers, executor=self.executor, key=links, keep=self._keep)
        if self._progress is not None and count >= PROGRESS_MIN:  # the bar moves as the workers finish bodies
            self._bar = self._prefetch.progress = self._progress(count)  # made after the pool: no thread forked
        self._prefetch_links = links
        conversion = self._prefetch

        def add(article: Article) -> None:
            key = conversion.add(article.body)
            if article.source_digest:  # convert() finds the body's key without unpacking and hashing it again
                self.current.memo[_body_memo(links, article)] = key

        return add

    def convert(
        self, companies: tuple[Company, ...], href: Callable[[str], str], articles: tuple[Article, ...]
    ) -> dict[str, Body]:
        """Every article's converted body: from the cache, the rest converted in a process pool (or collected
        from the one prefetch() started, when it had the same companies and links)."""
        links = _links(companies, href)

        def key(a: Article) -> str:
            def make() -> str:
                return body_key(links, a.body)

            # an article loaded from a file: its body is a function of that file, whose digest is known already,
            # so a rebuild need not hash every body again
            return self.memo(_body_memo(links, a), make) if a.source_digest else make()

        keys = {a.slug: key(a) for a in articles}
        missing = [a for a in articles if keys[a.slug] not in self.previous.bodies]
        texts = [a.body for a in missing]
        if self._prefetch is not None and links == self._prefetch_links:
            converted = self._prefetch.collect(texts, keys=[keys[a.slug] for a in missing])
        else:
            self.close()  # a pool started for other links (a bar with it)
            if self._progress is not None and len(missing) >= PROGRESS_MIN:
                self._bar = self._progress(len(missing))
            converted = convert_bodies(
                companies,
                href,
                texts,
                workers=cpu_count(),
                progress=self._bar,
                executor=self.executor,
                key=links,
                keep=self._keep,
            )
        self.close()
        if self.current.db is not None:
            self.current.db.flush()  # before any page is made: a forked writer reads bodies with a connection of its own
        refuse(missing, converted)
        fresh = dict(zip((keys[a.slug] for a in missing), converted, strict=True))
        self.converted += len(missing)
        bodies = {}
        for a in articles:
            key = keys[a.slug]
            bodies[a.slug] = self.current.bodies[key] = fresh[key] if key in fresh else self.previous.bodies[key]
        return bodies

    def _keep(self, keys: list[str], bodies: list[Body]) -> list[Body]:
        """Bodies just converted, put in the cache's database and held as records that read their HTML from there
        (as they are, when this build keeps no cache, or for a body refused: refuse() reports it)."""
        db = self.current.db
        if db is None or not all(hasattr(b, "stored") for b in bodies):
            return bodies
        return db.put_bodies(zip(keys, bodies, strict=True))

    def close(self) -> None:
        """End the prefetching pool, if any, and take the progress bar off the terminal."""
        if self._prefetch is not None:
            self._prefetch.close()
            self._prefetch = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # outputs -----------------------------------------------------------------------------------------
    @property
    def records(self) -> dict[str, tuple[bytes, int, int, int]]:
        """What the previous build wrote at each output path (nothing for a clean build)."""
        return self.previous.records if self.reuse else {}

    @property
    def spare_records(self) -> dict[str, tuple[bytes, int, int, int]]:
        """What the build before last wrote at each output path: the spare site's files."""
        return self.previous.spare_records if self.reuse else {}

    # search ------------------------------------------------------------------------------------------
    def search(self, key: str) -> SearchFiles | None:
        """The search index the last build made from the same pages, if any."""
        hit = self.previous.search.get(key)
        return SearchFiles(*hit) if hit is not None else None

    def keep_search(self, key: str, search: Any) -> None:
        """Remember the search index made from these pages."""
        self.current.search = {key: (dict(search.files), search.problem)}


# ---------------------------------------------------------------------------------------------------------
# Snapshots: has anything changed since the last build?


def file_states(*folders: Path, ctime: bool = True) -> dict[str, tuple[int, ...]]:
    """Every file under folders: (size, mtime, ctime in ns, inode), by absolute path. Without ctime for
    output files: linking a file into the next site, or removing the last site, changes it."""
    states: dict[str, tuple[int, ...]] = {}
    for folder in folders:
        stack = [str(folder.absolute())]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    try:
                        st = entry.stat()
                    except OSError:  # a link that loops or leads nowhere is an input too: the build refuses it
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except OSError:
                            states[entry.path] = (-1, 0, 0, 0)
                            continue
                        states[entry.path] = (-1, st.st_mtime_ns, st.st_ctime_ns if ctime else 0, st.st_ino)
                        continue
                    states[entry.path] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns if ctime else 0, st.st_ino)
    return states


@dataclasses.dataclass(frozen=True)
class SearchFiles:
    """A search index as the cache keeps it: its files, or none and the reason."""

    files: dict[str, bytes]
    problem: str | None


def search_key(keys: dict[str, bytes]) -> str:
    """A hash of every HTML page's key (what the search indexer reads) and of the indexer's settings."""
    h = hashlib.sha256(repr(sorted((k, v) for k, v in os.environ.items() if k.startswith("SITE_BUILDER"))).encode())
    for rel in sorted(keys):
        if rel.endswith(".html"):
            h.update(rel.encode() + b"\0" + keys[rel])
    return h.hexdigest()


class Snapshot:
    """The state of a build's inputs (files, settings, environment) before it starts."""

    def __init__(self, inputs: tuple):
        self.inputs = inputs

    @classmethod
    def take(
        cls,
        source: Path,
        templates: list[Path],
        output: Path | None,
        overrides: dict | None,
        strict: bool,
        extra: tuple = (),
    ) -> Snapshot:
        """Stat every input file; note the settings, environment variables and tools (extra) a build uses."""
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith("SITE_BUILDER") or k == "SOURCE_DATE_EPOCH")
        return cls(
            (
                file_states(source, *templates),
                tuple(str(t.absolute()) for t in templates),
                repr(sorted((overrides or {}).items())),
                strict,
                str(output.absolute()) if output else None,
                os.getcwd(),
                tuple(env),
                extra,
            )
        )

    @property
    def files(self) -> dict[str, tuple[int, ...]]:
        """The state of every input file (size, mtime, ctime, inode) by absolute path, as taken."""
        return self.inputs[0]

    def unchanged_since(self, snap: dict[str, Any] | None) -> tuple | None:
        """The last build's summary if its inputs were these (snap: its snapshot) and its output is untouched;
        else None."""
        if not snap or snap["inputs"] != self.inputs or snap["time_dependent"]:
            return None
        if file_states(Path(snap["output"]), ctime=False) != snap["outputs"]:
            return None
        return snap["summary"]

    def record(
        self,
        cache: BuildCache,
        output: Path,
        summary: tuple,
        written: dict[str, tuple[bytes, int, int, int]] | None = None,
    ) -> None:
        """Remember these inputs, the output as written and the summary, for the next build. written: what the
        build wrote at each path (write.write_site's records), which spares reading the output folder again; a
        file it does not name (a stray one) then counts as a change, so the next build writes the site whole."""
        root = output.absolute()
        if written is None:
            outputs = file_states(root, ctime=False)
        else:
            marker = os.stat(root / MARKER)
            outputs = {f"{root}/{rel}": (size, mtime, 0, ino) for rel, (_, size, mtime, ino) in written.items()}
            outputs[str(root / MARKER)] = (marker.st_size, marker.st_mtime_ns, 0, marker.st_ino)
        cache.current.snapshot = {
            "inputs": self.inputs,
            "output": str(root),
            "outputs": outputs,
            "summary": summary,
            "time_dependent": bool(summary[4]),
        }  # held-back articles: "now" matters


def load_cache_for(output: Path | None, snapshot: dict[str, Any] | None = None) -> tuple[CacheData, str | None]:
    """The cache beside output (an empty one when output is None), and a warning if it was ignored."""
    return load_cache(cache_folder(output) if output is not None else None, tool_key(), snapshot)


def load_snapshot_for(output: Path) -> dict[str, Any] | None:
    """The snapshot of the last build into output, from the small file beside the cache."""
    return load_snapshot(cache_folder(output), tool_key())


def save_cache_for(output: Path, data: CacheData, claim: Callable[[Path], None] | None = None) -> None:
    """Save the cache beside output."""
    save_cache(cache_folder(output), data, claim)


def forget_cache_for(output: Path) -> None:
    """Remove the cache file and snapshot beside output (a save failed part way: the next build starts without
    them, rather than trust records of another site). Removing needs no disk space."""
    folder = cache_folder(output)
    for name in (SNAPSHOT_FILE, CACHE_FILE):
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError:
            pass
