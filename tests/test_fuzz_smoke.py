"""The archive fuzzer (tests/fuzz/fuzz_archive.py) in the normal suite: a few fixed benign cases must give no
finding, its checks must catch what they are meant to catch, and a case must be the same every time it is made.

The fuzzer's hostile generators find bugs (run it on its own: `python3 tests/fuzz/fuzz_archive.py --minutes 10`);
here only its "smoke" profile runs: the real archive unchanged, hostile-but-printable text, a body of raw HTML,
a second article with an alias, a refused value. Every one is checked with all of the fuzzer's invariants
(no traceback, no write outside output/, check and build agree, a failed build leaves output/ alone, every
page, feed and JSON file parses), which hold on today's code and must hold on any fixed code.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import REPO

_SPEC = importlib.util.spec_from_file_location("fuzz_archive", REPO / "tests" / "fuzz" / "fuzz_archive.py")
fuzz = importlib.util.module_from_spec(_SPEC)
sys.modules["fuzz_archive"] = fuzz
_SPEC.loader.exec_module(fuzz)

SMOKE = [g.name for g in fuzz.GENERATORS if g.benign]


@pytest.mark.parametrize("case", range(len(SMOKE)), ids=SMOKE)
def test_a_benign_fuzz_case_gives_no_finding(case):
    findings, applied = fuzz.run_case(0, case, profile="smoke")
    assert applied == [SMOKE[case]]
    assert [(f.kind, f.signature, f.detail) for f in findings] == []


def test_a_case_is_made_the_same_every_time(tmp_path):
    """--replay SEED:CASE rebuilds exactly the archive that gave a finding."""
    trees = []
    for n in range(2):
        root = tmp_path / str(n)
        root.mkdir()
        case, applied = fuzz.make_case(7, 11, root)
        trees.append(
            (applied, case.base_url, case.output, {p: v[:3] for p, v in fuzz.snapshot(root).items()})
        )  # content, not mtimes
    assert trees[0] == trees[1]


def _site(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    (out / "raw").mkdir(parents=True)
    (tmp_path / "seeds" / "raw").mkdir(parents=True)
    (tmp_path / "seeds" / "raw" / "a.txt").write_bytes(b"original")
    (out / "raw" / "a.txt").write_bytes(b"original")
    (out / "index.html").write_text(
        "<!DOCTYPE html><html lang=en><head><title>t</title></head><body><p>x</p></body></html>"
    )
    (out / "feed.xml").write_text("<feed/>")
    (out / "feed.json").write_text("{}")
    (out / "_redirects").write_text("# comment\n/old/ /new/ 301\n")
    (out / "robots.txt").write_text("User-agent: *\nAllow: /\n\nSitemap: https://example.org/sitemap.xml\n")
    return out


def test_the_output_checks_pass_a_good_site(tmp_path):
    out = _site(tmp_path)
    assert fuzz.check_output(out, tmp_path / "seeds") == []


@pytest.mark.parametrize(
    "path, text",
    [
        ("index.html", "<!DOCTYPE html><html lang=en><head><title>t</title></head><body><p>x&#7;</p></body></html>"),
        (
            "index.html",
            "<!DOCTYPE html><html lang=en><head><title>t</title></head><body><script>x</script></body></html>",
        ),
        (
            "index.html",
            (
                "<!DOCTYPE html><html lang=en><head><title>t</title></head><body><a href='javascript:x'>a</a>"
                "</body></html>"
            ),
        ),
        ("feed.xml", "<feed>]]></fee>"),
        ("feed.json", "{"),
        ("_redirects", "/old/ /new/\n/x/ 301 /y/ /z/ 301\n"),
        ("robots.txt", "User-agent: *\nAllow: /\n\nSitemap: https://example.org/\nDisallow: /\nsitemap.xml\n"),
        ("articles/a/citation.bib", "@article{a, title = {x}}}\n"),
        ("raw/a.txt", "changed"),
        ("raw/b.html", "<p>b</p>"),
    ],
)
def test_the_output_checks_catch_each_kind_of_ill_formed_file(tmp_path, path, text):
    out = _site(tmp_path)
    (out / path).parent.mkdir(parents=True, exist_ok=True)
    (out / path).write_text(text)
    assert {p for p, _ in fuzz.check_output(out, tmp_path / "seeds")} == {path}


def test_a_write_outside_the_output_is_caught(tmp_path):
    (tmp_path / "project" / "output").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    before = fuzz.snapshot(tmp_path)
    (tmp_path / "project" / "output" / "index.html").write_text("fine")
    (tmp_path / "project" / ".output.lock").write_text("")
    (tmp_path / "outside" / "pwned").write_text("not fine")
    _, zone = fuzz._output_zone(fuzz.Case(None, tmp_path))
    changed = fuzz._changed(before, fuzz.snapshot(tmp_path))
    assert [p for p in changed if not fuzz._allowed(p, zone)] == ["outside/pwned"]


def test_a_plain_article_without_a_page_is_caught(tmp_path):
    case = fuzz.Case(None, tmp_path)
    (case.seeds / "articles").mkdir(parents=True)
    (case.seeds / "articles" / "Hello World.md").write_text("---\ntitle: x\n---\n\nbody\n")
    (case.seeds / "articles" / "given.md").write_text("---\nslug: other\n---\n\nbody\n")
    (case.seeds / "articles" / "draft.md").write_text("---\ndraft: true\n---\n\nbody\n")
    out = tmp_path / "output"
    (out / "articles" / "hello-world").mkdir(parents=True)
    assert fuzz._lost_articles(case, out, "built output/") == ["given.md"]
    (out / "articles" / "other").mkdir()
    assert fuzz._lost_articles(case, out, "built output/") == []
