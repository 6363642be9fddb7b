"""The site's icon, drawn at build time: the site title's first letter on the theme's accent colour, as SVG."""

from __future__ import annotations

import re
from html import escape  # xml.sax.saxutils would import urllib.request and http.client (35 ms a build)

from .theme import Theme

FAVICON = "favicon.svg"  # output path, at the site's root
DEFAULTS = {"accent": "#8a1c1c", "bg": "#fdfcf9"}  # the default theme's light colours
_COLOUR = re.compile(r"--(accent|bg)\s*:\s*(#[0-9a-fA-F]{3,8})\b")


def theme_colours(css: str) -> dict[str, str]:
    """The first (the light scheme's) --accent and --bg colours a stylesheet sets, else the default theme's."""
    found = dict(DEFAULTS)
    seen = set()
    for name, value in _COLOUR.findall(css):
        if name not in seen:
            seen.add(name)
            found[name] = value.lower()
    return found


def initial(title: str) -> str:
    """The first letter or digit of the title, upper-cased (one character); '' when it has none."""
    return next((ch.upper() for ch in title if ch.isalnum()), "")[:1]


def favicon_svg(title: str, css: str = "") -> bytes:
    """The icon's bytes: a rounded square in the accent colour with the title's initial in the background colour.
    Deterministic: the same title and stylesheet give the same bytes."""
    colours = theme_colours(css)
    letter = initial(title)
    text = (
        f'<text x="32" y="33" text-anchor="middle" dominant-baseline="central" fill="{colours["bg"]}" '
        f'font-family="Georgia, \'Times New Roman\', serif" font-size="42" font-weight="700">'
        f"{escape(letter, quote=False)}</text>"
        if letter
        else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{colours["accent"]}"/>{text}</svg>\n'
    ).encode()


def favicon_file(title: str, theme: Theme) -> bytes:
    """The icon for a site with this title, coloured after the theme's static/style.css (when there is one)."""
    style = theme.static_files().get("style.css")
    css = style.read_text(encoding="utf-8", errors="replace") if style is not None else ""
    return favicon_svg(title, css)
