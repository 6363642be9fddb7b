"""Convert the publisher's raw text into an article file with provenance; used only by `import`."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import yaml

from ..core.errors import Collector, Problem, SiteError, decode_utf8, display_path
from ..core.models import Company
from ..core.safefs import Refused, Within, kind, read_regular, write_new, write_replacing
from ..core.urls import slugify
from . import frontmatter
from .load import ARTICLES_DIR, MAX_FILE_BYTES, RAW_DIR, load_registry
from .markdown import mention_pattern
from .record import RawArticle, credit_of, credits_meta, markdown_escape, split_credits
from .versions import plan_update

_SPACE = r"[\s\u00a0]"
_HEADER = re.compile(rf"^(\S.*?){_SPACE}+/{_SPACE}+(\S.*?){_SPACE}*$")
_PUBLISHED = re.compile(r"^Published:\s+([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}) (AM|PM)\s*$")
_RETRIEVED = re.compile(r"^Retrieved:\s*(\S.*?)\s*$")  # optional: when the scraper fetched the page


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
    while i < len(lines) and (not lines[i] or credit_of(lines[i]) or _RETRIEVED.match(lines[i])):
        if (credit := credit_of(lines[i])) and credit not in credits:
            credits.append(credit)
        if m := _RETRIEVED.match(lines[i]):
            retrieved = _retrieved(m.group(1), i + 1, fail)
        i += 1
    paragraphs, current = [], []
    for line in [*lines[i:], ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    paragraphs, more = split_credits(paragraphs)
    credits += [c for c in more if c not in credits]
    if not paragraphs:  # point at the header's last line, not past the end of the file
        raise fail(max(n for n, line in enumerate(lines, start=1) if line), "no body paragraphs after the header")
    return RawArticle(
        _label(header.group(1), title),
        _label(header.group(2), title),
        title,
        naive.replace(tzinfo=zone),
        tuple(credits),
        tuple(paragraphs),
        retrieved,
    )


def _retrieved(text: str, line: int, fail) -> datetime:
    """A 'Retrieved:' header value: an ISO 8601 date and time that must carry its UTC offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(line, f"Retrieved: not an ISO 8601 date and time: {text!r}") from None
    if value.tzinfo is None:
        raise fail(line, f"Retrieved: {text!r} has no UTC offset (write e.g. 2026-01-16T09:30:00+08:00)")
    return value


def mentioned(companies: tuple[Company, ...], paragraphs: tuple[str, ...]) -> list[str]:
    """Ids of registry companies the text names, in order of first mention."""
    pattern, owner = mention_pattern(companies)
    found: list[str] = []
    if pattern is not None:
        for m in pattern.finditer("\n\n".join(paragraphs)):
            if owner[m.group(0)] not in found:
                found.append(owner[m.group(0)])
    return found


# kept from the article a re-import replaces (import --force), unless a command-line option gives them: every
# key the raw file does not determine; written after the keys import always writes, in the schema's order
KEPT_KEYS = (
    "source",
    "url",
    "retrieved",
    "language",
    "illustration",
    "credits",
    "authors",
    "slug",
    "summary",
    "updated",
    "draft",
    "tags",
    "aliases",
)


def article_text(
    raw: RawArticle,
    publication: str,
    url: str | None,
    raw_rel: str,
    sha: str,
    companies: list[str],
    retrieved: datetime | None = None,
    kept: dict | None = None,
) -> str:
    """The article file: YAML front matter, a blank line, then the paragraphs. kept: front matter values of the
    article this one replaces that the import does not set (see KEPT_KEYS), written as they were."""
    meta: dict = {"title": raw.title, "published": raw.published.isoformat(), "source": publication}
    if raw.authors:
        meta["authors"] = list(raw.authors)
    meta.update({k: v for k, v in (("column", raw.column), ("section", raw.section)) if v})
    meta.update(credits_meta(raw.credits))
    if url:
        meta["url"] = url
    if retrieved:
        meta["retrieved"] = retrieved.isoformat()
    meta.update({"raw": raw_rel, "raw_sha256": sha, "language": raw.language or "en", "companies": companies})
    if raw.credits:  # the file's credits replace those of the article it replaces
        kept = {k: v for k, v in (kept or {}).items() if k not in ("illustration", "credits")}
    for key in frontmatter.SCHEMA:
        if key in (kept or {}) and (key not in meta or (key == "language" and raw.language is None)):
            value = kept[key]
            meta[key] = value.isoformat() if isinstance(value, datetime) else value
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    body = raw.markdown if raw.markdown is not None else "\n\n".join(markdown_escape(p) for p in raw.paragraphs)
    return f"---\n{front}---\n\n{body}\n"


