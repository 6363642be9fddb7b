"""The rendered pages: the seed article page, page metadata, escaping of hostile text and body sanitising."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import pytest

from conftest import BASE, COMPANY_IDS, REPO, SEED_RAW, SEED_SLUG, minimal_front, write_article
from site_builder.engine.build import build
from site_builder.outputs.theme import PACKAGE_THEME

ARTICLE = f"articles/{SEED_SLUG}/index.html"
ORIGINAL_URL = "https://www.globaltimes.cn/page/202601/1353362.shtml"
SEED_NAMES = {  # what the seed body calls each company
    "shanghai-biren-technology": "Shanghai Biren Technology Co",
    "shanghai-iluvatar-corex-semiconductor": "Shanghai Iluvatar CoreX Semiconductor Co",
    "knowledge-atlas-technology": "Knowledge Atlas Technology Joint Stock Company",
    "minimax": "MiniMax",
    "gigadevice-semiconductor": "GigaDevice Semiconductor",
}
LD_JSON = "application/ld+json"


def parse_html(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))


def html_pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def resolve(page: str, href: str) -> str:
    """The output path a relative href on output page `page` points at."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), href))


def css(doc, selector: str) -> list:
    """Elements matching 'tag.class' (tag may be empty), optionally followed by ' tag' for descendants."""
    steps = []
    for part in selector.split():
        tag, _, cls = part.partition(".")
        cond = f"[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]" if cls else ""
        steps.append(f"{tag or '*'}{cond}")
    return doc.xpath(".//" + "//".join(steps))


def json_ld(doc: lxml.html.HtmlElement) -> dict:
    scripts = doc.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def scripts_other_than_json_ld(doc: lxml.html.HtmlElement) -> list:
    """Scripts but JSON-LD data blocks and empty <script src> elements loading the site's own static/*.js."""
    return [
        s
        for s in doc.iter("script")
        if (s.get("type") or "").strip().lower() != LD_JSON
        and not (re.fullmatch(r"(\.\./)*static/[a-z-]+\.js", s.get("src") or "") and not (s.text or "").strip())
    ]


