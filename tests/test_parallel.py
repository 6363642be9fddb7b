"""Bodies converted in a process pool, started while the archive loads: the same site as converting in-process."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from conftest import COMPANY_IDS, fill_the_disk, forking, minimal_front, own_template, tree_digest, write_article
from site_builder.content.markdown import Converter
from site_builder.core.errors import SiteError
from site_builder.core.models import Company
from site_builder.core.platform import can_fork
from site_builder.engine import store as cache_module, workers as parallel
from site_builder.engine.build import Builder

needs_fork = pytest.mark.skipif(
    not can_fork(), reason="no fork here (Windows, portable mode): one process does the work"
)

COUNT = parallel.MIN_PARALLEL + 12  # enough articles for a pool


@pytest.fixture
def big(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")
    for i in range(COUNT):
        companies = "[" + ", ".join(COMPANY_IDS[i % 5 : i % 5 + 2]) + "]"
        body = (
            f"Paragraph {i} names MiniMax and Zhipu, with *emphasis* and `code`.\n\n## Part {i}\n\n"
            f"- one\n- [a link](../note-0/)\n\n> Quote {i % 7}.\n"
        )
        if i % 10 == 0:
            body = "The same body, shared by several articles: MiniMax.\n"  # converted once, given to each
        write_article(
            project,
            f"note-{i:03}.md",
            minimal_front(f"Note {i}", f"2025-{i % 12 + 1:02}-0{i % 9 + 1}T10:00:00+08:00", companies),
            body,
        )
    return project


def _spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the distinct bodies the pool had been given when the model asked for them, the bodies asked for,
    and the bodies converted the usual way, after loading."""
    seen = {"prefetched": 0, "collected": 0, "after": 0}
    real_collect, real_convert = parallel.Prefetch.collect, cache_module.convert_bodies

    def collect(self, texts, **kw):
        seen["prefetched"] += len(self._where)
        seen["collected"] += len(texts)
        return real_collect(self, texts, **kw)

    def convert(companies, href, texts, **kw):
        seen["after"] += len(texts)
        return real_convert(companies, href, texts, **kw)

    monkeypatch.setattr(parallel.Prefetch, "collect", collect)
    monkeypatch.setattr(cache_module, "convert_bodies", convert)
    return seen


UNIQUE = COUNT + 1 - (len(range(0, COUNT, 10)) - 1)  # the seed, and every body but the repeats of the shared one


@needs_fork
def test_a_cold_build_converts_bodies_as_they_load_and_writes_what_one_process_writes(big, monkeypatch):
    seen = _spy(monkeypatch)
    monkeypatch.setattr(cache_module, "cpu_count", lambda: 2)
    Builder(big / "seeds", big / "output", big / "templates").build()
    # every body (the seed's too) was in the pool's hands before loading ended; none was converted after it
    assert seen == {"prefetched": UNIQUE, "collected": COUNT + 1, "after": 0}
    pooled = tree_digest(big / "output")

    monkeypatch.setattr(cache_module, "cpu_count", lambda: 1)  # no pool: every body converted in this process
    seen.update(prefetched=0, collected=0, after=0)
    out = big / "single" / "output"
    Builder(big / "seeds", out, big / "templates").build()
    assert seen == {"prefetched": 0, "collected": 0, "after": COUNT + 1}
    assert tree_digest(out) == pooled


def test_a_warm_build_does_not_start_a_pool_before_loading(big, monkeypatch):
    monkeypatch.setattr(cache_module, "cpu_count", lambda: 2)
    Builder(big / "seeds", big / "output", big / "templates").build()
    seen = _spy(monkeypatch)
    path = big / "seeds" / "articles" / "note-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")
    Builder(big / "seeds", big / "output", big / "templates").build()
    assert seen == {"prefetched": 0, "collected": 0, "after": 1}  # the cache holds the rest


def test_a_build_that_fails_while_loading_leaves_no_worker_behind(big, monkeypatch):
    monkeypatch.setattr(cache_module, "cpu_count", lambda: 2)
    write_article(big, "zzz-broken.md", "title: [unclosed")  # the last file: the pool is converting by then
    with pytest.raises(SiteError) as err:
        Builder(big / "seeds", big / "output", big / "templates").build()
    assert "zzz-broken.md" in str(err.value)
    assert multiprocessing.active_children() == []
    assert not (big / "output").exists()


