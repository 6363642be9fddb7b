"""Bad input is reported as `path:line: message`, all at once, sorted, with exit 1 and the previous site untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, SEED_SLUG, minimal_front, own_template, tree_digest
from site_builder.content import frontmatter

ARTICLES = "seeds/articles"
SEED_REL = f"{ARTICLES}/{SEED_SLUG}.md"
SEED_SHA = "3addd5a367307674a354057a76bd5b21d7e4b8fe7824b4fd4d26dca3024f0067"
RAW_REL = "raw/000_ff62e51a18514715.txt"
REGISTRY = (REPO / "seeds" / "companies.yaml").read_text(encoding="utf-8")
SITE_TOML = (REPO / "seeds" / "site.toml").read_text(encoding="utf-8")
ALLOWED = (
    "title, published, source, companies, column, section, illustration, url, raw, raw_sha256, slug, summary, "
    "updated, draft, language, tags, aliases, retrieved, authors, credits, versions"
)
SLUG_RULE = "use lower-case letters a-z, digits and single hyphens (no '/', '..', '\\', spaces or other characters)"
TAMPERED_RAW = (REPO / "seeds" / RAW_REL).read_bytes().replace(b"Hong Kong", b"HK", 1)
GOOD = "---\n" + minimal_front() + "\n---\n\nBody text.\n"  # title line 2, published 3, source 4, companies 5


def yaml_says(libyaml: str, pure: str) -> str:
    """PyYAML words its errors differently with and without libyaml; the build uses libyaml when present."""
    return "invalid YAML: " + (libyaml if frontmatter.Loader.__name__.startswith("C") else pure)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of needle in text."""
    return text[: text.index(needle)].count("\n") + 1


def front(extra: str = "", **kw) -> str:
    """A whole article file: minimal front matter (required keys on lines 2-5), extra lines from line 6."""
    return "---\n" + minimal_front(extra=extra, **kw) + "\n---\n\nBody text.\n"


def expected_err(lines: list[str]) -> str:
    return (
        "".join(f"{line}\n" for line in lines)
        + f"{len(lines)} error{'' if len(lines) == 1 else 's'}; nothing was written\n"
    )


def put(project: Path, files: dict[str, str | bytes]) -> None:
    """Write files (paths relative to the project); a None value deletes the file."""
    for rel, content in files.items():
        path = project / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def seed_with(old: str, new: str) -> str:
    text = (REPO / SEED_REL).read_text(encoding="utf-8")
    assert text.count(old) == 1
    return text.replace(old, new)


# ------------------------------------------------------------------ the cases: {file: content}, expected lines

X = f"{ARTICLES}/x.md"
REG = "seeds/companies.yaml"
TOML = "seeds/site.toml"
REG_END = REGISTRY.count("\n") + 2  # the line of an entry appended after a blank line

