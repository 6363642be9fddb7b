"""Outputs: each file of the site as its path, a key, and a function that makes its bytes.

The key is a digest of everything the bytes depend on, so a build can keep the previous build's file for any
output whose key is unchanged without making it at all. That is the dependency graph of an incremental build,
stated where each page is defined: an article page depends on the article, its neighbours and its related
reading; a company page on the articles that mention the company; the home pages on the articles they list;
and every output on the global key (the templates, the stylesheet, the settings, the company registry).
An article stands in a key by its digest (Site.digests), which covers all of it, when the output shows it
whole, or by its listing digest (Site.listings: its record and summary, not its body) when the output only
lists it, so a key never misses a change; it may over-approximate, never under.

These declared dependencies are what the default theme's templates read. An output made by a template of any
other theme is keyed on the whole site (Keys.whole_site; theme.py says why): a template is given all of `site`,
and the code cannot know what a template it has never seen prints. Outputs made by Python alone (the API's
JSON, the citations, the JSON feed, robots.txt) read only what their code declares here.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a build with nothing to do never imports the model
    from ..core.models import Article, Site


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the site, not made yet."""

    path: str
    key: bytes
    make: Callable[[], bytes]


def ready(path: str, data: bytes) -> Output:
    """An output whose bytes are already known (a static asset, a raw original): keyed by the bytes."""
    return Output(path, hashlib.sha256(data).digest(), lambda: data)


class Keys:
    """Makes output keys from the global key and the digests of the articles an output shows or lists."""

    def __init__(self, base: bytes, site: Site):
        self.base = base
        self.digests = site.digests
        self.listings = site.listings

    def whole_site(self, site: Site) -> Keys:
        """Keys for outputs that may show anything of the site (those made with a theme other than the default
        one, see theme.py): the global key folded with a digest of the whole site, so every key changes with
        any change to the site a template can reach.

        A template receives config, the Site and values derived from both. The Site is a pure function
        (index.build_site) of the published articles, the held-back ones (the only way the build's "now"
        reaches it; drafts never do), the company registry and the settings. The last two are in the global
        key already; each published article stands in by its digest, which covers its file (path and text),
        its converted body, summary and raw original (Site.digests), in the site's order; each held-back
        article by its file's digest (or its whole record, when it was not loaded from a file)."""
        h = hashlib.sha256(self.base)
        h.update(b"whole site\0")
        for a in site.articles:
            h.update(a.slug.encode("utf-8", "surrogatepass") + b"\0" + self.digests[a.slug])
        h.update(b"\0held back\0")
        for a in site.held_back:
            h.update(a.source_digest or hashlib.sha256(repr(a).encode("utf-8", "surrogatepass")).digest())
        return Keys(h.digest(), site)

    def __call__(
        self,
        path: str,
        shows: Iterable[Article | None] = (),
        lists: Iterable[Article | None] = (),
        extra: object = None,
    ) -> bytes:
        """The key of the output at path. shows: articles it shows whole (their body too); lists: articles it
        lists by their record and summary only (None for a missing neighbour); extra: anything else it depends
        on (its repr is hashed: give plain values)."""
        h = hashlib.sha256(self.base)
        h.update(path.encode("utf-8", "surrogatepass") + b"\0")
        for a in shows:
            h.update(self.digests[a.slug] if a is not None else _NONE)
        h.update(b"\0")
        for a in lists:
            h.update(self.listings[a.slug] if a is not None else _NONE)
        if extra is not None:
            h.update(b"\0" + repr(extra).encode("utf-8", "surrogatepass"))
        return h.digest()


_NONE = b"-" * 32


def global_key(*parts: object) -> bytes:
    """A digest of the values every output depends on (their reprs: give plain values and frozen records)."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogatepass")
        h.update(b"%d\0" % len(data))
        h.update(data)
    return h.digest()


def by_path(outputs: Iterable[Output]) -> dict[str, Output]:
    """{path: output}; a later output for the same path replaces an earlier one."""
    return {o.path: o for o in outputs}


@functools.lru_cache(maxsize=1)  # imported when a JSON file is first made: a build with nothing to do never does
def _orjson() -> tuple[Any, int]:
    import orjson

    return orjson, (
        orjson.OPT_INDENT_2
        | orjson.OPT_SORT_KEYS
        | orjson.OPT_APPEND_NEWLINE
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )


def json_file(data: Any) -> bytes:
    """A JSON file's bytes: sorted keys, two-space indents, UTF-8 (not \\u-escaped), a final newline. The bytes
    are exactly json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\\n"; orjson makes them several
    times faster (the standard library indents in pure Python), and anything it does not take as json.dumps
    would (a key that is not a string, an integer past 64 bits) goes to json.dumps. Give no floats: no record
    holds one, and orjson writes them differently (1e-9 for 1e-09, null for NaN); tests/test_api checks that
    every JSON file of a built site reads back and dumps again to the same bytes."""
    orjson, options = _orjson()
    try:
        return orjson.dumps(data, option=options)
    except orjson.JSONEncodeError:
        return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
