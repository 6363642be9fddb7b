"""Python-Markdown's inline stage, made to skip patterns that cannot match, with the same output.

For every piece of text, Python-Markdown tries each of its inline patterns in turn (about twenty with the
"extra" extensions), calling a method that searches the text with the pattern's regex. Nearly every try
fails: in news prose most text has no backtick, no bracket, no asterisk. Those failed tries are most of
the inline stage's time, for two reasons: the call itself, and regexes that begin with a look-behind
(the backtick and link patterns), which the regex engine cannot scan for quickly.

`SkippingInlineProcessor` makes the same tries in the same order, but first asks a cheaper question that
has the same answer whenever it says "no": does the text contain any character the pattern's match must
begin with (read off the regex itself, see `first_characters`)? If that cannot be worked out, the
pattern's own regex is searched directly. When either says no match, the pattern is skipped exactly as the
library would have skipped it; otherwise the library's own code runs. tests/test_inline.py checks the
output is identical to the stock processor's.
"""
from __future__ import annotations

import functools
import re
from typing import Callable

import markdown
from markdown import inlinepatterns, treeprocessors, util

try:  # the regex parser of CPython's re module (3.11+); without it every pattern is searched directly
    from re import _constants as _sre, _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another Python implementation
    _sre = _sre_parse = None

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
    if len(chars) == 1:  # a substring test is far quicker than a regex that begins with a look-behind
        (char,) = chars
        return lambda text, start: char in text and search(text, start) is not None
    ordered = tuple(sorted(chars))
    return lambda text, start: any(c in text for c in ordered) and search(text, start) is not None


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


def install(md: markdown.Markdown) -> None:
    """Put SkippingInlineProcessor in place of md's inline processor, at its priority."""
    if not SUPPORTED or "inline" not in md.treeprocessors:  # pragma: no cover - another Python-Markdown
        return
    priority = md.treeprocessors._priority[md.treeprocessors.get_index_for_name("inline")].priority
    md.treeprocessors.register(SkippingInlineProcessor(md), "inline", priority)
