"""`site-builder import`: the publisher's raw text becomes an article file, word for word, with provenance."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import COMPANY_IDS, SEED_ARTICLE, SEED_RAW, SEED_SLUG, tree_digest
from site_builder.content.importer import markdown_escape
from site_builder.content.markdown import Converter

URL = "https://www.globaltimes.cn/page/202601/1353362.shtml"
TITLE = "GT Voice: Synergy between mainland AI companies, HK market fosters new tech financing hub"
RAW_NAME = SEED_RAW.name
ARTICLE_REL = f"seeds/articles/{SEED_SLUG}.md"
ONE_ERROR = "1 error; nothing was written\n"
GOOD_HEADER = "SOURCE / GT VOICE\nA fine title\nPublished: Jan 15, 2026 11:42 PM\n"


# ---------------------------------------------------------------- helpers


def raw_paragraphs() -> list[str]:
    """The body paragraphs of the committed raw file, found independently of the importer.

    The raw file is: header lines (section/column, title, Published, Illustration), a blank line, a repeated
    'Illustration:' credit, then paragraphs separated by blank lines. Only trailing whitespace is trimmed.
    """
    blocks = [b for b in SEED_RAW.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert blocks[0].splitlines()[1] == TITLE
    assert blocks[1] == "Illustration: Liu Xidan/GT"
    paragraphs = [b.rstrip() for b in blocks[2:]]
    assert len(paragraphs) == 10
    return paragraphs


def split_article(path: Path) -> tuple[dict, str]:
    """(front matter as loaded by YAML, body) of an article file."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


@pytest.fixture
def fresh(project: Path) -> tuple[Path, Path]:
    """A project whose seeds/articles and seeds/raw are empty, and a copy of the raw seed in incoming/."""
    for folder in ("articles", "raw"):
        shutil.rmtree(project / "seeds" / folder)
        (project / "seeds" / folder).mkdir()
    incoming = project / "incoming"
    incoming.mkdir()
    raw = incoming / RAW_NAME
    shutil.copyfile(SEED_RAW, raw)
    return project, raw


@pytest.fixture
def imported(fresh, run) -> tuple[Path, dict, str]:
    """The raw seed imported with --url into the fresh project: (project, front matter, body)."""
    project, _raw = fresh
    result = run(project, "import", f"incoming/{RAW_NAME}", "--url", URL)
    assert result.code == 0, result.err
    assert result.out == f"imported incoming/{RAW_NAME} -> {ARTICLE_REL}\n"
    assert result.err == ""
    front, body = split_article(project / ARTICLE_REL)
    return project, front, body


# ---------------------------------------------------------------- the real seed


@pytest.mark.parametrize(
    "key, expected",
    [
        ("title", TITLE),
        ("published", "2026-01-15T23:42:00+08:00"),
        ("source", "Global Times"),
        ("column", "GT Voice"),
        ("section", "Source"),
        ("illustration", "Liu Xidan/GT"),
        ("url", URL),
        ("raw", f"raw/{RAW_NAME}"),
        ("language", "en"),
        (
            "companies",
            [
                "shanghai-biren-technology",
                "shanghai-iluvatar-corex-semiconductor",
                "knowledge-atlas-technology",
                "minimax",
                "gigadevice-semiconductor",
            ],
        ),
    ],
)
def test_import_front_matter_values(imported, key, expected):
    _, front, _ = imported
    assert front[key] == expected


def test_import_front_matter_has_exactly_the_expected_keys(imported):
    _, front, _ = imported
    assert list(front) == [
        "title",
        "published",
        "source",
        "column",
        "section",
        "illustration",
        "url",
        "raw",
        "raw_sha256",
        "language",
        "companies",
    ]


def test_published_is_a_datetime_with_the_publishers_offset(imported):
    _, front, _ = imported
    published = datetime.fromisoformat(front["published"])
    assert published.utcoffset() == timedelta(hours=8)
    assert published == datetime(2026, 1, 15, 23, 42, tzinfo=timezone(timedelta(hours=8)))
    assert published.astimezone(UTC) == datetime(2026, 1, 15, 15, 42, tzinfo=UTC)


