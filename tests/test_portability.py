"""What a user on Windows or macOS meets that Linux does not show: Git's line-end conversion, a console or pipe
in a legacy code page, text files with "\\r\\n" line ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, SEED_RAW, SEED_SLUG, tree_digest

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _text_attribute(repo, rel: str) -> str:
    """What Git's `text` attribute is for rel in repo: 'set', 'unset', 'auto' or 'unspecified'."""
    out = subprocess.run(
        ["git", "check-attr", "text", "--", rel], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return out.rsplit(": ", 1)[1].strip()


@needs_git
def test_an_archive_made_by_init_keeps_git_from_changing_the_originals_line_ends(tmp_path, run):
    """Git for Windows checks text files out with "\\r\\n" (core.autocrlf): an original changed so no longer
    matches its raw_sha256 and the build fails. init's .gitattributes marks the originals as not text."""
    assert run(tmp_path, "init", "archive").code == 0
    root = tmp_path / "archive"
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    assert _text_attribute(root, "seeds/raw/some-original.txt") == "unset"
    assert _text_attribute(root, "seeds/raw/2026/deep/page.html") == "unset"


@needs_git
def test_this_repositorys_originals_are_kept_byte_for_byte_by_git():
    if not (REPO / ".git").exists():
        pytest.skip("not a Git checkout")
    assert _text_attribute(REPO, SEED_RAW.relative_to(REPO).as_posix()) == "unset"


def test_a_redirected_output_in_a_legacy_code_page_prints_escapes_not_a_traceback(project):
    """Windows writes a redirected stdout in its ANSI code page (here cp1252), which has no Chinese: the site is
    built, and what it cannot print is printed as \\u escapes, exit 0."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [sys.executable, "-m", "site_builder", "build", "--output", "输出"], cwd=project, env=env, capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert result.stdout.startswith(b"built \\u8f93\\u51fa/: 1 article, "), result.stdout
    assert (project / "输出" / "articles" / SEED_SLUG / "index.html").is_file()


def test_windows_line_ends_in_articles_registry_and_settings_build_the_same_site(project, run):
    """A user on Windows writes "\\r\\n" (an editor's default, or Git's conversion of the text files): the site is
    byte for byte the one "\\n" gives (the originals, kept as they are by .gitattributes, are published as is)."""
    assert run(project, "build", "--output", "lf").code == 0
    seeds = project / "seeds"
    for path in [*(seeds / "articles").glob("*.md"), seeds / "companies.yaml", seeds / "site.toml"]:
        data = path.read_bytes()
        assert b"\r" not in data
        path.write_bytes(data.replace(b"\n", b"\r\n"))
    result = run(project, "build", "--output", "crlf")
    assert result.code == 0, result.err
    assert tree_digest(project / "crlf") == tree_digest(project / "lf")
    assert (project / "crlf" / "raw" / SEED_RAW.name).read_bytes() == SEED_RAW.read_bytes()
