"""`site-builder import` of saved web pages (.html) and WARC files: the page's own metadata and article text only,
on pages made here (news layouts with JSON-LD, Open Graph, bylines, navigation, ads, related links, comments)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
import yaml

from conftest import tree_digest

ONE_ERROR = "1 error; nothing was written\n"
PARAGRAPHS = [
    (
        "Shares of MiniMax rose 12 percent in Hong Kong on Tuesday after the company reported that revenue from its "
        "model licensing business had more than doubled over the past year."
    ),
    "# Not a heading: the company's filing used this symbol to number its risk factors, the report said.",
    "Engineers wrote <script>alert(1)</script> on a whiteboard during the demonstration, to show the filter at work.",
    "The company said it planned to spend most of the proceeds on computing power and on hiring researchers.",
]
QUOTE = "We are building for the long term, and this year showed that customers are ready to pay for it."
ITEMS = ["Revenue: 1.2 billion yuan", "Net loss: narrowed by a third"]
BOILERPLATE = [
    "Home",
    "Markets",
    "Subscribe to our morning newsletter",
    "We use cookies to improve your visit",
    "Advertisement: refinance today",
    "Related: Five stocks to watch",
    "Great article, thanks!",
    "All rights reserved",
    "trackingPixel",
    "color: red",
]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def news_page(
    *,
    charset: str = "utf-8",
    lang: str | None = "en",
    json_ld: bool = True,
    dates: bool = True,
    title: str = "MiniMax shares jump as licensing revenue doubles",
    paragraphs=PARAGRAPHS,
    extra_head: str = "",
    site_name: str | None = "The Daily Example",
) -> str:
    """A news article page as publishers lay them out: meta tags and JSON-LD (dateModified before datePublished),
    a navigation bar, ads, a byline, the article with a heading, a list and a quote, related links, comments,
    a newsletter prompt and a cookie banner."""
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title + " - analysts react",
        **(
            {"dateModified": "2026-01-14T18:05:00+08:00", "datePublished": "2026-01-13T09:30:00+08:00"} if dates else {}
        ),
        "author": [{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "Li Wei"}],
        "publisher": {"@type": "Organization", "name": "Example Media Group Holdings"},
    }
    head = [
        f'<meta charset="{charset}">',
        f"<title>{_esc(title)} | {site_name or 'News'}</title>",
        f'<meta property="og:title" content="{_esc(title)} (social edition)">',
        '<link rel="canonical" href="https://news.example/markets/2026/01/13/minimax-shares">',
        '<meta property="article:modified_time" content="2026-01-14T18:05:00+08:00">',
        '<script>var trackingPixel = "Home";</script><style>p { color: red }</style>',
        extra_head,
    ]
    if site_name:
        head.append(f'<meta property="og:site_name" content="{site_name}">')
    if dates:
        head.append('<meta property="article:published_time" content="2026-01-13T09:30:00+08:00">')
    if json_ld:
        head.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    body = "\n".join(f"<p>{_esc(p)}</p>" for p in paragraphs[:2])
    body += "\n<h2>What analysts say</h2>\n" + "\n".join(f"<p>{_esc(p)}</p>" for p in paragraphs[2:])
    body += f"\n<blockquote><p>{_esc(QUOTE)}</p></blockquote>\n<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in ITEMS)
    body += '</ul>\n<p>Read the <a href="javascript:alert(1)">full filing</a> on the exchange website today.</p>'
    html_lang = f' lang="{lang}"' if lang else ""
    return f"""<!DOCTYPE html>
