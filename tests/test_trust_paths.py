"""Trust: links and odd files never lead a read or a write out of seeds/, and import never loses evidence."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SEED_RAW, SEED_SLUG, minimal_front, needs_symlinks, tree_digest, write_article

RAW_NAME = SEED_RAW.name
ARTICLE_REL = f"seeds/articles/{SEED_SLUG}.md"
URL = "https://www.globaltimes.cn/page/202601/1353362.shtml"
GOOD_RAW = "SOURCE / GT VOICE\nAnother title\nPublished: Jan 16, 2026 9:00 AM\n\nA paragraph naming MiniMax.\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def first_line(err: str) -> str:
    return err.splitlines()[0]


def front_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")[4:].split("\n---\n", 1)[0])


@pytest.fixture
def outside(tmp_path_factory) -> Path:
    """A folder outside the project, holding a copy of the raw originals and a 'secret' file."""
    folder = tmp_path_factory.mktemp("elsewhere")
    shutil.copytree(REPO / "seeds" / "raw", folder / "raw")
    (folder / "secret.txt").write_text("secret\n", encoding="utf-8")
    return folder


def cli(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The CLI in a process of its own (a read that blocked on a FIFO would hang it, not the test run)."""
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "SITE_BUILDER_PAGEFIND": ""},
    )


# ------------------------------------------------------------------------------ reading: links out are refused


@needs_symlinks
def test_a_raw_folder_linked_inside_is_fine_and_one_linked_out_is_refused(project, run, outside):
    raw = project / "seeds" / "raw"
    raw.rename(project / "seeds" / "originals")
    raw.symlink_to("originals", target_is_directory=True)
    result = run(project, "build")
    assert result.code == 0, result.err
    assert (project / "output" / "raw" / RAW_NAME).read_bytes() == SEED_RAW.read_bytes()
    before = tree_digest(project / "output")
    raw.unlink()
    raw.symlink_to(outside / "raw", target_is_directory=True)
    result = run(project, "build")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/raw: refused: ")
    assert tree_digest(project / "output") == before


@needs_symlinks
def test_a_raw_file_reached_through_a_link_chain_that_passes_outside_is_refused(project, run, outside):
    """raw/x.txt -> (outside)/hop -> seeds/raw/<original>: it lands inside, but one step is outside."""
    real = project / "seeds" / "raw" / RAW_NAME
    (outside / "hop").symlink_to(real)
    link = project / "seeds" / "raw" / "x.txt"
    link.symlink_to(outside / "hop")
    article = project / ARTICLE_REL
    article.write_text(article.read_text(encoding="utf-8").replace(f"raw/{RAW_NAME}", "raw/x.txt"), encoding="utf-8")
    result = run(project, "build")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/raw/x.txt: refused: ")
    assert not (project / "output").exists()


@needs_symlinks
def test_a_dangling_raw_link_is_refused(project, run, outside):
    (project / "seeds" / "raw" / RAW_NAME).unlink()
    (project / "seeds" / "raw" / RAW_NAME).symlink_to(project / "seeds" / "raw" / "gone.txt")
    result = run(project, "build")
    assert result.code == 1
    assert first_line(result.err).startswith(f"seeds/raw/{RAW_NAME}: refused: ")


@needs_symlinks
def test_site_toml_linked_out_of_the_archive_is_refused(project, run, outside):
    toml = project / "seeds" / "site.toml"
    (outside / "site.toml").write_bytes(toml.read_bytes().replace(b'title = "Source Archive"', b'title = "Leaked"'))
    toml.unlink()
    toml.symlink_to(outside / "site.toml")
    result = run(project, "build")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/site.toml: refused: ")
    assert not (project / "output").exists()


@needs_symlinks
@pytest.mark.parametrize("name", ["site.toml", "companies.yaml"])
def test_a_dangling_settings_or_registry_link_is_refused_not_ignored(project, run, name):
    path = project / "seeds" / name
    path.unlink()
    path.symlink_to(project / "seeds" / "nothing-here")
    result = run(project, "check")
    assert result.code == 1
    assert first_line(result.err).startswith(f"seeds/{name}: refused: ")


@needs_symlinks
def test_an_article_linked_inside_is_fine_and_an_articles_folder_linked_out_is_refused(project, run, outside):
    drafts = project / "seeds" / "drafts"
    drafts.mkdir()
    write_article(project, "x.md", minimal_front(title="Linked"))
    (project / "seeds" / "articles" / "x.md").rename(drafts / "x.md")
    (project / "seeds" / "articles" / "x.md").symlink_to(Path("..") / "drafts" / "x.md")
    result = run(project, "build")
    assert result.code == 0, result.err
    assert (project / "output" / "articles" / "x" / "index.html").is_file()
    before = tree_digest(project / "output")
    articles = project / "seeds" / "articles"
    shutil.copytree(articles, outside / "articles", symlinks=True)
    shutil.rmtree(articles)
    articles.symlink_to(outside / "articles", target_is_directory=True)
    result = run(project, "build")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/articles: refused: ")
    assert tree_digest(project / "output") == before


