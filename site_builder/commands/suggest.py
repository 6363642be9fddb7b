"""`site-builder companies suggest`: names in the archive's bodies that look like companies and are not in the
registry, with how often and where they occur, so the registry can grow from the sources. Nothing is added.

A name is a run of capitalised words ending in a word companies end in (Co, Corp, Group, Technology,
Semiconductor, Inc, Ltd, Holdings, ...), within one paragraph; words a sentence starts with ("The", "In") are
left off its start. Code (fenced, indented or inline) and link targets are not read. Names the registry has
(its names and aliases, ignoring case) are skipped. Order: most occurrences first, then by name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..content.load import load_archive
from ..core.errors import Collector, SiteError, display_path

SUFFIXES = (
    "Co",
    "Corp",
    "Corporation",
    "Company",
    "Group",
    "Technology",
    "Technologies",
    "Semiconductor",
    "Semiconductors",
    "Inc",
    "Ltd",
    "Limited",
    "Holdings",
    "Holding",
    "Electronics",
    "Industries",
    "Bank",
    "Securities",
    "Motors",
    "Pharmaceutical",
    "Pharmaceuticals",
    "Software",
    "Systems",
    "Networks",
    "Labs",
    "AG",
    "SA",
    "PLC",
    "LLC",
    "GmbH",
)
# words a sentence may start with before a name: not part of it
LEADING = frozenset("A An And As At But By For From In Its Of On Or So The Then This That To While With".split())
MAX_WORDS = 8  # words in a name, suffix included
MAX_WORD = 40  # characters in a word

# \w: letters and digits of any script, never a control character; a dot only inside a word ("Co." ends a name)
_WORD = rf"[A-Z0-9](?:[\w&'\-]|\.(?=\w)){{0,{MAX_WORD - 1}}}"
_GAP = r"(?:[ \t]+|[ \t]*\n[ \t]*(?=\S))"  # spaces, or one line break inside a paragraph
_NAME = re.compile(rf"(?<![\w&'.\-])(?:{_WORD}{_GAP}){{1,{MAX_WORDS - 1}}}(?:{'|'.join(SUFFIXES)})(?![\w&\-])\.?")

_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,}).*?(?:^[ ]{0,3}\1[`~]*[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_INDENTED = re.compile(r"(?:(?<=\n\n)|\A)(?:(?:[ ]{4}|\t).*(?:\n|\Z))+")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_LINK_TARGET = re.compile(
    r"\]\([^)\n]*\)|\]:[ \t]*\S+.*$|<[a-zA-Z][a-zA-Z0-9+.\-]*:[^>\s]*>|https?://\S+", re.MULTILINE
)


@dataclass(frozen=True)
class Suggestion:
    """A name that looks like a company, how many times the bodies use it, and the articles that do (by file)."""

    name: str
    count: int
    articles: tuple[str, ...]


def readable(markdown: str) -> str:
    """A body with what is not prose removed: code blocks, inline code and link targets (each made a space, so
    words on either side stay apart)."""
    for pattern in (_FENCE, _INDENTED, _INLINE_CODE, _LINK_TARGET):
        markdown = pattern.sub(" ", markdown)
    return markdown


def names_in(markdown: str) -> list[str]:
    """Every company-like name in a body, in order, each with its whitespace made single spaces."""
    found = []
    for m in _NAME.finditer(readable(markdown)):
        words = m.group().split()
        while words and words[0] in LEADING:
            words.pop(0)
        if len(words) >= 2:
            found.append(" ".join(words).removesuffix("."))
    return found


def suggest(source: Path) -> tuple[list[Suggestion], list[str]]:
    """(the suggestions, sorted; a note per article file that could not be read). Raises SiteError when the
    registry cannot be read (its names could not be skipped)."""
    errors = Collector()
    archive = load_archive(source, errors=errors)
    registry = source / "companies.yaml"
    if any(str(p.path) == display_path(registry) for p in errors.problems):
        raise SiteError([p for p in errors.problems if str(p.path) == display_path(registry)])
    known = {name.casefold() for c in archive.companies for name in c.names}
    counts: dict[str, int] = {}
    where: dict[str, set[str]] = {}
    for article in archive.articles:
        for name in names_in(article.body):
            if name.casefold() in known:
                continue
            counts[name] = counts.get(name, 0) + 1
            where.setdefault(name, set()).add(display_path(article.path))
    suggestions = [Suggestion(name, n, tuple(sorted(where[name]))) for name, n in counts.items()]
    suggestions.sort(key=lambda s: (-s.count, s.name.casefold(), s.name))
    skipped = sorted({str(p.path) for p in errors.problems if str(p.path).endswith(".md")})
    return suggestions, skipped


def safe(text: str) -> str:
    """text fit for a terminal: every control, format or line-separating character written as an escape."""
    return "".join(ascii(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch for ch in text)
