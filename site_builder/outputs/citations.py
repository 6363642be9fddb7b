"""'Cite this article': a ready citation, and CSL-JSON and BibTeX files for reference managers.

Everything comes from the article's front matter and the site's base_url; the access date is the article's
`retrieved` time (when its raw original was fetched) and is left out when unknown, never taken from the clock.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial

from ..core.config import Config
from ..core.models import Article, Site
from ..core.urls import absolute, article_path, citation_path
from .base import Keys, Output, json_file

# LaTeX's special characters. BibTeX counts every brace, escaped or not, to find where a field ends, so a brace
# is written as a command (\textbraceleft{}): the braces of a field always balance, whatever the text.
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def _day(dt: datetime) -> str:
    """'15 January 2026': the date in the time's own offset (the publisher's local date)."""
    return f"{dt.day} {dt:%B %Y}"


def _sentence(text: str) -> str:
    return text if text[-1:] in ".?!" else text + "."


def citation_text(article: Article, config: Config) -> str:
    """A ready citation: source, title, column, date, original URL, archive URL and access date."""
    parts = [_sentence(article.source), f"“{_sentence(article.title)}”"]
    parts.append(f"{article.column}, {_day(article.published)}." if article.column else f"{_day(article.published)}.")
    if article.url:
        parts.append(f"{article.url}.")
    if config.base_url:  # without the site's address, no archive URL (never one the site is not at)
        parts.append(f"Archived in {config.title}: {absolute(config.base_url, article_path(article.slug))}.")
    else:
        parts.append(f"Archived in {config.title}.")
    if article.retrieved:
        parts.append(f"Accessed {_day(article.retrieved)}.")
    return " ".join(parts)


def _date_parts(dt: datetime) -> dict:
    return {"date-parts": [[dt.year, dt.month, dt.day]]}


def csl_item(article: Article, config: Config, summary: str) -> dict:
    """The article as one CSL-JSON item (the format Zotero, Mendeley and citeproc read)."""
    item = {
        "id": article.slug,
        "type": "article-newspaper",
        "title": article.title,
        "author": [{"literal": article.source}],
        "container-title": article.source,
        "issued": _date_parts(article.published),
        "language": article.language,
        "abstract": summary,
        "archive": config.title,
    }
    if config.base_url:
        item["archive_location"] = absolute(config.base_url, article_path(article.slug))
    if article.column:
        item["section"] = article.column
    if article.url:
        item["URL"] = article.url
    if article.retrieved:
        item["accessed"] = _date_parts(article.retrieved)
    return item


def bib_escape(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, whitespace made single spaces."""
    return "".join(_BIB_SPECIAL.get(ch, ch) for ch in " ".join(text.split()))


def _bib_url(url: str, in_text: bool = False) -> str:
    """A URL for a verbatim BibTeX field (url): the characters that would unbalance it percent-encoded. in_text:
    for \\url{...} in a text field (note), where LaTeX reads '%' and '#' first: escaped there too."""
    url = re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group(0)):02X}", url)
    return re.sub(r"[%#]", lambda m: "\\" + m.group(0), url) if in_text else url


def _bib_note(article: Article, config: Config) -> str:
    """'Archived in <title>: \\url{<the article's page>}', or without the URL when the site's address is unknown."""
    if not config.base_url:
        return bib_escape(f"Archived in {config.title}.")
    archive = absolute(config.base_url, article_path(article.slug))
    return bib_escape(f"Archived in {config.title}:") + r" \url{" + _bib_url(archive, in_text=True) + "}"


def bibtex(article: Article, config: Config) -> str:
    """The article as one biblatex @article entry (also read by BibTeX, which ignores unknown fields)."""
    fields = [
        ("author", "{" + bib_escape(article.source) + "}"),
        ("title", bib_escape(article.title)),
        ("journaltitle", bib_escape(article.source)),
        ("journal", bib_escape(article.source)),
    ]
    if article.column:
        fields.append(("issuetitle", bib_escape(article.column)))
    fields += [("date", f"{article.published:%Y-%m-%d}"), ("year", str(article.published.year))]
    if article.url:
        fields.append(("url", _bib_url(article.url)))
    if article.retrieved:
        fields.append(("urldate", f"{article.retrieved:%Y-%m-%d}"))
    fields += [("langid", bib_escape(article.language)), ("note", _bib_note(article, config))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@article{{{article.slug},\n{body}\n}}\n"


def render_citations(config: Config, site: Site, keys: Keys) -> list[Output]:
    """Each article's citation.json (CSL-JSON, a list of one item) and citation.bib."""
    out = []
    for a in site.articles:
        json_path, bib_path = citation_path(a.slug, "json"), citation_path(a.slug, "bib")
        out.append(Output(json_path, keys(json_path, lists=[a]), partial(_csl_file, a, config, site.summaries[a.slug])))
        out.append(Output(bib_path, keys(bib_path, lists=[a]), partial(_bib_file, a, config)))
    return out


def _csl_file(a: Article, config: Config, summary: str) -> bytes:
    return json_file([csl_item(a, config, summary)])


def _bib_file(a: Article, config: Config) -> bytes:
    return bibtex(a, config).encode("utf-8")
