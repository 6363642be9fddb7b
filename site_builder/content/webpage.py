"""A saved news page (.html, .htm) into the record the raw-text parser makes (importer.RawArticle); used only
by `import`. The page's own metadata gives the title, date, authors, publication and language (JSON-LD, Open
Graph and other meta tags, <h1>, <time>, <html lang>); trafilatura finds the article's text among navigation,
ads, related links and comments. Nothing is guessed: what the page does not say is an error naming the field
and the option that supplies it. trafilatura, htmldate and lxml are imported here, when a page is imported."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..core.chars import LANG_RE, url_problem
from ..core.errors import Problem, SiteError
from .record import RawArticle, markdown_escape, split_credits

MAX_PAGE_BYTES = 8 * 1024 * 1024  # a saved page larger than this is refused unread (load.MAX_FILE_BYTES)
_ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
    "ScholarlyArticle",
    "TechArticle",
}
# meta tags (name, property or itemprop) that give the publication date, best first; never a modified date
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
)
_CHARSET_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# what browsers read these labels as (the WHATWG Encoding Standard): the larger character set
_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "utf8": "utf-8",
}
_SPACES = re.compile(r"\s+")
_UPDATED = re.compile(r"updat|modif|edit|revis|aktualisiert|mis à jour|更新", re.IGNORECASE)


def _fail(path: str, message: str) -> SiteError:
    return SiteError([Problem(path, 0, message)])


def _clean(text: Any) -> str:
    return _SPACES.sub(" ", text).strip() if isinstance(text, str) else ""


def decode_page(data: bytes, path: str, declared: str | None = None) -> str:
    """The page's text: a byte order mark first, then the charset declared (by the HTTP header the WARC kept, or
    the page's <meta> tag), then UTF-8, then the encoding the detector (chardet) judges most likely."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name)
            except UnicodeDecodeError as exc:
                raise _fail(
                    path,
                    f"not valid {name.upper()} at byte offset {exc.start + len(bom)} "
                    f"(the byte order mark says {name.upper()})",
                ) from None
    if declared is None and (m := _CHARSET_META.search(data[:4096])):
        declared = m.group(1).decode("ascii")
    candidates = []
    if declared:
        name = _SUPERSETS.get(declared.strip().lower(), declared.strip().lower())
        try:
            candidates.append(codecs.lookup(name).name)
        except LookupError:
            pass  # an unknown label: as if none were declared
    candidates.append("utf-8")
    for name in candidates:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    import chardet  # a dependency already (outputs/originals.py)

    found = chardet.detect(data, prefer_superset=True).get("encoding")
    if found:
        try:
            return data.decode(found)
        except (LookupError, UnicodeDecodeError):
            pass
    raise _fail(
        path, "cannot tell the page's character encoding (no charset it is valid in is declared, and it is not UTF-8)"
    )


def _json_ld(tree: Any) -> list[dict]:
    """Every JSON-LD object of the page (lists and @graph flattened), in document order."""
    found: list[dict] = []

    def walk(value: Any, depth: int = 0) -> None:
        if depth > 8:
            return
        if isinstance(value, list):
            for v in value:
                walk(v, depth + 1)
        elif isinstance(value, dict):
            found.append(value)
            walk(value.get("@graph"), depth + 1)

    for script in tree.xpath('//script[translate(@type, "LDJSON+", "ldjson+")="application/ld+json"]'):
        try:
            walk(json.loads(script.text or ""))
        except (ValueError, RecursionError):
            continue  # a broken block says nothing
    return found


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    return {x for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)}


def _metas(tree: Any) -> dict[str, str]:
    """meta name/property/itemprop (lower case) -> the first non-empty content."""
    metas: dict[str, str] = {}
    for meta in tree.xpath("//meta[@content]"):
        content = _clean(meta.get("content"))
        for attr in ("property", "name", "itemprop"):
            key = (meta.get(attr) or "").strip().lower()
            if key and content and key not in metas:
                metas[key] = content
    return metas


def _names(value: Any) -> Iterator[str]:
    """The names an author or publisher value gives (a string, an object with a name, or a list of them)."""
    if isinstance(value, str):
        yield _clean(value)
    elif isinstance(value, dict):
        yield _clean(value.get("name"))
    elif isinstance(value, list):
        for v in value[:50]:
            yield from _names(v)


