"""The versions of an article's original (its front matter's `versions:`), as pages and the API show them."""

from __future__ import annotations

from typing import Any

from ..content.load import RAW_DIR
from ..core.models import Article, Site
from ..core.urls import changes_path, raw_path, version_path


def version_list(site: Site, article: Article) -> list[dict[str, Any]]:
    """Every version of an article's original, oldest first, as pages and the API show them: number, count, name
    (under raw/), file (output path), file_name, view (its page), sha256, retrieved (or None), changes (the page of
    what changed from the version before, None for the first). Empty for an article without `versions:`."""
    names = site.version_names.get(article.slug, ())
    out: list[dict[str, Any]] = []
    for number, (name, version) in enumerate(zip(names, article.versions, strict=False), start=1):
        out.append(
            {
                "number": number,
                "count": len(names),
                "name": f"{RAW_DIR}/{name}",
                "file": raw_path(name),
                "file_name": raw_path(name).rsplit("/", 1)[-1],
                "view": version_path(article.slug, number),
                "sha256": site.raw_sha256[name],
                "retrieved": version.retrieved,
                "changes": changes_path(article.slug, number) if number > 1 else None,
            }
        )
    return out
