"""Strings that break out: no value from the archive or the command line can add a URL, a line of `_redirects` or
`robots.txt`, make a feed ill-formed, unbalance citation.bib, or carry a removed script's text into a summary."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import bibtexparser
import html5lib
import lxml.etree
import lxml.html
import pytest
import yaml
from bibtexparser.bparser import BibTexParser
from hypothesis import HealthCheck, event, given, settings, strategies as st

from conftest import minimal_front, tree_digest, write_article
from site_builder.cli import main
from site_builder.core.config import Config
from site_builder.core.models import Article
from site_builder.outputs.citations import bibtex
from site_builder.outputs.theme import PACKAGE_THEME

NOTHING = "nothing was written"


@pytest.fixture
def built(project, run):
    """The project built once: the digest of its output, which a refused build must leave as it was."""
    assert run(project, "build").code == 0
    return tree_digest(project / "output")


def refused(project, run, built, *args: str) -> list[str]:
    """Build; assert it fails cleanly (exit 1, output untouched) and return its error lines."""
    result = run(project, "build", *args)
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert tree_digest(project / "output") == built
    lines = result.err.splitlines()
    assert lines[-1].endswith(NOTHING)
    return lines[:-1]


def article_file(project: Path, front: str, body: str = "Body text.\n", name: str = "x.md") -> str:
    write_article(project, name, front, body)
    return f"seeds/articles/{name}"


# ------------------------------------------------------------------------------------------ full matches


@pytest.mark.parametrize("slug", ['"evil\\n"', '"x\\n"', '"a-b\\n"'])
def test_a_slug_ending_in_a_newline_is_refused_and_makes_no_second_url(project, run, built, slug):
    path = article_file(project, minimal_front(extra=f"slug: {slug}"))
    (line,) = refused(project, run, built)
    assert line.startswith(f"{path}:6: slug: invalid slug")


@pytest.mark.parametrize("alias", ["a\\n/b\\n/", "old.html\\n/x"])
def test_an_alias_with_a_newline_is_refused_and_injects_no_redirect_line(project, run, built, alias):
    path = article_file(project, minimal_front(extra=f'slug: x\naliases: ["{alias}"]'))
    (line,) = refused(project, run, built)
    assert line.startswith(f"{path}:7: aliases: invalid alias")
    assert not (project / "output" / "_redirects").exists()


def test_every_redirects_line_is_one_old_path_one_new_path_and_a_status(project, run):
    article_file(project, minimal_front(extra="slug: x\naliases: [articles/old/, /2019/old-story.html, a/b/]"))
    assert run(project, "build", "--base-url", "https://example.org/sub/").code == 0
    lines = [
        ln
        for ln in (project / "output" / "_redirects").read_text(encoding="utf-8").splitlines()
        if not ln.startswith("#")
    ]
    assert [ln.split(" ") for ln in lines] == [
        ["/sub/2019/old-story.html", "/sub/articles/x/", "301"],
        ["/sub/a/b/", "/sub/articles/x/", "301"],
        ["/sub/articles/old/", "/sub/articles/x/", "301"],
    ]


@pytest.mark.parametrize(
    "key, value",
    [
        ("language", '"en\\n"'),
        ("raw_sha256", '"' + "a" * 64 + '\\n"'),
        ("url", '"https://example.org/a\\nb"'),
        ("url", '"https://example.org/ a"'),
    ],
)
def test_other_validated_values_are_full_matches(project, run, built, key, value):
    path = article_file(project, minimal_front(extra=f"{key}: {value}"))
    (line,) = refused(project, run, built)
    assert line.startswith(f"{path}:6: {key}: ")


# ------------------------------------------------------------------------------------------ base_url


BAD_BASE_URLS = [
    "https://example.org/\nDisallow: /",
    "https://example.org/\rDisallow: /",
    "https://example.org/a b/",
    "https://example.org/?q=1",
    "https://example.org/#top",
    "ftp://example.org/",
    "https:///path/",
    "example.org",
    "https://user:pw@example.org/",
    "https://example.org:port/",
    "https://example.org/\u2028x",
    "https://exa\u202emple.org/",
    'https://example.org/"<x>/',
]


@pytest.mark.parametrize("url", BAD_BASE_URLS)
def test_a_bad_base_url_flag_is_a_one_line_usage_error(project, run, built, url):
    result = run(project, "build", "--base-url", url)
    assert result.code == 2
    assert result.out == "" and len(result.err.splitlines()) == 1 and "--base-url" in result.err
    assert tree_digest(project / "output") == built
    assert run(project, "check", "--base-url", url).code == 2


@pytest.mark.parametrize("url", BAD_BASE_URLS)
def test_a_bad_base_url_setting_names_site_toml_and_its_line(project, run, built, url):
    toml = project / "seeds" / "site.toml"
    text = toml.read_text(encoding="utf-8")
    escaped = json.dumps(url)  # a TOML basic string (the same escapes as JSON for these)
    toml.write_text(re.sub(r"^base_url = .*$", lambda _: f"base_url = {escaped}", text, flags=re.M), encoding="utf-8")
    (line,) = refused(project, run, built)
    assert line.startswith(f"seeds/site.toml:{text[: text.index('base_url')].count(chr(10)) + 1}: base_url: ")


def test_robots_txt_names_the_sitemap_and_nothing_else(project, run):
    assert run(project, "build", "--base-url", "https://example.org/sub").code == 0
    assert (project / "output" / "robots.txt").read_text(encoding="utf-8").splitlines() == [
        "User-agent: *",
        "Allow: /",
        "",
        "Sitemap: https://example.org/sub/sitemap.xml",
    ]


# ------------------------------------------------------------------------------------------ XML 1.0 characters


@pytest.mark.parametrize(
    "ref, code",
    [
        ("&#7;", "U+0007"),
        ("&#x1;", "U+0001"),
        ("&#X1b;", "U+001B"),
        ("&#12;", "U+000C"),
        ("&#x7F;", "U+007F"),
        ("&#x81;", "U+0081"),
        ("&#xFFFE;", "U+FFFE"),
        ("&#xFDD0;", "U+FDD0"),
        ("&#x10FFFF;", "U+10FFFF"),
    ],
)
def test_a_character_reference_to_a_forbidden_character_is_refused_naming_its_line(project, run, built, ref, code):
    path = article_file(project, minimal_front(), body=f"First paragraph.\n\nSecond {ref} paragraph.\n")
    (line,) = refused(project, run, built)
    assert line.startswith(f"{path}:10: body: ") and code in line


def test_character_references_the_sanitiser_makes_safe_build_and_every_feed_parses(project, run):
    # C1 references with a Windows-1252 meaning, surrogates and NUL become characters XML allows
    article_file(project, minimal_front(), body="A &#x85; b &#x80; c &#xD800; d &#0; e &#9; f &amp;#7; `&#7;`\n")
    assert run(project, "build").code == 0
    for feed in (project / "output").rglob("*.xml"):
        lxml.etree.parse(str(feed))


@pytest.mark.parametrize("value", ["\\u0007", "\\u0085", "\\uFFFF", "\\uFDD0", "\\U0001FFFE"])
@pytest.mark.parametrize("key", ["title", "description", "publication"])
def test_a_forbidden_character_in_a_setting_is_refused(project, run, built, key, value):
    toml = project / "seeds" / "site.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        re.sub(rf"^{key} = .*$", lambda _: f'{key} = "Site {value} name"', text, flags=re.M), encoding="utf-8"
    )
    (line,) = refused(project, run, built)
    assert line.startswith(f"seeds/site.toml:{text[: text.index(key + ' =')].count(chr(10)) + 1}: {key}: contains ")


@pytest.mark.parametrize("escape", ["\\x85", "\\N", "\\uD800", "\\uFDD0", "\\U0010FFFF", "\\x9f"])
def test_a_forbidden_character_in_front_matter_or_the_registry_is_refused(project, run, built, escape):
    path = article_file(project, minimal_front(extra=f'tags: ["a {escape} b"]'))
    registry = project / "seeds" / "companies.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8") + f'\n- id: zeta\n  name: "Zeta {escape}"\n  description: d\n',
        encoding="utf-8",
    )
    text = registry.read_text(encoding="utf-8")
    lines = refused(project, run, built)
    assert [ln.split(": ")[0] for ln in lines] == [
        f"{path}:6",
        f"seeds/companies.yaml:{text.count(chr(10), 0, text.index('Zeta')) + 1}",
    ]


# ------------------------------------------------------------------------------------------ BibTeX

_UNESCAPE = re.compile(r"\\(textbackslash|textbraceleft|textbraceright|textasciicircum|textasciitilde)\{\}|\\([&%$#_])")
_COMMANDS = {
    "textbackslash": "\\",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textasciicircum": "^",
    "textasciitilde": "~",
}


def unbib(value: str) -> str:
    """A BibTeX field's text as LaTeX prints it (the inverse of the escaping citations.py does)."""
    return _UNESCAPE.sub(lambda m: _COMMANDS[m.group(1)] if m.group(1) else m.group(2), value)