def test_companies_are_every_registry_company_in_order_of_first_mention(imported):
    _, front, _ = imported
    registry = yaml.safe_load((imported[0] / "seeds" / "companies.yaml").read_text(encoding="utf-8"))
    text = "\n".join(raw_paragraphs())
    first_seen = {c["id"]: min(text.find(n) for n in [c["name"], *c["aliases"]] if n in text) for c in registry}
    assert sorted(front["companies"]) == sorted(COMPANY_IDS)
    assert front["companies"] == sorted(first_seen, key=first_seen.get)


def test_illustration_credit_appears_exactly_once(imported):
    project, _, body = imported
    text = (project / ARTICLE_REL).read_text(encoding="utf-8")
    assert SEED_RAW.read_text(encoding="utf-8").count("Liu Xidan/GT") == 2  # the raw repeats it
    assert text.count("Liu Xidan/GT") == 1
    assert "Illustration" not in body


def test_raw_file_is_stored_byte_identical_with_its_sha256(imported):
    project, front, _ = imported
    stored = project / "seeds" / "raw" / RAW_NAME
    assert stored.read_bytes() == SEED_RAW.read_bytes()
    assert front["raw_sha256"] == hashlib.sha256(SEED_RAW.read_bytes()).hexdigest()
    assert front["raw_sha256"] == "3addd5a367307674a354057a76bd5b21d7e4b8fe7824b4fd4d26dca3024f0067"
    assert sorted(p.name for p in (project / "seeds" / "raw").iterdir()) == [RAW_NAME]


@pytest.mark.parametrize("extra, has_url", [((), False), (("--url", URL), True)])
def test_url_is_stored_only_when_given(fresh, run, extra, has_url):
    project, _ = fresh
    assert run(project, "import", f"incoming/{RAW_NAME}", *extra).code == 0
    front, _ = split_article(project / ARTICLE_REL)
    assert ("url" in front) is has_url
    assert front.get("url") == (URL if has_url else None)


def test_publication_option_sets_the_source(fresh, run):
    project, _ = fresh
    assert run(project, "import", f"incoming/{RAW_NAME}", "--publication", "Other Paper").code == 0
    front, _ = split_article(project / ARTICLE_REL)
    assert front["source"] == "Other Paper"


def test_body_paragraphs_are_the_raw_paragraphs_word_for_word(imported):
    _, _, body = imported
    assert body.startswith("\n") and body.endswith("\n") and not body.endswith("\n\n")
    assert body.strip("\n").split("\n\n") == raw_paragraphs()


def test_rendered_paragraphs_are_the_raw_paragraphs_word_for_word(imported, run):
    project, _, _ = imported
    result = run(project, "build")
    assert result.code == 0, result.err
    page = lxml.html.fromstring((project / "output" / "articles" / SEED_SLUG / "index.html").read_bytes())
    body_ps = page.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), ' body ')]//p")  # `.body p`
    assert [p.text_content() for p in body_ps] == raw_paragraphs()
    assert page.xpath("//h1/@data-title") == [TITLE]  # shown without "GT Voice: " under the column's kicker
    links = {a.text_content() for a in page.xpath("//a[@class='company-mention']")}
    assert {"Shanghai Biren Technology Co", "MiniMax", "Zhipu", "GigaDevice Semiconductor"} <= links


@pytest.mark.parametrize("where", ["incoming", "seeds/raw"])
def test_importing_the_committed_raw_reproduces_the_committed_article(project, run, where):
    (project / "seeds" / "articles" / f"{SEED_SLUG}.md").unlink()
    if where == "incoming":
        (project / "incoming").mkdir()
        shutil.copyfile(SEED_RAW, project / "incoming" / RAW_NAME)
    result = run(project, "import", f"{where}/{RAW_NAME}", "--url", URL)
    assert result.code == 0, result.err
    assert (project / ARTICLE_REL).read_bytes() == SEED_ARTICLE.read_bytes()
    assert (project / "seeds" / "raw" / RAW_NAME).read_bytes() == SEED_RAW.read_bytes()


