"""Atom feeds, sitemap.xml and robots.txt, built from the Site as {output path: bytes}."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from jinja2 import Environment, TemplateError
from markupsafe import escape

from .. import __version__
from ..core.chars import invisible_problem
from ..core.config import Config
from ..core.models import Article, Site
from ..core.urls import absolute, article_path, company_feed_path, company_path, index_path
from .base import Keys, Output


def atom_feed(
    env: Environment,
    config: Config,
    site: Site,
    keys: Keys,
    path: str,
    title: str,
    page: str,
    articles: tuple[Article, ...] | list[Article],
) -> Output:
    """The Atom feed at path of the newest articles (config.feed_size of them), with full bodies."""
    entries = list(articles)[: config.feed_size]
    return Output(
        path, keys(path, entries, extra=(title, page)), partial(_feed, env, config, site, path, title, page, entries)
    )


def _feed(
    env: Environment, config: Config, site: Site, path: str, title: str, page: str, entries: list[Article]
) -> bytes:
    updated = max((a.updated or a.published for a in entries), key=lambda d: d.timestamp(), default=None)
    text = env.get_template("atom.xml").render(
        config=config,
        site=site,
        feed_url=absolute(config.base_url, path),
        page_url=absolute(config.base_url, page),
        title=title,
        updated=updated,
        entries=entries,
        url=lambda p: absolute(config.base_url, p),
        article_path=article_path,
        generator_version=__version__,
    )
    return text.encode("utf-8")


def render_feeds(env: Environment, config: Config, site: Site, keys: Keys) -> list[Output]:
    """The site feed and one feed per company."""
    out = [atom_feed(env, config, site, keys, "feed.xml", config.title, index_path(1), site.articles)]
    for cid, cp in site.company_pages.items():
        out.append(
            atom_feed(
                env,
                config,
                site,
                keys,
                company_feed_path(cid),
                f"{cp.company.name}: {config.title}",
                company_path(cid),
                [m.article for m in cp.mentions],
            )
        )
    return out


# The sitemaps protocol's limits per file (sitemaps.org): at most 50,000 URLs and 50 MB (52,428,800 bytes)
# uncompressed; search engines ignore a larger file. Past either, sitemap.xml is an index of parts (tests lower them).
SITEMAP_URLS = 50_000
SITEMAP_BYTES = 52_428_800
SITEMAP_PART = "sitemaps/sitemap-{}.xml"  # the parts of a split sitemap, numbered from 1

Entry = tuple[str, datetime | None]  # a URL of a sitemap (or a part of an index) and its lastmod


def render_sitemap(env: Environment, config: Config, site: Site, keys: Keys, pages: list[str]) -> list[Output]:
    """sitemap.xml listing every HTML page but 404.html, and robots.txt naming it. A sitemap lists absolute
    URLs only: without the site's address there is none, and robots.txt names none.

    Past the protocol's limits (SITEMAP_URLS, SITEMAP_BYTES) the pages, in the same order, are split into parts
    (sitemaps/sitemap-1.xml, ...) of at most SITEMAP_URLS each, every one under SITEMAP_BYTES, and sitemap.xml is
    a sitemap index naming them (robots.txt still names sitemap.xml). Each file is keyed on exactly the URLs and
    lastmods it prints: an edit remakes only the part holding the page whose lastmod changed, and the index."""
    robots = Output("robots.txt", keys("robots.txt"), partial(_robots, config))
    if not config.base_url:
        return [robots]
    lastmod = {article_path(a.slug): (a.updated or a.published) for a in site.articles}
    urls = [
        (absolute(config.base_url, p), lastmod.get(p)) for p in sorted(pages) if p.endswith(".html") and p != "404.html"
    ]
    parts = split_sitemap(urls, _entry_sizes(env, config, urls))
    if len(parts) <= 1:  # within the limits: one urlset, as it always was
        return [Output("sitemap.xml", keys("sitemap.xml", extra=_shown(urls)), partial(_urlset, env, urls)), robots]
    out, index = [], []
    for n, part in enumerate(parts, start=1):
        path = SITEMAP_PART.format(n)
        out.append(Output(path, keys(path, extra=_shown(part)), partial(_urlset, env, part)))
        newest = max((m for _, m in part if m is not None), key=lambda d: d.timestamp(), default=None)
        index.append((absolute(config.base_url, path), newest))
    out.append(Output("sitemap.xml", keys("sitemap.xml", extra=("index", _shown(index))), partial(_index, env, index)))
    return [*out, robots]


def split_sitemap(urls: list[Entry], sizes: tuple[int, list[int]]) -> list[list[Entry]]:
    """urls in order, cut into runs of at most SITEMAP_URLS whose files (sizes: the bytes of a file's start
    and end, and of each URL's entry) stay within SITEMAP_BYTES; one run when the whole list fits. An entry
    larger than a file can hold on its own (never met: a URL is short) still gets a file of its own."""
    frame, entry = sizes
    parts: list[list[Entry]] = [[]]
    size = frame
    for url, n in zip(urls, entry, strict=True):
        if parts[-1] and (len(parts[-1]) >= SITEMAP_URLS or size + n > SITEMAP_BYTES):
            parts.append([])
            size = frame
        parts[-1].append(url)
        size += n
    return parts if parts[-1] else []


def _entry_sizes(env: Environment, config: Config, urls: list[Entry]) -> tuple[int, list[int]]:
    """The bytes of a urlset file's start and end, and of each URL's entry, as the sitemap template renders them:
    measured once on a sample entry (with and without a lastmod), then each entry is that frame plus its own
    escaped location and date, so the size of a file is known without rendering it. A template that fails to
    render is reported when the file is made (pipeline.made); a generous frame stands in meanwhile."""
    loc, date = absolute(config.base_url, "x/"), datetime(2000, 1, 1, tzinfo=UTC)
    try:
        frame = len(_urlset(env, []))
        dated = len(_urlset(env, [(loc, date)])) - frame - _size(loc) - len(date.isoformat())
        undated = len(_urlset(env, [(loc, None)])) - frame - _size(loc)
    except TemplateError:
        frame, dated, undated = 4096, 256, 256
    return frame, [_size(u) + (dated + len(m.isoformat()) if m is not None else undated) for u, m in urls]


def _size(text: str) -> int:
    """The bytes of text escaped in XML (as the templates print it), in UTF-8."""
    return len(str(escape(text)).encode("utf-8", "surrogatepass"))


def _shown(entries: list[Entry]) -> list[tuple[str, str | None]]:
    """What a sitemap file prints of its entries, as plain values for its key."""
    return [(loc, m.isoformat() if m is not None else None) for loc, m in entries]


def _urlset(env: Environment, urls: list[Entry]) -> bytes:
    return env.get_template("sitemap.xml").render(urls=urls).encode("utf-8")


def _index(env: Environment, sitemaps: list[Entry]) -> bytes:
    return env.get_template("sitemap_index.xml").render(sitemaps=sitemaps).encode("utf-8")


def _robots(config: Config) -> bytes:
    if not config.base_url:
        return b"User-agent: *\nAllow: /\n"
    sitemap = absolute(config.base_url, "sitemap.xml")
    if (msg := invisible_problem(sitemap)) is not None:  # base_url is checked where it is read: never met
        raise ValueError(f"robots.txt: the sitemap URL {sitemap!r} {msg}")
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n".encode()