def bib_entry(text: str) -> dict:
    (entry,) = bibtexparser.loads(text, parser=BibTexParser(common_strings=True)).entries
    return entry


@pytest.mark.parametrize(
    "title", ["a } b", "}", "{", "a { b", "\\", "x}y{z", "100% #1 & co ~ ^ _ $5", "\\}", "@article{evil, title={x}}"]
)
def test_citation_bib_parses_whatever_the_title(project, run, title):
    article_file(
        project, minimal_front(extra="slug: x").replace("title: 'A test article'", f"title: {json.dumps(title)}")
    )
    assert run(project, "build").code == 0
    entry = bib_entry((project / "output" / "articles" / "x" / "citation.bib").read_text(encoding="utf-8"))
    assert entry["ID"] == "x" and unbib(entry["title"]) == title
    assert entry["note"].startswith("Archived in Source Archive:")


_BIB_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1).filter(str.strip)


@settings(max_examples=300, deadline=None)
@given(title=_BIB_TEXT, source=_BIB_TEXT, column=_BIB_TEXT, site=_BIB_TEXT)
def test_every_bibtex_field_round_trips_through_bibtexparser(title, source, column, site):
    article = Article(
        path="x.md",
        slug="x",
        title=title,
        published=datetime(2026, 1, 15, tzinfo=UTC),
        source=source,
        companies=(),
        body="",
        column=column,
        url="https://example.org/a?b={c}%20d",
    )
    entry = bib_entry(bibtex(article, Config(title=site, base_url="https://archive.example/")))
    assert unbib(entry["title"]) == " ".join(title.split())
    assert entry["author"][0] + entry["author"][-1] == "{}" and unbib(entry["author"][1:-1]) == " ".join(source.split())
    assert unbib(entry["journaltitle"]) == " ".join(source.split())
    assert unbib(entry["issuetitle"]) == " ".join(column.split())
    assert (
        unbib(entry["note"]) == " ".join(f"Archived in {site}:".split()) + r" \url{https://archive.example/articles/x/}"
    )
    assert entry["url"] == "https://example.org/a?b=%7Bc%7D%20d"


