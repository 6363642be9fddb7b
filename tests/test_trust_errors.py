"""All errors in one run: one `check` (or `build`) lists every problem of every file, sorted by file and line, with
the count; exit 1; nothing written. No error hides another, and none is reported twice or as a consequence of
another (an article naming a company whose registry entry is broken is not blamed for it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, SEED_SLUG, minimal_front, own_template, tree_digest

ART = "seeds/articles"
SEED = f"{ART}/{SEED_SLUG}.md"
SEED_SHA = "3addd5a367307674a354057a76bd5b21d7e4b8fe7824b4fd4d26dca3024f0067"
REG = "seeds/companies.yaml"
TOML = "seeds/site.toml"
REGISTRY = (REPO / "seeds" / "companies.yaml").read_text(encoding="utf-8")
SITE_TOML = (REPO / "seeds" / "site.toml").read_text(encoding="utf-8")
REG_END = REGISTRY.count("\n") + 2  # the line of the first entry appended after a blank line
LINE = re.compile(r"^(?P<path>[^:]+)(?::(?P<line>\d+))?: (?P<message>.*)$")  # no line: 'path: message'
COUNT = re.compile(r"^(\d+) errors?; nothing was written$")


def article(extra: str = "", body: str = "Body text.\n", **kw) -> str:
    """An article file: required keys on lines 2-5 (title, published, source, companies), extra from line 6."""
    return "---\n" + minimal_front(extra=extra, **kw) + "\n---\n\n" + body


def put(project: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def insert_in_template(project: Path, name: str, inserted: str) -> int:
    """Put inserted right after the template's '{% block main %}'; return that line."""
    path = own_template(project, name)
    text = path.read_text(encoding="utf-8")
    marker = "{% block main %}"
    path.write_text(text.replace(marker, marker + inserted, 1), encoding="utf-8")
    return text[: text.index(marker)].count("\n") + 1


def parse_errors(err: str) -> list[tuple[str, int, str]]:
    """(path, line (0: none), message) of each error line; asserts the last line is the count and matches them."""
    lines = err.splitlines()
    count = COUNT.match(lines[-1])
    assert count, err
    found = []
    for text in lines[:-1]:
        m = LINE.match(text)
        assert m, f"not a 'path:line: message' line: {text!r}"
        found.append((m["path"], int(m["line"] or 0), m["message"]))
    assert int(count[1]) == len(found)
    return found


