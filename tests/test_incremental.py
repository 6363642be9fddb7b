"""Incremental builds: after any kind of change, the same bytes as a clean build; unchanged files untouched."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import COMPANY_IDS, SEED_ARTICLE, minimal_front, needs_symlinks, own_template, tree_digest, write_article
from site_builder.core.errors import SiteError
from site_builder.engine.build import Builder
from site_builder.engine.store import CACHE_DIR, CACHE_FILE, SPARE_DIR
from site_builder.engine.write import MARKER, write_site
from site_builder.outputs.base import Output


@pytest.fixture
def archive(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real seed plus six articles sharing its companies, so pages have neighbours and company lists."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")  # no search index: these tests are about the pipeline
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")  # others may edit the code meanwhile
    for i in range(6):
        companies = "[" + ", ".join(COMPANY_IDS[i % 5 : i % 5 + 2]) + "]"
        write_article(
            project,
            f"note-{i}.md",
            minimal_front(f"Note {i}", f"2026-02-0{i + 1}T10:00:00+0{i % 3}:00", companies),
            f"First paragraph of note {i}. MiniMax and Zhipu are named here.\n\n## Part\n\n- a list\n"
            f"- of things\n\n> A quote {i}.\n\nSee [the first note](../note-0/).\n",
        )
    return project


def _clean(project: Path) -> dict[str, str]:
    """A clean build of the project's current input, with no cache, into a fresh folder."""
    out = project / "clean" / "output"
    shutil.rmtree(out, ignore_errors=True)
    Builder(project / "seeds", out, project / "templates", cache=False).build()
    return tree_digest(out)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES = {
    "body": lambda p: _edit(p / "seeds/articles/note-2.md", "A quote 2.", "A quote 2, edited. MiniMax again."),
    "title": lambda p: _edit(p / "seeds/articles/note-3.md", "title: 'Note 3'", "title: 'Note three'"),
    "date": lambda p: _edit(p / "seeds/articles/note-1.md", "2026-02-02T10:00:00+01:00", "2026-03-09T23:30:00-05:00"),
    "companies": lambda p: _edit(p / "seeds/articles/note-4.md", "companies: [", "companies: [minimax, "),
    "registry entry": lambda p: _edit(
        p / "seeds/companies.yaml", "description: GPU maker", "description: GPU maker, renamed in this test"
    ),
    "registry alias": lambda p: _edit(p / "seeds/companies.yaml", "aliases: []", "aliases: [First paragraph]"),
    "template": lambda p: _edit(own_template(p, "article.html"), "{% block main %}", "{% block main %}<!-- edited -->"),
    "config": lambda p: (p / "seeds/site.toml").write_text(
        (p / "seeds/site.toml").read_text().replace("page_size = 10", "page_size = 2")
    ),
    "article deleted": lambda p: (p / "seeds/articles/note-5.md").unlink(),
    "article added": lambda p: write_article(
        p, "note-9.md", minimal_front("Note nine", "2026-02-03T12:00:00+08:00", "[minimax]"), "MiniMax, added.\n"
    ),
    "seed article edited": lambda p: _edit(
        p / "seeds/articles" / SEED_ARTICLE.name, "---\n\n", "---\n\nAn added first paragraph.\n\n"
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_an_incremental_build_after_a_change_writes_what_a_clean_build_writes(archive, run, change):
    assert run(archive, "build").code == 0
    CHANGES[change](archive)
    result = run(archive, "build")
    assert result.code == 0, result.err
    assert "build cache" not in result.err
    assert tree_digest(archive / "output") == _clean(archive)


@pytest.mark.parametrize("change", ["body", "title", "article added", "registry entry"])
def test_after_a_small_change_most_pages_are_reused_and_most_files_kept(archive, change):
    builder = Builder(archive / "seeds", archive / "output", archive / "templates")
    first = builder.build()
    CHANGES[change](archive)
    second = builder.build()  # in-process, as serve rebuilds: the cache stays in memory
    assert 0 < second.written < first.files / 2
    assert builder.last.kept > 0 and builder.last.made > 0  # only outputs that show the change are made
    assert builder.last.converted == (1 if change in ("body", "article added") else 0)
    assert second.unchanged == second.files - second.written
    assert tree_digest(archive / "output") == _clean(archive)


def _stats(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_rebuild_with_nothing_changed_rewrites_no_file(archive, run):
    assert run(archive, "build").code == 0
    before = _stats(archive / "output")
    result = run(archive, "build")
    assert result.code == 0
    assert result.out.endswith(f" s (0 written, {len(before) - 1} unchanged)\n")  # the marker is not counted
    assert _stats(archive / "output") == before


def test_without_its_cache_a_rebuild_still_keeps_every_unchanged_file(archive, run):
    assert run(archive, "build").code == 0
    before = _stats(archive / "output")
    (archive / CACHE_DIR / "output" / CACHE_FILE).unlink()
    result = run(archive, "build")
    assert result.code == 0
    assert _stats(archive / "output") == before  # identical bytes: hard links to the same inodes, same mtimes
    assert result.out.endswith(f" s (0 written, {len(before) - 1} unchanged)\n")


def test_a_changed_file_is_new_and_the_others_keep_their_inode_and_mtime(archive, run):
    assert run(archive, "build").code == 0
    before = _stats(archive / "output")
    CHANGES["body"](archive)
    assert run(archive, "build").code == 0
    after = _stats(archive / "output")
    changed = {p for p in after if after[p] != before.get(p)}
    assert "articles/note-2/index.html" in changed
    assert "articles/note-4/index.html" not in changed  # not a neighbour: untouched
    assert len(changed) < len(after) / 2


def test_a_touched_but_unchanged_input_rewrites_nothing(archive, run):
    assert run(archive, "build").code == 0
    before = _stats(archive / "output")
    path = archive / "seeds/articles/note-2.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert run(archive, "build").code == 0
    assert _stats(archive / "output") == before


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage, not a cache",
        b"site-builder-cache\n" + b"\x80\x05truncated",
        b"site-builder-cache\n" + pickle.dumps((1, {"not": "our record"})),
        b"site-builder-cache\n" + pickle.dumps((1, os.system)),  # a foreign class: never loaded
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_with_a_warning_and_the_build_is_clean(archive, run, content):
    assert run(archive, "build").code == 0
    CHANGES["body"](archive)
    (archive / CACHE_DIR / "output" / CACHE_FILE).write_bytes(content)
    result = run(archive, "build")
    assert result.code == 0
    assert "ignored the build cache" in result.err and "building from scratch" in result.err
    assert any(line.startswith("warning: ") and "ignored the build cache" in line for line in result.err.splitlines())
    assert tree_digest(archive / "output") == _clean(archive)
    assert "build cache" not in run(archive, "build").err  # the cache was rewritten whole


def test_a_cache_from_another_version_is_ignored(archive, run, monkeypatch):
    assert run(archive, "build").code == 0
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "another version")
    CHANGES["title"](archive)
    result = run(archive, "build")
    assert "written by another version of site-builder" in result.err
    assert tree_digest(archive / "output") == _clean(archive)


def test_the_cache_lives_beside_output_and_ignores_itself_in_git(archive, run):
    assert run(archive, "build").code == 0
    assert (archive / CACHE_DIR / "output" / CACHE_FILE).is_file()
    assert (archive / CACHE_DIR / ".gitignore").read_text() == "*\n"
    assert not (archive / "output" / CACHE_DIR).exists()


def test_check_uses_no_cache_and_writes_nothing(archive, run):
    assert run(archive, "check").code == 0
    assert not (archive / CACHE_DIR).exists()


def test_a_failed_rebuild_leaves_output_and_the_next_build_recovers(archive, run):
    assert run(archive, "build").code == 0
    before = tree_digest(archive / "output")
    _edit(archive / "seeds/articles/note-2.md", "title: 'Note 2'", "titel: 'Note 2'")
    assert run(archive, "build").code == 1
    assert tree_digest(archive / "output") == before
    _edit(archive / "seeds/articles/note-2.md", "titel: 'Note 2'", "title: 'Note 2 fixed'")
    assert run(archive, "build").code == 0
    assert tree_digest(archive / "output") == _clean(archive)


def test_a_registry_kept_from_the_last_build_is_read_again_once_its_file_changes(archive, run):
    """The company registry is reused while its file is unchanged; an edit that breaks it fails the next build
    (in a new process and in one that keeps its cache in memory, as serve does) with the file and line."""
    registry = archive / "seeds/companies.yaml"
    builder = Builder(archive / "seeds", archive / "output", archive / "templates")
    builder.build()
    assert run(archive, "build").code == 0
    before = tree_digest(archive / "output")
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("description: GPU maker", "descripton: GPU maker"), encoding="utf-8")
    line = text[: text.index("description: GPU maker")].count("\n") + 1
    result = run(archive, "build")
    assert result.code == 1
    assert "seeds/companies.yaml:" in result.err and "'description'" in result.err
    with pytest.raises(SiteError) as raised:
        builder.build()
    where = {(p.path, p.line) for p in raised.value.problems}
    assert {("seeds/companies.yaml", line - 3), ("seeds/companies.yaml", line)} <= where  # the record, the key
    assert tree_digest(archive / "output") == before
    registry.write_text(text.replace("description: GPU maker", "description: GPU maker, fixed"), encoding="utf-8")
    builder.build()
    assert tree_digest(archive / "output") == _clean(archive)


def test_a_deleted_output_file_comes_back_on_the_next_build(archive, run):
    assert run(archive, "build").code == 0
    before = tree_digest(archive / "output")
    (archive / "output/articles/note-1/index.html").unlink()
    (archive / "output/stray.txt").write_text("not ours")
    result = run(archive, "build")
    assert result.code == 0
    assert tree_digest(archive / "output") == before


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_serve_updating_files_in_place_writes_what_a_clean_build_writes(archive, change):
    builder = Builder(archive / "seeds", archive / "output", archive / "templates", in_place=True)
    builder.build()
    before = _stats(archive / "output")
    CHANGES[change](archive)
    summary = builder.build()
    assert tree_digest(archive / "output") == _clean(archive)
    after = _stats(archive / "output")
    assert summary.written == len({p for p in after if after[p] != before.get(p)} - {MARKER})
    kept = {p for p in after if after[p] == before.get(p)}
    assert len(kept) > len(after) / 2 or change in ("template", "config", "registry entry", "registry alias")


def test_an_edited_body_remakes_exactly_the_outputs_that_show_the_article(archive):
    builder = Builder(archive / "seeds", archive / "output", archive / "templates")
    builder.build()
    CHANGES["body"](archive)
    before = {p: r[0] for p, r in builder._state.records.items()}
    builder.build()
    after = {p: r[0] for p, r in builder._state.records.items()}
    changed = {p for p in after if after[p] != before.get(p)}
    # the edit is past the first paragraph (the summary): what shows the body changes, what lists the article
    # by title and summary does not (its neighbours, the home page, the archive, the API list, its citations)
    assert changed == {
        "articles/note-2/index.html",
        "api/articles/note-2.json",
        "feed.xml",
        "feed.json",
        "companies/minimax/feed.xml",
        "companies/shanghai-biren-technology/feed.xml",
        "sources/test-source/feed.xml",
    }
    assert builder.last.made == len(changed)
    _edit(archive / "seeds/articles/note-2.md", "First paragraph of note 2.", "A new first paragraph of note 2.")
    builder.build()
    again = {p: r[0] for p, r in builder._state.records.items()}
    changed = {p for p in again if again[p] != after.get(p)}
    # a new summary: every list showing note-2 changes too, and nothing that does not show it
    assert {
        "articles/note-1/index.html",
        "articles/note-3/index.html",
        "index.html",
        "archive/index.html",
        "api/articles.json",
        "articles/note-2/citation.json",
        "companies/minimax/index.html",
    } <= changed
    assert not changed & {
        "articles/note-5/index.html",
        "api/articles/note-5.json",
        "companies/gigadevice-semiconductor/index.html",
    }


def test_a_kept_output_is_not_made_and_a_changed_key_remakes_it(tmp_path):
    calls: list[str] = []

    def output(path: str, key: bytes, data: bytes) -> Output:
        return Output(path, key, lambda: calls.append(path) or data)

    out = tmp_path / "output"
    first = write_site([output("a.html", b"k1", b"A"), output("b.html", b"k1", b"B")], out)
    assert sorted(calls) == ["a.html", "b.html"]
    calls.clear()
    stats: dict = {}
    second = write_site(
        [output("a.html", b"k1", b"A"), output("b.html", b"k2", b"B2")], out, stats=stats, previous=first
    )
    assert calls == ["b.html"] and stats["written"] == 1 and stats["made"] == 1
    assert second["a.html"] == first["a.html"]  # same inode and mtime: the file was linked, not written
    assert (out / "b.html").read_bytes() == b"B2"
    (out / "a.html").write_bytes(b"changed by hand")  # no longer as written: made again despite its key
    calls.clear()
    write_site([output("a.html", b"k1", b"A"), output("b.html", b"k2", b"B2")], out, previous=second)
    assert calls == ["a.html"] and (out / "a.html").read_bytes() == b"A"


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_build_that_brings_the_spare_site_up_to_date_writes_what_a_clean_build_writes(archive, run, change):
    assert run(archive, "build").code == 0
    write_article(
        archive,
        "note-8.md",
        minimal_front("Note eight", "2026-02-07T12:00:00+08:00", "[minimax]"),
        "MiniMax, in a note added between two builds.\n",
    )
    assert run(archive, "build").code == 0  # the first site is the spare now
    assert (archive / CACHE_DIR / "output" / SPARE_DIR / MARKER).is_file()
    CHANGES[change](archive)
    result = run(archive, "build")  # turns the first site into this one
    assert result.code == 0, result.err
    assert tree_digest(archive / "output") == _clean(archive)


def test_the_spare_site_is_reused_and_loses_files_no_longer_built(tmp_path):
    out, spare = tmp_path / "output", tmp_path / "cache" / "spare"

    def write(files: dict[str, bytes], previous: dict, spare_records: dict) -> tuple[dict, dict]:
        stats: dict = {}
        records = write_site(files, out, stats=stats, previous=previous, spare=spare, spare_records=spare_records)
        return records, (previous if stats["spared"] else {})

    first = {"a/index.html": b"one", "b/index.html": b"two", "old/index.html": b"gone later"}
    r1, s1 = write(first, {}, {})
    folder = (out / "a").stat().st_ino
    (out / "stray.txt").write_bytes(b"put there by hand")
    (out / "strays").mkdir()
    second = {"a/index.html": b"one", "b/index.html": b"two, edited", "c/index.html": b"three"}
    r2, s2 = write(second, r1, s1)
    assert spare.is_dir() and (spare / "stray.txt").exists()  # the first site, as it was
    third = {"a/index.html": b"one, edited", "b/index.html": b"two, edited", "c/index.html": b"three"}
    r3, s3 = write(third, r2, s2)
    assert (out / "a").stat().st_ino == folder  # the first site's folders, brought up to date
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == {
        **third,
        MARKER: (out / MARKER).read_bytes(),
    }
    assert not (out / "old").exists() and not (out / "strays").exists()
    fourth = dict(third)
    write(fourth, r3, s3)  # the second site (with the stray file) comes back: the stray goes
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == sorted(
        [MARKER, "a", "a/index.html", "b", "b/index.html", "c", "c/index.html"]
    )
    assert (spare / "a/index.html").read_bytes() == b"one, edited"  # never written through a shared link


def _rows(db: Path) -> dict[str, dict[str, bytes]]:
    """Every body and article row of the cache's database: {table: {key: its bytes}}."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {
            table: {key: bytes(a) + b"\0" + bytes(b) for key, a, b in conn.execute(sql)}
            for table, sql in (
                ("bodies", "SELECT key, record, html FROM bodies"),
                ("articles", "SELECT file, value, value FROM articles"),
            )
        }


def test_an_edit_rewrites_only_its_rows_of_the_cache_and_a_broken_database_means_a_clean_build(archive, run):
    db = archive / CACHE_DIR / "output" / CACHE_FILE
    assert run(archive, "build").code == 0
    before = _rows(db)
    articles = len(list((archive / "seeds/articles").glob("*.md")))
    assert sum(1 for file in before["articles"] if file.endswith(".md")) == articles  # and the registry's row
    assert len(before["bodies"]) == articles
    CHANGES["body"](archive)
    assert run(archive, "build").code == 0
    after = _rows(db)
    for table in ("bodies", "articles"):
        changed = {k for k in after[table].keys() | before[table].keys() if after[table].get(k) != before[table].get(k)}
        # the edited article's row; its new body in, its old body out
        assert len(changed) == {"bodies": 2, "articles": 1}[table], (table, changed)
    data = db.read_bytes()
    db.write_bytes(data[:4096] + b"\xff" * (len(data) - 4096))  # the header intact, every page after it garbage
    CHANGES["title"](archive)
    result = run(archive, "build")
    assert result.code == 0
    assert "ignored the build cache, it cannot be read" in result.err
    assert tree_digest(archive / "output") == _clean(archive)


@needs_symlinks
def test_a_link_in_place_of_the_cache_database_is_replaced_never_written_through(archive, run):
    """The database is opened for writing: a link where it lives (to any file of the user's, a database or not)
    is removed, and the file it led to stays byte for byte."""
    theirs = archive / "theirs.sqlite"
    with contextlib.closing(sqlite3.connect(theirs)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
        conn.commit()
    before = theirs.read_bytes()
    db = archive / CACHE_DIR / "output" / CACHE_FILE
    db.parent.mkdir(parents=True)
    db.symlink_to(theirs)
    assert run(archive, "build").code == 0
    assert theirs.read_bytes() == before
    assert db.is_file() and not db.is_symlink()
    assert tree_digest(archive / "output") == _clean(archive)


def test_a_rebuild_reads_no_unchanged_body_html_from_the_cache(archive, monkeypatch):
    """A page kept as it was needs no body: a rebuild after one edit reads only the HTML of the pages it makes."""
    from site_builder.engine import store

    for i in range(60):  # older than every article the feeds show (20, with their bodies)
        write_article(
            archive,
            f"old-{i}.md",
            minimal_front(f"Old {i}", f"2020-01-{i % 28 + 1:02d}T10:00:00+00:00"),
            f"Old body {i}.\n",
        )
    builder = Builder(archive / "seeds", archive / "output", archive / "templates")
    builder.build()
    builder = Builder(archive / "seeds", archive / "output", archive / "templates")  # a new process, as the CLI
    read: list[str] = []
    real = store.Database.body
    monkeypatch.setattr(store.Database, "body", lambda self, key, column: read.append(key) or real(self, key, column))
    CHANGES["body"](archive)
    builder.build()
    assert builder.last is not None and builder.last.converted == 1
    assert 1 <= len(set(read)) <= 20 + 1, read  # the edited page, the feeds' 20 latest (and no other)
    assert tree_digest(archive / "output") == _clean(archive)


def test_the_cache_key_names_each_library_at_the_version_importlib_metadata_reports():
    """The tool key reads versions from the dist-info folders' names (importing importlib.metadata costs more
    than a build with nothing changed); it must agree with importlib.metadata for every library output uses."""
    from importlib.metadata import version

    from site_builder.engine.store import _LIBRARIES, _installed_versions

    assert _installed_versions() == {dist: version(dist) for dist in _LIBRARIES}


def test_a_rebuild_keeps_the_spare_sites_files_rather_than_linking_every_one_again(archive, run, monkeypatch):
    """Through the CLI, as a user rebuilds: after two builds the spare is the site before last, and a third build
    after a one-body edit keeps its unchanged files as they are (only what changed is made or linked). Saving the
    cache under the lock once recorded the spare's files as none, so every rebuild relinked the whole site."""
    from site_builder.engine import write

    edit = archive / "seeds" / "articles" / "note-3.md"
    assert run(archive, "build").code == 0
    edit.write_text(edit.read_text(encoding="utf-8") + "\nA first edit.\n", encoding="utf-8")
    assert run(archive, "build").code == 0  # the first site is the spare now, its files recorded
    links = []
    real = write.hard_link
    monkeypatch.setattr(write, "hard_link", lambda a, b: links.append(b) or real(a, b))
    edit.write_text(edit.read_text(encoding="utf-8") + "\nA second edit.\n", encoding="utf-8")
    result = run(archive, "build")
    assert result.code == 0, result.err
    total = sum(1 for p in (archive / "output").rglob("*") if p.is_file())
    assert total > 50 and len(links) < total // 4, f"{len(links)} of {total} files linked again"
    assert tree_digest(archive / "output") == _clean(archive)
