"""Corrections tracked over time: importing a changed original of an article the archive has (the same `url`,
other bytes) records it as a new version instead of a new article; used only by `import` (importer.plan_import).

The article keeps every version in its front matter, oldest first, the last one being its `raw`:

    versions:
    - original: raw/story.txt
      sha256: 3add...
      retrieved: '2026-01-16T09:30:00+08:00'
    - original: raw/story-5be0c1f2a3b4.txt
      sha256: 5be0...
      retrieved: '2026-01-17T08:00:00+08:00'

An update changes only what the import owns: the body, raw, raw_sha256, retrieved, updated (the new version's
retrieval time) and versions; the values the raw file gives (title, published, column, section, illustration)
only where the article still has what the previous version gave (a value edited by hand is kept); companies the
new version names for the first time are added. Every other key, and the order of the keys, stay as they are.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import Problem, SiteError, decode_utf8, display_path
from ..core.models import Company
from ..core.safefs import Refused, Within, read_regular
from . import frontmatter
from .load import ARTICLES_DIR, MAX_FILE_BYTES, RAW_DIR
from .record import credits_meta

RAW_KEYS = ("title", "published", "column", "section", "illustration", "credits")  # the values a raw file gives


def _articles_with_url(within: Within, url: str) -> list[tuple[Path, Path, Any, frontmatter.Parsed]]:
    """(path as shown, real path, stat, parsed front matter) of every readable article whose url is url, by name.
    A file that cannot be read or parsed is skipped here: build and check report it."""
    found = []
    try:
        names = sorted(e.name for e in os.scandir(within.locate(ARTICLES_DIR)[0]) if e.name.endswith(".md"))
    except (OSError, Refused):
        return []
    for name in names:
        shown = within.root / ARTICLES_DIR / name
        try:
            real, st = within.locate(f"{ARTICLES_DIR}/{name}")
            if st is None:
                continue
            text = decode_utf8(read_regular(real, shown, st, MAX_FILE_BYTES), shown)
        except (OSError, Refused, SiteError):
            continue
        if url not in text:  # most files: no need to parse them
            continue
        parsed, _ = frontmatter.parse(text)
        if parsed is not None and parsed.values.get("url") == url:
            found.append((shown, real, st, parsed))
    return found


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _raw_values(raw) -> dict[str, Any]:
    """The front matter values a parsed raw file gives (RAW_KEYS), as the import writes them."""
    values = {
        "title": raw.title,
        "published": raw.published.isoformat(),
        "column": raw.column,
        "section": raw.section,
        **credits_meta(raw.credits),
    }
    return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class Update:
    """A new version of an article, ready to write (importer.Planned takes these fields)."""

    article: Path  # as shown
    article_real: Path
    raw_shown: Path
    raw_real: Path
    stored: bool  # the original is under raw/ already, byte for byte
    text: bytes  # the article file ('' when unchanged)
    note: str  # the line the command prints
    unchanged: bool = False  # the original is a version the article records: nothing to write


def plan_update(
    raw_file: Path,
    raw,
    data: bytes,
    source: Path,
    zone: tzinfo,
    url: str,
    retrieved: datetime | None,
    registry: tuple[Company, ...],
    force: bool,
    taken: dict[str, bytes],
    *,
    parse_raw: Callable,
    markdown_escape: Callable,
    mentioned: Callable,
    raw_destination: Callable,
) -> Update | None:
    """The plan of importing raw_file (parsed: raw; its bytes: data) as a new version of the article whose url is
    url; None when no article has that url (a new article, then). Identical bytes to any recorded version plan
    nothing to write. Raises SiteError naming the file and line on any problem. The importer's own functions are
    given (parse_raw, markdown_escape, mentioned, raw_destination), so this module does not import it."""
    within = Within(source)
    matches = _articles_with_url(within, url)
    if not matches:
        return None
    shown_raw = display_path(raw_file)
    if len(matches) > 1:
        raise SiteError.single(
            shown_raw,
            f"--url: {len(matches)} articles have this url "
            f"({', '.join(display_path(m[0]) for m in matches)}); give it to one only",
        )
    article, article_real, _, parsed = matches[0]
    shown = display_path(article)
    values, lines = parsed.values, parsed.lines
    if "raw" not in values or "raw_sha256" not in values:
        raise SiteError.single(
            shown,
            f"has url {url} but no raw original (raw: and raw_sha256:) to keep as its "
            "first version; import with another --url, or add them first",
            1,
        )
    recorded = values.get("versions") or [
        {"original": values["raw"], "sha256": values["raw_sha256"], "retrieved": values.get("retrieved")}
    ]
    sha = hashlib.sha256(data).hexdigest()
    for number, entry in enumerate(recorded, start=1):
        if entry["sha256"] == sha:
            if force and "versions" not in values:  # import --force of the one original: rewritten as it was made
                return None
            note = (
                f"unchanged: {shown_raw} is version {number} of {shown}"
                if len(recorded) > 1 or number > 1
                else f"unchanged: {shown_raw} is the original of {shown}"
            )
            return Update(
                article, article_real, within.root / entry["original"], article_real, True, b"", note, unchanged=True
            )
    moment = retrieved or raw.retrieved
    if moment is None:
        raise SiteError.single(
            shown_raw,
            f"a new version of {shown} needs the time it was retrieved: give --retrieved or a 'Retrieved:' line",
            1,
        )
    last = recorded[-1].get("retrieved")
    if last is not None and moment <= last:
        raise SiteError.single(
            shown_raw,
            f"retrieved {moment.isoformat()} is not after version {len(recorded)} of "
            f"{shown} ({last.isoformat()}): versions are kept in the order they were "
            "retrieved",
            1,
        )
    previous = _previous_raw(within, values["raw"], zone, parse_raw)
    body = "\n\n".join(markdown_escape(p) for p in raw.paragraphs)
    if previous is None or parsed.body.strip() != "\n\n".join(markdown_escape(p) for p in previous.paragraphs):
        if not force:
            reason = (
                "cannot be compared with the original it was imported from"
                if previous is None
                else "was edited by hand since its last original was imported"
            )
            raise SiteError.single(
                shown,
                f"its body {reason}: the new version would replace it; merge the "
                "change by hand, or use --force to replace the body",
                parsed.body_line + len(parsed.body) - len(parsed.body.lstrip("\n")),
            )
    raw_real, raw_shown, stored = raw_destination(within, raw_file.name, data, sha, taken)
    old_given = _raw_values(previous) if previous is not None else {}
    new_given = _raw_values(raw)
    meta: dict[str, Any] = {}
    for key, value in values.items():
        meta[key] = _iso(value)
    for key in RAW_KEYS:  # a value as the previous original gave it was not edited by hand: the new one replaces it
        if previous is not None and meta.get(key) == old_given.get(key):
            if key in new_given:
                meta[key] = new_given[key]
            else:
                meta.pop(key, None)
    named_before = mentioned(registry, previous.paragraphs) if previous is not None else []
    meta["companies"] = list(values["companies"]) + [
        c for c in mentioned(registry, raw.paragraphs) if c not in named_before and c not in values["companies"]
    ]
    rel = f"{RAW_DIR}/{raw_shown.name}"
    meta.update({"raw": rel, "raw_sha256": sha, "retrieved": moment.isoformat(), "updated": moment.isoformat()})
    meta["versions"] = [
        {
            "original": e["original"],
            "sha256": e["sha256"],
            **({"retrieved": _iso(e["retrieved"])} if e.get("retrieved") is not None else {}),
        }
        for e in recorded
    ] + [{"original": rel, "sha256": sha, "retrieved": moment.isoformat()}]
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    text = f"---\n{front}---\n\n{body}\n"
    problems = frontmatter.parse(text)[1]
    if problems:  # never write an article the build would refuse
        raise SiteError([Problem(shown, lines.get(p.key or "", 1), p.message) for p in problems])
    note = f"updated {shown}: version {len(recorded) + 1} of {url}, retrieved {moment.isoformat()}"
    return Update(article, article_real, raw_shown, raw_real, stored, text.encode("utf-8"), note)


def _previous_raw(within: Within, rel: str, zone: tzinfo, parse_raw):
    """The article's current original, parsed as a raw file; None when it cannot be read or parsed."""
    try:
        real, st = within.locate(rel)
        if st is None:
            return None
        text = decode_utf8(read_regular(real, within.root / rel, st, MAX_FILE_BYTES), rel)
        return parse_raw(text, rel, zone)
    except (OSError, Refused, SiteError):
        return None
