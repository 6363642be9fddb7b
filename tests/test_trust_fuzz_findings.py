"""Trust: what the fuzzer (tests/fuzz/fuzz_archive.py) found after the Trust fixes, each kept as a regression."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import SEED_ARTICLE, SEED_SLUG, needs_symlinks, tree_digest

ARTICLE = f"seeds/articles/{SEED_SLUG}.md"


def _built(project: Path, run) -> dict[str, str]:
    assert run(project, "build").code == 0
    return tree_digest(project / "output")


@needs_symlinks
@pytest.mark.parametrize("where", ["seeds/articles/loop.md", "seeds/raw/loop.txt", "seeds/site.toml"])
def test_a_link_that_loops_is_one_clear_line_and_the_output_stays(project, run, where):
    """Fuzz 1:16 and 1:429: a link to itself gave a RuntimeError traceback while its path was being shown."""
    before = _built(project, run)
    link = project / where
    if link.exists():
        link.unlink()
    link.symlink_to(link.name)  # loops: the link names itself
    if where.startswith("seeds/raw/"):
        text = (project / ARTICLE).read_text(encoding="utf-8")
        (project / ARTICLE).write_text(
            text.replace("raw: raw/", "raw: raw/loop.txt\n# was: raw/").replace("raw_sha256:", "# raw_sha256:"),
            encoding="utf-8",
        )
    for command in ("check", "build"):
        result = run(project, command)
        assert result.code == 1, result.err
        assert "Traceback" not in result.err and "RuntimeError" not in result.err
        assert any(line.startswith(where + ":") for line in result.err.splitlines()), result.err
    assert tree_digest(project / "output") == before


@pytest.mark.skipif(os.name == "nt", reason="Windows file names cannot hold a line feed")
@pytest.mark.parametrize("name", ["a\nb.txt", "a\rb.txt", "a\u2028b.txt", "a\u202eb.txt"])
def test_an_original_whose_name_holds_a_control_character_is_refused(project, run, name):
    """Fuzz 1:36: raw/a<LF>b.txt was published as a file whose name held a line feed."""
    before = _built(project, run)
    (project / "seeds" / "raw" / name).write_bytes(b"An original.\n")
    text = (project / ARTICLE).read_text(encoding="utf-8")
    escaped = name.encode("unicode_escape").decode("ascii")
    lines = [
        f'raw: "raw/{escaped}"' if line.startswith("raw:") else line
        for line in text.splitlines()
        if not line.startswith("raw_sha256:")
    ]
    (project / ARTICLE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(project, "build")
    assert result.code == 1
    raw_line = next(i for i, line in enumerate(lines, 1) if line.startswith("raw:"))
    assert result.err.splitlines()[0].startswith(f"{ARTICLE}:{raw_line}: raw: ")
    assert tree_digest(project / "output") == before
    assert SEED_ARTICLE.exists()


@pytest.mark.parametrize(
    "alias, ok",
    [
        ("a" * 100 + "/", True),
        ("a" * 101 + "/", False),
        ("/".join(["b" * 49] * 4) + "/", True),
        ("/".join(["b" * 50] * 5) + "/", False),
    ],
)
def test_check_refuses_an_alias_too_long_to_be_a_file_name_and_build_agrees(project, run, alias, ok):
    """Fuzz 2:39: an alias of 300 characters passed check, then build failed with 'File name too long'."""
    before = _built(project, run)
    text = (project / ARTICLE).read_text(encoding="utf-8")
    (project / ARTICLE).write_text(
        text.replace("language: en", f"language: en\naliases: ['{alias}']"), encoding="utf-8"
    )
    checked, built = run(project, "check"), run(project, "build")
    assert (checked.code, built.code) == ((0, 0) if ok else (1, 1)), checked.err + built.err
    if ok:
        assert (project / "output" / alias / "index.html").is_file()
    else:
        assert "aliases: invalid alias" in checked.err and checked.err == built.err.replace("build", "check")
        assert tree_digest(project / "output") == before