# ------------------------------------------------------------------- reading: only regular files, never a hang


@needs_fifo
@pytest.mark.parametrize("rel", ["companies.yaml", "site.toml", "articles/fifo.md", f"raw/{RAW_NAME}"])
def test_a_fifo_is_refused_at_once(project, rel):
    path = project / "seeds" / rel
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    result = cli(project, "build")
    assert result.returncode == 1
    assert f"seeds/{rel}: refused: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "output").exists()


def test_a_folder_named_like_an_article_is_refused(project, run):
    (project / "seeds" / "articles" / "folder.md").mkdir()
    result = run(project, "check")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/articles/folder.md: refused: ")


@needs_fifo
def test_import_of_a_fifo_is_refused_at_once(project):
    os.mkfifo(project / "pipe.txt")
    before = tree_digest(project / "seeds")
    result = cli(project, "import", "pipe.txt")
    assert result.returncode == 1
    assert first_line(result.stderr).startswith("pipe.txt: refused: ")
    assert tree_digest(project / "seeds") == before


# ------------------------------------------------------------------------------ writing: never through a link


@needs_symlinks
def test_import_never_writes_through_a_dangling_raw_link(project, run, outside):
    (project / "seeds" / "articles" / f"{SEED_SLUG}.md").unlink()
    (project / "seeds" / "raw" / RAW_NAME).unlink()
    (project / "seeds" / "raw" / RAW_NAME).symlink_to(outside / "planted.txt")
    result = run(project, "import", str(SEED_RAW))
    assert result.code == 1
    assert first_line(result.err).startswith(f"seeds/raw/{RAW_NAME}: refused: ")
    assert not (outside / "planted.txt").exists()
    assert not (project / ARTICLE_REL).exists()


@needs_symlinks
@pytest.mark.parametrize("folder", ["articles", "raw"])
def test_import_never_writes_into_a_folder_linked_out(project, run, outside, folder):
    (project / "seeds" / "articles" / f"{SEED_SLUG}.md").unlink()
    target = outside / f"linked-{folder}"
    target.mkdir()
    shutil.rmtree(project / "seeds" / folder)
    (project / "seeds" / folder).symlink_to(target, target_is_directory=True)
    result = run(project, "import", str(SEED_RAW))
    assert result.code == 1
    assert first_line(result.err).startswith(f"seeds/{folder}: refused: ")
    assert list(target.iterdir()) == []


@needs_symlinks
def test_new_never_writes_into_an_articles_folder_linked_out(project, run, outside):
    target = outside / "linked"
    target.mkdir()
    shutil.rmtree(project / "seeds" / "articles")
    (project / "seeds" / "articles").symlink_to(target, target_is_directory=True)
    result = run(project, "new", "Some Title")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/articles: refused: ")
    assert list(target.iterdir()) == []


@needs_symlinks
def test_new_refuses_a_dangling_link_where_its_file_would_go(project, run, outside):
    (project / "seeds" / "articles" / "some-title.md").symlink_to(outside / "planted.md")
    result = run(project, "new", "Some Title")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/articles/some-title.md: refused: ")
    assert not (outside / "planted.md").exists()


def _no_temporary_files(folder: Path) -> bool:
    return not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_import_force_leaves_the_article_as_it_was_and_no_temporary_file(project, run, monkeypatch):
    article = project / ARTICLE_REL
    before = article.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    result = run(project, "import", f"seeds/raw/{RAW_NAME}", "--force")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert article.read_bytes() == before
    assert _no_temporary_files(project / "seeds" / "articles")


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_new_on_a_full_disk_leaves_no_file_behind(project, run, monkeypatch, links):
    """With hard links (temp file, then link) and without (the O_EXCL fallback), a failed write leaves nothing."""
    if not links:

        def no_links(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_links)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", full)
    before = tree_digest(project / "seeds")
    result = run(project, "new", "Some Title")
    assert result.code == 1
    assert first_line(result.err).startswith("seeds/articles/some-title.md: cannot write: ")
    assert tree_digest(project / "seeds") == before
    assert _no_temporary_files(project / "seeds" / "articles")
    monkeypatch.setattr(os, "fsync", real_fsync)  # room again: the same way of writing succeeds
    result = run(project, "new", "Some Title")
    assert result.code == 0, result.err
    assert front_of(project / "seeds" / "articles" / "some-title.md")["draft"] is True
    assert _no_temporary_files(project / "seeds" / "articles")


# ------------------------------------------------------------------------------------ import keeps evidence


