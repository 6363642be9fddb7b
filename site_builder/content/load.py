"""Walk seeds/, read every file as UTF-8 and turn it into Articles and Companies, or errors."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from ..core.errors import Collector, SiteError, decode_utf8, display_path
from ..core.models import Article, Company, Version
from ..core.safefs import Refused, Within, kind, read_regular
from ..core.urls import raw_path, slug_problem, slugify
from . import frontmatter
from .limits import body_problem

ARTICLES_DIR = "articles"
RAW_DIR = "raw"
REGISTRY_NAME = "companies.yaml"
# characters no published file name may carry: controls, format characters, surrogates, private use, unassigned,
# line and paragraph separators
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
MAX_FILE_BYTES = 8 * 1024 * 1024  # larger files are refused unread: see README, "What the build guarantees"


@dataclass(frozen=True)
class Archive:
    """What the load step found: valid articles (drafts included), the registry and the raw originals."""

    articles: tuple[Article, ...]
    companies: tuple[Company, ...]
    raw_files: dict[str, bytes]  # an original's '/'-separated path under raw/ (its name) -> bytes
    raw_names: dict[str, str] = field(default_factory=dict)  # article path -> the name of its raw original
    lost: frozenset[str] = frozenset()  # the slugs (from the file names) of article files left out for an error
    # article path -> the name of each version's original, oldest first (only articles with `versions:`)
    version_names: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_text(path: Path, source: Path | Within, errors: Collector) -> str | None:
    """Read a text file of the archive as UTF-8 (BOM and CRLF accepted), or record why it cannot be: path is
    source/<relative path>, which must stay inside source (see safefs) and be a regular file of at most
    MAX_FILE_BYTES."""
    within = source if isinstance(source, Within) else Within(source)
    try:
        real, st = within.locate(path.relative_to(within.root))
        if st is None:
            errors.add(path, 0, "file not found")
            return None
        data = read_regular(real, path, st, MAX_FILE_BYTES)
    except Refused as exc:
        errors.add(exc.path, 0, exc.message)
        return None
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


def source_folder(within: Within, name: str, errors: Collector) -> bool:
    """Whether the folder source/name may be read (it may be missing); if it may not, record why."""
    try:
        _real, st = within.locate(name)
    except Refused as exc:
        errors.add(exc.path, 0, exc.message)
        return False
    if st is not None and not stat.S_ISDIR(st.st_mode):
        errors.add(within.root / name, 0, f"refused: not a folder ({kind(st)})")
        return False
    return True


def _source_files(folder: Path, pattern: str) -> list[Path]:
    """Everything in folder whose name matches pattern (files, links, anything else), by name."""
    try:
        with os.scandir(folder) as found:
            entries = [e for e in found if fnmatch.fnmatchcase(e.name, pattern)]  # all: a FIFO is an error too
    except OSError:  # no such folder
        return []
    return [folder / e.name for e in sorted(entries, key=lambda e: e.name)]


def load_registry(
    source: Path,
    errors: Collector,
    previous: Memo | None = None,
    fresh: Memo | None = None,
    states: dict[str, FileState] | None = None,
    dropped: set[str] | None = None,
) -> tuple[Company, ...] | None:
    """Load seeds/companies.yaml: a list of entries with id, name, aliases and description.

    Returns None when the file as a whole cannot be read, so articles are not blamed for its ids. previous:
    what an earlier build loaded (see load_archive), reused while the file is unchanged; a registry loaded
    without a problem goes into fresh. dropped, if given, receives the id of every entry left out for an error
    of its own (reported once, here: articles naming it are not blamed again).
    """
    path = source / REGISTRY_NAME
    if not os.path.lexists(path):  # a link that leads nowhere is there, and refused
        return ()
    state = (states or {}).get(str(path.absolute())) or _state(path)  # states: as load_articles'
    hit = previous.get(str(path)) if previous is not None else None
    if state is not None and hit is not None and hit[:2] == (state, ""):
        if fresh is not None:
            fresh[str(path)] = hit
        return hit[2]
    before = len(errors.problems) + len(errors.warnings)
    companies = _parse_registry(path, source, errors, dropped if dropped is not None else set())
    clean = len(errors.problems) + len(errors.warnings) == before  # a registry with a warning is read each time
    if fresh is not None and companies is not None and clean and state == _state(path):
        fresh[str(path)] = (state, "", companies)
    return companies


def _parse_registry(path: Path, source: Path, errors: Collector, dropped: set[str]) -> tuple[Company, ...] | None:
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
            dropped.update(v for k, v, _ in items if k == "id" and isinstance(v, str))
            continue
        if company.id in id_lines:
            errors.add(path, line, f"duplicate company id {company.id!r} (first on line {id_lines[company.id]})")
            continue
        id_lines[company.id] = line
        clash = False
        for name in company.names:
            owner = name_owner.get(name.casefold())
            if owner and owner[0] != company.id:
                errors.add(
                    path,
                    line,
                    f"name or alias {name!r} of {company.id!r} is already used by {owner[0]!r} (line {owner[1]})",
                )
                clash = True
            name_owner.setdefault(name.casefold(), (company.id, line))
        if clash:
            dropped.add(company.id)
        else:
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
BodySink = Callable[[int], Callable[[Article], None] | None]  # (article count) -> takes each article loaded


def load_articles(
    source: Path,
    company_ids: set[str] | None,
    errors: Collector,
    previous: Memo | None = None,
    fresh: Memo | None = None,
    bodies: BodySink | None = None,
    states: dict[str, FileState] | None = None,
    dropped: set[str] = frozenset(),
    lost: set[str] | None = None,
) -> list[Article]:
    """Load and validate every seeds/articles/*.md file.

    previous holds the articles an earlier build loaded; one whose file is unchanged (the same size, mtime,
    ctime and inode) and was checked against the same registry ids is reused as it is. This build's valid
    articles go into fresh. bodies, if given, is told how many files there are, and may return a function that
    is given each valid article's body as soon as it is loaded. states: file states by absolute path, taken
    before the build began (so each file need not be looked up again); a file they miss is looked up now.

    An article with an error in its front matter or slug is left out. One naming a company the registry lacks
    is reported and kept with only the companies the registry has, so the checks after loading still run on
    it; a company in dropped (an entry the registry left out and reported) is left out without a second error.
    company_ids None: the registry could not be read (reported already); no company is kept. lost, if given,
    receives the slug of each file's name left out (a link to it is not blamed on the linking article too).
    """
    articles = []
    ids = repr(sorted(company_ids)) if company_ids is not None else ""
    previous = previous or {}
    fresh = {} if fresh is None else fresh
    folder = source / ARTICLES_DIR
    within = Within(source)
    files = _source_files(folder, "*.md") if source_folder(within, ARTICLES_DIR, errors) else []
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
        text = read_text(path, within, errors)
        if text is None:
            if lost is not None:
                lost.add(slugify(path.stem))
            continue
        before = len(errors.problems)
        parsed, problems = frontmatter.parse(text)
        for p in problems:
            errors.add(path, p.line, p.message)
        if parsed is not None and (refused := body_problem(parsed.body)) is not None:
            errors.add(path, parsed.body_line + refused.line, refused.message)
            continue
        digest = hashlib.sha256(f"{path}\0{ids}\0{text}".encode("utf-8", "surrogatepass")).digest()
        if parsed is not None and (article := _article(path, parsed, company_ids, errors, digest, dropped)) is not None:
            articles.append(article)
            if sink is not None:
                sink(article)
            clean = len(errors.problems) == before and article.companies == tuple(parsed.values["companies"])
            if clean and state is not None and state == _state(path):  # not written while it was read
                fresh[str(path)] = (state, ids, article)
        elif lost is not None:
            lost.add(slugify(path.stem))
    return articles


def _article(
    path: Path,
    parsed: frontmatter.Parsed,
    company_ids: set[str] | None,
    errors: Collector,
    digest: bytes = b"",
    dropped: set[str] = frozenset(),
) -> Article | None:
    """The article, or None when its slug is unusable. A company id the registry lacks is reported, and left
    out of the article (so the checks after loading still run on it); see load_articles."""
    v, lines = parsed.values, parsed.lines
    slug = v.get("slug") or slugify(path.stem)
    if (msg := slug_problem(slug)) is not None:
        errors.add(
            path, lines.get("slug", 1), f"slug: {msg}" if "slug" in v else f"{msg} (from the file name; set 'slug:')"
        )
        return None
    companies: list[str] = []
    for cid in v["companies"]:
        if company_ids is not None and cid not in company_ids and cid not in dropped:
            errors.add(path, lines["companies"], f"companies: unknown company id {cid!r} (not in {REGISTRY_NAME})")
        if company_ids is not None and cid in company_ids and cid not in companies:
            companies.append(cid)
    if len(set(v["companies"])) != len(v["companies"]):
        errors.add(path, lines["companies"], "companies: a company is listed twice")
    return Article(
        path=str(path),
        slug=slug,
        title=v["title"].strip(),
        published=v["published"],
        source=v["source"].strip(),
        companies=tuple(companies),
        body=parsed.body,
        column=v.get("column"),
        section=v.get("section"),
        illustration=v.get("illustration"),
        url=v.get("url"),
        raw=v.get("raw"),
        raw_sha256=v.get("raw_sha256"),
        summary=v.get("summary"),
        updated=v.get("updated"),
        draft=v.get("draft", False),
        language=v.get("language", "en"),
        tags=tuple(v.get("tags", ())),
        aliases=tuple(v.get("aliases", ())),
        retrieved=v.get("retrieved"),
        body_line=parsed.body_line,
        authors=tuple(v.get("authors", ())),
        credits=tuple(
            dict.fromkeys(
                ([f"Illustration: {v['illustration']}"] if v.get("illustration") else []) + v.get("credits", [])
            )
        ),
        versions=tuple(Version(e["original"], e["sha256"], e.get("retrieved")) for e in v.get("versions", ())),
        lines=dict(lines),
        source_digest=digest,
    )


def _check_duplicates(articles: list[Article], errors: Collector) -> list[Article]:
    """Two articles whose slugs match, even only in case, would claim one page: report each later one, and
    return the articles without them (the first of each slug stays, so the checks after loading still run)."""
    seen: dict[str, Article] = {}
    for article in articles:
        key = article.slug.casefold()
        if key in seen:
            first = seen[key]
            errors.add(
                article.path,
                article.lines.get("slug", 1),
                f"duplicate slug {article.slug!r}: {display_path(first.path)} already uses {first.slug!r}",
            )
        else:
            seen[key] = article
    return list(seen.values())


def _load_raw(
    source: Path, articles: list[Article], errors: Collector
) -> tuple[dict[str, bytes], dict[str, str], dict[str, tuple[str, ...]]]:
    """The raw originals the articles name (`raw:` and each of `versions:`), each a regular file inside raw/
    (links resolved as safefs says): ({name: bytes}, {article path: name}, {article path: the name of each
    version}), each name the file's '/'-separated real path under raw/ (sub-folders kept: raw/a/x.txt and
    raw/b/x.txt are two originals). An article any of whose versions cannot be read has no versions here."""
    wanted: list[tuple[Article, str, str | None, str, int, int]] = []  # (article, path, sha256, what, line, version)
    for article in articles:
        if article.raw is not None:
            wanted.append((article, article.raw, article.raw_sha256, "raw", article.lines.get("raw", 1), 0))
        for i, version in enumerate(article.versions[:-1], start=1):  # the last one is `raw`
            wanted.append(
                (
                    article,
                    version.original,
                    version.sha256,
                    f"versions: version {i}: original",
                    article.lines.get(f"versions.{i}", article.lines.get("versions", 1)),
                    i,
                )
            )
    raw_files: dict[str, bytes] = {}
    raw_names: dict[str, str] = {}
    found: dict[tuple[str, int], str] = {}  # (article path, version) -> name
    published: dict[str, tuple[str, Path, Article]] = {}  # output path, case-folded -> (name, file, first user)
    within = Within(source)
    raw_root: Path | None = None
    for article, rel, sha, what, line, version in wanted:
        if raw_root is None:
            if not source_folder(within, RAW_DIR, errors):
                return raw_files, raw_names, {}
            raw_root = within.locate(RAW_DIR)[0]
        outside = f"{what}: {rel!r} must name a file inside {RAW_DIR}/"
        if PurePath(rel).anchor:
            errors.add(article.path, line, outside)
            continue
        try:
            path, st = within.locate(rel)
        except Refused as exc:
            if exc.message.endswith("leads out of the source folder"):  # '..' above seeds/
                errors.add(article.path, line, outside)
            else:
                errors.add(exc.path, 0, exc.message)
            continue
        if not path.is_relative_to(raw_root) or path == raw_root:
            errors.add(article.path, line, outside)
            continue
        if st is None:
            errors.add(article.path, line, f"{what}: file not found: {rel}")
            continue
        name = path.relative_to(raw_root).as_posix()
        if (bad := next((ch for ch in name if unicodedata.category(ch) in _UNPRINTABLE), None)) is not None:
            errors.add(
                article.path,
                line,
                f"{what}: {RAW_DIR}/{name!r} has a control or invisible character "
                f"(U+{ord(bad):04X}) in its name, which no published file name may carry",
            )
            continue
        folded = raw_path(name).casefold()  # URLs are compared without regard to case, as macOS and Windows do
        if folded in published:
            first_name, first_file, first = published[folded]
            if first_name != name and not _same_file(first_file, path):
                errors.add(
                    article.path,
                    line,
                    f"{what}: {RAW_DIR}/{name} would be published as {raw_path(name)}, "
                    f"as {RAW_DIR}/{first_name} (raw of {display_path(first.path)}) is; "
                    "rename one",
                )
                continue
            name = first_name
        if name not in raw_files:
            if stat.S_ISREG(st.st_mode) and st.st_size > MAX_FILE_BYTES:  # refused unread, as such an article is
                errors.add(
                    article.path,
                    line,
                    f"{what}: file too large: {rel} is {st.st_size} bytes (the limit is {MAX_FILE_BYTES} bytes)",
                )
                continue
            try:
                data = read_regular(path, source / rel, st, MAX_FILE_BYTES)
            except Refused as exc:
                errors.add(exc.path, 0, exc.message)
                continue
            except OSError as exc:
                errors.add(article.path, line, f"{what}: cannot read {rel}: {exc.strerror or exc}")
                continue
        else:
            data = raw_files[name]
        digest = hashlib.sha256(data).hexdigest()
        if sha and sha != digest:
            where = article.lines.get("raw_sha256", line) if version == 0 else line
            label = "raw_sha256" if version == 0 else f"versions: version {version}: sha256"
            errors.add(article.path, where, f"{label} does not match {rel} (its sha256 is {digest})")
            continue
        published.setdefault(folded, (name, path, article))
        raw_files[name] = data
        found[(article.path, version)] = name
    _check_raw_folders(published, errors)
    raw_names = {path: name for (path, version), name in found.items() if version == 0}
    version_names: dict[str, tuple[str, ...]] = {}
    for article in articles:
        names = [found.get((article.path, i)) for i in range(1, len(article.versions))]
        if article.versions and article.path in raw_names and all(names):
            version_names[article.path] = (*names, raw_names[article.path])  # type: ignore[arg-type]
    return raw_files, raw_names, version_names


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_raw_folders(published: dict[str, tuple[str, Path, Article]], errors: Collector) -> None:
    """An original published as raw/x.txt and one under raw/x.txt/ (from raw/x and raw/x.txt/y.txt) cannot both be."""
    for folded, (name, _, article) in published.items():
        parts = folded.split("/")
        for i in range(1, len(parts) - 1):
            if (clash := published.get("/".join(parts[: i + 1]))) is not None:
                errors.add(
                    article.path,
                    article.lines.get("raw", 1),
                    f"raw: {RAW_DIR}/{name} would be published in a folder named as the file {raw_path(clash[0])} "
                    f"(raw of {display_path(clash[2].path)}); rename one",
                )


def load_archive(
    source: Path,
    memo: Memo | None = None,
    bodies: Callable[[tuple[Company, ...], int], Callable[[Article], None] | None] | None = None,
    states: dict[str, FileState] | None = None,
    errors: Collector | None = None,
) -> Archive:
    """Load the registry and every article; raise SiteError listing every problem at once. memo: the registry
    and articles an earlier build loaded, reused while their files are unchanged; replaced in place by what
    this build loaded. bodies: as load_articles', also given the registry's companies (only when it is valid).
    states: as load_articles'.

    errors, if given, gathers the problems instead, and the Archive returned holds what is valid (see
    load_articles; of two articles with one slug, the first), so the checks after loading can run on it too."""
    collect = errors is not None
    errors = errors if errors is not None else Collector()
    if not source.is_dir():
        errors.add(source, 0, "source folder not found")
        raise SiteError(errors.problems)  # nothing else can be checked
    previous, fresh = dict(memo or {}), {}
    dropped: set[str] = set()
    lost: set[str] = set()
    companies = load_registry(source, errors, previous, fresh, states, dropped)
    sink = (lambda count: bodies(companies, count)) if bodies is not None and companies is not None else None
    articles = load_articles(
        source,
        None if companies is None else {c.id for c in companies},
        errors,
        previous,
        fresh,
        sink,
        states,
        dropped,
        lost,
    )
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    unique = _check_duplicates(articles, errors)
    raw_files, raw_names, version_names = _load_raw(source, articles, errors)
    if not collect:
        errors.raise_if_any()
    return Archive(tuple(unique), companies or (), raw_files, raw_names, frozenset(lost), version_names)