<html{html_lang}><head>{"".join(head)}</head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your visit. <button>Accept</button></p></div>
<header><a class="logo" href="/">The Daily Example</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/markets">Markets</a></li><li><a href="/tech">Tech</a></li></ul></nav></header>
<div class="ad ad-banner"><p>Advertisement: refinance today</p></div>
<main><article>
<div class="section-label"><a href="/markets">Markets</a></div>
<h1>{_esc(title)}</h1>
<div class="byline">By <a href="/authors/jane-roe" rel="author">Jane Roe</a> and Li Wei</div>
<time datetime="2026-01-14T18:05:00+08:00">Updated January 14, 2026</time>
{body}
</article>
<aside class="related"><h3>Related</h3><ul><li><a href="/a">Related: Five stocks to watch</a></li></ul></aside>
<section id="comments" class="comments"><h3>Comments</h3><div class="comment"><p>Great article, thanks!</p></div></section>
<div class="newsletter"><p>Subscribe to our morning newsletter</p><form><input type="email"></form></div>
</main>
<footer><p>All rights reserved</p></footer>
</body></html>
"""


def split_article(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    front, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def _incoming(project: Path, name: str, data: bytes) -> str:
    (project / "incoming").mkdir(exist_ok=True)
    (project / "incoming" / name).write_bytes(data)
    return f"incoming/{name}"


SLUG = "minimax-shares-jump-as-licensing-revenue-doubles"


@pytest.fixture
def imported(project, run):
    data = news_page().encode("utf-8")
    result = run(project, "import", _incoming(project, "minimax.html", data))
    assert (result.code, result.err) == (0, ""), result.err
    assert result.out == f"imported incoming/minimax.html -> seeds/articles/{SLUG}.md\n"
    return project, data


def test_a_news_page_gives_its_own_metadata(imported):
    project, data = imported
    front, _ = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    assert front == {
        "title": "MiniMax shares jump as licensing revenue doubles",  # the <h1>: not og:title nor <title>
        "published": "2026-01-13T09:30:00+08:00",  # datePublished, though dateModified comes first
        "source": "The Daily Example",  # what the <title> ends with: not the parent company
        "authors": ["Jane Roe", "Li Wei"],
        "url": "https://news.example/markets/2026/01/13/minimax-shares",
        "raw": "raw/minimax.html",
        "raw_sha256": hashlib.sha256(data).hexdigest(),
        "language": "en",
        "companies": ["minimax"],
    }
    assert (project / "seeds" / "raw" / "minimax.html").read_bytes() == data


def test_the_body_is_the_articles_paragraphs_only_as_markdown(imported):
    project, _ = imported
    _, body = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    for junk in [*BOILERPLATE, "Updated January 14", "javascript", "Markets"]:
        assert junk not in body, junk
    assert body.startswith("\n" + PARAGRAPHS[0] + "\n\n\\# Not a heading")
    assert "\n## What analysts say\n" in body
    assert f"\n> {QUOTE}\n" in body
    assert "\n- Revenue&#58;" not in body and f"\n- {ITEMS[0]}\n- {ITEMS[1]}\n" in body


def test_the_page_built_says_what_the_page_said(imported, run):
    project, _ = imported
    assert run(project, "build").code == 0
    page = lxml.html.parse(str(project / "output" / "articles" / SLUG / "index.html")).getroot()
    body = page.xpath('//div[@class="body"]')[0]
    assert [p.text_content() for p in body.xpath("./p")][:4] == PARAGRAPHS
    assert [h.text_content() for h in body.xpath("./h2")] == ["What analysts say"]
    assert [li.text_content() for li in body.xpath("./ul/li")] == ITEMS
    assert body.xpath("./blockquote/p")[0].text_content() == QUOTE
    assert not body.xpath(".//script|.//h1|.//a[not(starts-with(@href, '../../companies/'))]")
    assert page.xpath('//p[@class="byline"]')[0].text_content() == "By Jane Roe, Li Wei"
    ld = json.loads(page.xpath('//script[@type="application/ld+json"]')[0].text)
    assert ld["author"] == [{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "Li Wei"}]
    assert ld["inLanguage"] == "en" and ld["datePublished"] == "2026-01-13T09:30:00+08:00"
    # the original is published as text only
    assert (project / "output" / "raw" / "minimax.html.txt").is_file()
    assert not (project / "output" / "raw" / "minimax.html").exists()


def test_open_graph_alone_gives_the_date_and_the_site_name(project, run):
    path = _incoming(project, "og.html", news_page(json_ld=False).encode())
    assert run(project, "import", path).code == 0
    front, _ = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    assert (front["published"], front["source"]) == ("2026-01-13T09:30:00+08:00", "The Daily Example")


def test_a_windows_1252_page(project, run):
    text = [
        (
            "Caf\u00e9 owners in S\u00e3o Paulo said \u201cprices\u201d rose \u2013 again \u2013 this year, "
            "according to a survey of one thousand businesses."
        ),
        "The na\u00efve forecast was \u00a35 a cup.",
    ]
    data = news_page(charset="windows-1252", paragraphs=text, title="Caf\u00e9 prices rise again", lang="pt-BR").encode(
        "cp1252"
    )
    result = run(project, "import", _incoming(project, "cafe.htm", data))
    assert result.code == 0, result.err
    front, body = split_article(project / "seeds" / "articles" / "cafe-prices-rise-again.md")
    assert (front["title"], front["language"]) == ("Caf\u00e9 prices rise again", "pt-BR")
    assert body.startswith(f"\n{text[0]}\n\n{text[1]}\n")
    assert (project / "seeds" / "raw" / "cafe.htm").read_bytes() == data


def test_a_gb18030_page_declared_gb2312(project, run):
    text = [
        (
            "\u4e0a\u6d77\u7684\u4eba\u5de5\u667a\u80fd\u516c\u53f8\u5728\u9999\u6e2f\u4e0a\u5e02\uff0c"
            "\u5438\u5f15\u4e86\u5927\u91cf\u6295\u8d44\u8005\u7684\u5173\u6ce8\u3002\u5e02\u573a\u5206\u6790"
            "\u4eba\u58eb\u8ba4\u4e3a\uff0c\u8fd9\u4e00\u8d8b\u52bf\u5c06\u4f1a\u6301\u7eed\u3002"
        ),
        (
            "\u8be5\u516c\u53f8\u8868\u793a\uff0c\u52df\u96c6\u7684\u8d44\u91d1\u5c06\u7528\u4e8e\u7814\u53d1"
            "\u3002\u9f98"
        ),
    ]  # the last character is in GB18030, not in GB2312
    title = "\u4eba\u5de5\u667a\u80fd\u516c\u53f8\u4e0a\u5e02"
    data = news_page(charset="gb2312", paragraphs=text, title=title, lang="zh-CN").encode("gb18030")
    result = run(project, "import", _incoming(project, "zh.html", data))
    assert result.code == 0, result.err
    [article] = [
        p for p in (project / "seeds" / "articles").iterdir() if p.name != f"{SLUG}.md" and p.name.startswith("ren")
    ]
    front, body = split_article(article)
    assert (front["title"], front["language"]) == (title, "zh-CN")
    assert text[0] in body and text[1] in body


def test_a_page_without_a_date_is_an_error_naming_the_field_and_the_option(project, run):
    # the page's one <time> says when it was updated: not its publication date
    path = _incoming(project, "nodate.html", news_page(dates=False).encode())
    before = tree_digest(project)
    result = run(project, "import", path)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "incoming/nodate.html: published: the page states no publication date (htmldate infers the "
        "day 2026-01-13, without a time); give it with --published (e.g. --published "
        "2026-01-15T23:42:00+08:00)\n" + ONE_ERROR
    )
    assert tree_digest(project) == before
    result = run(project, "import", path, "--published", "2026-01-13T09:30:00+08:00")
    assert result.code == 0, result.err
    front, _ = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    assert front["published"] == "2026-01-13T09:30:00+08:00"


def test_a_date_without_a_time_is_not_completed_by_a_guess(project, run):
    page = news_page(dates=False).replace(
        '<time datetime="2026-01-14T18:05:00+08:00">Updated January 14, 2026</time>',
        '<time datetime="2026-01-13" itemprop="datePublished">13 Jan</time>',
    )
    result = run(project, "import", _incoming(project, "day.html", page.encode()))
    assert (result.code, result.err) == (
        1,
        "incoming/day.html: published: the page gives '2026-01-13', not a date and "
        "time with its UTC offset; give it with --published (e.g. --published "
        "2026-01-15T23:42:00+08:00)\n" + ONE_ERROR,
    )


def test_the_page_date_wins_over_the_option(project, run):
    path = _incoming(project, "p.html", news_page().encode())
    assert run(project, "import", path, "--published", "2020-01-01T00:00:00+00:00").code == 0
    front, _ = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    assert front["published"] == "2026-01-13T09:30:00+08:00"


def test_no_language_and_no_publication_are_errors_with_their_options(project, run):
    path = _incoming(project, "bare.html", news_page(lang=None, site_name=None, json_ld=False).encode())
    result = run(project, "import", path)
    assert (result.code, result.err) == (
        1,
        "incoming/bare.html: language: the page does not state its language "
        "(<html lang>, content-language, inLanguage); give it with --language "
        "(e.g. --language en)\n" + ONE_ERROR,
    )
    result = run(project, "import", path, "--language", "en")
    assert (result.code, result.err) == (
        1,
        "incoming/bare.html: source: the page names no publication "
        "(og:site_name, JSON-LD publisher); give it with --publication\n" + ONE_ERROR,
    )
    result = run(project, "import", path, "--language", "en", "--publication", "The Daily Example")
    assert result.code == 0, result.err
    front, _ = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    assert (front["language"], front["source"]) == ("en", "The Daily Example")


def test_a_huge_page_is_refused_in_one_line(project, run):
    data = news_page().replace("</article>", "<p>" + "word " * 1_800_000 + "</p></article>").encode()
    result = run(project, "import", _incoming(project, "huge.html", data))
    assert result.code == 1 and result.err.endswith(ONE_ERROR) and len(result.err.splitlines()) == 2
    assert result.err.startswith("incoming/huge.html: file too large: ")


def test_deeply_nested_html_is_one_error_line(project, run):
    page = (
        news_page().replace("<main>", "<main>" + "<div>" * 100_000).replace("</main>", "</div>" * 100_000 + "</main>")
    )
    result = run(project, "import", _incoming(project, "deep.html", page.encode()))
    # the HTML parser keeps 256 levels (libxml2): the article, deeper, is not found, and that is said
    assert (result.code, result.err) == (1, "incoming/deep.html: no article text found in the page\n" + ONE_ERROR)


# ---------------------------------------------------------------- WARC


def _warc(records: list[tuple[str, str, bytes, str]], gz: bool = True) -> bytes:
    """A WARC file: for each (uri, content type, payload, date) a response record, after a warcinfo record and
    a request record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("crawl.warc.gz", {"software": "test"}))
    for uri, ctype, payload, date in records:
        request = b"GET / HTTP/1.1\r\n\r\n"
        writer.write_record(
            writer.create_warc_record(
                uri, "request", payload=io.BytesIO(request), length=len(request), warc_headers_dict={"WARC-Date": date}
            )
        )
        status = "301 Moved Permanently" if ctype == "redirect" else "200 OK"
        headers = StatusAndHeaders(
            status, [("Content-Type", "text/html" if ctype == "redirect" else ctype)], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(payload),
                length=len(payload),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": date},
            )
        )
    return out.getvalue()


