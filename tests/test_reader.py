"""The reader's site, as built (no browser): the company timeline, the company index, titles under their column's
kicker, the archive's table of contents and the favicon."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from conftest import SEED_SLUG, minimal_front, tree_digest, write_article
from site_builder.engine.build import Builder
from site_builder.outputs.charts import draws_chart, month_counts, month_span, timeline_sentence, timeline_svg
from site_builder.outputs.favicon import favicon_svg, theme_colours
from site_builder.outputs.pages import headline
from site_builder.outputs.theme import PACKAGE_THEME

TZ = timezone(timedelta(hours=8))
SEED_TITLE = "GT Voice: Synergy between mainland AI companies, HK market fosters new tech financing hub"
SEED_HEADLINE = "Synergy between mainland AI companies, HK market fosters new tech financing hub"


def d(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 10, tzinfo=TZ)


def page(out: Path, rel: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((out / rel).read_bytes())


def text(el) -> str:
    return " ".join(el.text_content().split())


@pytest.fixture
def spread(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed (January 2026) plus MiniMax in March and May 2026 and GigaDevice in June 2026: the archive spans
    January to June; MiniMax is named in three months, every other company in one or two."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    for name, when, companies in [
        ("mm-march", "2026-03-05T10:00:00+08:00", "[minimax]"),
        ("mm-may", "2026-05-20T10:00:00+08:00", "[minimax]"),
        ("gd-june", "2026-06-01T10:00:00+08:00", "[gigadevice-semiconductor]"),
    ]:
        write_article(project, f"{name}.md", minimal_front(f"Story {name}", when, companies), "MiniMax, named.\n")
    return project


def build(project: Path, out: Path | None = None, cache: bool = True) -> Path:
    out = out or project / "output"
    Builder(project / "seeds", out, project / "templates", cache=cache).build()
    return out


# ------------------------------------------------------------------ the company timeline


def test_month_counts_span_exactly_the_given_months_and_no_more():
    dates = [d(2026, 1), d(2026, 1, 2), d(2026, 3)]
    assert month_counts(dates) == [(2026 * 12, 2), (2026 * 12 + 1, 0), (2026 * 12 + 2, 1)]  # its own months
    span = month_span([d(2025, 11), d(2026, 6)])
    counts = month_counts(dates, span)
    assert [m for m, _ in counts] == list(range(2025 * 12 + 10, 2026 * 12 + 6))  # Nov 2025 .. Jun 2026: 8
    assert sum(n for _, n in counts) == 3
    assert month_counts([]) == [] and month_span([]) is None


def test_the_chart_has_one_slot_per_month_of_its_span_and_is_accessible():
    svg = timeline_svg(
        [d(2026, 1), d(2026, 3), d(2026, 4)], 'Evil <Co> & "Sons"', span=month_span([d(2026, 1), d(2026, 5)])
    )
    doc = lxml.html.fromstring(svg)
    assert doc.tag == "svg" and doc.get("role") == "img"
    assert doc.get("aria-labelledby") == "timeline-chart-title timeline-chart-desc"
    assert "Mentions of Evil &lt;Co&gt; &amp; &quot;Sons&quot; per month" in svg
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    assert doc.xpath("//rect/@data-month") == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert doc.xpath("//rect[@class='bar']/@data-month") == ["2026-01", "2026-03", "2026-04"]
    assert [t.text for t in doc.xpath("//text[@class='label']")][-2:] == ["Jan 2026", "May 2026"]
    assert "January 2026 to May 2026" in doc.xpath("//desc")[0].text
    assert timeline_svg([], "x") == ""


def test_fewer_than_three_months_of_mentions_are_said_in_a_sentence():
    assert not draws_chart([d(2026, 1), d(2026, 1)]) and not draws_chart([d(2026, 1), d(2026, 5)])
    assert draws_chart([d(2026, 1), d(2026, 2), d(2026, 5)])
    assert timeline_sentence([d(2026, 1)]) == "Mentioned in 1 article, in January 2026."
    assert timeline_sentence([d(2026, 1), d(2026, 1, 3)]) == "Mentioned in 2 articles, in January 2026."
    assert (
        timeline_sentence([d(2026, 3), d(2025, 12), d(2026, 3, 1)])
        == "Mentioned in 3 articles: 1 in December 2025 and 2 in March 2026."
    )


def test_a_company_chart_spans_the_archive_months_and_a_rare_one_gets_a_sentence(spread):
    out = build(spread)
    minimax = page(out, "companies/minimax/index.html")
    assert minimax.xpath("//svg[@id='timeline-chart']//rect/@data-month") == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
    ]  # to June: the archive's last month
    assert minimax.xpath("//svg//rect[@class='bar']/@data-month") == ["2026-01", "2026-03", "2026-05"]
    assert not minimax.xpath("//*[contains(@class, 'timeline-summary')]")
    biren = page(out, "companies/shanghai-biren-technology/index.html")
    assert not biren.xpath("//svg")
    assert text(biren.xpath("//p[@class='timeline-summary']")[0]) == "Mentioned in 1 article, in January 2026."
    giga = page(out, "companies/gigadevice-semiconductor/index.html")
    assert (
        text(giga.xpath("//p[@class='timeline-summary']")[0])
        == "Mentioned in 2 articles: 1 in January 2026 and 1 in June 2026."
    )


def test_a_new_month_in_the_archive_remakes_every_chart_as_a_clean_build_would(spread):
    build(spread)
    # an article naming another company, in a month after every other: MiniMax's chart now ends in August
    write_article(spread, "late.md", minimal_front("Late", "2026-08-01T10:00:00+08:00", "[shanghai-biren-technology]"))
    out = build(spread)
    months = page(out, "companies/minimax/index.html").xpath("//svg//rect/@data-month")
    assert months[-1] == "2026-08" and len(months) == 8
    assert tree_digest(out) == tree_digest(build(spread, spread / "clean", cache=False))


# ------------------------------------------------------------------ the company index


def test_the_company_index_shows_aliases_counts_and_the_latest_mention(spread):
    out = build(spread)
    doc = page(out, "companies/index.html")
    entries = {
        text(li.xpath(".//p[@class='company-name']")[0]): li for li in doc.xpath("//ul[@class='company-index']/li")
    }
    assert len(entries) == 5
    zhipu = entries["Knowledge Atlas Technology Joint Stock Company"]
    assert text(zhipu.xpath(".//p[@class='company-aliases']")[0]) == "Also named Zhipu"
    assert text(zhipu.xpath(".//p[@class='company-desc']")[0]) == "Large-model developer"
    minimax = entries["MiniMax"]
    assert text(minimax.xpath(".//p[@class='company-stats']")[0]) == "3 articles, latest 20 May 2026"
    latest = minimax.xpath(".//span[@class='latest']/a")[0]
    assert latest.get("href") == "../articles/mm-may/index.html"
    assert latest.xpath("./time/@datetime") == ["2026-05-20T10:00:00+08:00"]
    assert not entries["MiniMax"].xpath(".//p[@class='company-aliases']")  # none recorded
    # five companies need no letter sections; no literal separator that could start a line on a phone
    assert not doc.xpath("//nav[@aria-label='Letters']") and not doc.xpath("//h2[@class='letter']")
    assert "\u00b7" not in text(doc.xpath("//main")[0])


def test_a_long_company_index_is_split_into_letter_sections(spread):
    registry = spread / "seeds" / "companies.yaml"
    extra = "".join(
        f"\n- id: extra-{i:02d}\n  name: {chr(ord('A') + i % 3)}xtra Company {i:02d}\n  aliases: []\n"
        f"  description: An extra company\n"
        for i in range(16)
    )
    registry.write_text(registry.read_text(encoding="utf-8") + extra, encoding="utf-8")
    out = build(spread)
    doc = page(out, "companies/index.html")
    assert doc.xpath("//nav[@aria-label='Letters']//a/text()") == ["A", "B", "C", "G", "K", "M", "S"]
    assert len(doc.xpath("//ul[@class='company-index']/li")) == 21
    assert doc.xpath("//section[@aria-labelledby='letter-M']//p[@class='company-name']/a/text()") == ["MiniMax"]


def test_a_new_latest_mention_remakes_the_company_index_as_a_clean_build_would(spread):
    build(spread)
    # the latest mention moves by two days: the same article, the same count, another date shown
    story = spread / "seeds" / "articles" / "mm-may.md"
    story.write_text(story.read_text(encoding="utf-8").replace("2026-05-20", "2026-05-22"), encoding="utf-8")
    out = build(spread)
    assert page(out, "companies/index.html").xpath("//a[@href='../articles/mm-may/index.html']/time/text()") == [
        "22 May 2026"
    ]
    assert tree_digest(out) == tree_digest(build(spread, spread / "clean", cache=False))


# ------------------------------------------------------------------ a title under its column's kicker


@pytest.mark.parametrize(
    "title, column, shown",
    [
        (SEED_TITLE, "GT Voice", SEED_HEADLINE),
        ("gt voice: lower case", "GT Voice", "lower case"),
        ("GT Voice | Piped", "GT Voice", "Piped"),
        ("GT Voice \u2014 Dashed", "GT Voice", "Dashed"),
        ("GT Voice\uff1a\u5168\u89d2", "GT Voice", "\u5168\u89d2"),
        ("GT Voiceover: not the column", "GT Voice", "GT Voiceover: not the column"),
        ("GT Voice-over", "GT Voice", "GT Voice-over"),
        ("GT Voice:", "GT Voice", "GT Voice:"),  # nothing would be left
        ("Synergy", "GT Voice", "Synergy"),
        (SEED_TITLE, None, SEED_TITLE),
    ],
)
def test_headline_drops_the_column_name_only_when_the_title_starts_with_it(title, column, shown):
    assert headline(title, column) == shown


def test_the_column_name_is_shown_once_on_pages_and_kept_whole_in_the_record(project, run, monkeypatch):
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    assert run(project, "build").code == 0
    out = project / "output"
    article = page(out, f"articles/{SEED_SLUG}/index.html")
    assert text(article.xpath("//h1")[0]) == SEED_HEADLINE
    assert article.xpath("//h1/@data-title") == [SEED_TITLE]  # the search index's title
    assert text(article.xpath("//header[@class='article-header']/p[@class='kicker']")[0]) == "Source / GT Voice"
    assert article.xpath("//title/text()")[0].startswith(SEED_TITLE)
    assert article.xpath("//meta[@property='og:title']/@content") == [SEED_TITLE]
    ld = json.loads(article.xpath("//script[@type='application/ld+json']/text()")[0])
    assert ld["headline"] == SEED_TITLE
    assert SEED_TITLE in text(article.xpath("//p[@class='citation']")[0])
    home = page(out, "index.html")
    assert text(home.xpath("//article[@class='item']//h2")[0]) == SEED_HEADLINE
    assert text(home.xpath("//article[@class='item']/p[@class='kicker']")[0]) == "GT Voice"
    archive = page(out, "archive/index.html")
    assert archive.xpath("//ul[@class='archive-list']/li/a/text()") == [SEED_HEADLINE]
    assert archive.xpath("//ul[@class='archive-list']/li/span[@class='kicker-inline']/text()") == ["GT Voice"]
    column = page(out, "sources/global-times/gt-voice/index.html")
    assert text(column.xpath("//article[@class='item']//h2")[0]) == SEED_HEADLINE
    feed = lxml.etree.fromstring((out / "feed.xml").read_bytes())
    assert feed.xpath("//*[local-name()='entry']/*[local-name()='title']/text()") == [SEED_TITLE]
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"][0]["title"] == SEED_TITLE
    api = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "api").rglob("*.json")]
    assert SEED_TITLE in json.dumps(api, ensure_ascii=False)


# ------------------------------------------------------------------ the archive page


def test_the_archive_has_a_table_of_contents_by_year_and_month_with_counts(spread):
    write_article(spread, "old.md", minimal_front("Old", "2025-12-31T10:00:00+08:00"))
    write_article(spread, "may-2.md", minimal_front("May two", "2026-05-02T10:00:00+08:00"))
    out = build(spread)
    doc = page(out, "archive/index.html")
    toc = doc.xpath("//nav[@class='archive-toc']")[0]
    years = toc.xpath("./ul/li")
    assert [text(y.xpath("./a")[0]) + " " + text(y.xpath("./span[@class='count']")[0]) for y in years] == [
        "2026 (5)",
        "2025 (1)",
    ]
    months = [(a.get("href"), text(a), text(a.getnext())) for a in toc.xpath(".//ul[@class='toc-months']/li/a")]
    assert months == [
        ("#2026-06", "June", "(1)"),
        ("#2026-05", "May", "(2)"),
        ("#2026-03", "March", "(1)"),
        ("#2026-01", "January", "(1)"),
        ("#2025-12", "December", "(1)"),
    ]
    for href, _, count in months:  # each link leads to its month's heading, which gives the count too
        heading = doc.xpath(f"//h3[@id='{href[1:]}']")[0]
        n = count.strip("()")
        assert text(heading).endswith(f"{n} article{'' if n == '1' else 's'}")
        assert len(heading.getnext().xpath("./li")) == int(n)
    assert [text(h) for h in doc.xpath("//section/h2")] == ["2026 5 articles", "2025 1 article"]
    assert doc.xpath("//a[@href='#2025']") and doc.xpath("//h2[@id='2025']")


# ------------------------------------------------------------------ the favicon


def test_the_favicon_is_the_title_initial_in_the_theme_colours():
    svg = favicon_svg(
        "source archive",
        ":root { --bg: #FFFFFF; --accent: #123456; }\n"
        "@media (prefers-color-scheme: dark) { :root { --bg: #000000; --accent: #abcdef; } }",
    )
    doc = lxml.etree.fromstring(svg)
    assert doc.tag == "{http://www.w3.org/2000/svg}svg"
    assert doc.xpath("//*[local-name()='rect']/@fill") == ["#123456"]
    assert doc.xpath("//*[local-name()='text']/text()") == ["S"]
    assert doc.xpath("//*[local-name()='text']/@fill") == ["#ffffff"]
    assert favicon_svg("<&>", "") == favicon_svg("<&>", "")  # deterministic
    assert not lxml.etree.fromstring(favicon_svg("<&>")).xpath("//*[local-name()='text']")  # no letter: no text
    assert lxml.etree.fromstring(favicon_svg("\u00e9t\u00e9")).xpath("//*[local-name()='text']/text()") == ["\u00c9"]
    assert theme_colours("") == {"accent": "#8a1c1c", "bg": "#fdfcf9"}


def test_every_page_links_the_favicon_written_at_the_root(project, run, monkeypatch):
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    assert run(project, "build").code == 0
    out = project / "output"
    icon = (out / "favicon.svg").read_bytes()
    css = (PACKAGE_THEME / "static" / "style.css").read_text(encoding="utf-8")
    assert icon == favicon_svg("Source Archive", css)
    pages = [p for p in out.rglob("*.html") if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")]
    assert len(pages) > 10
    for p in pages:
        doc = lxml.html.fromstring(p.read_bytes())
        hrefs = doc.xpath("//link[@rel='icon']/@href")
        assert len(hrefs) == 1 and doc.xpath("//link[@rel='icon']/@type") == ["image/svg+xml"], p
        rel = p.relative_to(out).as_posix()
        if rel == "404.html":
            assert hrefs == ["/favicon.svg"]  # served at any depth: from the site's root
        else:
            assert (
                not hrefs[0].startswith(("/", "http"))
                and (p.parent / hrefs[0]).resolve() == (out / "favicon.svg").resolve()
            ), rel
        csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
        assert re.search(r"img-src 'self'", csp)
    shutil.rmtree(out)
    assert run(project, "build").code == 0
    assert (out / "favicon.svg").read_bytes() == icon
