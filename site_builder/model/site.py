"""Pure functions from loaded articles and companies to the modelled Site."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import cast

from ..content.limits import refuse
from ..content.load import Archive
from ..content.markdown import Converter, summarise
from ..core.chars import char_problem
from ..core.errors import Collector
from ..core.models import Article, Body, Company, CompanyPage, Mention, Site
from ..core.urls import article_path, company_path, relative
from .related import Memo, related_articles
from .schedule import split_scheduled
from .sources import build_sources

_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));?")


def _reference_line(article: Article, chars: str) -> int:
    """The file line of the first character reference in the body that makes one of chars (else the body's
    first line)."""
    for m in _REFERENCE.finditer(article.body):
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        if code <= 0x10FFFF and chr(code) in chars:
            return article.body_line + article.body.count("\n", 0, m.start())
    return article.body_line


def newest_first(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Sort by publication instant, newest first; slug breaks ties so the order is total."""
    return tuple(sorted(articles, key=lambda a: (-a.published.timestamp(), a.slug)))


def _company_page(
    company: Company,
    mine: list[Article],
    named: dict[str, dict[str, tuple[str, str]]],
    summaries: dict[str, str],
    by_id: dict[str, Company],
    folded: dict[str, str],
) -> CompanyPage:
    # context: the first sentence naming the company, or the summary when the body never names it
    mentions = tuple(Mention(a, named[a.slug].get(company.id, ("", summaries[a.slug]))[1]) for a in mine)
    counts = Counter(cid for a in mine for cid in a.companies if cid != company.id)
    alongside = tuple((by_id[cid], n) for cid, n in sorted(counts.items(), key=lambda kv: (-kv[1], folded[kv[0]])))
    return CompanyPage(company, mentions, alongside)


def by_month(articles: tuple[Article, ...]) -> tuple[tuple[int, int, tuple[Article, ...]], ...]:
    """Group newest-first articles by the year and month of their publisher's local date, as pages show it."""
    groups: dict[tuple[int, int], list[Article]] = {}
    for a in articles:
        groups.setdefault((a.published.year, a.published.month), []).append(a)
    return tuple((y, m, tuple(group)) for (y, m), group in sorted(groups.items(), reverse=True))


def sorted_companies(companies: Iterable[Company]) -> tuple[Company, ...]:
    """Companies in the order every list shows them: by name, case-insensitively, then id."""
    return tuple(sorted(companies, key=lambda c: (c.name.casefold(), c.id)))


def company_href(company_id: str) -> str:
    """The link from an article page to a company's page, as a body's company mentions link it."""
    return relative(article_path("x"), company_path(company_id))


# (companies, href for a company id, articles) -> {slug: Body}; build.py passes a cached, parallel one
BodyConverter = Callable[[tuple[Company, ...], Callable[[str], str], tuple[Article, ...]], dict[str, Body]]


def convert_here(
    companies: tuple[Company, ...], href: Callable[[str], str], articles: tuple[Article, ...]
) -> dict[str, Body]:
    """Convert every article body in this process with one Converter."""
    converter = Converter(companies, href)
    converted = [converter.convert(a.body) for a in articles]
    refuse(articles, converted)
    return {
        a.slug: cast(Body, body) for a, body in zip(articles, converted, strict=True)
    }  # refuse raised for a Refused