SECOND = news_page(
    title="GigaDevice Semiconductor opens a design centre",
    paragraphs=[
        (
            "GigaDevice Semiconductor opened a design centre in Hefei on Monday, the company "
            "said, its third in the country this year."
        ),
        "It will employ 300 engineers.",
    ],
    charset="windows-1252",
).replace("\u2019", "'")


def test_a_warc_file_gives_an_article_per_html_response(project, run):
    first, second = news_page().encode(), SECOND.encode("cp1252")
    data = _warc(
        [
            ("https://news.example/a", "text/html; charset=utf-8", first, "2026-01-16T01:30:00Z"),
            ("https://news.example/logo.png", "image/png", b"\x89PNG\r\n", "2026-01-16T01:30:01Z"),
            ("https://news.example/old", "redirect", b"moved", "2026-01-16T01:30:02Z"),
            ("https://news.example/b", "text/html; charset=windows-1252", second, "2026-01-16T01:31:00Z"),
        ]
    )
    result = run(project, "import", _incoming(project, "crawl.warc.gz", data))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"imported incoming/crawl.warc.gz -> seeds/articles/{SLUG}.md",
        "imported incoming/crawl.warc.gz -> seeds/articles/gigadevice-semiconductor-opens-a-design-centre.md",
    ]
    a, _ = split_article(project / "seeds" / "articles" / f"{SLUG}.md")
    b, _body = split_article(project / "seeds" / "articles" / "gigadevice-semiconductor-opens-a-design-centre.md")
    assert (a["url"], a["retrieved"], a["raw"]) == (
        "https://news.example/a",
        "2026-01-16T01:30:00+00:00",
        "raw/crawl-00003.html",
    )
    assert (b["url"], b["retrieved"], b["raw"]) == (
        "https://news.example/b",
        "2026-01-16T01:31:00+00:00",
        "raw/crawl-00009.html",
    )
    assert b["companies"] == ["gigadevice-semiconductor"]
    assert (project / "seeds" / "raw" / "crawl-00003.html").read_bytes() == first
    assert (project / "seeds" / "raw" / "crawl-00009.html").read_bytes() == second
    assert b["raw_sha256"] == hashlib.sha256(second).hexdigest()
    assert not list((project / "seeds" / "raw").glob("crawl.warc*"))
    assert run(project, "build").code == 0


