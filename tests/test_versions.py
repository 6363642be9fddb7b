"""Corrections tracked over time: an import of a changed original of an article the archive has (its url) keeps
both originals, records a version, and the site shows each version and what changed, word by word."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
from pathlib import Path

import html5lib
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from conftest import minimal_front, tree_digest, write_article
from site_builder.engine.build import Builder
from site_builder.outputs import diffs
from site_builder.outputs.diffs import diff_html, word_diff
from test_browser import browser  # noqa: F401 - the session's headless Chromium, for the axe test

URL = "https://news.example/acme"
SLUG = "chip-maker-acme-semiconductor-co-raises-funds"
ARTICLE = f"seeds/articles/{SLUG}.md"
V1 = """BUSINESS / MARKETS
Chip maker Acme Semiconductor Co raises funds
Published: Jan 16, 2026 9:00 AM
Retrieved: 2026-01-16T10:00:00+08:00

Acme Semiconductor Co said on Friday it raised 1 billion yuan <not a tag>. MiniMax was not involved.

The money goes to a new plant in Wuxi.
"""
V2 = (
    V1.replace("1 billion", "1.2 billion")
    .replace("2026-01-16T10", "2026-01-17T10")
    .replace("new plant", "new fab & <b>more</b>")
)
V3 = V2.replace("2026-01-17T10", "2026-01-18T10").replace("Chip maker", "Chipmaker")


@pytest.fixture
def archive(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeds plus incoming/v1/story.txt, v2/ and v3/ (three versions of one story, each named story.txt)."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")
    for name, text in (("v1", V1), ("v2", V2), ("v3", V3)):
        (project / "incoming" / name).mkdir(parents=True)
        (project / "incoming" / name / "story.txt").write_text(text, encoding="utf-8")
    return project


def front(project: Path) -> dict:
    return yaml.safe_load((project / ARTICLE).read_text(encoding="utf-8").split("---\n")[1])


def page(out: Path, path: str):
    return html5lib.parse((out / path).read_bytes(), treebuilder="lxml", namespaceHTMLElements=False).getroot()


def text(el) -> str:
    return "".join(el.itertext())


def _stats(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
    }


# ---------------------------------------------------------------- import


def test_a_changed_original_with_the_same_url_becomes_version_2_and_keeps_both(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    first = (archive / ARTICLE).read_text(encoding="utf-8")
    assert "versions:" not in first and "updated:" not in first  # one version: the front matter import always wrote
    result = run(archive, "import", "incoming/v2/story.txt", "--url", URL)
    assert result.code == 0, result.err
    sha1 = hashlib.sha256(V1.encode()).hexdigest()
    sha2 = hashlib.sha256(V2.encode()).hexdigest()
    kept = f"story-{sha2[:12]}.txt"
    assert result.out.splitlines()[0] == (f"updated {ARTICLE}: version 2 of {URL}, retrieved 2026-01-17T10:00:00+08:00")
    assert (archive / "seeds/raw/story.txt").read_text(encoding="utf-8") == V1  # both originals, byte for byte
    assert (archive / f"seeds/raw/{kept}").read_text(encoding="utf-8") == V2
    meta = front(archive)
    assert meta["versions"] == [
        {"original": "raw/story.txt", "sha256": sha1, "retrieved": "2026-01-16T10:00:00+08:00"},
        {"original": f"raw/{kept}", "sha256": sha2, "retrieved": "2026-01-17T10:00:00+08:00"},
    ]
    assert (meta["raw"], meta["raw_sha256"]) == (f"raw/{kept}", sha2)
    assert meta["updated"] == meta["retrieved"] == "2026-01-17T10:00:00+08:00"
    body = (archive / ARTICLE).read_text(encoding="utf-8").split("---\n", 2)[2]
    assert "1.2 billion" in body and "1 billion" not in body


def test_an_update_keeps_what_was_edited_by_hand_and_changes_only_what_the_import_owns(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    path = archive / ARTICLE
    text = path.read_text(encoding="utf-8")
    text = text.replace("language: en\n", "language: en\nsummary: Written by hand.\ntags: [chips]\n")
    text = text.replace("column: Markets\n", "column: Market News\n")  # a value the raw gives, edited by hand
    text = text.replace("companies:\n- minimax\n", "companies:\n- minimax\n- gigadevice-semiconductor\n")
    path.write_text(text, encoding="utf-8")
    assert run(archive, "import", "incoming/v2/story.txt", "--url", URL).code == 0, "v2"
    assert run(archive, "import", "incoming/v3/story.txt", "--url", URL).code == 0, "v3"
    meta = front(archive)
    assert meta["summary"] == "Written by hand." and meta["tags"] == ["chips"]
    assert meta["column"] == "Market News"  # kept: edited by hand
    assert meta["title"] == "Chipmaker Acme Semiconductor Co raises funds"  # the publisher's correction
    assert meta["companies"] == ["minimax", "gigadevice-semiconductor"]
    assert [v["retrieved"] for v in meta["versions"]] == [f"2026-01-1{d}T10:00:00+08:00" for d in (6, 7, 8)]
    assert list(meta)[:4] == ["title", "published", "source", "column"]  # the keys keep their order


def test_an_identical_reimport_touches_no_file(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    assert run(archive, "import", "incoming/v2/story.txt", "--url", URL).code == 0
    before = _stats(archive / "seeds")
    for version, number in (("v2", 2), ("v1", 1)):
        result = run(archive, "import", f"incoming/{version}/story.txt", "--url", URL)
        assert result.code == 0, result.err
        assert result.out == f"unchanged: incoming/{version}/story.txt is version {number} of {ARTICLE}\n"
        assert _stats(archive / "seeds") == before


def test_force_without_the_url_never_drops_the_versions(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    assert run(archive, "import", "incoming/v2/story.txt", "--url", URL).code == 0
    before = tree_digest(archive / "seeds")
    result = run(archive, "import", "incoming/v2/story.txt", "--force")
    assert result.code == 1
    assert result.err.splitlines()[0] == f"{ARTICLE}: has 2 versions of its original: import a new one with --url {URL}"
    assert tree_digest(archive / "seeds") == before


def test_a_body_edited_by_hand_is_not_replaced_without_force(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    path = archive / ARTICLE
    path.write_text(path.read_text(encoding="utf-8").replace("new plant", "new plant (our note)"), encoding="utf-8")
    before = tree_digest(archive / "seeds")
    result = run(archive, "import", "incoming/v2/story.txt", "--url", URL)
    assert result.code == 1
    line = path.read_text(encoding="utf-8").split("\n").index("---", 1) + 3
    assert result.err.splitlines()[0] == (
        f"{ARTICLE}:{line}: its body was edited by hand since its last original "
        "was imported: the new version would replace it; merge the change by "
        "hand, or use --force to replace the body"
    )
    assert tree_digest(archive / "seeds") == before
    assert run(archive, "import", "incoming/v2/story.txt", "--url", URL, "--force").code == 0
    assert len(front(archive)["versions"]) == 2


@pytest.mark.parametrize(
    "retrieved, message",
    [
        (None, f"a new version of {ARTICLE} needs the time it was retrieved: give --retrieved or a 'Retrieved:' line"),
        (
            "2026-01-15T10:00:00+08:00",
            (
                f"retrieved 2026-01-15T10:00:00+08:00 is not after version 1 of {ARTICLE} "
                "(2026-01-16T10:00:00+08:00): versions are kept in the order they were retrieved"
            ),
        ),
    ],
)
def test_a_new_version_needs_a_retrieval_time_after_the_last(archive, run, retrieved, message):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    v2 = archive / "incoming/v2/story.txt"
    v2.write_text(V2.replace("Retrieved: 2026-01-17T10:00:00+08:00\n", ""), encoding="utf-8")
    before = tree_digest(archive / "seeds")
    result = run(
        archive, "import", "incoming/v2/story.txt", "--url", URL, *(("--retrieved", retrieved) if retrieved else ())
    )
    assert result.code == 1
    assert result.err.splitlines()[0] == f"incoming/v2/story.txt:1: {message}"
    assert tree_digest(archive / "seeds") == before


def test_two_articles_with_the_url_are_refused(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    write_article(archive, "copy.md", minimal_front("A copy", extra=f"url: {URL}"))
    before = tree_digest(archive / "seeds")
    result = run(archive, "import", "incoming/v2/story.txt", "--url", URL)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"incoming/v2/story.txt: --url: 2 articles have this url ({ARTICLE}, "
        "seeds/articles/copy.md); give it to one only"
    )
    assert tree_digest(archive / "seeds") == before


# ---------------------------------------------------------------- the site


def test_the_site_shows_the_update_each_version_and_what_changed(archive, run):
    for version in ("v1", "v2", "v3"):
        assert run(archive, "import", f"incoming/{version}/story.txt", "--url", URL).code == 0
    assert run(archive, "build").code == 0
    out = archive / "output"
    doc = page(out, f"articles/{SLUG}/index.html")
    meta = text(doc.find(".//p[@class='meta']"))
    assert "Updated" in meta and "18 January 2026, 10:00 (UTC+08:00)" in meta
    items = doc.xpath("//ol[@class='versions']/li")
    assert [i.xpath(".//a/@href") for i in items] == [
        ["original/index.html"],
        ["original/2/index.html", "changes/2/index.html"],
        ["original/3/index.html", "changes/3/index.html"],
    ]
    # version 1 keeps the address its original had before any other version came
    v1 = page(out, f"articles/{SLUG}/original/index.html")
    assert "version 1 of 3" in text(v1).lower().replace("\n", " ") or "1 of 3" in text(v1)
    assert "1 billion yuan <not a tag>" in text(v1.xpath("//pre")[0])
    assert "1.2 billion" in text(page(out, f"articles/{SLUG}/original/2/index.html").xpath("//pre")[0])
    changes = page(out, f"articles/{SLUG}/changes/2/index.html")
    (box,) = changes.xpath("//div[contains(@class, 'diff')]")
    deleted = [text(d) for d in box.iter("del")]
    inserted = [text(i) for i in box.iter("ins")]
    assert "[\u2212[deleted: 1]\u2212]" in deleted
    assert any("1.2" in i for i in inserted) and any("fab & <b>more</b>" in i for i in inserted)
    assert not box.xpath(".//b")  # the text's markup is shown as text
    for el in box.iter("del", "ins"):  # told in words for screen readers, by visible marks for everyone
        assert el.xpath("./span[@class='visually-hidden']") and el.xpath("./span[@aria-hidden='true']")
    assert "Chipmaker" in "".join(text(i) for i in page(out, f"articles/{SLUG}/changes/3/index.html").iter("ins"))
    record = json.loads((out / f"api/articles/{SLUG}.json").read_text(encoding="utf-8"))
    assert [(v["number"], v["sha256"], v["retrieved"]) for v in record["versions"]] == [
        (n, hashlib.sha256(t.encode()).hexdigest(), f"2026-01-1{5 + n}T10:00:00+08:00")
        for n, t in ((1, V1), (2, V2), (3, V3))
    ]
    assert record["versions"][1]["changes_url"].endswith(f"articles/{SLUG}/changes/2/")
    assert record["raw"]["page_url"].endswith(f"articles/{SLUG}/original/3/")
    for v in record["versions"]:  # each original published byte for byte
        path = v["url"].split("archive.example/", 1)[1]
        assert (out / path).read_bytes().decode() in (V1, V2, V3)
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/changes/" not in sitemap and "/original/" not in sitemap


def _clean(project: Path) -> dict[str, str]:
    out = project / "clean" / "output"
    shutil.rmtree(out, ignore_errors=True)
    Builder(project / "seeds", out, project / "templates", cache=False).build()
    return tree_digest(out)


def test_an_incremental_build_after_each_update_equals_a_clean_build(archive, run):
    assert run(archive, "import", "incoming/v1/story.txt", "--url", URL).code == 0
    assert run(archive, "build").code == 0
    for version in ("v2", "v3"):
        assert run(archive, "import", f"incoming/{version}/story.txt", "--url", URL).code == 0
        assert run(archive, "build").code == 0
        assert tree_digest(archive / "output") == _clean(archive)
    # a raw original renamed (its link retargeted): every page naming it must change
    meta_path = archive / ARTICLE
    os.rename(archive / "seeds/raw/story.txt", archive / "seeds/raw/story-first.txt")
    meta_path.write_text(
        meta_path.read_text(encoding="utf-8").replace("raw/story.txt", "raw/story-first.txt"), encoding="utf-8"
    )
    assert run(archive, "build").code == 0
    assert tree_digest(archive / "output") == _clean(archive)


# ---------------------------------------------------------------- validation

GOOD_SHA = hashlib.sha256(b"one\n").hexdigest()
TWO_SHA = hashlib.sha256(b"two\n").hexdigest()
THREE_SHA = hashlib.sha256(b"three\n").hexdigest()


@pytest.fixture
def versioned(project: Path):
    """write(versions_yaml): an article whose versions: list is the text given (raw/one.txt, raw/two.txt exist)."""
    (project / "seeds/raw").mkdir(exist_ok=True)
    (project / "seeds/raw/one.txt").write_bytes(b"one\n")
    (project / "seeds/raw/two.txt").write_bytes(b"two\n")
    two = hashlib.sha256(b"two\n").hexdigest()

    def write(entries: str) -> None:
        write_article(
            project,
            "story.md",
            minimal_front(
                "Story",
                extra=f"raw: raw/two.txt\nraw_sha256: {two}\nversions:\n{entries}"
                f"- original: raw/two.txt\n  sha256: {two}\n  retrieved: 2026-01-17T10:00:00+08:00\n",
            ),
        )

    return write


BAD_VERSIONS = [
    ("- just text\n", 9, "versions: version 1: expected a mapping of original, sha256, retrieved, got a string"),
    (
        f"- original: raw/one.txt\n  sha256: {GOOD_SHA}\n  when: 2026\n",
        9,
        "versions: version 1: unknown key 'when' (allowed: original, sha256, retrieved)",
    ),
    ("- original: raw/one.txt\n", 9, "versions: version 1: missing required key 'sha256'"),
    ("- original: raw/one.txt\n  sha256: nope\n", 9, "versions: version 1: sha256: expected 64 lower-case hex digits"),
    (
        f"- original: raw/one.txt\n  sha256: {GOOD_SHA}\n  retrieved: 2026-01-16\n",
        9,
        (
            "versions: version 1: retrieved: expected a date and time with a UTC offset (e.g. 2026-01-15T23:42:00+08:00), "
            "got a date alone"
        ),
    ),
    (
        f"- original: ../site.toml\n  sha256: {GOOD_SHA}\n",
        9,
        "versions: version 1: original: '../site.toml' must name a file inside raw/",
    ),
    (
        f"- original: ../../outside.txt\n  sha256: {GOOD_SHA}\n",
        9,
        "versions: version 1: original: '../../outside.txt' must name a file inside raw/",
    ),
    (
        f"- original: raw/missing.txt\n  sha256: {GOOD_SHA}\n",
        9,
        "versions: version 1: original: file not found: raw/missing.txt",
    ),
    (
        f"- original: raw/two.txt\n  sha256: {GOOD_SHA}\n",
        9,
        f"versions: version 1: sha256 does not match raw/two.txt (its sha256 is {TWO_SHA})",
    ),
    (
        f"- original: raw/one.txt\n  sha256: {GOOD_SHA}\n- original: raw/one.txt\n  sha256: {GOOD_SHA}\n",
        11,
        "versions: version 2: the same original as version 1 (sha256 " + GOOD_SHA + ")",
    ),
]


@pytest.mark.parametrize(
    "entries, line, message", BAD_VERSIONS, ids=[m.split(": ", 2)[-1][:40] for _, _, m in BAD_VERSIONS]
)
def test_a_bad_version_entry_is_one_error_at_its_line_and_output_is_untouched(
    project, run, versioned, entries, line, message
):
    versioned(f"- original: raw/one.txt\n  sha256: {GOOD_SHA}\n")
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    versioned(entries)
    result = run(project, "build")
    assert result.code == 1
    assert result.err == f"seeds/articles/story.md:{line}: {message}\n1 error; nothing was written\n"
    assert tree_digest(project / "output") == before


def test_the_last_version_must_be_the_raw_original(project, run, versioned):
    (project / "seeds/raw/three.txt").write_bytes(b"three\n")
    versioned(f"- original: raw/one.txt\n  sha256: {GOOD_SHA}\n")
    path = project / "seeds/articles/story.md"
    path.write_text(
        path.read_text()
        .replace("raw: raw/two.txt", "raw: raw/three.txt")
        .replace(f"raw_sha256: {TWO_SHA}", f"raw_sha256: {THREE_SHA}")
    )
    result = run(project, "check")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "seeds/articles/story.md:11: versions: the last version must be the "
        "article's raw original: its original and sha256 equal raw and raw_sha256"
    )


def test_a_single_version_is_refused(project, run, versioned):
    versioned("")
    result = run(project, "check")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "seeds/articles/story.md:8: versions: expected at least two versions (an "
        "article with one original has it in 'raw:' alone)"
    )


# ---------------------------------------------------------------- the word diff


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "<", "&", "é", "\t"]), max_size=60),
    st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "<", "&", "é", "\t"]), max_size=60),
)
def test_a_diff_holds_both_texts_whole_and_its_html_escapes_them(old, new):
    diff = word_diff(old, new)
    assert diff.old == old and diff.new == new
    html = str(diff_html(diff))
    assert "<" not in html.replace("<del>", "").replace("</del>", "").replace("<ins>", "").replace(
        "</ins>", ""
    ).replace('<span class="diff-mark" aria-hidden="true">', "").replace('<span class="visually-hidden">', "").replace(
        "</span>", ""
    )


def test_a_small_correction_in_a_100000_word_text_is_shown_word_by_word(monkeypatch):
    words = [f"w{i}" for i in range(100_000)]
    old = " ".join(words) + "\n"
    new = old.replace(" w50000 ", " corrected ")
    diff = word_diff(old, new)
    assert [p for p in diff.parts if p[0] != "="] == [("-", "w50000"), ("+", "corrected")]
    assert not diff.coarse


def _recorded(monkeypatch) -> list[int]:
    sizes: list[int] = []
    real = difflib.SequenceMatcher

    def matcher(isjunk, a, b, *args, **kwargs):
        sizes.append(len(a) * len(b))
        return real(isjunk, a, b, *args, **kwargs)

    monkeypatch.setattr(diffs.difflib, "SequenceMatcher", matcher)
    return sizes


@pytest.mark.parametrize("shape", ["paragraphs", "one line"])
def test_a_100000_word_text_changed_everywhere_is_diffed_within_bounds(monkeypatch, shape):
    """Changes at both ends and all through: difflib is never given more than WORK_LIMIT (nor TOTAL_LIMIT in all)."""
    sizes = _recorded(monkeypatch)
    sep = "\n\n" if shape == "paragraphs" else " "
    paragraphs = [" ".join(f"p{p}w{i}" for i in range(50)) for p in range(2000)]
    old = sep.join(paragraphs)
    new = sep.join(p.replace("w7 ", "seven ") if n % 3 == 0 else p for n, p in enumerate(paragraphs))
    new = "Start. " + new + " End."
    diff = word_diff(old, new)
    assert diff.old == old and diff.new == new
    assert max(sizes, default=0) <= diffs.WORK_LIMIT and sum(sizes) <= diffs.TOTAL_LIMIT
    assert diff.coarse
    if shape == "paragraphs":  # paired by lines, then each changed paragraph word by word
        assert sizes
        changes = [(op, t) for op, t in diff.parts if op != "="]
        assert changes[0] == ("+", "Start. ")
        assert ("-", "p0w7") in changes and ("+", "p0seven") in changes
        assert ("-", "p3w7") in changes and ("-", "p1w7") not in changes
    else:  # one line, too long to compare word by word: one deletion and one insertion
        assert [op for op, _ in diff.parts] == ["-", "+"]


# ---------------------------------------------------------------- in a browser: axe on the new pages


@pytest.fixture
def served_versions(archive, run):
    """The archive with three versions of one story, built and served on 127.0.0.1: (base URL, output)."""
    import functools
    import http.server
    import threading

    for version in ("v1", "v2", "v3"):
        assert run(archive, "import", f"incoming/{version}/story.txt", "--url", URL).code == 0
    assert run(archive, "build").code == 0
    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(archive / "output"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", archive / "output"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["index.html", "changes/2/index.html", "original/index.html", "original/2/index.html"])
def test_the_version_pages_are_accessible_in_light_and_dark(browser, served_versions, path):
    from test_browser import assert_axe_clean

    base, _ = served_versions
    for scheme in ("light", "dark"):
        assert_axe_clean(browser, base, f"articles/{SLUG}/{path}", scheme)