def _href(cid: str) -> str:  # a module's function: workers that are not forked are given it pickled
    return f"../../companies/{cid}/"


def test_prefetch_gives_back_each_body_in_order_however_often_it_was_added():
    companies = (Company("acme", "Acme", ("ACME Corp",), "d"),)
    href = _href
    texts = [f"Text {i}: Acme *{i % 3}*." for i in range(parallel.MIN_PARALLEL)] * 2
    prefetch = parallel.Prefetch(companies, href, 2)
    try:
        for text in texts[:20]:
            prefetch.add(text)
        got = prefetch.collect(texts)  # the rest are added now
    finally:
        prefetch.close()
    here = Converter(companies, href)
    assert got == [here.convert(t) for t in texts]
    assert multiprocessing.active_children() == []


def test_a_rebuild_takes_file_states_from_the_snapshot_rather_than_looking_each_file_up_again(big, monkeypatch):
    from site_builder.content import load

    builder = Builder(big / "seeds", big / "output", big / "templates")
    builder.build()
    looked_up = []
    real_state = load._state
    monkeypatch.setattr(load, "_state", lambda path: looked_up.append(path.name) or real_state(path))
    path = big / "seeds" / "articles" / "note-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")
    builder.build()
    assert looked_up == ["note-001.md"]  # only once it was read, to be sure it did not change meanwhile
    assert builder.last is not None and builder.last.converted == 1


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@forking
def test_pages_made_by_two_processes_fail_the_same_way_every_time(big, run, monkeypatch):
    """A template error met while two processes make the pages: the error of the first page in order, whichever
    process met it; exit 1, the previous site untouched, no worker left."""
    monkeypatch.setattr(cache_module, "cpu_count", lambda: 2)
    monkeypatch.setattr("site_builder.engine.build.cpu_count", lambda: 2)
    assert run(big, "build").code == 0
    before = tree_digest(big / "output")
    _break(own_template(big, "company.html"), "{% block main %}", "{% block main %}{{ no_such_thing }}")
    _break(own_template(big, "article.html"), "{% block main %}", "{% block main %}{{ nor_this }}")
    results = [run(big, "build") for _ in range(3)]
    assert {r.code for r in results} == {1}
    assert len({r.err for r in results}) == 1, [r.err for r in results]
    # article pages come before company pages in the order outputs are made
    assert results[0].err.startswith("templates/article.html:"), results[0].err
    assert "'nor_this' is undefined" in results[0].err
    assert tree_digest(big / "output") == before
    assert multiprocessing.active_children() == []


@needs_fork
@forking
def test_a_full_disk_met_by_the_other_writing_process_is_the_same_clear_error(big, run, monkeypatch):
    monkeypatch.setattr("site_builder.engine.build.cpu_count", lambda: 2)
    assert run(big, "build").code == 0
    before = tree_digest(big / "output")
    (big / "seeds" / "site.toml").write_text(
        (big / "seeds" / "site.toml").read_text().replace('title = "Source Archive"', 'title = "Another Archive"')
    )  # every page changes
    parent = os.getpid()
    fill_the_disk(monkeypatch, here=lambda: os.getpid() != parent)  # only the forked writer runs out of space
    result = run(big, "build")
    monkeypatch.undo()
    assert result.code == 1
    assert result.err == "output: cannot write the site: No space left on device\n1 error; nothing was written\n"
    assert tree_digest(big / "output") == before


@needs_fork
def test_a_long_cold_build_shows_its_progress_while_the_bodies_load(big, monkeypatch):
    """The bar starts as the pool does, sized by the article files, and moves as the workers finish bodies."""
    monkeypatch.setattr(cache_module, "cpu_count", lambda: 2)
    monkeypatch.setattr(cache_module, "PROGRESS_MIN", 10)
    bars = []

    class Bar:
        def __init__(self, total):
            self.total, self.done, self.closed = total, 0, False
            bars.append(self)

        def update(self, n):
            self.done += n

        def close(self):
            self.closed = True

    Builder(big / "seeds", big / "output", big / "templates", progress=Bar).build()
    (bar,) = bars
    assert (bar.total, bar.done, bar.closed) == (COUNT + 1, UNIQUE, True)
