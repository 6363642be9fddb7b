"""Right the first time: a site built with no base URL claims no address it is not at; serve keeps to its own
folder; the package's theme works in any folder and a project's templates override it file by file; init."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, SEED_ARTICLE, SEED_RAW, SEED_SLUG, needs_sigint, tree_digest
from site_builder.core.config import BASE_URL_UNSET
from site_builder.outputs.theme import PACKAGE_THEME

WARNING = f"seeds/site.toml: warning: {BASE_URL_UNSET}"
LOCAL = re.compile(rb"127\.0\.0\.1|localhost", re.IGNORECASE)


@pytest.fixture
def seeds_only(tmp_path: Path) -> Path:
    """A folder holding the repository's seeds/ as they are (no base URL), and nothing else."""
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    return tmp_path


def test_the_seeds_set_no_base_url():
    assert "base_url" not in (REPO / "seeds" / "site.toml").read_text(encoding="utf-8")


def test_without_a_base_url_nothing_claims_localhost_and_one_warning_says_so(seeds_only, run):
    result = run(seeds_only, "build")
    assert result.code == 0, result.err
    assert result.err.splitlines().count(WARNING) == 1, result.err
    assert "base_url" not in result.err.replace(WARNING, "")
    out = seeds_only / "output"
    local = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and LOCAL.search(p.read_bytes())]
    assert local == []
    assert not (out / "sitemap.xml").exists()  # a sitemap needs absolute URLs: none without the address
    assert "Sitemap" not in (out / "robots.txt").read_text(encoding="utf-8")
    page = lxml.html.fromstring((out / "articles" / SEED_SLUG / "index.html").read_bytes())
    assert page.xpath("//link[@rel='canonical']") == [] and page.xpath("//meta[@property='og:url']") == []
    ld = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    assert "url" not in ld and "mainEntityOfPage" not in ld
    csl = json.loads((out / "articles" / SEED_SLUG / "citation.json").read_text(encoding="utf-8"))[0]
    assert "archive_location" not in csl and csl["archive"] == "Source Archive"
    bib = (out / "articles" / SEED_SLUG / "citation.bib").read_text(encoding="utf-8")
    assert r"\url" not in bib.split("note")[1]
    # pages link to each other relatively: every page works wherever the folder is served
    assert page.xpath("//link[@rel='stylesheet']/@href")[0].startswith("../../static/style.")


def test_without_a_base_url_strict_fails_and_writes_nothing(seeds_only, run):
    result = run(seeds_only, "build", "--strict")
    assert result.code == 1
    assert result.err.splitlines()[0] == f"seeds/site.toml: {BASE_URL_UNSET} (--strict)"
    assert not (seeds_only / "output").exists()


def test_with_a_base_url_every_address_is_absolute(seeds_only, run):
    base = "https://user.example/archive/"
    result = run(seeds_only, "build", "--strict", "--base-url", base)
    assert result.code == 0, result.err
    assert "base_url" not in result.err
    out = seeds_only / "output"
    page = lxml.html.fromstring((out / "articles" / SEED_SLUG / "index.html").read_bytes())
    assert page.xpath("//link[@rel='canonical']/@href") == [f"{base}articles/{SEED_SLUG}/"]
    assert page.xpath("//meta[@property='og:url']/@content") == [f"{base}articles/{SEED_SLUG}/"]
    csl = json.loads((out / "articles" / SEED_SLUG / "citation.json").read_text(encoding="utf-8"))[0]
    assert csl["archive_location"] == f"{base}articles/{SEED_SLUG}/"
    assert f"Sitemap: {base}sitemap.xml" in (out / "robots.txt").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]*)</loc>", (out / "sitemap.xml").read_text(encoding="utf-8"))
    assert locs and all(loc.startswith(base) for loc in locs)
    assert f'href="{base}feed.xml"' in (out / "feed.xml").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_sigint
