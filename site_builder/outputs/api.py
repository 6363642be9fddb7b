"""The archive as data for programs: api/articles.json, api/companies.json, api/articles/<slug>.json, schemas.

Every file is JSON with sorted keys, two-space indents and a final newline; dates are ISO 8601 with the
publisher's UTC offset; URLs are absolute (from base_url), so a record means the same wherever it is read.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..content.load import RAW_DIR
from ..core.config import Config
from ..core.models import Article, Site
from ..core.urls import (
    absolute,
    api_article_path,
    article_path,
    citation_path,
    company_feed_path,
    company_path,
    raw_path,
    url_quote,
    version_path,
)
from ..model.versions import version_list
from .base import Keys, Output, json_file, ready
from .citations import citation_text
from .schemas import SCHEMA_PATHS, schemas


def _iso(dt) -> str | None:
    return dt.isoformat() if dt is not None else None


def article_record(a: Article, config: Config, site: Site) -> dict[str, Any]:
    """The summary record of an article, as listed in api/articles.json."""
    url = lambda path: absolute(config.base_url, path)  # noqa: E731
    return {
        "slug": a.slug,
        "title": a.title,
        "source": a.source,
        "column": a.column,
        "section": a.section,
        "published": a.published.isoformat(),
        "updated": _iso(a.updated),
        "retrieved": _iso(a.retrieved),
        "language": a.language,
        "summary": site.summaries[a.slug],
        "illustration": a.illustration,
        "companies": list(a.companies),
        "tags": list(a.tags),
        "aliases": list(a.aliases),
        "url": url(article_path(a.slug)),
        "original_url": a.url,
        "api_url": url(api_article_path(a.slug)),
    }


def article_full(a: Article, config: Config, site: Site) -> dict[str, Any]:
    """Everything about one article: the summary record, its body, companies, related reading, raw and citation."""
    url = lambda path: absolute(config.base_url, path)  # noqa: E731
    by_id = {c.id: c for c in site.companies}
    raw = None
    if (name := site.raw_names.get(a.slug)) is not None:  # the file as .txt, byte for byte, and the page showing it
        raw = {
            "url": url(url_quote(raw_path(name))),
            "sha256": site.raw_sha256[name],
            "name": f"{RAW_DIR}/{name}",
            "page_url": url(version_path(a.slug, len(site.version_names.get(a.slug, ())) or 1)),
        }
    versions = [
        {
            "number": v["number"],
            "name": v["name"],
            "sha256": v["sha256"],
            "retrieved": _iso(v["retrieved"]),
            "url": url(url_quote(v["file"])),
            "page_url": url(v["view"]),
            "changes_url": url(v["changes"]) if v["changes"] else None,
        }
        for v in version_list(site, a)
    ]
    body = site.bodies[a.slug]
    return {
        **article_record(a, config, site),
        "body_html": body.html,
        "paragraphs": list(body.paragraphs),
        "mentions": [{"id": c, "name": by_id[c].name, "url": url(company_path(c))} for c in a.companies],
        "related": [r.slug for r in site.related.get(a.slug, ())],
        "raw": raw,
        "versions": versions,
        "citation": {
            "text": citation_text(a, config),
            "csl_json": url(citation_path(a.slug, "json")),
            "bibtex": url(citation_path(a.slug, "bib")),
        },
    }


def company_records(config: Config, site: Site) -> list[dict[str, Any]]:
    """Every company A to Z with its articles (newest first) and its co-mentions."""
    out = []
    for c in site.companies:
        page = site.company_pages[c.id]
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "aliases": list(c.aliases),
                "description": c.description,
                "url": absolute(config.base_url, company_path(c.id)),
                "feed_url": absolute(config.base_url, company_feed_path(c.id)),
                "articles": [m.article.slug for m in page.mentions],
                "alongside": [{"id": other.id, "count": n} for other, n in page.alongside],
            }
        )
    return out


def render_api(config: Config, site: Site, keys: Keys) -> list[Output]:
    """Every api/ file: the lists, one record per article, and the schemas they follow."""
    sch = {name: absolute(config.base_url, path) for name, path in SCHEMA_PATHS.items()}
    out = [
        Output(
            "api/articles.json",
            keys("api/articles.json", lists=site.articles),
            lambda: json_file(
                {
                    "$schema": sch["articles"],
                    "count": len(site.articles),
                    "articles": [article_record(a, config, site) for a in site.articles],
                }
            ),
        ),
        Output(
            "api/companies.json",
            keys("api/companies.json", lists=site.articles),
            lambda: json_file(
                {"$schema": sch["companies"], "count": len(site.companies), "companies": company_records(config, site)}
            ),
        ),
    ]
    for a in site.articles:
        path = api_article_path(a.slug)
        out.append(
            Output(
                path,
                keys(path, [a], site.related.get(a.slug, ())),
                partial(_article_file, sch["article"], a, config, site),
            )
        )
    out += [ready(SCHEMA_PATHS[name], json_file(schema)) for name, schema in schemas(config.base_url or "/").items()]
    return out


def _article_file(schema: str, a: Article, config: Config, site: Site) -> bytes:
    return json_file({"$schema": schema, **article_full(a, config, site)})
