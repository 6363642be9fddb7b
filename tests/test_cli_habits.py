"""A command line that fits people's habits: one-line usage errors (exit 2), counted nouns, help for users,
import of several files, honest search warnings, placeholder text flagged, summaries cut at a boundary."""

from __future__ import annotations

import argparse
import re
import shutil

import pytest
import yaml
from hypothesis import given, strategies as st

from conftest import SEED_ARTICLE, SEED_RAW, SEED_SLUG, tree_digest
from site_builder.cli import parser
from site_builder.content.markdown import summarise
from site_builder.core.errors import counted
from site_builder.engine.search import ENV_BINARY

RAW = f"seeds/raw/{SEED_RAW.name}"
USAGE = re.compile(r"site-builder: error: \S")

BAD_VALUES = [  # (arguments, what the one line names)
    (["build", "--source", ""], "argument --source: must not be empty"),
    (["build", "--source", "see\nds"], "argument --source: "),
    (["build", "--output", ""], "argument --output: must not be empty"),
    (["build", "--output", "out\rput"], "argument --output: "),
    (["build", "--output", "seeds"], "argument --output: seeds: "),
    (["build", "--templates", ""], "argument --templates: must not be empty"),
    (["check", "--templates", "templatez"], "argument --templates: folder not found: templatez"),
    (["build", "--templates", "temp\x1blates"], "argument --templates: "),
    (["build", "--base-url", ""], "argument --base-url: "),
    (["build", "--base-url", "https://example.org/\nx"], "argument --base-url: "),
    (["serve", "--port", ""], "argument --port: invalid int value"),
    (["serve", "--port", "80\n"], "argument --port: invalid int value"),
    (["serve", "--port", "65536"], "argument --port: 65536 is out of range"),
    (["serve", "--port", "-1"], "argument --port: "),
    (["serve", "--port", "\uff18\uff10"], "argument --port: invalid int value"),  # full-width digits
    (["new", ""], "argument TITLE: must not be empty"),
    (["new", "   "], "argument TITLE: must not be empty"),
    (["new", "A\ntitle"], "argument TITLE: 'A\\ntitle' contains a line break"),
    (["new", "A\u2028title"], "argument TITLE: "),
    (["new", "!!!"], "argument TITLE: '!!!' gives an empty file name"),
    (["new", "A title", "--publication", ""], "argument --publication: must not be empty"),
    (["new", "A title", "--publication", "Daily\x00"], "argument --publication: "),
    (["import"], "the following arguments are required: RAW"),
    (["import", ""], "argument RAW: must not be empty"),
    (["import", "nope.txt"], "argument RAW: file not found: 'nope.txt'"),
    (["import", "seeds/raw"], "argument RAW: 'seeds/raw' is a folder"),
    (["import", "a\nb.txt"], "argument RAW: "),
    (["import", RAW, "--publication", "\t"], "argument --publication: must not be empty"),
    (["import", RAW, "--url", ""], "argument --url: "),
    (["import", RAW, "--url", "https://example.org/\n"], "argument --url: "),
    (["import", RAW, "--retrieved", ""], "argument --retrieved: "),
    (["import", RAW, "--retrieved", "2026-01-16T09:30:00\n"], "argument --retrieved: "),
    (["import", RAW, "--retrieved", "2026-13-01T09:30:00+08:00"], "argument --retrieved: "),
    (["import", RAW, "--retrieved", "2026-01-16T09:30:00"], "argument --retrieved: "),
    (["import", RAW, RAW], "argument RAW: "),
    (["import", RAW, "--url", "https://example.org/a", RAW], ""),
    (["bogus"], "argument COMMAND: invalid choice"),
    ([], "the following arguments are required: COMMAND"),
    (["build", "--bogus\nx"], "unrecognized arguments: --bogus\\nx"),
]


@pytest.mark.parametrize("args, names", BAD_VALUES, ids=[repr(a) for a, _ in BAD_VALUES])
def test_every_bad_command_line_value_is_one_line_exit_2_and_changes_nothing(project, run, args, names):
    (project / "seeds" / "articles" / f"{SEED_SLUG}.md").unlink()  # so that import would write if it ran
    before = tree_digest(project)
    result = run(project, *args)
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.split("\n")
    assert len(lines) == 2 and lines[1] == "", result.err  # exactly one line
    assert USAGE.match(lines[0]) and names in lines[0], lines[0]
    assert "Traceback" not in result.err and "usage:" not in result.err
    assert tree_digest(project) == before


