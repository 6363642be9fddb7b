"""Python-Markdown with its shortcuts (fastmd) gives exactly the HTML of the stock library, only sooner."""

from __future__ import annotations

import re
import sys

import markdown
import pytest
from hypothesis import given, settings, strategies as st

from conftest import REPO
from site_builder.content import fastmd
from site_builder.content.markdown import EXTENSIONS, Converter
from site_builder.core.models import Company

sys.path.insert(0, str(REPO / "bench"))
from generate import generate


def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=[e() for e in EXTENSIONS], output_format="html")


def skipping() -> markdown.Markdown:
    md = stock()
    fastmd.install(md)
    assert isinstance(md.treeprocessors["inline"], fastmd.SkippingInlineProcessor)
    return md


@pytest.mark.parametrize(
    "pattern, chars",
    [
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
    ],
)
def test_first_characters(pattern, chars):
    got = fastmd.first_characters(re.compile(pattern))
    assert got == (None if chars is None else frozenset(chars))


@pytest.mark.parametrize(
    "pattern, chars",
    [
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
    ],
)
def test_required_characters(pattern, chars):
    got = fastmd.required_characters(re.compile(pattern))
    assert got == (None if chars is None else frozenset(chars))


def _guarded_block_regexes():
    md = skipping()
    found = [
        getattr(p, name)
        for p in md.parser.blockprocessors
        for name in ("RE", "SEARCH_RE")
        if isinstance(getattr(p, name, None), fastmd.GuardedPattern)
    ]
    assert len(found) >= 6  # headings, quotes, rules, definitions, footnotes, references...
    return found


BLOCKISH = st.lists(
    st.sampled_from([*list("ab #>:-=_*[]^.1 \n"), "\n\n", "   ", "[^1]:", "*[x]:", "---"]), max_size=40
).map("".join)


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


MARKDOWNISH = st.lists(
    st.sampled_from(
        [*list("ab *_`\\[]()!<>&#;:/@.-=~^\n"), "  \n", "http://x.y", "a@b.c", "&amp;", "&#35;", "[^1]", "<b>", "</b>"]
    ),
    max_size=40,
).map("".join)


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
    '[link](http://example.org "t") ![img](x.png) [ref][r] [short] ![i][r]\n\n[r]: http://example.org/r',
    "<http://auto.link/x> <me@example.org> <b>raw *inline*</b> &amp; &copy; &#35; &#x41; AT&T",
    "line one  \nline two\\\nline three",
    "footnote[^1] and another[^n]\n\n[^1]: The note, *emphasised*.\n[^n]: Second `code`.",
    "*[HTML]: Hyper Text\n\nHTML and HTML5 and xHTML",
    "Term\n: Definition with [a link](x) and `code`",
    "| a | b |\n|---|---|\n| `x` | *y* |\n| [z](w) | \\| |",
    "```python\nx = `y` * [z]\n```\n\ntext `after`",
    '<div markdown="1">\n*inside* [a](b)\n</div>',
    "# Heading *em* {: #id .cls }\n\nPara {: .x }",
    "1. one\n2. `two`\n\n   * nested *em*\n\n> quote with **bold** and [link](x)",
    "unmatched [bracket and *star and `tick and <angle and &amp",
    "nested [*em* `code` **[inner](y)**](x) and ![alt *x*](y)",
    "\\*not em\\* \\[not link\\] \\` \\\\ \\_",
    "Ünïcödé — “quotes” and 中文 with *emphasis* and `代码`",
    "Setext heading\n==============\n\nAnother\n-------\n\n* * *\n\n- - -\n\n___\n\ntext # not a heading",
    "## Closed ##\n\n#no space\n\n> quote\n> > nested\n\ntext > not a quote\n\n:not a definition",
    "Term one\nTerm two\n:   Definition\n\n    indented code: with > and #\n\n1. one\n1986\\. not a list",
    '[ref]: http://example.org/ "Title"\n[^fn]: A footnote.\n*[ABBR]: Abbreviation\n\nUse [ref] and ABBR[^fn].',
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


