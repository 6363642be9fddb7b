"""Atom feeds, sitemap.xml and robots.txt, built from the Site as {output path: bytes}."""

from __future__ import annotations

from functools import partial

from jinja2 import Environment

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


def render_sitemap(env: Environment, config: Config, site: Site, keys: Keys, pages: list[str]) -> list[Output]:
    """sitemap.xml listing every HTML page but 404.html, and robots.txt naming it. A sitemap lists absolute
    URLs only: without the site's address there is none, and robots.txt names none."""
    pages = sorted(pages)
    if not config.base_url:
        return [Output("robots.txt", keys("robots.txt"), partial(_robots, config))]
    return [
        Output(
            "sitemap.xml",
            keys("sitemap.xml", lists=site.articles, extra=pages),
            partial(_sitemap, env, config, site, pages),
        ),
        Output("robots.txt", keys("robots.txt"), partial(_robots, config)),
    ]


def _sitemap(env: Environment, config: Config, site: Site, pages: list[str]) -> bytes:
    lastmod = {article_path(a.slug): (a.updated or a.published) for a in site.articles}
    urls = [
        (absolute(config.base_url, p), lastmod.get(p)) for p in sorted(pages) if p.endswith(".html") and p != "404.html"
    ]
    return env.get_template("sitemap.xml").render(urls=urls).encode("utf-8")


def _robots(config: Config) -> bytes:
    if not config.base_url:
        return b"User-agent: *\nAllow: /\n"
    sitemap = absolute(config.base_url, "sitemap.xml")
    if (msg := invisible_problem(sitemap)) is not None:  # base_url is checked where it is read: never met
        raise ValueError(f"robots.txt: the sitemap URL {sitemap!r} {msg}")
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n".encode()