CASES = [
    # the front matter block
    pytest.param(
        {
            X: "---\ntitle: GT Voice: Synergy\npublished: 2026-02-01T10:00:00+08:00\nsource: S\ncompanies: []\n"
            "---\n\nBody.\n"
        },
        [
            f"{X}:2: "
            + yaml_says("mapping values are not allowed in this context", "mapping values are not allowed here")
        ],
        id="yaml-colon-in-plain-title",
    ),
    pytest.param(
        {X: "---\ntitle: [unclosed\npublished: 2026-02-01T10:00:00+08:00\nsource: S\ncompanies: []\n---\n"},
        [f"{X}:3: " + yaml_says("did not find expected ',' or ']'", "expected ',' or ']', but got ':'")],
        id="yaml-unclosed-bracket",
    ),
    pytest.param(
        {X: "---\ntitle: 'it's'\npublished: 2026-02-01T10:00:00+08:00\nsource: S\ncompanies: []\n---\n"},
        [f"{X}:2: " + yaml_says("did not find expected key", "expected <block end>, but found '<scalar>'")],
        id="yaml-quote-in-quotes",
    ),
    pytest.param(
        {X: "---\ntitle: T\n\tpublished: 2026-02-01T10:00:00+08:00\nsource: S\ncompanies: []\n---\n"},
        [
            f"{X}:3: "
            + yaml_says(
                "found a tab character that violates indentation", "found character '\\t' that cannot start any token"
            )
        ],
        id="yaml-tab",
    ),
    pytest.param(
        {X: "---\n- title\n- published\n---\n\nBody.\n"},
        [f"{X}:2: front matter must be a mapping of keys to values"],
        id="yaml-list-not-mapping",
    ),
    pytest.param(
        {X: "---\n" + minimal_front() + "\n\nBody.\n"},
        [f"{X}:1: front matter not closed: no '---' line ends the block opened here"],
        id="not-closed",
    ),
    pytest.param(
        {X: minimal_front() + "\n---\n\nBody.\n"},
        [f"{X}:1: missing front matter: the file must start with a '---' line"],
        id="no-opening-dashes",
    ),
    pytest.param(
        {X: "\nBody only.\n"}, [f"{X}:1: missing front matter: the file must start with a '---' line"], id="body-only"
    ),
    pytest.param(
        {X: ""}, [f"{X}:1: empty file: expected front matter between '---' lines, then the body"], id="empty-file"
    ),
    pytest.param(
        {X: " \n\n\t\n"},
        [f"{X}:1: empty file: expected front matter between '---' lines, then the body"],
        id="whitespace-file",
    ),
    pytest.param(
        {X: "---\n---\n\nBody.\n"},
        [f"{X}:1: missing required key '{k}'" for k in ("companies", "published", "source", "title")],
        id="empty-front-matter",
    ),
    # required keys
    *[
        pytest.param({X: GOOD.replace(line, "")}, [f"{X}:1: missing required key '{key}'"], id=f"missing-{key}")
        for key, line in [
            ("title", "title: 'A test article'\n"),
            ("published", "published: 2026-02-01T10:00:00+08:00\n"),
            ("source", "source: Test Source\n"),
            ("companies", "companies: []\n"),
        ]
    ],
    # wrong types
    pytest.param(
        {X: front(title="[a, b]").replace("'[a, b]'", "[a, b]")},
        [f"{X}:2: title: expected a non-empty string"],
        id="title-list",
    ),
    pytest.param(
        {X: front().replace("'A test article'", "''")}, [f"{X}:2: title: expected a non-empty string"], id="title-empty"
    ),
    pytest.param(
        {X: front().replace("source: Test Source", "source: [Test Source]")},
        [f"{X}:4: source: expected a non-empty string"],
        id="source-list",
    ),
    pytest.param(
        {X: front(companies="minimax")},
        [f"{X}:5: companies: expected a list of strings, got a string"],
        id="companies-string",
    ),
    pytest.param(
        {X: front(companies="{minimax: 1}")},
        [f"{X}:5: companies: expected a list of strings, got a mapping"],
        id="companies-mapping",
    ),
    pytest.param(
        {X: front(companies="[minimax, 3]")},
        [f"{X}:5: companies: expected a list of non-empty strings"],
        id="companies-number-in-list",
    ),
    pytest.param(
        {X: front(extra="draft: 'yes'")}, [f"{X}:6: draft: expected true or false, got a string"], id="draft-string"
    ),
    pytest.param(
        {X: front(extra="draft: 1")}, [f"{X}:6: draft: expected true or false, got a number"], id="draft-number"
    ),
    pytest.param(
        {X: front(extra="tags: economy")}, [f"{X}:6: tags: expected a list of strings, got a string"], id="tags-string"
    ),
    pytest.param(
        {X: front(extra="url: www.example.com/a")},
        [f"{X}:6: url: expected an absolute http(s) URL, got 'www.example.com/a'"],
        id="url-relative",
    ),
    pytest.param(
        {X: front(extra="language: English!")},
        [f"{X}:6: language: expected a language tag such as 'en', got 'English!'"],
        id="language",
    ),
    pytest.param(
        {X: front(published="1767000000")},
        [f"{X}:3: published: expected a date and time with a UTC offset, got a number"],
        id="published-number",
    ),
    # dates
    pytest.param(
        {X: front(published="2026-02-01T10:00:00")},
        [f"{X}:3: published: date and time have no UTC offset (write e.g. 2026-01-15T23:42:00+08:00)"],
        id="no-offset",
    ),
    pytest.param(
        {X: front(published="'2026-02-01T10:00:00'")},
        [f"{X}:3: published: date and time have no UTC offset (write e.g. 2026-01-15T23:42:00+08:00)"],
        id="no-offset-quoted",
    ),
    pytest.param(
        {X: front(extra="updated: 2026-02-02 09:00")},
        [f"{X}:6: updated: date and time have no UTC offset (write e.g. 2026-01-15T23:42:00+08:00)"],
        id="updated-no-offset",
    ),
    pytest.param(
        {X: front(published="2026-02-01")},
        [
            (
                f"{X}:3: published: expected a date and time with a UTC offset (e.g. 2026-01-15T23:42:00+08:00), "
                "got a date alone"
            )
        ],
        id="date-alone",
    ),
    pytest.param(
        {X: front(published="2026-02-30T10:00:00+08:00")},
        [f"{X}:3: published: invalid value: day is out of range for month"],
        id="impossible-date",
    ),
    pytest.param(
        {X: front(published="'2026-02-30T10:00:00+08:00'")},
        [f"{X}:3: published: not a valid ISO 8601 date and time: '2026-02-30T10:00:00+08:00'"],
        id="impossible-date-quoted",
    ),
    pytest.param(
        {X: front(published="2026-13-01T10:00:00+08:00")},
        [f"{X}:3: published: invalid value: month must be in 1..12"],
        id="impossible-month",
    ),
    pytest.param(
        {X: front(published="'yesterday'")},
        [f"{X}:3: published: not a valid ISO 8601 date and time: 'yesterday'"],
        id="published-words",
    ),
    # keys
    pytest.param(
        {X: front().replace("title:", "titel:")},
        [f"{X}:1: missing required key 'title'", f"{X}:2: unknown key 'titel' (allowed: {ALLOWED})"],
        id="typo-titel",
    ),
    pytest.param(
        {X: front(extra="autor: Someone")}, [f"{X}:6: unknown key 'autor' (allowed: {ALLOWED})"], id="unknown-key"
    ),
    pytest.param({X: front(extra="title: Again")}, [f"{X}:6: title: given twice (first on line 2)"], id="key-twice"),
    # companies
    pytest.param(
        {X: front(companies="[minimax, no-such-company]")},
        [f"{X}:5: companies: unknown company id 'no-such-company' (not in companies.yaml)"],
        id="unknown-company",
    ),
    pytest.param(
        {X: front(companies="[MiniMax]")},
        [f"{X}:5: companies: unknown company id 'MiniMax' (not in companies.yaml)"],
        id="company-name-not-id",
    ),
    pytest.param(
        {X: front(companies="[minimax, minimax]")}, [f"{X}:5: companies: a company is listed twice"], id="company-twice"
    ),
    # slugs
    pytest.param(
        {f"{ARTICLES}/a.md": front(extra="slug: same"), f"{ARTICLES}/b.md": front(extra="slug: same")},
        [f"{ARTICLES}/b.md:6: duplicate slug 'same': {ARTICLES}/a.md already uses 'same'"],
        id="duplicate-slug",
    ),
    pytest.param(
        {f"{ARTICLES}/a.md": front(extra="slug: same"), f"{ARTICLES}/b.md": front(extra="slug: Same")},
        [f"{ARTICLES}/b.md:6: slug: invalid slug 'Same': {SLUG_RULE}"],
        id="slug-differing-in-case",
    ),
    pytest.param(
        {f"{ARTICLES}/Same.md": GOOD, f"{ARTICLES}/same.md": GOOD},
        [f"{ARTICLES}/same.md:1: duplicate slug 'same': {ARTICLES}/Same.md already uses 'same'"],
        id="file-names-differing-in-case",
    ),
    pytest.param(
        {f"{ARTICLES}/same.md": GOOD, X: front(extra="slug: same")},
        [f"{X}:6: duplicate slug 'same': {ARTICLES}/same.md already uses 'same'"],
        id="slug-key-vs-file-name",
    ),
    pytest.param(
        {X: front(extra=f"slug: {SEED_SLUG}")},
        [f"{X}:6: duplicate slug '{SEED_SLUG}': {SEED_REL} already uses '{SEED_SLUG}'"],
        id="slug-of-the-seed",
    ),
    *[
        pytest.param(
            {X: front(extra=f"slug: {yaml_value}")},
            [f"{X}:6: slug: invalid slug {shown}: {SLUG_RULE}"],
            id=f"slug-{name}",
        )
        for name, yaml_value, shown in [
            ("slash", "a/b", "'a/b'"),
            ("dotdot", "'..'", "'..'"),
            ("parent", "../../etc", "'../../etc'"),
            ("backslash", "'a\\b'", "'a\\\\b'"),
            ("space", "a b", "'a b'"),
            ("double-hyphen", "a--b", "'a--b'"),
            ("unicode", "café", "'café'"),
        ]
    ],
    pytest.param(
        {X: front(extra="slug: con")},
        [f"{X}:6: slug: invalid slug 'con': a reserved file name on Windows"],
        id="slug-reserved",
    ),
    pytest.param(
        {X: front(extra="slug: lpt1")},
        [f"{X}:6: slug: invalid slug 'lpt1': a reserved file name on Windows"],
        id="slug-reserved-lpt1",
    ),
    pytest.param(
        {f"{ARTICLES}/con.md": GOOD},
        [
            (
                f"{ARTICLES}/con.md:1: invalid slug 'con': a reserved file name on Windows (from the file name; "
                "set 'slug:')"
            )
        ],
        id="file-name-reserved",
    ),
    pytest.param(
        {X: front(extra="slug: " + "a" * 101)},
        [f"{X}:6: slug: invalid slug '{'a' * 101}': longer than 100 characters"],
        id="slug-too-long",
    ),
    # encoding
    pytest.param(
        {X: "---\ntitle: 'Caf\xe9'\n".encode("latin-1") + minimal_front().split("\n", 1)[1].encode()},
        [f"{X}:2: not valid UTF-8: byte 0xe9 at byte offset 15"],
        id="latin-1",
    ),
    pytest.param({X: GOOD.encode("utf-16")}, [f"{X}:1: not valid UTF-8: byte 0xff at byte offset 0"], id="utf-16"),
    pytest.param({X: GOOD.replace("Body text.", "Body \x00 text.")}, [f"{X}:8: contains a NUL character"], id="nul"),
    # YAML aliases
    pytest.param(
        {X: "---\ntitle: &t Same\npublished: 2026-02-01T10:00:00+08:00\nsource: *t\ncompanies: []\n---\n"},
        [f"{X}:4: YAML aliases (*name) are not allowed"],
        id="yaml-alias",
    ),
    pytest.param(
        {X: "---\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n---\n"},
        [f"{X}:3: YAML aliases (*name) are not allowed"],
        id="yaml-alias-bomb",
    ),
    # provenance
    pytest.param(
        {SEED_REL: seed_with(SEED_SHA, "a" * 64)},
        [f"{SEED_REL}:10: raw_sha256 does not match {RAW_REL} (its sha256 is {SEED_SHA})"],
        id="raw-sha256-mismatch",
    ),
    pytest.param(
        {f"seeds/{RAW_REL}": TAMPERED_RAW},
        [
            (
                f"{SEED_REL}:10: raw_sha256 does not match {RAW_REL} (its sha256 is "
                f"{hashlib.sha256(TAMPERED_RAW).hexdigest()})"
            )
        ],
        id="raw-file-tampered",
    ),
    pytest.param(
        {SEED_REL: seed_with(SEED_SHA, SEED_SHA.upper())},
        [f"{SEED_REL}:10: raw_sha256: expected 64 lower-case hex digits"],
        id="raw-sha256-upper-case",
    ),
    pytest.param({f"seeds/{RAW_REL}": None}, [f"{SEED_REL}:9: raw: file not found: {RAW_REL}"], id="raw-file-missing"),
    pytest.param(
        {SEED_REL: seed_with(f"raw: {RAW_REL}", "raw: ../site.toml")},
        [f"{SEED_REL}:9: raw: '../site.toml' must name a file inside raw/"],
        id="raw-outside",
    ),
    # the registry
    pytest.param(
        {REG: REGISTRY + "\n- id: minimax\n  name: Another MiniMax\n  aliases: []\n  description: d\n"},
        [f"{REG}:{REG_END}: duplicate company id 'minimax' (first on line {line_of(REGISTRY, '- id: minimax')})"],
        id="registry-duplicate-id",
    ),
    pytest.param(
        {REG: REGISTRY + "\n- id: zhipu-ai\n  name: Zhipu AI\n  aliases: [Zhipu]\n  description: d\n"},
        [
            (
                f"{REG}:{REG_END}: name or alias 'Zhipu' of 'zhipu-ai' is already used by 'knowledge-atlas-technology' "
                f"(line {line_of(REGISTRY, '- id: knowledge-atlas-technology')})"
            )
        ],
        id="registry-shared-alias",
    ),
    pytest.param(
        {REG: REGISTRY + "\n- id: mini-max\n  name: Mini Max\n  aliases: [minimax]\n  description: d\n"},
        [
            (
                f"{REG}:{REG_END}: name or alias 'minimax' of 'mini-max' is already used by 'minimax' "
                f"(line {line_of(REGISTRY, '- id: minimax')})"
            )
        ],
        id="registry-alias-is-another-name",
    ),
    pytest.param(
        {REG: REGISTRY + "\n- id: other\n  name: Other\n  aliases: []\n  description: d\n  website: x\n"},
        [f"{REG}:{REG_END + 4}: unknown key 'website' (allowed: id, name, description, aliases)"],
        id="registry-unknown-key",
    ),
    pytest.param(
        {REG: REGISTRY + "\n- id: other\n  name: Other\n  aliases: []\n"},
        [f"{REG}:{REG_END}: missing required key 'description'"],
        id="registry-missing-key",
    ),
    pytest.param(
        {REG: REGISTRY + "\n- id: Other Co\n  name: Other\n  aliases: []\n  description: d\n"},
        [
            (
                f"{REG}:{REG_END}: id: invalid id 'Other Co': use lower-case letters a-z, digits and single hyphens "
                "(no '/', '..', '\\', spaces or other characters)"
            )
        ],
        id="registry-bad-id",
    ),
    pytest.param(
        {REG: REGISTRY + "\n- id: other\n  name: Other\n  aliases: Other Inc\n  description: d\n"},
        [f"{REG}:{REG_END + 2}: aliases: expected a list of strings, got a string"],
        id="registry-aliases-string",
    ),
    # site.toml
    pytest.param(
        {TOML: SITE_TOML + 'titel = "Typo"\n'},
        [
            (
                f"{TOML}:{SITE_TOML.count(chr(10)) + 1}: unknown setting 'titel' (allowed: base_url, description, "
                "feed_size, language, page_size, publication, timezone, title)"
            )
        ],
        id="toml-unknown-key",
    ),
    pytest.param(
        {TOML: SITE_TOML.replace("page_size = 10", "page_size = 0")},
        [f"{TOML}:{line_of(SITE_TOML, 'page_size')}: page_size: expected a positive whole number, got 0"],
        id="toml-page-size-zero",
    ),
    pytest.param(
        {TOML: SITE_TOML.replace("feed_size = 20", 'feed_size = "20"')},
        [f"{TOML}:{line_of(SITE_TOML, 'feed_size')}: feed_size: expected a positive whole number, got '20'"],
        id="toml-feed-size-string",
    ),
    pytest.param(
        {TOML: SITE_TOML.replace('"Asia/Shanghai"', '"Asia/Atlantis"')},
        [f"{TOML}:{line_of(SITE_TOML, 'timezone')}: timezone: unknown time zone 'Asia/Atlantis'"],
        id="toml-timezone",
    ),
    pytest.param(
        {TOML: SITE_TOML + 'base_url = "example.com/archive"\n'},
        [
            (
                f"{TOML}:{SITE_TOML.count(chr(10)) + 1}: base_url: expected an absolute http(s) URL, "
                "got 'example.com/archive'"
            )
        ],
        id="toml-base-url",
    ),
    pytest.param(
        {TOML: SITE_TOML.replace('title = "Source Archive"', "title = 3")},
        [f"{TOML}:{line_of(SITE_TOML, 'title =')}: title: expected a non-empty string, got 3"],
        id="toml-title-number",
    ),
    pytest.param(
        {TOML: SITE_TOML + "[extra\n"},
        [
            (
                f"{TOML}:{SITE_TOML.count(chr(10)) + 1}: invalid TOML: Expected ']' at the end of a table declaration "
                f"(at line {SITE_TOML.count(chr(10)) + 1}, column 7)"
            )
        ],
        id="toml-syntax",
    ),
    pytest.param(
        {TOML: b"title = 'Caf\xe9'\n"}, [f"{TOML}:1: not valid UTF-8: byte 0xe9 at byte offset 12"], id="toml-not-utf8"
    ),
]


