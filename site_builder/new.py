"""`site-builder new`: a new article file with its front matter filled in."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from .errors import SiteError, display_path
from .load import ARTICLES_DIR
from .urls import slugify


def new_article(source: Path, title: str, publication: str, now: datetime) -> Path:
    """Write source/articles/<slug>.md as a draft dated now; never overwrite an existing file."""
    slug = slugify(title)
    if not title.strip() or not slug:
        raise SiteError.single("command line", f"title {title!r} gives an empty slug; use letters or digits")
    path = source / ARTICLES_DIR / f"{slug}.md"
    if path.exists():
        raise SiteError.single(display_path(path), "article exists; choose another title")
    meta = {"title": title.strip(), "published": now.replace(second=0, microsecond=0).isoformat(),
            "source": publication, "companies": [], "summary": "One or two sentences for lists and feeds.",
            "draft": True}
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(f"---\n{front}---\n\nWrite the article here, in Markdown.\n")
    return path
