"""Limits on article bodies that bound the work of converting one, however it is written.

Python-Markdown recurses once per level of nesting (quotes, lists, emphasis...) and does some work in time
that grows as the square of some counts (it scans from each '[' to its matching ']'; it looks each footnote
mark up among all footnotes). A real article is far inside every limit here (a long report has a few
thousand blocks, brackets nested one deep, tens of footnotes); a hostile body that is not is refused with one
`path:line: body too ... (...)` line, instead of a traceback or a build that never ends.

Two kinds of check:
- `body_problem`, here: counts read off the Markdown text before it is converted (a few regex scans; no
  Python-Markdown), for the costs that grow faster than the text;
- during the conversion (markup.Converter): the depth of block and of inline nesting, counted as Python-Markdown
  nests (so exactly, and long before Python's recursion limit), the depth of the HTML it makes, and, as a last
  backstop, Python's RecursionError and a time limit per body.

This module imports nothing heavy: the loader uses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..core.errors import Problem, SiteError, display_path

MAX_NESTING = 64  # levels of block nesting (quotes, lists, definitions, markdown-in-HTML), and of inline nesting
MAX_HTML_DEPTH = 256  # levels of HTML elements in the converted body, raw HTML included (the sanitiser's cost)
MAX_BLOCKS = 100_000  # blocks separated by blank lines
MAX_LINE_WORK = 25_000_000  # the number of lines of each block, squared, summed over the blocks
MAX_BRACKET_WORK = 16_000_000  # characters inside open '[' brackets, counted once for each bracket open there
MAX_FOOTNOTE_WORK = 4_000_000  # footnote marks '[^' times footnote definitions (each mark is looked up among all)
MAX_ABBREVIATIONS = 500  # abbreviation definitions ('*[HTML]: ...' lines)
TIME_LIMIT = 60.0  # seconds to convert one body: the backstop, never reached by a body inside the limits above

TOO_DEEP = "body too deeply nested"
TOO_SLOW = "body too slow to convert"


class BodyProblem(NamedTuple):
    """Why a body is refused, and the line of the body (0-based) it is about."""

    line: int
    message: str


_BLANK = re.compile(r"\n[ \t]*\n")  # a blank line between two blocks
_BRACKET_OR_BLANK = re.compile(r"[\[\]]|\n[ \t]*\n")
_FOOTNOTE = re.compile(r"^[ ]{0,3}\[\^[^\]\n]*\]:", re.MULTILINE)
_ABBREVIATION = re.compile(r"^[ \t]*\*\[", re.MULTILINE)


_SPACE = re.compile(r"\s*")


def _line(text: str, at: int) -> int:
    """The line (0-based) of the first character at or after at that is not white space."""
    return text.count("\n", 0, _SPACE.match(text, at).end())


def body_problem(text: str) -> BodyProblem | None:
    """Why converting this Markdown body could take more than a bounded time, or None (almost always)."""
    if (marks := text.count("[^")) * marks > MAX_FOOTNOTE_WORK:  # else marks x definitions cannot be either
        definitions = _FOOTNOTE.findall(text)
        if marks * len(definitions) > MAX_FOOTNOTE_WORK:
            return BodyProblem(
                _line(text, 0),
                f"{TOO_SLOW} ({marks} footnote marks '[^' and {len(definitions)} footnote "
                f"definitions: their product exceeds {MAX_FOOTNOTE_WORK})",
            )
    if "*[" in text and len(abbreviations := _ABBREVIATION.findall(text)) > MAX_ABBREVIATIONS:
        at = [m.start() for m in _ABBREVIATION.finditer(text)][MAX_ABBREVIATIONS]
        return BodyProblem(
            _line(text, at),
            f"{TOO_SLOW} ({len(abbreviations)} abbreviation definitions '*[...]:'; the limit is {MAX_ABBREVIATIONS})",
        )
    # each '[' is scanned over at most the whole text: only a text with many can pass the bracket limit
    return _blocks_problem(text) or (_bracket_problem(text) if text.count("[") * len(text) > MAX_BRACKET_WORK else None)


def _blocks_problem(text: str) -> BodyProblem | None:
    """Too many blocks, or blocks of too many lines (Python-Markdown takes a heading or a rule off the front of a
    block and looks at the rest again: a block of n such lines costs n squared)."""
    if text.count("\n") ** 2 <= MAX_LINE_WORK:  # the usual article: no block can have too many lines
        return None
    blocks = _BLANK.split(text)
    if len(blocks) > MAX_BLOCKS:
        at = next(m.end() for i, m in enumerate(_BLANK.finditer(text)) if i == MAX_BLOCKS - 1)
        return BodyProblem(
            _line(text, at), f"{TOO_SLOW} ({len(blocks)} blocks separated by blank lines; the limit is {MAX_BLOCKS})"
        )
    work, at = 0, 0
    for block in blocks:
        lines = block.count("\n") + 1
        work += lines * lines
        if work > MAX_LINE_WORK:
            return BodyProblem(
                _line(text, text.index(block, at)),
                f"{TOO_SLOW} (too many lines without a blank line between them: the lines of "
                f"each block, squared and summed, exceed {MAX_LINE_WORK})",
            )
        at += len(block) + 1
    return None


def _bracket_problem(text: str) -> BodyProblem | None:
    """Python-Markdown scans from each '[' to its matching ']', or to the end of the block when there is none:
    the work is the number of characters inside open brackets, counted once for each bracket open there."""
    work, opened, start = 0, [], 0
    for m in _BRACKET_OR_BLANK.finditer(text):
        char = m.group()
        if char == "[":
            opened.append(m.start())
        elif char == "]":
            if opened:
                work += m.start() - opened.pop()
        else:  # the end of a block: the brackets left open were scanned to here
            work += sum(m.start() - at for at in opened)
            opened = []
        if work > MAX_BRACKET_WORK:
            return _brackets_at(text, start, work)
        if char not in "[]":
            start = m.end()
    work += sum(len(text) - at for at in opened)
    return _brackets_at(text, start, work) if work > MAX_BRACKET_WORK else None


def _brackets_at(text: str, start: int, work: int) -> BodyProblem:
    return BodyProblem(
        _line(text, start),
        f"{TOO_SLOW} (brackets '[' nested or left open over too much text: "
        f"more than {MAX_BRACKET_WORK} characters inside open brackets, "
        f"counting each once per bracket)",
    )


class Refused(NamedTuple):
    """What converting a body gives instead of a Body when the body is past a limit: the message."""

    message: str


def refuse(articles: Sequence[Any], converted: Sequence[Any]) -> None:
    """Raise a SiteError naming each article (models.Article) whose body was refused (a Refused where its Body
    would be), at the body's first line."""
    problems = [
        Problem(display_path(a.path), a.body_line, body.message)
        for a, body in zip(articles, converted, strict=True)
        if isinstance(body, Refused)
    ]
    if problems:
        raise SiteError(problems)
