"""Convert the publisher's raw text into an article file with provenance; used only by `import`."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import yaml

from . import frontmatter
from .errors import Collector, Problem, SiteError, decode_utf8, display_path
from .load import ARTICLES_DIR, RAW_DIR, load_registry
from .markup import mention_pattern
from .models import Company
from .urls import slugify

_SPACE = r"[\s\u00a0]"
_HEADER = re.compile(rf"^(\S.*?){_SPACE}+/{_SPACE}+(\S.*?){_SPACE}*$")
_PUBLISHED = re.compile(r"^Published:\s+([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}) (AM|PM)\s*$")
_CREDIT = re.compile(r"^Illustration:\s*(\S.*?)\s*$")
_RETRIEVED = re.compile(r"^Retrieved:\s*(\S.*?)\s*$")  # optional: when the scraper fetched the page


@dataclass(frozen=True)
class RawArticle:
    """What the publisher's raw text says."""

    section: str
    column: str
    title: str
    published: datetime
    illustration: str | None
    paragraphs: tuple[str, ...]
    retrieved: datetime | None = None  # from a 'Retrieved:' header line, if the file records one


def _label(text: str, title: str) -> str:
    """'GT VOICE' -> 'GT Voice': the casing the title uses if it starts with it, else capitalised words."""
    plain = text.replace("\u00a0", " ").strip()
    if title.casefold().startswith(plain.casefold()):
        return title[: len(plain)]
    return " ".join(w if len(w) <= 2 else w.capitalize() for w in plain.split())


