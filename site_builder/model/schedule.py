"""Which articles a build publishes: never drafts, and nothing dated after the build's "now"."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from ..core.errors import SiteError
from ..core.models import Article

EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"


def build_now(environ: Mapping[str, str] | None = None) -> datetime:
    """The build's "now": SOURCE_DATE_EPOCH (whole seconds since 1970-01-01 UTC) when set, else the clock."""
    environ = os.environ if environ is None else environ
    value = environ.get(EPOCH_VARIABLE, "").strip()
    if not value:
        return datetime.now(UTC)
    try:
        seconds = int(value)
        if seconds < 0:
            raise ValueError(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise SiteError.single(
            "environment", f"{EPOCH_VARIABLE}: expected whole seconds since 1970-01-01T00:00:00Z, got {value!r}"
        ) from None


def is_due(article: Article, now: datetime | None) -> bool:
    """True when the article's publication instant has come (always, when there is no "now")."""
    return now is None or article.published <= now


def split_scheduled(articles: Iterable[Article], now: datetime | None) -> tuple[list[Article], list[Article]]:
    """(articles to publish, articles held back because they are dated after now); drafts are in neither."""
    published: list[Article] = []
    held: list[Article] = []
    for article in articles:
        if not article.draft:
            (published if is_due(article, now) else held).append(article)
    return published, held
