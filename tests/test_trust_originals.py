"""Raw originals are evidence, never pages: published only as plain text (.txt), never searched or listed in the
sitemap, capped in size, shown on a page of their own (escaped, with name, size, SHA-256 and a download link), one
file per original even when two share a name, and kept exact by incremental builds."""

from __future__ import annotations

import gzip
import hashlib
import json
import posixpath
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import lxml.etree
import pytest

from conftest import minimal_front, own_template, tree_digest, write_article
from site_builder.content import load
from site_builder.engine.build import Builder
from site_builder.engine.search import ENV_BINARY, find_pagefind

BASE = "https://example.org/"
HOSTILE = (
    b"<!doctype html><html><body data-pagefind-body><h1>zzyzxhostile</h1>"
    b"<script>document.title='pwned'</script><img src=x onerror=alert(1)></body></html>\n"
)


def resolve(page: str, href: str) -> str:
    """The output path a relative href on output page `page` points at (percent-escapes undone)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(href)))


def add_original(
    root: Path,
    name: str,
    data: bytes,
    article: str = "evidence",
    title: str = "An article",
    published: str = "2026-02-01T10:00:00+08:00",
    sha: bool = False,
) -> None:
    """seeds/raw/<name> holding data, and seeds/articles/<article>.md naming it as its raw original."""
    path = root / "seeds" / "raw" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    extra = f"raw: raw/{name}\n" + (f"raw_sha256: {hashlib.sha256(data).hexdigest()}\n" if sha else "")
    write_article(root, f"{article}.md", minimal_front(title, published, extra=extra), "A body paragraph.\n")


def page(out: Path, path: str):
    """The page at output path `path`, parsed as a browser parses it (html5lib, the HTML standard's algorithm)."""
    return html5lib.parse((out / path).read_bytes(), treebuilder="lxml", namespaceHTMLElements=False).getroot()


def text(el) -> str:
    return "".join(el.itertext())


def dd(doc, label: str):
    """The <dd> after the <dt> reading label."""
    for dt in doc.iter("dt"):
        if text(dt).strip() == label:
            return dt.getnext()
    raise AssertionError(f"no {label!r} in the page")


def shown_text(doc) -> str:
    """The text of the page's <pre>, as a browser shows it."""
    (pre,) = doc.xpath("//pre[contains(@class, 'original-text')]")
    return text(pre)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_BINARY, "")  # no search index unless a test asks for one


# --- published only as plain text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, published",
    [
        ("evil.html", "raw/evil.html.txt"),
        ("evil.htm", "raw/evil.htm.txt"),
        ("evil.svg", "raw/evil.svg.txt"),
        ("evil.xhtml", "raw/evil.xhtml.txt"),
        ("EVIL.TXT", "raw/EVIL.TXT.txt"),
        ("no-extension", "raw/no-extension.txt"),
        ("plain.txt", "raw/plain.txt"),  # already plain text: the URL stays
    ],
)
def test_an_original_is_published_only_under_a_txt_name_byte_for_byte(project, run, quiet, name, published):
    add_original(project, name, HOSTILE)
    result = run(project, "build", "--base-url", BASE)
    assert result.code == 0, result.err
    out = project / "output"
    raw_files = sorted(p.relative_to(out).as_posix() for p in (out / "raw").rglob("*") if p.is_file())
    assert (published in raw_files and f"raw/{name}" not in raw_files) or name == "plain.txt"
    assert all(f.endswith(".txt") for f in raw_files), raw_files
    assert (out / published).read_bytes() == HOSTILE
    # the article page's download link and the API both lead to that file
    doc = page(out, "articles/evidence/index.html")
    (download,) = doc.xpath("//a[contains(@class, 'original-download')]")
    assert resolve("articles/evidence/index.html", download.get("href")) == published
    record = json.loads((out / "api/articles/evidence.json").read_text(encoding="utf-8"))
    assert record["raw"]["url"] == BASE + published
    assert record["raw"]["sha256"] == hashlib.sha256(HOSTILE).hexdigest()


