#!/usr/bin/env python3
"""Fuzz `site-builder check` and `site-builder build` with random and hostile archives.

Each case is a small archive made deterministically from (seed, case): the real seed archive (`seeds/`) with
one to three mutations (hostile strings, YAML tricks, wrong types, deep Markdown, raw HTML, symlinks, FIFOs,
odd file names, colliding aliases and slugs, hostile `--base-url` and `--output` values). The case is laid out as

    CASE/outside/            a sibling folder with a user's files (nothing may touch it)
    CASE/project/seeds/      the archive under test
    CASE/project/templates/  a copy of the package's theme
    CASE/project/output/     the site a previous, good build wrote (a copy)

and `check` then `build` run on it as subprocesses (SITE_BUILDER_PAGEFIND= empty, a timeout per run). A
finding is any of:

  crash        a traceback or exception name in stderr, or an exit code other than 0, 1, 2
  hang         a run that did not end within the timeout
  check-wrote  `check` changed anything at all
  outside      `build` changed something other than its output folder, the cache folder and the lock file
  leftover     a staging folder (`.output.*.tmp`) left beside the output after the build ended
  failed-changed  a build that failed (exit 1/2) changed the previous output
  disagree     `check` and `build` gave different exit codes, or (both failing) different problems
  ill-formed   an output file does not parse: .html (html5lib strict, plus the inertness rules of
               tests/test_properties.py), .xml (lxml), .json (json), .bib (balanced braces), `_redirects`
               (three fields a line), `robots.txt` (the four expected lines, two without a base URL), raw/ not byte for byte
  unstable     an immediate second build (nothing changed) failed, wrote elsewhere or wrote other bytes

Usage:
    python3 tests/fuzz/fuzz_archive.py --minutes 10 --seed 1 --report fuzz-report.md
    python3 tests/fuzz/fuzz_archive.py --replay 1:37          # re-run one case, print its findings
    python3 tests/fuzz/fuzz_archive.py --replay 1:37 --keep   # ... and keep its folder to look at

Each new distinct finding (by signature) gets a folder under --findings (default `tests/fuzz/findings/`) with the
case's archive (`case.tar`, symlinks and FIFOs included) and `README.txt` (commands, how to replay).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
try:
    import html5lib  # noqa: F401  (the test extras: html5lib, lxml, pyyaml)
    import lxml  # noqa: F401
    import yaml  # noqa: F401
except ImportError:  # run with a bare python3: use the project's virtual environment if there is one
    VENV_PYTHON = REPO / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    raise

SEEDS = REPO / "seeds"
TEMPLATES = REPO / "site_builder" / "theme"  # the package's theme
SEED_ARTICLE = next(iter(sorted((SEEDS / "articles").glob("*.md"))))
SEED_RAW = next(iter(sorted((SEEDS / "raw").iterdir())))

# --------------------------------------------------------------------------------------------- hostile strings

CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]
BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e"]
INVISIBLE = ["\u200b", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u034f", "\ufff9"]
MARKUP = [
    "<script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "]]>",
    "<![CDATA[x]]>",
    "{{ 7*7 }}",
    "{% raw %}",
    "{#",
    "<!--",
    "-->",
    "&amp;",
    "&#7;",
    "&#0;",
    "&#x0;",
    "&#xD800;",
    "&#x110000;",
    "&#128;",
    "&#x1F;",
    "&lt;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "`",
    "}",
    "{",
    "\\",
    "\\}",
    "%",
    "$",
    "#",
    "~",
    "^",
    "_",
    "@",
    "{}",
    "\\\\",
    "\\",
    "$$",
    "<style>*{}</style>",
    "<iframe src=//evil>",
    "<svg onload=alert(1)>",
    "<base href=//evil/>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    '" onload="x',
    "%0a",
    "%00",
    "../",
    "..\\",
]
UNICODE = [
    "人工智能",
    "Ünïcödé Straße",
    "مرحبا",
    "שלום",
    "🚀",
    "👩‍👩‍👧",
    "e\u0301",
    "ﬁ",
    "Ⅻ",
    "İ",
    "ß",
    "ǅ",
    "Ω",
    "𝔘",
    "\U0010fffd",
    "\ufffd",
    "\uffff",
    "\ufdd0",
    "ｆｕｌｌ",
    "。",
    "、",
]
SURROGATES = ["\ud800", "\udfff", "\udc80", "\ud83d"]


def hostile_text(rng: random.Random, *, benign: bool = False) -> str:
    """A short hostile string: 1-4 pieces of markup, breaks, controls, invisible or odd Unicode, words."""
    pools = [MARKUP, UNICODE, ["word", "Hong Kong", "MiniMax", "Zhipu", " ", "  ", "x"]]
    if not benign:
        pools += [CONTROL, BREAKS, INVISIBLE, SURROGATES]
    parts = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 4))]
    text = "".join(parts)
    if not benign:
        r = rng.random()
        if r < 0.05:
            text = ""
        elif r < 0.10:
            text = rng.choice(["x", "ab ", "A"]) * rng.choice([200, 5000, 70000])
        elif r < 0.13:
            text = " " * rng.randint(1, 3)
    return text if text.strip() or not benign else text + "x"


def yaml_quoted(text: str) -> str:
    """text as a YAML double-quoted scalar, escaping everything not printable (surrogates and controls too)."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif o < 0x20 or 0x7F <= o <= 0x9F or 0xD800 <= o <= 0xDFFF or o in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF):
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def yaml_scalar(rng: random.Random, text: str) -> str:
    """text as some YAML scalar: plain, single-, double-quoted or block, whichever can carry it."""
    choice = rng.random()
    if choice < 0.55 or not text:
        return yaml_quoted(text)
    if choice < 0.75 and all(ch.isprintable() for ch in text):
        return "'" + text.replace("'", "''") + "'"
    if choice < 0.9 and "\n" not in text and all(ch.isprintable() for ch in text):
        return text  # plain: may be anything YAML makes of it (a number, a date, a mapping, an error)
    if all(ch.isprintable() or ch == "\n" for ch in text):
        return "|\n" + "".join("  " + line + "\n" for line in text.split("\n")).rstrip("\n")
    return yaml_quoted(text)


# ------------------------------------------------------------------------------------------------- the case


@dataclass
class Case:
    """One archive being made: the seed article as front matter lines + body, the registry, settings, files."""

    rng: random.Random
    root: Path  # CASE/
    front: dict[str, str] = field(default_factory=dict)  # key -> YAML text of its value (insertion order kept)
    front_text: str | None = None  # replaces the whole front matter block when set
    body: str = ""
    article_bytes: bytes | None = None  # replaces the whole article file when set
    article_name: str = SEED_ARTICLE.name
    companies_text: str = ""
    toml: dict[str, str] = field(default_factory=dict)  # key -> TOML text of its value
    toml_text: str | None = None
    ops: list[Callable[[Case], None]] = field(default_factory=list)  # run after the files are written
    base_url: str | None = None
    output: str = "output"
    strict: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def seeds(self) -> Path:
        return self.project / "seeds"

    def article_text(self) -> bytes:
        if self.article_bytes is not None:
            return self.article_bytes
        front = (
            self.front_text if self.front_text is not None else "".join(f"{k}: {v}\n" for k, v in self.front.items())
        )
        return f"---\n{front}---\n\n{self.body}".encode("utf-8", "surrogatepass")


