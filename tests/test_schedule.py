"""Time that means one instant: drafts never publish, future articles wait for a build at or after their date
("now" from SOURCE_DATE_EPOCH, else the clock), the build lists what it held back, and builds are reproducible."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import REPO, SEED_RAW, minimal_front, tree_digest, write_article
from depth import EPOCH, build, write_depth_articles
from site_builder.model.schedule import build_now

FUTURE = "2026-03-01T10:00:01+08:00"  # one second after EPOCH


def every_text(out: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if (p.is_file() and p.suffix in (".html", ".xml", ".json", ".txt", ".bib")) or p.name == "_redirects"
    )


@pytest.fixture
def scheduled(project: Path) -> Path:
    write_article(
        project,
        "future.md",
        minimal_front(title="Tomorrow's piece", published=FUTURE, companies="[minimax]", extra="slug: future"),
        body="MiniMax will say something.\n",
    )
    return project


def test_a_future_article_is_held_back_and_listed(scheduled, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = run(scheduled, "build")
    assert result.code == 0, result.err
    assert f"held back until its date: seeds/articles/future.md ({FUTURE})\n" in result.out
    out = scheduled / "output"
    assert not (out / "articles/future").exists()
    assert "Tomorrow" not in every_text(out) and "articles/future" not in every_text(out)
    assert json.loads((out / "api/articles.json").read_text(encoding="utf-8"))["count"] == 1


@pytest.mark.parametrize("epoch", [str(int(EPOCH) + 1), str(int(EPOCH) + 86400)])
def test_the_held_back_article_appears_once_now_reaches_its_date(scheduled, run, monkeypatch, epoch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)  # exactly at its date, and a day later
    result = run(scheduled, "build")
    assert result.code == 0, result.err
    assert "held back" not in result.out
    out = scheduled / "output"
    assert (out / "articles/future/index.html").is_file()
    assert "Tomorrow&#39;s piece" in (out / "index.html").read_text(encoding="utf-8")
    assert "articles/future/" in (out / "feed.xml").read_text(encoding="utf-8")
    assert "articles/future/" in (out / "companies/minimax/index.html").read_text(encoding="utf-8")


def test_without_source_date_epoch_the_clock_decides(scheduled, run, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write_article(
        scheduled, "far.md", minimal_front(title="Far", published="2999-01-01T00:00:00+00:00", extra="slug: far")
    )
    result = run(scheduled, "build")
    assert result.code == 0, result.err
    assert "held back until its date: seeds/articles/far.md (2999-01-01T00:00:00+00:00)" in result.out
    assert (scheduled / "output/articles/future/index.html").is_file()  # 2026-03-01 has passed by the clock
    assert not (scheduled / "output/articles/far").exists()


def test_drafts_are_never_published_nor_listed_as_held_back(project, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    write_article(project, "d.md", minimal_front(title="Draft", published=FUTURE, extra="draft: true\nslug: d"))
    result = run(project, "build")
    assert result.code == 0 and "held back" not in result.out
    assert not (project / "output/articles/d").exists()


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5", "99999999999999999999"])
def test_a_bad_source_date_epoch_is_an_error(project, run, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = run(project, "build")
    assert result.code == 1
    assert result.err.startswith(
        f"environment: SOURCE_DATE_EPOCH: expected whole seconds since 1970-01-01T00:00:00Z, got {value!r}\n"
    )
    assert not (project / "output").exists()


def test_build_now_reads_source_date_epoch():
    assert build_now({"SOURCE_DATE_EPOCH": EPOCH}) == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert abs((build_now({}) - datetime.now(UTC)).total_seconds()) < 60


def test_builds_with_source_date_epoch_are_byte_identical(tmp_path):
    for name in ("one", "two"):
        shutil.copytree(REPO / "seeds", tmp_path / name / "seeds")
        write_depth_articles(tmp_path / name)
        assert build(tmp_path / name) == 0
    assert tree_digest(tmp_path / "one/output") == tree_digest(tmp_path / "two/output")


def test_a_date_without_an_offset_is_still_an_error(project, run):
    write_article(project, "a.md", minimal_front(extra="retrieved: 2026-02-02T09:30:00"))
    result = run(project, "build")
    assert result.err.startswith("seeds/articles/a.md:6: retrieved: date and time have no UTC offset")


# ---------------------------------------------------------------- import --retrieved


def imported_front(project: Path) -> str:
    return next((project / "seeds/articles").glob("gt-voice-*.md")).read_text(encoding="utf-8").split("\n---\n")[0]


def test_import_writes_retrieved_with_its_offset_when_given(project, run):
    result = run(project, "import", f"seeds/raw/{SEED_RAW.name}", "--force", "--retrieved", "2026-01-16T09:30:00+08:00")
    assert result.code == 0, result.err
    assert "\nretrieved: '2026-01-16T09:30:00+08:00'\n" in imported_front(project)


def test_reimport_keeps_the_recorded_retrieved_time(project, run):
    run(project, "import", f"seeds/raw/{SEED_RAW.name}", "--force", "--retrieved", "2026-01-16T09:30:00+08:00")
    assert run(project, "import", f"seeds/raw/{SEED_RAW.name}", "--force").code == 0
    assert "\nretrieved: '2026-01-16T09:30:00+08:00'\n" in imported_front(project)


def test_import_without_retrieved_writes_none_rather_than_the_clock(project, run):
    assert run(project, "import", f"seeds/raw/{SEED_RAW.name}", "--force").code == 0
    assert "retrieved" not in imported_front(project)


@pytest.mark.parametrize("value", ["2026-01-16T09:30:00", "16 Jan 2026"])
def test_import_refuses_a_retrieved_time_without_an_offset(project, run, value):
    result = run(project, "import", f"seeds/raw/{SEED_RAW.name}", "--force", "--retrieved", value)
    assert result.code == 2
    assert "--retrieved" in result.err


def test_a_rebuild_of_the_same_input_publishes_the_article_once_its_date_passes(scheduled, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert "held back" in run(scheduled, "build").out
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 1))  # nothing else changed: only "now"
    result = run(scheduled, "build")
    assert result.code == 0 and "held back" not in result.out
    assert (scheduled / "output/articles/future/index.html").is_file()


def test_import_takes_retrieved_from_the_raw_files_own_line(project, run):
    raw = project / "incoming.txt"
    text = SEED_RAW.read_text(encoding="utf-8").replace(
        "Illustration: Liu Xidan/GT\n", "Illustration: Liu Xidan/GT\nRetrieved: 2026-01-16T01:30:00Z\n", 1
    )
    raw.write_text(text, encoding="utf-8")
    result = run(project, "import", "incoming.txt", "--force")
    assert result.code == 0, result.err
    front = next((project / "seeds/articles").glob("gt-voice-*.md")).read_text(encoding="utf-8")
    assert "\nretrieved: '2026-01-16T01:30:00+00:00'\n" in front
    assert "Retrieved" not in front.split("\n---\n", 1)[1]  # the header line is not body text
    result = run(project, "import", "incoming.txt", "--force", "--retrieved", "2026-01-17T08:00:00+08:00")
    assert "\nretrieved: '2026-01-17T08:00:00+08:00'\n" in imported_front(project)  # the option wins


def test_a_retrieved_line_without_an_offset_is_an_error_at_its_line(project, run):
    raw = project / "incoming.txt"
    raw.write_text(
        "SOURCE / GT VOICE\nA title\nPublished: Jan 15, 2026 11:42 PM\nRetrieved: 2026-01-16T09:30:00\n\nBody.\n",
        encoding="utf-8",
    )
    result = run(project, "import", "incoming.txt")
    assert result.code == 1
    assert result.err.startswith("incoming.txt:4: Retrieved: '2026-01-16T09:30:00' has no UTC offset")