def test_a_name_with_url_characters_links_to_its_own_file(project, run, quiet):
    add_original(project, "a b#1?.html", b"text with an awkward name\n")
    assert run(project, "build", "--base-url", BASE).code == 0
    out = project / "output"
    assert (out / "raw/a b#1?.html.txt").read_bytes() == b"text with an awkward name\n"
    for where in ("articles/evidence/index.html", "articles/evidence/original/index.html"):
        hrefs = [a.get("href") for a in page(out, where).iter("a") if "raw/" in a.get("href", "")]
        assert hrefs and all(urlsplit(h).fragment == "" and urlsplit(h).query == "" for h in hrefs), hrefs
        assert {resolve(where, h) for h in hrefs} == {"raw/a b#1?.html.txt"}
    record = json.loads((out / "api/articles/evidence.json").read_text(encoding="utf-8"))
    assert unquote(urlsplit(record["raw"]["url"]).path) == "/raw/a b#1?.html.txt"


def test_the_sitemap_lists_neither_originals_nor_their_pages(project, run, quiet):
    add_original(project, "evil.html", HOSTILE)
    assert run(project, "build", "--base-url", BASE).code == 0
    out = project / "output"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = lxml.etree.parse(str(out / "sitemap.xml")).xpath("//s:loc/text()", namespaces=ns)
    assert f"{BASE}articles/evidence/" in locs
    assert not [u for u in locs if "/raw/" in u or "/original/" in u], locs
    # the page showing it is evidence, not reading: search engines are asked to leave it out too
    robots = page(out, "articles/evidence/original/index.html").xpath("//meta[@name='robots']/@content")
    assert robots == ["noindex"]


# --- never searched --------------------------------------------------------------------------------------------


def test_pagefind_is_handed_only_the_sites_own_pages(project, run, monkeypatch):
    """Whatever indexer is installed, what it is handed holds no original and no page showing one."""
    handed: list[set[str]] = []

    def recording(files, binary=None):
        from site_builder.engine.search import SearchIndex

        handed.append(set(files))
        return SearchIndex({"pagefind/pagefind.js": b"// test\n"})

    monkeypatch.setenv(ENV_BINARY, sys.executable)  # any file: the indexer itself is replaced
    monkeypatch.setattr("site_builder.engine.pipeline.index_search", recording)
    add_original(project, "evil.html", HOSTILE)
    assert run(project, "build").code == 0
    (pages,) = handed
    assert "articles/evidence/index.html" in pages and "index.html" in pages
    assert not [p for p in pages if p.startswith("raw/") or "/original/" in p or not p.endswith(".html")], pages


@pytest.mark.skipif(
    find_pagefind() is None, reason="the pagefind binary is not installed (pip install 'pagefind[bin]')"
)
def test_the_search_index_holds_no_original(project, run):
    add_original(project, "evil.html", HOSTILE)  # it asks Pagefind to index it: data-pagefind-body
    assert run(project, "build").code == 0
    urls = set()
    for fragment in (project / "output" / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        urls.add(json.loads(data[data.index(b"{") :])["url"])
    assert "/articles/evidence/" in urls
    assert not [u for u in urls if u.startswith("/raw/") or "/original/" in u], urls


# --- size cap --------------------------------------------------------------------------------------------------


def test_an_original_over_the_limit_is_refused_unread_and_output_is_untouched(project, run, quiet, monkeypatch):
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    big = project / "seeds" / "raw" / "huge.txt"
    with open(big, "wb") as f:
        f.truncate(load.MAX_FILE_BYTES + 1)
    write_article(project, "evidence.md", minimal_front(extra="raw: raw/huge.txt"))
    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or real(self))
    result = run(project, "build")
    assert result.code == 1
    lines = result.err.splitlines()
    assert [line.split(":")[:2] for line in lines if "huge.txt" in line] == [["seeds/articles/evidence.md", "6"]]
    assert str(load.MAX_FILE_BYTES + 1) in result.err and "Traceback" not in result.err
    assert "huge.txt" not in read  # refused unread
    assert tree_digest(project / "output") == before


def test_an_original_at_the_limit_builds(project, run, quiet, monkeypatch):
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 6000)  # the rule, at a size a test builds quickly
    add_original(project, "at.txt", b"x" * 6000, "at")
    add_original(project, "over.txt", b"x" * 6001, "over")
    result = run(project, "build")
    assert result.code == 1 and "seeds/articles/over.md:6: " in result.err and "at.md" not in result.err
    (project / "seeds/articles/over.md").unlink()
    assert run(project, "build").code == 0
    assert (project / "output/raw/at.txt").stat().st_size == 6000


