"""Property tests (Hypothesis): whatever the content, the build never crashes and nothing it writes can run or escape."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import html5lib
import lxml.etree
import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings, strategies as st

from site_builder.content.markdown import mention_pattern
from site_builder.core.errors import SiteError
from site_builder.core.models import Body, Company
from site_builder.core.urls import SLUG_RE, slugify
from site_builder.engine.build import build
from site_builder.outputs.base import json_file

HOSTILE = [
    "<script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "<svg onload=alert(1)>",
    "]]>",
    "<![CDATA[x]]>",
    "{{ 7*7 }}",
    "{% raw %}",
    "<!--",
    "-->",
    "&amp;",
    "&#x3C;script&#x3E;",
    "\u2028",
    "\u202e",
    "<style>*{}</style>",
    "<iframe src=//evil>",
    "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
]
# Control characters are refused by validation (tested in test_hardening); leave them out so most examples build.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=25)
FIELD = st.lists(st.one_of(st.sampled_from(HOSTILE), TEXT), min_size=1, max_size=4).map(
    lambda parts: "".join(parts) if "".join(parts).strip() else "".join(parts) + "x"
)
BODY = st.lists(
    st.one_of(st.sampled_from(HOSTILE), TEXT, st.sampled_from(["# Heading", "- item", "> quote", "`code`"])), max_size=8
).map("\n\n".join)
_PATH_URL = FIELD.map(lambda s: "https://example.org/" + "".join(s.split()))
URL = st.one_of(_PATH_URL, st.just("https://example.org/a?b=1&c=<x>\"'"), st.just("javascript:alert(1)"))

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _write_site(root: Path, article: dict, company: dict, body: str) -> None:
    (root / "seeds" / "articles").mkdir(parents=True)
    (root / "seeds" / "companies.yaml").write_text(yaml.safe_dump([company], allow_unicode=True), encoding="utf-8")
    front = yaml.safe_dump(article, allow_unicode=True, sort_keys=False)
    (root / "seeds" / "articles" / "hostile.md").write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")


def _assert_inert_html(path: Path, text: bytes) -> None:
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)  # raises on any parse error
    tree = lxml.html.fromstring(text)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{path}: event handler {name}={value!r}"
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                squashed = "".join(value.split()).lower()
                assert not squashed.startswith(("javascript:", "vbscript:", "data:text/html")), (
                    f"{path}: {name}={value!r}"
                )
        if el.tag == "script":
            if el.get("src") is None:
                assert el.get("type") == "application/ld+json", f"{path}: inline script"
                json.loads(el.text or "")
            else:
                assert not el.get("src").startswith(("http:", "https:", "//")), f"{path}: remote script"
        assert el.tag not in ("iframe", "object", "embed", "base"), f"{path}: <{el.tag}>"


def _assert_site_is_safe(out: Path) -> None:
    root = out.resolve()
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(root), path
        if path.is_file() and path.suffix == ".html":
            _assert_inert_html(path, path.read_bytes())
        elif path.is_file() and path.suffix == ".xml":
            lxml.etree.fromstring(path.read_bytes())  # well-formed XML or raises
        elif path.is_file() and path.suffix == ".json" and "pagefind" not in path.parts:
            json.loads(path.read_bytes())


@SETTINGS
@given(
    title=FIELD,
    summary=FIELD,
    credit=FIELD,
    url=URL,
    name=FIELD,
    alias=FIELD,
    description=FIELD,
    slug=st.one_of(st.none(), FIELD),
    body=BODY,
)
def test_any_content_builds_or_fails_cleanly_and_nothing_can_run(
    monkeypatch, title, summary, credit, url, name, alias, description, slug, body
):
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")  # search indexing is not what is under test here
    article = {
        "title": title,
        "published": "2026-01-15T23:42:00+08:00",
        "source": name,
        "companies": ["acme"],
        "summary": summary,
        "illustration": credit,
        "url": url,
        "column": alias,
    }
    if slug is not None:
        article["slug"] = slug
    company = {"id": "acme", "name": name, "aliases": [alias], "description": description}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_site(root, article, company, body + f"\n\n{name} and {alias}.")
        monkeypatch.chdir(root)
        try:
            build(root / "seeds", root / "output", root / "templates")
        except SiteError as exc:
            assert exc.problems and all(p.path and p.message for p in exc.problems)
            assert not (root / "output").exists()
            event("refused with a message")
            return
        event("built")
        _assert_site_is_safe(root / "output")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_slugify_is_url_safe_and_idempotent(text):
    slug = slugify(text)
    assert slug == "" or SLUG_RE.fullmatch(slug)
    assert slugify(slug) == slug


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "source", "summary", "column"]), FIELD, min_size=1))
def test_front_matter_survives_dump_and_load(values):
    from site_builder.content.frontmatter import parse

    required = {"title": "T", "published": "2026-01-15T23:42:00+08:00", "source": "S", "companies": []}
    data = {**required, **values}
    parsed, problems = parse("---\n" + yaml.safe_dump(data, allow_unicode=True) + "---\n\nbody\n")
    if problems:  # only text a publication cannot carry is refused
        assert all(any(w in p.message for w in ("control character", "noncharacter", "non-empty")) for p in problems), (
            problems
        )
        return
    for key, value in values.items():
        assert parsed.values[key] == value


@pytest.mark.parametrize("title", ["人工智能企业赴港上市", "Ünïcödé ťitle", "🚀 Launch", "مرحبا"])
def test_unicode_titles_build(project, run, title):
    from conftest import minimal_front, write_article

    write_article(project, "unicode.md", minimal_front(title=title))
    assert run(project, "build").code == 0
    pages = [p.read_text(encoding="utf-8") for p in (project / "output" / "articles").rglob("index.html")]
    assert any(title in page for page in pages)


_NAME_CHARS = st.sampled_from(list("AaBb .+-&é中"))


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(
        st.text(_NAME_CHARS, min_size=1, max_size=6).map(str.strip).filter(bool), min_size=1, max_size=8, unique=True
    ),
    text=st.text(st.sampled_from(list("AaBb .+-&é中x\n")), max_size=80),
)
def test_the_shared_prefix_mention_pattern_finds_what_a_longest_first_alternation_finds(names, text):
    pattern, _ = mention_pattern([Company(f"c{i}", n, (), "d") for i, n in enumerate(names)])
    plain = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))) + r")(?!\w)"
    )
    assert [(m.start(), m.group(0)) for m in pattern.finditer(text)] == [
        (m.start(), m.group(0)) for m in plain.finditer(text)
    ]


_ANY_TEXT = st.text(st.characters(blacklist_categories=()))  # lone surrogates too


@given(_ANY_TEXT, _ANY_TEXT, st.dictionaries(st.text(max_size=5), st.tuples(st.text(max_size=5), st.text(max_size=5))))
def test_a_body_gives_back_exactly_what_it_was_made_of(html, text, named):
    """Bodies are kept compressed in memory; whatever the text (lone surrogates too), it comes back unchanged."""
    body = Body.of(html, text, named)
    assert (body.html, body.text, body.named) == (html, text, named)
    assert body.paragraphs == (tuple(text.split("\n")) if text else ())
    assert body.first_paragraph == text.split("\n")[0]
    assert body == Body.of(html, text, named)  # equal bodies compare equal (the cache relies on it)


def test_a_body_lists_each_link_target_once_as_written():
    body = Body.of(
        '<p><a href="b/">x</a> <a class="c" href="a?x=1&amp;y=2">y</a> <a href="b/">z</a> <abbr href="no"></abbr></p>',
        "x",
    )
    assert body.hrefs == ("a?x=1&amp;y=2", "b/")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(),  # no floats: no record holds one
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(st.integers(-5, 5), inner, max_size=3)
    ),  # json.dumps makes int keys strings
    max_leaves=20,
)


@given(_JSON)
def test_json_files_are_exactly_what_the_standard_library_writes(data):
    """api/ and citation files are made with orjson for speed; their bytes must be json.dumps' to the byte."""
    expected = (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
    assert json_file(data) == expected