def test_import_force_never_overwrites_another_articles_original(project, run):
    """A raw file named like the seed's original but holding another article: the seed's original stays."""
    (project / "incoming").mkdir()
    other = project / "incoming" / RAW_NAME
    other.write_text(GOOD_RAW, encoding="utf-8")
    result = run(project, "import", f"incoming/{RAW_NAME}", "--force")
    assert result.code == 0, result.err
    assert (project / "seeds" / "raw" / RAW_NAME).read_bytes() == SEED_RAW.read_bytes()
    front = front_of(project / "seeds" / "articles" / "another-title.md")
    stored = project / "seeds" / front["raw"]
    assert stored.read_bytes() == other.read_bytes()
    assert front["raw_sha256"] == hashlib.sha256(other.read_bytes()).hexdigest()
    assert run(project, "build").code == 0
    # the same file again: the same name, the stored files kept as they are (not even rewritten)
    inodes = {p.name: p.stat().st_ino for p in (project / "seeds" / "raw").iterdir()}
    assert run(project, "import", f"incoming/{RAW_NAME}", "--force").code == 0
    assert {p.name: p.stat().st_ino for p in (project / "seeds" / "raw").iterdir()} == inodes
    assert front_of(project / "seeds" / "articles" / "another-title.md")["raw"] == front["raw"]
    assert sorted(p.name for p in (project / "seeds" / "raw").iterdir()) == sorted([RAW_NAME, stored.name])


KEPT = {
    "retrieved": "2026-01-16T09:30:00+08:00",
    "slug": "gt-voice-synergy",
    "summary": "Written by hand.",
    "updated": "2026-01-17T08:00:00+08:00",
    "tags": ["hong-kong", "ipo"],
    "aliases": ["articles/old-name/"],
    "language": "en-GB",
}


def test_import_force_keeps_every_value_it_is_not_told_to_change(project, run):
    article = project / ARTICLE_REL
    text = article.read_text(encoding="utf-8")
    extra = "".join(
        f"{k}: {v!r}\n" if isinstance(v, str) else f"{k}: {v}\n" for k, v in KEPT.items() if k != "language"
    )
    text = text.replace("language: en\n", "language: en-GB\n" + extra)
    text = text.replace("source: Global Times\n", "source: Hand-checked Times\n")
    article.write_text(
        text.replace("- gigadevice-semiconductor\n", "- gigadevice-semiconductor\n- minimax-extra\n"), encoding="utf-8"
    )
    registry = project / "seeds" / "companies.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8") + "\n- id: minimax-extra\n  name: Extra Co\n"
        "  aliases: []\n  description: listed by hand\n",
        encoding="utf-8",
    )
    result = run(project, "import", f"seeds/raw/{RAW_NAME}", "--force")  # no --url
    assert result.code == 0, result.err
    front = front_of(article)
    assert front["url"] == URL
    assert front["source"] == "Hand-checked Times"
    for key, value in KEPT.items():
        assert front[key] == value, key
    assert front["companies"][-1] == "minimax-extra"
    assert run(project, "check").code == 0
    # an option given does replace its value
    assert (
        run(
            project,
            "import",
            f"seeds/raw/{RAW_NAME}",
            "--force",
            "--url",
            "https://example.com/a",
            "--publication",
            "Other",
        ).code
        == 0
    )
    assert (front_of(article)["url"], front_of(article)["source"]) == ("https://example.com/a", "Other")


def test_import_force_over_an_unreadable_article_is_refused(project, run):
    article = project / ARTICLE_REL
    article.write_text(
        article.read_text(encoding="utf-8").replace("language: en\n", "language: en\ntitel: x\n"), encoding="utf-8"
    )
    before = tree_digest(project / "seeds")
    result = run(project, "import", f"seeds/raw/{RAW_NAME}", "--force")
    assert result.code == 1
    assert first_line(result.err).startswith(f"{ARTICLE_REL}:12: ")
    assert tree_digest(project / "seeds") == before


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.com/a",
        "/page/1.html",
        "https://",
        "https://exa mple.com/",
        "https://example.com/\x07",
        "https://example.com/\u2028",
        "http:/example.com",
        "https://example.com:port/",
        " https://example.com/",
    ],
)
def test_a_bad_url_option_is_a_usage_error_and_writes_nothing(project, run, url):
    (project / "seeds" / "articles" / f"{SEED_SLUG}.md").unlink()
    before = tree_digest(project / "seeds")
    result = run(project, "import", f"seeds/raw/{RAW_NAME}", "--url", url)
    assert result.code == 2
    assert tree_digest(project / "seeds") == before


@pytest.mark.parametrize("args", [("new", "A Title"), ("import", str(SEED_RAW))])  # build, check: already so
def test_a_missing_source_folder_is_an_error_for_every_command(project, run, args):
    result = run(project, *args, "--source", "seedz")
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        "seedz: source folder not found (`site-builder init` starts a new archive)",
        "1 error; nothing was written",
    ]
    assert not (project / "seedz").exists()
    assert not (project / "output").exists()


def test_serve_with_a_missing_source_folder_stops_at_once(project):
    result = cli(project, "serve", "--source", "seedz", "--port", "0")
    assert result.returncode == 1
    assert first_line(result.stderr) == "seedz: source folder not found (`site-builder init` starts a new archive)"
    assert not (project / "seedz").exists()