def event_attributes(doc: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    return [
        (el.tag, name)
        for el in doc.iter()
        if isinstance(el.tag, str)
        for name in el.attrib
        if name.lower().startswith("on")
    ]


URL_ATTRIBUTES = {
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "cite",
    "xlink:href",
    "{http://www.w3.org/1999/xlink}href",
}


def javascript_urls(doc: lxml.html.HtmlElement) -> list[tuple[str, str, str]]:
    """Every URL-bearing attribute whose value, whitespace removed, holds a javascript: URL."""
    return [
        (el.tag, name, value)
        for el in doc.iter()
        if isinstance(el.tag, str)
        for name, value in el.attrib.items()
        if name.lower() in URL_ATTRIBUTES and "javascript:" in "".join(value.split()).lower()
    ]


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real seeds/ built once, read by many tests."""
    root = tmp_path_factory.mktemp("seed-site")
    shutil.copytree(REPO / "seeds", root / "seeds")
    build(root / "seeds", root / "output", PACKAGE_THEME, {"base_url": BASE})
    return root / "output"


@pytest.fixture(scope="module")
def seed_page(seed_site: Path) -> lxml.html.HtmlElement:
    return parse_html(seed_site / ARTICLE)


# The seed article page -----------------------------------------------------------------------------------------


def test_published_time_is_machine_readable_with_its_offset(seed_page):
    times = seed_page.xpath("//header[contains(@class, 'article-header')]//time")
    assert [t.get("datetime") for t in times] == ["2026-01-15T23:42:00+08:00"]


@pytest.mark.parametrize("company_id", COMPANY_IDS)
def test_each_company_mention_in_the_body_links_to_its_page(seed_page, company_id):
    body = css(seed_page, ".body")
    assert len(body) == 1
    links = [(a.text_content(), a.get("href")) for a in body[0].iter("a")]
    assert (SEED_NAMES[company_id], f"../../companies/{company_id}/index.html") in links


def test_the_alias_zhipu_links_to_knowledge_atlas(seed_page):
    links = [(a.text_content(), a.get("href")) for a in css(seed_page, ".body a")]
    assert ("Zhipu", "../../companies/knowledge-atlas-technology/index.html") in links


def test_companies_in_this_article_lists_all_five(seed_page):
    heading = seed_page.xpath("//h2[normalize-space()='Companies in this article']")
    assert len(heading) == 1
    section = heading[0].getparent()
    hrefs = [a.get("href") for a in section.xpath(".//li/a")]
    assert sorted(hrefs) == sorted(f"../../companies/{cid}/index.html" for cid in COMPANY_IDS)
    names = {a.text_content() for a in section.xpath(".//li/a")}
    assert names == set(SEED_NAMES.values())


def test_provenance_links_original_and_raw_and_shows_the_sha256(seed_page, seed_site):
    provenance = css(seed_page, ".provenance")
    assert len(provenance) == 1
    hrefs = [a.get("href") for a in provenance[0].iter("a")]
    assert ORIGINAL_URL in hrefs
    raw_name = SEED_RAW.name
    raw_links = [h for h in hrefs if resolve(ARTICLE, h) == f"raw/{raw_name}"]
    assert raw_links, hrefs
    assert (seed_site / "raw" / raw_name).read_bytes() == SEED_RAW.read_bytes()
    expected = hashlib.sha256(SEED_RAW.read_bytes()).hexdigest()
    shown = [el.text_content().strip() for el in provenance[0].iter("code", "dd")]
    assert expected in shown


def test_json_ld_is_a_news_article(seed_page):
    data = json_ld(seed_page)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == seed_page.xpath("string(//h1/@data-title)")  # the h1 shows it under the kicker
    assert data["headline"].startswith("GT Voice: Synergy between mainland AI companies")
    assert data["datePublished"] == "2026-01-15T23:42:00+08:00"


def test_previous_and_next_link_two_articles_to_each_other(project, run):
    write_article(
        project, "second-article.md", minimal_front(title="A second article", published="2026-02-01T10:00:00+08:00")
    )
    result = run(project, "build")
    assert result.code == 0, result.err
    out = project / "output"
    second = "articles/second-article/index.html"
    # The seed is older: its page links forward (next) to the second; the second links back (prev) to the seed.
    seed_doc, second_doc = parse_html(out / ARTICLE), parse_html(out / second)
    seed_links = {a.get("rel"): resolve(ARTICLE, a.get("href")) for a in css(seed_doc, "nav.prev-next a")}
    second_links = {a.get("rel"): resolve(second, a.get("href")) for a in css(second_doc, "nav.prev-next a")}
    assert seed_links == {"next": second}
    assert second_links == {"prev": ARTICLE}


def test_a_single_article_has_no_previous_or_next(seed_page):
    assert css(seed_page, "nav.prev-next a") == []


# Every page ---------------------------------------------------------------------------------------------------


def test_every_page_has_language_title_description_canonical_and_open_graph(seed_site):
    pages = html_pages(seed_site)
    assert len(pages) >= 9
    for page in pages:
        doc = parse_html(page)
        where = page.relative_to(seed_site).as_posix()
        assert doc.get("lang", "").strip(), where
        titles = doc.xpath("/html/head/title")
        assert len(titles) == 1 and titles[0].text_content().strip(), where
        description = doc.xpath("//meta[@name='description']/@content")
        assert len(description) == 1 and description[0].strip(), where
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        assert len(canonical) == 1, where
        parts = urlsplit(canonical[0])
        assert parts.scheme in ("http", "https") and parts.netloc, (where, canonical)
        for prop in ("og:title", "og:url", "og:type"):
            values = doc.xpath(f"//meta[@property='{prop}']/@content")
            assert len(values) == 1 and values[0].strip(), (where, prop)
        assert doc.xpath("string(//meta[@property='og:url']/@content)") == canonical[0], where


def test_canonical_urls_are_distinct_per_page(seed_site):
    canonicals = [parse_html(p).xpath("string(//link[@rel='canonical']/@href)") for p in html_pages(seed_site)]
    assert len(set(canonicals)) == len(canonicals)


# Escaping -----------------------------------------------------------------------------------------------------

HOSTILE_TITLE = '<script>alert("x")</script> & "quotes"'
HOSTILE_SUMMARY = "</script><script>alert('summary')</script> & <b>bold</b> \"q\""
HOSTILE_CREDIT = '<img src=x onerror="alert(1)"> & "credit"'
HOSTILE_URL = 'https://evil.example/"><script>alert(1)</script>?a=1&b="2"'
HOSTILE_COMPANY = 'Evil <script>alert("co")</script> & Co "Ltd"'
HOSTILE_DESCRIPTION = '<iframe src="javascript:alert(1)"></iframe> & maker'


@pytest.fixture
def hostile_site(project, run) -> Path:
    registry = project / "seeds" / "companies.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8") + "\n- id: evil-co\n"
        f"  name: {json.dumps(HOSTILE_COMPANY)}\n"
        f"  description: {json.dumps(HOSTILE_DESCRIPTION)}\n",
        encoding="utf-8",
    )
    extra = (
        f"summary: {json.dumps(HOSTILE_SUMMARY)}\nillustration: {json.dumps(HOSTILE_CREDIT)}\n"
        f"url: {json.dumps(HOSTILE_URL)}\nslug: hostile\n"
    )
    write_article(
        project, "hostile.md", minimal_front(title=HOSTILE_TITLE, companies="[evil-co, minimax]", extra=extra)
    )
    result = run(project, "build")
    assert result.code == 0, result.err
    return project / "output"


def test_hostile_text_never_becomes_script_on_any_page(hostile_site):
    pages = html_pages(hostile_site)
    assert len(pages) >= 10
    for page in pages:
        doc = parse_html(page)
        where = page.relative_to(hostile_site).as_posix()
        assert scripts_other_than_json_ld(doc) == [], where
        assert event_attributes(doc) == [], where
        assert javascript_urls(doc) == [], where


def test_hostile_title_round_trips_in_h1_title_and_json_ld(hostile_site):
    doc = parse_html(hostile_site / "articles/hostile/index.html")
    assert [h.text_content() for h in doc.iter("h1")] == [HOSTILE_TITLE]
    assert doc.xpath("string(/html/head/title)") == f"{HOSTILE_TITLE} · Source Archive"
    assert doc.xpath("string(//meta[@property='og:title']/@content)") == HOSTILE_TITLE
    data = json_ld(doc)
    assert data["headline"] == HOSTILE_TITLE
    assert data["description"] == HOSTILE_SUMMARY
    assert data["isBasedOn"] == HOSTILE_URL
    # Lists link the article by its exact title too.
    for page in ("index.html", "archive/index.html", "companies/evil-co/index.html", "companies/minimax/index.html"):
        listing = parse_html(hostile_site / page)
        texts = [
            a.text_content().strip()
            for a in listing.iter("a")
            if resolve(page, a.get("href", "")) == "articles/hostile/index.html"
        ]
        assert texts == [HOSTILE_TITLE], page


def test_hostile_summary_credit_url_and_company_round_trip_as_text(hostile_site):
    doc = parse_html(hostile_site / "articles/hostile/index.html")
    assert doc.xpath("string(//meta[@name='description']/@content)") == HOSTILE_SUMMARY
    assert [p.text_content() for p in css(doc, "p.credit")] == [f"Illustration: {HOSTILE_CREDIT}"]
    originals = [a for a in css(doc, ".provenance a") if a.get("rel") == "external"]
    assert [(a.get("href"), a.text_content()) for a in originals] == [(HOSTILE_URL, HOSTILE_URL)]
    listed = {a.get("href"): a.text_content() for a in doc.xpath("//section[h2[@id='companies-heading']]//li/a")}
    assert listed["../../companies/evil-co/index.html"] == HOSTILE_COMPANY
    company = parse_html(hostile_site / "companies/evil-co/index.html")
    assert [h.text_content() for h in company.iter("h1")] == [HOSTILE_COMPANY]
    assert [p.text_content() for p in css(company, "p.lede")] == [HOSTILE_DESCRIPTION]
    index = parse_html(hostile_site / "companies/index.html")
    assert HOSTILE_COMPANY in [a.text_content() for a in css(index, "ul.company-index a")]


def test_feeds_still_parse_and_carry_the_hostile_text_exactly(hostile_site):
    atom = "{http://www.w3.org/2005/Atom}"
    for feed in ("feed.xml", "companies/evil-co/feed.xml", "companies/minimax/feed.xml"):
        root = lxml.etree.fromstring((hostile_site / feed).read_bytes())
        titles = [e.findtext(f"{atom}title") for e in root.iter(f"{atom}entry")]
        assert HOSTILE_TITLE in titles, feed
        labels = [c.get("label") for c in root.iter(f"{atom}category")]
        assert HOSTILE_COMPANY in labels, feed
        summaries = [e.findtext(f"{atom}summary") for e in root.iter(f"{atom}entry")]
        assert HOSTILE_SUMMARY in summaries, feed
    company_feed = lxml.etree.fromstring((hostile_site / "companies/evil-co/feed.xml").read_bytes())
    assert company_feed.findtext(f"{atom}title") == f"{HOSTILE_COMPANY}: Source Archive"
    sitemap = lxml.etree.fromstring((hostile_site / "sitemap.xml").read_bytes())
    assert len(sitemap) >= 10


# Body sanitising ----------------------------------------------------------------------------------------------

HOSTILE_BODY = """\
A paragraph before. MiniMax is named here.

<script>alert("body")</script>

<img src=x onerror="alert('img')">

A <a href="javascript:alert('link')">javascript link</a> and a <a href=" JaVaScRiPt:alert(2)">spaced one</a>.

A <a onclick="alert('click')" href="https://ok.example/">handler link</a> and <b onmouseover="alert(3)">bold</b>.

<div onload="alert(4)"><p>Inside a div.</p></div>

<iframe src="javascript:alert(5)"></iframe><style>body{}</style><svg onload="alert(6)"></svg>

[markdown link](javascript:alert(7)) and ![image](javascript:alert(8))

The last paragraph.
"""


def test_hostile_body_is_sanitised(project, run):
    write_article(
        project,
        "dirty.md",
        minimal_front(title="Dirty body", companies="[minimax]", extra="slug: dirty"),
        body=HOSTILE_BODY,
    )
    result = run(project, "build")
    assert result.code == 0, result.err
    out = project / "output"
    doc = parse_html(out / "articles/dirty/index.html")
    body = css(doc, ".body")
    assert len(body) == 1
    assert "A paragraph before." in body[0].text_content()
    assert "The last paragraph." in body[0].text_content()
    assert ("MiniMax", "../../companies/minimax/index.html") in [
        (a.text_content(), a.get("href")) for a in body[0].iter("a")
    ]
    assert "https://ok.example/" in [a.get("href") for a in body[0].iter("a")]  # safe links survive
    for tag in ("script", "iframe", "style", "svg"):
        assert list(body[0].iter(tag)) == [], tag
    assert scripts_other_than_json_ld(doc) == []
    assert event_attributes(doc) == []
    assert javascript_urls(doc) == []
    # The same body goes into the feeds as escaped HTML: it must be just as clean there.
    atom = "{http://www.w3.org/2005/Atom}"
    for feed in ("feed.xml", "companies/minimax/feed.xml"):
        root = lxml.etree.fromstring((out / feed).read_bytes())
        contents = [
            e.findtext(f"{atom}content")
            for e in root.iter(f"{atom}entry")
            if e.findtext(f"{atom}title") == "Dirty body"
        ]
        assert len(contents) == 1, feed
        fragment = lxml.html.fragment_fromstring(contents[0], create_parent="div")
        assert list(fragment.iter("script")) == [], feed
        assert event_attributes(fragment) == [], feed
        assert javascript_urls(fragment) == [], feed


def test_the_markdown_extensions_are_extra_and_sane_lists_in_extras_own_order():
    from markdown.extensions.extra import extensions as extra

    from site_builder.content.markdown import EXTENSIONS

    assert [e.__module__.rsplit(".", 1)[-1] for e in EXTENSIONS] == [*extra, "sane_lists"]
