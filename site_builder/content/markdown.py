"""The one configured Python-Markdown instance, company-mention linking, and HTML sanitising."""

from __future__ import annotations

import functools
import html as html_lib
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable

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
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, ETX, STX

from ..core.chars import FORBIDDEN, without_forbidden
from ..core.models import Body, Company
from ..core.platform import time_limit
from . import fastmd
from .limits import MAX_HTML_DEPTH, MAX_NESTING, TIME_LIMIT, TOO_DEEP, TOO_SLOW, Refused

# Python-Markdown's "extra" (its seven extensions, in its order) and "sane_lists", given as classes: named,
# Markdown looks each up among the installed packages' entry points, which costs more than converting a body
EXTENSIONS = (
    FencedCodeExtension,
    FootnoteExtension,
    AttrListExtension,
    DefListExtension,
    TableExtension,
    AbbrExtension,
    MarkdownInHtmlExtension,
    SaneListExtension,
)
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
        parts.append(html_lib.escape(text[pos : m.start()], quote=False))
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
for _tag, _extra in {
    "a": {"href", "title", "class", "id"},
    "sup": {"id", "class"},
    "li": {"id"},
    "div": {"class"},
    "abbr": {"title"},
    "img": {"title"},
    **{f"h{i}": {"id"} for i in range(1, 7)},
}.items():
    _ATTRIBUTES.setdefault(_tag, set()).update(_extra)


def sanitise(html: str) -> str:
    """Strip everything that could run or load script: no script, no event handler, no javascript: URL."""
    return nh3.clean(
        html, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"}, link_rel=None, strip_comments=True
    )


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
            piece = text[pos : m.start()]
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

    def _walk(self, root: etree.Element) -> None:
        """Link the mentions in every text and tail under root, outside _SKIP elements. Iterative, and each
        element's children are replaced once: linear in the size of the tree, however deep or wide."""
        stack = [root]
        while stack:
            el = stack.pop()
            if el.tag in _SKIP:
                continue
            children = list(el)
            el.text, made = self._split(el.text)
            changed = bool(made)
            for child in children:
                stack.append(child)
                made.append(child)
                child.tail, links = self._split(child.tail)
                if links:
                    made += links
                    changed = True
            if changed:
                el[:] = made

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


class _TooDeep(Exception):
    """Nesting past a limit: the body is refused (limits.py)."""


class _TooSlow(BaseException):
    """The time limit for one body ran out (raised by a timer, anywhere in the conversion)."""


_HANDLE_INLINE = "_InlineProcessor__handleInline"  # the inline processor's private loop, called once per level


def _guard_nesting(md: markdown.Markdown) -> None:
    """Count, as Python-Markdown nests, the levels of block parsing (each quote, list item, definition or
    markdown-in-HTML element parses its content one level down) and of inline parsing (each element an inline
    pattern makes is parsed one level down): past MAX_NESTING, _TooDeep. Exact, free, and long before Python's
    recursion limit, wherever the conversion runs."""
    parse = md.parser.parseBlocks
    levels = {"blocks": 0, "inline": 0}

    def nested(kind: str, what: str, function):
        def guarded(*args, **kwargs):
            if levels[kind] > MAX_NESTING:
                raise _TooDeep(f"{TOO_DEEP} ({what} nested more than {MAX_NESTING} deep)")
            levels[kind] += 1
            try:
                return function(*args, **kwargs)
            finally:
                levels[kind] -= 1

        return guarded

    md.parser.parseBlocks = nested("blocks", "quotes, lists and other blocks", parse)
    inline = md.treeprocessors["inline"]
    # The library calls it through self, one level per element. A private method: a Python-Markdown without
    # it has inline nesting bounded by the backstops instead (the HTML depth, RecursionError, the time limit).
    if callable(handle := getattr(inline, _HANDLE_INLINE, None)):
        setattr(inline, _HANDLE_INLINE, nested("inline", "emphasis, links and other inline elements", handle))
    md.preprocessors.register(_ResetLevels(levels), "reset_levels", 1000)


class _ResetLevels(Preprocessor):
    """Sets the nesting counts to zero before each body (a refused body may leave them anywhere)."""

    def __init__(self, levels: dict[str, int]):
        super().__init__()
        self.levels = levels

    def run(self, lines: list[str]) -> list[str]:
        for kind in self.levels:
            self.levels[kind] = 0
        return lines


_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def html_depth(html: str) -> int:
    """How deep the elements of html nest, at most (a tag left open counts as open to the end)."""
    if html.count("<") <= MAX_HTML_DEPTH:  # cannot nest deeper than it has tags
        return 0
    depth = deepest = 0
    for m in _HTML_TAG.finditer(html):
        if m.group(1):
            depth = max(depth - 1, 0)
        elif not m.group(3) and m.group(2).lower() not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


