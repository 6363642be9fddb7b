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

Private names. The shortcuts read regexes with CPython's regex parser (`re._parser`) and replace a private
method of Python-Markdown's InlineProcessor (`_InlineProcessor__handleInline`, calling its
`_InlineProcessor__applyPattern`), at the priority the library's registry keeps (`Registry._priority`).
None of that is promised to stay, so each has a fallback to the stock library, never to different HTML:
- a regex that cannot be analysed (any exception, a construct not followed here, no `re._parser`) is
  searched by the library as it would be (that pattern or block regex only);
- without the private methods, or if the inline processor in place is not the library's own, nothing is
  installed at all: stock Python-Markdown;
- without the registry's priorities, the inline processor stays the library's own;
- `SITE_BUILDER_FASTMD=0` in the environment installs nothing (stock Python-Markdown, to compare or rule
  fastmd out);
- pyproject.toml bounds `markdown` above at the newest version the same-HTML tests were run on.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import sys
from collections.abc import Callable
from typing import Any

import markdown
from markdown import inlinepatterns, treeprocessors, util

try:  # the regex parser of CPython's re module (3.11+); without it every pattern is searched directly
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another Python implementation
    _sre_parse = None

# The library's own per-pattern method, which this processor calls whenever a pattern might match, and its
# loop over the patterns, which this processor replaces (both private: their names, mangled).
_APPLY = "_InlineProcessor__applyPattern"
_HANDLE = "_InlineProcessor__handleInline"
ENVIRONMENT = "SITE_BUILDER_FASTMD"  # "0" (or "false", "no", "off"): install nothing


def enabled() -> bool:
    """Whether fastmd is on: unless SITE_BUILDER_FASTMD says 0, false, no or off."""
    return os.environ.get(ENVIRONMENT, "").strip().lower() not in {"0", "false", "no", "off"}


def supported() -> bool:
    """Whether this Python-Markdown has the private methods SkippingInlineProcessor replaces and calls."""
    return all(callable(getattr(treeprocessors.InlineProcessor, name, None)) for name in (_APPLY, _HANDLE))


_ZERO_WIDTH = {"AT", "ASSERT", "ASSERT_NOT"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_MAX_RANGE = 256  # a character class wider than this is not worth listing


class _Unknown(Exception):
    """The regex uses something this analysis does not follow."""


def _parsed(regex: re.Pattern[str]) -> Any:
    """The regex as CPython's parser reads it, or _Unknown if there is no such parser or it does not read
    regexes as this module expects (checked once, on regexes whose answers are known)."""
    if _sre_parse is None or not _parser_as_expected():
        raise _Unknown("re._parser")
    return _sre_parse.parse(regex.pattern, regex.flags)


@functools.cache
def _parser_as_expected() -> bool:
    """Whether the parser's output reads, here, as it did when this module was written: a changed parser
    gives no shortcut rather than a wrong one."""

    def first(pattern: str) -> tuple[set[str], bool]:
        return _first(_sre_parse.parse(pattern, 0))

    def required(pattern: str) -> list[set[str]]:
        return _required(_sre_parse.parse(pattern, 0))

    try:
        return (
            first(r"(?:ab|[c-e])x") == ({"a", "c", "d", "e"}, False)
            and first(r"(?<!y)(?=z)(?:q|)(?>w*)") == ({"q", "w"}, True)
            and first(r"(g)?h") == ({"g", "h"}, False)
            and required(r"(?:^|\n)[ ]{0,3}>(?=#{2,})(?:!|\?)(?!%)") == [{">"}, {"#"}, {"!", "?"}]
        )
    except Exception:
        return False


@functools.lru_cache(maxsize=256)  # asked again for every body: the same few dozen regexes
def first_characters(regex: re.Pattern[str]) -> frozenset[str] | None:
    """The characters any match of regex must begin with, or None if that cannot be worked out (a construct
    not followed here, case-insensitive matching, or a regex that can match the empty string, or no parser
    that reads as expected). An exception from the parser is the caller's: it leaves the regex to the library."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        chars, nullable = _first(_parsed(regex))
    except _Unknown:  # anything else (the parser failing) goes to the caller, which leaves the regex to the library
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
    match could begin with), or None for a pattern the library tries itself, as it would: an old-style
    pattern, or one whose regex could not be analysed (any exception)."""
    try:
        return _quick_test_of(pattern)
    except Exception:
        return None


def _quick_test_of(pattern: inlinepatterns.Pattern) -> Callable[[str, int], bool] | None:
    if not isinstance(pattern, inlinepatterns.InlineProcessor):
        return None
    regex = pattern.getCompiledRegExp()
    if not isinstance(regex, re.Pattern):  # not a regex this can read: the library searches it
        return None
    search = regex.search
    chars = first_characters(regex)
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
    every match must contain, and preferring rare characters), or None if there is no useful such set (or no
    parser that reads as expected). An exception from the parser is the caller's, as for first_characters."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        candidates = _required(_parsed(regex))
    except _Unknown:  # anything else (the parser failing) goes to the caller, which leaves the regex to the library
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

    __slots__ = ("_holds", "chars", "regex")

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
            try:
                regex = getattr(processor, name, None)
                if isinstance(regex, re.Pattern) and (chars := required_characters(regex)) is not None:
                    setattr(processor, name, GuardedPattern(regex, chars))  # on this instance only
            except Exception:  # the analysis failed: this processor's regex is left as it was
                continue


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


def _priority(registry: Any, name: str) -> float | None:
    """The priority an item of a Python-Markdown registry is registered at, or None if the registry does not
    keep it where this looks (its private list: the library has no public way to read it)."""
    try:
        priority = registry._priority[registry.get_index_for_name(name)].priority
    except Exception:
        return None
    return priority if isinstance(priority, (int, float)) else None


def install(md: markdown.Markdown) -> bool:
    """Put SkippingInlineProcessor in place of md's inline processor, at its priority, guard the regexes
    of md's block processors, and give its block parser the blocks in a deque. Nothing at all if fastmd is
    turned off (SITE_BUILDER_FASTMD=0) or this Python-Markdown lacks the private methods it replaces, or if
    md's inline processor is not the library's own. Returns whether it installed anything."""
    if not enabled() or not supported():
        return False
    inline = md.treeprocessors["inline"] if "inline" in md.treeprocessors else None
    if type(inline) is not treeprocessors.InlineProcessor:  # an extension's own (or none): left to it
        return False
    _guard_blocks(md)
    _deque_blocks(md)
    if (priority := _priority(md.treeprocessors, "inline")) is not None:
        md.treeprocessors.register(SkippingInlineProcessor(md), "inline", priority)
    return True
