"""The characters no page, feed or file the build writes may carry, and the check every string goes through.

XML 1.0 allows only tab, line feed, carriage return and the characters from U+0020 on, less the surrogates and
U+FFFE/U+FFFF; HTML calls the remaining C0 and C1 controls and the noncharacters parse errors. A string from the
archive (a file, a YAML or TOML escape, a character reference in a body) that holds one is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import urlsplit


class _Forbidden:
    """Finds the characters XML 1.0 forbids or HTML calls parse errors: the C0 controls but tab, line feed and
    carriage return, DEL, the C1 controls, lone surrogates and the noncharacters (U+FDD0 to U+FDEF and the last
    two code points of every plane). The regex looks for every character from U+FFFE on (one range is as fast as
    the old control-character check) and the few found are looked at one by one."""

    _CANDIDATES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe-\U0010ffff]")

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        for m in self._CANDIDATES.finditer(text):
            code = ord(m.group())
            if code < 0xFFFE or code & 0xFFFE == 0xFFFE:
                yield m

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)

    def sub(self, replacement: str, text: str) -> str:
        found = [m.start() for m in self.finditer(text)]
        if not found:
            return text
        parts, pos = [], 0
        for at in found:
            parts += [text[pos:at], replacement]
            pos = at + 1
        return "".join([*parts, text[pos:]])


FORBIDDEN = _Forbidden()


def char_problem(text: str) -> str | None:
    """Why text cannot be published (a control character, a lone surrogate or a noncharacter), or None."""
    if (m := FORBIDDEN.search(text)) is None:
        return None
    code = ord(m.group())
    kind = (
        "a lone surrogate"
        if 0xD800 <= code <= 0xDFFF
        else "a noncharacter"
        if code >= 0xFDD0
        else "a control character"
    )
    return f"contains {kind} (U+{code:04X})"


def without_forbidden(text: str) -> str:
    """text with every forbidden character removed (the last line of defence of an XML or HTML output)."""
    return FORBIDDEN.sub("", text)


def invisible_problem(text: str) -> str | None:
    """Why text cannot be one word of a URL or path: whitespace, a control, format, private-use, unassigned or
    surrogate character (Unicode categories C* and Z*), or None."""
    for ch in text:
        if ch in " \t" or unicodedata.category(ch)[0] in "CZ":
            return f"contains whitespace or an invisible character (U+{ord(ch):04X})"
    return None


# Every pattern that validates a value is used with fullmatch: '$' would also match before a final newline.
LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_NOT_IN_URLS = set('"<>\\^`{|}')


def url_problem(url: str, base: bool = False) -> str | None:
    """Why url is not an absolute http(s) URL with a host and nothing invisible in it (no whitespace, control,
    format or unassigned character), or None. base: a site's base URL, which has no user name, query or
    fragment either (only a path), and none of the characters URLs never carry unescaped (`"<>\\^`{|}`)."""
    what = "an absolute http(s) URL"
    if (msg := invisible_problem(url)) is not None:
        return f"expected {what}, got {url!r}, which {msg}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        return f"expected {what}, got {url!r}"
    if parts.scheme not in ("http", "https") or not url.lower().startswith(parts.scheme + "://") or not parts.hostname:
        return f"expected {what}, got {url!r}"
    if base and ("@" in parts.netloc or "?" in url or "#" in url or _NOT_IN_URLS & set(url)):
        return f'expected {what} with a host and a path only (no user name, query, fragment, or any of "<>\\^`{{|}}), got {url!r}'
    return None
