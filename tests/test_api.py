"""Data for programs: api/*.json valid against the schemas under api/schema/, JSON Feed 1.1, JSON-LD mentions."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import COMPANY_IDS, SEED_SLUG
from depth import BASE, load_json, make_depth_site, page

SLUGS = ["fourth", "second", "third", SEED_SLUG]  # newest first; 'future' is held back


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_depth_site(tmp_path_factory.mktemp("api"))


def validate(out: Path, data: dict, schema_name: str) -> None:
    schema = load_json(out, f"api/schema/{schema_name}.json")
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"{BASE}api/schema/{schema_name}.json"
    assert data["$schema"] == schema["$id"]
    errors = sorted(
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(data), key=str
    )
    assert errors == []


def test_articles_json_is_valid_and_lists_every_published_article_newest_first(out):
    data = load_json(out, "api/articles.json")
    validate(out, data, "articles")
    assert [a["slug"] for a in data["articles"]] == SLUGS and data["count"] == 4
    second = data["articles"][1]
    assert second["published"] == "2026-02-01T10:00:00+08:00"
    assert second["retrieved"] == "2026-02-02T09:30:00+08:00"
    assert second["aliases"] == ["articles/old-second/", "/legacy/second.html"]
    assert second["url"] == f"{BASE}articles/second/"
    assert second["api_url"] == f"{BASE}api/articles/second.json"
    assert data["articles"][2]["published"] == "2026-01-20T08:00:00-05:00"  # the publisher's own offset


@pytest.mark.parametrize("slug", SLUGS)
def test_each_article_record_is_valid(out, slug):
    data = load_json(out, f"api/articles/{slug}.json")
    validate(out, data, "article")
    assert data["slug"] == slug
    assert data["citation"]["bibtex"] == f"{BASE}articles/{slug}/citation.bib"


def test_an_article_record_has_body_companies_related_and_raw(out):
    seed = load_json(out, f"api/articles/{SEED_SLUG}.json")
    assert [m["id"] for m in seed["mentions"]] == seed["companies"] and len(seed["companies"]) == 5
    assert seed["related"] == ["fourth", "second", "third"]
    assert seed["raw"]["sha256"] == "3addd5a367307674a354057a76bd5b21d7e4b8fe7824b4fd4d26dca3024f0067"
    assert seed["raw"]["url"] == f"{BASE}raw/000_ff62e51a18514715.txt"
    assert seed["raw"]["name"] == "raw/000_ff62e51a18514715.txt"
    assert seed["raw"]["page_url"] == f"{BASE}articles/{SEED_SLUG}/original/"
    assert len(seed["paragraphs"]) == 10 and seed["body_html"].startswith("<p>")


def test_companies_json_is_valid_and_has_articles_and_co_mentions(out):
    data = load_json(out, "api/companies.json")
    validate(out, data, "companies")
    assert sorted(c["id"] for c in data["companies"]) == sorted(COMPANY_IDS)
    minimax = next(c for c in data["companies"] if c["id"] == "minimax")
    assert minimax["articles"] == SLUGS
    assert minimax["alongside"][0] == {"id": "gigadevice-semiconductor", "count": 3}


def test_the_schema_rejects_what_it_should(out):
    data = load_json(out, "api/articles.json")
    schema = load_json(out, "api/schema/articles.json")
    data["articles"][0]["published"] = "2026-02-28T10:00:00"  # no offset
    del data["articles"][1]["title"]
    data["articles"][2]["extra"] = 1
    assert len(list(Draft202012Validator(schema).iter_errors(data))) == 3


# ---------------------------------------------------------------- JSON Feed 1.1


def test_json_feed_has_the_required_fields_of_version_1_1(out):
    feed = load_json(out, "feed.json")
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["home_page_url"] == BASE and feed["feed_url"] == f"{BASE}feed.json"
    assert isinstance(feed["items"], list) and len(feed["items"]) == 4
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
        assert item["url"].startswith(BASE)
        assert datetime.fromisoformat(item["date_published"]).utcoffset() is not None  # RFC 3339
        assert all(isinstance(a["name"], str) for a in item["authors"])
        assert not set(item) - {
            "id",
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "image",
            "banner_image",
            "date_published",
            "date_modified",
            "authors",
            "tags",
            "language",
            "attachments",
        }
    assert [i["id"] for i in feed["items"]] == [f"{BASE}articles/{s}/" for s in SLUGS]


def test_every_page_links_the_json_feed(out):
    for path in ("index.html", "articles/second/index.html", "sources/index.html"):
        links = page(out, path).xpath("//link[@rel='alternate'][@type='application/feed+json']/@href")
        assert len(links) == 1 and (out / path).parent.joinpath(links[0]).resolve() == (out / "feed.json").resolve()


# ---------------------------------------------------------------- JSON-LD


def json_ld(out: Path, slug: str) -> dict:
    (script,) = page(out, f"articles/{slug}/index.html").xpath("//script[@type='application/ld+json']")
    return json.loads(script.text)


def test_json_ld_lists_companies_as_organization_mentions_and_the_credit(out):
    data = json_ld(out, "second")
    assert data["mentions"] == [
        {"@type": "Organization", "name": "MiniMax", "url": f"{BASE}companies/minimax/"},
        {
            "@type": "Organization",
            "name": "GigaDevice Semiconductor",
            "url": f"{BASE}companies/gigadevice-semiconductor/",
        },
    ]
    assert data["creditText"] == "Jane Doe/GT"
    assert "creditText" not in json_ld(out, "third")


def test_every_json_file_is_sorted_two_space_json_with_a_final_newline_and_no_floats(out):
    """The files are made with orjson; each must read back and be written again by json.dumps to the same bytes
    (which also shows no record holds a float, whose exponent orjson would write differently)."""
    files = sorted(p for p in out.rglob("*.json") if p.parts[len(out.parts)] == "api" or p.name == "citation.json")
    assert sum(p.name == "citation.json" for p in files) == len(SLUGS) and len(files) > 2 * len(SLUGS)

    def no_float(value: float):
        raise AssertionError(f"a float in JSON output: {value}")

    for path in files:
        data = path.read_bytes()
        parsed = json.loads(data, parse_float=no_float)
        assert data == (json.dumps(parsed, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode(), path
