"""The one readable pipeline: config -> load -> index -> render + feeds -> write."""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .checks import find_warnings
from .config import Config, load_config
from .errors import Problem, SiteError, display_path
from .feeds import render_feeds, render_sitemap
from .api import render_api
from .citations import render_citations
from .index import build_site
from .jsonfeed import render_json_feed
from .load import load_archive
from .redirects import render_redirects
from .render import make_env, render_site, static_assets
from .schedule import build_now
from .search import index_search
from .source_pages import render_source_feeds, render_source_pages
from .urls import raw_path
from .write import write_site


@dataclass(frozen=True)
class Summary:
    """What a build did."""

    articles: int
    companies: int
    files: int
    seconds: float
    config: Config
    warnings: tuple[Problem, ...] = ()
    held_back: tuple[str, ...] = ()  # 'path (date)' of each article dated after the build's "now"


def _template_error(templates: Path, exc: jinja2.TemplateError) -> SiteError:
    """Name the template file and line: from a syntax error, or from the innermost template frame."""
    name = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None) or 0
    if not name:
        root = str(templates.resolve())
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]
        if frames:
            name, line = frames[-1].filename, frames[-1].lineno or 0
    where = display_path(name) if name else display_path(templates)
    return SiteError([Problem(where, line, f"template error: {exc.message or exc}")])


def generate(source: Path, templates: Path, config: Config
             ) -> tuple[dict[str, bytes], int, int, list[Problem], tuple[str, ...]]:
    """Load, model and render the whole site in memory: ({output path: bytes}, articles, companies, warnings,
    held back)."""
    archive = load_archive(source)
    site = build_site(archive, build_now())
    if not (templates / "base.html").is_file():
        raise SiteError([Problem(display_path(templates), 0, "templates folder not found (no base.html in it)")])
    env = make_env(templates)
    try:
        files, stylesheet = static_assets(templates)
        pages = render_site(env, config, site, stylesheet)
        pages.update(render_source_pages(env, config, site, stylesheet))
        files.update(pages)
        files.update({raw_path(name): data for name, data in site.raw_files.items()})
        files.update(render_feeds(env, config, site))
        files.update(render_source_feeds(env, config, site))
        files.update(render_json_feed(config, site))
        files.update(render_citations(config, site))
        files.update(render_api(config, site))
        files.update(render_sitemap(env, config, site, [p for p in pages if p.endswith(".html")]))
        files.update(render_redirects(env, config, site, list(files)))  # after the sitemap: not listed in it
    except jinja2.TemplateError as exc:
        raise _template_error(templates, exc) from None
    warnings = find_warnings(archive.articles, site, set(files), config.base_path)
    held_back = tuple(f"{display_path(a.path)} ({a.published.isoformat()})" for a in site.held_back)
    return files, len(site.articles), len(site.companies), warnings, held_back


def build(source: Path, output: Path | None, templates: Path, overrides: dict | None = None,
          strict: bool = False) -> Summary:
    """Build the site; with output None, validate and render only (check).

    Raises SiteError on bad input, and on any warning when strict.
    """
    started = time.perf_counter()
    config = load_config(source, overrides)
    files, articles, companies, warnings, held_back = generate(source, templates, config)
    search = index_search(files)  # check indexes too, so it reports what build would
    files.update(search.files)
    warnings += [Problem("pagefind", 0, search.problem)] if search.problem else []
    if strict and warnings:
        raise SiteError([Problem(w.path, w.line, f"{w.message} (--strict)") for w in warnings])
    if output is not None:
        write_site(files, output, source)
    return Summary(articles, companies, len(files), time.perf_counter() - started, config, tuple(warnings), held_back)
