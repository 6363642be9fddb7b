"""The one owner of slugs, output paths and URLs. Every URL is derived from an output path."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

from slugify import slugify as _slugify

# Every pattern that validates a value is used with fullmatch: '$' would also match before a final newline.
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 100
# Names Windows refuses as file or folder names, whatever the extension.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@functools.lru_cache(maxsize=4096)  # each build slugifies every article's source and column names again
def slugify(text: str) -> str:
    """A URL-safe slug for text: lower-case ASCII words joined by '-', at most SLUG_MAX characters."""
    return _slugify(text, max_length=SLUG_MAX, word_boundary=True, save_order=True)


def slug_problem(slug: str) -> str | None:
    """Why slug cannot name a page, or None when it can."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        return (
            f"invalid slug {slug!r}: use lower-case letters a-z, digits and single hyphens "
            "(no '/', '..', '\\', spaces or other characters)"
        )
    if len(slug) > SLUG_MAX:
        return f"invalid slug {slug!r}: longer than {SLUG_MAX} characters"
    if slug in RESERVED:
        return f"invalid slug {slug!r}: a reserved file name on Windows"
    return None


# Output paths (relative to the output folder, '/'-separated). Pages are folders with index.html.
def page_path(*parts: str) -> str:
    """The output path of the page at parts, e.g. ('articles', slug) -> 'articles/slug/index.html'."""
    return "/".join([*parts, "index.html"]) if parts else "index.html"


def index_path(page: int) -> str:
    """The output path of page number `page` (1-based) of the home page list."""
    return page_path() if page == 1 else page_path("page", str(page))


def article_path(slug: str) -> str:
    """Output path of an article page."""
    return page_path("articles", slug)


def company_path(company_id: str) -> str:
    """Output path of a company page."""
    return page_path("companies", company_id)


def company_feed_path(company_id: str) -> str:
    """Output path of a company's Atom feed."""
    return f"companies/{company_id}/feed.xml"


FEEDS_PAGE = "feeds/index.html"  # the page that explains the feeds and lists each one's URL


def feed_anchor(feed: str) -> str:
    """The id, on the feeds page, of the entry of the feed at output path `feed`: its folder ('companies/minimax',
    'sources/global-times/gt-voice', 'site' for the site's own feed.xml). Folders are distinct, so ids are.
    A page links to a feed's entry there (link(FEEDS_PAGE) + '#' + the id), which explains feeds and gives the
    feed's URL to copy; <link rel="alternate"> in its head points at the XML itself."""
    folder = feed.rpartition("/")[0]
    return folder or "site"


def raw_path(name: str) -> str:
    """Output path of the raw original at raw/<name> in the archive (name: its '/'-separated path under raw/,
    sub-folders kept, so two files of one name in two folders stay two files). An original is evidence, never a
    page: it is published under a name every static host serves as plain text, its own name plus '.txt' unless
    it already ends so ('a/x.html' -> 'raw/a/x.html.txt', 'x.txt' -> 'raw/x.txt'), so no browser runs it."""
    return f"raw/{name}" if name.endswith(".txt") else f"raw/{name}.txt"


def original_path(slug: str) -> str:
    """Output path of the page showing an article's raw original as text: articles/<slug>/original/index.html."""
    return page_path("articles", slug, "original")


def version_path(slug: str, number: int) -> str:
    """Output path of the page showing version `number` (1-based) of an article's original. Version 1 keeps the
    address the original had before any other version came (original_path), and each later one gets its own, so
    what a link to any of them shows never changes: articles/<slug>/original/, articles/<slug>/original/2/, ..."""
    return original_path(slug) if number == 1 else page_path("articles", slug, "original", str(number))


def changes_path(slug: str, number: int) -> str:
    """Output path of the page showing what changed from version number - 1 to version `number` (2 or more) of
    an article's original: articles/<slug>/changes/<number>/index.html."""
    return page_path("articles", slug, "changes", str(number))


def url_quote(path: str) -> str:
    """An output path (or a relative link to one) as a URL path: every character but letters, digits, '/' and
    '_.-~' percent-encoded, so a raw original named 'a b#1.txt' links to itself and not to a fragment."""
    return quote(path, safe="/")


@functools.lru_cache(maxsize=65536)
def relative(from_path: str, to_path: str) -> str:
    """A link from the page at from_path to the file at to_path that works at any base path and on file://.

    Both are normalised output paths ('a/b/index.html'), so plain string work does what posixpath.relpath
    does, without its calls to os.getcwd() (a page render makes dozens of these links).
    """
    here, there = from_path.split("/")[:-1], to_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


def absolute(base_url: str | None, path: str) -> str:
    """The absolute URL of output path `path`; folder pages end in '/'. Without a base URL (not set), the
    root-relative URL ('/articles/x/'): never an address the site is not at."""
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return (base_url or "/") + path


def site_path(base_path: str, path: str) -> str:
    """A root-relative URL ('/sub/articles/x/') for pages served at unknown depth, such as 404.html."""
    return absolute(base_path, path)


# Sources and columns: their folders are the slugs of their names (collisions are refused in sources.py).
def source_path(source: str, column: str | None = None) -> str:
    """Output path of a source's page, or of one of its columns: sources/<source>/[<column>/]index.html."""
    return page_path("sources", slugify(source), *([slugify(column)] if column else []))


def source_feed_path(source: str, column: str | None = None) -> str:
    """Output path of a source's (or column's) Atom feed."""
    return source_path(source, column).removesuffix("index.html") + "feed.xml"


def citation_path(slug: str, kind: str) -> str:
    """Output path of an article's citation file; kind is 'json' (CSL-JSON) or 'bib' (BibTeX)."""
    return f"articles/{slug}/citation.{kind}"


def api_article_path(slug: str) -> str:
    """Output path of one article's JSON record."""
    return f"api/articles/{slug}.json"


# Aliases: earlier URLs of an article, as paths from the site's root ('articles/old-slug/', 'old/page.html').
_ALIAS_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def alias_problem(alias: str) -> str | None:
    """Why alias cannot name an earlier URL of a page, or None when it can."""
    path = alias.strip().lstrip("/")
    segments = path.rstrip("/").split("/")
    if not path or not all(_ALIAS_SEGMENT.fullmatch(s) for s in segments):
        return (
            f"invalid alias {alias!r}: write a path from the site's root such as 'articles/old-slug/' "
            "(letters, digits, '-', '_', '.', '~' and '/'; no '..', query or fragment)"
        )
    if any(s.split(".")[0].lower() in RESERVED for s in segments):
        return f"invalid alias {alias!r}: a reserved file name on Windows"
    if max(map(len, segments)) > MAX_ALIAS_SEGMENT or len(path) > MAX_ALIAS:
        return (
            f"invalid alias {alias[:40]!r}...: a name between slashes may have at most {MAX_ALIAS_SEGMENT} "
            f"characters, and the whole path {MAX_ALIAS} (file systems refuse longer names)"
        )
    return None


MAX_ALIAS_SEGMENT = 100  # as a slug: file systems allow 255 bytes a name, and the redirect page adds index.html
MAX_ALIAS = 200  # Windows' paths stop at 260 characters, with the output folder in front


def alias_path(alias: str) -> str:
    """The output path an alias redirects from: a folder page unless its last segment has an extension."""
    path = alias.strip().lstrip("/")
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if path.endswith("/") or "." not in last:
        return page_path(*path.rstrip("/").split("/"))
    return path
