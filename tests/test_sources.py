"""Source and column pages: sources/<source>/ and sources/<source>/<column>/, newest first, each with a feed."""

from __future__ import annotations

import posixpath
from pathlib import Path

import lxml.etree
import pytest

from conftest import SEED_SLUG, write_article
from depth import BASE, front, make_depth_site, page

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_depth_site(tmp_path_factory.mktemp("sources"))


def listed(out: Path, path: str) -> list[str]:
    """Article paths a list page links in its items, in order."""
    doc = page(out, path)
    return [
        posixpath.normpath(posixpath.join(posixpath.dirname(path), h))
        for h in doc.xpath("//article[contains(@class, 'item')]//*[contains(@class, 'item-title')]/a/@href")
    ]


def test_a_source_page_lists_its_articles_newest_first(out):
    assert listed(out, "sources/global-times/index.html") == [
        "articles/fourth/index.html",
        "articles/second/index.html",
        f"articles/{SEED_SLUG}/index.html",
    ]
    assert listed(out, "sources/other-paper/index.html") == ["articles/third/index.html"]


def test_a_column_page_lists_only_its_column(out):
    doc = page(out, "sources/global-times/gt-voice/index.html")
    assert doc.xpath("string(//h1)") == "GT Voice"
    assert listed(out, "sources/global-times/gt-voice/index.html") == [
        "articles/fourth/index.html",
        "articles/second/index.html",
        f"articles/{SEED_SLUG}/index.html",
    ]


def test_the_sources_index_lists_every_source_and_column(out):
    doc = page(out, "sources/index.html")
    hrefs = [posixpath.normpath(posixpath.join("sources", h)) for h in doc.xpath("//main//ul//a/@href")]
    assert hrefs == [
        "sources/global-times/index.html",
        "sources/global-times/gt-voice/index.html",
        "sources/other-paper/index.html",
    ]


@pytest.mark.parametrize(
    "feed, titles",
    [
        (
            "sources/global-times/feed.xml",
            [
                "Fourth",
                "Second: MiniMax & GigaDevice {R&D} 100% up_now",
                ("GT Voice: Synergy between mainland AI companies, HK market fosters new tech financing hub"),
            ],
        ),
        ("sources/global-times/gt-voice/feed.xml", None),
        ("sources/other-paper/feed.xml", ["Third"]),
    ],
)
def test_each_source_and_column_has_an_atom_feed(out, feed, titles):
    root = lxml.etree.fromstring((out / feed).read_bytes())
    got = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert got == titles if titles else len(got) == 3
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == BASE + feed
    html = feed.replace("feed.xml", "index.html")
    assert page(out, html).xpath("//link[@type='application/atom+xml']/@href")[-1] == "feed.xml"


def test_the_column_label_of_every_article_links_to_its_column_page(out):
    for slug in ("second", "fourth", SEED_SLUG):
        doc = page(out, f"articles/{slug}/index.html")
        (label,) = doc.xpath("//header//*[contains(@class, 'kicker')]//a[contains(@class, 'column')]")
        assert label.text_content() == "GT Voice"
        assert label.get("href") == "../../sources/global-times/gt-voice/index.html"
        (source,) = doc.xpath("//header//a[contains(@class, 'source')]")
        assert source.get("href") == "../../sources/global-times/index.html"
    home = page(out, "index.html")
    kickers = home.xpath("//p[contains(@class, 'kicker')]/a/@href")
    assert kickers and set(kickers) == {"sources/global-times/gt-voice/index.html"}


def test_source_pages_are_in_the_sitemap(out):
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    for path in ("sources/", "sources/global-times/", "sources/global-times/gt-voice/", "sources/other-paper/"):
        assert f"<loc>{BASE}{path}</loc>" in sitemap


@pytest.mark.parametrize(
    "first, second",
    [
        ("Global Times", "Global times"),  # differ only in case
        ("Global Times", "Global-Times"),  # slugify to the same text
    ],
)
def test_two_spellings_of_one_source_url_fail_naming_both_files(project, run, first, second):
    write_article(project, "a.md", front("A", "2026-02-01T10:00:00+08:00", "[]", source=second))
    result = run(project, "build")
    assert result.code == 1
    seed = "seeds/articles/gt-voice-synergy-between-mainland-ai-companies-hk-market-fosters-new-tech-financing-hub.md"
    # The first file by name owns the spelling; the message names both files and lines.
    assert result.err == (
        f"{seed}:4: source: source {first!r} would have the same URL (…/global-times/) as "
        f"{second!r} in seeds/articles/a.md:4; use one spelling\n1 error; nothing was written\n"
    )
    assert not (project / "output").exists()


def test_two_spellings_of_one_column_fail_naming_both_files(project, run):
    write_article(project, "a.md", front("A", "2026-02-01T10:00:00+08:00", "[]", extra="column: GT VOICE"))
    result = run(project, "build")
    assert result.code == 1
    assert result.err.startswith(
        "seeds/articles/gt-voice-synergy-between-mainland-ai-companies-hk-market-fosters-new-"
        "tech-financing-hub.md:5: column: column 'GT Voice' would have the same URL "
        "(…/gt-voice/) as 'GT VOICE' in seeds/articles/a.md:6; use one spelling\n"
    )


def test_a_source_with_no_letters_or_digits_is_an_error(project, run):
    write_article(project, "a.md", front("A", "2026-02-01T10:00:00+08:00", "[]", source="'***'"))
    result = run(project, "build")
    assert result.code == 1
    assert result.err.startswith(
        "seeds/articles/a.md:4: source: source '***' gives no usable URL name (it has no letters or digits)\n"
    )


def test_a_held_back_article_that_would_clash_when_it_goes_live_fails_the_build_now(project, run):
    write_article(project, "a.md", front("A", "2099-02-01T10:00:00+08:00", "[]", source="Global times"))
    result = run(project, "build")
    assert result.code == 1
    assert "'Global times' in seeds/articles/a.md:4; use one spelling\n" in result.err
