"""Related reading: ranked by shared companies, then closeness in time; company pages show co-mentions."""

from __future__ import annotations

import posixpath
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import SEED_SLUG
from depth import make_depth_site, page
from site_builder.core.models import Article
from site_builder.model.related import related_articles

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))


def art(slug: str, days: float, *companies: str) -> Article:
    return Article(
        path=f"{slug}.md",
        slug=slug,
        title=slug,
        published=T0 + timedelta(days=days),
        source="S",
        companies=tuple(companies),
        body="x",
    )


def test_more_shared_companies_rank_first_then_closeness_in_time():
    a = art("a", 0, "x", "y", "z")
    articles = (
        a,
        art("near-one", 1, "x"),
        art("far-two", 300, "x", "y"),
        art("far-three", -500, "x", "y", "z"),
        art("nearer-one", -0.5, "z"),
        art("none", 0.1, "q"),
    )
    got = [r.slug for r in related_articles(articles)[a.slug]]
    assert got == ["far-three", "far-two", "nearer-one", "near-one"]  # 'none' shares nothing


def test_ties_in_time_go_to_the_older_article_then_the_slug():
    a = art("a", 0, "x")
    articles = (a, art("later", 2, "x"), art("earlier", -2, "x"), art("b-same", 2, "x"))
    assert [r.slug for r in related_articles(articles)["a"]] == ["earlier", "b-same", "later"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sets(st.sampled_from("abcdef"), max_size=4)), max_size=25))
def test_the_ranking_is_the_one_its_definition_gives(specs):
    """Against the rule written out plainly: every other article sharing a company, sorted by the rule."""
    articles = tuple(art(f"s{i:02}", days, *sorted(companies)) for i, (days, companies) in enumerate(specs))
    got = related_articles(articles)
    for a in articles:
        shared = {b.slug: len(set(a.companies) & set(b.companies)) for b in articles if b.slug != a.slug}
        t = a.published.timestamp()
        others = sorted(
            (b for b in articles if shared.get(b.slug)),
            key=lambda b: (-shared[b.slug], abs(b.published.timestamp() - t), b.published.timestamp(), b.slug),
        )
        assert [b.slug for b in got[a.slug]] == [b.slug for b in others[:5]]


@pytest.mark.parametrize("seed", range(40))
def test_the_level_by_level_ranking_equals_counting_every_shared_company(seed):
    """_ranked finds the best by levels (triples, pairs, single companies, walking outwards in time); counting
    every article that shares a company with each one, as it used to (quadratic), gives the same ranking, on
    archives with many ties in time, up to five companies each, and a count other than five."""
    import heapq
    import random
    from collections import Counter

    from site_builder.model.related import _ranked

    rng = random.Random(seed)
    letters = "abcdefghijkl"[: rng.randint(1, 12)]
    records = tuple(
        (
            f"s{rng.randint(0, 999)}-{i}",
            tuple(dict.fromkeys(rng.choice(letters) for _ in range(rng.randint(0, 5)))),
            float(rng.randint(0, rng.choice([3, 50, 10**6]))),
        )
        for i in range(rng.randint(0, 250))
    )
    count = rng.randint(1, 7)
    by_company: dict[str, list[str]] = {}
    for slug, companies, _ in records:
        for cid in companies:
            by_company.setdefault(cid, []).append(slug)
    when = {slug: t for slug, _, t in records}
    for slug, companies, t in records:
        shared: Counter[str] = Counter()
        for cid in companies:
            shared.update(by_company[cid])
        shared.pop(slug, None)
        best = heapq.nsmallest(count, shared, key=lambda o: (-shared[o], abs(when[o] - t), when[o], o))
        assert _ranked(records, count)[slug] == tuple(best), slug


def test_at_most_five_and_never_itself():
    articles = tuple(art(f"a{i}", i, "x") for i in range(10))
    got = related_articles(articles)
    assert all(len(v) == 5 and slug not in [r.slug for r in v] for slug, v in got.items())


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_depth_site(tmp_path_factory.mktemp("related"))


def related_on(out: Path, slug: str) -> list[str]:
    path = f"articles/{slug}/index.html"
    hrefs = page(out, path).xpath("//section[contains(@class, 'related')]//a/@href")
    return [posixpath.normpath(posixpath.join(posixpath.dirname(path), h)).split("/")[1] for h in hrefs]


def test_the_article_page_shows_related_reading_in_rank_order(out):
    # fourth shares 3 companies with the seed, 2 with second, 1 with third
    assert related_on(out, "fourth") == [SEED_SLUG, "second", "third"]
    # second shares 2 with the seed and 2 with fourth: the seed is closer in time (17 days against 27)
    assert related_on(out, "second") == [SEED_SLUG, "fourth", "third"]


def test_company_pages_show_companies_mentioned_alongside_with_counts(out):
    doc = page(out, "companies/minimax/index.html")
    rows = [
        (li.xpath("string(./a)"), li.xpath("string(.//*[contains(@class, 'count')])"))
        for li in doc.xpath("//section[h2[@id='alongside-heading']]//li")
    ]
    assert rows[:2] == [
        ("GigaDevice Semiconductor", "3 articles"),
        ("Knowledge Atlas Technology Joint Stock Company", "2 articles"),
    ]
