"""Python-Markdown made to skip work that cannot change its output.

Python-Markdown spends most of its time on regex searches that find nothing: in news prose most text has no
backtick, bracket or asterisk, and most blocks are neither headings nor quotes. Two stages are sped up here,
each with the library's own code left to do every piece of work that might find something:

- Inline. For every piece of text, the library tries each of its inline patterns in turn (about twenty with
  the "extra" extensions), calling a method that searches the text with the pattern's regex. The call itself
  costs, and regexes that begin with a look-behind (the backtick and link patterns) cannot be scanned for
  quickly. `SkippingInlineProcessor` makes the same tries in the same order, but first asks a cheaper
  question that has the same answer whenever it says "no": does the text contain any character the
  pattern's match must begin with (read off the regex itself, `first_characters`)? Then the regex.
- Blocks. Block processors search each block with a regex (a heading's "#", a quote's ">", a definition's
  ":"), most of them beginning with "(^|\n)", which the regex engine scans slowly. `install` gives those
  processors their regex wrapped in `GuardedPattern`, which answers "no match" at once when the text holds
  none of the characters some part of every match must contain (`required_characters`), and otherwise
  searches as before.

- Block lists. The block parser keeps the blocks still to parse in a list, and its processors take each from
  the front (`blocks.pop(0)`) and put what they leave back there (`blocks.insert(0, ...)`): each moves every
  block after it, so a body of n blocks took time in n squared (100,000 short paragraphs: minutes).
  `install` gives the parser the same blocks in a `Blocks` (a deque), where both are done in constant time.

When a shortcut says no match, the library would have found none; otherwise the library's own code runs.
tests/test_fastmd.py checks the HTML is identical to the stock library's.
"""
from __future__ import annotations

import collections
import functools
import re
import sys
from typing import Callable

import markdown
from markdown import inlinepatterns, treeprocessors, util

try:  # the regex parser of CPython's re module (3.11+); without it every pattern is searched directly
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another Python implementation
    _sre_parse = None

# The library's own per-pattern method, which this processor calls whenever a pattern might match.
_APPLY = "_InlineProcessor__applyPattern"
SUPPORTED = hasattr(treeprocessors.InlineProcessor, _APPLY)

_ZERO_WIDTH = {"AT", "ASSERT", "ASSERT_NOT"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_MAX_RANGE = 256  # a character class wider than this is not worth listing


class _Unknown(Exception):
    """The regex uses something this analysis does not follow."""


@functools.lru_cache(maxsize=256)  # asked again for every body: the same few dozen regexes
def first_characters(regex: re.Pattern[str]) -> frozenset[str] | None:
    """The characters any match of regex must begin with, or None if that cannot be worked out (a construct
    not followed here, case-insensitive matching, or a regex that can match the empty string)."""
    if _sre_parse is None or regex.flags & re.IGNORECASE:
        return None
    try:
        chars, nullable = _first(_sre_parse.parse(regex.pattern, regex.flags))
    except (_Unknown, re.error, TypeError, ValueError):
        return None
    return None if nullable else frozenset(chars)


def _first(items) -> tuple[set[str], bool]:
    """For a sequence of regex items: the characters a match may begin with, and whether it may be empty."""
    chars: set[str] = set()
    for op, av in items:
        got, nullable = _first_item(str(op), av)
        chars |= got
        if not nullable:
            return chars, False
    return chars, True


def _first_item(op: str, av) -> tuple[set[str], bool]:
    if op in _ZERO_WIDTH:  # an anchor or look-around consumes nothing, whatever it looks at
        return set(), True
    if op == "LITERAL":
        return {chr(av)}, False
    if op == "IN":
        chars: set[str] = set()
        for kind, value in av:
            kind = str(kind)
            if kind == "LITERAL":
                chars.add(chr(value))
            elif kind == "RANGE" and value[1] - value[0] < _MAX_RANGE:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # a negated class, a category such as \s, a wide range
                raise _Unknown(kind)
        return chars, False
    if op == "BRANCH":
        chars, nullable = set(), False
        for alternative in av[1]:
            got, empty = _first(alternative)
            chars |= got
            nullable = nullable or empty
        return chars, nullable
    if op == "SUBPATTERN":
        _group, add_flags, _del_flags, pattern = av
        if add_flags & re.IGNORECASE:
            raise _Unknown(op)
        return _first(pattern)
    if op == "ATOMIC_GROUP":
        return _first(av)
    if op in _REPEATS:
        low, _high, pattern = av
        chars, nullable = _first(pattern)
        return chars, nullable or low == 0
    raise _Unknown(op)


def _quick_test(pattern: inlinepatterns.Pattern) -> Callable[[str, int], bool] | None:
    """A function telling whether pattern's regex could match text from an index on (False only when the
    library's own search would find nothing: its regex is searched only when the text holds a character a
    match could begin with), or None for an old-style pattern, which is always tried."""
    if not isinstance(pattern, inlinepatterns.InlineProcessor):
        return None
    search = pattern.getCompiledRegExp().search
    chars = first_characters(pattern.getCompiledRegExp())
    if chars is None:
        return lambda text, start: search(text, start) is not None
    holds = holds_any(chars)  # far quicker than a regex that begins with a look-behind
    return lambda text, start: holds(text) and search(text, start) is not None


def holds_any(chars: frozenset[str]) -> Callable[[str], object]:
    """A test of whether a text holds any of chars (truthy if so): a substring test for one character, a
    character-class scan for more."""
    if len(chars) == 1:
        (char,) = chars
        return lambda text: char in text
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]").search


