"""Split the '---' block, load it safely and check it against the one schema, keeping each key's line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from ..core.chars import FORBIDDEN, LANG_RE, char_problem, url_problem
from ..core.urls import alias_problem

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Every pattern that validates a value is used with fullmatch: '$' would also match before a final newline.
_SHA_RE = re.compile(r"[0-9a-f]{64}")


class FrontMatterError(Exception):
    """A problem at a line of the file (1-based)."""

    def __init__(self, line: int, message: str, key: str | None = None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.key = key  # the key whose value could not be built, if the problem is one


# Characters no HTML page or XML feed may carry (XML 1.0 forbids them; YAML's "\x01" escapes can make them).
CONTROL = FORBIDDEN
control_problem = char_problem


def _text(value: Any) -> str | None:
    if not (isinstance(value, str) and value.strip()):
        return "expected a non-empty string"
    return control_problem(value)


def _list_of_text(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"expected a list of strings, got {_kind(value)}"
    if not all(isinstance(v, str) and v.strip() for v in value):
        return "expected a list of non-empty strings"
    return next(filter(None, map(control_problem, value)), None)


def _moment(value: Any) -> str | None:
    if isinstance(value, datetime):
        return (
            None
            if value.tzinfo is not None
            else "date and time have no UTC offset (write e.g. 2026-01-15T23:42:00+08:00)"
        )
    if isinstance(value, date):
        return "expected a date and time with a UTC offset (e.g. 2026-01-15T23:42:00+08:00), got a date alone"
    if not isinstance(value, str):
        return f"expected a date and time with a UTC offset, got {_kind(value)}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return f"not a valid ISO 8601 date and time: {value!r}"
    return _moment(parsed)


def _aliases(value: Any) -> str | None:
    if (msg := _list_of_text(value)) is not None:
        return msg
    return next((msg for alias in value if (msg := alias_problem(alias)) is not None), None)


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {_kind(value)}"


def _url(value: Any) -> str | None:
    if (msg := _text(value)) is not None:
        return msg
    return url_problem(value)


def _sha(value: Any) -> str | None:
    return None if isinstance(value, str) and _SHA_RE.fullmatch(value) else "expected 64 lower-case hex digits"


_CREDIT_RE = re.compile(r"[^\W\d_][\w ]{0,29}: \S.*")


def _credits(value: Any) -> str | None:
    if (msg := _list_of_text(value)) is not None:
        return msg
    bad = next((v for v in value if not _CREDIT_RE.fullmatch(v)), None)
    if bad is not None:
        return f"expected each credit as 'Kind: name' (e.g. 'Photo: Xinhua'), got {bad!r}"
    return None if len(set(value)) == len(value) else "a credit is listed twice"


def _language(value: Any) -> str | None:
    return (
        None
        if isinstance(value, str) and LANG_RE.fullmatch(value)
        else f"expected a language tag such as 'en', got {value!r}"
    )


VERSION_KEYS = ("original", "sha256", "retrieved")  # the keys of one entry of `versions:`, in the order written


def _versions(value: Any) -> str | tuple[int, str] | None:
    """A `versions:` list: at least two mappings of original (a path), sha256 and retrieved (optional), each
    original once. A problem with one entry is (its index, message), reported at the entry's line."""
    if not isinstance(value, list):
        return f"expected a list of versions, got {_kind(value)}"
    if len(value) < 2:
        return "expected at least two versions (an article with one original has it in 'raw:' alone)"
    seen: dict[str, int] = {}
    for i, entry in enumerate(value):

        def bad(message: str, i: int = i) -> tuple[int, str]:
            return i, f"version {i + 1}: {message}"

        if not isinstance(entry, dict):
            return bad(f"expected a mapping of {', '.join(VERSION_KEYS)}, got {_kind(entry)}")
        if (unknown := next((k for k in entry if k not in VERSION_KEYS), None)) is not None:
            return bad(f"unknown key {unknown!r} (allowed: {', '.join(VERSION_KEYS)})")
        for key in ("original", "sha256"):
            if key not in entry:
                return bad(f"missing required key {key!r}")
        if (msg := _text(entry["original"])) is not None:
            return bad(f"original: {msg}")
        if (msg := _sha(entry["sha256"])) is not None:
            return bad(f"sha256: {msg}")
        if entry.get("retrieved") is not None and (msg := _moment(entry["retrieved"])) is not None:
            return bad(f"retrieved: {msg}")
        if entry["sha256"] in seen:
            return bad(f"the same original as version {seen[entry['sha256']] + 1} (sha256 {entry['sha256']})")
        seen[entry["sha256"]] = i
    return None


