"""Writing the output folder: determinism, atomic replacement, stale files, and what the build refuses to touch."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SEED_SLUG, minimal_front, tree_digest, write_article
from site_builder.core.errors import SiteError
from site_builder.engine.write import MARKER, write_site


def staging_leftovers(folder: Path) -> list[str]:
    """Staging or old-output folders (.<name>.*.tmp) left in folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def build_ok(run, project: Path, *args: str) -> None:
    result = run(project, "build", *args)
    assert result.code == 0, result.err
    assert staging_leftovers(project) == []


def test_two_builds_of_the_same_input_are_byte_identical(project, run):
    write_article(project, "second.md", minimal_front(title="Second", companies="[minimax]"))
    build_ok(run, project, "--output", "one")
    build_ok(run, project, "--output", "two")
    one, two = tree_digest(project / "one"), tree_digest(project / "two")
    assert len(one) > 20
    assert one == two


def test_rebuilding_in_place_changes_nothing(project, run):
    build_ok(run, project)
    before = tree_digest(project / "output")
    build_ok(run, project)
    assert tree_digest(project / "output") == before


def test_a_failing_build_leaves_the_previous_output_untouched(project, run):
    build_ok(run, project)
    before = tree_digest(project / "output")
    assert f"articles/{SEED_SLUG}/index.html" in before
    write_article(project, "good.md", minimal_front(title="Would be new"))
    write_article(project, "broken.md", "title: [unclosed\npublished: 2026-02-01T10:00:00+08:00")
    result = run(project, "build")
    assert result.code == 1
    assert "broken.md" in result.err
    assert tree_digest(project / "output") == before
    assert staging_leftovers(project) == []


def test_files_that_no_longer_belong_are_removed(project, run):
    extra = write_article(
        project, "temporary.md", minimal_front(title="Temporary", companies="[minimax]", extra="slug: temporary")
    )
    build_ok(run, project)
    out = project / "output"
    assert (out / "articles/temporary/index.html").is_file()
    (out / "stray-file.txt").write_text("left by hand", encoding="utf-8")
    extra.unlink()
    build_ok(run, project)
    assert not (out / "articles/temporary").exists()
    assert not (out / "stray-file.txt").exists()
    build_ok(run, project, "--output", "fresh")
    assert tree_digest(out) == tree_digest(project / "fresh")  # exactly what a clean build writes


def test_build_refuses_to_replace_a_folder_it_did_not_write(project, run):
    user = project / "my-documents"
    (user / "notes").mkdir(parents=True)
    (user / "notes" / "thesis.txt").write_text("years of work", encoding="utf-8")
    (user / "index.html").write_text("<p>mine</p>", encoding="utf-8")
    before = tree_digest(user)
    result = run(project, "build", "--output", "my-documents")
    assert result.code == 1
    assert MARKER in result.err
    assert tree_digest(user) == before
    assert not (user / MARKER).exists()
    assert staging_leftovers(project) == []


def test_build_replaces_a_folder_it_wrote_before(project, run):
    build_ok(run, project, "--output", "site")
    assert (project / "site" / MARKER).is_file()
    build_ok(run, project, "--output", "site")  # the marker makes it ours


@pytest.mark.parametrize("output", ["seeds", "seeds/output", "seeds/articles", "."])
def test_build_refuses_output_inside_equal_to_or_containing_the_source(project, run, output):
    before = tree_digest(project)
    result = run(project, "build", "--output", output)
    assert result.code == 2  # a bad --output: a command-line value (was 1)
    assert tree_digest(project) == before
    assert not (project / "seeds" / "output").exists()
    assert staging_leftovers(project) == [] and staging_leftovers(project / "seeds") == []


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/../../b", "a\\b", "", "a//b", "./a", "a/", "a\x00b"])
def test_write_site_refuses_paths_that_leave_the_output_folder(tmp_path, bad):
    out = tmp_path / "site" / "output"
    with pytest.raises(SiteError) as info:
        write_site({"index.html": b"ok", bad: b"evil"}, out)
    assert any(repr(bad) in p.message for p in info.value.problems)
    assert not out.exists()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == []
    assert not Path("/abs").exists()


def test_write_site_failing_midway_leaves_no_staging_and_keeps_output(tmp_path):
    out = tmp_path / "output"
    write_site({"index.html": b"first"}, out)
    before = tree_digest(out)
    with pytest.raises(SiteError):
        write_site({"a": b"a file", "a/b": b"cannot go under a file"}, out)  # mkdir fails after staging began
    assert tree_digest(out) == before
    assert staging_leftovers(tmp_path) == []


def test_leftovers_of_an_interrupted_build_are_cleaned(project, run):
    stale = project / ".output.12345.tmp"
    (stale / "articles").mkdir(parents=True)
    (stale / "articles" / "half.html").write_text("half-written", encoding="utf-8")
    # what the dead build recorded in the lock's records before it made its staging folder (a folder no record
    # names is not the build's to remove: tests/test_trust_writes.py)
    (project / ".output.lock").write_bytes(str(stale).encode() + b"\0")
    build_ok(run, project)
    assert not stale.exists()
    assert (project / "output" / MARKER).is_file()


def test_no_staging_folder_remains_after_a_content_error(project, run):
    build_ok(run, project)
    write_article(project, "bad.md", minimal_front(companies="[no-such-company]"))
    result = run(project, "build")
    assert result.code == 1
    assert staging_leftovers(project) == []
