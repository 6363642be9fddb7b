"""End-to-end builds of the archive: links, company pages, archive, pagination, base URL and drafts."""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.etree
import lxml.html
import pytest
import yaml

from conftest import BASE, COMPANY_IDS, REPO, SEED_SLUG, minimal_front, write_article
from site_builder.cli import main
from site_builder.outputs.theme import PACKAGE_THEME

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SEED_ARTICLE = f"articles/{SEED_SLUG}/index.html"
REGISTRY = {c["id"]: c for c in yaml.safe_load((REPO / "seeds" / "companies.yaml").read_text(encoding="utf-8"))}


def parse_html(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))


def html_pages(root: Path) -> dict[str, lxml.html.HtmlElement]:
    """{output path: parsed page} for every HTML page of a built site."""
    return {p.relative_to(root).as_posix(): parse_html(p) for p in sorted(root.rglob("*.html"))}


def has_class(cls: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')"


def internal_links(doc: lxml.html.HtmlElement) -> list[str]:
    """Every href and src that points inside the site: not http(s), mailto, or a fragment alone."""
    found = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("href", "src"):
            value = el.get(attr)
            if value is None:
                continue
            scheme = urlsplit(value).scheme.lower()
            if scheme in ("http", "https", "mailto") or value.startswith("#"):
                continue
            found.append(value)
    return found


def target_of(root: Path, page: str, href: str, base_path: str = "/") -> Path:
    """The file an internal link on `page` leads to: relative to the page, or root-relative under base_path."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, f"{page}: unexpected link {href!r}"
    path = unquote(parts.path)
    if path.startswith("/"):
        assert path.startswith(base_path), f"{page}: {href!r} is outside the base path {base_path!r}"
        rel = path[len(base_path) :]
    else:
        rel = posixpath.join(posixpath.dirname(page), path)
    rel = posixpath.normpath(rel) if rel else "."
    assert rel != ".." and not rel.startswith("../"), f"{page}: {href!r} leaves the site"
    target = root / rel
    if target.is_dir() or path.endswith("/"):
        target = target / "index.html"
    return target


def build_with_cli(source: Path, output: Path, *extra: str) -> None:
    code = main(["build", "--source", str(source), "--templates", str(PACKAGE_THEME), "--output", str(output), *extra])
    assert code == 0


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(REPO / "seeds", root / "seeds")
    build_with_cli(root / "seeds", root / "output", "--base-url", BASE)
    return root / "output"


@pytest.fixture(scope="module")
def seed_pages(seed_site: Path) -> dict[str, lxml.html.HtmlElement]:
    return html_pages(seed_site)


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds with a second article, built for https://example.org/sub/."""
    root = tmp_path_factory.mktemp("subpath")
    shutil.copytree(REPO / "seeds", root / "seeds")
    write_article(root, "second.md", minimal_front(title="Second", companies="[minimax]"))
    build_with_cli(root / "seeds", root / "output", "--base-url", "https://example.org/sub/")
    return root / "output"


def test_the_site_has_every_kind_of_page(seed_site):
    expected = [
        "index.html",
        SEED_ARTICLE,
        "companies/index.html",
        "archive/index.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        *(f"companies/{c}/index.html" for c in COMPANY_IDS),
        *(f"companies/{c}/feed.xml" for c in COMPANY_IDS),
    ]
    missing = [p for p in expected if not (seed_site / p).is_file()]
    assert missing == []


def check_links(root: Path, pages: dict[str, lxml.html.HtmlElement], base_path: str = "/") -> int:
    checked = 0
    broken = []
    for page, doc in pages.items():
        for href in internal_links(doc):
            checked += 1
            target = target_of(root, page, href, base_path)
            if not target.is_file():
                broken.append((page, href))
    assert broken == []
    return checked


def test_every_internal_link_resolves_to_a_file(seed_site, seed_pages):
    assert check_links(seed_site, seed_pages) > 50


def test_every_internal_link_resolves_under_a_subpath(subpath_site):
    assert check_links(subpath_site, html_pages(subpath_site), "/sub/") > 50


def test_the_link_checker_catches_a_broken_link(seed_site):
    doc = lxml.html.fromstring(
        '<p><a href="../nowhere/index.html">x</a><a href="../companies/">y</a><img src="missing.png"></p>'
    )
    broken = [h for h in internal_links(doc) if not target_of(seed_site, "archive/index.html", h).is_file()]
    assert broken == ["../nowhere/index.html", "missing.png"]


def test_the_stylesheet_exists_and_its_name_carries_a_hash(seed_site, seed_pages):
    sheets = {
        posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
        for page, doc in seed_pages.items()
        if page != "404.html"
        for href in doc.xpath("//link[@rel='stylesheet']/@href")
    }
    assert len(sheets) == 1
    sheet = sheets.pop()
    assert re.fullmatch(r"static/style\.[0-9a-f]{8,}\.css", sheet), sheet
    assert (seed_site / sheet).read_bytes() == (PACKAGE_THEME / "static" / "style.css").read_bytes()
    assert seed_pages["404.html"].xpath("//link[@rel='stylesheet']/@href") == ["/" + sheet]


@pytest.mark.parametrize("company_id", COMPANY_IDS)
def test_company_page_lists_the_seed_article_with_context(seed_pages, company_id):
    page = f"companies/{company_id}/index.html"
    doc = seed_pages[page]
    entries = doc.xpath("//ol[contains(@class, 'timeline')]/li")
    assert len(entries) == 1
    hrefs = [posixpath.normpath(posixpath.join(posixpath.dirname(page), h)) for h in entries[0].xpath(".//a/@href")]
    assert SEED_ARTICLE in hrefs
    context = entries[0].xpath(f".//*[{has_class('context')}]")
    assert len(context) == 1
    text = context[0].text_content()
    company = REGISTRY[company_id]
    names = [company["name"], *company.get("aliases", [])]
    assert any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) for n in names), text
    assert 20 < len(text) < 1000


