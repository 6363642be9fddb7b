"""Old URLs keep working: a redirect page for each alias of an article, and a `_redirects` file for static hosts.

An alias may not claim a URL the build already gives to something else (compared without regard to case,
as macOS and Windows file systems do): the error names the article and the owner of that URL.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from functools import partial

from jinja2 import Environment

from ..core.chars import invisible_problem
from ..core.config import Config
from ..core.errors import Collector, display_path
from ..core.models import Article, Site
from ..core.urls import absolute, alias_path, article_path, company_path, relative, site_path, source_path
from .base import Keys, Output, ready

REDIRECTS_FILE = "_redirects"


def _owners(site: Site) -> dict[str, str]:
    """{case-folded output path: who owns it} for the pages a reader could confuse with an alias."""
    owners = {article_path(a.slug).casefold(): f"the page of {display_path(a.path)}" for a in site.articles}
    owners.update(
        {company_path(c.id).casefold(): f"the page of company {c.id!r} (companies.yaml)" for c in site.companies}
    )
    for s in site.sources:
        owners[source_path(s.name).casefold()] = f"the page of source {s.name!r}"
        owners.update(
            {source_path(s.name, c.name).casefold(): f"the page of column {c.name!r} of {s.name!r}" for c in s.columns}
        )
    return owners


def _folders(paths: Iterable[str]) -> set[str]:
    """Every folder (case-folded) that holds one of paths."""
    out = set()
    for p in paths:
        while p := posixpath.dirname(p):
            out.add(p.casefold())
    return out


def alias_paths(site: Site, files: Iterable[str], errors: Collector | None = None) -> dict[str, Article]:
    """{output path: article} for every alias of a published article; raise SiteError naming both sides of a clash
    (with errors given, gather them there instead, and leave the clashing aliases out)."""
    if not any(a.aliases for a in site.articles):
        return {}
    collect = errors is not None
    errors = errors if errors is not None else Collector()
    files = list(files)
    taken = {p.casefold() for p in files}
    folders = _folders(files)
    owners = _owners(site)
    claimed: dict[str, tuple[Article, str]] = {}
    out: dict[str, Article] = {}
    for a in sorted(site.articles, key=lambda a: a.path):
        line = a.lines.get("aliases", 1)
        for alias in a.aliases:
            path = alias_path(alias)
            key = path.casefold()
            if key == article_path(a.slug).casefold():
                errors.add(a.path, line, f"aliases: {alias!r} is this article's own URL")
            elif key in owners:
                errors.add(a.path, line, f"aliases: {alias!r} is {owners[key]}; an alias may not replace a real page")
            elif key in taken or key in folders or _folders([path]) & taken:
                errors.add(a.path, line, f"aliases: {alias!r} collides with {path}, which the build generates")
            elif key in claimed:
                first, first_alias = claimed[key]
                where = "this article" if first is a else f"{display_path(first.path)}:{first.lines.get('aliases', 1)}"
                errors.add(a.path, line, f"aliases: {alias!r} is already an alias ({first_alias!r}) of {where}")
            else:
                claimed[key] = (a, alias)
                out[path] = a
    if not collect:
        errors.raise_if_any()
    return dict(sorted(out.items()))


def render_redirects(
    env: Environment, config: Config, site: Site, keys: Keys, files: Iterable[str], errors: Collector | None = None
) -> list[Output]:
    """A page at each alias (meta refresh and canonical link, no script) and `_redirects` (path target 301).
    errors: as alias_paths'."""
    aliases = alias_paths(site, files, errors)
    out: list[Output] = []
    lines = []
    errors = Collector()
    for path, article in aliases.items():
        target = article_path(article.slug)
        out.append(
            Output(path, keys(path, lists=[article]), partial(_redirect_page, env, config, article, path, target))
        )
        old, new = site_path(config.base_path, path), site_path(config.base_path, target)
        # one line, three fields: a path with whitespace or a control character would add fields or lines
        if (msg := invisible_problem(old + new)) is not None:
            errors.add(article.path, article.lines.get("aliases", 1), f"aliases: {path!r} -> {target!r} {msg}")
        lines.append(f"{old} {new} 301")
    errors.raise_if_any()
    if lines:
        header = "# Earlier URLs of articles (front matter 'aliases'): old path, new path, HTTP status.\n"
        out.append(ready(REDIRECTS_FILE, (header + "\n".join(lines) + "\n").encode("utf-8")))
    return out


def _redirect_page(env: Environment, config: Config, article: Article, path: str, target: str) -> bytes:
    return (
        env.get_template("redirect.html")
        .render(
            config=config,
            article=article,
            target=relative(path, target),
            canonical=absolute(config.base_url, target) if config.base_url else None,
        )
        .encode("utf-8")
    )
