"""Related reading: other articles ranked by how many companies they share, then by closeness in time."""
from __future__ import annotations

from collections import Counter

from .models import Article

RELATED_COUNT = 5


def related_articles(articles: tuple[Article, ...], count: int = RELATED_COUNT) -> dict[str, tuple[Article, ...]]:
    """For each article's slug, up to `count` others sharing at least one company, best first.

    Ranking: more shared companies first; then the smaller distance in time between the two publication
    instants; then the older article; then the slug, so the order is total and the output deterministic.
    """
    by_company: dict[str, list[Article]] = {}
    for a in articles:
        for cid in a.companies:
            by_company.setdefault(cid, []).append(a)
    by_slug = {a.slug: a for a in articles}
    out: dict[str, tuple[Article, ...]] = {}
    for a in articles:
        shared = Counter(b.slug for cid in a.companies for b in by_company[cid] if b.slug != a.slug)
        t = a.published.timestamp()

        def rank(slug: str, t: float = t, shared: Counter = shared) -> tuple:
            other = by_slug[slug].published.timestamp()
            return (-shared[slug], abs(other - t), other, slug)

        out[a.slug] = tuple(by_slug[s] for s in sorted(shared, key=rank)[:count])
    return out
