"""Walk seeds/, read every file as UTF-8 and turn it into Articles and Companies, or errors."""
from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import frontmatter
from .errors import Collector, SiteError, decode_utf8, display_path
from .limits import body_problem
from .models import Article, Company
from .urls import slug_problem, slugify

ARTICLES_DIR = "articles"
RAW_DIR = "raw"
REGISTRY_NAME = "companies.yaml"
MAX_FILE_BYTES = 8 * 1024 * 1024  # larger files are refused unread: see README, "What the build guarantees"


@dataclass(frozen=True)
class Archive:
    """What the load step found: valid articles (drafts included), the registry and the raw originals."""

    articles: tuple[Article, ...]
    companies: tuple[Company, ...]
    raw_files: dict[str, bytes]  # file name under raw/ -> bytes


def read_text(path: Path, source: Path, errors: Collector) -> str | None:
    """Read a text file inside source as UTF-8 (BOM and CRLF accepted), or record why it cannot be."""
    if not path.resolve().is_relative_to(source.resolve()):
        errors.add(path, 0, "refused: this file is a link to a place outside the source folder")
        return None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            errors.add(path, 0, f"file too large: {size} bytes (the limit is {MAX_FILE_BYTES} bytes)")
            return None
        data = path.read_bytes()
    except OSError as exc:
        errors.add(path, 0, f"cannot read: {exc.strerror or exc}")
        return None
    try:
        text = decode_utf8(data, path)
    except SiteError as exc:
        errors.extend(exc)
        return None
    if (m := frontmatter.CONTROL.search(text)) is not None:
        line = text.count("\n", 0, m.start()) + 1
        errors.add(path, line, "contains a NUL character" if m.group() == "\x00" else frontmatter.control_problem(text))
        return None
    return text


def _source_files(folder: Path, pattern: str) -> list[Path]:
    """The files (and links) in folder whose names match pattern, by name."""
    try:
        with os.scandir(folder) as found:
            entries = [e for e in found if fnmatch.fnmatchcase(e.name, pattern) and (e.is_file() or e.is_symlink())]
    except OSError:  # no such folder
        return []
    return [folder / e.name for e in sorted(entries, key=lambda e: e.name)]


def load_registry(source: Path, errors: Collector, previous: Memo | None = None,
                  fresh: Memo | None = None, states: dict[str, FileState] | None = None) -> tuple[Company, ...] | None:
    """Load seeds/companies.yaml: a list of entries with id, name, aliases and description.

    Returns None when the file as a whole cannot be read, so articles are not blamed for its ids. previous:
    what an earlier build loaded (see load_archive), reused while the file is unchanged; a registry loaded
    without a problem goes into fresh.
    """
    path = source / REGISTRY_NAME
    if not path.exists():
        return ()
    state = (states or {}).get(str(path.absolute())) or _state(path)  # states: as load_articles'
    hit = previous.get(str(path)) if previous is not None else None
    if state is not None and hit is not None and hit[:2] == (state, ""):
        if fresh is not None:
            fresh[str(path)] = hit
        return hit[2]
    before = len(errors.problems) + len(errors.warnings)
    companies = _parse_registry(path, source, errors)
    clean = len(errors.problems) + len(errors.warnings) == before  # a registry with a warning is read each time
    if fresh is not None and companies is not None and clean and state == _state(path):
        fresh[str(path)] = (state, "", companies)
    return companies


def _parse_registry(path: Path, source: Path, errors: Collector) -> tuple[Company, ...] | None:
    text = read_text(path, source, errors)
    if text is None:
        return None
    try:
        records = frontmatter.load_yaml_records(text)
    except frontmatter.FrontMatterError as exc:
        errors.add(path, exc.line, exc.message)
        return None
    companies: list[Company] = []
    id_lines: dict[str, int] = {}
    name_owner: dict[str, tuple[str, int]] = {}
    for line, items, problems in records:
        for p in problems:
            errors.add(path, p.line, p.message)
        company = _company(path, line, items, {p.key for p in problems}, errors)
        if company is None:
            continue
        if company.id in id_lines:
            errors.add(path, line, f"duplicate company id {company.id!r} (first on line {id_lines[company.id]})")
            continue
        id_lines[company.id] = line
        clash = False
        for name in company.names:
            owner = name_owner.get(name.casefold())
            if owner and owner[0] != company.id:
                errors.add(path, line, f"name or alias {name!r} of {company.id!r} is already used by "
                                       f"{owner[0]!r} (line {owner[1]})")
                clash = True
            name_owner.setdefault(name.casefold(), (company.id, line))
        if not clash:
            companies.append(company)
    return tuple(companies)


