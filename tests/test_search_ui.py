"""What the build gives search and feeds, without a browser: search metadata on article pages (and in Pagefind's
index), the feeds page that the visible feed links lead to, and the Atom feeds themselves, parsed."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from conftest import BASE, SEED_SLUG, minimal_front, tree_digest, write_article
from site_builder.engine.build import Builder
from site_builder.engine.search import find_pagefind

needs_pagefind = pytest.mark.skipif(
    find_pagefind() is None, reason="the pagefind binary is not installed (pip install 'pagefind[bin]')"
)
ATOM = "{http://www.w3.org/2005/Atom}"
SEED_DATE = "2026-01-15T23:42:00+08:00"
FEEDS_PAGE = "feeds/index.html"


@pytest.fixture
def built(project: Path, run, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real archive built without its search index (these tests read the pages): its output folder."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    result = run(project, "build")
    assert result.code == 0, result.err
    return project / "output"


def _page(output: Path, path: str):
    return lxml.html.fromstring((output / path).read_bytes())


def _feeds(output: Path) -> list[str]:
    """The output path of every Atom feed of the built site."""
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("feed.xml"))


# ------------------------------------------------------------------ search: date and source of each article


def test_article_pages_give_pagefind_their_date_and_source(built):
    page = _page(built, f"articles/{SEED_SLUG}/index.html")
    date = page.xpath('//*[contains(@data-pagefind-meta, "date[content]")]')
    source = page.xpath('//*[contains(@data-pagefind-meta, "source[content]")]')
    assert [e.get("content") for e in date] == [SEED_DATE]
    assert [e.get("content") for e in source] == ["Global Times"]


@needs_pagefind
def test_the_search_index_holds_each_articles_date_and_source(project, run):
    assert run(project, "build").code == 0
    records = []
    for fragment in (project / "output" / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        records.append(json.loads(data[len(b"pagefind_dcd") :]))
    by_url = {r["url"]: r["meta"] for r in records}
    article = by_url[f"/articles/{SEED_SLUG}/"]
    assert article["date"] == SEED_DATE and article["source"] == "Global Times"
    assert "date" not in by_url["/companies/minimax/"]  # a company page has no date of its own


# ------------------------------------------------------------------ the feeds page


def test_the_header_feed_link_leads_to_the_feeds_page_on_every_page(built):
    pages = sorted(built.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        page = lxml.html.fromstring(path.read_bytes())
        rel = path.relative_to(built).as_posix()
        links = page.xpath('//nav[@aria-label="Site"]//a[normalize-space()="Feeds"]/@href')
        assert len(links) == 1, rel
        if rel == "404.html":  # served at any depth: its links are root-relative
            assert links[0] == "/feeds/", links
            continue
        assert (path.parent / links[0]).resolve() == (built / FEEDS_PAGE).resolve(), rel
        assert not page.xpath('//body//a[contains(@href, "feed.xml")]'), rel  # no visible link to raw XML
        # the head still offers the XML to browsers and feed readers
        assert page.xpath('//head/link[@rel="alternate"][@type="application/atom+xml"]/@href')[0].endswith("feed.xml")


def test_the_feeds_page_explains_feeds_and_lists_every_feed_with_its_url(built):
    page = _page(built, FEEDS_PAGE)
    text = " ".join(page.xpath("//main")[0].text_content().split())
    assert "A feed is" in text and "feed reader" in text and "Copy its address" in text
    base = BASE  # the project's base_url
    listed = [" ".join(c.text_content().split()) for c in page.xpath("//main//li[@id]//code")]
    assert sorted(u for u in listed if u.endswith(".xml")) == sorted(base + f for f in _feeds(built))
    assert base + "feed.json" in listed
    names = [" ".join(a.text_content().split()) for a in page.xpath("//main//li[@id]/a")]
    assert {
        "Global Times",
        "GT Voice (Global Times)",
        "MiniMax",
        "Knowledge Atlas Technology Joint Stock Company",
    } <= set(names)
    assert len(page.xpath("//main//li[@id]")) == len(_feeds(built))  # one entry per feed
    for entry in page.xpath("//main//li[@id]"):  # each entry's link leads to the page the feed follows
        assert (built / FEEDS_PAGE).parent.joinpath(entry.xpath("./a/@href")[0]).resolve().is_file()


@pytest.mark.parametrize(
    "path, feed",
    [
        ("companies/minimax/index.html", "companies/minimax/feed.xml"),
        ("sources/global-times/index.html", "sources/global-times/feed.xml"),
        ("sources/global-times/gt-voice/index.html", "sources/global-times/gt-voice/feed.xml"),
    ],
)
def test_company_and_source_pages_link_to_their_feeds_entry_on_the_feeds_page(built, path, feed):
    page = _page(built, path)
    links = page.xpath('//main//a[contains(@href, "feeds/")]/@href')
    assert len(links) == 1
    target, _, anchor = links[0].partition("#")
    assert ((built / path).parent / target).resolve() == (built / FEEDS_PAGE).resolve()
    entry = _page(built, FEEDS_PAGE).get_element_by_id(anchor)
    assert entry.xpath(".//code")[0].text == BASE + feed
    assert page.xpath('//head/link[@rel="alternate"][@type="application/atom+xml"]/@href')[-1] == "feed.xml"


def test_the_feeds_page_is_neither_searched_nor_left_out_of_the_sitemap(built):
    assert "data-pagefind-body" not in (built / FEEDS_PAGE).read_text(encoding="utf-8")
    assert BASE + "feeds/" in (built / "sitemap.xml").read_text(encoding="utf-8")


# ------------------------------------------------------------------ the feeds are still Atom


def test_every_feed_is_valid_atom_for_feed_readers(built):
    feeds = _feeds(built)
    assert "feed.xml" in feeds and "companies/minimax/feed.xml" in feeds and "sources/global-times/feed.xml" in feeds
    for path in feeds:
        data = (built / path).read_bytes()
        assert b"<?xml-stylesheet" not in data  # a plain feed: readers and browsers get Atom, nothing else
        root = lxml.etree.fromstring(data)
        assert root.tag == f"{ATOM}feed", path
        for name in ("id", "title", "updated"):
            assert len(root.findall(f"{ATOM}{name}")) == 1 and root.findtext(f"{ATOM}{name}").strip(), (path, name)
        assert root.find(f"{ATOM}author/{ATOM}name").text
        self_links = [e.get("href") for e in root.findall(f"{ATOM}link") if e.get("rel") == "self"]
        assert self_links == [BASE + path]
        entries = root.findall(f"{ATOM}entry")
        assert entries, path
        for entry in entries:
            for name in ("id", "title", "updated"):
                assert entry.findtext(f"{ATOM}{name}").strip(), (path, name)
            assert [e.get("href") for e in entry.findall(f"{ATOM}link") if e.get("rel") == "alternate"]


# ------------------------------------------------------------------ incremental builds keep the feeds page right


def test_a_new_source_column_or_company_mention_reaches_the_feeds_page_in_an_incremental_build(project, monkeypatch):
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")
    out = project / "output"
    Builder(project / "seeds", out, project / "templates").build()
    before = (out / FEEDS_PAGE).read_bytes()
    write_article(
        project,
        "another.md",
        minimal_front("Another paper's note", "2026-02-03T12:00:00+08:00", "[minimax]", "column: Weekly Notes\n"),
    )
    Builder(project / "seeds", out, project / "templates").build()
    after = (out / FEEDS_PAGE).read_bytes()
    assert after != before
    text = after.decode("utf-8")
    assert "sources/test-source/weekly-notes/feed.xml" in text and "Weekly Notes (Test Source)" in text
    clean = project / "clean"
    Builder(project / "seeds", clean, project / "templates", cache=False).build()
    assert tree_digest(out) == tree_digest(clean)
    shutil.rmtree(clean)