def test_company_index_lists_all_five_a_to_z_with_descriptions_and_counts(seed_pages):
    doc = seed_pages["companies/index.html"]
    items = doc.xpath(f"//ul[{has_class('company-index')}]/li")
    rows = []
    for li in items:
        (a,) = li.xpath(f".//*[{has_class('company-name')}]/a")
        cid = posixpath.normpath(posixpath.join("companies", a.get("href"))).split("/")[1]
        rows.append(
            (
                cid,
                a.text_content().strip(),
                li.xpath(f"string(.//*[{has_class('company-desc')}])").strip(),
                li.xpath(f"string(.//*[{has_class('count')}])").strip(),
            )
        )
    assert sorted(r[0] for r in rows) == sorted(COMPANY_IDS)
    names = [r[1] for r in rows]
    assert names == sorted(names, key=str.casefold)
    for cid, name, desc, count in rows:
        assert name == REGISTRY[cid]["name"]
        assert desc == REGISTRY[cid]["description"]
        assert count == "1 article"


def test_archive_groups_the_seed_under_2026_january(seed_pages):
    doc = seed_pages["archive/index.html"]
    assert [" ".join(h.text_content().split()) for h in doc.xpath("//section/h2")] == ["2026 1 article"]
    months = doc.xpath("//h3")
    assert [" ".join(h.text_content().split()) for h in months] == ["January 2026 1 article"]
    listed = months[0].xpath("following-sibling::ul[1]//a/@href")
    assert [posixpath.normpath(posixpath.join("archive", h)) for h in listed] == [SEED_ARTICLE]


def test_pagination_splits_five_articles_into_three_pages(project, run):
    config = project / "seeds" / "site.toml"
    config.write_text(
        re.sub(r"(?m)^page_size = \d+$", "page_size = 2", config.read_text(encoding="utf-8")), encoding="utf-8"
    )
    for day in range(1, 5):
        write_article(
            project, f"extra-{day}.md", minimal_front(title=f"Extra {day}", published=f"2026-02-0{day}T10:00:00+08:00")
        )
    result = run(project, "build")
    assert result.code == 0, result.err
    out = project / "output"
    pages = ["index.html", "page/2/index.html", "page/3/index.html"]
    assert all((out / p).is_file() for p in pages)
    assert not (out / "page/4").exists() and not (out / "page/1").exists()
    docs = {p: parse_html(out / p) for p in pages}

    def pager(page: str) -> dict[str, str]:
        return {
            a.get("rel"): posixpath.normpath(posixpath.join(posixpath.dirname(page), a.get("href")))
            for a in docs[page].xpath("//nav[contains(@class, 'pager')]//a")
        }

    assert pager("index.html") == {"next": "page/2/index.html"}
    assert pager("page/2/index.html") == {"prev": "index.html", "next": "page/3/index.html"}
    assert pager("page/3/index.html") == {"prev": "page/2/index.html"}
    listed = []
    for page in pages:
        titles = [h.text_content().strip() for h in docs[page].xpath(f"//*[{has_class('item-title')}]")]
        assert 1 <= len(titles) <= 2
        listed += titles
    assert listed[:4] == ["Extra 4", "Extra 3", "Extra 2", "Extra 1"]  # newest first
    assert len(listed) == 5 and listed[4].startswith("Synergy between")  # under its column's kicker, GT Voice