# Fallbacks: fastmd reads private names of re and Python-Markdown; whatever of that fails, the HTML is the stock
# library's (that pattern searched by the library, or nothing installed at all).


@pytest.fixture
def fresh_analysis():
    """Analysis results are cached: cleared before and after a test that changes what the analysis sees."""
    fastmd.first_characters.cache_clear()
    fastmd._parser_as_expected.cache_clear()
    yield
    fastmd.first_characters.cache_clear()
    fastmd._parser_as_expected.cache_clear()


def _same_html_everywhere(md_factory=None):
    make = md_factory or (lambda: fastmd_md())
    for text in TRICKY:
        assert make().convert(text) == stock().convert(text), text


def fastmd_md() -> markdown.Markdown:
    md = stock()
    fastmd.install(md)
    return md


def _guarded(md):
    return {
        (type(p).__name__, name)
        for p in md.parser.blockprocessors
        for name in ("RE", "SEARCH_RE")
        if isinstance(getattr(p, name, None), fastmd.GuardedPattern)
    }


def _is_stock(md) -> bool:
    return (
        type(md.treeprocessors["inline"]) is markdown.treeprocessors.InlineProcessor
        and not _guarded(md)
        and "parseBlocks" not in vars(md.parser)
    )


class _FailingParser:
    """re._parser, except that parsing a regex containing `fail` raises an exception nobody expects."""

    def __init__(self, fail: str):
        self.fail = fail

    def parse(self, pattern, flags=0):
        if self.fail in pattern:
            raise RuntimeError("analysis failed")
        return re._parser.parse(pattern, flags)


def test_an_inline_pattern_that_cannot_be_analysed_is_left_to_the_library(monkeypatch, fresh_analysis):
    monkeypatch.setattr(fastmd, "_sre_parse", _FailingParser("`"))
    md = skipping()
    md.convert("x")
    tries = {type(p).__name__ + ":" + p.pattern: test for p, test in md.treeprocessors["inline"]._tries}
    failed = [name for name in tries if "`" in name]
    assert failed and all(tries[name] is None for name in failed)  # the library tries it, as stock does
    assert sum(test is not None for test in tries.values()) >= 10  # the others keep their shortcut
    _same_html_everywhere(skipping)


def test_a_block_regex_that_cannot_be_analysed_is_left_as_it_was(monkeypatch, fresh_analysis):
    everything = _guarded(skipping())
    monkeypatch.setattr(fastmd, "_sre_parse", _FailingParser("#"))
    md = skipping()
    assert ("HashHeaderProcessor", "RE") in everything - _guarded(md)
    assert _guarded(md)  # the others keep their guard
    _same_html_everywhere(skipping)


def test_a_failing_analysis_of_a_block_processor_leaves_that_processor(monkeypatch, fresh_analysis):
    real = fastmd.required_characters

    def failing(regex):
        if ">" in regex.pattern:
            raise AttributeError("no such thing")
        return real(regex)

    monkeypatch.setattr(fastmd, "required_characters", failing)
    md = skipping()
    assert ("BlockQuoteProcessor", "RE") not in _guarded(md) and _guarded(md)
    _same_html_everywhere(skipping)


class _UnknownParser:
    """A parser whose output names constructs this module has never seen."""

    def parse(self, pattern, flags=0):
        return [("NEW_CONSTRUCT", (1, 2))]


class _ChangedParser:
    """A parser whose output is laid out differently (the arguments of each construct reversed)."""

    def parse(self, pattern, flags=0):
        def flip(items):
            return [(op, av[::-1] if isinstance(av, tuple) else av) for op, av in items]

        return flip(re._parser.parse(pattern, flags))


