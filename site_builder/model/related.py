"""Related reading: other articles ranked by how many companies they share, then by closeness in time."""

from __future__ import annotations

import bisect
import functools
import hashlib
import heapq
import itertools
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
    """The ranking of related_articles, in time that grows with the archive, not with its square.

    Counting, for every article, every other article that shares a company costs N x (the articles per company):
    quadratic (100,000 articles of 200 companies: 4.5 x 10^8 counts). Instead, level by level: the few articles
    sharing three or more companies with one are found through an index of company triples and ranked whole;
    then those sharing exactly two, nearest in time first, walking its company pairs' lists outwards from it;
    then those sharing exactly one, walking its companies' lists the same way (see _nearest). Each walk stops
    once the article has its `count`. The result is exactly the one the definition gives (tests/test_related.py
    checks it against the definition written out, and against the counting it replaces)."""
    when = {slug: t for slug, _, t in records}
    companies_of = {slug: frozenset(companies) for slug, companies, _ in records}
    lists: dict[tuple[str, ...], list[tuple[float, str]]] = {}  # a company, pair or triple -> its articles
    for slug, companies, t in records:
        unique = sorted(set(companies))
        for size in (1, 2, 3):
            for group in itertools.combinations(unique, size):
                lists.setdefault(group, []).append((t, slug))
    for entries in lists.values():
        entries.sort()
    out: dict[str, tuple[str, ...]] = {}
    for slug, _, t in records:
        mine = companies_of[slug]
        unique = sorted(mine)
        three = {o for group in itertools.combinations(unique, 3) for _, o in lists[group]}
        three.discard(slug)
        best = sorted(three, key=lambda o: (-len(mine & companies_of[o]), abs(when[o] - t), when[o], o))[:count]
        for size in (2, 1):  # an article sharing exactly `size` companies is in one of these lists
            if len(best) < count:
                walks = [lists[group] for group in itertools.combinations(unique, size)]
                best += _nearest(
                    slug,
                    t,
                    walks,
                    functools.partial(_shares, mine, companies_of, size),
                    count - len(best),
                )
        out[slug] = tuple(best)
    return out


def _shares(mine: frozenset[str], companies_of: dict[str, frozenset[str]], size: int, other: str) -> bool:
    """Whether other shares exactly `size` companies with mine."""
    return len(mine & companies_of[other]) == size


def _nearest(
    slug: str, t: float, lists: list[list[tuple[float, str]]], wanted_one: Callable[[str], bool], wanted: int
) -> list[str]:
    """Up to `wanted` articles of lists (each sorted by time, then slug) for which wanted_one is true, but slug, in
    the order (distance in time from t, time, slug): each list is walked outwards from slug's place, later entries
    to the right, earlier ones to the left (a run of equal times taken whole, so each walk gives its entries in
    order)."""
    heap: list[tuple[float, float, str, int, int]] = []  # (distance, time, slug, list, step: +1 right, -1 left)
    cursors: list[int] = []  # per walk (list index * 2 + (0 right, 1 left)): the next index to take

    def push(walk: int) -> None:
        entries, step = lists[walk // 2], 1 if walk % 2 == 0 else -1
        i = cursors[walk]
        if not 0 <= i < len(entries):
            return
        if step == 1:
            when, other = entries[i]
            cursors[walk] = i + 1
            heapq.heappush(heap, (abs(when - t), when, other, walk, 0))
            return
        when = entries[i][0]  # leftwards: the whole run of equal times, so its slugs come in order
        j = i
        while j >= 0 and entries[j][0] == when:
            heapq.heappush(heap, (abs(when - t), when, entries[j][1], walk, 1 if j == i else 0))
            j -= 1
        cursors[walk] = j

    for index, entries in enumerate(lists):
        at = bisect.bisect_left(entries, (t, slug))
        cursors += [at + 1, at - 1]
        push(index * 2)
        push(index * 2 + 1)
    found: list[str] = []
    while heap and len(found) < wanted:
        _, _, other, walk, last = heapq.heappop(heap)
        if other != slug and other not in found and wanted_one(other):
            found.append(other)
        if walk % 2 == 0 or last:  # the walk's entry taken (leftwards: its run's last): its next one
            push(walk)
    return found