def test_base_url_makes_absolute_urls_and_leaves_internal_links_relative(subpath_site):
    base = "https://example.org/sub/"
    pages = html_pages(subpath_site)
    for page, doc in pages.items():
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        assert len(canonical) == 1 and canonical[0].startswith(base), page
        assert doc.xpath("string(//meta[@property='og:url']/@content)") == canonical[0]
        hrefs = doc.xpath("//a/@href | //link[@rel!='canonical']/@href | //img/@src | //script/@src")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https"):
                assert not href.startswith(base), (page, href)  # no absolute link to our own site
            elif page == "404.html":
                assert href.startswith(("/sub/", "#")), (page, href)
            else:
                assert not href.startswith("/"), (page, href)
    assert pages[SEED_ARTICLE].xpath("string(//link[@rel='canonical']/@href)") == f"{base}articles/{SEED_SLUG}/"
    assert pages["index.html"].xpath("string(//link[@rel='canonical']/@href)") == base
    for feed in ["feed.xml", *(f"companies/{c}/feed.xml" for c in COMPANY_IDS)]:
        root = lxml.etree.fromstring((subpath_site / feed).read_bytes())
        urls = [link.get("href") for link in root.iter(f"{ATOM}link")] + [e.text for e in root.iter(f"{ATOM}id")]
        assert urls and all(u.startswith(base) for u in urls), feed
    assert (
        lxml.etree.fromstring((subpath_site / "feed.xml").read_bytes()).find(f"{ATOM}link[@rel='self']").get("href")
        == f"{base}feed.xml"
    )
    locs = [
        loc.text for loc in lxml.etree.fromstring((subpath_site / "sitemap.xml").read_bytes()).iter(f"{SITEMAP}loc")
    ]
    assert locs and all(loc.startswith(base) for loc in locs)
    assert f"{base}articles/second/" in locs
    robots = (subpath_site / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert f"Sitemap: {base}sitemap.xml" in robots


def test_drafts_are_not_published_anywhere(project, run):
    title = "Unpublished draft about MiniMax"
    write_article(
        project,
        "secret-draft.md",
        minimal_front(
            title=title,
            published="2026-03-01T10:00:00+08:00",
            companies="[minimax, gigadevice-semiconductor]",
            extra="draft: true\nslug: secret-draft",
        ),
        body="MiniMax said something in this secret draft.\n",
    )
    write_article(
        project, "public.md", minimal_front(title="Public article", companies="[minimax]", extra="slug: public")
    )
    result = run(project, "build")
    assert result.code == 0, result.err
    out = project / "output"
    assert (out / "articles/public/index.html").is_file()  # the build did publish the non-draft
    assert not (out / "articles/secret-draft").exists()
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt"):
            assert "secret-draft" not in path.read_text(encoding="utf-8"), path
    pages = html_pages(out)
    for page, doc in pages.items():
        assert title not in doc.text_content(), page
        for href in internal_links(doc):
            assert "secret-draft" not in href, (page, href)
    for feed in ["feed.xml", "companies/minimax/feed.xml", "companies/gigadevice-semiconductor/feed.xml"]:
        root = lxml.etree.fromstring((out / feed).read_bytes())
        titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
        assert title not in titles, feed
    assert "Public article" in [
        e.findtext(f"{ATOM}title")
        for e in lxml.etree.fromstring((out / "companies/minimax/feed.xml").read_bytes()).iter(f"{ATOM}entry")
    ]
    locs = [loc.text for loc in lxml.etree.fromstring((out / "sitemap.xml").read_bytes()).iter(f"{SITEMAP}loc")]
    assert not any("secret-draft" in loc for loc in locs)
    minimax = pages["companies/minimax/index.html"]
    assert len(minimax.xpath("//ol[contains(@class, 'timeline')]/li")) == 2  # the seed and the public one
    companies = pages["companies/index.html"]
    counts = {
        li.xpath(f"string(.//*[{has_class('company-name')}]/a)").strip(): li.xpath(
            f"string(.//*[{has_class('count')}])"
        ).strip()
        for li in companies.xpath(f"//ul[{has_class('company-index')}]/li")
    }
    assert counts["MiniMax"] == "2 articles"
    assert counts["GigaDevice Semiconductor"] == "1 article"


def test_relative_links_match_posixpath_relpath():
    import itertools
    import posixpath

    from site_builder.core.urls import relative

    paths = [
        "index.html",
        "page/2/index.html",
        "articles/a/index.html",
        "articles/a/citation.bib",
        "articles/b/index.html",
        "companies/x/feed.xml",
        "companies/index.html",
        "static/style.1.css",
        "sources/g/c/index.html",
        "sources/g/index.html",
        "404.html",
    ]
    for here, there in itertools.product(paths, paths):
        assert relative(here, there) == posixpath.relpath(there, posixpath.dirname(here) or ".")