@pytest.fixture
def built(project: Path, run) -> dict[str, str]:
    """A good build of the seeds; returns the digest of output/."""
    result = run(project, "build")
    assert result.code == 0, result.err
    digest = tree_digest(project / "output")
    assert f"articles/{SEED_SLUG}/index.html" in digest
    return digest


@pytest.mark.parametrize("files, lines", CASES)
def test_bad_input_is_reported_and_the_previous_site_is_untouched(project, run, built, files, lines):
    put(project, files)
    result = run(project, "build")
    assert result.code == 1
    assert result.out == ""
    assert "Traceback" not in result.err
    assert result.err == expected_err(lines)
    assert tree_digest(project / "output") == built
    checked = run(project, "check")
    assert (checked.code, checked.out, checked.err) == (1, "", result.err)


def test_case_list_covers_what_it_claims():
    """Every expected line names a file and a line, and ids are unique (a guard on the table above)."""
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        for line in case.values[1]:
            path, number, message = line.split(":", 2)
            assert path.startswith("seeds/") and int(number) >= 1 and message.startswith(" ")


def test_many_problems_in_many_files_are_reported_together_and_sorted(project, run, built):
    put(
        project,
        {
            REG: REGISTRY + "\n- id: other\n  name: Other\n  aliases: []\n  description: d\n  website: x\n",
            f"{ARTICLES}/b.md": front(companies="[nope]", extra="slug: same"),
            f"{ARTICLES}/a.md": (
                "---\ntitle: [x]\npublished: 2026-02-01\nsource: S\ncompanies: []\ndraft: 'no'\n"
                "column: C\nsection: S\nillustration: I\nsummary: S\nlanguage: en\nautor: X\n---\n"
            ),
            f"{ARTICLES}/c.md": front(extra="slug: same"),
            f"{ARTICLES}/d.md": b"---\n\xff\n---\n",
            SEED_REL: seed_with(SEED_SHA, "b" * 64),
        },
    )
    result = run(project, "build")
    assert result.code == 1
    assert result.err == expected_err(
        [
            f"{ARTICLES}/a.md:2: title: expected a non-empty string",
            (
                f"{ARTICLES}/a.md:3: published: expected a date and time with a UTC offset (e.g. 2026-01-15T23:42:00+08:00), "
                "got a date alone"
            ),
            f"{ARTICLES}/a.md:6: draft: expected true or false, got a string",
            f"{ARTICLES}/a.md:12: unknown key 'autor' (allowed: {ALLOWED})",
            f"{ARTICLES}/b.md:5: companies: unknown company id 'nope' (not in companies.yaml)",
            # b.md's unknown company does not hide the slug it shares with c.md: both come in the same run
            f"{ARTICLES}/c.md:6: duplicate slug 'same': {ARTICLES}/b.md already uses 'same'",
            f"{ARTICLES}/d.md:2: not valid UTF-8: byte 0xff at byte offset 4",
            f"{SEED_REL}:10: raw_sha256 does not match {RAW_REL} (its sha256 is {SEED_SHA})",
            f"{REG}:{REG_END + 4}: unknown key 'website' (allowed: id, name, description, aliases)",
        ]
    )
    assert tree_digest(project / "output") == built
    assert run(project, "check").err == result.err