def _seed_case(rng: random.Random, root: Path) -> Case:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    c = Case(rng, root, body=body.lstrip("\n"))
    key = None
    for line in front.splitlines():
        if line.startswith("- ") and key:
            c.front[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            c.front[key] = value.strip()
    c.companies_text = (SEEDS / "companies.yaml").read_text(encoding="utf-8")
    for line in (SEEDS / "site.toml").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            k, _, v = line.partition("=")
            c.toml[k.strip()] = v.strip()
    return c


def _front_from(c: Case, extra: dict[str, str] | None = None) -> str:
    return "".join(f"{k}: {v}\n" for k, v in {**c.front, **(extra or {})}.items())


def _another_article(c: Case, name: str, front: dict[str, str], body: str = "Another article body.\n") -> None:
    """Add seeds/articles/<name> with the minimal front matter plus front."""
    base = {
        "title": "'Another article'",
        "published": "'2026-01-10T10:00:00+08:00'",
        "source": "Global Times",
        "companies": "[]",
    }
    text = "---\n" + "".join(f"{k}: {v}\n" for k, v in {**base, **front}.items()) + "---\n\n" + body

    def op(case: Case, name=name, text=text) -> None:
        _write_bytes(case.seeds / "articles" / name, text.encode("utf-8", "surrogatepass"))

    c.ops.append(op)


def _write_bytes(path: Path | bytes, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------------------- generators

STRING_KEYS = ["title", "source", "column", "section", "illustration", "summary", "url", "slug", "language"]
ALL_KEYS = [
    *STRING_KEYS,
    "published",
    "updated",
    "retrieved",
    "companies",
    "tags",
    "aliases",
    "draft",
    "raw",
    "raw_sha256",
]


def g_nothing(c: Case) -> None:
    """The seed archive unchanged (the baseline every invariant must hold on)."""


def g_benign_text(c: Case) -> None:
    """A front matter string set to markup, Unicode or words (no control characters, breaks or surrogates)."""
    key = c.rng.choice(["title", "summary", "illustration", "column", "section", "source"])
    c.front[key] = yaml_quoted(hostile_text(c.rng, benign=True))


def g_benign_body(c: Case) -> None:
    """A body of Markdown and raw HTML with scripts, handlers and javascript: links (sanitised, must stay inert)."""
    pieces = [
        "<script>alert(1)</script>",
        "<a href='javascript:alert(1)'>x</a>",
        "[x](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "# Heading",
        "- item\n- item",
        "> quote",
        "`code`",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "<details><summary>s</summary>x</details>",
        "MiniMax",
        "*a* **b** _c_",
        "[x][r]\n\n[r]: https://example.org/",
        "Text[^1]\n\n[^1]: note",
        "&amp; &lt;",
    ]
    c.body = "\n\n".join(c.rng.choice(pieces) for _ in range(c.rng.randint(1, 8))) + "\n"


def g_benign_second(c: Case) -> None:
    """A second, valid article (another slug, maybe a company and an alias)."""
    _another_article(
        c, "second-article.md", {"companies": "[minimax]", "aliases": "[old/second/]"}, "MiniMax said so.\n"
    )


def g_benign_bad_date(c: Case) -> None:
    """A refused value (a date without offset, an unknown company, an unknown key): exit 1, output untouched."""
    c.front[c.rng.choice(["published", "companies", "titel"])] = c.rng.choice(
        ["'2026-01-15T23:42:00'", "[nobody]", "x"]
    )


def g_field(c: Case) -> None:
    """A front matter string set to a hostile string, written as some YAML scalar."""
    key = c.rng.choice([*STRING_KEYS, "tags", "aliases"])
    value = yaml_scalar(c.rng, hostile_text(c.rng))
    c.front[key] = f"[{value}]" if key in ("tags", "aliases") and not value.startswith("|") else value


def g_wrong_type(c: Case) -> None:
    """A front matter key given a value of the wrong type (or an odd one of the right type)."""
    key = c.rng.choice(ALL_KEYS)
    c.front[key] = c.rng.choice(
        [
            "1",
            "-1",
            "1.5",
            "1e400",
            ".nan",
            ".inf",
            "true",
            "no",
            "null",
            "~",
            "[]",
            "{}",
            "[[a]]",
            "{a: b}",
            "[1, 2]",
            "2026-01-15",
            "2026-01-15T23:42:00+08:00",
            "2026-01-15 23:42:00",
            "0x1F",
            "0o17",
            "!!binary aGVsbG8=",
            "!!str 2026-01-15T23:42:00+08:00",
            "!!timestamp '2026-01-15'",
            "!!set {a, b}",
            "!!omap [a: 1]",
            "!!python/object/apply:os.system ['touch ../outside/pwned']",
            "!!python/name:os.system",
            "!foo bar",
            "'0001-01-01T00:00:00+14:00'",
            "'9999-12-31T23:59:59-23:59'",
            "'2026-02-30T00:00:00+08:00'",
            "'2026-01-15T23:42:00+25:00'",
            "'2026-01-15T23:42:60+08:00'",
            "'+12026-01-15T00:00:00+00:00'",
            "'2026-01-15T23:42:00.123456789+08:00'",
            "'2026-01-15T23:42:00Z'",
            "'2026-W03-4T23:42:00+08:00'",
            "'20260115T234200+0800'",
            "'2026-01-15T23:42:00+08:00:30'",
            "'1970-01-01T00:00:00+00:00'",
            "'2026-01-15T23:42:00+08:00\\n'",
            '"2026-01-15T23:42:00\\u00a0+08:00"',
            "'   '",
            "''",
            "' x'",
            "[minimax, minimax]",
            "[MiniMax]",
            "[' minimax']",
            "[null]",
            "[[minimax]]",
            "raw/",
            "raw",
            "raw/.",
            "raw/../raw/000_ff62e51a18514715.txt",
            "raw//000_ff62e51a18514715.txt",
            "./raw/000_ff62e51a18514715.txt",
            "raw\\000_ff62e51a18514715.txt",
            "/etc/hostname",
            "../outside/secret.txt",
            "raw/../../outside/secret.txt",
            "companies.yaml",
            "raw/nonexistent.txt",
            "RAW/000_ff62e51a18514715.txt",
            "'" + "A" * 64 + "'",
            "'" + "g" * 64 + "'",
            "'" + "0" * 63 + "'",
            "[articles/x/, articles/x/]",
            "['']",
            "['/']",
            "[.]",
        ]
    )


def g_yaml_tricks(c: Case) -> None:
    """Front matter with YAML tags, anchors/aliases, merge keys, non-string keys, duplicate keys, documents."""
    trick = c.rng.choice(
        [
            "&a title: x\n",
            "title: &a T\nsummary: *a\n",
            "<<: {column: X}\n",
            "<<: [{column: X}, {section: Y}]\n",
            "? [a, b]\n: c\n",
            "? {a: b}\n: c\n",
            "1: x\n",
            "null: x\n",
            "true: x\n",
            "2026-01-01: x\n",
            "~: x\n",
            "title: again\n",
            "'title': again\n",
            '"title": again\n',
            "title : spaced\n",
            "? title\n: complex\n",
            "--- \n",
            "...\n",
            "%YAML 1.1\n",
            "!!map {a: b}: c\n",
            "tags: !!seq [a, b]\n",
            "tags: [a, [b, [c, [d]]]]\n",
            "tags: " + "[" * 60 + "]" * 60 + "\n",
            "tags: " + "{a: " * 40 + "x" + "}" * 40 + "\n",
            "tags: [" + ", ".join(f"t{i}" for i in range(3000)) + "]\n",
            "summary: >-\n  folded\n  text\n",
            "summary: |+\n  kept\n\n\n",
            "summary: !!str\n",
            "summary:\n",
            "summary: 'a\n  b'\n",
            "\ttitle: tab\n",
            "title:\tx\n",
            "# only a comment\n",
            'summary: "\\ud800"\n',
            'summary: "\\x00"\n',
            'summary: "\\x07 bell"\n',
            'summary: "\\N\\_\\L\\P"\n',
            'summary: "\\e[31m"\n',
            "title: !!python/object/new:tuple [[1]]\n",
            "title: !<tag:yaml.org,2002:str> x\n",
        ]
    )
    for key in list(c.front):
        if key in trick.split(":")[0] and trick.split(":")[0].strip() in ("title", "summary", "tags"):
            del c.front[key]
    if c.rng.random() < 0.5:
        c.front_text = _front_from(c) + trick
    else:
        items = list(c.front.items())
        pos = c.rng.randint(0, len(items))
        c.front_text = (
            "".join(f"{k}: {v}\n" for k, v in items[:pos]) + trick + "".join(f"{k}: {v}\n" for k, v in items[pos:])
        )


def g_file_bytes(c: Case) -> None:
    """The article file's bytes: BOM, CRLF/CR, NUL, bad UTF-8, UTF-16, no closing ---, empty, front matter only."""
    text = c.article_text()
    c.article_bytes = c.rng.choice(
        [
            b"\xef\xbb\xbf" + text,
            text.replace(b"\n", b"\r\n"),
            text.replace(b"\n", b"\r"),
            text + b"\x00",
            text.replace(b"Hong Kong", b"Hong\xffKong", 1),
            text.replace(b"Hong Kong", b"Hong\xc3Kong", 1),
            text.replace(b"Hong Kong", b"Hong \xed\xa0\x80 Kong", 1),
            "\ufeff".encode("utf-16") + text.decode().encode("utf-16-le"),
            text.replace(b"---\n\n", b"\n", 1),
            b"",
            b"---\n",
            b"---\n---\n",
            text.split(b"\n---\n")[0] + b"\n---\n",
            text.replace(b"---\n", b"--- \n", 1),
            text.replace(b"---\n", b"----\n", 1),
            b"\n" + text,
            text.replace(b"\n---\n", b"\n...\n", 1),
            text + b"\n---\nmore: yaml\n---\n",
            text.rstrip(b"\n"),
            text.replace(b"\n", b"\n\x0c", 3),
            text.replace(b"\n", b"\r\r\n", 2),
            text.replace(b"Hong", b"Ho\xcc\x81ng"),
        ]
    )


def g_body(c: Case) -> None:
    """A body of nested or pathological Markdown: brackets, emphasis, quotes, lists, links, HTML, entities."""
    rng = c.rng
    n = rng.choice([3, 20, 100, 400, 1500])
    kind = rng.randrange(16)
    if kind == 0:
        body = "[" * n + "x" + "]" * n + "(y)"
    elif kind == 1:
        body = "*" * n + "x" + "*" * n
    elif kind == 2:
        body = "".join("> " * i + "quote\n" for i in range(1, min(n, 200)))
    elif kind == 3:
        body = "".join("  " * i + "- item\n" for i in range(min(n, 300)))
    elif kind == 4:
        body = "<div>" * n + "x" + "</div>" * n
    elif kind == 5:
        body = "> " * n + "deep"
    elif kind == 6:
        body = "[a](" * n + "b" + ")" * n
    elif kind == 7:
        body = "\n\n".join(f"p{i}" for i in range(n * 3))
    elif kind == 8:
        body = "`" * n + "x" + "`" * (n - 1)
    elif kind == 9:
        body = "<" * n + "a" + ">" * n
    elif kind == 10:
        body = "![" * n + "x" + "](y)" * n
    elif kind == 11:
        body = "_" * n + "x" + "_" * n + " *" * n
    elif kind == 12:
        body = "1. " * n + "x"
    elif kind == 13:
        body = "<" + "a " * n + ">" + "&#" * n
    elif kind == 14:
        body = "[x]: <" + "y" * n + ">\n\n" + "[x]" * n
    else:
        body = "| a " * n + "|\n" + "|---" * n + "|\n"
    c.body = rng.choice(["", "Intro paragraph.\n\n"]) + body + "\n"


def g_body_html(c: Case) -> None:
    """A body with raw HTML, hostile links, entities, md_in_html, attr_list, footnotes, abbreviations."""
    pieces = [
        "<script>alert(1)</script>",
        "<scr<script>ipt>alert(1)</script>",
        "<a href='javascript:alert(1)'>x</a>",
        "<a href='jav&#x09;ascript:alert(1)'>x</a>",
        "<a href=' javascript:alert(1)'>x</a>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](vbscript:msgbox)",
        "[x](data:text/html,<b>)",
        "<img src=x onerror=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mi xlink:href=javascript:x>",
        "<iframe src=//evil></iframe>",
        "<object data=x></object>",
        "<base href=//evil/>",
        ("<form><button formaction=javascript:x>b</button></form>"),
        "<style>body{}</style>",
        "<link rel=stylesheet href=//evil>",
        "<meta http-equiv=refresh content=0;url=//evil>",
        "<!-- comment -->",
        "<!-- unclosed",
        "<![CDATA[x]]>",
        "<!DOCTYPE html>",
        "<?php x ?>",
        "&#7;",
        "&#0;",
        "&#xD800;",
        "&#x110000;",
        "&#128;",
        "&#x85;",
        "&#xFFFE;",
        "&nosuch;",
        "&amp",
        "&#",
        '<div markdown="1">*md*</div>',
        'para\n{: onclick="alert(1)" #id .c }',
        'para\n{: style="x" }',
        "# H {: onclick=x }",
        "Text[^1]\n\n[^1]: note <script>x</script>",
        "*[HTML]: Hyper <script>x</script>\n\nHTML",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<x-custom>y</x-custom>",
        '<a href="../../outside/secret.txt">s</a>',
        "[s](../../../outside/secret.txt)",
        "[s](/etc/passwd)",
        "[s](file:///etc/passwd)",
        "[r](../../raw/000_ff62e51a18514715.txt)",
        '<a href="//evil">x</a>',
        "<table><tr><td>x</table>",
        "<p>unclosed <b>bold <i>it",
        "</div></div></body></html>",
        "<body onload=x>",
        "<template><script>x</script></template>",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        "<textarea></textarea><script>x</script>",
        "<title>t</title>",
        "<plaintext>x",
        "<xmp><script></xmp>",
        "\u2028line\u2029sep",
        "]]>",
        "</script>",
        '<a href="x" target=_blank>t</a>',
        "`<script>`",
        "```\n<script>alert(1)</script>\n```",
        "    <script>indented</script>",
        '<abbr title="x" onclick="y">a</abbr>',
    ]
    c.body = "\n\n".join(c.rng.choice(pieces) for _ in range(c.rng.randint(1, 6))) + "\n"
    if c.rng.random() < 0.3:
        c.front.pop("summary", None)


def g_companies(c: Case) -> None:
    """The company registry with hostile names, aliases, ids, duplicates, wrong types or broken YAML."""
    rng = c.rng
    h = lambda: yaml_scalar(rng, hostile_text(rng))  # noqa: E731
    entry = "- id: {id}\n  name: {name}\n  aliases: {aliases}\n  description: {desc}\n"
    kind = rng.randrange(8)
    if kind == 0:
        c.companies_text += "\n" + entry.format(id="hostile-co", name=h(), aliases=f"[{h()}]", desc=h())
        c.front["companies"] += "\n- hostile-co"
        c.body += "\n\nHostile mention.\n"
    elif kind == 1:
        c.companies_text += "\n" + entry.format(id=h(), name="'Fresh Co'", aliases="[]", desc="x")
    elif kind == 2:
        c.companies_text += "\n" + entry.format(id="minimax", name="'Other'", aliases="[]", desc="dup id")
    elif kind == 3:
        c.companies_text += "\n" + entry.format(id="other", name="'Zhipu'", aliases="[MiniMax]", desc="clash")
    elif kind == 4:
        c.companies_text = rng.choice(
            [
                "",
                "[]",
                "{}",
                "x",
                "- x",
                "- []",
                "- {id: a}",
                "null",
                "- id: [a]\n  name: b",
                "- &a {id: a, name: b, aliases: [], description: d}\n- *a",
                "- <<: {id: a}\n  name: b\n  aliases: []\n  description: d",
                "- ? [id]\n  : a",
                "- id: a\n  name: b\n  aliases: [[c]]\n  description: d",
                "- id: a\n  name: b\n  aliases: c\n  description: d",
                "- id: a\n  name: 1\n  aliases: []\n  description: 2",
                "- id: A\n  name: b\n  aliases: []\n  description: d",
                "- id: con\n  name: b\n  aliases: []\n  description: d",
                "- id: a\n  name: ''\n  aliases: ['']\n  description: ''",
                "- id: a\n  name: b\n  aliases: []\n  description: d\n  extra: 1",
                "\t- bad indent",
                "- id: a\n  id: b",
                "\x00",
                "\ufeff[]",
                "[" * 500 + "]" * 500,
            ]
        )
    elif kind == 5:
        count = rng.choice([50, 300, 1000])
        c.companies_text += "".join(
            entry.format(id=f"co-{i}", name=f"'Company {i}'", aliases=f"[C{i}x]", desc="d") for i in range(count)
        )
    elif kind == 6:
        c.companies_text += "\n" + entry.format(
            id="ai",
            name="'AI'",
            aliases="[Hong, Kong, 'Hong Kong', The, a, ' ']",
            desc="short names mentioned everywhere",
        )
        c.front["companies"] += "\n- ai"
    else:
        c.companies_text += "\n" + entry.format(
            id="re-co",
            name=yaml_quoted(
                rng.choice(["a.*b", "(x", "\\", "[", "$", "^", "C++", ".NET", "a|b", "?", "(?P<x>)", "\\1", "*"])
            ),
            aliases="[]",
            desc="x",
        )


def g_settings(c: Case) -> None:
    """site.toml with hostile, wrong-typed or unknown values, or broken TOML."""
    rng = c.rng
    key = rng.choice(
        ["title", "description", "base_url", "language", "timezone", "page_size", "feed_size", "publication", "unknown"]
    )
    value = rng.choice(
        [
            json.dumps(hostile_text(rng)),
            "0",
            "-1",
            "1",
            "10000000000000000000000",
            "1.5",
            "true",
            "[]",
            "{}",
            '""',
            '"Asia/Shanghai\\n"',
            '"../../../../etc/passwd"',
            '"/etc/localtime"',
            '"posix/Asia/Shanghai"',
            '"UTC"',
            '"Etc/GMT+14"',
            '"Etc/GMT-14"',
            '"nonexistent/zone"',
            '"."',
            '"javascript:alert(1)"',
            '"http://x/\\n"',
            '"en\\u0000"',
            '"en-US"',
            '"x-evil"',
            '"\\"><script>x</script>"',
            "2026-01-01T00:00:00Z",
            '"\\u202e"',
        ]
    )
    if rng.random() < 0.1:
        c.toml_text = rng.choice(
            [
                "x = ",
                "[table]\nx=1",
                "title = 'a'\ntitle = 'b'",
                "\x00",
                "a.b.c = 1",
                'title = """\nmulti\nline"""',
                "[[array]]",
                "title = 'unterminated",
            ]
        )
    else:
        c.toml[key] = value


BASE_URLS = [
    "javascript:alert(1)//",
    "http://example.org/\n",
    "http://example.org/\nSitemap: http://evil/",
    "http://x/\r\n",
    'http://example.org/"><script>alert(1)</script>/',
    "http://ex ample.org/",
    "http://example.org",
    "https://example.org/a b/",
    "//example.org/",
    "file:///etc/",
    "http://例子.测试/",
    "http://[::1]:99999/",
    "http://[::1/",
    "http://example.org/?q=1#f",
    "http://example.org/%00/",
    "ftp://example.org/",
    "",
    "http://user:pass@example.org/",
    "http://example.org/]]>/",
    "http://example.org/&amp;/",
    "http://x/{{7*7}}/",
    "http://example.org/" + "a" * 5000 + "/",
    "http://example.org/\u202e/",
    "http://x:80:80/",
    "http://example.org/path/../../",
    "HTTP://EXAMPLE.ORG/",
    "http://example.org/\x07/",
    "http://example.org/\t/",
    "http://example.org/~user/",
    "http://example.org/a%20b/",
    "http://example.org/\u00e9/",
    "https:example.org/",
    "http:///",
    "http://",
    "data:text/html,<script>x</script>/",
    "http://example.org/ /",
    "http://example.org/#",
    "http://example.org/\\evil/",
    "http://example.org/a'b/",
    'http://example.org/a"b/',
    "http://example.org/<a>/",
    "http://example.org/\u2028/",
    "http://example.org/}/",
    "-",
    "--",
    "--help",
]


def g_base_url(c: Case) -> None:
    """A hostile --base-url (or base_url in site.toml)."""
    url = c.rng.choice(BASE_URLS)
    if c.rng.random() < 0.7:
        c.base_url = url
    else:
        c.toml["base_url"] = json.dumps(url)


def g_output_arg(c: Case) -> None:
    """A hostile --output: the archive itself, its parents, a user's folder, a file, a link."""
    c.output = c.rng.choice(
        [
            ".",
            "..",
            "seeds",
            "seeds/raw",
            "seeds/articles",
            "../outside",
            "templates",
            "seeds/../output",
            "output/sub",
            "../project",
            "seeds/out",
            "output/",
            "./output",
            "out\nput",
            "../outside/secret.txt",
            "link-out",
            "link-seeds",
            "Output",
        ]
    )
    if c.output in ("link-out", "link-seeds"):
        target = "../outside" if c.output == "link-out" else "seeds"
        c.ops.append(lambda case, t=target, n=c.output: os.symlink(t, case.project / n))


def _symlink(c: Case, link: str, target: str) -> None:
    def op(case: Case) -> None:
        path = case.seeds / link
        if path.is_symlink() or path.exists():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        os.symlink(target, path)

    c.ops.append(op)


def g_symlinks(c: Case) -> None:
    """Links: to outside, dangling, loops, folder links for raw/ and articles/, links to devices."""
    rng = c.rng
    kind = rng.randrange(12)
    if kind == 0:
        _symlink(c, "articles/linked.md", "../../../outside/article.md")
    elif kind == 1:
        _symlink(c, "articles/dangling.md", "nowhere.md")
    elif kind == 2:
        _symlink(c, "articles/loop.md", "loop.md")
    elif kind == 3:
        _symlink(c, "articles/a.md", "b.md")
        _symlink(c, "articles/b.md", "a.md")
    elif kind == 4:
        c.ops.append(
            lambda case: shutil.copytree(case.seeds / "raw", case.root / "outside" / "raw", dirs_exist_ok=True)
        )
        _symlink(c, "raw", "../../outside/raw")
    elif kind == 5:
        c.ops.append(lambda case: shutil.copytree(case.seeds / "articles", case.root / "outside" / "articles"))
        _symlink(c, "articles", "../../outside/articles")
    elif kind == 6:
        _symlink(
            c,
            "companies.yaml",
            rng.choice(["/dev/null", "../../outside/companies.yaml", "nowhere.yaml", "companies.yaml", "articles"]),
        )
    elif kind == 7:
        _symlink(
            c,
            "raw/" + SEED_RAW.name,
            rng.choice(
                ["/etc/hostname", "../../../outside/secret.txt", "nowhere", SEED_RAW.name, "../raw", "/dev/null"]
            ),
        )
    elif kind == 8:
        _symlink(c, "articles/copy.md", SEED_ARTICLE.name)  # an in-archive link: a second article, same slug
    elif kind == 9:
        _symlink(c, "articles/sub", "..")  # a folder link inside articles/ (a loop through the archive)
    elif kind == 10:
        _symlink(c, "site.toml", rng.choice(["../../outside/site.toml", "/dev/null", "site.toml", "nowhere"]))
    else:
        _symlink(c, "raw/extra.txt", "../../../outside/secret.txt")  # an unused raw file that is a link out


def g_fifo(c: Case) -> None:
    """A FIFO where a file is read: an article, the registry, the settings, a raw file (where the OS has FIFOs)."""
    if not hasattr(os, "mkfifo"):
        return
    where = c.rng.choice(["articles/fifo.md", "companies.yaml", "site.toml", "raw/" + SEED_RAW.name, "raw/extra.txt"])

    def op(case: Case, where=where) -> None:
        path = case.seeds / where
        if path.exists():
            path.unlink()
        os.mkfifo(path)

    c.ops.append(op)


ODD_NAMES = [
    "with space.md",
    "UPPER.MD",
    "Upper.md",
    "#hash.md",
    "q?mark.md",
    "100%.md",
    "..md",
    ".hidden.md",
    "-.md",
    "CON.md",
    "nul.md",
    "a\nb.md",
    "a\\b.md",
    "a:b.md",
    "é.md",
    "e\u0301.md",
    "人工智能.md",
    "x" * 240 + ".md",
    ".md",
    "a.md.md",
    "a .md",
    " a.md",
    "a\tb.md",
    "a\x07b.md",
    "a\u202eb.md",
    "*.md",
    "[a].md",
    "a.markdown",
    "Hello World!.md",
    "hello-world.md",
]


def g_file_names(c: Case) -> None:
    """Articles with odd file names (spaces, case, breaks, controls, Unicode, very long, not UTF-8)."""
    rng = c.rng
    for _ in range(rng.randint(1, 2)):
        if rng.random() < 0.15:
            name: str | bytes = rng.choice([b"bad\xff.md", b"\xc3.md", b"\xed\xa0\x80.md"])
        else:
            name = rng.choice(ODD_NAMES)
        title = f"'Odd {rng.randrange(10**6)}'"

        def op(case: Case, name=name, title=title) -> None:
            text = f"---\ntitle: {title}\npublished: '2026-01-10T10:00:00+08:00'\nsource: S\ncompanies: []\n---\n\nx\n"
            folder = bytes(case.seeds / "articles") if isinstance(name, bytes) else case.seeds / "articles"
            path = folder + b"/" + name if isinstance(name, bytes) else folder / name
            try:
                _write_bytes(path, text.encode())
            except OSError as exc:
                case.notes.append(f"could not create {name!r}: {exc}")

        c.ops.append(op)


def g_raw_files(c: Case) -> None:
    """raw/ with odd files: .html originals, hidden, binary, odd names, subfolders, the marker name."""
    rng = c.rng
    name = rng.choice(
        [
            "x.html",
            "x.htm",
            "x.svg",
            "x.xml",
            "x.js",
            ".hidden",
            "sub/x.txt",
            "with space.txt",
            "a#b.txt",
            "a?b.txt",
            "%41.txt",
            "index.html",
            ".site-builder-output",
            "_redirects",
            "x.TXT",
            "é.txt",
            "a\nb.txt",
            "x.md",
            ".htaccess",
            "x" * 250,
            "CON.txt",
        ]
    )
    data = rng.choice(
        [
            b"<script>alert(1)</script>",
            b"\x00\xff binary",
            b"",
            b"plain text\n",
            "é".encode("latin-1"),
            b"<html><body onload=alert(1)>x</body></html>",
        ]
    )
    reference = rng.random() < 0.6

    def op(case: Case, name=name, data=data) -> None:
        path = case.seeds / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(path, data)

    c.ops.append(op)
    if reference:
        digest = hashlib.sha256(data).hexdigest()
        _another_article(c, "with-raw.md", {"raw": yaml_quoted("raw/" + name), "raw_sha256": f"'{digest}'"})


def g_raw_folders(c: Case) -> None:
    """Raw originals in subfolders of raw/, two with one file name, each cited (with its SHA-256) by an article."""
    name = c.rng.choice(["x.txt", SEED_RAW.name])
    for i, folder in enumerate(c.rng.sample(["a", "b", "a/b", "A", "sub dir"], 2)):
        data = f"original {i} in {folder}\n".encode()

        def op(case: Case, folder=folder, data=data) -> None:
            (case.seeds / "raw" / folder).mkdir(parents=True, exist_ok=True)
            _write_bytes(case.seeds / "raw" / folder / name, data)

        c.ops.append(op)
        _another_article(
            c,
            f"raw-{i}.md",
            {"raw": yaml_quoted(f"raw/{folder}/{name}"), "raw_sha256": f"'{hashlib.sha256(data).hexdigest()}'"},
        )


ALIASES = [
    "feed.xml",
    "index.html",
    "/",
    "",
    "articles/{slug}/",
    "ARTICLES/{SLUG}/",
    "raw/000_ff62e51a18514715.txt",
    "static/style.css",
    "api/articles.json",
    ".site-builder-output",
    "_redirects",
    "404.html",
    "robots.txt",
    "pagefind/x",
    "companies/minimax/feed.xml",
    "companies/minimax/",
    "search/",
    "sources/global-times/",
    "a//b",
    "./x",
    "~",
    "a/./b",
    ".git/config",
    "x/.",
    "old/",
    "old",
    "OLD/",
    "old/index.html",
    "old.html",
    "../x",
    "/../x",
    "a/../b",
    "x?y",
    "x#y",
    "x y",
    "x\ny",
    "%2e%2e/x",
    "articles/",
    "companies/",
    "sitemap.xml",
    "static/",
    "static",
    "x" * 300,
    "a/" * 60,
    "index",
    "articles/old/index.html/",
    "articles/{slug}/index.html",
    "articles/{slug}/citation.bib",
    "articles",
    "articles/{slug}",
]


def g_aliases(c: Case) -> None:
    """Aliases and slugs designed to collide with pages, files, each other, the marker; case-only differences."""
    rng = c.rng
    slug = SEED_ARTICLE.stem
    alias = rng.choice(ALIASES).format(slug=slug, SLUG=slug.upper())
    kind = rng.randrange(5)
    if kind == 0:
        c.front["aliases"] = f"[{yaml_quoted(alias)}]"
    elif kind == 1:
        c.front["aliases"] = "[old/, old/]"
    elif kind == 2:
        c.front["aliases"] = f"[{yaml_quoted(alias)}]"
        _another_article(c, "second.md", {"aliases": f"[{yaml_quoted(alias)}]"})
    elif kind == 3:
        _another_article(
            c,
            "second.md",
            {
                "slug": rng.choice(
                    [slug, slug.upper(), slug + "-", "old", "second", slug[:99], "a" * 101, "index", "feed"]
                ),
                "aliases": rng.choice(["[]", "[old/]", f"[articles/{slug}/]"]),
            },
        )
        if rng.random() < 0.5:
            c.front["aliases"] = "[old/]"
    else:
        _another_article(c, rng.choice(["Second.md", "SECOND.md", "second .md"]), {})
        _another_article(c, "second.md", {})


def g_sources(c: Case) -> None:
    """Sources and columns whose slugs collide, are empty, or name files the build writes."""
    rng = c.rng
    name = rng.choice(
        [
            "Global times",
            "Global-Times",
            "GLOBAL TIMES",
            "!!!",
            "feed.xml",
            "index",
            "Feed",
            "...",
            "人民日报",
            "x" * 300,
            "con",
            "Global Times\u00a0",
            " Global Times",
            "Global\u200bTimes",
            "api",
            "GT Voice",
        ]
    )
    field_ = rng.choice(["source", "column"])
    _another_article(c, "second.md", {field_: yaml_quoted(name)})


def g_hostile_every(c: Case) -> None:
    """Several hostile fields at once, across the article, the registry and the settings."""
    for g in (g_field, g_field, g_companies, g_settings):
        if c.rng.random() < 0.6:
            g(c)


@dataclass(frozen=True)
class Generator:
    name: str
    fn: Callable[[Case], None]
    weight: float
    benign: bool = False  # in the smoke profile: cases today's code (and any fixed code) must pass


GENERATORS = [
    Generator("nothing", g_nothing, 0.3, benign=True),
    Generator("benign_text", g_benign_text, 0.5, benign=True),
    Generator("benign_body", g_benign_body, 0.5, benign=True),
    Generator("benign_second", g_benign_second, 0.3, benign=True),
    Generator("benign_bad_value", g_benign_bad_date, 0.3, benign=True),
    Generator("field", g_field, 3),
    Generator("wrong_type", g_wrong_type, 2),
    Generator("yaml_tricks", g_yaml_tricks, 1.5),
    Generator("file_bytes", g_file_bytes, 1),
    Generator("body", g_body, 1.2),
    Generator("body_html", g_body_html, 1.5),
    Generator("companies", g_companies, 1.5),
    Generator("settings", g_settings, 1),
    Generator("base_url", g_base_url, 1.5),
    Generator("output_arg", g_output_arg, 0.8),
    Generator("symlinks", g_symlinks, 1.2),
    Generator("fifo", g_fifo, 0.8),
    Generator("raw_folders", g_raw_folders, 0.6),
    Generator("file_names", g_file_names, 1),
    Generator("raw_files", g_raw_files, 1),
    Generator("aliases", g_aliases, 1.5),
    Generator("sources", g_sources, 0.7),
    Generator("hostile_every", g_hostile_every, 0.6),
]
BY_NAME = {g.name: g for g in GENERATORS}


def make_case(seed: int, case: int, root: Path, profile: str = "full") -> tuple[Case, list[str]]:
    """Lay out case number `case` of `seed` under root; return it and the generators applied (deterministic)."""
    rng = random.Random(f"site-builder-fuzz:{seed}:{case}")
    c = _seed_case(rng, root)
    pool = [g for g in GENERATORS if g.benign or profile == "full"]
    if profile == "smoke":
        chosen = [pool[case % len(pool)]]
    else:
        chosen = rng.choices(pool, weights=[g.weight for g in pool], k=rng.choice([1, 1, 1, 2, 2, 3]))
    for g in chosen:
        g.fn(c)
    _lay_out(c)
    return c, [g.name for g in chosen]


def _lay_out(c: Case) -> None:
    outside = c.root / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_text("a user's file outside the project\n")
    (outside / "dir" / "keep.txt").write_text("keep\n")
    (outside / "article.md").write_text(
        SEED_ARTICLE.read_text(encoding="utf-8").replace("title: '", "title: 'Outside ", 1), encoding="utf-8"
    )
    (outside / "companies.yaml").write_text("[]\n")
    (outside / "site.toml").write_text("title = 'outside'\n")
    (c.seeds / "articles").mkdir(parents=True)
    shutil.copytree(SEEDS / "raw", c.seeds / "raw")
    shutil.copytree(TEMPLATES, c.project / "templates")
    _write_bytes(c.seeds / "articles" / c.article_name, c.article_text())
    (c.seeds / "companies.yaml").write_bytes(c.companies_text.encode("utf-8", "surrogatepass"))
    toml = c.toml_text if c.toml_text is not None else "".join(f"{k} = {v}\n" for k, v in c.toml.items())
    (c.seeds / "site.toml").write_bytes(toml.encode("utf-8", "surrogatepass"))
    shutil.copytree(_baseline(), c.project / "output", symlinks=True)
    for op in c.ops:
        try:
            op(c)
        except OSError as exc:
            c.notes.append(f"setup: {exc}")


_BASELINE: Path | None = None


def _baseline() -> Path:
    """The site a good build of the real archive writes (made once per process)."""
    global _BASELINE
    if _BASELINE is None:
        tmp = Path(tempfile.mkdtemp(prefix="fuzz-baseline-"))
        import atexit

        atexit.register(shutil.rmtree, tmp, True)
        shutil.copytree(SEEDS, tmp / "seeds")
        shutil.copytree(TEMPLATES, tmp / "templates")
        result = _run(["build"], tmp, 120)
        if result.code != 0:
            raise SystemExit(f"the real archive does not build:\n{result.err}")
        _BASELINE = tmp / "output"
    return _BASELINE


# ---------------------------------------------------------------------------------------------- running it


@dataclass
class Run:
    args: list[str]
    code: int | None  # None: timed out
    out: str
    err: str
    seconds: float


def site_builder_command() -> list[str]:
    return [sys.executable, "-m", "site_builder"]


TIMEOUT = 20.0


def _run(args: list[str], cwd: Path, timeout: float | None = None, confirm: bool = True) -> Run:
    env = {**os.environ, "SITE_BUILDER_PAGEFIND": "", "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    env["SOURCE_DATE_EPOCH"] = "1780000000"  # 2026-05-28: fixed "now", so a case behaves the same every run
    start = time.monotonic()
    proc = subprocess.Popen(
        site_builder_command() + args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout or TIMEOUT)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)  # the group of the process we started: its workers too
            else:
                proc.kill()  # Windows: no process groups to signal; its workers exit when their pipes close
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        code = None
    if code is None and confirm:  # a busy machine is not a hang: run it again with three times the time
        return _run(args, cwd, 3 * (timeout or TIMEOUT), confirm=False)
    return Run(args, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - start)


# -------------------------------------------------------------------------------------------- snapshots


def snapshot(root: Path) -> dict[str, tuple]:
    """{relative path: what it is} for everything under root, links and FIFOs not followed or opened."""
    found: dict[str, tuple] = {}

    def walk(folder: str, rel: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found[rel + "/?"] = ("unreadable", str(exc))
            return
        for e in entries:
            r = f"{rel}/{e.name}" if rel else e.name
            st = e.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                found[r] = ("link", os.readlink(e.path))
            elif stat.S_ISDIR(st.st_mode):
                found[r] = ("dir", stat.S_IMODE(st.st_mode))
                walk(e.path, r)
            elif stat.S_ISREG(st.st_mode):
                with open(e.path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                found[r] = ("file", st.st_size, digest, stat.S_IMODE(st.st_mode), st.st_mtime_ns)
            else:
                found[r] = ("special", stat.S_IFMT(st.st_mode))

    walk(str(root), "")
    return found


def _changed(before: dict, after: dict, *, content_only: bool = False) -> list[str]:
    def norm(v):
        return v[:3] if content_only and v and v[0] == "file" else v

    return sorted(p for p in before.keys() | after.keys() if norm(before.get(p)) != norm(after.get(p)))


def _output_zone(c: Case) -> tuple[str, list[str]]:
    """(the output folder relative to CASE/, the prefixes a build may change: output, its cache and its lock)."""
    out = Path(os.path.normpath(c.project / c.output))
    try:
        rel = out.relative_to(c.root).as_posix()
    except ValueError:
        return str(out), []
    if out == c.root:
        return ".", [".site-builder-cache", ".case.lock"]
    parent = out.parent.relative_to(c.root).as_posix() if out.parent != c.root else ""
    pre = f"{parent}/" if parent else ""
    return rel, [rel, f"{pre}.site-builder-cache", f"{pre}.{out.name}.lock"]


def _allowed(path: str, zone: list[str]) -> bool:
    if path.startswith(("project/seeds", "project/templates", "outside")) or path in ("project", ""):
        return False
    return any(path == z or path.startswith(z + "/") for z in zone)


# ------------------------------------------------------------------------------------------ output checks


def _html_problems(path: str, data: bytes) -> list[str]:
    import html5lib
    import lxml.html

    problems = []
    try:  # decoded here, as every page declares: given bytes, html5lib would guess the encoding (with chardet)
        html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(data.decode("utf-8"))
    except Exception as exc:  # html5lib raises ParseError (and others) on the first parse error
        problems.append(f"html5lib strict: {type(exc).__name__}: {str(exc)[:120]}")
    try:
        tree = lxml.html.fromstring(data)
    except Exception as exc:
        return [*problems, f"lxml.html: {type(exc).__name__}: {exc}"]
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                problems.append(f"event handler {name}")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                squashed = "".join(value.split()).lower()
                if squashed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    problems.append(f"{name}={squashed[:11]}... URL")
        if el.tag == "script":
            if el.get("src") is None:
                if el.get("type") != "application/ld+json":
                    problems.append("inline script")
                else:
                    try:
                        json.loads(el.text or "")
                    except ValueError as exc:
                        problems.append(f"JSON-LD does not parse: {type(exc).__name__}")
            elif el.get("src").startswith(("http:", "https:", "//")):
                problems.append("remote script")
        if el.tag in ("iframe", "object", "embed", "base"):
            problems.append(f"<{el.tag}>")
        if el.tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            target = (el.get("content") or "").partition("url=")[2].strip().lower()
            if target.startswith(("javascript:", "data:", "//", "http:", "https:")) and "redirect" not in path:
                problems.append(f"meta refresh to {target[:20]!r}")
    return problems


def _bib_problems(data: bytes) -> list[str]:
    depth = 0
    text = data.decode("utf-8", "replace")
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return ["unbalanced braces ('}' closes more than was opened)"]
        i += 1
    return [] if depth == 0 else [f"unbalanced braces ({depth} left open)"]


LINE_BREAKS = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def check_output(out: Path, seeds: Path) -> list[tuple[str, str]]:
    """[(file, problem)] for every ill-formed file of a built site."""
    import lxml.etree

    problems: list[tuple[str, str]] = []
    root = out.resolve()
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_symlink():
            problems.append((rel, "is a symlink"))
            continue
        if not path.resolve().is_relative_to(root):
            problems.append((rel, "resolves outside the output"))
        if LINE_BREAKS.search(rel) or "\n" in rel:
            problems.append((rel, "file name with a control character"))
        if not path.is_file():
            continue
        data = path.read_bytes()
        suffix = path.suffix.lower()
        if rel.startswith("raw/"):
            # published under a plain-text name: raw/x.html as raw/x.html.txt, raw/x.txt as itself
            originals = [seeds / "raw" / rel[4:]] + ([seeds / "raw" / rel[4:-4]] if rel.endswith(".txt") else [])
            if not any(o.is_file() and o.read_bytes() == data for o in originals):
                problems.append((rel, "raw file is not the archive's original byte for byte"))
            if suffix in (".html", ".htm", ".svg", ".xml", ".js"):
                problems.append((rel, f"a raw original is published as {suffix} (served as active content)"))
            continue
        if suffix in (".html", ".htm"):
            problems += [(rel, p) for p in _html_problems(rel, data)]
        elif suffix == ".xml":
            try:
                lxml.etree.fromstring(data)
            except Exception as exc:
                problems.append((rel, f"XML: {type(exc).__name__}: {str(exc)[:100]}"))
        elif suffix == ".json" and "pagefind" not in path.parts:
            try:
                json.loads(data)
            except ValueError as exc:
                problems.append((rel, f"JSON: {type(exc).__name__}: {str(exc)[:100]}"))
        elif suffix == ".bib":
            problems += [(rel, p) for p in _bib_problems(data)]
        elif rel == "_redirects":
            for n, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
                if (line == "" and n > 1) or line.startswith("#"):
                    continue
                fields = re.split("[ \t]+", line.strip(" \t"))
                if len(fields) != 3 or LINE_BREAKS.search(line) or "\r" in line:
                    problems.append((rel, f"line {n} is not 'from to status': {line[:80]!r}"))
        elif rel == "robots.txt":
            lines = data.decode("utf-8", "replace").split("\n")
            ok = (
                lines == ["User-agent: *", "Allow: /", ""]
                or (  # without a base URL: no sitemap to name
                    len(lines) == 5
                    and lines[:3] == ["User-agent: *", "Allow: /", ""]
                    and lines[4] == ""
                    and re.fullmatch(r"Sitemap: \S+sitemap\.xml", lines[3]) is not None
                    and not any(unicodedata.category(ch)[0] in "CZ" for ch in lines[3][9:])
                )
            )
            if not ok:
                problems.append((rel, f"unexpected lines: {lines[:6]!r}"[:160]))
    return problems


# ---------------------------------------------------------------------------------------------- findings

EXCEPTION_NAME = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception)|Traceback|KeyboardInterrupt|SystemExit)\b")


@dataclass
class Finding:
    kind: str
    signature: str  # what makes two findings the same
    detail: str


def _crash_signature(err: str) -> str:
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', err)
    ours = [f for f in frames if "site_builder" in f[0]] or frames
    where = f"{Path(ours[-1][0]).name}:{ours[-1][2]}" if ours else "?"
    last = [line for line in err.strip().splitlines() if EXCEPTION_NAME.search(line)]
    exc = EXCEPTION_NAME.search(last[-1]).group(1) if last else "?"
    if exc == "Traceback" and last:
        exc = "Traceback"
    tail = err.strip().splitlines()[-1] if err.strip() else ""
    m = re.match(r"^(\w+(?:\.\w+)*(?:Error|Exception|Interrupt))", tail)
    return f"{m.group(1) if m else exc} at {where}"


def _problems(err: str) -> list[str]:
    return sorted(line for line in err.splitlines() if re.match(r"^.+:\d+: ", line) and ": warning: " not in line)


def _crash_findings(run: Run, cmd: str) -> list[Finding]:
    found = []
    if run.code is None:
        return [
            Finding(
                "hang",
                f"hang in {cmd}",
                f"{cmd} did not end within {TIMEOUT:.0f} s (nor in {3 * TIMEOUT:.0f} s, run again)",
            )
        ]
    if run.code not in (0, 1, 2):
        found.append(Finding("crash", f"{cmd} exit {run.code}", f"{cmd} exited {run.code}: {run.err[-300:]}"))
    if "Traceback" in run.err or EXCEPTION_NAME.search(run.err.replace("pagefind: warning", "")):
        sig = _crash_signature(run.err)
        found.append(Finding("crash", f"{sig}", f"{cmd}: {run.err.strip()[-600:]}"))
    return found


def run_case(
    seed: int,
    case: int,
    profile: str = "full",
    keep: Path | None = None,
    findings_dir: Path | None = None,
    seen: set[str] | None = None,
) -> tuple[list[Finding], list[str]]:
    """Make and run one case; return its findings and the generators applied."""
    tmp = Path(tempfile.mkdtemp(prefix=f"fuzz-{seed}-{case}-"))
    root = tmp / "case"
    root.mkdir()
    findings: list[Finding] = []
    c, applied = make_case(seed, case, root, profile)
    base_args = [] if c.base_url is None else ["--base-url", c.base_url]
    build_args = ["build", *base_args] + ([] if c.output == "output" else ["--output", c.output])
    check_args = ["check", *base_args]
    out_rel, zone = _output_zone(c)
    try:
        parent_before = sorted(os.listdir(tmp))
        s0 = snapshot(root)
        check = _run(check_args, c.project)
        findings += _crash_findings(check, "check")
        s1 = snapshot(root)
        if check.code is not None and (changed := _changed(s0, s1)):
            findings.append(Finding("check-wrote", "check changed files", f"check changed {changed[:5]}"))
        build = _run(build_args, c.project, confirm=check.code is not None)  # check hung: no need to wait twice
        findings += _crash_findings(build, "build")
        s2 = snapshot(root)
        if sorted(os.listdir(tmp)) != parent_before:
            findings.append(Finding("outside", "build wrote beside the case folder", str(os.listdir(tmp))))
        if build.code is not None:
            changed = _changed(s1, s2)
            outside = [p for p in changed if not _allowed(p, zone)]
            if outside:
                top = sorted({"/".join(p.split("/")[:3]) for p in outside})
                findings.append(
                    Finding(
                        "outside",
                        f"build changed {top[:3]} (output {c.output!r}, exit {build.code})",
                        f"changed outside output/cache/lock: {outside[:8]}",
                    )
                )
            staging = [p for p in s2 if re.search(r"(^|/)\.[^/]*\.tmp$", p) and p.count("/") <= 2]
            if staging:
                findings.append(Finding("leftover", "staging folder left after build", str(staging)))
            out_changed = [p for p in changed if p == out_rel or p.startswith(out_rel + "/")]
            if build.code != 0 and out_changed:
                findings.append(
                    Finding(
                        "failed-changed",
                        "failed build changed the output",
                        f"exit {build.code}, changed {out_changed[:5]}",
                    )
                )
        if check.code in (0, 1, 2) and build.code in (0, 1, 2) and c.output == "output":
            if check.code != build.code:
                findings.append(
                    Finding(
                        "disagree",
                        f"check exit {check.code}, build exit {build.code}",
                        f"check: {check.err.strip()[-300:]!r}\nbuild: {build.err.strip()[-300:]!r}",
                    )
                )
            elif build.code == 1 and _problems(check.err) != _problems(build.err):
                findings.append(
                    Finding(
                        "disagree",
                        "check and build report different problems",
                        f"check: {_problems(check.err)[:3]}\nbuild: {_problems(build.err)[:3]}",
                    )
                )
        if build.code == 0 and (c.project / out_rel.removeprefix("project/")).is_dir():
            out = c.root / out_rel
            kinds: dict[str, list[str]] = {}
            for rel, problem in check_output(out, c.seeds):
                what = rel if rel in ("_redirects", "robots.txt") else Path(rel).suffix or rel
                what = "raw/" if rel.startswith("raw/") else what
                kinds.setdefault(f"{what}: {re.sub(r'(?<![a-z])[0-9]+', 'N', problem)[:70]}", []).append(
                    f"{rel}: {problem}"
                )
            for sig, details in sorted(kinds.items()):
                findings.append(Finding("ill-formed", sig, f"{len(details)} file(s), e.g. {details[0]!r}"))
            lost = _lost_articles(c, out, build.out)
            if lost:
                findings.append(
                    Finding(
                        "lost",
                        "build succeeded without an article's page",
                        f"no page for {lost[:3]} (build said {build.out.strip()[-120:]!r})",
                    )
                )
            if profile == "full" and random.Random(f"again:{seed}:{case}").random() < 0.25:
                again = _run(build_args, c.project)
                findings += _crash_findings(again, "second build")
                s3 = snapshot(root)
                if again.code != 0:
                    findings.append(Finding("unstable", "second build failed", again.err[-300:]))
                else:
                    changed = _changed(s2, s3, content_only=True)
                    bad = [p for p in changed if not p.startswith(".site-builder-cache") and not _allowed(p, zone[1:])]
                    if bad:
                        findings.append(Finding("unstable", "second build changed files", str(bad[:5])))
    finally:
        cmdline = [
            "site-builder " + " ".join(repr(a) if (not a or re.search(r"[^\w./:=-]", a)) else a for a in args)
            for args in (check_args, build_args)
        ]
        for f in findings:
            f.detail = f"[{'+'.join(applied)}] {f.detail}"
        if findings_dir is not None and findings:
            _save(findings, seed, case, applied, cmdline, tmp, findings_dir, seen if seen is not None else set(), c)
        if keep is not None:
            shutil.copytree(
                root,
                keep / f"case-{seed}-{case}",
                symlinks=True,
                dirs_exist_ok=True,
                ignore_dangling_symlinks=True,
                copy_function=_copy_no_fifo,
            )
        _rmtree(tmp)
    return findings, applied


def _copy_no_fifo(src: str, dst: str) -> None:
    if stat.S_ISFIFO(os.lstat(src).st_mode):
        os.mkfifo(dst)
    else:
        shutil.copy2(src, dst)


def _lost_articles(c: Case, out: Path, stdout: str) -> list[str]:
    """Plain article files (regular, UTF-8, not drafts, no odd slug) a successful build made no page for."""
    from site_builder.core.urls import slugify

    if "held back" in stdout:
        return []
    lost = []
    for entry in sorted(os.scandir(c.seeds / "articles"), key=lambda e: e.name):
        if not entry.name.endswith(".md") or not entry.is_file(follow_symlinks=False):
            continue
        try:
            text = Path(entry.path).read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            continue
        if "draft" in text or not text.startswith("---\n"):
            continue
        given = re.search(r"^slug: *(.*)$", text, re.M)
        slug = given.group(1).strip("'\" ") if given else slugify(entry.name[:-3])
        if slug and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) and not (out / "articles" / slug).is_dir():
            lost.append(entry.name)
    return lost


def _rmtree(path: Path) -> None:
    for p in path.rglob("*"):  # a build may leave read-only folders behind
        try:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def _save(
    findings: list[Finding],
    seed: int,
    case: int,
    applied: list[str],
    cmdline: list[str],
    tmp: Path,
    folder: Path,
    seen: set[str],
    c: Case,
) -> None:
    for f in findings:
        if f.signature in seen:
            continue
        seen.add(f.signature)
        name = re.sub(r"[^a-z0-9]+", "-", f"{f.kind}-{f.signature}".lower()).strip("-")[:80]
        name += "-" + hashlib.sha256(f.signature.encode()).hexdigest()[:6]
        dest = folder / name
        dest.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for part in ("outside", "project/seeds"):
                tar.add(c.root / part, arcname=part)  # links and FIFOs as themselves, never followed or read
        (dest / "case.tar").write_bytes(buf.getvalue())
        (dest / "README.txt").write_text(
            f"kind: {f.kind}\nsignature: {f.signature}\ncase: {seed}:{case} (generators: {', '.join(applied)})\n\n"
            f"{f.detail}\n\nTo replay: python3 tests/fuzz/fuzz_archive.py --replay {seed}:{case} --keep DIR\n"
            f"By hand: mkdir x && tar -xf case.tar -C x && cp -r templates x/project/ && build the real archive into\n"
            f"x/project/output first, then, from x/project/, with SITE_BUILDER_PAGEFIND= set:\n"
            + "".join(f"  {line}\n" for line in cmdline)
            + (f"notes: {c.notes}\n" if c.notes else ""),
            encoding="utf-8",
        )


# ------------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    p.add_argument("--cases", type=int, help="stop after this many cases")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--first", type=int, default=0, help="the first case number (default 0)")
    p.add_argument("--report", type=Path, help="write a Markdown report of the distinct findings here")
    p.add_argument(
        "--findings",
        type=Path,
        default=REPO / "tests" / "fuzz" / "findings",
        help="folder for the findings (default tests/fuzz/findings/, git-ignored)",
    )
    p.add_argument("--replay", metavar="SEED:CASE", help="run one case and print its findings")
    p.add_argument("--keep", type=Path, help="copy each case's folder here (with --replay)")
    p.add_argument(
        "--profile",
        choices=["full", "smoke"],
        default="full",
        help="smoke: only the benign generators (what tests/test_fuzz_smoke.py runs)",
    )
    p.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per site-builder run (default 20)")
    args = p.parse_args(argv)
    globals()["TIMEOUT"] = args.timeout
    if args.replay:
        seed, _, case = args.replay.partition(":")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        findings, applied = run_case(int(seed), int(case), args.profile, keep=args.keep)
        print(f"case {args.replay}: generators {applied}")
        for f in findings:
            print(f"  {f.kind}: {f.signature}\n    {f.detail}")
        return 1 if findings else 0
    deadline = time.monotonic() + args.minutes * 60
    seen: set[str] = set()
    distinct: dict[str, dict] = {}
    hangs: dict[str, int] = {}
    case, done = args.first, 0
    while time.monotonic() < deadline and (args.cases is None or done < args.cases):
        try:
            findings, applied = run_case(args.seed, case, args.profile, findings_dir=args.findings, seen=seen)
        except Exception as exc:  # the fuzzer's own bug: say so and go on
            import traceback

            traceback.print_exc()
            findings, applied = [Finding("fuzzer-error", f"fuzzer {type(exc).__name__}", repr(exc))], []
        for f in findings:
            entry = distinct.setdefault(
                f.signature,
                {"kind": f.kind, "first": f"{args.seed}:{case}", "count": 0, "detail": f.detail, "generators": set()},
            )
            entry["count"] += 1
            entry["generators"].update(applied)
            if f.kind == "hang":
                hangs[f.signature] = hangs.get(f.signature, 0) + 1
        if findings:
            print(
                f"{args.seed}:{case} [{'+'.join(applied)}]: " + "; ".join(f"{f.kind}: {f.signature}" for f in findings),
                flush=True,
            )
        case += 1
        done += 1
    summary = f"{done} cases (seed {args.seed}, cases {args.first}..{case - 1}), {len(distinct)} distinct findings"
    print(summary)
    if args.report:
        lines = [f"# Fuzz report\n\n{summary}\n"]
        for sig, e in sorted(distinct.items(), key=lambda kv: (kv[1]["kind"], kv[0])):
            lines.append(
                f"- **{e['kind']}** `{sig}` x{e['count']}; first `--replay {e['first']}` "
                f"(generators seen: {', '.join(sorted(e['generators']))})\n  - {e['detail'][:400]!r}"
            )
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if distinct else 0


if __name__ == "__main__":
    sys.exit(main())