@pytest.mark.parametrize(
    "source, message",
    [
        ("seedz", "seedz: source folder not found (`site-builder init` starts a new archive)"),
        ("seeds/companies.yaml", "seeds/companies.yaml: not a folder"),
    ],
)
def test_a_source_folder_that_is_not_there_is_an_error_of_the_archive_exit_1(project, run, source, message):
    """Not a usage error: the archive is missing (docs/guarantees.md), and nothing is created in its place."""
    result = run(project, "build", "--source", source)
    assert (result.code, result.err) == (1, f"{message}\n1 error; nothing was written\n")
    assert not (project / "seedz").exists() and not (project / "output").exists()


def test_url_with_several_files_is_a_usage_error(project, run, tmp_path):
    other = tmp_path / "other.txt"
    shutil.copy(SEED_RAW, other)
    result = run(project, "import", RAW, str(other), "--url", "https://example.org/a")
    assert result.code == 2
    assert result.err == "site-builder: error: argument --url: is one article's address, but 2 files were given\n"


@pytest.mark.parametrize(
    "count, noun, plural, expected",
    [
        (0, "article", None, "0 articles"),
        (1, "article", None, "1 article"),
        (2, "article", None, "2 articles"),
        (1, "company", "companies", "1 company"),
        (5, "company", "companies", "5 companies"),
        (1, "error", None, "1 error"),
    ],
)
def test_counted_nouns_agree(count, noun, plural, expected):
    assert counted(count, noun, plural) == expected


def test_summaries_printed_agree_in_number(project, run):
    result = run(project, "check")
    assert result.out.startswith("checked: 1 article, 5 companies, ")
    path = project / "seeds" / "articles" / f"{SEED_SLUG}.md"
    path.write_text(re.sub(r"(?m)^source: .*\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    result = run(project, "check")
    assert result.code == 1 and result.err.endswith("\n1 error; nothing was written\n"), result.err


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_top_level_help_is_for_users(run, project):
    result = run(project, "--help")
    assert result.code == 0
    assert "The only place that prints" not in result.out  # the module's docstring stays out of --help
    assert "Build a static website" in result.out and "exit codes: 0 done, 1 bad content" in result.out
    for name in _subcommands():
        assert re.search(rf"^\s+{name}\s+\S", result.out, re.MULTILINE), name


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_and_option_has_a_one_line_user_help(run, project, command):
    sub = _subcommands()[command]
    assert sub.description and "\n" not in sub.description
    for action in sub._actions:
        assert action.help and "\n" not in action.help, action.dest
        if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
            assert "(default: " in action.help, action.dest
    result = run(project, command, "--help")
    assert result.code == 0 and result.out.startswith(f"usage: site-builder {command}")
    assert "SOURCE" not in result.out and "BASE_URL" not in result.out  # metavars name what to write


def test_search_turned_off_on_purpose_says_so(project, run, monkeypatch):
    monkeypatch.setenv(ENV_BINARY, "")
    result = run(project, "build")
    assert result.code == 0
    warning = next(line for line in result.err.splitlines() if line.startswith("pagefind:"))
    assert warning.startswith("pagefind: warning: search index turned off (SITE_BUILDER_PAGEFIND is empty): ")
    assert "not found" not in warning


def test_search_binary_missing_says_not_found(project, run, monkeypatch):
    monkeypatch.setenv(ENV_BINARY, str(project / "no-such-pagefind"))
    result = run(project, "build")
    warning = next(line for line in result.err.splitlines() if line.startswith("pagefind:"))
    assert "binary not found at " in warning and "turned off" not in warning


PLACEHOLDER = "warning: placeholder text from 'site-builder new' is still here"


def test_new_placeholder_text_is_a_warning_and_fails_strict_until_replaced(project, run, monkeypatch):
    monkeypatch.setenv(ENV_BINARY, "")
    assert run(project, "new", "Some Title").code == 0
    path = project / "seeds" / "articles" / "some-title.md"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    summary_line = next(i for i, line in enumerate(lines, 1) if line.startswith("summary:"))
    body_line = lines.index("Write the article here, in Markdown.") + 1
    checked = run(project, "check")
    assert checked.code == 0  # a draft builds without --strict
    assert f"seeds/articles/some-title.md:{summary_line}: {PLACEHOLDER}" in checked.err.splitlines()
    assert f"seeds/articles/some-title.md:{body_line}: {PLACEHOLDER}" in checked.err.splitlines()
    assert run(project, "build").code == 0
    for command in ("check", "build"):
        strict = run(project, command, "--strict")
        assert strict.code == 1 and "placeholder text from 'site-builder new' is still here (--strict)" in strict.err
    # the summary replaced: only the body is flagged; the body replaced too: --strict passes (search off aside)
    front = yaml.safe_load(text.split("---\n")[1])
    path.write_text(text.replace(front["summary"], "A real summary."), encoding="utf-8")
    assert run(project, "check").err.count(PLACEHOLDER) == 1
    path.write_text(
        path.read_text(encoding="utf-8").replace("Write the article here, in Markdown.", "Real text."), encoding="utf-8"
    )
    result = run(project, "check")
    assert PLACEHOLDER not in result.err


def _raw_copy(folder, name: str, title: str) -> str:
    """A copy of the seed's raw file with another title, in folder (inside the project): its path as shown."""
    lines = SEED_RAW.read_text(encoding="utf-8").split("\n")
    lines[1] = title
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines), encoding="utf-8")
    return f"{folder.name}/{name}"


