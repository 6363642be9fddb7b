"""The pipeline of one build, up to the write: load -> model -> define every output (render, feeds, API, ...).

Builder (build.py) imports this module only when a build has work to do, so a build with nothing changed never
pays for importing Jinja, Python-Markdown and PyYAML.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from ..content.load import load_archive
from ..core.config import BASE_URL_UNSET, CONFIG_NAME, Config
from ..core.errors import Collector, Problem, SiteError, display_path
from ..core.urls import article_path, raw_path
from ..model.checks import find_warnings
from ..model.schedule import build_now
from ..model.site import build_site, company_href, sorted_companies
from ..outputs.api import render_api
from ..outputs.base import Keys, Output, by_path, global_key, ready
from ..outputs.citations import render_citations
from ..outputs.diffs import render_versions
from ..outputs.favicon import FAVICON, favicon_file
from ..outputs.feeds import render_feeds, render_sitemap
from ..outputs.jsonfeed import render_json_feed
from ..outputs.pages import BytecodeStore, make_env, render_originals, render_site, static_assets
from ..outputs.redirects import render_redirects
from ..outputs.source_pages import render_feeds_page, render_source_feeds, render_source_pages
from ..outputs.theme import Theme
from .search import SearchIndex, index_search
from .store import search_key, tree_key

if TYPE_CHECKING:
    from .store import BuildCache


def _template_error(theme: Theme, exc: jinja2.TemplateError) -> SiteError:
    """Name the template file and line: from a syntax error, or from the innermost template frame."""
    name = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None) or 0
    if not name:
        # frames name templates as the loader found them: relative to the folder given
        roots = [folder.resolve() for folder in theme.folders]
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if any(Path(f.filename).resolve().is_relative_to(root) for root in roots)
        ]
        if frames:
            name, line = frames[-1].filename, frames[-1].lineno or 0
    where = display_path(name) if name else display_path(theme.folders[0])
    return SiteError([Problem(where, line, f"template error: {exc.message or exc}")])


@dataclass
class Generated:
    """The site, modelled and ready to make: every output (not made yet) and what the summary reports."""

    outputs: list[Output]
    articles: int
    companies: int
    warnings: list[Problem]
    held_back: tuple[str, ...]
    # the pages search indexes: the site's own pages (not a raw original, its page, a redirect or a feed)
    searchable: frozenset[str] = frozenset()


def compile_templates(env: jinja2.Environment, templates: Theme, errors: Collector) -> None:
    """Compile every page template now (the environment keeps them), so a syntax error in any of them is
    reported with the archive's problems, in the same run, and not only when a page needs that template."""
    for name in env.list_templates(extensions=("html", "xml")):
        if name.startswith("static/"):
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateError as exc:
            errors.extend(_template_error(templates, exc))


