"""Incremental builds: a content-hash cache kept between builds in a git-ignored folder.

Three layers, each keyed by content, never by time:

- bodies: converted Markdown, keyed by the body text and the company names it links (plus the tool key);
- renders: each template render, keyed by the template set, the tool and everything passed to the template.
  The Site is handed to templates behind a tracker that records every part the template reads
  (``site.bodies[slug].html``, ``site.company_pages[cid].company.name``, ...); a render is reused only when
  each part it read is unchanged. This is the dependency graph: an article edit re-renders its own page and
  exactly the pages that show it (its neighbours, its companies' pages and feeds, the index pages, the
  archive, the site feed), whatever new page kinds the renderer grows;
- the last build's snapshot (every input file's size, mtime and ctime, every output file's inode), so a
  build with nothing changed does no work at all.

The whole cache is keyed by the tool key (site-builder's own code and its libraries' versions): a cache
from another version, a corrupt file, or anything that is not our format is ignored with a warning, and
the build starts clean. Correctness never depends on the cache: an incremental build writes the same bytes
as a clean one (tests/test_incremental.py checks every kind of change).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pickle
import sys
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum
from pathlib import Path
from typing import Any, Callable

import jinja2
import jinja2.bccache

from . import __version__
from .errors import display_path
from .models import Article, Body, Company, Site
from .parallel import convert_bodies

CACHE_DIR = ".site-builder-cache"  # beside the output folder; git-ignored
CACHE_FILE = "cache.pickle"
_MAGIC = b"site-builder-cache\n"
_FORMAT = 2
_PACKAGE = Path(__file__).resolve().parent


def cache_folder(output: Path) -> Path:
    """Where the cache for an output folder lives: beside it, in .site-builder-cache/<its name>/."""
    output = output.absolute()
    return output.parent / CACHE_DIR / output.name


def tool_key() -> str:
    """site-builder's version and code, Python's and the libraries' versions: a new tool means a new cache."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(f"{__version__}\n{sys.version}\n".encode())
    for dist in ("markdown", "jinja2", "markupsafe", "nh3", "pyyaml", "pagefind-bin"):
        try:
            h.update(f"{dist}={version(dist)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{dist}=?\n".encode())
    for path in sorted(_PACKAGE.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def tree_key(folder: Path) -> str:
    """A hash of every file's path and bytes under folder."""
    h = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Fingerprints: a digest of any value a template may be given, or Unfingerprintable.

class Unfingerprintable(Exception):
    """A value whose content we cannot hash: the render it belongs to is not cached (always rendered)."""


_SIMPLE = (type(None), bool, int, float, complex)
_TIMES = (datetime, date, time, timedelta, tzinfo)


class Fingerprinter:
    """Digests of values; dataclass instances are memoised by identity for one build (they are frozen)."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, bytes]] = {}

    def digest(self, value: Any) -> bytes:
        """The sha256 of value's content."""
        h = hashlib.sha256()
        self._feed(h, value)
        return h.digest()

    def _feed(self, h, v: Any) -> None:
        t = type(v)
        if isinstance(v, str):  # str, Markup (escaped differently, so the type is part of the digest)
            data = v.encode("utf-8", "surrogatepass")
            h.update(b"%s:%d:" % (t.__name__.encode(), len(data)))
            h.update(data)
        elif isinstance(v, _SIMPLE) or isinstance(v, _TIMES) or isinstance(v, Enum):
            h.update(f"{t.__name__}:{v!r};".encode())
        elif isinstance(v, (bytes, bytearray)):
            h.update(b"b:%d:" % len(v))
            h.update(v)
        elif t is tuple and len(v) > 8:  # long tuples (of articles) are passed to many pages: hash each once
            h.update(self._memoised(v, self._sequence))
        elif isinstance(v, (tuple, list)):
            self._sequence(h, v)
        elif isinstance(v, dict):
            h.update(b"{%d" % len(v))
            for key, item in v.items():  # insertion order: a template iterating it sees that order
                self._feed(h, key)
                self._feed(h, item)
            h.update(b"}")
        elif isinstance(v, (set, frozenset)):
            h.update(b"set%d" % len(v))
            for d in sorted(self.digest(item) for item in v):
                h.update(d)
        elif isinstance(v, Site):
            raise Unfingerprintable("a Site nested in a value")
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            h.update(self._memoised(v, self._fields))
        elif callable(v):
            self._callable(h, v)
        else:
            raise Unfingerprintable(t.__name__)

    def _sequence(self, h, v: tuple | list) -> None:
        h.update(b"%s[%d" % (type(v).__name__.encode(), len(v)))
        for item in v:
            self._feed(h, item)
        h.update(b"]")

    def _fields(self, h, v: Any) -> None:
        h.update(f"{type(v).__module__}.{type(v).__qualname__}(".encode())
        for f in dataclasses.fields(v):
            h.update(f.name.encode() + b"=")
            self._feed(h, getattr(v, f.name))

    def _memoised(self, v: Any, feed: Callable[[Any, Any], None]) -> bytes:
        hit = self._memo.get(id(v))
        if hit is not None and hit[0] is v:
            return hit[1]
        h = hashlib.sha256()
        feed(h, v)
        digest = h.digest()
        self._memo[id(v)] = (v, digest)  # keep v alive, so its id is not reused within the build
        return digest

    def _callable(self, h, v: Any) -> None:
        """Code is covered by the tool key; what a closure captured is part of its content."""
        target = getattr(v, "__func__", v)
        name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"
        h.update(b"fn:" + name.encode())
        if hasattr(v, "__self__") and not isinstance(v.__self__, type(sys)):
            self._feed(h, v.__self__)
        for cell in getattr(target, "__closure__", None) or ():
            try:
                self._feed(h, cell.cell_contents)
            except ValueError:  # an empty cell
                h.update(b"empty-cell")


# ---------------------------------------------------------------------------------------------------------
# Tracking what a template reads from the Site.

Step = tuple[str, Any]  # ("a", attribute name) or ("i", key)
DepPath = tuple[Step, ...]


class Tracked:
    """A read-only view of part of the Site that records the path of everything read through it."""

    __slots__ = ("_sb_value", "_sb_path", "_sb_deps")

    def __init__(self, value: Any, path: DepPath, deps: set[DepPath]):
        object.__setattr__(self, "_sb_value", value)
        object.__setattr__(self, "_sb_path", path)
        object.__setattr__(self, "_sb_deps", deps)

    def _whole(self) -> Any:
        self._sb_deps.add(self._sb_path)
        return self._sb_value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._sb_value, name)
        if callable(value) and not dataclasses.is_dataclass(value):
            # a method such as dict.get or .items: its result depends on the whole value
            return getattr(self._whole(), name)
        return track(value, self._sb_path + (("a", name),), self._sb_deps)

    def __getitem__(self, key: Any) -> Any:
        value = self._sb_value[unwrap(key)]
        return track(value, self._sb_path + (("i", unwrap(key)),), self._sb_deps)

    def __iter__(self):
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def __contains__(self, key: Any) -> bool:
        return unwrap(key) in self._whole()

    def __bool__(self) -> bool:
        return bool(self._whole())

    def __eq__(self, other: Any) -> bool:
        return self._whole() == unwrap(other)

    def __ne__(self, other: Any) -> bool:
        return self._whole() != unwrap(other)

    def __hash__(self) -> int:
        return hash(self._whole())

    def __str__(self) -> str:
        return str(self._whole())

    def __repr__(self) -> str:
        return repr(self._whole())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the site is read-only in templates")


