"""Hardening: strict mode, faults (kill, concurrency, unwritable output) and hostile input that must not escape."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (
    REPO,
    SEED_SLUG,
    fill_the_disk,
    holding_lock,
    minimal_front,
    needs_symlinks,
    tree_digest,
    write_article,
)
from site_builder.content.load import MAX_FILE_BYTES

NOTHING = "nothing was written\n"


# ------------------------------------------------------------------------------------------- warnings and --strict


def _with_warnings(project: Path) -> None:
    """A second article whose body (line 8) names an unlisted company, links to no page and links to a draft."""
    body = f"Mentions MiniMax, [the seed](../{SEED_SLUG}/), [nothing](../nope/) and [a draft](../third/).\n"
    write_article(project, "second.md", minimal_front(title="Second"), body)
    write_article(project, "third.md", minimal_front(title="Third", extra="draft: true"))


WARNINGS = [
    "seeds/articles/second.md:8: link '../nope/' points to no page of the site",
    "seeds/articles/second.md:8: links to draft article 'third', which is not published",
    "seeds/articles/second.md:8: mentions 'MiniMax' (minimax) but 'companies' does not list 'minimax'",
]


@pytest.mark.parametrize("command", ["build", "check"])
def test_warnings_are_printed_with_file_and_line_and_do_not_fail(project, run, command):
    _with_warnings(project)
    result = run(project, command)
    assert result.code == 0
    assert result.err.splitlines() == [w.replace(": ", ": warning: ", 1) for w in WARNINGS]


@pytest.mark.parametrize("command", ["build", "check"])
def test_strict_turns_every_warning_into_an_error_and_writes_nothing(project, run, command):
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    _with_warnings(project)
    result = run(project, command, "--strict")
    assert result.code == 1
    assert result.err == "".join(f"{w} (--strict)\n" for w in WARNINGS) + f"3 errors; {NOTHING}"
    assert tree_digest(project / "output") == before


def test_the_real_archive_builds_strict_without_warnings(project, run):
    result = run(project, "build", "--strict")
    assert (result.code, result.err) == (0, "")


def test_an_article_with_nothing_to_summarise_is_warned_about(project, run):
    write_article(project, "empty.md", minimal_front(title="Empty"), body="")
    result = run(project, "check", "--strict")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "seeds/articles/empty.md:2: no summary: add 'summary:' or a first paragraph to the body (--strict)"
    )


# ------------------------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("slug", ["a/b", "..", "../escape", "a\\\\b", "a\\0b", "con", "nul", "A-B", "a b"])
def test_slugs_that_could_leave_the_output_or_collide_are_refused(project, run, slug):
    write_article(project, "x.md", minimal_front(extra=f'slug: "{slug}"'))
    result = run(project, "build")
    loaded = slug.replace("\\\\", "\\").replace("\\0", "\x00")
    assert result.code == 1
    problem = "contains a control character (U+0000)" if "\x00" in loaded else f"invalid slug {loaded!r}"
    assert result.err.splitlines()[0].startswith(f"seeds/articles/x.md:6: slug: {problem}")
    assert not (project / "output").exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(project, run):
    big = project / "seeds" / "articles" / "big.md"
    with open(big, "wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_FILE_BYTES + 1)
    result = run(project, "build")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"seeds/articles/big.md: file too large: {MAX_FILE_BYTES + 1} bytes (the limit is {MAX_FILE_BYTES} bytes)"
    )


def test_a_10_mb_article_is_refused_with_the_documented_size_error(project, run):
    line = "Shanghai Biren Technology Co appears in a very long article. " * 16 + "\n\n"
    text = "---\n" + minimal_front() + "\n---\n\n" + line * (10_000_000 // len(line))
    (project / "seeds" / "articles" / "ten.md").write_text(text, encoding="utf-8")
    size = (project / "seeds" / "articles" / "ten.md").stat().st_size
    assert size >= 9_900_000
    result = run(project, "build")
    assert result.code == 1
    assert result.err == (
        f"seeds/articles/ten.md: file too large: {size} bytes (the limit is {MAX_FILE_BYTES} bytes)\n1 error; {NOTHING}"
    )
    assert "8 MiB" in (REPO / "docs" / "guarantees.md").read_text(encoding="utf-8")


@needs_symlinks
def test_a_link_out_of_the_source_folder_is_refused(project, run, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.md"
    outside.write_text("---\n" + minimal_front() + "\n---\n\nsecret\n", encoding="utf-8")
    (project / "seeds" / "articles" / "link.md").symlink_to(outside)
    result = run(project, "build")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "seeds/articles/link.md: refused: this file is a link to a place outside the source folder"
    )


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\ufffe"])
def test_control_characters_are_refused_in_files_and_in_yaml_escapes(project, run, char):
    write_article(project, "raw.md", minimal_front(title="Raw"), body=f"one\ntwo {char}\n")
    escaped = f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    write_article(project, "yaml.md", minimal_front(title="Yaml", extra=f'summary: "a {escaped} b"'))
    result = run(project, "build")
    code = f"U+{ord(char):04X}"
    kind = "a noncharacter" if char == "\ufffe" else "a control character"
    assert result.err.splitlines()[:2] == [
        f"seeds/articles/raw.md:9: contains {kind} ({code})",
        f"seeds/articles/yaml.md:6: summary: contains {kind} ({code})",
    ]


# ---------------------------------------------------------------------------------------------------- faults


def _synthetic(project: Path, count: int, title: str) -> None:
    paragraph = "Shanghai Biren Technology Co and MiniMax appear in this paragraph of synthetic archive text. " * 12
    for i in range(count):
        write_article(
            project,
            f"synthetic-{i:04d}.md",
            minimal_front(
                title=f"{title} {i}",
                published=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+08:00",
                companies="[shanghai-biren-technology, minimax]",
            ),
            body="\n\n".join([paragraph] * 6) + "\n",
        )


def _build_process(project: Path, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "site_builder", "build"], cwd=project, stdout=subprocess.DEVNULL, stderr=stderr
    )


def _staging(project: Path) -> list[Path]:
    return [p for p in project.iterdir() if p.name.startswith(".output.") and p.name.endswith(".tmp")]


def test_a_build_killed_at_any_moment_leaves_the_previous_site_and_the_next_build_recovers(project, run):
    _synthetic(project, 120, "First")
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    _synthetic(project, 120, "Second")
    assert run(project, "build", "--output", "expected").code == 0
    after = tree_digest(project / "expected")  # the new site whole: a kill after the swap may leave it
    kills = 0
    for delay in (0.05, 0.3, 0.6, None):  # None: wait until the staging folder exists, then kill mid-write
        proc = _build_process(project)
        deadline = time.monotonic() + 60
        if delay is None:
            while not _staging(project) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        else:
            time.sleep(delay)
        if proc.poll() is None:
            proc.kill()  # SIGKILL; TerminateProcess on Windows
            kills += 1
        proc.wait()
        assert tree_digest(project / "output") in (before, after), f"a mixed site after a kill after {delay}"
    assert kills >= 3
    assert run(project, "build").code == 0
    assert _staging(project) == []
    fresh = run(project, "build", "--output", "fresh")
    assert fresh.code == 0
    assert tree_digest(project / "output") == tree_digest(project / "fresh")


def test_a_second_build_while_one_is_writing_refuses_and_touches_nothing(project, run):
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    with holding_lock(project / ".output.lock"):  # as a running build holds it while it writes
        result = run(project, "build")
    assert result.code == 1
    assert (
        result.err == f"output: another build is writing this output folder; try again when it ends\n1 error; {NOTHING}"
    )
    assert tree_digest(project / "output") == before


def test_two_builds_started_at_once_give_one_whole_site(project, run):
    _synthetic(project, 30, "Race")
    first, second = _build_process(project, subprocess.PIPE), _build_process(project, subprocess.PIPE)
    errors = first.communicate()[1].decode() + second.communicate()[1].decode()
    codes = sorted([first.returncode, second.returncode])
    assert codes in ([0, 0], [0, 1]), errors
    if codes == [0, 1]:
        assert "another build is writing this output folder" in errors
    assert run(project, "build", "--output", "fresh").code == 0
    assert tree_digest(project / "output") == tree_digest(project / "fresh")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux), which refuses new folders, even root's")
def test_an_unwritable_output_location_is_a_clear_error(project, run):
    result = run(project, "build", "--output", "/proc/site-builder-test/output")
    assert result.code == 1
    assert result.err.startswith("/proc/site-builder-test/output: cannot write the site: ")
    assert "Traceback" not in result.err


def test_an_output_path_under_a_file_is_a_clear_error(project, run):
    (project / "afile").write_text("user data\n", encoding="utf-8")
    result = run(project, "build", "--output", "afile/output")
    assert result.code == 1
    assert result.err.startswith("afile/output: cannot write the site: ")
    assert (project / "afile").read_text(encoding="utf-8") == "user data\n"


def test_a_full_disk_is_a_clear_error_and_the_previous_site_survives(project, run, monkeypatch):
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    config = project / "seeds" / "site.toml"  # a change to every page: an unchanged file is linked, not written
    config.write_text(config.read_text().replace('title = "Source Archive"', 'title = "Another Archive"'))
    fill_the_disk(monkeypatch, after=5)
    result = run(project, "build")
    monkeypatch.undo()
    assert result.code == 1
    assert result.err == f"output: cannot write the site: No space left on device\n1 error; {NOTHING}"
    assert tree_digest(project / "output") == before
    assert _staging(project) == []
