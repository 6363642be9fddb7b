"""The Jinja environment and one function per page kind; returns {output path: bytes}, never touches disk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import jinja2
import jinja2.bccache
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from .. import __version__
from ..content.load import RAW_DIR
from ..content.markdown import mention_pattern
from ..core.config import Config
from ..core.models import Article, Company, CompanyPage, Site
from ..core.urls import (
    FEEDS_PAGE,
    absolute,
    article_path,
    citation_path,
    company_feed_path,
    company_path,
    feed_anchor,
    index_path,
    page_path,
    raw_path,
    relative,
    site_path,
    source_feed_path,
    source_path,
    version_path,
)
from ..model.versions import version_list
from .base import Keys, Output, ready
from .charts import draws_chart, month_span, timeline_sentence, timeline_svg
from .citations import citation_text
from .originals import DETECTOR, show as show_original
from .theme import Theme

STYLESHEET = "style.css"
LETTER_SECTIONS_AFTER = 20  # the company index is split by first letter only when it lists more companies


def make_env(theme: Theme) -> Environment:
    """Jinja with autoescaping for HTML and XML and StrictUndefined, so a template typo fails the build. Templates
    are looked up in the project's folder first, then in the package's theme (theme.py)."""
    loader = ChoiceLoader([FileSystemLoader(str(folder)) for folder in theme.folders])
    env = Environment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )  # each build makes a new environment: no need to stat a template per page
    env.filters["display_date"] = display_date
    env.filters["short_date"] = lambda dt: f"{dt.day} {dt:%b %Y}"
    env.filters["month_name"] = lambda m: datetime(2000, m, 1).strftime("%B")
    env.filters["iso"] = lambda dt: dt.isoformat()
    env.filters["highlight"] = highlight
    env.filters["headline"] = lambda a: headline(a.title, a.column)
    env.globals.update(
        source_path=source_path,
        source_feed_path=source_feed_path,
        citation_path=citation_path,
        feeds_page=FEEDS_PAGE,
        feed_anchor=feed_anchor,
    )
    return env


class BytecodeStore(jinja2.BytecodeCache):
    """Compiled templates kept in the build cache (Jinja checks each against its template's source)."""

    def __init__(self, previous: dict[str, bytes], current: dict[str, bytes]):
        self.previous, self.current = previous, current

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.current.get(bucket.key) or self.previous.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
            self.current[bucket.key] = data

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.current[bucket.key] = bucket.bytecode_to_string()


def highlight(text: str, company: Company) -> Markup:
    """Escape text and wrap each mention of company in <mark>."""
    pattern, _ = mention_pattern([company])
    parts, pos = [], 0
    for m in pattern.finditer(text) if pattern else ():
        parts += [escape(text[pos : m.start()]), Markup("<mark>%s</mark>") % m.group(0)]
        pos = m.end()
    return Markup("").join([*parts, escape(text[pos:])])


_PREFIX_SEPARATORS = (":", "\uff1a", "|")  # a column name followed by one of these (or a spaced dash) prefixes a title
_DASHES = ("-", "\u2013", "\u2014")


def headline(title: str, column: str | None) -> str:
    """The title as a page shows it under its column's kicker: without the column's name when the title starts
    with it (case-insensitively) followed by ':' (or '|', or a dash and a space), so 'GT Voice: Synergy ...'
    under the kicker 'GT Voice' reads 'Synergy ...'. The title itself (in <title>, feeds, JSON-LD, citations,
    the API) is the archive's record and is never shortened."""
    if not column or title[: len(column)].casefold() != column.casefold():
        return title
    rest = title[len(column) :].lstrip()
    if rest.startswith(_PREFIX_SEPARATORS):
        rest = rest[1:]
    elif rest.startswith(_DASHES) and rest[1:2].isspace():
        rest = rest[1:]
    else:
        return title
    rest = rest.strip()
    return rest or title


def display_date(dt: datetime) -> str:
    """'15 January 2026, 23:42 (UTC+08:00)': the publisher's local time and its offset."""
    offset = dt.strftime("%z")
    return f"{dt.day} {dt:%B %Y, %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> block that no string can break out of."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return Markup(text)


def static_assets(theme: Theme) -> tuple[list[Output], str]:
    """Every file of the theme's static/ (the project's file where it has one, else the package's); the
    stylesheet gets a content-hashed name, which is returned too."""
    files: dict[str, bytes] = {}
    css_path = ""
    for rel, path in theme.static_files().items():
        data = path.read_bytes()
        if rel == STYLESHEET:
            css_path = f"static/style.{hashlib.sha256(data).hexdigest()[:10]}.css"
            files[css_path] = data
        else:
            files[f"static/{rel}"] = data
    return [ready(path, data) for path, data in files.items()], css_path


@dataclass(frozen=True)
class Renderer:
    """Renders each page kind with the shared context every page needs; each page is an Output, made on demand."""

    env: Environment
    config: Config
    site: Site
    stylesheet: str  # output path
    keys: Keys

    def page(
        self,
        template: str,
        path: str,
        title: str,
        description: str,
        deps: Iterable[Article | None] = (),
        extra: object = None,
        **context: Any,
    ) -> Output:
        """One HTML page at output path `path`, listing the articles `deps` (and `extra`, for its key)."""
        return Output(
            path,
            self.keys(path, lists=deps, extra=extra),
            partial(self.render, template, path, title, description, context),
        )

    def render(self, template: str, path: str, title: str, description: str, context: dict[str, Any]) -> bytes:
        """The bytes of one HTML page."""
        link = (
            (lambda to: relative(path, to)) if path != "404.html" else (lambda to: site_path(self.config.base_path, to))
        )
        html = self.env.get_template(template).render(
            config=self.config,
            site=self.site,
            path=path,
            link=link,
            title=title,
            description=description,
            canonical=absolute(self.config.base_url, path) if self.config.base_url else None,
            stylesheet=link(self.stylesheet),
            article_path=article_path,
            company_path=company_path,
            company_feed_path=company_feed_path,
            generator=f"site-builder {__version__}",
            **context,
        )
        return html.encode("utf-8")

    def index_pages(self) -> list[Output]:
        """The home page list, paginated."""
        size = self.config.page_size
        chunks = [self.site.articles[i : i + size] for i in range(0, len(self.site.articles), size)] or [()]
        out = []
        for number, chunk in enumerate(chunks, start=1):
            path = index_path(number)
            title = self.config.title if number == 1 else f"{self.config.title}: page {number}"
            pages = {
                "number": number,
                "count": len(chunks),
                "newer": index_path(number - 1) if number > 1 else None,
                "older": index_path(number + 1) if number < len(chunks) else None,
            }
            out.append(
                self.page(
                    "index.html",
                    path,
                    title,
                    self.config.description,
                    chunk,
                    (number, len(chunks)),
                    articles=chunk,
                    pages=pages,
                )
            )
        return out

    def article(self, article: Article) -> Output:
        """One article page: it shows the article, its neighbours' titles and its related reading."""
        path = article_path(article.slug)
        older, newer = self.site.neighbours[article.slug]
        listed = (older, newer, *self.site.related.get(article.slug, ()))
        return Output(path, self.keys(path, [article], listed), partial(self._article, article, path))

    def _article(self, article: Article, path: str) -> bytes:
        older, newer = self.site.neighbours[article.slug]
        by_id = {c.id: c for c in self.site.companies}
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": article.published.isoformat(),
            "dateModified": (article.updated or article.published).isoformat(),
            "description": self.site.summaries[article.slug],
            "inLanguage": article.language,
            "author": {"@type": "Organization", "name": article.source},
            "publisher": {"@type": "Organization", "name": article.source},
        }
        if self.config.base_url:  # the page's address, only when the site's is known
            ld["mainEntityOfPage"] = ld["url"] = absolute(self.config.base_url, path)
        if article.authors:
            ld["author"] = [{"@type": "Person", "name": name} for name in article.authors]
        if article.url:
            ld["isBasedOn"] = article.url
        if article.section or article.column:
            ld["articleSection"] = article.column or article.section
        if article.companies:
            ld["mentions"] = [
                {
                    "@type": "Organization",
                    "name": by_id[c].name,
                    **({"url": absolute(self.config.base_url, company_path(c))} if self.config.base_url else {}),
                }
                for c in article.companies
            ]
        if article.credits:  # who is credited ('Photo: VCG' credits VCG), each once
            ld["creditText"] = ", ".join(dict.fromkeys(c.split(": ", 1)[-1] for c in article.credits))
        return self.render(
            "article.html",
            path,
            article.title,
            self.site.summaries[article.slug],
            dict(
                article=article,
                body=Markup(self.site.bodies[article.slug].html),
                older=older,
                newer=newer,
                companies=[by_id[c] for c in article.companies],
                raw=self._raw(article),
                versions=version_list(self.site, article),
                json_ld=json_ld(ld),
                og_type="article",
                citation=citation_text(article, self.config),
            ),
        )

    def _raw(self, article: Article) -> dict[str, str] | None:
        """What a page says of an article's raw original: its name under raw/, its file (output path), the page
        showing it, its sha256; None when the article has none."""
        name = self.site.raw_names.get(article.slug)
        if name is None:
            return None
        # an article with versions has a page per version (model/versions.py): the raw original is the last one
        count = len(self.site.version_names.get(article.slug, ())) or 1
        return {
            "name": f"{RAW_DIR}/{name}",
            "file": raw_path(name),
            "file_name": raw_path(name).rsplit("/", 1)[-1],
            "view": version_path(article.slug, count),
            "sha256": self.site.raw_sha256[name],
        }

    def originals(self) -> list[Output]:
        """The page of each article's raw original, shown as text (the file itself is published as .txt)."""
        out = []
        for article in self.site.articles:
            raw = self._raw(article)
            if raw is None or article.slug in self.site.version_names:  # pages of versions: outputs/diffs.py
                continue
            path = raw["view"]
            # it shows the original (its name and digest) and lists the article (title, date, source)
            key = self.keys(path, lists=[article], extra=(raw["name"], raw["sha256"], DETECTOR))
            out.append(Output(path, key, partial(self._original, article, path, raw)))
        return out

    def _original(self, article: Article, path: str, raw: dict[str, str]) -> bytes:
        data = self.site.raw_files[self.site.raw_names[article.slug]]
        return self.render(
            "original.html",
            path,
            f"Raw original: {article.title}",
            f"The raw original of \u201c{article.title}\u201d ({article.source}), as archived: "
            f"{raw['name']}, SHA-256 {raw['sha256']}.",
            dict(article=article, raw=raw, size=len(data), shown=show_original(data), version=None, versions=[]),
        )

    def company_pages(self) -> list[Output]:
        """The company index and each company's page."""
        pages = self.site.company_pages
        counts = {cid: len(p.mentions) for cid, p in pages.items()}
        latest = {cid: p.mentions[0].article for cid, p in pages.items() if p.mentions}  # mentions: newest first
        letters: dict[str, list] = {}
        for c in self.site.companies:
            first = c.name[:1].upper()
            letters.setdefault(first if first.isalpha() else "#", []).append(c)
        sectioned = len(self.site.companies) > LETTER_SECTIONS_AFTER
        # it lists each company's latest mention (date, link) and count; the registry is in the global key
        out = [
            self.page(
                "companies.html",
                page_path("companies"),
                "Companies",
                f"Every company mentioned in {self.config.title}, A to Z.",
                deps=list(latest.values()),
                extra=sorted((cid, counts[cid], a.slug) for cid, a in latest.items()),
                letters=sorted(letters.items()) if sectioned else None,
                companies=self.site.companies,
                counts=counts,
                latest=latest,
            )
        ]
        # a chart spans the archive's months (so every company's chart has the same axis): its key has the span
        span = month_span(a.published for a in self.site.articles)
        for cid, cp in pages.items():
            path = company_path(cid)
            dates = [m.article.published for m in cp.mentions]
            chart_span = span if draws_chart(dates) else None
            out.append(
                Output(
                    path,
                    self.keys(
                        path,
                        lists=[m.article for m in cp.mentions],
                        extra=([m.context for m in cp.mentions], chart_span),
                    ),
                    partial(self._company, path, cp, chart_span),
                )
            )
        return out

    def _company(self, path: str, cp: CompanyPage, span: tuple[int, int] | None) -> bytes:
        dates = [m.article.published for m in cp.mentions]
        chart = Markup(timeline_svg(dates, cp.company.name, span=span)) if span is not None else None
        return self.render(
            "company.html",
            path,
            cp.company.name,
            f"{cp.company.name}: {cp.company.description}. Articles in {self.config.title} that mention it.",
            dict(company_page=cp, chart=chart, chart_sentence=timeline_sentence(dates)),
        )

    def archive(self) -> Output:
        """Every article by year and month."""
        years: dict[int, list] = {}
        for y, m, arts in self.site.months:  # newest first; the counts follow from the articles listed
            years.setdefault(y, []).append((m, arts))
        return self.page(
            "archive.html",
            page_path("archive"),
            "Archive",
            f"Every article in {self.config.title}, by year and month.",
            self.site.articles,
            years=list(years.items()),
        )


def render_site(env: Environment, config: Config, site: Site, stylesheet: str, keys: Keys) -> list[Output]:
    """Every HTML page of the site, as outputs."""
    r = Renderer(env, config, site, stylesheet, keys)
    out = r.index_pages()
    out += [r.article(a) for a in site.articles]
    out += r.company_pages()
    out.append(r.archive())
    out.append(
        r.page(
            "search.html",
            page_path("search"),
            "Search",
            f"Search {config.title}: articles and companies.",
            site.articles,
        )
    )
    out.append(r.page("404.html", "404.html", "Page not found", "This page does not exist in the archive."))
    return out


def render_originals(env: Environment, config: Config, site: Site, stylesheet: str, keys: Keys) -> list[Output]:
    """The page of each article's raw original. Not among render_site's pages: evidence, not reading, so it is
    neither in the sitemap nor in the search index (see pipeline.generate)."""
    return Renderer(env, config, site, stylesheet, keys).originals()
