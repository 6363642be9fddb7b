"""Frozen records of the archive: no I/O, no Jinja."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

_HREF = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"')


def pack(text: str) -> bytes:
    """text compressed (zlib, fast level): a body takes about a third of the memory it would as a string."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def unpack(data: bytes) -> str:
    """The text that pack() compressed."""
    return zlib.decompress(data).decode("utf-8", "surrogatepass")


class PackedText:
    """A dataclass field kept compressed (pack) in the instance and given back as text: an article's Markdown body
    takes about a third of the memory it would as a string, and an archive of 100,000 articles holds every one.

    A descriptor-typed field (the dataclasses documentation): __init__, dataclasses.replace and a frozen
    instance's construction pass the text to __set__; repr, ==, hash and the pickle of the instance see the
    text and the packed bytes respectively. No default: __get__ on the class raises AttributeError."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_packed_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> str:
        if obj is None:
            raise AttributeError(self._slot)
        return unpack(obj.__dict__[self._slot])

    def __set__(self, obj: object, value: str) -> None:
        obj.__dict__[self._slot] = pack(value)


@dataclass(frozen=True)
class Company:
    """A registry entry: what the archive states about one company."""

    id: str
    name: str
    aliases: tuple[str, ...]
    description: str

    @property
    def names(self) -> tuple[str, ...]:
        """The name followed by every alias: every way the text may mention the company."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Version:
    """One version of an article's original, as its front matter's `versions:` list records it (oldest first)."""

    original: str  # the file, relative to seeds/, inside raw/
    sha256: str
    retrieved: datetime | None = None  # when it was fetched


# The text `site-builder new` writes for the author to replace (its summary, then its body): a warning while
# an article (draft or not) still has it, an error with --strict.
PLACEHOLDERS = ("One or two sentences for lists and feeds.", "Write the article here, in Markdown.")


@dataclass(frozen=True)
class Article:
    """One archived article as loaded and validated from its file."""

    path: str  # the source file, as shown in messages
    slug: str
    title: str
    published: datetime
    source: str
    companies: tuple[str, ...]
    body: str = PackedText()  # type: ignore[assignment]  # the Markdown text, kept compressed (PackedText)
    column: str | None = None
    section: str | None = None
    illustration: str | None = None
    credits: tuple[str, ...] = ()  # 'Kind: name' ('Photo: VCG'), each once, illustration's first when it has one
    authors: tuple[str, ...] = ()
    url: str | None = None
    raw: str | None = None
    raw_sha256: str | None = None
    summary: str | None = None
    updated: datetime | None = None
    draft: bool = False
    language: str = "en"
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # earlier URLs of the article, as paths from the site's root
    retrieved: datetime | None = None  # when the raw original was fetched: the citation's access date
    # every version of the original, oldest first (the last is `raw`); empty for an article with one original
    versions: tuple[Version, ...] = ()
    body_line: int = 1  # the file line where the body starts, for messages about the body
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)  # front matter key -> line
    # sha256 of the file's path and text and the registry ids it was checked against: the article, its body and
    # its summary are functions of these (and of the registry and settings); empty when not loaded from a file
    source_digest: bytes = field(default=b"", compare=False, repr=False)


class Stored(Protocol):
    """Where a body's packed HTML and text are when its record does not hold them (a build cache's database,
    engine/store.py): read when a page asks for them."""

    def html(self) -> bytes: ...

    def text(self) -> bytes: ...