def test_the_fixed_files_build_again(project, run, built):
    """The control for the cases above: the same project, unbroken, builds to the same site."""
    assert run(project, "build").code == 0
    assert tree_digest(project / "output") == built


# ------------------------------------------------------------------ encodings that are fine


def _title_of(project: Path, slug: str) -> str:
    page = lxml.html.fromstring((project / "output" / "articles" / slug / "index.html").read_bytes())
    return page.xpath("//h1")[0].text_content()


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: b"\xef\xbb\xbf" + t.encode(), id="bom"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode(), id="bom-crlf"),
        pytest.param(lambda t: t.replace("\n", "\r").encode(), id="cr"),
    ],
)
def test_bom_and_crlf_files_build(project, run, encode):
    text = front(title="Café – “quoted” title", extra="summary: A summary.").replace("Body text.", "One.\n\nTwo.")
    put(project, {f"{ARTICLES}/encoded.md": encode(text)})
    result = run(project, "build")
    assert result.code == 0, result.err
    assert _title_of(project, "encoded") == "Café – “quoted” title"
    page = lxml.html.fromstring((project / "output" / "articles" / "encoded" / "index.html").read_bytes())
    assert [p.text_content() for p in page.xpath("//div[@class='body']/p")] == ["One.", "Two."]


