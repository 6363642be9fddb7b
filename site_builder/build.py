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
from .index import build_site
from .load import load_archive
from .render import make_env, render_site, static_assets
from .search import index_search
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


def generate(source: Path, templates: Path, config: Config) -> tuple[dict[str, bytes], int, int, list[Problem]]:
    """Load, model and render the whole site in memory: ({output path: bytes}, articles, companies, warnings)."""
    archive = load_archive(source)
    site = build_site(archive)
    if not (templates / "base.html").is_file():
        raise SiteError([Problem(display_path(templates), 0, "templates folder not found (no base.html in it)")])
    env = make_env(templates)
    try:
        files, stylesheet = static_assets(templates)
        pages = render_site(env, config, site, stylesheet)
        files.update(pages)
        files.update({raw_path(name): data for name, data in site.raw_files.items()})
        files.update(render_feeds(env, config, site))
        files.update(render_sitemap(env, config, site, [p for p in pages if p.endswith(".html")]))
    except jinja2.TemplateError as exc:
        raise _template_error(templates, exc) from None
    warnings = find_warnings(archive.articles, site, set(files), config.base_path)
    return files, len(site.articles), len(site.companies), warnings


def build(source: Path, output: Path | None, templates: Path, overrides: dict | None = None,
          strict: bool = False) -> Summary:
    """Build the site; with output None, validate and render only (check).

    Raises SiteError on bad input, and on any warning when strict.
    """
    started = time.perf_counter()
    config = load_config(source, overrides)
    files, articles, companies, warnings = generate(source, templates, config)
    search = index_search(files)  # check indexes too, so it reports what build would
    files.update(search.files)
    warnings += [Problem("pagefind", 0, search.problem)] if search.problem else []
    if strict and warnings:
        raise SiteError([Problem(w.path, w.line, f"{w.message} (--strict)") for w in warnings])
    if output is not None:
        write_site(files, output, source)
    return Summary(articles, companies, len(files), time.perf_counter() - started, config, tuple(warnings))
