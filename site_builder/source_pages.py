"""Pages and Atom feeds for every source and column: sources/, sources/<source>/, sources/<source>/<column>/."""
from __future__ import annotations

from jinja2 import Environment

from .config import Config
from .feeds import atom_feed
from .models import Site
from .outputs import Keys, Output
from .render import Renderer
from .urls import page_path, source_feed_path, source_path


def render_source_pages(env: Environment, config: Config, site: Site, stylesheet: str, keys: Keys) -> list[Output]:
    """The sources index, one page per source and one per column, each listing its articles newest first."""
    r = Renderer(env, config, site, stylesheet, keys)
    out = [r.page("sources.html", page_path("sources"), "Sources",
                  f"Every publication in {config.title}, with its columns.", site.articles, sources=site.sources)]
    for s in site.sources:
        out.append(r.page("source.html", source_path(s.name), s.name,
                          f"Articles from {s.name} in {config.title}, newest first.", s.articles,
                          source=s, column=None, articles=s.articles))
        for c in s.columns:
            out.append(r.page("source.html", source_path(s.name, c.name), f"{c.name} ({s.name})",
                              f"Articles from the {c.name} column of {s.name} in {config.title}, newest first.",
                              s.articles, source=s, column=c, articles=c.articles))
    return out


def render_source_feeds(env: Environment, config: Config, site: Site, keys: Keys) -> list[Output]:
    """An Atom feed for each source and each column."""
    out = []
    for s in site.sources:
        out.append(atom_feed(env, config, site, keys, source_feed_path(s.name), f"{s.name}: {config.title}",
                             source_path(s.name), s.articles))
        for c in s.columns:
            out.append(atom_feed(env, config, site, keys, source_feed_path(s.name, c.name),
                                 f"{c.name} ({s.name}): {config.title}", source_path(s.name, c.name), c.articles))
    return out