def _replaced(article: Path, real: Path, st, shown: str) -> frontmatter.Parsed:
    """The front matter of the article a re-import replaces; refused when it cannot be read whole (its values
    would be lost)."""
    try:
        data = read_regular(real, article, st, MAX_FILE_BYTES)
    except Refused as exc:
        raise SiteError.single(display_path(exc.path), exc.message) from None
    except OSError as exc:
        raise SiteError.single(shown, f"cannot read: {exc.strerror or exc}") from None
    parsed, problems = frontmatter.parse(decode_utf8(data, article))
    if parsed is None:
        raise SiteError(
            [
                Problem(
                    shown,
                    p.line,
                    f"{p.message} (import --force keeps this article's front matter: "
                    f"fix it, or move the file away, first)",
                )
                for p in problems
            ]
        )
    return parsed


def _raw_destination(
    within: Within, name: str, data: bytes, sha: str, taken: dict[str, bytes]
) -> tuple[Path, Path, bool]:
    """Where the original goes under raw/: (real path, path as shown, whether it is there already).

    An existing file is never replaced: one with the same bytes is kept as it is, and a different one keeps its
    name while this one is stored as <stem>-<first 12 hex digits of its sha256><suffix> (the whole digest should
    that be taken too), the same name every time for the same bytes. taken: names other imports of this run
    write (name -> bytes), treated as files already there."""
    stem, suffix = os.path.splitext(name)
    for candidate in (name, f"{stem}-{sha[:12]}{suffix}", f"{stem}-{sha}{suffix}"):
        shown = within.root / RAW_DIR / candidate
        try:
            real, st = within.locate(f"{RAW_DIR}/{candidate}")
            if candidate in taken:
                if taken[candidate] == data:
                    return real, shown, True
                continue
            if st is None:
                return real, shown, False
            if read_regular(real, shown, st) == data:
                return real, shown, True
        except Refused as exc:
            raise SiteError.single(display_path(exc.path), exc.message) from None
        except OSError as exc:
            raise SiteError.single(display_path(shown), f"cannot read: {exc.strerror or exc}") from None
    raise SiteError.single(display_path(shown), "a different raw file has this name")


def _folder(within: Within, name: str) -> Path:
    """The real path of source/name, a folder to write into (created if missing)."""
    try:
        real, st = within.locate(name)
    except Refused as exc:
        raise SiteError.single(display_path(exc.path), exc.message) from None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise SiteError.single(display_path(within.root / name), f"refused: not a folder ({kind(st)})")
    return real


@dataclass(frozen=True)
class Planned:
    """One import, checked and ready to write: what goes where."""

    raw_file: Path  # as given on the command line
    article: Path  # as shown
    article_real: Path
    replacing: bool  # an existing article is replaced (--force)
    raw_shown: Path  # the original's path under raw/, as shown
    raw_real: Path
    stored: bool  # the original is there already, byte for byte
    data: bytes  # the original's bytes
    text: bytes  # the article file
    folders: tuple[Path, Path]  # real paths of articles/ and raw/, created when missing
    original_name: str = ""  # the name the original was meant to have under raw/ (a WARC's page: <warc>-<n>.html)
    note: str | None = None  # what the command says instead of 'imported ...' (a new version: content/versions.py)
    unchanged: bool = False  # nothing to write: the original is one the article records already


@dataclass(frozen=True)
class ImportOptions:
    """What one `import` run is told: the archive, its time zone and the command line's options."""

    source: Path
    zone: tzinfo
    publication: str | None = None  # --publication
    url: str | None = None  # --url
    force: bool = False
    retrieved: datetime | None = None  # --retrieved
    default_publication: str = "Global Times"  # site.toml's publication, for raw text that names none
    published: datetime | None = None  # --published, for pages that do not state it
    language: str | None = None  # --language, for pages that do not state it


