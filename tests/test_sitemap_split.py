"""A sitemap past the protocol's limits (50,000 URLs, 50 MB a file): sitemap.xml becomes a sitemap index of parts
(sitemaps/sitemap-N.xml). The limits are lowered here so a small archive crosses them."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from conftest import BASE, minimal_front, tree_digest, write_article, write_notes
from site_builder.engine.build import Builder

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FEEDS = "site_builder.outputs.feeds"


@pytest.fixture
def archive(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real seed plus six notes, with the sitemap limited to 3 URLs a file."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")  # no search index: these tests are about the sitemap
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 3)
    write_notes(project)
    return project


def _build(project: Path, out: Path, cache: bool = False) -> Builder:
    builder = Builder(project / "seeds", out, project / "templates", cache=cache)
    builder.build()
    return builder


def _clean(project: Path) -> dict[str, str]:
    out = project / "clean" / "output"
    shutil.rmtree(out, ignore_errors=True)
    _build(project, out)
    return tree_digest(out)


def _urls(path: Path) -> list[tuple[str, str | None]]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{NS}urlset"
    return [(u.findtext(f"{NS}loc") or "", u.findtext(f"{NS}lastmod")) for u in root.findall(f"{NS}url")]


def _index(out: Path) -> list[tuple[str, str | None]]:
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{NS}sitemapindex"
    return [(s.findtext(f"{NS}loc") or "", s.findtext(f"{NS}lastmod")) for s in root.findall(f"{NS}sitemap")]


def _when(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_past_the_limit_sitemap_xml_is_an_index_of_parts_listing_every_page_once_in_order(archive, monkeypatch):
    whole = archive / "whole"
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 50_000)
    _build(archive, whole)
    every = _urls(whole / "sitemap.xml")  # the one urlset below the limit: the reference order
    assert not (whole / "sitemaps").exists()
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 3)
    out = archive / "output"
    _build(archive, out)
    index = _index(out)
    n = -(-len(every) // 3)
    assert n > 3
    assert [loc for loc, _ in index] == [f"{BASE}sitemaps/sitemap-{i}.xml" for i in range(1, n + 1)]
    assert sorted(p.name for p in (out / "sitemaps").iterdir()) == sorted(f"sitemap-{i}.xml" for i in range(1, n + 1))
    listed = []
    undated = 0
    for i, (_, lastmod) in enumerate(index, start=1):
        part = _urls(out / f"sitemaps/sitemap-{i}.xml")
        assert 1 <= len(part) <= 3
        listed += part
        dates = [m for _, m in part if m is not None]
        if dates:  # the index gives each part the latest lastmod of its URLs
            assert lastmod is not None and _when(lastmod) == max(_when(m) for m in dates)
        else:
            assert lastmod is None
            undated += 1
    assert undated > 0 and undated < n
    assert listed == every  # every page once, in the same order, with the same lastmod
    robots = (out / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in robots if line.lower().startswith("sitemap:")] == [f"Sitemap: {BASE}sitemap.xml"]
    again = archive / "again"
    _build(archive, again)
    assert tree_digest(again) == tree_digest(out)  # deterministic, byte for byte


def test_every_file_stays_within_the_byte_limit_and_a_file_exactly_at_it_is_not_split(archive, monkeypatch):
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 50_000)
    whole = archive / "whole"
    _build(archive, whole)
    size = (whole / "sitemap.xml").stat().st_size
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_BYTES", size)  # the estimate is exact for the package's template
    exact = archive / "exact"
    _build(archive, exact)
    assert (exact / "sitemap.xml").read_bytes() == (whole / "sitemap.xml").read_bytes()
    limit = 1000
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_BYTES", limit)
    out = archive / "output"
    _build(archive, out)
    parts = sorted((out / "sitemaps").iterdir())
    assert len(parts) == len(_index(out)) > size // limit
    assert all(p.stat().st_size <= limit for p in parts)
    assert [u for i in range(1, len(parts) + 1) for u in _urls(out / f"sitemaps/sitemap-{i}.xml")] == _urls(
        whole / "sitemap.xml"
    )
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_BYTES", size - 1)
    over = archive / "over"
    _build(archive, over)
    assert len(_index(over)) == 2


def _records(builder: Builder) -> dict[str, bytes]:
    return {p: r[0] for p, r in builder._state.records.items()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_remakes_only_the_part_that_shows_it_and_the_index(archive):
    builder = _build(archive, archive / "output", cache=True)
    part = next(
        p.relative_to(archive / "output").as_posix()
        for p in sorted((archive / "output/sitemaps").iterdir())
        if any(loc == f"{BASE}articles/note-2/" for loc, _ in _urls(p))
    )
    before = _records(builder)
    note = archive / "seeds/articles/note-2.md"
    _edit(note, "MiniMax in note 2.", "MiniMax in note 2, edited.")  # its body: no lastmod changes
    builder.build()
    after = _records(builder)
    assert {p for p in after if "sitemap" in p and after[p] != before[p]} == set()
    assert tree_digest(archive / "output") == _clean(archive)
    _edit(note, "title: 'Note 2'", "title: 'Note 2'\nupdated: 2026-05-01T08:00:00+00:00")  # its lastmod
    builder.build()
    changed = {p for p, k in _records(builder).items() if "sitemap" in p and k != after.get(p)}
    assert changed == {part, "sitemap.xml"}
    assert ("2026-05-01T08:00:00+00:00") in (archive / "output" / part).read_text(encoding="utf-8")
    assert tree_digest(archive / "output") == _clean(archive)  # incremental == clean


def test_growing_past_the_limit_and_back_leaves_no_stale_part(archive, run, monkeypatch):
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 50_000)
    assert run(archive, "build").code == 0
    assert _urls(archive / "output/sitemap.xml")
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 3)
    write_article(archive, "note-9.md", minimal_front("Note nine", "2026-02-09T12:00:00+08:00", "[minimax]"))
    result = run(archive, "build")
    assert result.code == 0, result.err
    assert _index(archive / "output") and tree_digest(archive / "output") == _clean(archive)
    monkeypatch.setattr(f"{FEEDS}.SITEMAP_URLS", 50_000)
    (archive / "seeds/articles/note-9.md").unlink()
    assert run(archive, "build").code == 0
    assert not (archive / "output/sitemaps").exists()
    assert _urls(archive / "output/sitemap.xml")
    assert tree_digest(archive / "output") == _clean(archive)
