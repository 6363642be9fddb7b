"""Cite this article: a ready citation on the page, and CSL-JSON and BibTeX files that parse."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser

from conftest import SEED_SLUG
from depth import BASE, make_depth_site, page
from site_builder.outputs.citations import bib_escape

TITLE = "Second: MiniMax & GigaDevice {R&D} 100% up_now"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_depth_site(tmp_path_factory.mktemp("cite"))


def bib_entry(out: Path, slug: str) -> dict:
    parser = BibTexParser(common_strings=True)
    db = bibtexparser.loads((out / f"articles/{slug}/citation.bib").read_text(encoding="utf-8"), parser=parser)
    (entry,) = db.entries
    return entry


def test_the_page_offers_a_ready_citation_and_both_files(out):
    doc = page(out, "articles/second/index.html")
    (section,) = doc.xpath("//section[h2[@id='cite-heading']]")
    assert section.xpath("string(h2)") == "Cite this article"
    assert section.xpath("string(.//*[contains(@class, 'citation')])") == (
        f"Global Times. “{TITLE}.” GT Voice, 1 February 2026. https://example.com/news/2?a=1&b=2. "
        f"Archived in Source Archive: {BASE}articles/second/. Accessed 2 February 2026."
    )
    assert section.xpath(".//a/@href") == ["citation.json", "citation.bib"]
    assert all(a.get("download") is not None for a in section.xpath(".//a"))


def test_csl_json_is_one_item_with_the_fields_reference_managers_need(out):
    (item,) = json.loads((out / "articles/second/citation.json").read_text(encoding="utf-8"))
    assert item["type"] == "article-newspaper"
    assert item["id"] == "second"
    assert item["title"] == TITLE
    assert item["author"] == [{"literal": "Global Times"}]
    assert item["container-title"] == "Global Times"
    assert item["section"] == "GT Voice"
    assert item["issued"] == {"date-parts": [[2026, 2, 1]]}
    assert item["accessed"] == {"date-parts": [[2026, 2, 2]]}
    assert item["URL"] == "https://example.com/news/2?a=1&b=2"
    assert item["archive_location"] == f"{BASE}articles/second/"


def test_bibtex_parses_and_carries_the_same_facts(out):
    entry = bib_entry(out, "second")
    assert entry["ENTRYTYPE"] == "article" and entry["ID"] == "second"
    assert entry["author"] == "{Global Times}"  # a corporate author, kept whole
    # braces as commands: BibTeX counts every brace, escaped or not (see test_trust_strings.py)
    assert entry["title"] == r"Second: MiniMax \& GigaDevice \textbraceleft{}R\&D\textbraceright{} 100\% up\_now"
    assert entry["journaltitle"] == entry["journal"] == "Global Times"
    assert entry["date"] == "2026-02-01" and entry["year"] == "2026"
    assert entry["url"] == "https://example.com/news/2?a=1&b=2"
    assert entry["urldate"] == "2026-02-02"
    assert entry["note"] == rf"Archived in Source Archive: \url{{{BASE}articles/second/}}"


def test_without_retrieved_there_is_no_access_date_rather_than_the_clock(out):
    (item,) = json.loads((out / f"articles/{SEED_SLUG}/citation.json").read_text(encoding="utf-8"))
    assert "accessed" not in item
    assert "urldate" not in bib_entry(out, SEED_SLUG)
    text = page(out, f"articles/{SEED_SLUG}/index.html").xpath("string(//*[contains(@class, 'citation')])")
    assert "Accessed" not in text and text.startswith("Global Times. “GT Voice: Synergy")


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("a & b", r"a \& b"),
        ("100%", r"100\%"),
        ("{x}", r"\textbraceleft{}x\textbraceright{}"),
        ("}", r"\textbraceright{}"),
        ("$5 #1 a_b", r"\$5 \#1 a\_b"),
        ("back\\slash ~ ^", r"back\textbackslash{}slash \textasciitilde{} \textasciicircum{}"),
        ("two\n  lines", "two lines"),
        ("人工智能", "人工智能"),
    ],
)
def test_bibtex_escaping(text, escaped):
    assert bib_escape(text) == escaped