def parse_raw(text: str, path: str, zone: tzinfo) -> RawArticle:
    """Parse the raw format; raise SiteError naming the file and line on anything unexpected."""
    def fail(line: int, message: str) -> SiteError:
        return SiteError([Problem(path, line, message)])

    lines = [line.rstrip() for line in text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")]
    if not any(lines):
        raise fail(1, "empty file")
    header = _HEADER.match(lines[0])
    if not header:
        raise fail(1, "expected 'SECTION / COLUMN' on the first line")
    if len(lines) < 2 or not lines[1].strip():
        raise fail(2, "expected the title on the second line")
    title = " ".join(lines[1].split())
    published = _PUBLISHED.match(lines[2]) if len(lines) > 2 else None
    if not published:
        raise fail(3, "expected 'Published: Mon D, YYYY H:MM AM|PM' on the third line")
    mon, day, year, hour, minute, half = published.groups()
    try:
        naive = datetime.strptime(f"{mon} {day} {year} {hour}:{minute} {half}", "%b %d %Y %I:%M %p")
    except ValueError:
        raise fail(3, f"not a valid date: {lines[2].removeprefix('Published:').strip()!r}") from None
    credits: list[str] = []
    retrieved: datetime | None = None
    i = 3
    while i < len(lines) and (not lines[i] or _CREDIT.match(lines[i]) or _RETRIEVED.match(lines[i])):
        if (m := _CREDIT.match(lines[i])) and m.group(1) not in credits:
            credits.append(m.group(1))
        if m := _RETRIEVED.match(lines[i]):
            retrieved = _retrieved(m.group(1), i + 1, fail)
        i += 1
    if len(credits) > 1:
        raise fail(4, f"more than one illustration credit: {credits}")
    paragraphs, current = [], []
    for line in lines[i:] + [""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if not paragraphs:  # point at the header's last line, not past the end of the file
        raise fail(max(n for n, line in enumerate(lines, start=1) if line), "no body paragraphs after the header")
    return RawArticle(_label(header.group(1), title), _label(header.group(2), title), title,
                      naive.replace(tzinfo=zone), credits[0] if credits else None, tuple(paragraphs), retrieved)


def _retrieved(text: str, line: int, fail) -> datetime:
    """A 'Retrieved:' header value: an ISO 8601 date and time that must carry its UTC offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(line, f"Retrieved: not an ISO 8601 date and time: {text!r}") from None
    if value.tzinfo is None:
        raise fail(line, f"Retrieved: {text!r} has no UTC offset (write e.g. 2026-01-16T09:30:00+08:00)")
    return value


def markdown_escape(paragraph: str) -> str:
    """Escape what Markdown would read as markup, so the text renders word for word."""
    text = re.sub(r"&(?=#|\w+;)", "&amp;", paragraph).replace("<", "&lt;")  # "&#65" is a character reference too
    text = re.sub(r"([\\`*_\[\]{}|>])", r"\\\1", text)  # '{}' attr_list, '|' tables
    text = re.sub(r"^(\s*)([#+-])", r"\1\\\2", text, flags=re.MULTILINE)
    # ':' definition lists, '=' setext headings, '~' fenced code: Markdown has no backslash escape for these
    text = re.sub(r"^(\s*)([:=~])", lambda m: f"{m.group(1)}&#{ord(m.group(2))};", text, flags=re.MULTILINE)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text, flags=re.MULTILINE)


def mentioned(companies: tuple[Company, ...], paragraphs: tuple[str, ...]) -> list[str]:
    """Ids of registry companies the text names, in order of first mention."""
    pattern, owner = mention_pattern(companies)
    found: list[str] = []
    if pattern is not None:
        for m in pattern.finditer("\n\n".join(paragraphs)):
            if owner[m.group(0)] not in found:
                found.append(owner[m.group(0)])
    return found


def article_text(raw: RawArticle, publication: str, url: str | None, raw_rel: str, sha: str, companies: list[str],
                 retrieved: datetime | None = None) -> str:
    """The article file: YAML front matter, a blank line, then the paragraphs."""
    meta = {"title": raw.title, "published": raw.published.isoformat(), "source": publication,
            "column": raw.column, "section": raw.section}
    if raw.illustration:
        meta["illustration"] = raw.illustration
    if url:
        meta["url"] = url
    if retrieved:
        meta["retrieved"] = retrieved.isoformat()
    meta.update({"raw": raw_rel, "raw_sha256": sha, "language": "en", "companies": companies})
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    body = "\n\n".join(markdown_escape(p) for p in raw.paragraphs)
    return f"---\n{front}---\n\n{body}\n"


def _recorded_retrieved(article: Path) -> datetime | None:
    """The `retrieved` time an existing article file records (kept when it is re-imported), if any."""
    if not article.is_file():
        return None
    parsed, _ = frontmatter.parse(article.read_text(encoding="utf-8"))
    return parsed.values.get("retrieved") if parsed else None


def import_raw(raw_file: Path, source: Path, zone: tzinfo, publication: str, url: str | None, force: bool,
               retrieved: datetime | None = None) -> Path:
    """Import one raw file into source; return the article path. Nothing is written on any error.

    `retrieved` (when the raw file was fetched) defaults to the raw file's own 'Retrieved:' line, then to what the
    article being replaced records; it is never taken from the clock or the file's modification time, so
    importing the same file gives the same article.
    """
    data = raw_file.read_bytes()
    shown = display_path(raw_file)
    text = decode_utf8(data, raw_file)
    raw = parse_raw(text, shown, zone)
    errors = Collector()
    registry = load_registry(source, errors)
    errors.raise_if_any()
    slug = slugify(raw.title)
    if not slug:
        raise SiteError([Problem(shown, 2, "the title gives an empty slug")])
    article = source / ARTICLES_DIR / f"{slug}.md"
    raw_dest = source / RAW_DIR / raw_file.name
    problems = []
    if article.exists() and not force:
        problems.append(Problem(display_path(article), 0, "article exists; use --force to overwrite it"))
    if raw_dest.exists() and raw_dest.resolve() != raw_file.resolve() and raw_dest.read_bytes() != data and not force:
        problems.append(Problem(display_path(raw_dest), 0, "a different raw file has this name; use --force to replace it"))
    if problems:
        raise SiteError(problems)
    sha = hashlib.sha256(data).hexdigest()
    retrieved = retrieved or raw.retrieved or _recorded_retrieved(article)
    text_out = article_text(raw, publication, url, f"{RAW_DIR}/{raw_file.name}", sha, mentioned(registry, raw.paragraphs),
                            retrieved)
    raw_dest.parent.mkdir(parents=True, exist_ok=True)
    if raw_dest.resolve() != raw_file.resolve():
        raw_dest.write_bytes(data)
    article.parent.mkdir(parents=True, exist_ok=True)
    article.write_text(text_out, encoding="utf-8")
    return article