@dataclass(frozen=True)
class Field:
    """One front matter key: its check and whether it must be present."""

    check: Callable[[Any], str | tuple[int, str] | None]  # a message, or (index of the bad item, message)
    required: bool = False


SCHEMA: dict[str, Field] = {
    "title": Field(_text, required=True),
    "published": Field(_moment, required=True),
    "source": Field(_text, required=True),
    "companies": Field(_list_of_text, required=True),
    "column": Field(_text),
    "section": Field(_text),
    "illustration": Field(_text),
    "url": Field(_url),
    "raw": Field(_text),
    "raw_sha256": Field(_sha),
    "slug": Field(_text),
    "summary": Field(_text),
    "updated": Field(_moment),
    "draft": Field(_bool),
    "language": Field(_language),
    "tags": Field(_list_of_text),
    "aliases": Field(_aliases),
    "retrieved": Field(_moment),
    "authors": Field(_list_of_text),
    "credits": Field(_credits),  # 'Kind: name', in order; 'illustration: NAME' is 'Illustration: NAME' first
    "versions": Field(_versions),
}


def _kind(value: Any) -> str:
    names = {
        list: "a list",
        dict: "a mapping",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Parsed:
    """Front matter values (checked), each key's line, and the body with the line it starts on."""

    values: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int


def split(text: str) -> tuple[str, str, int]:
    """Return (yaml text, body, body's first line) or raise FrontMatterError."""
    if not text.strip():
        raise FrontMatterError(1, "empty file: expected front matter between '---' lines, then the body")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise FrontMatterError(1, "missing front matter: the file must start with a '---' line")
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    raise FrontMatterError(1, "front matter not closed: no '---' line ends the block opened here")


MAX_YAML_DEPTH = 32  # levels of lists and mappings in a YAML document (front matter needs two)
# Every list or mapping starts at one of these: a flow '[' or '{', or a block indicator '-', '?' or ':' before a
# space (or at the end). A text with fewer than MAX_YAML_DEPTH of them cannot nest that deep.
_NESTERS = re.compile(r"[\[{]|[-?:](?=\s|$)")


class _Document:
    """A composed YAML document with its loader, so values can be built key by key."""

    def __init__(self, text: str, first_line: int):
        self.first_line = first_line
        # refuse aliases, and nesting deeper than MAX_YAML_DEPTH, before anything is built: an alias bomb costs
        # nothing, and building a value nested hundreds deep would pass Python's recursion limit. Read from the
        # parser's events, which nest nothing; only for a text that could hold either.
        deep = len(_NESTERS.findall(text)) >= MAX_YAML_DEPTH
        if "*" in text or deep:
            try:
                depth = 0
                for event in yaml.parse(text, Loader=Loader):
                    if isinstance(event, yaml.AliasEvent):
                        raise FrontMatterError(
                            first_line + event.start_mark.line, "YAML aliases (*name) are not allowed"
                        )
                    if isinstance(event, yaml.CollectionStartEvent):
                        depth += 1
                        if depth > MAX_YAML_DEPTH:
                            raise FrontMatterError(
                                first_line + event.start_mark.line,
                                f"YAML nested too deeply (the limit is {MAX_YAML_DEPTH} levels)",
                            )
                    elif isinstance(event, yaml.CollectionEndEvent):
                        depth -= 1
            except yaml.YAMLError as exc:
                raise _yaml_error(exc, first_line) from None
        self.loader = Loader(text)
        try:
            self.node = self.loader.get_single_node()
        except yaml.YAMLError as exc:
            self.loader.dispose()
            raise _yaml_error(exc, first_line) from None

    def line(self, node: yaml.Node) -> int:
        """The 1-based file line of node."""
        return self.first_line + node.start_mark.line

    def pairs(
        self, node: yaml.Node, what: str, item_lines: dict[Any, list[int]] | None = None
    ) -> tuple[list[tuple[Any, Any, int]], list[FrontMatterError]]:
        """(key, value, line) for each entry of a mapping node, and errors for values that cannot be built.
        item_lines, if given, receives the line of each item of every value that is a list, by key."""
        if not isinstance(node, yaml.MappingNode):
            raise FrontMatterError(self.line(node), f"{what} must be a mapping of keys to values")
        items, errors = [], []
        for key_node, value_node in node.value:
            line = self.line(key_node)
            if not isinstance(key_node, yaml.ScalarNode):  # '? [a, b]': a list or mapping as a key
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                errors.append(FrontMatterError(line, f"a key must be a name, got {kind}"))
                continue
            if item_lines is not None and isinstance(value_node, yaml.SequenceNode):
                item_lines[key_node.value] = [self.line(item) for item in value_node.value]
            try:
                items.append(
                    (
                        self.loader.construct_object(key_node, deep=True),
                        self.loader.construct_object(value_node, deep=True),
                        line,
                    )
                )
            except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "key"
                errors.append(FrontMatterError(line, f"{name}: invalid value: {_short(exc)}", key=name))
        return items, errors

    def close(self) -> None:
        """Free the loader."""
        self.loader.dispose()


def _yaml_error(exc: yaml.YAMLError, first_line: int) -> FrontMatterError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return FrontMatterError(first_line + (mark.line if mark else 0), f"invalid YAML: {problem}")


def load_yaml_mapping(
    text: str, first_line: int, item_lines: dict[Any, list[int]] | None = None
) -> tuple[list[tuple[Any, Any, int]], list[FrontMatterError]]:
    """Safely load a YAML mapping; return (key, value, line) triples and per-key errors. item_lines: as pairs'."""
    doc = _Document(text, first_line)
    try:
        return ([], []) if doc.node is None else doc.pairs(doc.node, "front matter", item_lines)
    finally:
        doc.close()


def load_yaml_records(text: str) -> list[tuple[int, list[tuple[Any, Any, int]], list[FrontMatterError]]]:
    """Safely load a YAML list of mappings (a registry): for each, its line, its triples and its errors."""
    doc = _Document(text, 1)
    try:
        if doc.node is None:
            return []
        if not isinstance(doc.node, yaml.SequenceNode):
            raise FrontMatterError(doc.line(doc.node), "expected a list of entries, each starting with '- id:'")
        records = []
        for item in doc.node.value:
            try:
                records.append((doc.line(item), *doc.pairs(item, "each entry")))
            except FrontMatterError as exc:
                records.append((exc.line, [], [exc]))
        return records
    finally:
        doc.close()


def _short(exc: Exception) -> str:
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]