def generate(
    source: Path,
    templates: Theme,
    config: Config,
    cache: BuildCache | None = None,
    states: dict[str, tuple[int, ...]] | None = None,
    errors: Collector | None = None,
    strict: bool = False,
) -> Generated:
    """Load and model the archive, and define every output of the site (made later, by the write step).
    states: the input files' states, taken before the build began (see load_articles).

    Every check runs on what is valid so far (an article whose front matter is broken is left out of the later
    checks; every other one goes on), gathering into errors (problems found before, in site.toml, say, may be
    in it already); only then is one SiteError raised with all of them, and with strict, with every warning
    that could be found too."""
    errors = errors if errors is not None else Collector()
    # a cold build converts each body as it loads: both cores are busy from the first file on
    prefetch = (
        (lambda companies, count: cache.prefetch(sorted_companies(companies), company_href, count))
        if cache is not None
        else None
    )
    archive = load_archive(source, cache.articles if cache is not None else None, prefetch, states, errors)
    memo = cache.memo if cache is not None else None
    try:
        now = build_now()
    except SiteError as exc:  # a bad SOURCE_DATE_EPOCH: reported with the rest; every article checked as if due
        errors.extend(exc)
        now = None
    env = make_env(templates)
    if cache is not None and cache.reuse:  # compiled templates, kept in the cache
        env.bytecode_cache = BytecodeStore(cache.previous.bytecode, cache.current.bytecode)
    compile_templates(env, templates, errors)  # while the pool converts the bodies
    try:
        site = build_site(archive, now, convert=cache.convert if cache else None, memo=memo, errors=errors)
    except SiteError as exc:  # bodies refused as they were converted (limits.py): reported with all found so far
        errors.extend(exc)
        errors.raise_if_any()
    outputs, stylesheet = static_assets(templates)
    outputs.append(ready(FAVICON, favicon_file(config.title, templates)))  # linked from every page
    theme_key = "\0".join(tree_key(folder) for folder in templates.folders)
    keys = Keys(global_key(theme_key, stylesheet, config, site.companies), site)
    # what a template makes is keyed on what the code declares only for the templates those keys were written
    # for (the package's theme); when any of them comes from the project's folder, on the whole site (theme.py)
    templated = keys if templates.is_default else keys.whole_site(site)
    pages = (
        render_site(env, config, site, stylesheet, templated)
        + render_source_pages(env, config, site, stylesheet, templated)
        + render_feeds_page(env, config, site, stylesheet, templated)
    )
    outputs += pages
    # the raw originals: each file as .txt, byte for byte, and a page showing it; neither a page to search or list
    outputs += [ready(raw_path(name), data) for name, data in site.raw_files.items()]
    outputs += render_originals(env, config, site, stylesheet, templated)
    outputs += render_versions(env, config, site, stylesheet, templated)  # corrections: each version, each change
    outputs += render_feeds(env, config, site, templated)
    outputs += render_source_feeds(env, config, site, templated)
    outputs += render_json_feed(config, site, keys)
    outputs += render_citations(config, site, keys)
    outputs += render_api(config, site, keys)
    outputs += render_sitemap(env, config, site, templated, [o.path for o in pages if o.path.endswith(".html")])
    outputs += render_redirects(
        env,
        config,
        site,
        templated,
        [o.path for o in outputs],  # after the sitemap: not in it
        errors,
    )
    outputs = list(by_path(outputs).values())
    files = {o.path for o in outputs}
    if archive.lost:  # a link to an article left out for an error of its own is not a second problem
        files |= {article_path(slug) for slug in archive.lost if slug}
    warnings = find_warnings(archive.articles, site, files, config.base_path, memo)
    if not config.base_url:  # one warning for every output that needs the site's address (config.py)
        warnings.insert(0, Problem(display_path(source / CONFIG_NAME), 0, BASE_URL_UNSET))
    if errors.problems:
        if strict:
            errors.problems += [w.as_strict() for w in warnings]
        errors.raise_if_any()
    held_back = tuple(f"{display_path(a.path)} ({a.published.isoformat()})" for a in site.held_back)
    searchable = frozenset(o.path for o in pages if o.path.endswith(".html"))
    return Generated(outputs, len(site.articles), len(site.companies), warnings, held_back, searchable)


def explain(templates: Theme, exc: Exception) -> SiteError | None:
    """A template error as a SiteError naming the template file and line; None for any other exception."""
    return _template_error(templates, exc) if isinstance(exc, jinja2.TemplateError) else None


def made(o: Output, explain) -> Output:
    """o with its bytes made now (a template error raised as a SiteError)."""
    try:
        data = o.make()
    except jinja2.TemplateError as exc:
        raise explain(exc) from None
    return Output(o.path, o.key, lambda: data)


def page_bytes(o: Output, output: Path | None, previous: dict, explain) -> bytes:
    """The bytes of o: the previous build's file when o's key is unchanged and the file is as written, else made."""
    record = previous.get(o.path)
    if output is not None and record is not None and record[0] == o.key:
        try:
            path = output / o.path
            st = path.stat()
            if (st.st_size, st.st_mtime_ns, st.st_ino) == record[1:]:
                return path.read_bytes()
        except OSError:
            pass
    return made(o, explain).make()


def search_index(
    cache: BuildCache,
    outputs: list[Output],
    previous: dict,
    explain: Callable,
    output: Path | None,
    indexer: Path | None,
    searchable: frozenset[str],
) -> SearchIndex:
    """The search index of the site's pages (the outputs whose paths are in searchable): the last build's while
    no such page changed, else made anew (with indexer, the Pagefind binary; without it, none, and the reason).
    Pagefind sees only those pages: never a raw original or the page showing one."""
    if indexer is None:
        return index_search({})  # reports why there is none
    outputs = [o for o in outputs if o.path in searchable]
    key = search_key({o.path: o.key for o in outputs})  # Pagefind is slow: reuse its index while no page changed
    found = cache.search(key)
    if found is None:
        pages = {o.path: page_bytes(o, output, previous, explain) for o in outputs if o.path.endswith(".html")}
        found = index_search(pages, indexer)  # check indexes too, so it reports what build would
    if found.problem is None:  # a missing binary may be installed before the next build: try again then
        cache.keep_search(key, found)
    return SearchIndex(found.files, found.problem)
