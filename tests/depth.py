"""A small archive for the archive-depth tests: the seed plus three articles, two sources, aliases, a future one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, minimal_front, write_article
from site_builder.cli import main
from site_builder.outputs.theme import PACKAGE_THEME

BASE = "https://example.org/sub/"
EPOCH = "1772330400"  # 2026-03-01T02:00:00Z = 2026-03-01T10:00:00+08:00


def front(title: str, published: str, companies: str, source: str = "Global Times", extra: str = "") -> str:
    """Front matter with a chosen source."""
    return minimal_front(title=title, published=published, companies=companies, extra=extra).replace(
        "source: Test Source", f"source: {source}"
    )


def write_depth_articles(root: Path) -> None:
    """Three more articles: two in GT Voice (one with aliases and a retrieved time), one from another source."""
    write_article(
        root,
        "second.md",
        front(
            "Second: MiniMax & GigaDevice {R&D} 100% up_now",
            "2026-02-01T10:00:00+08:00",
            "[minimax, gigadevice-semiconductor]",
            extra="column: GT Voice\nslug: second\nillustration: Jane Doe/GT\nurl: https://example.com/news/2?a=1&b=2\n"
            "retrieved: 2026-02-02T09:30:00+08:00\naliases: [articles/old-second/, /legacy/second.html]",
        ),
        body="MiniMax and GigaDevice Semiconductor grew.\n",
    )
    write_article(
        root,
        "third.md",
        front("Third", "2026-01-20T08:00:00-05:00", "[minimax]", source="Other Paper", extra="slug: third"),
        body="MiniMax again.\n",
    )
    write_article(
        root,
        "fourth.md",
        front(
            "Fourth",
            "2026-02-28T10:00:00+08:00",
            "[minimax, gigadevice-semiconductor, knowledge-atlas-technology]",
            extra="column: GT Voice\nslug: fourth",
        ),
        body="MiniMax, GigaDevice Semiconductor and Zhipu.\n",
    )
    write_article(
        root,
        "future.md",
        front("Future piece", "2026-03-01T10:00:01+08:00", "[minimax]", extra="slug: future"),
        body="MiniMax tomorrow.\n",
    )


def build(root: Path, *extra: str, epoch: str = EPOCH) -> int:
    """Build root/seeds into root/output with SOURCE_DATE_EPOCH=epoch; the exit code."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", epoch)
        return main(
            [
                "build",
                "--source",
                str(root / "seeds"),
                "--templates",
                str(PACKAGE_THEME),
                "--output",
                str(root / "output"),
                *extra,
            ]
        )


def make_depth_site(root: Path) -> Path:
    """Copy the seeds into root, add the depth articles, build for BASE; the output folder."""
    shutil.copytree(REPO / "seeds", root / "seeds")
    write_depth_articles(root)
    assert build(root, "--base-url", BASE) == 0
    return root / "output"


def page(out: Path, path: str) -> lxml.html.HtmlElement:
    """A built page, parsed."""
    return lxml.html.document_fromstring((out / path).read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))


def load_json(out: Path, path: str):
    """A built JSON file, checked to be stable (sorted keys, 2-space indent, one final newline)."""
    text = (out / path).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n", path
    return data