def test_import_several_files_reports_each(project, run, tmp_path):
    a = _raw_copy(project / "in", "a.txt", "First imported title")
    b = _raw_copy(project / "in", "b.txt", "Second imported title")
    result = run(project, "import", a, b)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"imported {a} -> seeds/articles/first-imported-title.md",
        f"imported {b} -> seeds/articles/second-imported-title.md",
    ]
    assert (project / "seeds" / "raw" / "a.txt").is_file() and (project / "seeds" / "raw" / "b.txt").is_file()
    assert run(project, "check").code == 0


def test_import_several_files_writes_none_when_one_is_bad(project, run, tmp_path):
    a = _raw_copy(project / "in", "a.txt", "First imported title")
    (project / "in" / "bad.txt").write_text("no header here\n", encoding="utf-8")
    bad = "in/bad.txt"
    c = _raw_copy(project / "in", "c.txt", "Third imported title")
    before = tree_digest(project)
    result = run(project, "import", a, bad, c, RAW)  # RAW: its article exists (no --force)
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert lines[-1] == "2 errors; nothing was written"
    assert any(line.startswith(f"{bad}:1: ") for line in lines)
    assert any(line.startswith(f"seeds/articles/{SEED_SLUG}.md: article exists") for line in lines)
    assert tree_digest(project) == before


def test_import_two_files_with_one_title_or_one_name_are_told_apart(project, run, tmp_path):
    a = _raw_copy(project / "in", "a.txt", "Same title")
    b = _raw_copy(project / "x", "b.txt", "Same title")
    before = tree_digest(project)
    result = run(project, "import", a, b)
    assert result.code == 1
    assert f"{b}:2: same title as {a}: both would be seeds/articles/same-title.md" in result.err
    assert tree_digest(project) == before
    # one file name, different bytes: the second original gets its own name, as it would one import later
    c = _raw_copy(project / "x", "a.txt", "Other title")
    result = run(project, "import", a, c)
    assert result.code == 0, result.err
    raws = sorted(p.name for p in (project / "seeds" / "raw").iterdir())
    assert "a.txt" in raws and any(n.startswith("a-") and n.endswith(".txt") for n in raws)
    assert "another original already has the name a.txt" in result.out
    assert run(project, "check").code == 0


SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)\]」』）]*$")
words = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P")), min_size=1, max_size=14)
paragraphs = st.lists(
    st.tuples(words, st.sampled_from([" ", " ", " ", ". ", "! ", ", ", "\n"])), min_size=1, max_size=80
).map(lambda parts: "".join(w + s for w, s in parts).strip())


@given(paragraphs, st.integers(20, 240))
def test_a_summary_is_a_prefix_ending_at_a_sentence_or_an_ellipsis_never_mid_word(text, limit):
    summary = summarise(text, limit)
    assert len(summary) <= limit
    if summary == text:
        return
    kept = summary.removesuffix("…")
    assert text.startswith(kept) and kept
    assert summary.endswith("…") or SENTENCE_END.search(summary)
    nxt = text[len(kept)]
    if any(ch.isspace() for ch in text[:limit]):  # a word boundary to cut at: no word is split
        assert not (kept[-1].isalnum() and nxt.isalnum()), (kept, nxt)


def test_the_seed_summary_ends_at_a_word_with_an_ellipsis():
    body = SEED_ARTICLE.read_text(encoding="utf-8").split("---\n", 2)[2].strip()
    first = body.split("\n\n")[0]
    summary = summarise(first)
    assert len(first) > 220 and summary.endswith("…") and len(summary) <= 220
    assert first.startswith(summary[:-1]) and first[len(summary) - 1] == " "


def test_a_summary_keeps_the_sentences_that_fit():
    text = "Mr. Li met U.S. officials in Beijing. The talks went well. " + "More words follow here " * 10
    assert summarise(text, 80) == "Mr. Li met U.S. officials in Beijing. The talks went well."
    assert summarise("One sentence only, " + "and then many words " * 20, 60) == (
        "One sentence only, and then many words and then many words…"
    )
