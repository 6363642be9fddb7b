"""The one configured Python-Markdown instance, company-mention linking, and HTML sanitising."""
from __future__ import annotations

import functools
import html as html_lib
import re
import xml.etree.ElementTree as etree
from typing import Iterable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, STX, ETX

from . import fastmd
from .chars import FORBIDDEN, without_forbidden
from .models import Body, Company

# Python-Markdown's "extra" (its seven extensions, in its order) and "sane_lists", given as classes: named,
# Markdown looks each up among the installed packages' entry points, which costs more than converting a body
EXTENSIONS = (FencedCodeExtension, FootnoteExtension, AttrListExtension, DefListExtension, TableExtension,
              AbbrExtension, MarkdownInHtmlExtension, SaneListExtension)
_SKIP = {"a", "code", "pre", "script", "style"}
_BLOCKS = {"p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "figcaption"}
_PLACEHOLDER = re.compile(f"{STX}([^{ETX}]*){ETX}")


_STASHED = re.compile(r"wzxhzdk:(\d+)")


def _plain(text: str, stash: list[str]) -> str:
    """Text as the reader sees it in the sanitised body: escapes restored, entities decoded, and stashed raw HTML
    reduced to its visible text (the sanitiser's: nothing of a <script> or <style> it removes)."""
    text = text.replace(AMP_SUBSTITUTE, "&")
    if STX not in text:
        return text
    parts, pos, raw_html = [], 0, False
    for m in _PLACEHOLDER.finditer(text):  # rebuild the block as HTML: text escaped, raw HTML as written
        parts.append(html_lib.escape(text[pos:m.start()], quote=False))
        code = m.group(1)
        if code.isdigit():
            parts.append(html_lib.escape(chr(int(code)), quote=False))
        elif (n := _STASHED.fullmatch(code)) and int(n.group(1)) < len(stash):
            raw = str(stash[int(n.group(1))])
            raw_html = raw_html or "<" in raw
            parts.append(raw)
        pos = m.end()
    parts.append(html_lib.escape(text[pos:], quote=False))
    html = "".join(parts)
    return without_forbidden(html_lib.unescape(nh3.clean(html, tags=set()) if raw_html else html))

# The sanitiser's safe defaults, plus the attributes our own Markdown output needs.
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag, _extra in {"a": {"href", "title", "class", "id"}, "sup": {"id", "class"}, "li": {"id"},
                     "div": {"class"}, "abbr": {"title"}, "img": {"title"},
                     **{f"h{i}": {"id"} for i in range(1, 7)}}.items():
    _ATTRIBUTES.setdefault(_tag, set()).update(_extra)


def sanitise(html: str) -> str:
    """Strip everything that could run or load script: no script, no event handler, no javascript: URL."""
    return nh3.clean(html, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel=None, strip_comments=True)


def mention_pattern(companies: Iterable[Company]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """A regex matching any company name or alias as whole words, and a map from matched text to company id."""
    return _mention_pattern(tuple(companies))


@functools.lru_cache(maxsize=1024)  # each company page asks again for its own company
def _mention_pattern(companies: tuple[Company, ...]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    owner = {name: c.id for c in companies for name in c.names}
    if not owner:
        return None, owner
    names = sorted(owner, key=lambda n: (-len(n), n))
    if max(map(len, names)) > _TRIE_LIMIT:  # a plain alternation, longest first: the same matches, more slowly
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)"), owner
    return re.compile(r"(?:" + _trie(names) + r")(?!\w)"), owner


_TRIE_LIMIT = 120  # characters: a name longer than this nests too deep for a trie pattern


def _trie(names: Iterable[str]) -> str:
    """A regex matching exactly the given names, with their common prefixes shared: at each position the regex
    engine tries only the branches that start with the character there, which makes scanning a body for 200
    names about three times faster than trying each name in turn. Where one name continues another, the
    longer is tried first (a greedy optional group), as in a longest-first alternation.

    The match must not follow a word character. That look-behind comes after each name's first character
    (looking back two characters, the first being the one before the name), not before the whole pattern: a
    pattern that begins with a set of literal characters lets the regex engine skip quickly to the next place
    one of them occurs, which makes the scan about three times faster again."""
    root: dict = {}
    for name in names:
        node = root
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}  # a name ends here

    def emit(node: dict, after_first: str = "") -> str:
        branches = [re.escape(ch) + after_first + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{group})?" if "" in node else group

    return emit(root, r"(?<!\w(?s:.))")


class _Linker(Treeprocessor):
    """Wraps each company name or alias in body text in a link to the company page."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.pattern: re.Pattern[str] | None = None
        self.owner: dict[str, str] = {}
        self.href = lambda company_id: company_id
        self.paragraphs: list[str] = []

    def _split(self, text: str | None) -> tuple[str | None, list[etree.Element]]:
        if not text or self.pattern is None:
            return text, []
        links, pos, head = [], 0, None
        for m in self.pattern.finditer(text):
            piece = text[pos:m.start()]
            if links:
                links[-1].tail = piece
            else:
                head = piece
            a = etree.Element("a", {"href": self.href(self.owner[m.group(0)]), "class": "company-mention"})
            a.text = m.group(0)
            links.append(a)
            pos = m.end()
        if not links:
            return text, []
        links[-1].tail = text[pos:]
        return head, links

    def _walk(self, el: etree.Element) -> None:
        if el.tag in _SKIP:
            return
        children = list(el)
        el.text, links = self._split(el.text)
        for i, a in enumerate(links):
            el.insert(i, a)
        for child in children:
            self._walk(child)
            child.tail, links = self._split(child.tail)
            at = list(el).index(child) + 1
            for i, a in enumerate(links):
                el.insert(at + i, a)

    def run(self, root: etree.Element) -> None:
        self.paragraphs = []
        for el in root.iter():
            if el.tag in _BLOCKS and not any(child.tag in _BLOCKS for child in el):
                text = _plain("".join(el.itertext()), self.md.htmlStash.rawHtmlBlocks)
                if text.strip():
                    self.paragraphs.append(" ".join(text.split()))
        self._walk(root)


class _LinkerExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_Linker(md), "company_links", 5)


class Converter:
    """Converts article bodies; one instance per process, reused (reset) for each body."""

    def __init__(self, companies: Iterable[Company], href):
        self.md = markdown.Markdown(extensions=[*(e() for e in EXTENSIONS), _LinkerExtension()], output_format="html")
        fastmd.install(self.md)  # the same output, without trying patterns that cannot match
        self.linker: _Linker = self.md.treeprocessors["company_links"]
        self.linker.pattern, self.linker.owner = mention_pattern(companies)
        self.linker.href = href

    def convert(self, text: str) -> Body:
        """Markdown to sanitised HTML with company links, the plain text of each block, and where each company is
        first named."""
        html = sanitise(self.md.reset().convert(text))
        # a character reference (&#7;) can make a character no page or feed may carry: removed here, and the
        # article refused (index.build_site) naming the characters
        forbidden = "".join(dict.fromkeys(m.group() for m in FORBIDDEN.finditer(html)))
        paragraphs = tuple(self.linker.paragraphs)
        return Body.of(without_forbidden(html) if forbidden else html, "\n".join(paragraphs),
                       first_mentions(paragraphs, self.linker.pattern, self.linker.owner), forbidden=forbidden)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[^a-z\s])")


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences (good enough for news prose)."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def first_mentions(paragraphs: Iterable[str], pattern: re.Pattern[str] | None,
                   owner: dict[str, str]) -> dict[str, tuple[str, str]]:
    """For each company the text names, in order of first mention: the words naming it and their sentence."""
    found: dict[str, tuple[str, str]] = {}
    for paragraph in paragraphs:
        if pattern is None or not pattern.search(paragraph):
            continue
        for sentence in sentences(paragraph):
            for m in pattern.finditer(sentence):
                found.setdefault(owner[m.group(0)], (m.group(0), sentence))
    return found


def summarise(text: str, limit: int = 220) -> str:
    """A summary from the body's first paragraph: all of it, or cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