def import_all(raw_files: list[Path], options: ImportOptions) -> list[Planned]:
    """Check every raw file and plan its import; raise one SiteError with the problems of every bad file (nothing
    is written then), else return the plans, in the order given, for write_import. Two files that would make the
    same article, or store different originals under one name, are planned apart or refused as for one import."""
    errors = Collector()
    registry = load_registry(options.source, errors)  # once for every file (a WARC holds many pages)
    errors.raise_if_any()
    plans: list[Planned] = []
    taken: dict[str, bytes] = {}  # originals under raw/ the earlier plans write: name -> bytes
    by_article: dict[Path, Planned] = {}
    for raw_file in raw_files:
        try:
            planned = plan_import(raw_file, options, taken, registry)
        except SiteError as exc:
            errors.extend(exc)
            continue
        for plan in planned:
            if (first := by_article.get(plan.article)) is not None:
                web = raw_file.name.lower().endswith(WEB_SUFFIXES + WARC_SUFFIXES)
                errors.add(
                    raw_file,
                    0 if web else 2,
                    f"{'page ' + plan.original_name + ': ' if web else ''}same "
                    f"title as {display_path(first.raw_file)}: both would be {display_path(plan.article)}",
                )
                continue
            by_article[plan.article] = plan
            taken[plan.raw_shown.name] = plan.data
            plans.append(plan)
    errors.raise_if_any()
    return plans


WEB_SUFFIXES = (".html", ".htm", ".xhtml")
WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_WARC_BYTES = 256 * 1024 * 1024  # a WARC file larger than this is refused unread


def plan_import(
    raw_file: Path,
    options: ImportOptions,
    taken: dict[str, bytes] | None = None,
    registry: tuple[Company, ...] | None = None,
) -> list[Planned]:
    """Check one file and plan its import into source (write_import writes it); raise SiteError on any problem.
    A raw text file or a saved page (.html, .htm: content/webpage.py) is one article; a WARC file (.warc,
    .warc.gz: content/warc.py) one per HTML response, each page's bytes its original (<warc name>-<record>.html).
    options.published and options.language: for pages that do not state them (the raw text states its date; it is
    English). taken: originals under raw/ that other imports of the same run write (name -> bytes), as if already
    there. registry: the archive's companies (read here when not given).

    `retrieved` (when the raw file was fetched) defaults to the raw file's own 'Retrieved:' line, then to what the
    article being replaced records; it is never taken from the clock or the file's modification time, so
    importing the same file gives the same article. With force, the article replaced keeps every front matter
    value that the raw file does not determine and no option sets (KEPT_KEYS; its companies are kept too, after
    those the body names); publication and url replace its source and url only when given.
    """
    shown = display_path(raw_file)
    name = raw_file.name.lower()
    is_warc, is_web = name.endswith(WARC_SUFFIXES), name.endswith(WEB_SUFFIXES)
    try:
        if not os.path.lexists(raw_file):
            raise FileNotFoundError
        data = read_regular(
            Path(os.path.realpath(raw_file)), shown, limit=MAX_WARC_BYTES if is_warc else MAX_FILE_BYTES
        )
    except Refused as exc:
        raise SiteError.single(shown, exc.message) from None
    except OSError as exc:
        raise SiteError.single(
            shown, "file not found" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror or exc}"
        ) from None
    if is_warc:
        from .warc import parse_warc

        pages = parse_warc(data, shown, options.published, options.language)
        stem = re.sub(r"\.warc(\.gz)?$", "", raw_file.name, flags=re.IGNORECASE)
        todo = [(page.raw, page.data, f"{stem}-{page.number:05d}.html") for page in pages]
    elif is_web:
        from .webpage import parse_page

        todo = [(parse_page(data, shown, published=options.published, language=options.language), data, raw_file.name)]
    else:
        todo = [(parse_raw(decode_utf8(data, raw_file), shown, options.zone), data, raw_file.name)]
    if registry is None:
        errors = Collector()
        registry = load_registry(options.source, errors)
        errors.raise_if_any()
    taken = dict(taken or {})
    plans = []
    for raw, original, original_name in todo:
        plans.append(_plan(raw, original, original_name, raw_file, shown, options, registry, taken))
        taken[plans[-1].raw_shown.name] = original
    return plans