_COMPANY_KEYS = {"id": True, "name": True, "description": True, "aliases": False}


def _company(path: Path, line: int, items: list, invalid: set, errors: Collector) -> Company | None:
    values: dict = {}
    ok = True
    for key, value, key_line in items:
        if key not in _COMPANY_KEYS:
            errors.add(path, key_line, f"unknown key {key!r} (allowed: {', '.join(_COMPANY_KEYS)})")
            ok = False
        elif key == "aliases":
            if (msg := frontmatter.SCHEMA["tags"].check(value)) is not None:
                errors.add(path, key_line, f"aliases: {msg}")
                ok = False
            values[key] = tuple(value) if isinstance(value, list) else ()
        elif (msg := frontmatter.SCHEMA["title"].check(value)) is not None:
            errors.add(path, key_line, f"{key}: {msg}")
            ok = False
        elif key == "id" and (msg := slug_problem(value)) is not None:
            errors.add(path, key_line, f"id: {msg.replace('slug', 'id')}")
            ok = False
        else:
            values[key] = value.strip()
    for key, required in _COMPANY_KEYS.items():
        if required and key not in {k for k, _, _ in items} | invalid:
            errors.add(path, line, f"missing required key {key!r}")
            ok = False
    if not ok:
        return None
    return Company(values["id"], values["name"], values.get("aliases", ()), values["description"])


FileState = tuple[int, int, int, int]  # size, mtime and ctime in ns, inode: any write to a file changes it
# file -> (its state, what it was checked against (an article: the registry ids; the registry: ''), what it holds)
Memo = dict[str, tuple[FileState, str, Any]]


def _state(path: Path) -> FileState | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


# given the number of article files about to be read: a function to hand each valid article's body to as it
# loads (to start converting it), or None
BodySink = Callable[[int], Callable[[str], None] | None]


def load_articles(source: Path, company_ids: set[str] | None, errors: Collector,
                  previous: Memo | None = None, fresh: Memo | None = None,
                  bodies: BodySink | None = None, states: dict[str, FileState] | None = None) -> list[Article]:
    """Load and validate every seeds/articles/*.md file.

    previous holds the articles an earlier build loaded; one whose file is unchanged (the same size, mtime,
    ctime and inode) and was checked against the same registry ids is reused as it is. This build's valid
    articles go into fresh. bodies, if given, is told how many files there are, and may return a function that
    is given each valid article's body as soon as it is loaded. states: file states by absolute path, taken
    before the build began (so each file need not be looked up again); a file they miss is looked up now.
    """
    articles = []
    ids = repr(sorted(company_ids)) if company_ids is not None else ""
    previous = previous or {}
    fresh = {} if fresh is None else fresh
    folder = source / ARTICLES_DIR
    files = _source_files(folder, "*.md")
    sink = bodies(len(files)) if bodies is not None else None
    known = states or {}
    prefix = f"{folder.absolute()}{os.sep}" if known else ""
    for path in files:
        state = known.get(prefix + path.name) or _state(path)
        hit = previous.get(str(path))
        if state is not None and hit is not None and hit[:2] == (state, ids):
            articles.append(hit[2])
            fresh[str(path)] = hit
            continue
        text = read_text(path, source, errors)
        if text is None:
            continue
        parsed, problems = frontmatter.parse(text)
        for p in problems:
            errors.add(path, p.line, p.message)
        if parsed is not None and (refused := body_problem(parsed.body)) is not None:
            errors.add(path, parsed.body_line + refused.line, refused.message)
            continue
        digest = hashlib.sha256(f"{path}\0{ids}\0{text}".encode("utf-8", "surrogatepass")).digest()
        if parsed is not None and (article := _article(path, parsed, company_ids, errors, digest)) is not None:
            articles.append(article)
            if sink is not None:
                sink(article.body)
            if state is not None and state == _state(path):  # not written while it was read
                fresh[str(path)] = (state, ids, article)
    return articles