def track(value: Any, path: DepPath, deps: set[DepPath]) -> Any:
    """Value itself (recording its path) when it is a leaf; a Tracked view of it when it is a mapping or record."""
    if isinstance(value, dict) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return Tracked(value, path, deps)
    deps.add(path)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Tracked):
        return unwrap(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def unwrap(value: Any) -> Any:
    """The value behind a Tracked view (recording that all of it was used)."""
    return value._whole() if isinstance(value, Tracked) else value


_MISSING = object()


def resolve(site: Site, path: DepPath) -> Any:
    """The part of site at path, or _MISSING."""
    value: Any = site
    try:
        for kind, key in path:
            value = getattr(value, key) if kind == "a" else value[key]
    except (AttributeError, LookupError, TypeError):
        return _MISSING
    return value


# ---------------------------------------------------------------------------------------------------------
# The cache file.

@dataclasses.dataclass
class CacheData:
    """What one build leaves for the next."""

    tool: str = ""
    bodies: dict[str, Body] = dataclasses.field(default_factory=dict)  # body key -> converted body
    # render key -> (what it read from the Site with digests, sha256 of its text); the text itself is the
    # previous output's file with that sha256 (outputs), so the cache stays small
    renders: dict[str, tuple[tuple[tuple[DepPath, bytes], ...], bytes]] = dataclasses.field(default_factory=dict)
    outputs: dict[bytes, str] = dataclasses.field(default_factory=dict)  # sha256 -> output path, last build
    search: dict[str, tuple[dict[str, bytes], str | None]] = dataclasses.field(default_factory=dict)
    bytecode: dict[str, bytes] = dataclasses.field(default_factory=dict)  # compiled templates, by Jinja's key
    snapshot: dict[str, Any] | None = None  # the last build's inputs, outputs and summary


class _Unpickler(pickle.Unpickler):
    """Loads only our own records and plain values: a foreign pickle cannot run code."""

    _ALLOWED = {("site_builder.cache", "CacheData"), ("site_builder.models", "Body"),
                ("site_builder.errors", "Problem"), ("builtins", "set"), ("builtins", "frozenset")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in the cache")


def load_cache(folder: Path | None, tool: str) -> tuple[CacheData, str | None]:
    """The cache in folder and None, or an empty cache and a warning saying why the stored one is ignored."""
    path = folder / CACHE_FILE if folder else None
    if path is None or not path.exists():
        return CacheData(tool), None
    why = None
    try:
        raw = path.read_bytes()
        if not raw.startswith(_MAGIC):
            why = "it is not a site-builder cache"
        else:
            fmt, data = _Unpickler(io.BytesIO(raw[len(_MAGIC):])).load()
            if fmt != _FORMAT or not isinstance(data, CacheData):
                why = "it has another format"
            elif data.tool != tool:
                why = "it was written by another version of site-builder"
            else:
                return data, None
    except Exception as exc:  # any corruption at all: the cache is only ever an optimisation
        why = f"it cannot be read ({type(exc).__name__})"
    return CacheData(tool), f"{display_path(path)}: ignored the build cache, {why}; building from scratch"


def save_cache(folder: Path, data: CacheData) -> None:
    """Write the cache atomically (a temporary file, then a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{CACHE_FILE}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(_MAGIC)
            pickle.dump((_FORMAT, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / CACHE_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    gitignore = folder.parent / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")


# ---------------------------------------------------------------------------------------------------------
# One build's use of the cache.

class BuildCache:
    """The cache as one build uses it: reads the previous build's entries, records this build's."""

    def __init__(self, previous: CacheData, progress: Callable[[int | None], Any] | None = None,
                 output: Path | None = None, memo: bool = True):
        self.previous = previous
        self.memo = memo  # False: templates render as they are, untracked (a clean build, check)
        self.output = output  # where the previous build's files are: the texts of cached renders
        self.texts: dict[bytes, str] = {}  # this build's renders, by sha256
        self.current = CacheData(previous.tool)
        self.fingerprints = Fingerprinter()
        self._progress = progress
        self._bar: Any = None
        self.rendered = 0  # templates rendered in this build
        self.reused = 0  # template renders reused from the cache
        self.converted = 0  # bodies converted in this build

    # bodies ------------------------------------------------------------------------------------------
    def convert(self, companies: tuple[Company, ...], href: Callable[[str], str],
                articles: tuple[Article, ...]) -> dict[str, Body]:
        """Every article's converted body: from the cache, the rest converted in a process pool."""
        links = hashlib.sha256(repr(sorted((c.id, c.names, href(c.id)) for c in companies)).encode()).hexdigest()
        keys = {a.slug: hashlib.sha256(f"{links}\0{a.body}".encode("utf-8", "surrogatepass")).hexdigest()
                for a in articles}
        missing = [a for a in articles if keys[a.slug] not in self.previous.bodies]
        fresh = dict(zip((keys[a.slug] for a in missing), convert_bodies(companies, href, [a.body for a in missing])))
        self.converted += len(missing)
        bodies = {}
        for a in articles:
            key = keys[a.slug]
            bodies[a.slug] = self.current.bodies[key] = fresh[key] if key in fresh else self.previous.bodies[key]
        return bodies

    # renders -----------------------------------------------------------------------------------------
    def wrap(self, env: Any, templates: Path, config: Any, stylesheet: str) -> Any:
        """env, with get_template returning templates whose renders are cached (env itself without memo)."""
        if not self.memo:
            return env
        env.bytecode_cache = _Bytecode(self.previous.bytecode, self.current.bytecode)
        dumps = env.policies.get("json.dumps_function") or json.dumps
        if not getattr(dumps, "sees_through_tracked", False):  # |tojson of a tracked part of the site
            def tracked_dumps(obj: Any, **kw: Any) -> str:
                kw.setdefault("default", _json_default)
                return dumps(obj, **kw)

            tracked_dumps.sees_through_tracked = True  # type: ignore[attr-defined]
            env.policies["json.dumps_function"] = tracked_dumps
        return MemoEnvironment(env, self, environment_key(env, templates, config, stylesheet))

    def close_progress(self) -> None:
        """Take the progress bar off the terminal."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # search ------------------------------------------------------------------------------------------
    def search(self, key: str) -> "SearchFiles | None":
        """The search index the last build made from the same pages, if any."""
        hit = self.previous.search.get(key)
        return SearchFiles(*hit) if hit is not None else None

    def keep_search(self, key: str, search: Any) -> None:
        """Remember the search index made from these pages."""
        self.current.search = {key: (dict(search.files), search.problem)}

    def render(self, template: Any, name: str, global_key: str, context: dict[str, Any]) -> str:
        """template.render(context), or the same text from the cache when nothing it reads has changed."""
        if self._progress is not None:
            if self._bar is None:
                self._bar = self._progress(len(self.previous.renders) or None)
            self._bar.update(1)
        sites = [k for k, v in context.items() if isinstance(v, Site)]
        try:
            h = hashlib.sha256(f"{global_key}\0{name}\0".encode())
            for key in sorted(context):
                h.update(key.encode() + b"=")
                h.update(b"<site>" if key in sites else self.fingerprints.digest(context[key]))
            key = h.hexdigest()
        except Unfingerprintable:
            self.rendered += 1
            return template.render(context)
        site = context[sites[0]] if sites else None
        hit = self.current.renders.get(key) or self.previous.renders.get(key)
        if hit is not None and all(self._dep_digest(site, path) == digest for path, digest in hit[0]):
            text = self._text(hit[1])
            if text is not None:
                self.current.renders[key] = hit
                self.reused += 1
                return text
        deps: set[DepPath] = set()
        text = template.render({k: (Tracked(v, (), deps) if k in sites else v) for k, v in context.items()})
        try:
            recorded = tuple((path, self._dep_digest(site, path)) for path in sorted(deps, key=repr))
        except Unfingerprintable:
            recorded = None
        if recorded is not None and len(sites) <= 1:
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            self.texts[digest] = text
            self.current.renders[key] = (recorded, digest)
        self.rendered += 1
        return text

    def _text(self, digest: bytes) -> str | None:
        """A render's text: rendered earlier in this build, or the previous build's file with these bytes."""
        if digest in self.texts:
            return self.texts[digest]
        rel = self.previous.outputs.get(digest)
        if rel is None or self.output is None:
            return None
        try:
            data = (self.output / rel).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).digest() != digest:  # changed since: render again
            return None
        self.texts[digest] = text = data.decode("utf-8", "surrogatepass")
        return text

    def record_outputs(self, files: dict[str, bytes]) -> None:
        """Remember which written file holds which render's text, for the next build."""
        wanted = {digest for _, digest in self.current.renders.values()}
        for rel, data in files.items():
            if rel.endswith((".html", ".xml")) and (digest := hashlib.sha256(data).digest()) in wanted:
                self.current.outputs.setdefault(digest, rel)

    def _dep_digest(self, site: Site | None, path: DepPath) -> bytes:
        value = resolve(site, path) if site is not None else _MISSING
        if value is _MISSING:
            return b"missing"
        return self.fingerprints.digest(value)


class _Bytecode(jinja2.BytecodeCache):
    """Compiled templates kept in the build cache (Jinja checks each against its template's source)."""

    def __init__(self, previous: dict[str, bytes], current: dict[str, bytes]):
        self.previous, self.current = previous, current

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.current.get(bucket.key) or self.previous.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
            self.current[bucket.key] = data

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.current[bucket.key] = bucket.bytecode_to_string()


class MemoEnvironment:
    """A Jinja Environment whose templates' renders go through the cache; everything else passes through."""

    def __init__(self, env: Any, cache: BuildCache, global_key: str):
        self._env = env
        self._cache = cache
        self._key = global_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)

    def get_template(self, name: Any, *args: Any, **kwargs: Any) -> "MemoTemplate":
        """The named template, with cached renders."""
        return MemoTemplate(self._env.get_template(name, *args, **kwargs), str(name), self)


class MemoTemplate:
    """A template whose render() is answered from the cache when its inputs are unchanged."""

    def __init__(self, template: Any, name: str, env: MemoEnvironment):
        self._template = template
        self._name = name
        self._env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self._template, name)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Render, or reuse the previous build's text for the same inputs."""
        context = dict(*args, **kwargs)
        return self._env._cache.render(self._template, self._name, self._env._key, context)


