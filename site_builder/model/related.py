"""Related reading: other articles ranked by how many companies they share, then by closeness in time."""

from __future__ import annotations

import functools
import hashlib
import heapq
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..core.models import Article

RELATED_COUNT = 5
Memo = Callable[[str, Callable[[], Any]], Any]  # memo(key, make): a value kept from an earlier build, or make()


def related_articles(
    articles: tuple[Article, ...], count: int = RELATED_COUNT, memo: Memo | None = None
) -> dict[str, tuple[Article, ...]]:
    """For each article's slug, up to `count` others sharing at least one company, best first.

    Ranking: more shared companies first; then the smaller distance in time between the two publication
    instants; then the older article; then the slug, so the order is total and the output deterministic.
    memo(key, make) may return a ranking an earlier build made from the same slugs, companies and dates.
    """
    by_slug = {a.slug: a for a in articles}
    records = tuple((a.slug, a.companies, a.published.timestamp()) for a in articles)
    if memo is None:
        ranked = _ranked(records, count)
    else:
        key = "related:" + hashlib.sha256(repr((records, count)).encode("utf-8", "surrogatepass")).hexdigest()
        ranked = memo(key, lambda: _ranked(records, count))
    return {slug: tuple(by_slug[s] for s in others) for slug, others in ranked.items()}


@functools.lru_cache(maxsize=4)  # serve rebuilds after a body edit: the same slugs, companies and dates
def _ranked(records: tuple[tuple[str, tuple[str, ...], float], ...], count: int) -> dict[str, tuple[str, ...]]:
    by_company: dict[str, list[str]] = {}
    for slug, companies, _ in records:
        for cid in companies:
            by_company.setdefault(cid, []).append(slug)
    when = {slug: t for slug, _, t in records}
    out: dict[str, tuple[str, ...]] = {}
    for slug, companies, t in records:
        shared: Counter[str] = Counter()
        for cid in companies:
            shared.update(by_company[cid])  # counted in C
        shared.pop(slug, None)

        def rank(other: str, t: float = t, shared: Counter[str] = shared) -> tuple[int, float, float, str]:
            return (-shared[other], abs(when[other] - t), when[other], other)

        out[slug] = tuple(heapq.nsmallest(count, shared, key=rank))  # the best few, without sorting them all
    return out
