"""Atom feeds, sitemap.xml and robots.txt, built from the Site as {output path: bytes}."""
from __future__ import annotations

from jinja2 import Environment

from . import __version__
from .config import Config
from .models import Article, Site
from .urls import absolute, article_path, company_feed_path, company_path, index_path


def _feed(env: Environment, config: Config, site: Site, path: str, title: str, page: str,
          articles: tuple[Article, ...] | list[Article]) -> tuple[str, bytes]:
    entries = list(articles)[: config.feed_size]
    updated = max((a.updated or a.published for a in entries), key=lambda d: d.timestamp(), default=None)
    text = env.get_template("atom.xml").render(
        config=config, site=site, feed_url=absolute(config.base_url, path), page_url=absolute(config.base_url, page),
        title=title, updated=updated, entries=entries, url=lambda p: absolute(config.base_url, p),
        article_path=article_path, generator_version=__version__)
    return path, text.encode("utf-8")


def render_feeds(env: Environment, config: Config, site: Site) -> dict[str, bytes]:
    """The site feed and one feed per company."""
    out = dict([_feed(env, config, site, "feed.xml", config.title, index_path(1), site.articles)])
    for cid, cp in site.company_pages.items():
        out.update([_feed(env, config, site, company_feed_path(cid), f"{cp.company.name}: {config.title}",
                          company_path(cid), [m.article for m in cp.mentions])])
    return out


def render_sitemap(env: Environment, config: Config, site: Site, pages: list[str]) -> dict[str, bytes]:
    """sitemap.xml listing every HTML page but 404.html, and robots.txt naming it."""
    lastmod = {article_path(a.slug): (a.updated or a.published) for a in site.articles}
    urls = [(absolute(config.base_url, p), lastmod.get(p)) for p in sorted(pages)
            if p.endswith(".html") and p != "404.html"]
    sitemap = env.get_template("sitemap.xml").render(urls=urls)
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {absolute(config.base_url, 'sitemap.xml')}\n"
    return {"sitemap.xml": sitemap.encode("utf-8"), "robots.txt": robots.encode("utf-8")}