def parse(text: str) -> tuple[Parsed | None, list[FrontMatterError]]:
    """Parse a whole article file; return the checked result or every problem found."""
    try:
        yaml_text, body, body_line = split(text)
        item_lines: dict[Any, list[int]] = {}
        items, errors = load_yaml_mapping(yaml_text, 2, item_lines)
    except FrontMatterError as exc:
        return None, [exc]
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, value, line in items:
        if not isinstance(key, str) or key not in SCHEMA:
            allowed = ", ".join(SCHEMA)
            errors.append(FrontMatterError(line, f"unknown key {key!r} (allowed: {allowed})"))
        elif key in values:
            errors.append(FrontMatterError(line, f"{key}: given twice (first on line {lines[key]})"))
        elif (msg := SCHEMA[key].check(value)) is not None:
            if isinstance(msg, tuple):  # one item of a list: its own line
                index, msg = msg
                line = item_lines.get(key, [])[index] if index < len(item_lines.get(key, [])) else line
            errors.append(FrontMatterError(line, f"{key}: {msg}"))
        else:
            values[key], lines[key] = value, line
    seen = {key for key, _, _ in items} | {e.key for e in errors}  # a key with an invalid value is not missing
    for key, spec in SCHEMA.items():
        if spec.required and key not in seen:
            errors.append(FrontMatterError(1, f"missing required key {key!r}"))
    if "versions" in values and not errors:
        last = values["versions"][-1]
        if (last["original"], last["sha256"]) != (values.get("raw"), values.get("raw_sha256")):
            errors.append(
                FrontMatterError(
                    item_lines["versions"][-1],
                    "versions: the last version must be the "
                    "article's raw original: its original and sha256 equal raw and raw_sha256",
                )
            )
    if errors:
        return None, errors
    for key in ("published", "updated", "retrieved"):
        if isinstance(values.get(key), str):
            values[key] = datetime.fromisoformat(values[key])
    if "versions" in values:
        for i, entry in enumerate(values["versions"]):
            moment = entry.get("retrieved")
            values["versions"][i] = {
                **entry,
                "retrieved": datetime.fromisoformat(moment) if isinstance(moment, str) else moment,
            }
        lines.update({f"versions.{i}": line for i, line in enumerate(item_lines["versions"], start=1)})
    return Parsed(values, lines, body, body_line), []
