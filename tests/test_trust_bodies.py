"""Pathological bodies and front matter: each converts in bounded time, or the build stops with one
'path:line: body too ...' line, exit 1, nothing written; never a traceback or a hang."""

from __future__ import annotations

import lxml.html
import pytest

from conftest import minimal_front, tree_digest, write_article
from site_builder.content import limits, markdown as markup
from site_builder.content.limits import body_problem
from site_builder.content.markdown import Converter
from site_builder.core.models import Company

NOTHING = "nothing was written\n"
BODY_LINE = 7  # '---', 4 keys, '---': the body starts on line 7 (a blank line, then the text on line 8)


def _refused(project, run, body: str, message: str, line: int = BODY_LINE, then=lambda: None) -> None:
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    then()
    write_article(project, "bad.md", minimal_front(title="Bad"), body=body)
    result = run(project, "build")
    assert result.code == 1
    assert "Traceback" not in result.err
    first = result.err.splitlines()[0]
    assert first.startswith(f"seeds/articles/bad.md:{line}: {message} ("), first
    assert result.err.endswith(f"1 error; {NOTHING}")
    assert tree_digest(project / "output") == before


@pytest.mark.parametrize(
    "body",
    [
        "*" * 2000 + "x" + "*" * 2000,  # a RecursionError traceback before
        "_" * 2000 + "x" + "_" * 2000,
        "".join(f"*a{i} " for i in range(400)) + "x" + "".join(f" b{i}*" for i in range(400)),
        "<div>" * 5000 + "x" + "</div>" * 5000,  # the sanitiser's work grows as the square of the depth
        "> " * 3000 + "x",
        "".join("    " * i + "- x\n" for i in range(100)),  # lists nested 100 deep: a RecursionError before
        '<div markdown="1">\n' * 400 + "x\n" + "</div>\n" * 400,
    ],
)
def test_a_body_nested_too_deeply_is_refused(project, run, body):
    _refused(project, run, body, "body too deeply nested")


@pytest.mark.parametrize(
    "body, line",
    [
        ("[" * 20000 + "]" * 20000, BODY_LINE + 1),  # 83 s before
        ("Intro.\n\n" + "[" * 5000 + "x " * 2000, BODY_LINE + 3),  # brackets never closed
        ("".join(f"x[^{i}]\n\n[^{i}]: note\n\n" for i in range(2100)), BODY_LINE + 1),  # each mark looked up among all
        ("HTML\n\n" + "".join(f"*[AB{i}]: x\n" for i in range(600)), BODY_LINE + 3 + 500),
        ("".join(f"## Heading {i}\n" for i in range(6000)), BODY_LINE + 1),  # one block of 6,000 lines
        ("x\n\n" * 100_001, BODY_LINE + 1 + 2 * 100_000),
    ],
)
def test_a_body_too_slow_to_convert_is_refused_before_it_is_converted(project, run, body, line, monkeypatch):
    def never(self, text):
        raise AssertionError("converted")

    _refused(
        project,
        run,
        body,
        "body too slow to convert",
        line,
        then=lambda: monkeypatch.setattr(Converter, "convert", never),
    )


def test_every_problem_is_reported_at_once(project, run):
    write_article(project, "deep.md", minimal_front(title="Deep"), body="*" * 2000 + "x" + "*" * 2000)
    write_article(project, "slow.md", minimal_front(title="Slow"), body="[" * 20000 + "]" * 20000)
    result = run(project, "build")
    assert result.code == 1
    lines = result.err.splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [  # one run: refused before and during conversion
        f"seeds/articles/deep.md:{BODY_LINE}: body too deeply nested",
        f"seeds/articles/slow.md:{BODY_LINE + 1}: body too slow to convert",
    ]
    assert lines[-1].startswith("2 errors")


def _synthetic(project, count: int, body: str) -> None:
    for i in range(count):
        write_article(project, f"s{i:03d}.md", minimal_front(title=f"S {i}"), body=f"Article {i}.\n")
    write_article(project, "s999.md", minimal_front(title="Deep"), body=body)


def test_a_refused_body_is_reported_from_the_worker_processes_too(project, run):
    _synthetic(project, 60, "*" * 2000 + "x" + "*" * 2000)  # enough bodies for the process pool
    result = run(project, "build")
    assert result.code == 1
    assert result.err.splitlines() == [
        (
            f"seeds/articles/s999.md:{BODY_LINE}: body too deeply nested (HTML elements nested 1001 deep; "
            f"the limit is {limits.MAX_HTML_DEPTH})"
        ),
        f"1 error; {NOTHING.strip()}",
    ]
    assert not (project / "output").exists()


def test_the_time_limit_refuses_a_body_and_the_next_body_converts_as_before(monkeypatch):
    """The backstop: a tiny limit, and a body that takes far longer than it."""
    converter = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    monkeypatch.setattr(markup, "TIME_LIMIT", 0.001)
    slow = "\n\n".join(f"Paragraph {i} with [a link](x) and *emphasis*." for i in range(20000))
    refused = converter.convert(slow)
    assert isinstance(refused, limits.Refused)
    assert refused.message.startswith("body too slow to convert (")
    monkeypatch.setattr(markup, "TIME_LIMIT", 60.0)
    assert 'href="/c/acme/"' in converter.convert("Acme is *here*.").html