# Every kind of problem, each in its own file (or its own part of a shared one): {file: text}, and what each must
# produce: (path, line, a word the message must hold, to tell which problem it is).
def every_kind_of_problem(project: Path) -> list[tuple[str, int, str]]:
    put(
        project,
        {
            f"{ART}/a-type.md": article("draft: 'yes'"),  # a wrong type
            f"{ART}/b-key.md": article("autor: Someone"),  # an unknown key
            f"{ART}/c-date.md": article(published="2026-02-01T10:00:00"),  # a date without an offset
            f"{ART}/d-yaml.md": "---\ntitle: [unclosed\npublished: 2026-02-01T10:00:00+08:00\n---\n\nBody.\n",
            f"{ART}/e-raw.md": article("raw: raw/missing.txt"),  # a raw file that is not there
            f"{ART}/f-slug.md": article("slug: same"),  # two articles, one slug
            f"{ART}/g-slug.md": article("slug: same"),
            f"{ART}/h-alias.md": article("aliases: [companies/minimax/]"),  # an alias that is a real page
            f"{ART}/i-source.md": article().replace("source: Test Source", "source: Global times"),  # vs 'Global Times'
            # an unknown company is reported; one whose registry entry is broken (zhipu-ai) is not blamed again
            f"{ART}/j-company.md": article(companies="[nope, zhipu-ai, minimax]"),
            f"{ART}/k-unused.md": article(companies="[other-co]"),  # broken entry: no error here
            SEED: (project / SEED).read_text(encoding="utf-8").replace(SEED_SHA, "a" * 64),  # raw_sha256 mismatch
            REG: REGISTRY
            + "\n- id: minimax\n  name: Another MiniMax\n  aliases: []\n  description: d\n"  # a duplicate id
            + "\n- id: zhipu-ai\n  name: Zhipu AI\n  aliases: [Zhipu]\n  description: d\n"  # an alias clash
            + "\n- id: other-co\n  name: Other Co\n  aliases: []\n",  # a missing key
            TOML: SITE_TOML + "titel = 'Typo'\n",  # an unknown setting
        },
    )
    article_line = insert_in_template(project, "article.html", "{{ no_such_name }")  # two template syntax errors
    company_line = insert_in_template(project, "company.html", "{% if %}")
    return sorted(
        [
            (f"{ART}/a-type.md", 6, "draft"),
            (f"{ART}/b-key.md", 6, "autor"),
            (f"{ART}/c-date.md", 3, "published"),
            (f"{ART}/d-yaml.md", 3, "YAML"),
            (f"{ART}/e-raw.md", 6, "raw/missing.txt"),
            (f"{ART}/g-slug.md", 6, "same"),
            (f"{ART}/h-alias.md", 6, "companies/minimax/"),
            (f"{ART}/i-source.md", 4, "Global times"),
            (f"{ART}/j-company.md", 5, "nope"),
            (SEED, 9 + 1, "raw_sha256"),
            (REG, REG_END, "minimax"),
            (REG, REG_END + 5, "Zhipu"),
            (REG, REG_END + 10, "description"),
            (TOML, SITE_TOML.count("\n") + 1, "titel"),
            ("templates/article.html", article_line, "template error"),
            ("templates/company.html", company_line, "template error"),
        ]
    )


def assert_reports(err: str, expected: list[tuple[str, int, str]]) -> None:
    found = parse_errors(err)
    assert [(p, n) for p, n, _ in found] == [(p, n) for p, n, _ in expected], err  # every one, each once, no other
    for (_, _, message), (_, _, word) in zip(found, expected, strict=True):
        assert word in message, err
    assert found == sorted(found)  # sorted by file, then line


@pytest.fixture
def built(project: Path, run) -> dict[str, str]:
    result = run(project, "build")
    assert result.code == 0, result.err
    return tree_digest(project / "output")


def test_one_check_reports_every_problem_of_every_file_sorted_with_the_count(project, run):
    expected = every_kind_of_problem(project)
    result = run(project, "check")
    assert result.code == 1
    assert result.out == "" and "Traceback" not in result.err
    assert_reports(result.err, expected)
    assert sorted(p.name for p in project.iterdir()) == ["seeds", "templates"]  # check writes nothing


def test_one_build_reports_them_all_and_leaves_the_previous_output_byte_identical(project, run, built):
    expected = every_kind_of_problem(project)
    result = run(project, "build")
    assert result.code == 1
    assert_reports(result.err, expected)
    assert tree_digest(project / "output") == built
    assert run(project, "check").err == result.err  # check and build say the same


def test_an_article_naming_a_company_whose_entry_is_broken_is_not_blamed(project, run):
    put(
        project,
        {
            REG: REGISTRY + "\n- id: other-co\n  name: Other Co\n  aliases: []\n",  # no description
            f"{ART}/x.md": article(companies="[other-co]"),
        },
    )
    result = run(project, "check")
    assert result.code == 1
    assert [(p, n) for p, n, _ in parse_errors(result.err)] == [(REG, REG_END)]


def test_an_unreadable_registry_does_not_hide_the_articles_problems(project, run):
    put(
        project,
        {
            REG: "- id: [unclosed\n",
            f"{ART}/x.md": article("autor: Someone", companies="[minimax]"),
            f"{ART}/y.md": article("slug: x", companies="[minimax]"),  # x.md is broken: its slug is not claimed
            f"{ART}/z.md": article("aliases: [sources/]"),
        },
    )
    result = run(project, "check")
    assert result.code == 1
    assert [(p, n) for p, n, _ in parse_errors(result.err)] == [(f"{ART}/x.md", 6), (f"{ART}/z.md", 6), (REG, 2)]