@dataclass(frozen=True)
class Body:
    """An article body converted for the page: sanitised HTML and the plain text of its blocks.

    Both are kept compressed (pack): a page asks for them once or twice per build. A body the build cache keeps
    holds neither: they stay in the cache's database (stored) until a page asks, so an archive of 100,000
    articles does not hold every page's HTML in memory. Make one with Body.of(html, text, named).
    """

    packed_html: bytes
    # the plain text of each block, one per line (a block's text has its whitespace made single spaces, so it
    # holds no newline)
    packed_text: bytes
    first_paragraph: str  # the plain text of the first block ('' when there is none): every build summarises it
    # company id -> (the words naming it, their sentence), in order of first mention
    named: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    # the href of every link in the HTML, as written (entities and all), each once, sorted: found where the body
    # is converted (a worker process, in a cold build), so the link checks need not unpack and search the HTML
    hrefs: tuple[str, ...] = ()
    # characters a character reference in the body made that no page or feed may carry (a control character, a
    # noncharacter), each once: removed from html, and the article refused
    forbidden: str = ""
    # where packed_html and packed_text are when they are not held here (then both are b"")
    stored: Stored | None = field(default=None, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, html: str, text: str, named: dict[str, tuple[str, str]] | None = None, forbidden: str = "") -> Body:
        return cls(
            pack(html),
            pack(text),
            text.partition("\n")[0],
            named or {},
            tuple(sorted(set(_HREF.findall(html)))),
            forbidden,
        )

    @property
    def html(self) -> str:
        return unpack(self.packed_html if self.stored is None else self.stored.html())

    @property
    def text(self) -> str:
        return unpack(self.packed_text if self.stored is None else self.stored.text())

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The plain text of each block, in order."""
        text = self.text
        return tuple(text.split("\n")) if text else ()


@dataclass(frozen=True)
class Mention:
    """An article that names a company, with the sentence that names it as context."""

    article: Article
    context: str


@dataclass(frozen=True)
class CompanyPage:
    """Everything a company page shows."""

    company: Company
    mentions: tuple[Mention, ...]  # newest first
    alongside: tuple[tuple[Company, int], ...]  # companies mentioned in the same articles, with counts


@dataclass(frozen=True)
class Column:
    """A column of a source (e.g. GT Voice of Global Times) and its articles."""

    name: str
    articles: tuple[Article, ...]  # newest first


@dataclass(frozen=True)
class Source:
    """A publication, its articles and its columns."""

    name: str
    articles: tuple[Article, ...]  # newest first
    columns: tuple[Column, ...]  # A to Z


@dataclass(frozen=True)
class Site:
    """The whole modelled archive, ready to render."""

    articles: tuple[Article, ...]  # newest first
    bodies: dict[str, Body]  # by slug
    summaries: dict[str, str]  # by slug: the given summary or one taken from the body
    companies: tuple[Company, ...]  # A to Z
    company_pages: dict[str, CompanyPage]  # by company id
    months: tuple[tuple[int, int, tuple[Article, ...]], ...]  # (year, month, articles), newest first
    neighbours: dict[str, tuple[Article | None, Article | None]]  # slug -> (older, newer)
    raw_files: dict[str, bytes] = field(default_factory=dict)  # raw original's path under raw/ (its name) -> bytes
    sources: tuple[Source, ...] = ()  # A to Z
    related: dict[str, tuple[Article, ...]] = field(default_factory=dict)  # slug -> related articles, best first
    held_back: tuple[Article, ...] = ()  # dated after the build's "now": published by a later build
    named: dict[str, dict[str, tuple[str, str]]] = field(
        default_factory=dict
    )  # slug -> company id -> (words, sentence)
    # slug -> a digest of everything known about the article (front matter, body, summary, mentions, raw file):
    # an output that shows an article depends on it through this digest (outputs.Keys)
    digests: dict[str, bytes] = field(default_factory=dict)
    listings: dict[str, bytes] = field(default_factory=dict)  # slug -> a digest of its record and summary only
    raw_names: dict[str, str] = field(default_factory=dict)  # slug -> the name of its raw original (in raw_files)
    raw_sha256: dict[str, str] = field(default_factory=dict)  # raw original's name -> its sha256, hex
    # slug -> the name (in raw_files) of each version's original, oldest first: only articles with `versions:`
    version_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
