"""Corrections over time: the versions of an article's original, a page for each, and a page for what changed
from one version to the next, word by word.

The word diff is difflib's on word tokens (runs of non-space and runs of space, so whitespace is kept) with its
work bounded: the common start and end are taken off first (linear), and difflib is only ever given two token
lists whose lengths multiply to at most WORK_LIMIT, and all of them together at most TOTAL_LIMIT. A longer
changed middle is first paired by lines (the lines each version has once, in the same order: patience sorting,
O(n log n)), and what lies between those is compared word by word while the budget lasts; past that, each such
run is shown as one deletion and one insertion, and the diff says it is coarse.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from functools import partial

from jinja2 import Environment
from markupsafe import Markup, escape

from ..core.config import Config
from ..core.models import Article, Site
from ..model.versions import version_list
from .base import Keys, Output
from .originals import DETECTOR, show
from .pages import Renderer

WORK_LIMIT = 1_000_000  # the most len(a) * len(b) of any one pair of token lists difflib is given
TOTAL_LIMIT = 20_000_000  # the most of all of them together, in one diff
DIFF_ALGORITHM = "difflib words; unique lines; blocks; 2"  # in the changes pages' keys: change it when the output would

_TOKEN = re.compile(r"\s+|\S+")


@dataclass(frozen=True)
class Diff:
    """What changed: parts in order, each (op, text), op '=' (kept), '-' (deleted) or '+' (inserted); coarse
    when some change is shown by lines or as a whole block rather than word by word."""

    parts: tuple[tuple[str, str], ...]
    coarse: bool = False

    @property
    def old(self) -> str:
        return "".join(text for op, text in self.parts if op != "+")

    @property
    def new(self) -> str:
        return "".join(text for op, text in self.parts if op != "-")


class _Budget:
    def __init__(self) -> None:
        self.left = TOTAL_LIMIT
        self.coarse = False

    def allows(self, a: list[str], b: list[str]) -> bool:
        work = len(a) * len(b)
        if work > WORK_LIMIT or work > self.left:
            return False
        self.left -= work
        return True


def _words(a: list[str], b: list[str], budget: _Budget, out: list[tuple[str, str]]) -> None:
    """Append the parts turning token list a into b: word by word while the budget allows, else one deletion and
    one insertion (and the diff is coarse)."""
    if not a or not b:
        out += [("-", "".join(a))] if a else []
        out += [("+", "".join(b))] if b else []
        return
    if not budget.allows(a, b):
        budget.coarse = True
        out += [("-", "".join(a)), ("+", "".join(b))]
        return
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", "".join(b[j1:j2])))


def _anchors(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Pairs (i, j) of lines that occur once in a and once in b, a[i] == b[j], the longest run of them in the same
    order in both (patience sorting: O(n log n))."""
    once_a, once_b = Counter(a), Counter(b)
    where_b = {line: j for j, line in enumerate(b) if once_b[line] == 1}
    pairs = [(i, where_b[line]) for i, line in enumerate(a) if once_a[line] == 1 and line in where_b]
    tails: list[int] = []  # tails[k]: index into pairs of the smallest j ending an increasing run of k + 1
    before: list[int] = []
    for n, (_, j) in enumerate(pairs):
        k = _bisect(pairs, tails, j)
        before.append(tails[k - 1] if k else -1)
        if k == len(tails):
            tails.append(n)
        else:
            tails[k] = n
    run, n = [], tails[-1] if tails else -1
    while n >= 0:
        run.append(pairs[n])
        n = before[n]
    return run[::-1]


def _bisect(pairs: list[tuple[int, int]], tails: list[int], j: int) -> int:
    """The first k whose run's last j is not below j."""
    lo, hi = 0, len(tails)
    while lo < hi:
        mid = (lo + hi) // 2
        if pairs[tails[mid]][1] < j:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _by_lines(a: list[str], b: list[str], budget: _Budget, out: list[tuple[str, str]]) -> None:
    """Append the parts turning token list a into b when they are too long to compare word by word at once: the
    lines both have once and in the same order are kept, and what lies between them is compared word by word."""
    budget.coarse = True  # lines are paired first: a word diff of the whole might pair words otherwise
    lines_a, lines_b = "".join(a).splitlines(keepends=True), "".join(b).splitlines(keepends=True)
    i0 = j0 = 0
    for i, j in [*_anchors(lines_a, lines_b), (len(lines_a), len(lines_b))]:
        _words(_TOKEN.findall("".join(lines_a[i0:i])), _TOKEN.findall("".join(lines_b[j0:j])), budget, out)
        if i < len(lines_a):
            out.append(("=", lines_a[i]))
        i0, j0 = i + 1, j + 1


