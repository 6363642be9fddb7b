"""Warnings about the archive that do not stop a build (and do with --strict): each names a file and line."""

from __future__ import annotations

import hashlib
import posixpath
from urllib.parse import unquote, urlsplit

from ..core.errors import Problem, display_path
from ..core.models import PLACEHOLDERS, Article, Site
from ..core.urls import article_path
from .related import Memo


def _body_line(article: Article, needle: str) -> int:
    """The file line where needle first appears in the body (the body's first line if it does not)."""
    at = article.body.find(needle)
    return article.body_line + (article.body[:at].count("\n") if at >= 0 else 0)


def _target(page: str, href: str, base_path: str) -> str | None:
    """The output path an internal link points at, or None for external links and in-page anchors."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        if not path.startswith(base_path):
            return path.lstrip("/")
        joined = path[len(base_path) :]
    else:
        joined = posixpath.join(posixpath.dirname(page), path)
    target = posixpath.normpath(joined)
    if path.endswith("/") or target == ".":
        target = posixpath.join(target, "index.html") if target != "." else "index.html"
    return target


def _internal_links(hrefs: tuple[str, ...], page: str, base_path: str) -> tuple[tuple[str, str], ...]:
    """(href, output path it points at) of every internal link among a body's hrefs, in href order."""
    found = ((href, _target(page, href.replace("&amp;", "&"), base_path)) for href in hrefs)
    return tuple((href, target) for href, target in found if target is not None)


def _link_warnings(
    article: Article, site: Site, files: set[str], drafts: dict[str, Article], base_path: str, memo: Memo | None
) -> list[Problem]:
    problems = []
    body, page = site.bodies[article.slug], article_path(article.slug)
    if memo is None:
        links = _internal_links(body.hrefs, page, base_path)
    else:
        key = hashlib.sha256("\0".join((page, base_path, *body.hrefs)).encode("utf-8", "surrogatepass")).hexdigest()
        links = memo("links:" + key, lambda: _internal_links(body.hrefs, page, base_path))
    for href, target in links:
        if target in files or (target + "/index.html") in files:
            continue
        line = _body_line(article, href.replace("&amp;", "&"))
        if target in drafts:
            problems.append(
                Problem(
                    display_path(article.path),
                    line,
                    f"links to draft article {drafts[target].slug!r}, which is not published",
                )
            )
        else:
            problems.append(Problem(display_path(article.path), line, f"link {href!r} points to no page of the site"))
    return problems


def _mention_warnings(article: Article, site: Site) -> list[Problem]:
    return [
        Problem(
            display_path(article.path),
            _body_line(article, words),
            f"mentions {words!r} ({cid}) but 'companies' does not list {cid!r}",
        )
        for cid, (words, _) in site.named[article.slug].items()
        if cid not in article.companies
    ]


def _placeholder_warnings(article: Article, memo: Memo | None = None) -> list[Problem]:
    """The text `site-builder new` wrote for the author to replace, where it is still there. memo: whether the body
    holds it, by the digest of the file it was loaded from (a rebuild need not unpack every body to look again)."""
    summary, body = PLACEHOLDERS
    lines = []
    if article.summary and summary in article.summary:
        lines.append(article.lines.get("summary", 1))

    def holds() -> bool:
        return body in article.body

    found = memo("placeholder:" + article.source_digest.hex(), holds) if memo and article.source_digest else holds()
    if found:
        lines.append(_body_line(article, body))
    return [
        Problem(display_path(article.path), line, "placeholder text from 'site-builder new' is still here")
        for line in lines
    ]


def find_warnings(
    articles: tuple[Article, ...], site: Site, files: set[str], base_path: str, memo: Memo | None = None
) -> list[Problem]:
    """Every warning about the published articles (and placeholder text left in any, drafts too), given all
    articles (drafts too) and the written file paths.
    memo(key, make): each body's internal links as an earlier build found them."""
    drafts = {article_path(a.slug): a for a in articles if a.draft}
    problems: list[Problem] = [p for a in articles for p in _placeholder_warnings(a, memo)]  # drafts too
    for article in site.articles:
        problems += _link_warnings(article, site, files, drafts, base_path, memo)
        problems += _mention_warnings(article, site)
        if not site.summaries[article.slug]:
            problems.append(
                Problem(
                    display_path(article.path),
                    article.lines.get("title", 1),
                    "no summary: add 'summary:' or a first paragraph to the body",
                )
            )
    return sorted(problems)