def test_bom_and_crlf_raw_gives_the_same_article(fresh, run):
    project, raw = fresh
    raw.write_bytes(b"\xef\xbb\xbf" + SEED_RAW.read_bytes().replace(b"\n", b"\r\n"))
    assert run(project, "import", f"incoming/{RAW_NAME}", "--url", URL).code == 0
    got = (project / ARTICLE_REL).read_text(encoding="utf-8")
    expected = SEED_ARTICLE.read_text(encoding="utf-8").replace(
        "3addd5a367307674a354057a76bd5b21d7e4b8fe7824b4fd4d26dca3024f0067", hashlib.sha256(raw.read_bytes()).hexdigest()
    )
    assert got == expected
    assert (project / "seeds" / "raw" / RAW_NAME).read_bytes() == raw.read_bytes()


# ---------------------------------------------------------------- overwriting


@pytest.fixture
def edited(project: Path) -> Path:
    """The committed article, edited by hand after import (so an overwrite would show)."""
    article = project / ARTICLE_REL
    article.write_bytes(article.read_bytes().replace(b"language: en\n", b"language: en\nsummary: Hand-written.\n"))
    return article


def test_existing_article_is_not_overwritten_without_force(project, run, edited):
    before = tree_digest(project / "seeds")
    result = run(project, "import", f"seeds/raw/{RAW_NAME}", "--url", URL)  # the original it has: nothing to do
    assert result.code == 0
    assert result.out == f"unchanged: seeds/raw/{RAW_NAME} is the original of {ARTICLE_REL}\n"
    assert tree_digest(project / "seeds") == before
    result = run(project, "import", f"seeds/raw/{RAW_NAME}")  # without the url: the same title is another article
    assert result.code == 1
    assert result.out == ""
    assert result.err == f"{ARTICLE_REL}: article exists; use --force to overwrite it\n" + ONE_ERROR
    assert tree_digest(project / "seeds") == before
    assert b"summary: Hand-written." in edited.read_bytes()


def test_existing_article_is_overwritten_with_force(project, run, edited):
    """--force rewrites what the raw file determines and keeps what it does not (the hand-written summary)."""
    edited.write_bytes(edited.read_bytes().replace(b"Hong Kong witnessed", b"Hong Kong saw"))  # a body edit
    result = run(project, "import", f"seeds/raw/{RAW_NAME}", "--url", URL, "--force")
    assert result.code == 0, result.err
    front, body = SEED_ARTICLE.read_text(encoding="utf-8")[4:].split("\n---\n", 1)
    assert edited.read_text(encoding="utf-8") == f"---\n{front}\nsummary: Hand-written.\n---\n{body}"


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_a_different_raw_file_with_the_same_name_is_stored_beside_it_never_over_it(project, run, force):
    (project / "seeds" / "articles" / f"{SEED_SLUG}.md").unlink()
    (project / "incoming").mkdir()
    changed = project / "incoming" / RAW_NAME
    changed.write_bytes(SEED_RAW.read_bytes() + b"\n\nOne more paragraph.\n")
    sha = hashlib.sha256(changed.read_bytes()).hexdigest()
    result = run(project, "import", f"incoming/{RAW_NAME}", *force)
    assert result.code == 0, result.err
    kept = f"{RAW_NAME.removesuffix('.txt')}-{sha[:12]}.txt"
    assert (project / "seeds" / "raw" / RAW_NAME).read_bytes() == SEED_RAW.read_bytes()
    assert (project / "seeds" / "raw" / kept).read_bytes() == changed.read_bytes()
    front, _ = split_article(project / ARTICLE_REL)
    assert (front["raw"], front["raw_sha256"]) == (f"raw/{kept}", sha)


# ---------------------------------------------------------------- malformed raw files

BODY = "\nA paragraph.\n"

