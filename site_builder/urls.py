"""The one owner of slugs, output paths and URLs. Every URL is derived from an output path."""
from __future__ import annotations

import posixpath
import re

from slugify import slugify as _slugify

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 100
# Names Windows refuses as file or folder names, whatever the extension.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(text: str) -> str:
    """A URL-safe slug for text: lower-case ASCII words joined by '-', at most SLUG_MAX characters."""
    return _slugify(text, max_length=SLUG_MAX, word_boundary=True, save_order=True)


def slug_problem(slug: str) -> str | None:
    """Why slug cannot name a page, or None when it can."""
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        return (f"invalid slug {slug!r}: use lower-case letters a-z, digits and single hyphens "
                "(no '/', '..', '\\', spaces or other characters)")
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


def raw_path(name: str) -> str:
    """Output path of a raw original served as a file."""
    return f"raw/{name}"


def relative(from_path: str, to_path: str) -> str:
    """A link from the page at from_path to the file at to_path that works at any base path and on file://."""
    start = posixpath.dirname(from_path) or "."
    return posixpath.relpath(to_path, start)


def absolute(base_url: str, path: str) -> str:
    """The absolute URL of output path `path`; folder pages end in '/'."""
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return base_url + path


def site_path(base_path: str, path: str) -> str:
    """A root-relative URL ('/sub/articles/x/') for pages served at unknown depth, such as 404.html."""
    return absolute(base_path, path)
