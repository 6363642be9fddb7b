"""JSON Feed 1.1 (feed.json) beside the Atom feed: the same newest entries, for programs that prefer JSON."""

from __future__ import annotations

from ..core.config import Config
from ..core.models import Site
from ..core.urls import absolute, article_path, index_path
from .base import Keys, Output, json_file

VERSION = "https://jsonfeed.org/version/1.1"
FEED_PATH = "feed.json"


def render_json_feed(config: Config, site: Site, keys: Keys) -> list[Output]:
    """feed.json: https://www.jsonfeed.org/version/1.1/ with absolute URLs and RFC 3339 dates with offsets."""
    return [Output(FEED_PATH, keys(FEED_PATH, site.articles[: config.feed_size]), lambda: _json_feed(config, site))]


def _json_feed(config: Config, site: Site) -> bytes:
    by_id = {c.id: c for c in site.companies}
    items = []
    for a in site.articles[: config.feed_size]:
        url = absolute(config.base_url, article_path(a.slug))
        item = {
            "id": url,
            "url": url,
            "title": a.title,
            "content_html": site.bodies[a.slug].html,
            "summary": site.summaries[a.slug],
            "date_published": a.published.isoformat(),
            "date_modified": (a.updated or a.published).isoformat(),
            "authors": [{"name": a.source}],
            "language": a.language,
            "tags": [by_id[c].name for c in a.companies] + list(a.tags),
        }
        if a.url:
            item["external_url"] = a.url
        items.append(item)
    feed = {
        "version": VERSION,
        "title": config.title,
        "description": config.description,
        "home_page_url": absolute(config.base_url, index_path(1)),
        "feed_url": absolute(config.base_url, FEED_PATH),
        "language": config.language,
        "authors": [{"name": config.title}],
        "items": items,
    }
    return json_file(feed)