def build_site(
    archive: Archive,
    now: datetime | None = None,
    convert: BodyConverter | None = None,
    memo: Memo | None = None,
    errors: Collector | None = None,
) -> Site:
    """Model the published archive: drafts and articles dated after `now` left out, pages and archives built.
    memo(key, make): results of pure functions kept from an earlier build (see BuildCache.memo). errors, if
    given, gathers the problems found (two spellings of one source, ...) instead of raising them, and the site
    is modelled without what they concern, so the checks after it still run."""
    published, held_back = split_scheduled(archive.articles, now)
    articles = newest_first(published)
    collect = errors is not None
    errors = errors if errors is not None else Collector()
    sources = build_sources(articles, errors)
    if held_back:  # a clash that would surface when a held-back article goes live is an error now
        build_sources(newest_first((*published, *held_back)), errors)
    if not collect:
        errors.raise_if_any()
    companies = sorted_companies(archive.companies)
    by_id = {c.id: c for c in companies}
    # what needs no body first: in a cold build the bodies are still being converted meanwhile
    related = related_articles(articles, memo=memo)
    months = by_month(articles)
    neighbours = {
        a.slug: (articles[i + 1] if i + 1 < len(articles) else None, articles[i - 1] if i else None)
        for i, a in enumerate(articles)
    }
    bodies = (convert or convert_here)(companies, company_href, articles)
    for a in articles:
        if bodies[a.slug].forbidden:
            errors.add(
                a.path,
                _reference_line(a, bodies[a.slug].forbidden),
                f"body: {char_problem(bodies[a.slug].forbidden)}, written as a character reference "
                "(no page or feed may carry it)",
            )
    if not collect:  # else the caller raises, once every other check has run too
        errors.raise_if_any()

    def summary(a: Article) -> str:
        if a.summary:
            return a.summary
        first = bodies[a.slug].first_paragraph
        if memo is not None and a.source_digest:  # a function of the file it was loaded from: kept across builds
            kept: str = memo("summary:" + a.source_digest.hex(), lambda: summarise(first))
            return kept
        return summarise(first)

    summaries = {a.slug: summary(a) for a in articles}
    named = {a.slug: bodies[a.slug].named for a in articles}
    mentioning: dict[str, list[Article]] = {c.id: [] for c in companies}
    for a in articles:  # newest first, as each company page lists them
        for cid in a.companies:
            mentioning[cid].append(a)
    folded = {c.id: c.name.casefold() for c in companies}
    pages = {c.id: _company_page(c, mentioning[c.id], named, summaries, by_id, folded) for c in companies}
    # an article whose original could not be read (an error, reported) has none here
    raw_names = {a.slug: archive.raw_names[a.path] for a in articles if a.path in archive.raw_names}
    version_names = {a.slug: archive.version_names[a.path] for a in articles if a.path in archive.version_names}
    every_name = {*raw_names.values(), *(name for names in version_names.values() for name in names)}
    raw_files = {name: archive.raw_files[name] for name in sorted(every_name)}
    raw_digests = {name: hashlib.sha256(data).digest() for name, data in raw_files.items()}
    digests, listings = {}, {}
    for a in articles:
        # the original's digest and name (a link in raw/ retargeted changes the name, not the article's file),
        # then each version's
        raw = (
            raw_digests[raw_names[a.slug]] + raw_names[a.slug].encode("utf-8", "surrogatepass")
            if a.slug in raw_names
            else b""
        )
        for name in version_names.get(a.slug, ()):
            raw += b"\0" + raw_digests[name] + name.encode("utf-8", "surrogatepass")
        digests[a.slug] = article_digest(a, bodies[a.slug], summaries[a.slug], raw)
        if memo is not None and a.source_digest:  # a function of the file (and raw original) it was loaded from
            listings[a.slug] = memo(
                "listing:" + (a.source_digest + raw).hex(), functools.partial(listing_digest, a, summaries[a.slug], raw)
            )
        else:
            listings[a.slug] = listing_digest(a, summaries[a.slug], raw)
    return Site(
        articles,
        bodies,
        summaries,
        companies,
        pages,
        months,
        neighbours,
        raw_files,
        sources=sources,
        related=related,
        held_back=newest_first(held_back),
        named=named,
        digests=digests,
        listings=listings,
        raw_names=raw_names,
        raw_sha256={name: digest.hex() for name, digest in raw_digests.items()},
        version_names=version_names,
    )


_LISTED = tuple(
    f.name for f in dataclasses.fields(Article) if f.name not in ("body", "body_line", "lines", "source_digest")
)


def listing_digest(article: Article, summary: str, raw: bytes) -> bytes:
    """A digest of what a list of articles may show of one: every front matter field but the body, and the
    summary (a body edit that keeps the summary leaves it unchanged)."""
    record = repr(tuple(getattr(article, name) for name in _LISTED))
    return hashlib.sha256(f"{record}\0{summary}".encode("utf-8", "surrogatepass") + b"\0" + raw).digest()


def article_digest(article: Article, body: Body, summary: str, raw: bytes) -> bytes:
    """A digest of everything an output may show of one article: its record (every front matter field, its
    file and lines), its converted body and mentions, its summary and its raw original's digest. An article
    loaded from a file has all of that but the raw original in its source_digest."""
    if article.source_digest:
        return hashlib.sha256(article.source_digest + b"\0" + raw).digest()
    h = hashlib.sha256(repr(article).encode("utf-8", "surrogatepass"))
    for part in (body.html, body.text, repr(body.named), summary):
        h.update(b"\0%d\0" % len(part))
        h.update(part.encode("utf-8", "surrogatepass"))
    h.update(b"\0" + raw)
    return h.digest()