# --- the page showing an original ------------------------------------------------------------------------------


def test_each_article_with_an_original_has_a_page_showing_it_as_escaped_text(project, run, quiet):
    add_original(project, "evil.html", HOSTILE, title="The evidence")
    write_article(project, "plain.md", minimal_front("Without an original", "2026-02-02T10:00:00+08:00"))
    assert run(project, "build", "--base-url", BASE).code == 0
    out = project / "output"
    where = "articles/evidence/original/index.html"
    assert not (out / "articles/plain/original").exists()
    doc = page(out, where)
    assert shown_text(doc) == HOSTILE.decode()  # every character as written, none of it markup
    assert not doc.xpath("//script") and not doc.xpath("//img") and not doc.xpath("//@onerror")
    assert not doc.xpath("//*[@data-pagefind-body]")
    assert "default-src 'self'" in doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert doc.xpath("//link[@rel='stylesheet']")  # the site's layout
    assert text(dd(doc, "SHA-256")).strip() == hashlib.sha256(HOSTILE).hexdigest()
    assert text(dd(doc, "File name")).strip() == "raw/evil.html"
    assert text(dd(doc, "Size")).strip() == f"{len(HOSTILE)} bytes"
    assert text(dd(doc, "Encoding")).strip() == "UTF-8"
    (article,) = dd(doc, "Article").iter("a")
    assert text(article) == "The evidence" and resolve(where, article.get("href")) == "articles/evidence/index.html"
    (download,) = dd(doc, "Download").iter("a")
    assert resolve(where, download.get("href")) == "raw/evil.html.txt" and download.get("download") == "evil.html.txt"
    # the article's provenance links to it, and the API names it
    provenance = page(out, "articles/evidence/index.html").xpath("//section[contains(@class, 'provenance')]")[0]
    links = {resolve("articles/evidence/index.html", a.get("href")) for a in provenance.iter("a")}
    assert {where, "raw/evil.html.txt"} <= links
    record = json.loads((out / "api/articles/evidence.json").read_text(encoding="utf-8"))
    assert record["raw"]["page_url"] == f"{BASE}articles/evidence/original/"
    assert record["raw"]["name"] == "raw/evil.html"


@pytest.mark.parametrize(
    "data, shown, encoding",
    [
        ("\ufeffByte order mark: caf\u00e9\n".encode(), "Byte order mark: caf\u00e9\n", "byte order mark"),
        (
            "\u201cQuoted\u201d caf\u00e9 na\u00efve \u2014 r\u00e9sum\u00e9 of the d\u00e9j\u00e0 vu.\n".encode(
                "cp1252"
            ),
            "\u201cQuoted\u201d caf\u00e9 na\u00efve \u2014 r\u00e9sum\u00e9 of the d\u00e9j\u00e0 vu.\n",
            "1252",
        ),
        (
            "\u4eba\u5de5\u667a\u80fd\u4e0e\u9999\u6e2f\u8d44\u672c\u5e02\u573a\u7684\u534f\u540c\u53d1\u5c55\uff0c"
            "\u63a8\u52a8\u65b0\u7684\u79d1\u6280\u91d1\u878d\u4e2d\u5fc3\u3002\n".encode("gbk"),
            (
                "\u4eba\u5de5\u667a\u80fd\u4e0e\u9999\u6e2f\u8d44\u672c\u5e02\u573a\u7684\u534f\u540c\u53d1\u5c55\uff0c"
                "\u63a8\u52a8\u65b0\u7684\u79d1\u6280\u91d1\u878d\u4e2d\u5fc3\u3002\n"
            ),
            "GB18030",
        ),
        (
            "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u042d\u0442\u043e \u043f\u0440\u043e\u0432\u0435"
            "\u0440\u043a\u0430 \u043a\u043e\u0434\u0438\u0440\u043e\u0432\u043a\u0438.\n".encode("cp1251"),
            (
                "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u042d\u0442\u043e \u043f\u0440\u043e\u0432\u0435"
                "\u0440\u043a\u0430 \u043a\u043e\u0434\u0438\u0440\u043e\u0432\u043a\u0438.\n"
            ),
            "1251",
        ),
        (
            (
                "\u201cQuoted\u201d caf\u00e9 \u2014 a Windows-1252 text with one stray NUL\x00 among a hundred and more "
                "other characters, as a text copied from an old system may have.\n"
            ).encode("cp1252"),
            (
                "\u201cQuoted\u201d caf\u00e9 \u2014 a Windows-1252 text with one stray NUL\u2400 among a hundred and more "
                "other characters, as a text copied from an old system may have.\n"
            ),
            "1252",
        ),
    ],
    ids=["utf-8-bom", "windows-1252", "gbk", "windows-1251", "windows-1252-with-a-nul"],
)
def test_an_original_in_a_legacy_encoding_is_shown_without_mojibake_and_said_to_be_detected(
    project, run, quiet, data, shown, encoding
):
    add_original(project, "legacy.txt", data, sha=True)
    assert run(project, "build").code == 0
    out = project / "output"
    assert (out / "raw/legacy.txt").read_bytes() == data  # the file itself is never re-encoded
    doc = page(out, "articles/evidence/original/index.html")
    assert shown_text(doc) == shown
    assert encoding in text(dd(doc, "Encoding"))
    notes = [text(p) for p in doc.xpath("//p[contains(@class, 'note')]")]
    assert bool(notes) == (encoding != "byte order mark")  # a detected encoding is said to be a judgement