# ------------------------------------------------------------------------------------------ summaries


@pytest.mark.parametrize(
    "body",
    [
        "<script>\nsecret words\n</script>\n\nThe visible paragraph.\n",
        "<style>secret words</style>\n\nThe visible paragraph.\n",
        "The <script>secret words</script>visible paragraph.\n",
        "The visible <style>p::before { content: 'secret words' }</style>paragraph.\n",
    ],
)
def test_a_summary_never_carries_the_text_of_a_removed_script_or_style(project, run, body):
    article_file(project, minimal_front(extra="slug: x"), body=body)
    assert run(project, "build").code == 0
    out = project / "output"
    page = lxml.html.fromstring((out / "articles" / "x" / "index.html").read_bytes())
    (description,) = page.xpath("//meta[@name='description']/@content")
    assert description == "The visible paragraph."
    assert "secret" not in (out / "feed.xml").read_text(encoding="utf-8")
    (record,) = [a for a in json.loads((out / "api" / "articles.json").read_text())["articles"] if a["slug"] == "x"]
    assert record["summary"] == "The visible paragraph."


# ------------------------------------------------------------------------------------------ YAML keys


@pytest.mark.parametrize("key", ["? [a, b]\n: 1", "? {a: 1}\n: 2", "[a, b]: 1"])
def test_a_list_or_mapping_as_a_key_is_an_error_naming_the_line(project, run, built, key):
    path = article_file(project, minimal_front() + "\n" + key)
    registry = project / "seeds" / "companies.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "\n- id: zeta\n  name: Zeta\n  description: d\n  "
        + key.replace("\n", "\n  ")
        + "\n",
        encoding="utf-8",
    )
    text = registry.read_text(encoding="utf-8")
    lines = refused(project, run, built)
    assert [ln.split(": ")[0] for ln in lines] == [
        f"{path}:6",
        f"seeds/companies.yaml:{text.count(chr(10), 0, text.index('id: zeta')) + 4}",
    ]


# ------------------------------------------------------------------------------------------ anything at all

# Each example gives every field text a page may carry (hostile markup and all) and one field, drawn at random, text
# from every Unicode category: controls, lone surrogates (written as YAML and TOML escapes), format characters,
# unassigned code points and pieces that would add a line.
SAFE_PIECES = [
    "}",
    "{",
    "\\",
    "%",
    "</script><!--",
    "<!--",
    "]]>",
    "&#x85;",
    "..",
    "/",
    "\u2028",
    "\u202e",
    " 301 ",
    "Plain",
    "<script>x</script>",
    "{{ 1 }}",
]
WILD_PIECES = [
    "\n",
    "\r\n",
    "\x00",
    "\x07",
    "\x85",
    "\ud800",
    "\ufffe",
    "\U0010ffff",
    "&#7;",
    " 301\n/ /x 302\n",
    "\nDisallow: /\n",
    "\t",
]
SAFE = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=8), st.sampled_from(SAFE_PIECES)
    ),
    min_size=1,
    max_size=3,
).map(lambda parts: "".join(parts) if "".join(parts).strip() else "".join(parts) + "x")
WILD = st.lists(
    st.one_of(st.text(st.characters(blacklist_categories=()), max_size=8), st.sampled_from(WILD_PIECES)),
    min_size=1,
    max_size=4,
).map("".join)
SAFE_ALIAS = st.from_regex(r"/?(old/)?[a-z0-9_~-][a-z0-9._~-]{0,8}/?", fullmatch=True)
SAFE_BASE = st.one_of(
    st.just("https://example.org/sub/"),
    st.from_regex(r"https?://[a-z]{1,8}\.org(:[1-9][0-9]{0,3})?(/[a-z0-9._~%-]{0,6})*/?", fullmatch=True),
)
FIELDS = ["title", "summary", "tag", "name", "alias", "aliases", "base_url", "site_title"]