def environment_key(env: Any, templates: Path, config: Any, stylesheet: str) -> str:
    """What every render depends on besides its own arguments: the templates, the settings, the globals."""
    h = hashlib.sha256(f"{tree_key(templates)}\0{stylesheet}\0".encode())
    fp = Fingerprinter()
    h.update(fp.digest(config))
    h.update(fp.digest(dict(sorted(env.globals.items()))))
    h.update(fp.digest(dict(sorted(env.filters.items()))))
    h.update(fp.digest(dict(sorted(env.tests.items()))))
    return h.hexdigest()


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
                    except OSError:
                        continue
                    states[entry.path] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns if ctime else 0, st.st_ino)
    return states


@dataclasses.dataclass(frozen=True)
class SearchFiles:
    """A search index as the cache keeps it: its files, or none and the reason."""

    files: dict[str, bytes]
    problem: str | None


def search_key(files: dict[str, bytes]) -> str:
    """A hash of every HTML page (what the search indexer reads) and of the indexer's settings."""
    h = hashlib.sha256(repr(sorted((k, v) for k, v in os.environ.items() if k.startswith("SITE_BUILDER"))).encode())
    for rel in sorted(files):
        if rel.endswith(".html"):
            h.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return h.hexdigest()


class Snapshot:
    """The state of a build's inputs (files, settings, environment) before it starts."""

    def __init__(self, inputs: tuple):
        self.inputs = inputs

    @classmethod
    def take(cls, source: Path, templates: Path, output: Path | None, overrides: dict | None,
             strict: bool, extra: tuple = ()) -> "Snapshot":
        """Stat every input file; note the settings, environment variables and tools (extra) a build uses."""
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith("SITE_BUILDER") or k == "SOURCE_DATE_EPOCH")
        return cls((file_states(source, templates), repr(sorted((overrides or {}).items())), strict,
                    str(output.absolute()) if output else None, os.getcwd(), tuple(env), extra))

    def unchanged_since(self, data: CacheData) -> tuple | None:
        """The last build's summary if its inputs were these and its output is untouched; else None."""
        snap = data.snapshot
        if not snap or snap["inputs"] != self.inputs or snap["time_dependent"]:
            return None
        if file_states(Path(snap["output"]), ctime=False) != snap["outputs"]:
            return None
        return snap["summary"]

    def record(self, cache: BuildCache, output: Path, summary: tuple) -> None:
        """Remember these inputs, the output as written and the summary, for the next build."""
        cache.current.snapshot = {"inputs": self.inputs, "output": str(output.absolute()),
                                  "outputs": file_states(output, ctime=False), "summary": summary,
                                  "time_dependent": bool(summary[4])}  # held-back articles: "now" matters


def load_cache_for(output: Path | None) -> tuple[CacheData, str | None]:
    """The cache beside output (an empty one when output is None), and a warning if it was ignored."""
    return load_cache(cache_folder(output) if output is not None else None, tool_key())


def save_cache_for(output: Path, data: CacheData) -> None:
    """Save the cache beside output."""
    save_cache(cache_folder(output), data)
