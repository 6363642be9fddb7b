"""A raw original's bytes as text a page can show: UTF-8 when it is, else the encoding a detector tells, else a
marked fallback. Pure functions of the bytes: no I/O. The published file itself is always the bytes as they are."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

DETECTOR = "chardet"  # the encoding detector used for originals that are not UTF-8 (a dependency)
# What no HTML page should carry (the parser reports each as an error): C0 controls but tab, line feed and
# carriage return, DEL, C1 controls and the noncharacters.
_UNSHOWABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)


@dataclass(frozen=True)
class ShownText:
    """An original decoded for showing: the text, how it was decoded, and what a reader must know about that."""

    text: str
    encoding: str  # e.g. 'UTF-8', 'UTF-8 (with a byte order mark)', 'Windows-1252 (detected)'
    notes: tuple[str, ...] = ()  # each a sentence, for the page


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: NUL -> ␀
    return "\u2421" if code == 0x7F else "\ufffd"  # DEL -> ␡; C1 controls and noncharacters -> �


def show(data: bytes) -> ShownText:
    """data decoded for a page. UTF-8 (a byte order mark is allowed) is shown as it is. Anything else is decoded
    with the encoding the detector judges most likely (Windows-1252, GB18030, Shift_JIS, ...), and said to be
    a judgement; when it can tell none, the bytes are read as UTF-8 with each one that is not as U+FFFD, and that
    is said too. Control characters are shown as visible symbols (U+2400...) and counted."""
    notes: list[str] = []
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data[3 if bom else 0 :].decode("utf-8")
        encoding = "UTF-8 (with a byte order mark)" if bom else "UTF-8"
    except UnicodeDecodeError as exc:
        name = _detect(data)
        text = None
        if name is not None:
            try:
                text = data.decode(name)
                encoding = f"{name} (detected)"
                notes.append(
                    f"This file is not valid UTF-8 (the first byte that is not is at offset {exc.start}). "
                    f"It is shown decoded as {name}, the encoding the {DETECTOR} detector judges most "
                    "likely: a judgement, not a fact recorded in the file. The download is the file "
                    "byte for byte."
                )
            except (LookupError, UnicodeDecodeError):
                text = None
        if text is None:
            text = data.decode("utf-8", errors="replace")
            encoding = "unknown (shown as UTF-8, with replacement characters)"
            notes.append(
                f"This file is not valid UTF-8 (the first byte that is not is at offset {exc.start}), and "
                f"its encoding could not be told. Fallback: it is shown as UTF-8, each byte that is not "
                "UTF-8 shown as \ufffd. The download is the file byte for byte."
            )
    count = len(_UNSHOWABLE.findall(text))
    if count:
        text = _UNSHOWABLE.sub(lambda m: _visible(m.group()), text)
        notes.append(
            f"{count} control or non-character code point{'s are' if count != 1 else ' is'} shown as a "
            "visible symbol (\u2400 for NUL, \u241b for ESC, \ufffd for others)."
        )
    return ShownText(text, encoding, tuple(notes))


def _detect(data: bytes) -> str | None:
    """The name of the encoding the detector judges most likely for data, or None when it can tell none."""
    import chardet  # here: only an original that is not UTF-8 needs it

    found = chardet.detect(data, prefer_superset=True)  # a superset decodes bytes past the window it examines
    name = found.get("encoding")
    if not name or name.lower().replace("-", "").replace("_", "") in ("utf8", "ascii"):
        return None  # it is not UTF-8 (nor ASCII, a subset): the detector has nothing better
    return name
