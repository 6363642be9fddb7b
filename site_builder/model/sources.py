"""Source and column pages: every publication and each of its columns, with their articles newest first.

A source's folder is the slug of its name (sources/global-times/), a column's the slug of its name under it
(sources/global-times/gt-voice/). Two different names that give one folder (they differ only in case or
punctuation, or slugify to the same text) would claim one page: the build refuses them, naming both files.
"""

from __future__ import annotations

from ..core.errors import Collector, display_path
from ..core.models import Article, Column, Source
from ..core.urls import slug_problem, slugify


def _claim(
    owners: dict[str, tuple[str, Article]], kind: str, name: str, article: Article, key: str, errors: Collector
) -> bool:
    """Record that `name` (a source or column) gets a folder; report a name with no slug or a taken one."""
    line = article.lines.get(key, 1)
    slug = slugify(name)
    if not slug or (problem := slug_problem(slug)) is not None:
        why = "it has no letters or digits" if not slug else problem
        errors.add(article.path, line, f"{key}: {kind} {name!r} gives no usable URL name ({why})")
        return False
    first = owners.setdefault(slug.casefold(), (name, article))
    if first[0] != name:
        other = first[1]
        errors.add(
            article.path,
            line,
            f"{key}: {kind} {name!r} would have the same URL (…/{slug}/) as {first[0]!r} "
            f"in {display_path(other.path)}:{other.lines.get(key, 1)}; use one spelling",
        )
        return False
    return True


def build_sources(articles: tuple[Article, ...], errors: Collector) -> tuple[Source, ...]:
    """Group published articles (newest first) by source and column, checking that their URLs are distinct."""
    owners: dict[str, tuple[str, Article]] = {}
    column_owners: dict[str, dict[str, tuple[str, Article]]] = {}
    by_source: dict[str, list[Article]] = {}
    by_column: dict[tuple[str, str], list[Article]] = {}
    for a in sorted(articles, key=lambda a: a.path):  # the first file by name owns a spelling
        if not _claim(owners, "source", a.source, a, "source", errors):
            continue
        by_source.setdefault(a.source, [])
        if a.column and _claim(column_owners.setdefault(a.source, {}), "column", a.column, a, "column", errors):
            by_column.setdefault((a.source, a.column), [])
    for a in articles:  # newest first, as given
        if a.source in by_source:
            by_source[a.source].append(a)
            if a.column and (a.source, a.column) in by_column:  # the columns in it are named
                by_column[(a.source, a.column)].append(a)
    return tuple(
        Source(
            name,
            tuple(arts),
            tuple(
                Column(c, tuple(by_column[(name, c)]))
                for c in sorted((c for s, c in by_column if s == name), key=lambda c: (c.casefold(), c))
            ),
        )
        for name, arts in sorted(by_source.items(), key=lambda kv: (kv[0].casefold(), kv[0]))
    )
