"""`site-builder companies suggest`: company-like names in the bodies that the registry lacks, counted, with the
articles they occur in; nothing is added, and hostile bodies cannot break the listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import minimal_front, tree_digest, write_article
from site_builder.commands.suggest import names_in, readable


@pytest.fixture
def archive(project: Path) -> Path:
    write_article(
        project,
        "a.md",
        minimal_front("A"),
        "Acme Semiconductor Co and Big Fish Holdings signed a deal. The Big Fish Holdings\n"
        "Group said so. MiniMax and shanghai biren technology co were not named as such.\n\n"
        "```\nCode Corp in a fence\n```\n\n    Indented Code Ltd\n\nUse `Inline Code Inc` here. "
        "See [the filing](https://example.com/Link Target Corp) and <https://example.com/Auto-Link/Co>.\n\n"
        "[ref]: https://example.com/Reference Group\n",
    )
    write_article(
        project,
        "b.md",
        minimal_front("B", "2026-02-02T10:00:00+08:00"),
        "In Acme Semiconductor Co news, Zeta Technology Group grew. Zhipu too.\n",
    )
    return project


def test_names_the_registry_lacks_are_listed_with_counts_and_articles_most_frequent_first(archive, run):
    before = tree_digest(archive / "seeds")
    result = run(archive, "companies", "suggest")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "    2  Acme Semiconductor Co  (seeds/articles/a.md, seeds/articles/b.md)",
        "    1  Big Fish Holdings  (seeds/articles/a.md)",
        "    1  Big Fish Holdings Group  (seeds/articles/a.md)",
        "    1  Zeta Technology Group  (seeds/articles/b.md)",
    ]
    assert result.err == "4 names not in the registry; nothing was added\n"
    assert tree_digest(archive / "seeds") == before  # nothing added


def test_json_output(archive, run):
    result = run(archive, "companies", "suggest", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["suggestions"][0] == {
        "name": "Acme Semiconductor Co",
        "count": 2,
        "articles": ["seeds/articles/a.md", "seeds/articles/b.md"],
    }
    assert [s["name"] for s in data["suggestions"]] == [
        "Acme Semiconductor Co",
        "Big Fish Holdings",
        "Big Fish Holdings Group",
        "Zeta Technology Group",
    ]


def test_registry_names_and_aliases_are_skipped_whatever_their_case(archive, run):
    registry = archive / "seeds/companies.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8") + "- id: acme\n  name: ACME semiconductor co\n"
        "  aliases: [zeta technology group]\n  description: Chips\n",
        encoding="utf-8",
    )
    names = [line.strip().split("  ")[1] for line in run(archive, "companies", "suggest").out.splitlines()]
    assert names == ["Big Fish Holdings", "Big Fish Holdings Group"]


def test_code_and_link_targets_are_not_read():
    text = readable(
        "a `Inline Code Inc` b\n\n```\nFenced Code Corp\n```\n\n    Indented Ltd Co\n\n"
        "[Link Text Co](https://x.example/Target Corp) <https://x.example/Auto Co> https://x.example/Bare Co"
    )
    assert "Code" not in text and "Target" not in text and "Auto" not in text and "Bare" not in text
    assert "Link Text Co" in text
    assert names_in("The Big Fish Holdings\nGroup. In Acme Co. At Acme Co.") == [
        "Big Fish Holdings Group",
        "Acme Co",
        "Acme Co",
    ]


def test_hostile_bodies_and_file_names_do_not_break_the_listing(archive, run):
    write_article(
        archive,
        "huge.md",
        minimal_front("Huge", "2026-02-03T10:00:00+08:00"),
        ("Word " * 200_000) + "\n\n" + ("Many Names Co. " * 20_000) + "\n",
    )
    write_article(archive, "ctrl.md", minimal_front("Ctrl", "2026-02-04T10:00:00+08:00"), "Red\x1b[31m Corp.\n")
    write_article(
        archive,
        "new\nline\x1b[2J.md",
        minimal_front("Odd", "2026-02-05T10:00:00+08:00", extra="slug: odd"),
        "Escaped Name Co.\n",
    )
    result = run(archive, "companies", "suggest")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out + result.err
    lines = result.out.splitlines()
    assert lines[0] == "20000  Many Names Co  (seeds/articles/huge.md)"
    assert "    1  Escaped Name Co  (seeds/articles/new\\nline\\x1b[2J.md)" in lines
    assert "warning: seeds/articles/ctrl.md: not read (it has errors; see site-builder check)" in result.err
    assert all("Red" not in line for line in lines)


def test_a_registry_that_cannot_be_read_is_an_error(archive, run):
    (archive / "seeds/companies.yaml").write_text("- id: [\n", encoding="utf-8")
    result = run(archive, "companies", "suggest")
    assert result.code == 1
    assert result.err.startswith("seeds/companies.yaml:")
    assert result.out == ""


def test_companies_needs_an_action(archive, run):
    result = run(archive, "companies")
    assert result.code == 2
    assert result.err.startswith("site-builder: error:")