def _moment(text: str) -> datetime | None:
    """An ISO 8601 date and time ('Z' or an offset) or None."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _published(tree: Any, article: dict, metas: dict[str, str], text: str, path: str) -> datetime:
    """The publication date and time, with its UTC offset, as the page states it: JSON-LD datePublished, then the
    meta tags, then a <time> marked as the publication's; never dateModified. Else an error saying what is missing."""
    stated: list[str] = []
    if isinstance(article.get("datePublished"), str):
        stated.append(article["datePublished"])
    stated += [metas[k] for k in _PUBLISHED_META if k in metas]
    stated += [t.get("datetime") for t in tree.xpath('//time[@datetime][@pubdate or @itemprop="datePublished"]')]
    times = tree.xpath("//article//time[@datetime]") or tree.xpath("//time[@datetime]")
    if len({t.get("datetime") for t in times}) == 1 and not _UPDATED.search(  # a lone time: the date line...
        " ".join(
            [
                times[0].text_content(),
                times[0].get("class") or "",
                times[0].get("itemprop") or "",
                (times[0].getparent().text or "") if times[0].getparent() is not None else "",
            ]
        )
    ):
        stated.append(times[0].get("datetime"))  # ...unless it says it is the time of an update
    for value in stated:
        moment = _moment(value or "")
        if moment is not None and moment.tzinfo is not None and len(value.strip()) > 10:
            return moment
    option = "give it with --published (e.g. --published 2026-01-15T23:42:00+08:00)"
    given = next((v.strip() for v in stated if v and v.strip()), None)
    if given:
        raise _fail(path, f"published: the page gives {given!r}, not a date and time with its UTC offset; {option}")
    try:  # htmldate looks further (the URL, the text, other markup): a day at best, and an inference: only said
        import htmldate

        inferred = htmldate.find_date(text, extensive_search=False, original_date=True)
    except Exception:
        inferred = None
    hint = f" (htmldate infers the day {inferred}, without a time)" if inferred else ""
    raise _fail(path, f"published: the page states no publication date{hint}; {option}")


def _title(tree: Any, article: dict, metas: dict[str, str], path: str) -> str:
    """The headline the page shows: its <h1> (in <article> or <main> first), else JSON-LD headline, else the
    Open Graph title."""
    for xpath in ("//article//h1", "//main//h1", "//h1"):
        for h1 in tree.xpath(xpath):
            if title := _clean(h1.text_content()):
                return title
    for value in (article.get("headline"), metas.get("og:title"), metas.get("twitter:title")):
        if title := _clean(value):
            return title
    raise _fail(path, "title: the page has no <h1>, JSON-LD headline or og:title")


def _publication(article: dict, metas: dict[str, str], page_title: str) -> str | None:
    """The publication's name as readers know it: of og:site_name and the JSON-LD publisher (which can be a
    parent company), the one the page's <title> ends with, else og:site_name, else the publisher."""
    candidates = [
        _clean(metas.get("og:site_name")),
        next((n for n in _names(article.get("publisher")) if n), ""),
        next(
            (
                n
                for n in _names((article.get("isPartOf") or {}) if isinstance(article.get("isPartOf"), dict) else None)
                if n
            ),
            "",
        ),
        _clean(metas.get("application-name")),
    ]
    candidates = [c for c in candidates if c]
    for c in candidates:
        if re.search(rf"[|\-\u2013\u2014:]\s*{re.escape(c)}\s*$", page_title):
            return c
    return candidates[0] if candidates else None


def _authors(article: dict, metas: dict[str, str]) -> tuple[str, ...]:
    names = [n for n in _names(article.get("author")) if n]
    if not names and metas.get("author") and not metas["author"].startswith(("http://", "https://")):
        names = [metas["author"]]
    names = [re.sub(r"^(by|par|von|por)\s+", "", n, flags=re.IGNORECASE) for n in names]
    return tuple(dict.fromkeys(n for n in names if n))


def _language(tree: Any, article: dict, metas: dict[str, str]) -> str | None:
    values = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        metas.get("content-language"),
        article.get("inLanguage"),
        metas.get("og:locale"),
    ]
    for value in values:
        if isinstance(value, str) and (tag := value.strip().replace("_", "-")) and LANG_RE.fullmatch(tag):
            return tag
    return None


def _text_of(element: Any, sep: str = " ") -> str:
    """An extracted element's text, line breaks (<lb/>) as sep."""
    parts: list[str] = []

    def walk(e: Any) -> None:
        if e.tag == "lb":
            parts.append(sep)
        elif e.text:
            parts.append(e.text)
        for child in e:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return sep.join(_clean(line) for line in "".join(parts).split(sep)) if sep == "\n" else _clean("".join(parts))


def _blocks(body: Any) -> Iterator[tuple[str, str]]:
    """(kind, plain text) of each block trafilatura kept: 'h2'..'h6', 'p', 'ul', 'ol' (an item), 'quote'."""
    for e in body:
        if e.tag == "head":
            level = int(m.group(1)) if (m := re.fullmatch(r"h([1-6])", e.get("rend") or "")) else 2
            yield f"h{max(2, level)}", _text_of(e)
        elif e.tag == "list":
            kind = "ol" if (e.get("rend") or "").lower() == "ol" else "ul"
            for item in e.iter("item"):
                yield kind, _text_of(item)
        elif e.tag == "quote":
            paragraphs = [_text_of(p) for p in e if p.tag == "p"] or [_text_of(e)]
            for text in paragraphs:
                yield "quote", text
        elif e.tag == "table":
            for row in e.iter("row"):
                yield "ul", " | ".join(_text_of(cell) for cell in row)
        else:  # p, code, and anything else: a paragraph
            yield "p", _text_of(e, "\n")