def test_seed_article_with_crlf_and_bom_reports_problems_on_the_same_lines(project, run):
    text = seed_with(SEED_SHA, "c" * 64)
    put(project, {SEED_REL: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()})
    result = run(project, "check")
    assert result.err == expected_err(
        [f"{SEED_REL}:10: raw_sha256 does not match {RAW_REL} (its sha256 is {SEED_SHA})"]
    )


# ------------------------------------------------------------------ check


@pytest.mark.parametrize(
    "files, code",
    [
        pytest.param({}, 0, id="good"),
        pytest.param({X: front(published="2026-02-01")}, 1, id="bad-article"),
        pytest.param(
            {REG: REGISTRY + "\n- id: minimax\n  name: M\n  aliases: []\n  description: d\n"}, 1, id="bad-registry"
        ),
        pytest.param({TOML: SITE_TOML + "x = 1\n"}, 1, id="bad-config"),
    ],
)
def test_check_never_creates_output(project, run, files, code):
    put(project, files)
    result = run(project, "check")
    assert result.code == code, result.err
    if code == 0:
        assert result.err == ""
        assert result.out.startswith("checked: 1 article, 5 companies, ")
    assert not (project / "output").exists()
    assert sorted(p.name for p in project.iterdir()) == ["seeds"]


def test_check_and_build_agree_on_a_good_archive(project, run):
    checked = run(project, "check")
    built = run(project, "build")
    assert (checked.code, built.code) == (0, 0)
    assert checked.out.split(" in ")[0].replace("checked", "built output/") == built.out.split(" in ")[0]


