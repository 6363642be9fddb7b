"""The record every import format makes (the raw text: importer.parse_raw; a saved page: webpage.py; a WARC
file: warc.py) and what they share: credits, and Markdown escaping. importer.py writes the article from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_SPACE = r"[\s\u00a0]"
# A credit line: the kind of picture it credits, a colon, then who made it ('Photo: VCG', 'Illustration: Liu
# Xidan/GT'). A caption ends with one ('Visitors at the fair on Monday. Photo: CFP').
CREDIT_KINDS = (
    "Photo illustration",
    "Photos",
    "Photo",
    "Illustration",
    "Graphics",
    "Graphic",
    "Chart",
    "Infographic",
    "Cartoon",
    "Video",
    "Image",
    "Map",
)
_KIND = "|".join(CREDIT_KINDS)
# who: a name, not a sentence (no end punctuation, no '. ' inside), at most 80 characters
_WHO = r"(?![^\n]*[.!?]\s)[^\s.!?:](?:[^\n!?]{0,78}[^\s.!?:,;])?"
_CREDIT = re.compile(rf"^({_KIND}){_SPACE}*:{_SPACE}*({_WHO}){_SPACE}*$")
_CAPTION = re.compile(
    rf"^(\S.*?[.!?\"'\u201d)]){_SPACE}+({_KIND}){_SPACE}*:{_SPACE}*([^\s.!?][^.!?\n]{{0,59}}?){_SPACE}*$", re.DOTALL
)


@dataclass(frozen=True)
class RawArticle:
    """What an imported file says of its article: the raw text's header and paragraphs, or a saved page's."""

    section: str | None  # the raw text's; None for a page
    column: str | None
    title: str
    published: datetime
    credits: tuple[str, ...]  # 'Kind: name', each once, in the order the file gives them
    paragraphs: tuple[str, ...]  # the body's text, for matching companies (and the body itself unless markdown)
    retrieved: datetime | None = None  # from a 'Retrieved:' header line, if the file records one
    # set by the other formats (content/webpage.py, content/warc.py); the raw text leaves them unset
    markdown: str | None = None  # the body as Markdown, already escaped (headings, lists, quotes kept)
    language: str | None = None  # None: 'en', or what the article being replaced records
    url: str | None = None
    publication: str | None = None
    authors: tuple[str, ...] = ()


def credit_of(line: str) -> str | None:
    """'Kind: name' when the line (or paragraph) is a credit alone, else None."""
    m = _CREDIT.match(line.strip())
    return f"{m.group(1)}: {' '.join(m.group(2).split())}" if m else None


def split_credits(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """(paragraphs, credits): a paragraph that is a credit alone ('Photo: Xinhua') or a picture's caption ending
    in one ('Visitors at the fair. Photo: CFP') is the picture's, not the article's text: its credit is kept
    (each once, in order) and the paragraph leaves the body. The caption's words stay in the original."""
    kept, credits = [], []
    for paragraph in paragraphs:
        credit = credit_of(paragraph)
        if credit is None and (m := _CAPTION.match(paragraph.strip())):
            credit = f"{m.group(2)}: {' '.join(m.group(3).split())}"
        if credit is None:
            kept.append(paragraph)
        elif credit not in credits:
            credits.append(credit)
    return kept, credits


def markdown_escape(paragraph: str) -> str:
    """Escape what Markdown would read as markup, so the text renders word for word."""
    text = re.sub(r"&(?=#|\w+;)", "&amp;", paragraph).replace("<", "&lt;")  # "&#65" is a character reference too
    text = re.sub(r"([\\`*_\[\]{}|>])", r"\\\1", text)  # '{}' attr_list, '|' tables
    text = re.sub(r"^(\s*)([#+-])", r"\1\\\2", text, flags=re.MULTILINE)
    # ':' definition lists, '=' setext headings, '~' fenced code: Markdown has no backslash escape for these
    text = re.sub(r"^(\s*)([:=~])", lambda m: f"{m.group(1)}&#{ord(m.group(2))};", text, flags=re.MULTILINE)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text, flags=re.MULTILINE)


def credits_meta(credits: tuple[str, ...]) -> dict:
    """The front matter of credits: a lone illustration credit as 'illustration: NAME' (the form articles have
    always had), any other as the 'credits' list of 'Kind: name'."""
    if len(credits) == 1 and credits[0].startswith("Illustration: "):
        return {"illustration": credits[0].removeprefix("Illustration: ")}
    return {"credits": list(credits)} if credits else {}