MALFORMED = [
    pytest.param(b"", 1, "empty file", id="empty"),
    pytest.param(b"\n  \n\t\n", 1, "empty file", id="only-whitespace"),
    pytest.param(
        b"SOURCE GT VOICE\nA fine title\nPublished: Jan 15, 2026 11:42 PM\n" + BODY.encode(),
        1,
        "expected 'SECTION / COLUMN' on the first line",
        id="first-line-without-slash",
    ),
    pytest.param(
        b"\nA fine title\nPublished: Jan 15, 2026 11:42 PM\n" + BODY.encode(),
        1,
        "expected 'SECTION / COLUMN' on the first line",
        id="first-line-blank",
    ),
    pytest.param(
        b"SOURCE / GT VOICE\n\nPublished: Jan 15, 2026 11:42 PM\n" + BODY.encode(),
        2,
        "expected the title on the second line",
        id="missing-title",
    ),
    pytest.param(b"SOURCE / GT VOICE\n", 2, "expected the title on the second line", id="header-only"),
    pytest.param(
        b"SOURCE / GT VOICE\nA fine title\n",
        3,
        "expected 'Published: Mon D, YYYY H:MM AM|PM' on the third line",
        id="missing-published",
    ),
    pytest.param(
        b"SOURCE / GT VOICE\nA fine title\nPublished: 15 January 2026\n" + BODY.encode(),
        3,
        "expected 'Published: Mon D, YYYY H:MM AM|PM' on the third line",
        id="published-other-format",
    ),
    pytest.param(
        b"SOURCE / GT VOICE\nA fine title\nPosted: Jan 15, 2026 11:42 PM\n" + BODY.encode(),
        3,
        "expected 'Published: Mon D, YYYY H:MM AM|PM' on the third line",
        id="published-label",
    ),
    pytest.param(
        b"SOURCE / GT VOICE\nA fine title\nPublished: Feb 30, 2026 11:42 PM\n" + BODY.encode(),
        3,
        "not a valid date: 'Feb 30, 2026 11:42 PM'",
        id="feb-30",
    ),
    pytest.param(
        b"SOURCE / GT VOICE\nA fine title\nPublished: Jan 15, 2026 13:42 PM\n" + BODY.encode(),
        3,
        "not a valid date: 'Jan 15, 2026 13:42 PM'",
        id="hour-13-pm",
    ),
    pytest.param(
        b"SOURCE / GT VOICE\nA fine title\nPublished: Foo 15, 2026 11:42 PM\n" + BODY.encode(),
        3,
        "not a valid date: 'Foo 15, 2026 11:42 PM'",
        id="unknown-month",
    ),
    pytest.param(GOOD_HEADER.encode(), 3, "no body paragraphs after the header", id="no-body"),
    pytest.param(
        GOOD_HEADER.encode() + b"Illustration: A/GT\n\nIllustration: A/GT\n\n\n",
        6,
        "no body paragraphs after the header",
        id="no-body-after-credits",
    ),
    pytest.param(
        GOOD_HEADER.encode() + b"\nCaf\xe9 society.\n",
        5,
        "not valid UTF-8: byte 0xe9 at byte offset 68",
        id="latin-1-in-body",
    ),
    pytest.param(b"\xff\xfeS\x00", 1, "not valid UTF-8: byte 0xff at byte offset 0", id="utf-16"),
    pytest.param(
        b"SOURCE / GT VOICE\n!!! ???\nPublished: Jan 15, 2026 11:42 PM\n" + BODY.encode(),
        2,
        "the title gives an empty slug",
        id="title-without-letters",
    ),
]


@pytest.mark.parametrize("data, line, message", MALFORMED)
def test_malformed_raw_is_refused_and_nothing_is_written(project, run, data, line, message):
    (project / "incoming").mkdir()
    (project / "incoming" / "bad.txt").write_bytes(data)
    before = tree_digest(project)
    result = run(project, "import", "incoming/bad.txt", "--url", URL)
    assert (result.code, result.out, result.err) == (1, "", f"incoming/bad.txt:{line}: {message}\n" + ONE_ERROR)
    assert "Traceback" not in result.err
    assert tree_digest(project) == before