def _plan(
    raw: RawArticle,
    data: bytes,
    original_name: str,
    raw_file: Path,
    shown: str,
    options: ImportOptions,
    registry: tuple[Company, ...],
    taken: dict[str, bytes],
) -> Planned:
    """Plan one article from its record (raw) and original (data, stored under raw/ as original_name)."""
    source, url, force, retrieved = options.source, options.url, options.force, options.retrieved
    slug = slugify(raw.title)
    if not slug:
        raise SiteError([Problem(shown, 2, "the title gives an empty slug")])
    within = Within(source)
    articles_dir, raw_dir = _folder(within, ARTICLES_DIR), _folder(within, RAW_DIR)
    if (
        url is not None
        and (
            u := plan_update(
                raw_file,
                raw,
                data,
                source,
                options.zone,
                url,
                retrieved,
                registry,
                force,
                taken or {},
                parse_raw=parse_raw,
                markdown_escape=markdown_escape,
                mentioned=mentioned,
                raw_destination=_raw_destination,
            )
        )
        is not None
    ):
        # an article has this url already: the file is a new version of it (versions.py)
        return Planned(
            raw_file,
            u.article,
            u.article_real,
            True,
            u.raw_shown,
            u.raw_real,
            u.stored,
            data,
            u.text,
            (articles_dir, raw_dir),
            note=u.note,
            unchanged=u.unchanged,
        )
    article = source / ARTICLES_DIR / f"{slug}.md"
    try:
        article_real, article_st = within.locate(f"{ARTICLES_DIR}/{slug}.md")
    except Refused as exc:
        raise SiteError.single(display_path(exc.path), exc.message) from None
    kept: dict = {}
    if article_st is not None:
        if not force:
            raise SiteError.single(display_path(article), "article exists; use --force to overwrite it")
        kept = dict(_replaced(article, article_real, article_st, display_path(article)).values)
        if "versions" in kept:  # its history is kept by an update (versions.py), never dropped by a rewrite
            raise SiteError.single(
                display_path(article),
                f"has {len(kept['versions'])} versions of its original: import a new one with --url {kept.get('url')}",
            )
    sha = hashlib.sha256(data).hexdigest()
    raw_real, raw_shown, stored = _raw_destination(within, original_name, data, sha, taken)
    retrieved = retrieved or raw.retrieved or kept.get("retrieved")
    companies = mentioned(registry, raw.paragraphs)
    companies += [c for c in kept.pop("companies", []) if c not in companies]
    kept = {k: v for k, v in kept.items() if k in KEPT_KEYS}
    source_name, kept_url = kept.pop("source", None), kept.pop("url", None)
    if not (
        source_name := options.publication
        or raw.publication
        or source_name
        or (None if raw.markdown else options.default_publication)
    ):
        raise SiteError.single(
            shown, "source: the page names no publication (og:site_name, JSON-LD publisher); give it with --publication"
        )
    text_out = article_text(
        raw, source_name, url or raw.url or kept_url, f"{RAW_DIR}/{raw_shown.name}", sha, companies, retrieved, kept
    )
    return Planned(
        raw_file,
        article,
        article_real,
        article_st is not None,
        raw_shown,
        raw_real,
        stored,
        data,
        text_out.encode("utf-8"),
        (articles_dir, raw_dir),
        original_name,
    )


def write_import(plan: Planned) -> None:
    """Write what plan_import planned: the original (unless there already), then the article."""
    articles_dir, raw_dir = plan.folders
    if plan.unchanged:
        return
    try:
        if not plan.stored:
            raw_dir.mkdir(parents=True, exist_ok=True)
            write_new(plan.raw_real, plan.data)
        articles_dir.mkdir(parents=True, exist_ok=True)
        if plan.replacing:
            write_replacing(plan.article_real, plan.text)
        else:
            write_new(plan.article_real, plan.text)
    except FileExistsError as exc:
        raise SiteError.single(
            display_path(exc.filename or plan.article), "appeared while importing; nothing replaced"
        ) from None
    except OSError as exc:
        raise SiteError.single(
            display_path(exc.filename or plan.article), f"cannot write: {exc.strerror or exc}"
        ) from None