def test_serve_builds_into_its_own_folder_and_leaves_output_untouched(seeds_only, run):
    assert run(seeds_only, "build", "--base-url", "https://user.example/").code == 0
    before = tree_digest(seeds_only / "output")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "serve", "--port", str(port)],
        cwd=seeds_only,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "serving" not in line and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
        assert "serving" in line, line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert tree_digest(seeds_only / "output") == before
    served = seeds_only / ".site-builder-serve"
    page = (served / "articles" / SEED_SLUG / "index.html").read_text(encoding="utf-8")
    assert f"http://127.0.0.1:{port}/articles/{SEED_SLUG}/" in page  # its own address, in its own folder


def test_a_folder_with_only_seeds_builds_with_the_package_theme(seeds_only, run):
    result = run(seeds_only, "build", "--base-url", "https://user.example/")
    assert result.code == 0, result.err
    css = next((seeds_only / "output" / "static").glob("style.*.css"))
    assert css.read_bytes() == (PACKAGE_THEME / "static" / "style.css").read_bytes()


def test_a_projects_templates_override_the_theme_file_by_file(seeds_only, run):
    own = seeds_only / "templates"
    (own / "static").mkdir(parents=True)
    base = (PACKAGE_THEME / "base.html").read_text(encoding="utf-8")
    (own / "base.html").write_text(base.replace("<body>", "<body>\n<p id=own>My own base</p>", 1), encoding="utf-8")
    (own / "static" / "extra.txt").write_text("mine\n", encoding="utf-8")
    result = run(seeds_only, "build", "--base-url", "https://user.example/")
    assert result.code == 0, result.err
    out = seeds_only / "output"
    page = (out / "articles" / SEED_SLUG / "index.html").read_text(encoding="utf-8")
    assert "My own base" in page  # the project's base.html ...
    assert 'class="article' in page or SEED_SLUG in page  # ... under the package's article.html
    assert (out / "static" / "extra.txt").read_text(encoding="utf-8") == "mine\n"
    assert any((out / "static").glob("style.*.css"))  # the package's stylesheet still there


def test_a_missing_templates_folder_given_is_an_error(seeds_only, run):
    result = run(seeds_only, "build", "--templates", "nope")
    assert result.code == 2  # a bad command-line value
    assert result.err == "site-builder: error: argument --templates: folder not found: nope\n"
    assert not (seeds_only / "output").exists()


def test_init_scaffolds_an_archive_that_builds(tmp_path, run):
    result = run(tmp_path, "init", "new-archive")
    assert result.code == 0, result.err
    root = tmp_path / "new-archive"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        ".gitattributes",
        ".gitignore",
        "seeds",
        "seeds/articles",
        "seeds/companies.yaml",
        "seeds/raw",
        "seeds/site.toml",
    ]
    settings = (root / "seeds" / "site.toml").read_text(encoding="utf-8")
    for key in ("base_url", "title", "description", "language", "timezone", "page_size", "feed_size", "publication"):
        assert re.search(rf"^# {key} = ", settings, re.MULTILINE), key
    assert "/output/" in (root / ".gitignore").read_text(encoding="utf-8")
    shutil.copy(SEED_ARTICLE, root / "seeds" / "articles")
    shutil.copy(SEED_RAW, root / "seeds" / "raw")
    shutil.copy(REPO / "seeds" / "companies.yaml", root / "seeds" / "companies.yaml")
    result = run(root, "build")
    assert result.code == 0, result.err
    assert (root / "output" / "articles" / SEED_SLUG / "index.html").is_file()
    empty = tmp_path / "empty"
    assert run(tmp_path, "init", "empty").code == 0
    result = run(empty, "build")  # an archive with no articles yet builds too
    assert result.code == 0, result.err


def test_init_writes_nothing_over_an_existing_archive(tmp_path, run):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "companies.yaml").write_text("[]\n", encoding="utf-8")
    result = run(tmp_path, "init")
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("seeds/companies.yaml: already exists")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["seeds", "seeds/companies.yaml"]


def test_a_missing_source_suggests_init(tmp_path, run):
    result = run(tmp_path, "build")
    assert result.code == 1
    assert result.err.splitlines()[0] == "seeds: source folder not found (`site-builder init` starts a new archive)"
