"""Pages and Atom feeds for every source and column: sources/, sources/<source>/, sources/<source>/<column>/; and
feeds/, the page that explains feeds and lists every one (the site's, each source's and column's, each company's)."""

from __future__ import annotations

from jinja2 import Environment

from ..core.config import Config
from ..core.models import Site
from ..core.urls import (
    FEEDS_PAGE,
    absolute,
    company_feed_path,
    company_path,
    feed_anchor,
    index_path,
    page_path,
    source_feed_path,
    source_path,
)
from .base import Keys, Output
from .feeds import atom_feed
from .pages import Renderer


def render_source_pages(env: Environment, config: Config, site: Site, stylesheet: str, keys: Keys) -> list[Output]:
    """The sources index, one page per source and one per column, each listing its articles newest first."""
    r = Renderer(env, config, site, stylesheet, keys)
    out = [
        r.page(
            "sources.html",
            page_path("sources"),
            "Sources",
            f"Every publication in {config.title}, with its columns.",
            site.articles,
            sources=site.sources,
        )
    ]
    for s in site.sources:
        out.append(
            r.page(
                "source.html",
                source_path(s.name),
                s.name,
                f"Articles from {s.name} in {config.title}, newest first.",
                s.articles,
                source=s,
                column=None,
                articles=s.articles,
            )
        )
        for c in s.columns:
            out.append(
                r.page(
                    "source.html",
                    source_path(s.name, c.name),
                    f"{c.name} ({s.name})",
                    f"Articles from the {c.name} column of {s.name} in {config.title}, newest first.",
                    s.articles,
                    source=s,
                    column=c,
                    articles=c.articles,
                )
            )
    return out


def render_source_feeds(env: Environment, config: Config, site: Site, keys: Keys) -> list[Output]:
    """An Atom feed for each source and each column."""
    out = []
    for s in site.sources:
        out.append(
            atom_feed(
                env,
                config,
                site,
                keys,
                source_feed_path(s.name),
                f"{s.name}: {config.title}",
                source_path(s.name),
                s.articles,
            )
        )
        for c in s.columns:
            out.append(
                atom_feed(
                    env,
                    config,
                    site,
                    keys,
                    source_feed_path(s.name, c.name),
                    f"{c.name} ({s.name}): {config.title}",
                    source_path(s.name, c.name),
                    c.articles,
                )
            )
    return out


def render_feeds_page(env: Environment, config: Config, site: Site, stylesheet: str, keys: Keys) -> list[Output]:
    """feeds/: what a feed is and how to follow one, and every feed with its URL to copy. The site's visible feed
    links lead to a feed's entry here; <link rel="alternate"> in each page's head points at the XML itself.
    It shows each feed's name, page, URL and article count: its key has exactly those."""

    def entry(name: str, page: str, feed: str, count: int, json: str | None = None) -> dict:
        return {
            "id": feed_anchor(feed),
            "name": name,
            "page": page,
            "url": absolute(config.base_url, feed),
            "count": count,
            "json": absolute(config.base_url, json) if json else None,
        }

    everything = entry(config.title, index_path(1), "feed.xml", len(site.articles), "feed.json")
    sources = [
        (
            entry(s.name, source_path(s.name), source_feed_path(s.name), len(s.articles)),
            [
                entry(
                    f"{c.name} ({s.name})",
                    source_path(s.name, c.name),
                    source_feed_path(s.name, c.name),
                    len(c.articles),
                )
                for c in s.columns
            ],
        )
        for s in site.sources
    ]
    companies = [
        entry(cp.company.name, company_path(cid), company_feed_path(cid), len(cp.mentions))
        for cid, cp in site.company_pages.items()
    ]
    r = Renderer(env, config, site, stylesheet, keys)
    return [
        r.page(
            "feeds.html",
            FEEDS_PAGE,
            "Feeds",
            f"Follow {config.title} in a feed reader: every feed, with its address.",
            extra=(everything, sources, companies),
            everything=everything,
            sources=sources,
            companies=companies,
        )
    ]
