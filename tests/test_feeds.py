"""Atom feeds, sitemap.xml and robots.txt of a built site."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import pytest
import yaml

from conftest import COMPANY_IDS, REPO, SEED_SLUG, minimal_front, write_article
from site_builder.engine.build import build
from site_builder.outputs.theme import PACKAGE_THEME

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://feeds.example/archive/"
EXTRA = {  # slug -> companies, besides the seed (which lists all five)
    "two-companies": ["minimax", "gigadevice-semiconductor"],
    "no-companies": [],
    "draft-one": ["minimax"],  # a draft: in no feed
}


def is_absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feeds")
    shutil.copytree(REPO / "seeds", root / "seeds")
    for day, (slug, companies) in enumerate(EXTRA.items(), start=1):
        extra = f"slug: {slug}\n" + ("draft: true\n" if slug.startswith("draft") else "")
        write_article(
            root,
            f"{slug}.md",
            minimal_front(
                title=f"Article {slug}",
                published=f"2026-02-0{day}T09:00:00Z",
                companies=f"[{', '.join(companies)}]",
                extra=extra,
            ),
        )
    build(root / "seeds", root / "output", PACKAGE_THEME, {"base_url": BASE, "page_size": 2})  # two list pages
    return root / "output"


def published_companies() -> dict[str, list[str]]:
    seed = yaml.safe_load((REPO / "seeds" / "articles" / f"{SEED_SLUG}.md").read_text(encoding="utf-8").split("---")[1])
    articles = {SEED_SLUG: seed["companies"]}
    articles.update({slug: cids for slug, cids in EXTRA.items() if not slug.startswith("draft")})
    return articles


def feed_paths() -> list[str]:
    return ["feed.xml", *(f"companies/{cid}/feed.xml" for cid in COMPANY_IDS)]


def load_feed(site: Path, path: str) -> lxml.etree._Element:
    root = lxml.etree.fromstring((site / path).read_bytes())
    assert root.tag == f"{ATOM}feed", path
    return root


def entry_slugs(feed: lxml.etree._Element) -> list[str]:
    slugs = []
    for entry in feed.iter(f"{ATOM}entry"):
        (link,) = entry.findall(f"{ATOM}link[@rel='alternate']")
        path = link.get("href").removeprefix(BASE)
        assert path.startswith("articles/") and path.endswith("/"), path
        slugs.append(path.removeprefix("articles/").rstrip("/"))
    return slugs


def iso(text: str | None) -> datetime:
    assert text, "empty date"
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    return value


@pytest.mark.parametrize("path", feed_paths())
def test_feed_is_atom_with_the_required_elements(site, path):
    feed = load_feed(site, path)
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), name
    iso(feed.findtext(f"{ATOM}updated"))
    assert is_absolute(feed.findtext(f"{ATOM}id"))
    selves = feed.findall(f"{ATOM}link[@rel='self']")
    assert [s.get("href") for s in selves] == [BASE + path]
    entries = feed.findall(f"{ATOM}entry")
    assert entries, path
    for entry in entries:
        for name in ("id", "title", "updated", "published"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert iso(entry.findtext(f"{ATOM}updated")) >= iso(entry.findtext(f"{ATOM}published"))
        alternates = entry.findall(f"{ATOM}link[@rel='alternate']")
        assert len(alternates) == 1 and is_absolute(alternates[0].get("href"))
        assert alternates[0].get("href").startswith(BASE)
        assert is_absolute(entry.findtext(f"{ATOM}id"))
    latest = max(iso(e.findtext(f"{ATOM}updated")) for e in entries)
    assert iso(feed.findtext(f"{ATOM}updated")) == latest


def test_site_feed_lists_every_published_article_newest_first(site):
    slugs = entry_slugs(load_feed(site, "feed.xml"))
    assert sorted(slugs) == sorted(published_companies())
    assert slugs == ["no-companies", "two-companies", SEED_SLUG]


def test_entry_ids_are_unique_and_stable(site):
    ids = [e.findtext(f"{ATOM}id") for e in load_feed(site, "feed.xml").iter(f"{ATOM}entry")]
    assert len(set(ids)) == len(ids)
    minimax = [e.findtext(f"{ATOM}id") for e in load_feed(site, "companies/minimax/feed.xml").iter(f"{ATOM}entry")]
    assert set(minimax) <= set(ids)  # an article has the same id in every feed


@pytest.mark.parametrize("company_id", COMPANY_IDS)
def test_company_feed_holds_exactly_the_articles_that_list_the_company(site, company_id):
    expected = sorted(slug for slug, cids in published_companies().items() if company_id in cids)
    assert sorted(entry_slugs(load_feed(site, f"companies/{company_id}/feed.xml"))) == expected


def test_a_company_feed_differs_from_another(site):
    # minimax and gigadevice have two articles, the others one: the per-company check above is not vacuous
    counts = {cid: len(entry_slugs(load_feed(site, f"companies/{cid}/feed.xml"))) for cid in COMPANY_IDS}
    assert counts["minimax"] == 2 and counts["shanghai-biren-technology"] == 1


def html_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def page_url(path: str) -> str:
    return BASE + (path[: -len("index.html")] if path.endswith("index.html") else path)


def test_sitemap_lists_every_page_but_404_and_originals_with_absolute_locations(site):
    root = lxml.etree.fromstring((site / "sitemap.xml").read_bytes())
    assert root.tag == f"{SITEMAP}urlset"
    urls = root.findall(f"{SITEMAP}url")
    locs = [u.findtext(f"{SITEMAP}loc") for u in urls]
    assert all(is_absolute(loc) and loc.startswith(BASE) for loc in locs)
    assert len(set(locs)) == len(locs)
    # not 404.html, and not the page showing a raw original (evidence, not reading: it is noindex too)
    pages = [p for p in html_pages(site) if p != "404.html" and not p.endswith("/original/index.html")]
    assert "404.html" in html_pages(site) and "page/2/index.html" in html_pages(site)
    assert sorted(locs) == sorted(page_url(p) for p in pages)
    assert BASE + "404.html" not in locs
    assert not any("draft-one" in loc for loc in locs)
    for url in urls:
        if (lastmod := url.findtext(f"{SITEMAP}lastmod")) is not None:
            iso(lastmod)


def test_robots_txt_names_the_absolute_sitemap_url(site):
    lines = (site / "robots.txt").read_text(encoding="utf-8").splitlines()
    sitemaps = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]
    assert sitemaps == [BASE + "sitemap.xml"]
    assert (site / "sitemap.xml").is_file()