@pytest.mark.parametrize("parser", [_UnknownParser(), _ChangedParser(), None])
def test_a_parser_this_does_not_read_gives_no_shortcut_and_the_same_html(monkeypatch, fresh_analysis, parser):
    monkeypatch.setattr(fastmd, "_sre_parse", parser)
    assert fastmd.first_characters(re.compile(r"\*|_")) is None
    assert fastmd.required_characters(re.compile(r"(?:^|\n)#")) is None
    assert not _guarded(skipping())
    _same_html_everywhere(skipping)


@pytest.mark.parametrize("name", ["_APPLY", "_HANDLE"])
def test_without_the_private_methods_nothing_is_installed(monkeypatch, name):
    monkeypatch.setattr(fastmd, name, "_InlineProcessor__renamed")
    md = stock()
    assert fastmd.install(md) is False
    assert _is_stock(md)
    _same_html_everywhere()


def test_without_the_registry_priorities_the_inline_processor_is_the_librarys(monkeypatch):
    class Registry:  # a registry without its private list of priorities
        def get_index_for_name(self, name):
            return 0

    assert fastmd._priority(Registry(), "inline") is None
    assert fastmd._priority(stock().treeprocessors, "inline") == 20
    monkeypatch.setattr(fastmd, "_priority", lambda registry, name: None)
    md = fastmd_md()
    assert type(md.treeprocessors["inline"]) is markdown.treeprocessors.InlineProcessor and _guarded(md)
    _same_html_everywhere()


def test_an_extensions_own_inline_processor_is_left_to_it():
    class Own(markdown.treeprocessors.InlineProcessor):
        pass

    md = stock()
    md.treeprocessors.register(Own(md), "inline", 20)
    assert fastmd.install(md) is False
    assert type(md.treeprocessors["inline"]) is Own and not _guarded(md)


@pytest.mark.parametrize(
    "value, on", [("0", False), ("off", False), ("False", False), ("no", False), ("1", True), ("", True)]
)
def test_site_builder_fastmd_0_turns_it_off(monkeypatch, value, on):
    monkeypatch.setenv("SITE_BUILDER_FASTMD", value)
    converter = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    assert isinstance(converter.md.treeprocessors["inline"], fastmd.SkippingInlineProcessor) is on
    assert bool(_guarded(converter.md)) is on
    md = stock()
    assert fastmd.install(md) is on and _is_stock(md) is not on
    body = converter.convert("`Acme` is code; Acme is *not*.\n\n# Head\n\n> quote")
    assert 'href="/c/acme/"' in body.html and "<h1>Head</h1>" in body.html


def test_without_the_private_inline_loop_block_nesting_is_still_counted(monkeypatch):
    """The nesting guard (markdown.py) also wraps the private inline loop; without it, inline nesting is left
    to the backstops, and everything else is as before."""
    from site_builder.content import markdown as markup

    text = TRICKY[3]
    before = Converter([], lambda cid: cid).convert(text).html
    monkeypatch.setattr(markup, "_HANDLE_INLINE", "_InlineProcessor__renamed")
    converter = Converter([], lambda cid: cid)
    assert converter.convert(text).html == before
    refused = converter.convert("> " * 100 + "x")
    assert refused.message.startswith("body too deeply nested (quotes, lists and other blocks nested")
    assert converter.convert("*" * 2000 + "x" + "*" * 2000).message.startswith("body too deeply nested")


def test_a_build_without_fastmd_makes_the_same_site(project, run, monkeypatch):
    """SITE_BUILDER_FASTMD=0 reaches every process that converts bodies, and changes nothing they make."""
    from conftest import tree_digest

    assert run(project, "build", "--output", "fast").code == 0
    monkeypatch.setenv("SITE_BUILDER_FASTMD", "0")
    installed = []
    real = fastmd.install
    monkeypatch.setattr(fastmd, "install", lambda md: installed.append(real(md)) or installed[-1])
    assert run(project, "build", "--output", "stock").code == 0
    fast, slow = tree_digest(project / "fast"), tree_digest(project / "stock")
    assert len(fast) > 50 and fast == slow
    assert installed and not any(installed)  # (in this process; workers read the same environment)