def test_bytes_no_encoding_explains_are_shown_by_a_marked_fallback_and_controls_made_visible(project, run, quiet):
    data = b"Start\x00 then " + bytes(range(256)) * 3 + b" end\x1b.\n"  # binary: no encoding fits
    add_original(project, "binary.txt", data)
    assert run(project, "build").code == 0
    out = project / "output"
    assert (out / "raw/binary.txt").read_bytes() == data
    raw_page = (out / "articles/evidence/original/index.html").read_bytes()
    assert not [b for b in raw_page if b < 0x20 and b not in b"\t\n\r"]  # no page carries a control character
    doc = page(out, "articles/evidence/original/index.html")
    shown = shown_text(doc)
    assert shown.startswith("Start\u2400 then ") and shown.endswith(" end\u241b.\n") and "\ufffd" in shown
    notes = " ".join(text(p) for p in doc.xpath("//p[contains(@class, 'note')]"))
    assert "Fallback" in notes and "byte for byte" in notes


# --- one file per original, whatever its name -----------------------------------------------------------------


def test_two_originals_of_one_name_in_two_folders_keep_their_own_file_and_hash(project, run, quiet):
    first, second = b"The first x.txt, in folder a.\n", b"The second x.txt, in folder b: other bytes.\n"
    add_original(project, "a/x.txt", first, "alpha", "Alpha", sha=True)
    add_original(project, "b/x.txt", second, "beta", "Beta", "2026-02-02T10:00:00+08:00", sha=True)
    assert run(project, "build", "--base-url", BASE).code == 0
    out = project / "output"
    for slug, data, name in (("alpha", first, "raw/a/x.txt"), ("beta", second, "raw/b/x.txt")):
        sha = hashlib.sha256(data).hexdigest()
        where = f"articles/{slug}/index.html"
        doc = page(out, where)
        (download,) = doc.xpath("//a[contains(@class, 'original-download')]")
        assert (out / resolve(where, download.get("href"))).read_bytes() == data
        assert text(dd(doc, "SHA-256")).strip() == sha
        view = f"articles/{slug}/original/index.html"
        shown = page(out, view)
        assert shown_text(shown) == data.decode() and text(dd(shown, "SHA-256")).strip() == sha
        assert text(dd(shown, "File name")).strip() == name
        (link,) = dd(shown, "Download").iter("a")
        assert (out / resolve(view, link.get("href"))).read_bytes() == data
        record = json.loads((out / f"api/articles/{slug}.json").read_text(encoding="utf-8"))
        assert record["raw"]["sha256"] == sha
        assert (out / urlsplit(record["raw"]["url"]).path.lstrip("/")).read_bytes() == data


def test_two_articles_may_share_one_original(project, run, quiet):
    add_original(project, "shared.html", HOSTILE, "one", "One")
    write_article(project, "two.md", minimal_front("Two", extra="raw: raw/shared.html"))
    assert run(project, "build").code == 0
    out = project / "output"
    assert (out / "raw/shared.html.txt").read_bytes() == HOSTILE
    for slug in ("one", "two"):
        assert shown_text(page(out, f"articles/{slug}/original/index.html")) == HOSTILE.decode()