def _article(path: Path, parsed: frontmatter.Parsed, company_ids: set[str] | None,
             errors: Collector, digest: bytes = b"") -> Article | None:
    v, lines = parsed.values, parsed.lines
    ok = True
    slug = v.get("slug") or slugify(path.stem)
    if (msg := slug_problem(slug)) is not None:
        errors.add(path, lines.get("slug", 1), f"slug: {msg}" if "slug" in v else f"{msg} (from the file name; set 'slug:')")
        ok = False
    for cid in v["companies"]:
        if company_ids is not None and cid not in company_ids:
            errors.add(path, lines["companies"], f"companies: unknown company id {cid!r} (not in {REGISTRY_NAME})")
            ok = False
    if len(set(v["companies"])) != len(v["companies"]):
        errors.add(path, lines["companies"], "companies: a company is listed twice")
        ok = False
    if not ok:
        return None
    return Article(
        path=str(path), slug=slug, title=v["title"].strip(), published=v["published"], source=v["source"].strip(),
        companies=tuple(v["companies"]), body=parsed.body, column=v.get("column"), section=v.get("section"),
        illustration=v.get("illustration"), url=v.get("url"), raw=v.get("raw"), raw_sha256=v.get("raw_sha256"),
        summary=v.get("summary"), updated=v.get("updated"), draft=v.get("draft", False),
        language=v.get("language", "en"), tags=tuple(v.get("tags", ())), aliases=tuple(v.get("aliases", ())),
        retrieved=v.get("retrieved"), body_line=parsed.body_line,
        lines=dict(lines), source_digest=digest,
    )


def _check_duplicates(articles: list[Article], errors: Collector) -> None:
    """Two articles whose slugs match, even only in case, would claim one page."""
    seen: dict[str, Article] = {}
    for article in articles:
        key = article.slug.casefold()
        if key in seen:
            first = seen[key]
            errors.add(article.path, article.lines.get("slug", 1),
                       f"duplicate slug {article.slug!r}: {display_path(first.path)} already uses {first.slug!r}")
        else:
            seen[key] = article


def _load_raw(source: Path, articles: list[Article], errors: Collector) -> dict[str, bytes]:
    raw_files: dict[str, bytes] = {}
    raw_root = (source / RAW_DIR).resolve()
    for article in articles:
        if article.raw is None:
            continue
        line = article.lines.get("raw", 1)
        path = (source / article.raw)
        if not path.resolve().is_relative_to(raw_root) or path.resolve() == raw_root:
            errors.add(article.path, line, f"raw: {article.raw!r} must name a file inside {RAW_DIR}/")
            continue
        if not path.is_file():
            errors.add(article.path, line, f"raw: file not found: {article.raw}")
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if article.raw_sha256 and article.raw_sha256 != digest:
            errors.add(article.path, article.lines.get("raw_sha256", line),
                       f"raw_sha256 does not match {article.raw} (its sha256 is {digest})")
            continue
        raw_files[path.name] = data
    return raw_files


def load_archive(source: Path, memo: Memo | None = None,
                 bodies: Callable[[tuple[Company, ...], int], Callable[[str], None] | None] | None = None,
                 states: dict[str, FileState] | None = None) -> Archive:
    """Load the registry and every article; raise SiteError listing every problem at once. memo: the registry
    and articles an earlier build loaded, reused while their files are unchanged; replaced in place by what
    this build loaded. bodies: as load_articles', also given the registry's companies (only when it is valid).
    states: as load_articles'."""
    errors = Collector()
    if not source.is_dir():
        errors.add(source, 0, "source folder not found")
        errors.raise_if_any()
    previous, fresh = dict(memo or {}), {}
    companies = load_registry(source, errors, previous, fresh, states)
    sink = (lambda count: bodies(companies, count)) if bodies is not None and companies is not None else None
    articles = load_articles(source, None if companies is None else {c.id for c in companies}, errors, previous,
                             fresh, sink, states)
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    _check_duplicates(articles, errors)
    raw_files = _load_raw(source, articles, errors)
    errors.raise_if_any()
    return Archive(tuple(articles), companies or (), raw_files)