# ------------------------------------------------------------------ templates


@pytest.mark.parametrize("folder", ["templates", "absolute"])
@pytest.mark.parametrize(
    "inserted, message",
    [
        ("{{ no_such_name }}", "template error: 'no_such_name' is undefined"),  # met while a page is made
        ("{{ no_such_name }", "template error: unexpected '}'"),  # met when the template is compiled
    ],
)
def test_a_template_error_names_the_template_file_and_line(project, run, folder, inserted, message):
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    path = own_template(project, "article.html")
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("{% block main %}")].count("\n") + 1
    path.write_text(text.replace("{% block main %}", "{% block main %}" + inserted, 1), encoding="utf-8")
    args = ["--templates", str(project / "templates")] if folder == "absolute" else []
    result = run(project, "build", *args)
    assert result.code == 1
    assert result.err == f"templates/article.html:{line}: {message}\n1 error; nothing was written\n"
    assert tree_digest(project / "output") == before


# ------------------------------------------------------------------ usage


@pytest.mark.parametrize(
    "args, message",
    [
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: COMMAND"),
        (["new"], "the following arguments are required: TITLE"),
        (["import"], "the following arguments are required: RAW"),
        (["build", "--bogus"], "unrecognized arguments: --bogus"),
        (["check", "--output", "out"], "unrecognized arguments: --output out"),
        (["serve", "--port", "eighty"], "argument --port: invalid int value: 'eighty'"),
    ],
)
def test_bad_usage_exits_2(project, run, args, message):
    before = tree_digest(project)
    result = run(project, *args)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"site-builder: error: {message}") and result.err.count("\n") == 1  # --help: usage
    assert "Traceback" not in result.err
    assert tree_digest(project) == before
    assert not (project / "output").exists()
