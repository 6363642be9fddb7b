"""Site settings: read once from seeds/site.toml into a frozen Config."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .chars import LANG_RE, char_problem, url_problem
from .errors import Collector, SiteError, decode_utf8
from .safefs import Refused, Within, read_regular

CONFIG_NAME = "site.toml"
# the one warning of a build without a base URL (a project's site.toml, or none, and no --base-url)
BASE_URL_UNSET = (
    "base_url is not set: feeds, the sitemap, canonical links and citations need the site's address; "
    "set base_url or pass --base-url"
)
MAX_CONFIG_BYTES = 1024 * 1024  # settings are a few lines; a larger file is refused unread


@dataclass(frozen=True)
class Config:
    """Every site setting, with defaults that just work."""

    title: str = "Source Archive"
    description: str = "An archive of news articles and the companies they mention."
    base_url: str | None = None  # the site's address; without it nothing absolute is claimed (BASE_URL_UNSET)
    language: str = "en"
    timezone: str = "Asia/Shanghai"
    page_size: int = 10
    feed_size: int = 20
    publication: str = "Global Times"

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/" if self.base_url else "/"
        return path if path.endswith("/") else path + "/"

    @property
    def zone(self) -> ZoneInfo:
        """The archive's time zone."""
        return ZoneInfo(self.timezone)


_TYPES: dict[str, object] = {f.name: f.type for f in fields(Config)}  # "int" or "str": annotations are strings


def normalise_base_url(url: str | None) -> str | None:
    """Ensure a base URL ends with '/'; None (not set) stays None."""
    return url if url is None or url.endswith("/") else url + "/"


def _check_value(key: str, value: object) -> str | None:
    """Return a message if value is wrong for key, else None."""
    want = str(_TYPES[key]).replace(" | None", "")
    if want == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return f"{key}: expected a positive whole number, got {value!r}"
        return None
    if not isinstance(value, str) or not value.strip():
        return f"{key}: expected a non-empty string, got {value!r}"
    if (msg := char_problem(value)) is not None:
        return f"{key}: {msg}"
    if key == "base_url" and (msg := url_problem(value, base=True)) is not None:
        return f"base_url: {msg}"
    if key == "language" and not LANG_RE.fullmatch(value):
        return f"language: expected a language tag such as 'en', got {value!r}"
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return f"timezone: unknown time zone {value!r}"
    return None


def _key_line(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def load_config(source: Path, overrides: dict[str, object] | None = None, errors: Collector | None = None) -> Config:
    """Read source/site.toml (optional) plus overrides; report every bad or unknown key together. errors, if
    given, gathers the problems instead of raising them, and the Config returned has the default for each
    bad value (so the rest of a build can still be checked)."""
    collect = errors is not None
    errors = errors if errors is not None else Collector()
    before = len(errors.problems)
    bad: set[str] = set()
    path = source / CONFIG_NAME
    values: dict[str, object] = {}
    text = ""
    if os.path.lexists(path):  # a link that leads nowhere is there, and refused
        try:
            real, st = Within(source).locate(CONFIG_NAME)
            if st is None:
                raise OSError(2, "file not found")
            text = decode_utf8(read_regular(real, path, st, MAX_CONFIG_BYTES), path)
            values = tomllib.loads(text)
        except Refused as exc:
            errors.add(exc.path, 0, exc.message)
        except OSError as exc:
            errors.add(path, 0, f"cannot read: {exc.strerror or exc}")
        except SiteError as exc:
            errors.extend(exc)
        except tomllib.TOMLDecodeError as exc:
            line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 0
            errors.add(path, line, f"invalid TOML: {exc}")
    for key, value in values.items():
        if key not in _TYPES:
            allowed = ", ".join(sorted(_TYPES))
            errors.add(path, _key_line(text, key), f"unknown setting {key!r} (allowed: {allowed})")
        elif (msg := _check_value(key, value)) is not None:
            errors.add(path, _key_line(text, key), msg)
            bad.add(key)
    for key, value in (overrides or {}).items():
        if value is not None and (msg := _check_value(key, value)) is not None:
            errors.add("command line", 0, msg)
            bad.add(key)
    if not collect and len(errors.problems) > before:
        errors.raise_if_any()
    merged: dict[str, Any] = {k: v for k, v in values.items() if k in _TYPES and k not in bad}  # checked above
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None and k not in bad})
    config = replace(Config(), **merged)
    return replace(config, base_url=normalise_base_url(config.base_url))
