"""`site-builder new`: a draft article file that check accepts and build does not publish."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from conftest import SEED_SLUG, tree_digest

ONE_ERROR = "1 error; nothing was written\n"


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Some Title", "some-title"),
        ("  Some   Title  ", "some-title"),
        ("GT Voice: AI & HK — a new hub?", "gt-voice-ai-hk-a-new-hub"),
        ("Café Zhipu 2026", "cafe-zhipu-2026"),
    ],
)
def test_new_creates_a_draft_that_check_accepts_and_build_does_not_publish(project, run, title, slug):
    result = run(project, "new", title)
    assert result.code == 0, result.err
    rel = f"seeds/articles/{slug}.md"
    assert result.out == f"created {rel} (draft: true; remove that line to publish)\n"
    assert result.err == ""
    text = (project / rel).read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == title.strip()
    assert front["draft"] is True
    assert front["source"] == "Global Times"
    assert front["companies"] == []
    published = datetime.fromisoformat(front["published"])
    assert published.utcoffset() is not None and published.second == 0

    placeholders = [
        f"{rel}:{n}: warning: placeholder text from 'site-builder new' is still here"
        for n, line in enumerate(text.splitlines(), 1)
        if line.startswith("summary:") or line == "Write the article here, in Markdown."
    ]
    assert len(placeholders) == 2
    checked = run(project, "check")
    assert (checked.code, checked.err.splitlines()) == (0, placeholders), checked.err
    built = run(project, "build")
    assert (built.code, built.err.splitlines()) == (0, placeholders), built.err
    assert built.out.startswith("built output/: 1 article, ")  # the seed only: the draft is not counted
    assert (project / "output" / "articles" / SEED_SLUG / "index.html").is_file()
    assert not (project / "output" / "articles" / slug).exists()
    assert not any(slug in p for p in tree_digest(project / "output"))
    assert slug not in (project / "output" / "index.html").read_text(encoding="utf-8")


def test_removing_the_draft_line_publishes_it(project, run):
    assert run(project, "new", "Some Title").code == 0
    path = project / "seeds" / "articles" / "some-title.md"
    path.write_text(path.read_text(encoding="utf-8").replace("draft: true\n", ""), encoding="utf-8")
    result = run(project, "build")
    assert result.code == 0, result.err
    assert result.out.startswith("built output/: 2 articles, ")
    assert (project / "output" / "articles" / "some-title" / "index.html").is_file()


def test_publication_option(project, run):
    assert run(project, "new", "Some Title", "--publication", "China Daily").code == 0
    front = yaml.safe_load(
        (project / "seeds" / "articles" / "some-title.md").read_text(encoding="utf-8").split("---\n")[1]
    )
    assert front["source"] == "China Daily"


@pytest.mark.parametrize("second", ["Some Title", "some title", "SOME TITLE!"])
def test_new_twice_fails_and_keeps_the_first_file(project, run, second):
    assert run(project, "new", "Some Title").code == 0
    path = project / "seeds" / "articles" / "some-title.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMy own words.\n", encoding="utf-8")
    before = tree_digest(project)
    result = run(project, "new", second)
    assert (result.code, result.out) == (1, "")
    assert result.err == "seeds/articles/some-title.md: article exists; choose another title\n" + ONE_ERROR
    assert tree_digest(project) == before
    assert path.read_text(encoding="utf-8").endswith("\nMy own words.\n")


@pytest.mark.parametrize("title", ["", "   ", "!!!", "— ?"])
def test_a_title_without_letters_or_digits_is_refused(project, run, title):
    before = tree_digest(project)
    result = run(project, "new", title)
    assert (result.code, result.out) == (2, "")  # a bad command-line value: one line
    assert result.err in (
        "site-builder: error: argument TITLE: must not be empty\n",
        f"site-builder: error: argument TITLE: {title!r} gives an empty file name; use letters or digits\n",
    )
    assert tree_digest(project) == before