def test_missing_raw_file(project, run):
    before = tree_digest(project)
    result = run(project, "import", "incoming/nope.txt")
    assert (result.code, result.out, result.err) == (
        2,
        "",
        "site-builder: error: argument RAW: file not found: 'incoming/nope.txt'\n",
    )  # a bad command-line value
    assert tree_digest(project) == before


def test_a_good_minimal_raw_file_imports(project, run):
    """The control for the malformed cases: the same header with a body is accepted."""
    (project / "incoming").mkdir()
    (project / "incoming" / "good.txt").write_text(GOOD_HEADER + BODY, encoding="utf-8")
    result = run(project, "import", "incoming/good.txt")
    assert result.code == 0, result.err
    front, body = split_article(project / "seeds" / "articles" / "a-fine-title.md")
    assert (front["title"], front["column"], front["section"], body) == (
        "A fine title",
        "GT Voice",
        "Source",
        "\nA paragraph.\n",
    )
    assert run(project, "check").code == 0


# ---------------------------------------------------------------- markdown_escape round trip

CONVERTER = Converter([], lambda i: i)

# Pieces of Markdown syntax, so that random text meets them far more often than uniformly random characters would.
MARKUP = [
    "#",
    "*",
    "_",
    "`",
    "```",
    "~~~",
    "-",
    "+",
    "1.",
    "2)",
    ">",
    "<",
    "<b>",
    "</p>",
    "<!--",
    "-->",
    "[",
    "]",
    "(",
    ")",
    "[a]: http://x.y",
    "[^1]",
    "*[X]:",
    "!",
    "\\",
    "|",
    "|-|",
    "{",
    "}",
    "{: .x}",
    "{#id}",
    ":",
    "=",
    "===",
    "---",
    "***",
    "&",
    "&amp;",
    "&#65;",
    "&#65",
    "&#x41",
    "&copy;",
    "&copy",
    ";",
    "http://x.y",
    "www.x.y",
    "<http://x.y>",
    "a@b.c",
    "  ",
    "\t",
    "\n",
    "\n:",
    "\n=",
    "\n~~~",
    "\n|",
    "\n-",
    "\n1.",
    "\n>",
    "\u00a0",
]


def _in_scope(text: str) -> bool:
    """Text that is one paragraph of the raw format.

    Out of scope: blank (or whitespace-only) lines, which separate paragraphs in the raw format and so never occur
    inside one; and whitespace at the very start, which Markdown reads as an indented code block (the importer does
    not re-indent raw text, and the publisher's paragraphs never start with whitespace).
    """
    return bool(text.strip()) and not text[0].isspace() and all(line.strip() for line in text.split("\n"))


# Printable characters: no control characters (Markdown uses STX/ETX internally), but newlines and tabs allowed.
_CHARS = st.characters(exclude_categories=("Cc", "Cs"), include_characters="\n\t")
PARAGRAPHS = (
    st.lists(st.one_of(st.text(_CHARS, max_size=8), st.sampled_from(MARKUP)), min_size=1, max_size=12)
    .map("".join)
    .filter(_in_scope)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(PARAGRAPHS)
def test_markdown_escape_round_trips_to_the_same_text(paragraph):
    rendered = CONVERTER.convert(markdown_escape(paragraph)).paragraphs
    assert rendered == (" ".join(paragraph.split()),)


@pytest.mark.parametrize(
    "paragraph",
    [
        "a | b\n--- | ---",
        "a | b\n:-- | ---",
        "|\n|",
        "Term\n: definition",
        "Paragraph\n{: .cls}",
        "Heading\n===",
        "~~~\ncode\n~~~",
        "&#65 and &#x41 and &copy;",
        "R&D & more",
        "1. not a list",
        "- not a list",
        "# not a heading",
        "> not a quote",
        "<b>not bold</b>",
        "*not em*",
        "[not](a link)",
        "`not code`",
    ],
)
def test_markdown_escape_known_traps(paragraph):
    assert CONVERTER.convert(markdown_escape(paragraph)).paragraphs == (" ".join(paragraph.split()),)