def test_a_broken_article_gives_no_second_error_from_a_later_check(project, run):
    """A front matter error leaves the article out of the slug, alias and source checks (no second error about
    it), while the other articles still go through them."""
    put(
        project,
        {
            f"{ART}/a.md": article(
                "slug: same\naliases: [companies/minimax/]\ndraft: 'no'", published="2026-02-01T10:00:00"
            ).replace("Test Source", "Test source"),
            f"{ART}/b.md": article("slug: same"),
            f"{ART}/c.md": article().replace("source: Test Source", "source: Test-Source"),  # b.md spells it first
        },
    )
    result = run(project, "check")
    assert result.code == 1
    assert [(p, n) for p, n, _ in parse_errors(result.err)] == [
        (f"{ART}/a.md", 3),
        (f"{ART}/a.md", 8),
        (f"{ART}/c.md", 4),
    ]


def test_strict_lists_the_warnings_with_the_errors_in_one_run(project, run, built):
    put(
        project,
        {
            f"{ART}/w.md": article(body="See [this](../nowhere/).\n"),  # a link to no page: a warning
            f"{ART}/x.md": article("autor: Someone"),  # an error
        },
    )
    plain = run(project, "check")
    assert [(p, n) for p, n, _ in parse_errors(plain.err)] == [(f"{ART}/x.md", 6)]
    result = run(project, "build", "--strict")
    assert result.code == 1
    found = parse_errors(result.err)
    assert [(p, n) for p, n, _ in found] == [(f"{ART}/w.md", 8), (f"{ART}/x.md", 6)]
    assert "--strict" in found[0][2]
    assert tree_digest(project / "output") == built


def test_a_bad_setting_and_a_bad_article_come_in_one_run(project, run):
    put(
        project,
        {TOML: SITE_TOML.replace("page_size = 10", "page_size = 0"), f"{ART}/x.md": article(published="2026-02-01")},
    )
    result = run(project, "check")
    assert result.code == 1
    assert [(p, n) for p, n, _ in parse_errors(result.err)] == [
        (f"{ART}/x.md", 3),
        (TOML, SITE_TOML[: SITE_TOML.index("page_size")].count("\n") + 1),
    ]


def test_every_template_syntax_error_comes_in_one_run(project, run):
    """Each template is compiled before any page is made: two broken templates, two errors, one run."""
    first = insert_in_template(project, "index.html", "{{ x }")
    second = insert_in_template(project, "search.html", "{% endif %}")
    result = run(project, "check")
    assert result.code == 1
    assert [(p, n) for p, n, _ in parse_errors(result.err)] == [
        ("templates/index.html", first),
        ("templates/search.html", second),
    ]


def test_with_strict_a_link_to_an_article_left_out_for_its_own_error_is_not_a_second_error(project, run):
    put(
        project,
        {
            f"{ART}/a.md": article(published="2026-02-01"),  # left out: its date is wrong
            f"{ART}/w.md": article(body="See [a](../a/) and [b](../nowhere/).\n"),  # the link to a.md is not blamed
        },
    )
    result = run(project, "check", "--strict")
    assert result.code == 1
    found = parse_errors(result.err)
    assert [(p, n) for p, n, _ in found] == [(f"{ART}/a.md", 3), (f"{ART}/w.md", 8)]
    assert "nowhere" in found[1][2]


def test_a_bad_source_date_epoch_and_a_bad_article_come_in_one_run(project, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    put(project, {f"{ART}/x.md": article("autor: Someone")})
    result = run(project, "check")
    assert result.code == 1
    assert [(p, n) for p, n, _ in parse_errors(result.err)] == [("environment", 0), (f"{ART}/x.md", 6)]