class Converter:
    """Converts article bodies; one instance per process, reused (reset) for each body."""

    def __init__(self, companies: Iterable[Company], href):
        self._args = (tuple(companies), href)
        self._setup()

    def _setup(self) -> None:
        """A fresh Markdown instance (again after a refused body, which may leave one in any state)."""
        companies, href = self._args
        self.md = markdown.Markdown(extensions=[*(e() for e in EXTENSIONS), _LinkerExtension()], output_format="html")
        fastmd.install(self.md)  # the same output, without trying patterns that cannot match
        _guard_nesting(self.md)
        self.linker: _Linker = self.md.treeprocessors["company_links"]
        self.linker.pattern, self.linker.owner = mention_pattern(companies)
        self.linker.href = href

    def convert(self, text: str) -> Body | Refused:
        """Markdown to sanitised HTML with company links, the plain text of each block, and where each company is
        first named; or, for a body past a limit (limits.py), why it is refused."""
        try:
            with time_limit(TIME_LIMIT, _TooSlow):
                html = self.md.reset().convert(text)
                if (depth := html_depth(html)) > MAX_HTML_DEPTH:
                    raise _TooDeep(f"{TOO_DEEP} (HTML elements nested {depth} deep; the limit is {MAX_HTML_DEPTH})")
                clean = sanitise(html)
        except _TooDeep as exc:
            refused = Refused(str(exc))
        except RecursionError:
            refused = Refused(f"{TOO_DEEP} (past Python's recursion limit)")
        except _TooSlow:
            refused = Refused(f"{TOO_SLOW} (it took more than {TIME_LIMIT:g} seconds)")
        else:
            # a character reference (&#7;) can make a character no page or feed may carry: removed here, and the
            # article refused (index.build_site) naming the characters
            forbidden = "".join(dict.fromkeys(m.group() for m in FORBIDDEN.finditer(clean)))
            paragraphs = tuple(self.linker.paragraphs)
            return Body.of(
                without_forbidden(clean) if forbidden else clean,
                "\n".join(paragraphs),
                first_mentions(paragraphs, self.linker.pattern, self.linker.owner),
                forbidden=forbidden,
            )
        self._setup()
        return refused


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[^a-z\s])")


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences (good enough for news prose)."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def first_mentions(
    paragraphs: Iterable[str], pattern: re.Pattern[str] | None, owner: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """For each company the text names, in order of first mention: the words naming it and their sentence."""
    found: dict[str, tuple[str, str]] = {}
    for paragraph in paragraphs:
        if pattern is None or not pattern.search(paragraph):
            continue
        for sentence in sentences(paragraph):
            for m in pattern.finditer(sentence):
                found.setdefault(owner[m.group(0)], (m.group(0), sentence))
    return found


# A sentence ends at '.', '!' or '?' (and any closing quotes or brackets) before a space and a word that does not
# start in lower case, or at a full-width '。', '！' or '？' (scripts written without spaces)
_SUMMARY_END = re.compile(r"([.!?])[\"'”’)\]]*(?=\s+[^a-z\s])|[。！？][\"'”’)\]」』）]*")
# a period after these ends no sentence: titles, company suffixes, 'e.g.', initials ('J.'), 'U.S.'
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr co corp inc ltd no vs etc e.g i.e approx dept est fig gov".split()
)
_TRAILING = ",;:([{-–—/\\&"  # left off a summary cut at a word boundary, so it does not end mid-phrase


def _is_abbreviation(before: str) -> bool:
    """Whether the word before a period is an abbreviation or an initial, not the end of a sentence."""
    word = before.rsplit(None, 1)[-1].lstrip("\"'“‘([") if before.strip() else ""
    return word.casefold() in _ABBREVIATIONS or "." in word or (len(word) == 1 and word.isupper())


def summarise(text: str, limit: int = 220) -> str:
    """A summary from the body's first paragraph, at most limit characters: all of it; else every full sentence
    that fits; else the words that fit, then '…' (never part of a word, nor a trailing comma or dash)."""
    if len(text) <= limit:
        return text
    end = 0
    for m in _SUMMARY_END.finditer(text):
        if m.end() > limit:
            break
        if not (m.group(1) == "." and _is_abbreviation(text[: m.start()])):
            end = m.end()
    if end:
        return text[:end]
    cut = text[: limit - 1]  # room for the '…'
    if not text[limit - 1].isspace() and (at := max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\u00a0"))) > 0:
        cut = cut[:at]  # back to the end of the last whole word
    trimmed = cut.rstrip()
    while trimmed and trimmed[-1] in _TRAILING:
        trimmed = trimmed[:-1].rstrip()
    return (trimmed or cut) + "…"