class SkippingInlineProcessor(treeprocessors.InlineProcessor):
    """Python-Markdown's InlineProcessor, skipping the patterns that cannot match a text without calling
    into them. Everything else, matching included, is the library's own code."""

    def run(self, tree, ancestors=None):
        self._tries = [(p, _quick_test(p)) for p in self.inlinePatterns]
        return super().run(tree, ancestors)

    # Replaces the library's private loop over the patterns (its name, mangled); the library's
    # __applyPattern calls it back for the text inside each element a pattern makes.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, util.AtomicString):
            return data
        tries = self._tries
        apply = getattr(self, _APPLY)
        start = 0
        while patternIndex < len(tries):
            pattern, could_match = tries[patternIndex]
            if could_match is not None and not could_match(data, start):
                # What the library returns for a pattern that finds no match: (data, False, 0).
                patternIndex += 1
                start = 0
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def required_characters(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Characters at least one of which occurs in any text the regex finds a match in (taken from a part
    every match must contain, and preferring rare characters), or None if there is no useful such set."""
    if _sre_parse is None or regex.flags & re.IGNORECASE:
        return None
    try:
        candidates = _required(_sre_parse.parse(regex.pattern, regex.flags))
    except (re.error, TypeError, ValueError):
        return None
    useful = [c for c in candidates if c and not any(ch.isspace() or ch.isalnum() for ch in c)]
    return frozenset(min(useful, key=lambda c: (len(c & _PROSE), len(c), sorted(c)))) if useful else None


_PROSE = set(".,:;!?'\"()-")  # punctuation common in prose: a poor filter


def _required(items) -> list[set[str]]:
    """Sets of characters, each of which some character of any match of the sequence items must be in."""
    found: list[set[str]] = []
    for op, av in items:
        op = str(op)
        if op in ("LITERAL", "IN"):
            try:
                found.append(_first_item(op, av)[0])
            except _Unknown:
                pass
        elif op == "SUBPATTERN":
            if not av[1] & re.IGNORECASE:
                found += _required(av[3])
        elif op == "ATOMIC_GROUP":
            found += _required(av)
        elif op == "ASSERT" and av[0] >= 0:  # a look-ahead that must succeed: its text is in the string
            found += _required(av[1])
        elif op in _REPEATS and av[0] >= 1:  # repeated at least once
            found += _required(av[2])
        elif op == "BRANCH":  # each alternative's best set, together
            union: set[str] = set()
            for alternative in av[1]:
                sets = _required(alternative)
                if not sets:
                    break
                union |= min(sets, key=len)
            else:
                found.append(union)
        # anything else (an anchor, a negative look-around, a look-behind, a back-reference...) requires nothing
    return found


class GuardedPattern:
    """A compiled regex whose search and match first check that the text holds one of the characters every
    match needs (no: None, as the regex would answer); everything else is the regex's own."""

    __slots__ = ("regex", "chars", "_holds")

    def __init__(self, regex: re.Pattern[str], chars: frozenset[str]):
        self.regex, self.chars, self._holds = regex, chars, holds_any(chars)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        if endpos >= len(string) and not self._holds(string):
            return None
        return self.regex.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        if endpos >= len(string) and not self._holds(string):
            return None
        return self.regex.match(string, pos, endpos)

    def __getattr__(self, name: str):
        return getattr(self.regex, name)


# The block processor regexes searched in every block: the attribute each processor's test or run searches.
_BLOCK_REGEXES = ("RE", "SEARCH_RE")


def _guard_blocks(md: markdown.Markdown) -> None:
    for processor in md.parser.blockprocessors:
        for name in _BLOCK_REGEXES:
            regex = getattr(processor, name, None)
            if isinstance(regex, re.Pattern) and (chars := required_characters(regex)) is not None:
                setattr(processor, name, GuardedPattern(regex, chars))  # on this instance only


class Blocks(collections.deque):
    """The blocks a block parser has still to parse: a deque, so that taking the first (`pop(0)`) and putting
    one back in front (`insert(0, block)`, which deque does by appendleft) cost the same however many there are.
    The block processors use nothing else of their list: [0], pop(0), insert(0, ...) and its truth."""

    __slots__ = ()

    def pop(self, index: int = -1):  # type: ignore[override]
        if index == 0:
            return self.popleft()
        if index == -1:
            return super().pop()
        value = self[index]
        del self[index]
        return value


def _deque_blocks(md: markdown.Markdown) -> None:
    parse = md.parser.parseBlocks  # the library's method, bound to this parser

    def parse_blocks(parent, blocks) -> None:
        return parse(parent, blocks if isinstance(blocks, Blocks) else Blocks(blocks))

    md.parser.parseBlocks = parse_blocks  # on this instance: parseChunk and every processor call it through self


def install(md: markdown.Markdown) -> None:
    """Put SkippingInlineProcessor in place of md's inline processor, at its priority, guard the regexes
    of md's block processors, and give its block parser the blocks in a deque."""
    _guard_blocks(md)
    _deque_blocks(md)
    if not SUPPORTED or "inline" not in md.treeprocessors:  # pragma: no cover - another Python-Markdown
        return
    priority = md.treeprocessors._priority[md.treeprocessors.get_index_for_name("inline")].priority
    md.treeprocessors.register(SkippingInlineProcessor(md), "inline", priority)