@pytest.mark.parametrize(
    "names",
    [
        ("x.html", "x.html.txt"),  # both would be raw/x.html.txt
        ("Notes.txt", "notes.txt"),  # one file on macOS and Windows
        ("x", "x.txt/y.txt"),  # raw/x.txt would be a file and a folder
    ],
    ids=["appended-suffix", "case", "file-and-folder"],
)
def test_two_originals_published_under_one_name_are_refused_naming_both(project, run, quiet, names):
    (project / "seeds/raw/probe").write_bytes(b"")
    if names[0].casefold() == names[1].casefold() and (project / "seeds/raw/PROBE").exists():
        pytest.skip("a file system that ignores case cannot hold both files")
    (project / "seeds/raw/probe").unlink()
    assert run(project, "build").code == 0
    before = tree_digest(project / "output")
    add_original(project, names[0], b"first\n", "first", "First")
    add_original(project, names[1], b"second\n", "second", "Second")
    result = run(project, "build")
    assert result.code == 1
    problems = [line for line in result.err.splitlines() if ": raw: " in line]
    assert len(problems) == 1 and problems[0].startswith(
        ("seeds/articles/first.md:6: ", "seeds/articles/second.md:6: ")
    )
    assert f"raw/{names[0]}" in problems[0] and f"raw/{names[1]}" in problems[0]
    assert tree_digest(project / "output") == before


# --- incremental builds ----------------------------------------------------------------------------------------


def _clean(project: Path) -> dict[str, str]:
    out = project / "clean" / "output"
    shutil.rmtree(out, ignore_errors=True)
    Builder(project / "seeds", out, project / "templates", cache=False).build()
    return tree_digest(out)


def _move_original(p: Path) -> None:
    (p / "seeds/raw/sub").mkdir()
    (p / "seeds/raw/evil.html").rename(p / "seeds/raw/sub/evil.html")
    article = p / "seeds/articles/evidence.md"
    article.write_text(
        article.read_text(encoding="utf-8").replace("raw/evil.html", "raw/sub/evil.html"), encoding="utf-8"
    )


ORIGINAL_CHANGES = {
    "original bytes": lambda p: (p / "seeds/raw/evil.html").write_bytes(b"Corrected original text.\n"),
    "original to a legacy encoding": lambda p: (p / "seeds/raw/evil.html").write_bytes(
        "\u201cNa\u00efve\u201d caf\u00e9 d\u00e9j\u00e0 vu \u2014 r\u00e9sum\u00e9.\n".encode("cp1252")
    ),
    "article title": lambda p: (p / "seeds/articles/evidence.md").write_text(
        (p / "seeds/articles/evidence.md").read_text(encoding="utf-8").replace("An article", "Retitled"),
        encoding="utf-8",
    ),
    "original moved to a folder": _move_original,
    "template": lambda p: own_template(p, "original.html").write_text(
        (p / "templates/original.html").read_text(encoding="utf-8").replace("<h2", "<!-- edited --><h2", 1),
        encoding="utf-8",
    ),
}


@pytest.mark.parametrize("change", sorted(ORIGINAL_CHANGES))
def test_an_incremental_build_after_an_original_changes_writes_what_a_clean_build_writes(project, monkeypatch, change):
    monkeypatch.setenv(ENV_BINARY, "")
    monkeypatch.setattr("site_builder.engine.store.tool_key", lambda: "test")
    add_original(project, "evil.html", HOSTILE)
    write_article(project, "other.md", minimal_front("Other", "2026-02-02T10:00:00+08:00"))
    builder = Builder(project / "seeds", project / "output", project / "templates")
    builder.build()
    view = project / "output/articles/evidence/original/index.html"
    shown_before = view.read_bytes()
    ORIGINAL_CHANGES[change](project)
    Builder(project / "seeds", project / "output", project / "templates").build()  # from the cache on disk
    assert view.read_bytes() != shown_before  # what the page shows follows the change
    assert tree_digest(project / "output") == _clean(project)
    builder.build()  # in-process, as serve rebuilds: nothing more to do
    assert tree_digest(project / "output") == _clean(project)
