"""`site-builder new`: a new article file with its front matter filled in."""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

import yaml

from ..content.load import ARTICLES_DIR
from ..core.errors import SiteError, display_path
from ..core.models import PLACEHOLDERS
from ..core.safefs import Refused, Within, kind, write_new
from ..core.urls import slugify


def new_article(source: Path, title: str, publication: str, now: datetime) -> Path:
    """Write source/articles/<slug>.md as a draft dated now; never overwrite an existing file."""
    slug = slugify(title)
    if not title.strip() or not slug:
        raise SiteError.single("command line", f"title {title!r} gives an empty slug; use letters or digits")
    path = source / ARTICLES_DIR / f"{slug}.md"
    within = Within(source)
    try:
        folder, st = within.locate(ARTICLES_DIR)
        real, exists = within.locate(f"{ARTICLES_DIR}/{slug}.md")
    except Refused as exc:
        raise SiteError.single(display_path(exc.path), exc.message) from None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise SiteError.single(display_path(source / ARTICLES_DIR), f"refused: not a folder ({kind(st)})")
    if exists is not None:
        raise SiteError.single(display_path(path), "article exists; choose another title")
    meta = {
        "title": title.strip(),
        "published": now.replace(second=0, microsecond=0).isoformat(),
        "source": publication,
        "companies": [],
        "summary": PLACEHOLDERS[0],
        "draft": True,
    }
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    text = f"---\n{front}---\n\n{PLACEHOLDERS[1]}\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_new(real, text.encode("utf-8"))
    except FileExistsError:
        raise SiteError.single(display_path(path), "article exists; choose another title") from None
    except OSError as exc:
        raise SiteError.single(display_path(path), f"cannot write: {exc.strerror or exc}") from None
    return path
