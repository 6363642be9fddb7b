"""JSON Schemas (draft 2020-12) of the data API: the documented, stable shape of every api/ file."""

from __future__ import annotations

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PATHS = {
    "articles": "api/schema/articles.json",
    "companies": "api/schema/companies.json",
    "article": "api/schema/article.json",
}

_STRING = {"type": "string", "minLength": 1}
_URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
_MOMENT = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$",
    "description": "ISO 8601 date and time with the publisher's UTC offset",
}
_SLUG = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


ARTICLE_SUMMARY = {
    "slug": {**_SLUG, "description": "the article's URL name; api/articles/<slug>.json has the full record"},
    "title": _STRING,
    "source": {**_STRING, "description": "the publication"},
    "column": _nullable(_STRING),
    "section": _nullable(_STRING),
    "published": _MOMENT,
    "updated": _nullable(_MOMENT),
    "retrieved": _nullable({**_MOMENT, "description": "when the raw original was fetched"}),
    "language": _STRING,
    "summary": {"type": "string"},
    "illustration": _nullable(_STRING),
    "companies": {"type": "array", "items": _SLUG, "description": "ids of the companies it mentions, in order"},
    "tags": {"type": "array", "items": _STRING},
    "aliases": {"type": "array", "items": _STRING, "description": "earlier URLs, as paths from the site's root"},
    "url": {**_URL, "description": "the article's page in this archive"},
    "original_url": _nullable({**_URL, "description": "the publisher's address"}),
    "api_url": {**_URL, "description": "this article's full JSON record"},
}

ARTICLE_FULL = {
    **ARTICLE_SUMMARY,
    "body_html": {"type": "string", "description": "the body as sanitised HTML"},
    "paragraphs": {"type": "array", "items": {"type": "string"}, "description": "the body's blocks as plain text"},
    "mentions": {
        "type": "array",
        "items": _object({"id": _SLUG, "name": _STRING, "url": _URL}, "a company the article mentions"),
    },
    "related": {"type": "array", "items": _SLUG, "description": "related articles, best first"},
    "raw": _nullable(
        _object(
            {
                "url": {**_URL, "description": "the raw original, byte for byte, as a plain text (.txt) file"},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "the SHA-256 of its bytes"},
                "name": {**_STRING, "description": "its path in the archive, e.g. raw/000_ff62e51a18514715.txt"},
                "page_url": {**_URL, "description": "the page showing it as text, with its SHA-256"},
            },
            "the raw original the article was imported from",
        )
    ),
    "versions": {
        "type": "array",
        "description": "every version of the raw original, oldest first (the last is raw); "
        "empty when the article has one",
        "items": _object(
            {
                "number": {"type": "integer", "minimum": 1},
                "name": {**_STRING, "description": "its path in the archive"},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "retrieved": _nullable({**_MOMENT, "description": "when it was fetched"}),
                "url": {**_URL, "description": "the file, byte for byte, as plain text"},
                "page_url": {**_URL, "description": "the page showing it"},
                "changes_url": _nullable({**_URL, "description": "the page of what changed from the version before"}),
            },
            "one version of the raw original",
        ),
    },
    "citation": _object({"text": _STRING, "csl_json": _URL, "bibtex": _URL}, "ways to cite the article"),
}

COMPANY = {
    "id": _SLUG,
    "name": _STRING,
    "aliases": {"type": "array", "items": _STRING},
    "description": _STRING,
    "url": _URL,
    "feed_url": _URL,
    "articles": {"type": "array", "items": _SLUG, "description": "slugs of the articles that mention it, newest first"},
    "alongside": {
        "type": "array",
        "description": "companies mentioned in the same articles, most often first",
        "items": _object({"id": _SLUG, "count": {"type": "integer", "minimum": 1}}, "a co-mention"),
    },
}


def schemas(base_url: str) -> dict[str, dict]:
    """{name: JSON Schema} for articles.json, companies.json and api/articles/<slug>.json."""

    def top(name: str, title: str, properties: dict) -> dict:
        return {
            "$schema": DIALECT,
            "$id": base_url + SCHEMA_PATHS[name],
            "title": title,
            **_object({"$schema": {"const": base_url + SCHEMA_PATHS[name]}, **properties}, title),
        }

    return {
        "articles": top(
            "articles",
            "Every published article, newest first",
            {
                "count": {"type": "integer", "minimum": 0},
                "articles": {"type": "array", "items": _object(ARTICLE_SUMMARY, "an article")},
            },
        ),
        "companies": top(
            "companies",
            "Every company in the registry, A to Z",
            {
                "count": {"type": "integer", "minimum": 0},
                "companies": {"type": "array", "items": _object(COMPANY, "a company")},
            },
        ),
        "article": top("article", "One article, in full", ARTICLE_FULL),
    }