def _markdown(blocks: list[tuple[str, str]]) -> str:
    """The blocks as Markdown, each text escaped (importer.markdown_escape) so it says what the page said."""
    out: list[str] = []
    for i, (kind, text) in enumerate(blocks):
        escaped = markdown_escape(text)
        if kind.startswith("h"):
            line = f"{'#' * int(kind[1])} {escaped}"
        elif kind in ("ul", "ol"):
            line = f"{'-' if kind == 'ul' else '1.'} {escaped}"
        elif kind == "quote":
            line = "\n".join(f"> {part}" for part in escaped.split("\n"))
        else:
            line = escaped
        same_list = out and kind in ("ul", "ol", "quote") and blocks[i - 1][0] == kind
        out.append(("\n>\n" if kind == "quote" else "\n") + line if same_list else ("\n\n" if out else "") + line)
    return "".join(out)


def _body(text: str, title: str, path: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The article's blocks (navigation, ads, related links, comments and prompts left out) and the credits that
    were paragraphs of their own or ended a caption (importer.split_credits)."""
    try:
        import trafilatura

        doc = trafilatura.bare_extraction(
            text,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_formatting=True,
            include_links=False,
            with_metadata=False,
            deduplicate=False,
            favor_precision=True,
        )
    except RecursionError:
        raise _fail(path, "the page is nested too deeply to read") from None
    except Exception as exc:
        raise _fail(path, f"cannot extract the article's text: {type(exc).__name__}: {exc}") from None
    body = getattr(doc, "body", None)
    blocks = [(k, t) for k, t in _blocks(body)] if body is not None else []
    blocks = [(k, t) for k, t in blocks if t.strip()]
    if blocks and blocks[0][0].startswith("h") and _clean(blocks[0][1]).casefold() == title.casefold():
        blocks = blocks[1:]  # the headline itself: it is the title
    credits: list[str] = []
    kept: list[tuple[str, str]] = []
    for kind, block in blocks:
        if kind == "p":
            rest, found = split_credits([block])
            credits += [c for c in found if c not in credits]
            if not rest:
                continue
        kept.append((kind, block))
    blocks = kept
    if not any(k == "p" or k == "quote" or k in ("ul", "ol") for k, _ in blocks):
        raise _fail(path, "no article text found in the page")
    return blocks, credits


def parse_page(
    data: bytes,
    path: str,
    *,
    charset: str | None = None,
    url: str | None = None,
    published: datetime | None = None,
    language: str | None = None,
) -> RawArticle:
    """A saved page's article; raise SiteError naming path and what is missing. charset: the HTTP header's (a
    WARC record keeps it); url: where it was fetched (else the page's canonical link); published and language:
    what the command line gives, used only when the page does not state them."""
    if len(data) > MAX_PAGE_BYTES:
        raise _fail(path, f"page too large: {len(data)} bytes (at most {MAX_PAGE_BYTES})")
    text = decode_page(data, path, charset)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses a str with an encoding declaration
    try:
        import lxml.html

        tree = lxml.html.document_fromstring(text) if text.strip() else None
    except (ValueError, RecursionError) as exc:
        raise _fail(path, f"cannot read the page as HTML: {exc}") from None
    except Exception as exc:
        raise _fail(path, f"cannot read the page as HTML: {exc}") from None
    if tree is None:
        raise _fail(path, "empty page")
    for junk in tree.xpath("//script[not(contains(@type, 'ld+json'))]|//style|//noscript|//template"):
        junk.drop_tree()
    objects = _json_ld(tree)
    article = next((o for o in objects if _types(o) & _ARTICLE_TYPES), {})
    metas = _metas(tree)
    title = _title(tree, article, metas, path)
    page_title = _clean(tree.findtext(".//title") or "")
    try:
        moment = _published(tree, article, metas, text, path)
    except SiteError:
        if published is None:
            raise
        moment = published
    lang = _language(tree, article, metas) or language
    if lang is None:
        raise _fail(
            path,
            "language: the page does not state its language (<html lang>, content-language, "
            "inLanguage); give it with --language (e.g. --language en)",
        )
    if url is None:
        canonical = next(iter(tree.xpath('//link[@rel="canonical"]/@href')), None) or metas.get("og:url")
        url = canonical.strip() if canonical and url_problem(canonical.strip()) is None else None
    blocks, credits = _body(lxml.html.tostring(tree, encoding="unicode"), title, path)
    return RawArticle(
        section=None,
        column=None,
        title=title,
        published=moment,
        credits=tuple(credits),
        paragraphs=tuple(t for _, t in blocks),
        markdown=_markdown(blocks),
        language=lang,
        url=url,
        publication=_publication(article, metas, page_title),
        authors=_authors(article, metas),
    )
