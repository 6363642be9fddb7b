"""Incremental builds equal clean builds for any templates: a theme other than the default one may print anything
of the site, so what it makes is keyed on the whole site (theme.py); the default theme keeps its fine keys."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import minimal_front, tree_digest, write_article, write_notes
from site_builder.engine.build import Builder
from site_builder.outputs.theme import PACKAGE_THEME, Theme

FOOTER = (
    "<p>{{ config.title }}: {{ config.description }}</p>",
    (
        "<p>{{ config.title }}: {{ config.description }}</p>\n"
        '    <p class="count">{{ site.articles|length }} articles; newest: {{ site.articles[0].title }}</p>'
    ),
)


@pytest.fixture
def archive(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real seed plus six notes (the package's theme: no templates/ folder), and theme/: a folder with a
    base.html of its own, whose footer prints site-wide data (the rest comes from the package's theme)."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")  # no search index: these tests are about the keys
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")
    write_notes(project, "+08:00")
    (project / "theme").mkdir()
    base = project / "theme" / "base.html"
    text = (PACKAGE_THEME / "base.html").read_text(encoding="utf-8")
    assert FOOTER[0] in text
    base.write_text(text.replace(FOOTER[0], FOOTER[1]), encoding="utf-8")
    return project


def _clean(project: Path, templates: str) -> dict[str, str]:
    out = project / "clean" / "output"
    shutil.rmtree(out, ignore_errors=True)
    Builder(project / "seeds", out, project / templates, cache=False).build()
    return tree_digest(out)


def _retitle(p: Path) -> None:
    path = p / "seeds/articles/note-5.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: 'Note 5'", "title: 'Note five, retitled'"), encoding="utf-8"
    )


EDITS = {
    "article added": lambda p: write_article(
        p, "note-9.md", minimal_front("Note nine", "2026-02-09T12:00:00+08:00", "[minimax]"), "Added.\n"
    ),
    "title changed": _retitle,
    "article removed": lambda p: (p / "seeds/articles/note-5.md").unlink(),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_custom_theme_printing_site_wide_data_is_never_stale(archive, run, edit):
    assert run(archive, "build", "--templates", "theme").code == 0
    before = (archive / "output/companies/gigadevice-semiconductor/index.html").read_text(encoding="utf-8")
    assert "7 articles; newest: Note 5" in before
    EDITS[edit](archive)
    result = run(archive, "build", "--templates", "theme")
    assert result.code == 0, result.err
    assert tree_digest(archive / "output") == _clean(archive, "theme")  # every file, byte for byte
    after = (archive / "output/companies/gigadevice-semiconductor/index.html").read_text(encoding="utf-8")
    assert after != before  # a page that shows no edited article, but its footer counts them


def test_every_edit_in_turn_in_one_serve_process_with_a_custom_theme(archive):
    builder = Builder(archive / "seeds", archive / "output", archive / "theme", in_place=True)
    builder.build()
    for edit in ("title changed", "article added", "article removed"):
        EDITS[edit](archive)
        builder.build()
        assert tree_digest(archive / "output") == _clean(archive, "theme"), edit


def test_switching_between_the_default_and_a_custom_theme(archive, run):
    steps = [
        ("theme", None),
        ("theme", "title changed"),
        ("templates", None),
        ("templates", "article added"),
        ("theme", None),
        ("theme", "article removed"),
    ]
    for templates, edit in steps:
        if edit:
            EDITS[edit](archive)
        chosen = ["--templates", templates] if templates == "theme" else []  # else the package's theme
        assert run(archive, "build", *chosen).code == 0
        assert tree_digest(archive / "output") == _clean(archive, templates), (templates, edit)


def test_which_folders_count_as_the_default_theme(archive):
    assert Theme.resolve(archive / "templates").is_default  # no such folder: the package's theme alone
    assert Theme.resolve(PACKAGE_THEME).is_default  # the package's own folder, named
    assert not Theme.resolve(archive / "theme").is_default  # base.html from the project
    own = archive / "own"
    (own / "static").mkdir(parents=True)
    (own / "static" / "extra.css").write_text("p {}\n")
    assert Theme.resolve(own).is_default  # static files are copied as they are, never rendered
    (own / "extra.html").write_text("{{ site.articles|length }}\n")
    assert not Theme.resolve(own).is_default  # a template of the project's, which a build may load
    (own / "extra.html").unlink()
    shutil.copy(PACKAGE_THEME / "_macros.html", own / "_macros.html")
    assert not Theme.resolve(own).is_default  # any override, even a copy: the project's file is loaded


def test_the_default_theme_keeps_its_fine_keys_and_a_custom_one_remakes_every_templated_page(archive):
    for templates, fine in (("templates", True), ("theme", False)):
        out = archive / f"out-{templates}"
        builder = Builder(archive / "seeds", out, archive / templates)
        first = builder.build()
        before = {p: r[0] for p, r in builder._state.records.items()}
        path = archive / "seeds/articles/note-2.md"
        path.write_text(path.read_text(encoding="utf-8") + "\nAnother paragraph.\n", encoding="utf-8")
        builder.build()
        after = {p: r[0] for p, r in builder._state.records.items()}
        changed = {p for p in after if after[p] != before.get(p)}
        assert "articles/note-2/index.html" in changed
        # outputs made in Python keep their declared keys with either theme
        assert "api/articles/note-2.json" in changed and "api/articles/note-4.json" not in changed
        assert "articles/note-4/citation.json" not in changed
        if fine:
            assert "articles/note-4/index.html" not in changed and len(changed) < first.files / 2
        else:
            assert {p for p in after if p.endswith((".html", ".xml")) and not p.startswith("static/")} <= changed
        assert tree_digest(out) == _clean(archive, templates)
