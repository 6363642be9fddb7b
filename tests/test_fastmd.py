"""Python-Markdown with its shortcuts (fastmd) gives exactly the HTML of the stock library, only sooner."""
from __future__ import annotations

import re
import sys

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from site_builder.content import fastmd
from site_builder.content.markdown import EXTENSIONS, Converter
from site_builder.core.models import Company

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=[e() for e in EXTENSIONS], output_format="html")


def skipping() -> markdown.Markdown:
    md = stock()
    fastmd.install(md)
    assert isinstance(md.treeprocessors["inline"], fastmd.SkippingInlineProcessor)
    return md


@pytest.mark.parametrize("pattern, chars", [
    (r"(?<!\!)\[", "["),
    (r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)", "\\`"),
    (r"\*|_", "*_"),
    (r"(?=x)y", "y"),
    (r"a*b", "ab"),
    (r"(?:ab|c)d", "ac"),
    (r"[a-c]x", "abc"),
    (r"(?>ab)", "a"),
    (r"^\s*x", None),  # \s is a category: not followed
    (r".x", None),
    (r"[^a]", None),
    (r"[^a]b", None),  # a negated class: any character but one
    (r"a*", None),  # may match the empty string
    (r"(?:a|)b", "ab"),
    (r"(?:a|)", None),
    (r"(?i)a", None),
    (r"(?i:a)b", None),
    (r"(a)\1", "a"),
    (r"(a)?\1b", None),  # a back-reference is not followed
])
def test_first_characters(pattern, chars):
    got = fastmd.first_characters(re.compile(pattern))
    assert got == (None if chars is None else frozenset(chars))


@pytest.mark.parametrize("pattern, chars", [
    (r"(?:^|\n)(?P<level>#{1,6})(?P<header>.*)", "#"),
    (r"(^|\n)[ ]{0,3}>[ ]?(.*)", ">"),
    (r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$", "["),  # '[' before ':', which prose is full of
    (r"^[ ]{0,3}(?=(-+){3,}|(_+){3,}|(\*+){3,})", "-_*"),  # inside a look-ahead that must hold
    (r"(?<=#)x", None),  # a look-behind's text may lie before the match, and x is a letter: nothing useful
    (r"(?!#)x", None),
    (r"a?#", "#"),
    (r"#?a", None),  # the # is optional; a letter is everywhere
    (r"(?:#|>)b", "#>"),
    (r"(?:#|b)c", None),  # one alternative needs only a letter
    (r"[a-z]+", None),
    (r"(?i)#", None),
])
def test_required_characters(pattern, chars):
    got = fastmd.required_characters(re.compile(pattern))
    assert got == (None if chars is None else frozenset(chars))


def _guarded_block_regexes():
    md = skipping()
    found = [getattr(p, name) for p in md.parser.blockprocessors for name in ("RE", "SEARCH_RE")
             if isinstance(getattr(p, name, None), fastmd.GuardedPattern)]
    assert len(found) >= 6  # headings, quotes, rules, definitions, footnotes, references...
    return found


BLOCKISH = st.lists(st.sampled_from(list("ab #>:-=_*[]^.1 \n") + ["\n\n", "   ", "[^1]:", "*[x]:", "---"]),
                    max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(BLOCKISH)
def test_a_guarded_block_regex_finds_what_the_regex_finds(text):
    for guarded in _guarded_block_regexes():
        for method in ("search", "match"):
            mine, theirs = getattr(guarded, method)(text), getattr(guarded.regex, method)(text)
            assert (mine and mine.span()) == (theirs and theirs.span()), (guarded.regex.pattern, method)


def _stock_patterns():
    md = stock()
    return [md.inlinePatterns[item.name] for item in md.inlinePatterns._priority]


MARKDOWNISH = st.lists(st.sampled_from(list("ab *_`\\[]()!<>&#;:/@.-=~^\n") + ["  \n", "http://x.y", "a@b.c", "&amp;",
                                                                           "&#35;", "[^1]", "<b>", "</b>"]),
                       max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(MARKDOWNISH, st.integers(0, 10))
def test_a_skipped_pattern_could_not_have_matched(text, start):
    """Where the quick test says no, the pattern's own regex finds nothing from that index on."""
    for pattern in _stock_patterns():
        test = fastmd._quick_test(pattern)
        if test is not None and not test(text, start):
            assert pattern.getCompiledRegExp().search(text, start) is None, pattern


TRICKY = [
    "plain text only",
    "`code` and ``double `tick` code`` and \\`escaped\\` and \\\\`odd`",
    "*em* **strong** ***both*** _u_ __uu__ ___uuu___ snake_case_word 2*3*4",
    "[link](http://example.org \"t\") ![img](x.png) [ref][r] [short] ![i][r]\n\n[r]: http://example.org/r",
    "<http://auto.link/x> <me@example.org> <b>raw *inline*</b> &amp; &copy; &#35; &#x41; AT&T",
    "line one  \nline two\\\nline three",
    "footnote[^1] and another[^n]\n\n[^1]: The note, *emphasised*.\n[^n]: Second `code`.",
    "*[HTML]: Hyper Text\n\nHTML and HTML5 and xHTML",
    "Term\n: Definition with [a link](x) and `code`",
    "| a | b |\n|---|---|\n| `x` | *y* |\n| [z](w) | \\| |",
    "```python\nx = `y` * [z]\n```\n\ntext `after`",
    "<div markdown=\"1\">\n*inside* [a](b)\n</div>",
    "# Heading *em* {: #id .cls }\n\nPara {: .x }",
    "1. one\n2. `two`\n\n   * nested *em*\n\n> quote with **bold** and [link](x)",
    "unmatched [bracket and *star and `tick and <angle and &amp",
    "nested [*em* `code` **[inner](y)**](x) and ![alt *x*](y)",
    "\\*not em\\* \\[not link\\] \\` \\\\ \\_",
    "Ünïcödé — “quotes” and 中文 with *emphasis* and `代码`",
    "Setext heading\n==============\n\nAnother\n-------\n\n* * *\n\n- - -\n\n___\n\ntext # not a heading",
    "## Closed ##\n\n#no space\n\n> quote\n> > nested\n\ntext > not a quote\n\n:not a definition",
    "Term one\nTerm two\n:   Definition\n\n    indented code: with > and #\n\n1. one\n1986\\. not a list",
    "[ref]: http://example.org/ \"Title\"\n[^fn]: A footnote.\n*[ABBR]: Abbreviation\n\nUse [ref] and ABBR[^fn].",
    "a: b\nc: d\n\n> a: quote: with: colons\n\n- item: one\n+ item # two\n* item > three",
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_html_as_stock(text):
    assert skipping().convert(text) == stock().convert(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(MARKDOWNISH, max_size=5).map("\n\n".join))
def test_same_html_as_stock_for_any_text(text):
    assert skipping().convert(text) == stock().convert(text)


def test_same_html_as_stock_for_the_archive_and_the_benchmark(tmp_path):
    """The seeds and a generated benchmark archive: one instance each, reused as the build reuses them."""
    generate(40, 7, tmp_path)
    files = sorted((REPO / "seeds" / "articles").glob("*.md")) + sorted(tmp_path.glob("ours/seeds/articles/*.md"))
    assert len(files) > 40
    fast, slow = skipping(), stock()
    for path in files:
        body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
        assert fast.reset().convert(body) == slow.reset().convert(body), path


def test_the_converter_uses_it():
    converter = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    assert isinstance(converter.md.treeprocessors["inline"], fastmd.SkippingInlineProcessor)
    assert 'href="/c/acme/"' in converter.convert("`Acme` is code; Acme is *not*.").html
