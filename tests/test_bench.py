"""The benchmark's generator writes the same archive for the three tools, in two shapes, and its report judges targets."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import run as bench_run
from generate import generate

N = 12


def split(text: str) -> tuple[dict[str, str], str]:
    """Front matter (`---` YAML of flat keys, or Pelican's `Key: value` lines) as lower-case keys, and the body."""
    if text.startswith("---\n"):
        head, body = text[4:].split("\n---\n\n", 1)
    else:
        head, body = text.split("\n\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    return {k.lower(): v.strip('"') for k, v in fields.items()}, body


def read(root: Path) -> dict[str, list[tuple[str, datetime, str, str | None]]]:
    """Per tool: (slug, date, title, illustration) and the body of each article, by file name."""
    folders = {"ours": "ours/seeds/articles", "pelican": "pelican/content", "hugo": "hugo/content/articles"}
    found = {}
    for tool, folder in folders.items():
        rows = []
        for path in sorted((root / folder).glob("*.md")):
            fields, body = split(path.read_text(encoding="utf-8"))
            when = datetime.fromisoformat(fields.get("published") or fields["date"])
            rows.append((path.stem, when, fields["title"], fields.get("illustration"), body))
        found[tool] = rows
    return found


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    for shape in ("prose", "markdown"):
        generate(N, 3, root / shape, shape)
    return {"prose": root / "prose", "markdown": root / "markdown"}


@pytest.mark.parametrize("shape", ["prose", "markdown"])
def test_the_three_tools_get_the_same_articles(archives, shape):
    tools = read(archives[shape])
    assert len(tools["ours"]) == N
    assert tools["pelican"] == tools["ours"] and tools["hugo"] == tools["ours"]
    assert len({row[2] for row in tools["ours"]}) == N  # distinct titles


def test_both_shapes_have_the_same_titles_and_dates_and_different_bodies(archives):
    prose, markdown = read(archives["prose"])["ours"], read(archives["markdown"])["ours"]
    assert [row[:3] for row in prose] == [row[:3] for row in markdown]
    assert all(p[4] != m[4] for p, m in zip(prose, markdown, strict=True))


def test_the_same_seed_writes_the_same_files_and_another_seed_others(archives, tmp_path):
    generate(N, 3, tmp_path / "again", "markdown")
    generate(N, 4, tmp_path / "other", "markdown")
    files = sorted(p.relative_to(archives["markdown"]) for p in archives["markdown"].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    for rel in files:
        assert (tmp_path / "again" / rel).read_bytes() == (archives["markdown"] / rel).read_bytes(), rel
    assert read(tmp_path / "other")["ours"] != read(archives["markdown"])["ours"]


def test_the_markdown_shape_is_markdown_heavy_and_the_prose_shape_plain_paragraphs(archives):
    markdown = "\n".join(row[4] for row in read(archives["markdown"])["ours"])
    for construct in (
        r"^```python$",
        r"^    - \S",
        r"^\d\. \S",
        r"^- \S",
        r"^## \S",
        r"^### \S",
        r"^> \S",
        r"\*\*\w+\*\*",
        r"(?<!\*)\*\w+\*(?!\*)",
        r"`\w+`",
        r"\]\(https://",
        r"\]\[r1\]",
        r"^\[r1\]: https://",
    ):
        assert re.search(construct, markdown, re.M), construct
    for _, _, _, illustration, body in read(archives["prose"])["ours"]:
        assert not re.search(r"^(#|-|>|\d\.|    |```)|[*_`\[\]<]", body, re.M), body
        assert 800 <= len(body.split()) <= 1100
        assert illustration and illustration.endswith("/Bench Wire")


def test_keep_reuses_a_complete_archive_with_the_same_arguments_only(tmp_path):
    out = tmp_path / "a"
    assert generate(3, 1, out, "prose", ["ours", "hugo"], keep=True)
    marker = out / "ours" / "output-left-by-a-build"
    marker.write_text("x")
    assert not generate(3, 1, out, "prose", ["hugo"], keep=True)  # fewer tools: this archive will do
    assert marker.exists()
    assert generate(3, 1, out, "prose", ["ours", "pelican"], keep=True)  # Pelican's folder is missing
    assert not marker.exists() and (out / "pelican" / "content" / "article-00002.md").is_file()
    for changed in ({"n": 4}, {"seed": 2}, {"shape": "markdown"}):
        args = {"n": 3, "seed": 1, "shape": "prose", **changed}
        assert generate(args["n"], args["seed"], out, args["shape"], ["ours"], keep=True), changed
        assert not generate(args["n"], args["seed"], out, args["shape"], ["ours"], keep=True), changed
    (out / "stamp.json").unlink()  # as an interrupted generation leaves it
    assert generate(3, 1, out, "markdown", ["ours"], keep=True)


def cold(ours: float, hugo: float | None, rss: float, pelican: float | None = None) -> dict:
    tools = {"ours": {"wall": ours, "cpu": ours, "rss": rss}}
    for name, wall in (("hugo", hugo), ("pelican", pelican)):
        if wall is not None:
            tools[name] = {"wall": wall, "cpu": wall, "rss": 500.0}
    return tools


def size(
    ours: float,
    hugo: float | None,
    rss: float,
    edit: float,
    nochange: float,
    rewritten: int,
    pelican: float | None = None,
) -> dict:
    skipped = [] if pelican else ["pelican"]
    return {
        "tools": ["ours", "hugo"],
        "skipped": skipped,
        "cold": cold(ours, hugo, rss, pelican),
        "edit": cold(edit, hugo, rss, pelican and pelican / 2),
        "nochange": cold(nochange, None, 20.0),
        "nochange_rewritten": rewritten,
        "files": {"ours": 10, "hugo": 5},
    }


def verdicts(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The targets' rows of a report: (case, target) -> (figure, verdict)."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and (cells[3] in ("met", "**missed**", "") and cells[2].startswith(("≤", "<"))):
            rows[cells[0], cells[2]] = cells[1], cells[3]
    return rows


def test_the_report_computes_the_ratios_and_says_which_targets_are_met():
    shape = {
        "1000": size(5.0, 2.0, 70.0, 0.5, 0.2, 0, pelican=15.0),
        "20000": size(40.0, 50.0, 800.0, 0.7, 0.3, 0),
        "100000": size(200.0, None, 1100.0, 0.8, 0.3, 2),
    }
    shape["1000"]["serve"] = {"seconds": 0.25, "written": 3}
    results = {
        "versions": {"machine": "test box", "hugo": "hugo v0"},
        "command": "python3 bench/run.py --runs 1",
        "runs": 1,
        "seed": 1,
        "shapes": {"prose": shape, "markdown": {"1000": shape["1000"]}},
    }
    text = bench_run.report(results)
    assert "python3 bench/run.py --runs 1" in text and "test box" in text
    assert "### Shape `prose`" in text and "### Shape `markdown`" in text
    assert "Pelican at N=20,000" in text and "Pelican at N=100,000" in text
    prose = verdicts(text.split("### Shape `markdown`")[0])
    assert prose == {
        ("peak memory, cold build, N=100,000", "≤ 1 GiB and ≤ 1.5 × N=20,000"): (
            "1100 MiB, 1.38 × N=20,000 (800 MiB)",
            "**missed**",
        ),
        ("cold build, N=100,000 ÷ N=20,000", "≤ 5.5"): ("5.00 (200.00 ÷ 40.00)", "met"),
        ("cold build, N=20,000", "≤ 0.75 × Hugo"): ("0.80 × Hugo (40.00 s / 50.00 s)", "**missed**"),
        ("rebuild after editing one body, N=100,000", "≤ 1.0 s"): ("0.80 s", "met"),
        ("rebuild with nothing changed, N=100,000", "≤ 0.5 s, no file rewritten"): (
            "0.30 s, 2 files rewritten",
            "**missed**",
        ),
        ("cold build, N=1,000", "≤ 3.00 × Hugo"): ("2.50 × Hugo (5.00 s / 2.00 s)", "met"),
        ("cold build, N=1,000", "≤ 0.40 × Pelican"): ("0.33 × Pelican (5.00 s / 15.00 s)", "met"),
        ("cold build, N=5,000", "≤ 0.40 × Pelican"): ("not measured", ""),
        ("cold build, N=5,000 ÷ N=1,000", "≤ 5.5"): ("not measured", ""),
        ("rebuild after editing one body, N=1,000", "≤ 0.15 × Pelican"): ("0.07 × Pelican (0.50 s / 7.50 s)", "met"),
        ("rebuild with nothing changed, N=1,000", "≤ 5 % of our cold build, none rewritten"): (
            "4.0 % of our cold build, 0 files rewritten",
            "met",
        ),
        ("`serve` rebuild after one edit, N=1,000", "< 0.2 s"): ("0.250 s", "**missed**"),
        ("peak memory, cold build, N=5,000", "≤ 0.30 × Hugo"): ("not measured", ""),
    }
    markdown = verdicts(text.split("### Shape `markdown`")[1])
    assert markdown["cold build, N=20,000", "≤ 0.75 × Hugo"] == ("not measured", "")
    assert markdown["cold build, N=1,000", "≤ 3.00 × Hugo"] == ("2.50 × Hugo (5.00 s / 2.00 s)", "met")
