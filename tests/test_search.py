"""Search (Pagefind run during build) and the company timeline chart: what the build writes, without a browser."""

from __future__ import annotations

from datetime import timedelta, timezone

import lxml.html
import pytest

from conftest import COMPANY_IDS, SEED_SLUG, needs_sh, tree_digest
from site_builder.engine.search import ENV_BINARY, find_pagefind

needs_pagefind = pytest.mark.skipif(
    find_pagefind() is None, reason="the pagefind binary is not installed (pip install 'pagefind[bin]')"
)
TZ = timezone(timedelta(hours=8))


@needs_pagefind
def test_build_writes_the_search_bundle_and_only_what_the_search_page_loads(project, run):
    result = run(project, "build")
    assert result.code == 0, result.err
    assert "pagefind" not in result.err
    bundle = project / "output" / "pagefind"
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json"} <= names
    assert any(n.startswith("fragment/") for n in names) and any(n.startswith("index/") for n in names)
    assert not [n for n in names if "-ui." in n or "highlight" in n]  # Pagefind's own UIs are not shipped


@needs_pagefind
def test_the_index_covers_every_article_and_company_page_and_nothing_else(project, run):
    assert run(project, "build").code == 0
    out = project / "output"
    indexed = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*.html")
        if "data-pagefind-body" in p.read_text(encoding="utf-8")
    )
    assert indexed == sorted([f"articles/{SEED_SLUG}/index.html", *(f"companies/{c}/index.html" for c in COMPANY_IDS)])
    fragments = list((out / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert len(fragments) == len(indexed)


@needs_pagefind
def test_two_builds_give_byte_identical_sites_search_index_included(project, run, tmp_path):
    assert run(project, "build", "--output", "one").code == 0
    assert run(project, "build", "--output", "two").code == 0
    one, two = tree_digest(project / "one"), tree_digest(project / "two")
    assert any(p.startswith("pagefind/") for p in one)
    assert one == two


def test_without_the_binary_the_build_says_so_and_writes_the_rest(project, run, monkeypatch):
    monkeypatch.setenv(ENV_BINARY, "")
    result = run(project, "build")
    assert result.code == 0
    assert (
        "pagefind: warning: search index turned off (SITE_BUILDER_PAGEFIND is empty): the site is built without its "
        "search index; its search page lists every article and company instead"
    ) in result.err.splitlines()
    out = project / "output"
    assert not (out / "pagefind").exists()
    assert (out / "search" / "index.html").is_file() and (out / "articles" / SEED_SLUG / "index.html").is_file()


def test_installing_the_binary_after_a_build_without_it_gives_search_on_the_next_build(project, run, monkeypatch):
    import site_builder.engine.search

    with monkeypatch.context() as m:
        m.setattr(site_builder.engine.search, "find_pagefind", lambda: None)  # not installed yet
        assert run(project, "build").code == 0
    assert not (project / "output" / "pagefind").exists()
    result = run(project, "build")  # nothing else changed: the build cache must not replay "no search"
    assert (result.code, result.err) == (0, "")
    assert (project / "output" / "pagefind" / "pagefind.js").is_file()


def test_without_the_binary_a_strict_build_fails(project, run, monkeypatch):
    monkeypatch.setenv(ENV_BINARY, "")
    result = run(project, "build", "--strict")
    assert result.code == 1
    assert "pagefind: search index turned off" in result.err


@needs_sh
def test_a_failing_binary_is_reported_and_the_rest_is_built(project, run, monkeypatch, tmp_path):
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: broken index' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv(ENV_BINARY, str(fake))
    result = run(project, "build")
    assert result.code == 0
    assert "pagefind: warning: exited 3, saying 'Error: broken index': the site is built without" in result.err
    assert (project / "output" / "index.html").is_file()


def test_the_search_page_without_javascript_lists_every_article_and_company(project, run):
    assert run(project, "build").code == 0
    page = project / "output" / "search" / "index.html"
    doc = lxml.html.fromstring(page.read_bytes())
    hrefs = doc.xpath('//div[@id="search-all"]//a/@href')
    assert f"../articles/{SEED_SLUG}/index.html" in hrefs
    assert {f"../companies/{c}/index.html" for c in COMPANY_IDS} <= set(hrefs)
    form = doc.xpath('//form[@role="search"]')[0]
    assert form.get("action") == "index.html" and form.get("method") == "get"
    assert doc.xpath("//script/@src") == ["../static/search.js"]  # external: the CSP forbids inline script


def test_every_other_page_has_a_search_box_that_leads_to_the_search_page(project, run):
    assert run(project, "build").code == 0
    out = project / "output"
    for rel, action in [
        ("index.html", "search/index.html"),
        (f"articles/{SEED_SLUG}/index.html", "../../search/index.html"),
        ("404.html", "/search/"),
    ]:
        doc = lxml.html.fromstring((out / rel).read_bytes())
        form = doc.xpath('//header//form[@role="search"]')[0]
        assert form.get("action") == action, rel
        assert doc.xpath('//label[@for="site-search-q"]') and doc.xpath('//input[@id="site-search-q"][@name="q"]')


# ------------------------------------------------------------------ the timeline chart


def test_company_pages_carry_the_chart_and_the_companies_mentioned_alongside(project, run):
    assert run(project, "build").code == 0
    page = (project / "output" / "companies" / "minimax" / "index.html").read_text(encoding="utf-8")
    # one month of mentions: a sentence, not a chart (tests/test_reader.py has the chart)
    assert "<svg" not in page and "Mentioned in 1 article, in January 2026." in page
    doc = lxml.html.fromstring(page)
    alongside = doc.xpath('//section[@aria-labelledby="alongside-heading"]//a/text()')
    assert "Knowledge Atlas Technology Joint Stock Company" in alongside and "MiniMax" not in alongside