def test_a_converter_that_refused_a_body_converts_the_next_one_as_a_fresh_one():
    converter = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    text = "# Acme\n\n- one *two* [three](x)\n\n> quote Acme\n"
    expected = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/").convert(text)
    assert isinstance(converter.convert("> " * 3000 + "x"), limits.Refused)
    assert isinstance(converter.convert("*" * 2000 + "x" + "*" * 2000), limits.Refused)
    assert converter.convert(text) == expected


def test_many_short_paragraphs_convert_in_linear_time():
    """100,000 short paragraphs took minutes (the linker and the block parser were quadratic): now they convert,
    and the work of the linker and parser is counted rather than timed: a deque of blocks and one replacement of
    the root's children."""
    converter = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    body = converter.convert("\n\n".join(f"Para {i} names Acme." for i in range(30000)))
    root = lxml.html.fragment_fromstring(body.html, create_parent="div")
    assert len(root) == 30000
    assert len(root.findall(".//a")) == 30000


def test_the_block_parser_gets_a_deque():
    from site_builder.content import fastmd

    converter = Converter([], lambda cid: cid)
    seen = []
    processor = converter.md.parser.blockprocessors["paragraph"]
    run = processor.run

    def spy(parent, blocks):
        seen.append(type(blocks))
        return run(parent, blocks)

    processor.run = spy
    converter.convert("one\n\ntwo")
    assert seen and all(kind is fastmd.Blocks for kind in seen)


def test_the_linker_is_linear_in_the_children_of_an_element(monkeypatch):
    """The linker replaced each link's parent's children one insert at a time and looked each child up again."""
    import xml.etree.ElementTree as etree

    converter = Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    calls = {"index": 0}
    real_list = list

    class Counting(real_list):
        def index(self, *args):
            calls["index"] += 1
            return super().index(*args)

    monkeypatch.setattr(markup, "list", Counting, raising=False)
    body = converter.convert("\n\n".join("Acme here." for _ in range(50)))
    assert calls["index"] == 0
    assert body.html.count('class="company-mention"') == 50
    assert etree  # imported for its use in the linker


REPORT = """# Annual report on the semiconductor industry

## Summary {: #summary }

The industry grew[^1] by **12 %**, says the *Association*[^2]. See [the tables](#tables) and
[the source](https://example.org/report?a=1&b=2 "Source"). HTML and CPU figures[^3] follow.

> A quote from the chairman, with *emphasis* and **strength**.
>
> > A nested quote [with a link](https://example.org/q).

1. First, with a nested list:
    - one *a*
    - two **b**
        1. deep `code`
2. Second item with a [link][ref]

Term
:   Its definition, with [brackets [nested] once] and `x[0]`.

| Company | Revenue | Change |
|---------|--------:|:------:|
| Acme    | 1,000   | +5 %   |
| Beta    | 2,000   | -3 %   |

```python
def f(x):
    return x[0] * 2  # [not a link]
```

<div markdown="1">
*Markdown* inside HTML.
</div>

[ref]: https://example.org/ref
*[HTML]: Hyper Text Markup Language
*[CPU]: Central Processing Unit
[^1]: A footnote.
[^2]: Another, with a [link](https://example.org/n).
[^3]: A third.

"""


def test_a_realistic_1_mb_report_builds(project, run):
    body = REPORT * 100 + ("\n\n".join(REPORT.split("\n\n")[1:-3]) + "\n\n") * 1300
    assert len(body) >= 1_000_000
    assert body_problem(body) is None
    write_article(project, "report.md", minimal_front(title="Report"), body=body)
    result = run(project, "build")
    assert (result.code, "Traceback" in result.err) == (0, False), result.err[-2000:]
    page = (project / "output" / "articles" / "report" / "index.html").read_bytes()
    assert page.count(b"<table") >= 1400 and page.count(b"<blockquote") >= 2800


def test_an_article_at_the_file_size_limit_still_builds(project, run):
    from site_builder.content.load import MAX_FILE_BYTES

    line = "Shanghai Biren Technology Co appears in a very long article. " * 16 + "\n\n"
    text = "---\n" + minimal_front() + "\n---\n\n" + line * ((MAX_FILE_BYTES - 200) // len(line))
    (project / "seeds" / "articles" / "eight.md").write_text(text, encoding="utf-8")
    assert MAX_FILE_BYTES - len(line) - 200 < len(text.encode()) <= MAX_FILE_BYTES
    result = run(project, "build")
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    "value",
    [
        "[" * 300 + "]" * 300,
        "{a: " * 300 + "1" + "}" * 300,
        "\n" + "".join(" " * i + "- \n" for i in range(300)),
        "[" * 2100 + "]" * 2100,
    ],
)
def test_front_matter_nested_too_deeply_is_refused(project, run, value):
    write_article(project, "deep.md", minimal_front(extra=f"summary: {value}"))
    result = run(project, "build")
    assert result.code == 1
    assert "Traceback" not in result.err
    first = result.err.splitlines()[0]
    assert first.startswith("seeds/articles/deep.md:"), first
    assert "nest" in first
    assert not (project / "output").exists()


def test_registry_nested_too_deeply_is_refused(project, run):
    registry = project / "seeds" / "companies.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8") + "- id: x\n  name: " + "[" * 300 + "]" * 300 + "\n", encoding="utf-8"
    )
    result = run(project, "build")
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("seeds/companies.yaml:")
    assert "Traceback" not in result.err