def _no_surrogates(text: str) -> str:
    return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)


def _toml_string(text: str) -> str:
    """text as a TOML basic string (escapes for everything but printable ASCII; a surrogate makes bad TOML)."""
    return '"' + "".join(ch if " " <= ch <= "~" and ch not in '"\\' else f"\\U{ord(ch):08X}" for ch in text) + '"'


def _assert_outputs_hold(out: Path, aliases: list[str]) -> None:
    for path in out.rglob("*"):
        if path.suffix == ".xml":
            lxml.etree.parse(str(path))  # well-formed XML 1.0 or raises
        elif path.suffix == ".html":
            data = path.read_bytes()
            html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(data)  # raises on a parse error
            for script in lxml.html.fromstring(data).xpath("//script[not(@src)]"):
                assert script.get("type") == "application/ld+json"
                json.loads(script.text)
    redirects = out / "_redirects"
    lines = (
        [ln for ln in redirects.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
        if redirects.exists()
        else []
    )
    assert len(lines) == len(set(aliases))
    assert all(len(ln.split(" ")) == 3 and ln.endswith(" 301") for ln in lines)
    robots = (out / "robots.txt").read_text(encoding="utf-8").split("\n")
    assert robots[:3] == ["User-agent: *", "Allow: /", ""] and robots[3].startswith("Sitemap: ") and robots[4:] == [""]
    assert " " not in robots[3][len("Sitemap: ") :]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    values=st.fixed_dictionaries(
        {
            "title": SAFE,
            "summary": SAFE,
            "tag": SAFE,
            "name": SAFE,
            "alias": SAFE,
            "aliases": SAFE_ALIAS,
            "base_url": SAFE_BASE,
            "site_title": SAFE,
        }
    ),
    wild=st.sampled_from([None, *FIELDS]),
    wild_text=WILD,
    base_on_command_line=st.booleans(),
)
def test_no_string_breaks_out_of_any_output(monkeypatch, values, wild, wild_text, base_on_command_line):
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")  # search indexing is not what is under test here
    if wild is not None:
        values[wild] = ("https://example.org/" + wild_text) if wild == "base_url" and len(wild_text) % 2 else wild_text
    title, summary, name, alias, base_url = (values[k] for k in ("title", "summary", "name", "alias", "base_url"))
    aliases = [values["aliases"]]
    article = {
        "title": title,
        "published": "2026-01-15T23:42:00+08:00",
        "source": "Global Times",
        "companies": ["acme"],
        "summary": summary,
        "tags": [values["tag"]],
        "aliases": aliases,
        "slug": "x",
    }
    company = {"id": "acme", "name": name, "aliases": [alias], "description": "A company"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(PACKAGE_THEME, root / "templates")
        (root / "seeds" / "articles").mkdir(parents=True)
        (root / "seeds" / "companies.yaml").write_text(yaml.safe_dump([company], allow_unicode=True), encoding="utf-8")
        front = yaml.safe_dump(article, allow_unicode=True, sort_keys=False)
        body = f"{title} {name}\n\n<script>{summary}</script>\n\n{alias}\n"
        (root / "seeds" / "articles" / "x.md").write_text(
            f"---\n{front}---\n\n{_no_surrogates(body)}", encoding="utf-8"
        )
        settings_text = f"title = {_toml_string(values['site_title'])}\n"
        args = ["build"]
        if base_on_command_line:
            args += ["--base-url", base_url]
        else:
            settings_text += f"base_url = {_toml_string(base_url)}\n"
        (root / "seeds" / "site.toml").write_text(settings_text, encoding="utf-8")
        monkeypatch.chdir(root)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(args)
        if code != 0:
            assert code in (1, 2) and not (root / "output").exists()
            assert all(re.match(r"[^:\n]+(:\d+)?: ", ln) or ln.endswith(NOTHING) for ln in err.getvalue().splitlines())
            event(f"refused (exit {code})" + (f" with wild {wild}" if wild else ""))
            return
        event("built" + (f" with wild {wild}" if wild else ""))
        _assert_outputs_hold(root / "output", aliases)