def test_an_uncompressed_warc_imports_too(project, run):
    data = _warc([("https://news.example/a", "text/html", news_page().encode(), "2026-01-16T01:30:00Z")], gz=False)
    assert run(project, "import", _incoming(project, "one.warc", data)).code == 0
    assert (project / "seeds" / "raw" / "one-00003.html").is_file()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("cut.warc.gz", None, "incoming/cut.warc.gz: not a WARC file, or cut short after "),
        ("images.warc.gz", "images", "incoming/images.warc.gz: no HTML response records among its 3 records"),
        (
            "text.warc",
            b"this is not a WARC file\n",
            "incoming/text.warc: not a WARC file, or cut short after 0 records: ",
        ),
    ],
)
def test_a_bad_warc_is_one_error_line_and_nothing_written(project, run, name, data, message):
    if data is None:
        whole = _warc([("https://news.example/a", "text/html", news_page().encode(), "2026-01-16T01:30:00Z")])
        data = whole[: len(whole) - 200]
    elif data == "images":
        data = _warc([("https://news.example/logo.png", "image/png", b"\x89PNG\r\n", "2026-01-16T01:30:01Z")])
    path = _incoming(project, name, data)
    before = tree_digest(project)
    result = run(project, "import", path)
    assert result.code == 1 and result.out == ""
    assert result.err.startswith(message) and result.err.endswith(ONE_ERROR), result.err
    assert len(result.err.splitlines()) == 2 and "Traceback" not in result.err
    assert tree_digest(project) == before


def test_a_warc_page_without_a_date_names_the_record(project, run):
    page = news_page(dates=False).replace("<time datetime", "<span x")
    data = _warc([("https://news.example/a", "text/html", page.encode(), "2026-01-16T01:30:00Z")])
    result = run(project, "import", _incoming(project, "c.warc.gz", data))
    assert (result.code, result.err) == (
        1,
        "incoming/c.warc.gz: record 3 (https://news.example/a): published: the "
        "page states no publication date (htmldate infers the day 2026-01-13, "
        "without a time); give it with --published (e.g. "
        "--published 2026-01-15T23:42:00+08:00)\n" + ONE_ERROR,
    )


def test_url_is_refused_for_a_warc_file(project, run):
    data = _warc([("https://news.example/a", "text/html", news_page().encode(), "2026-01-16T01:30:00Z")])
    result = run(project, "import", _incoming(project, "c.warc.gz", data), "--url", "https://news.example/x")
    assert result.code == 2 and "--url" in result.err


def test_build_does_not_import_the_page_libraries(project):
    code = (
        "import sys; from site_builder.cli import main; rc = main(['build', '--source', 'seeds']);"
        "print(rc, sorted(m for m in ('trafilatura', 'htmldate', 'warcio', 'justext') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"