def word_diff(old: str, new: str) -> Diff:
    """The word-by-word difference between two texts (see the module's text for the bounds on its work)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    parts: list[tuple[str, str]] = [("=", "".join(a[:start]))]
    budget = _Budget()
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    if len(middle_a) * len(middle_b) <= WORK_LIMIT:
        _words(middle_a, middle_b, budget, parts)
    else:
        _by_lines(middle_a, middle_b, budget, parts)
    parts.append(("=", "".join(a[len(a) - end :])))
    merged: list[tuple[str, str]] = []
    for op, text in parts:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return Diff(tuple(merged), budget.coarse)


_MARKS = {"-": ("del", "[\u2212", "\u2212]", "deleted: "), "+": ("ins", "[+", "+]", "inserted: ")}


def diff_html(diff: Diff) -> Markup:
    """The diff as HTML: kept text as it is, deleted text in <del> and inserted text in <ins>, each between visible
    markers ([− −] and [+ +]) that screen readers skip in favour of words ("deleted:", "inserted:"), so no change
    is told by colour alone. Everything is escaped."""
    html = []
    for op, text in diff.parts:
        if op == "=":
            html.append(escape(text))
            continue
        tag, before, after, said = _MARKS[op]
        html.append(
            Markup(
                f'<{tag}><span class="diff-mark" aria-hidden="true">{before}</span>'
                f'<span class="visually-hidden">[{said}</span>'
            )
            + escape(text)
            + Markup(
                f'<span class="visually-hidden">]</span><span class="diff-mark" aria-hidden="true">'
                f"{after}</span></{tag}>"
            )
        )
    return Markup("").join(html)


def render_versions(env: Environment, config: Config, site: Site, stylesheet: str, keys: Keys) -> list[Output]:
    """For each article with versions: the page of each version's original, and the page of what changed in each
    version after the first. Evidence, not reading: neither in the sitemap nor in the search index."""
    r = Renderer(env, config, site, stylesheet, keys)
    out = []
    for article in site.articles:
        versions = version_list(site, article)
        # every page lists the article (its record holds the versions) and names each version's file
        shared = tuple((v["name"], v["sha256"]) for v in versions)
        for v in versions:
            data = site.raw_files[site.version_names[article.slug][v["number"] - 1]]
            key = keys(v["view"], lists=[article], extra=("version", shared, v["number"], DETECTOR))
            out.append(Output(v["view"], key, partial(_version_page, r, article, v, versions, data)))
            if v["changes"] is not None:
                before = versions[v["number"] - 2]
                old = site.raw_files[site.version_names[article.slug][v["number"] - 2]]
                key = keys(
                    v["changes"], lists=[article], extra=("changes", shared, v["number"], DETECTOR, DIFF_ALGORITHM)
                )
                out.append(Output(v["changes"], key, partial(_changes_page, r, article, before, v, old, data)))
    return out


def _version_page(r: Renderer, article: Article, version: dict, versions: list[dict], data: bytes) -> bytes:
    raw = {k: version[k] for k in ("name", "file", "file_name", "view", "sha256")}
    return r.render(
        "original.html",
        version["view"],
        f"Raw original, version {version['number']}: {article.title}",
        f"Version {version['number']} of {version['count']} of the raw original of \u201c{article.title}"
        f"\u201d ({article.source}), as archived: {raw['name']}, SHA-256 {raw['sha256']}.",
        dict(article=article, raw=raw, size=len(data), shown=show(data), version=version, versions=versions),
    )


def _changes_page(r: Renderer, article: Article, before: dict, after: dict, old: bytes, new: bytes) -> bytes:
    old_shown, new_shown = show(old), show(new)
    diff = word_diff(old_shown.text, new_shown.text)
    notes = [f"Version {before['number']}: {note}" for note in old_shown.notes]
    notes += [f"Version {after['number']}: {note}" for note in new_shown.notes]
    return r.render(
        "changes.html",
        after["changes"],
        f"Changes in version {after['number']}: {article.title}",
        f"What changed in the raw original of \u201c{article.title}\u201d ({article.source}) from "
        f"version {before['number']} to version {after['number']}, word by word.",
        dict(
            article=article,
            before=before,
            after=after,
            diff=diff_html(diff),
            coarse=diff.coarse,
            changed=any(op != "=" for op, _ in diff.parts),
            notes=notes,
        ),
    )
