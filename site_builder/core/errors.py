"""Errors that point at a file and a line, and a collector that reports them all at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One user-facing problem: where it is and what is wrong."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    @property
    def where(self) -> str:
        """'path:line', or 'path' when no line applies."""
        return f"{self.path}:{self.line}" if self.line else self.path

    def as_warning(self) -> str:
        """The problem printed as a warning."""
        return f"{self.where}: warning: {self.message}"

    def as_strict(self) -> Problem:
        """A warning as the error --strict makes it."""
        return Problem(self.path, self.line, f"{self.message} (--strict)")


class SiteError(Exception):
    """Content or configuration errors; carries every problem found, sorted by file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, path: str, message: str, line: int = 0) -> SiteError:
        """An error about one place."""
        return cls([Problem(path, line, message)])


def decode_utf8(data: bytes, path: Path | str) -> str:
    """Decode file bytes as UTF-8 (a BOM is dropped, CRLF and CR become LF), or raise naming the line and byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SiteError(
            [
                Problem(
                    display_path(path),
                    line,
                    f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def display_path(path: Path | str) -> str:
    """A path as the user should read it: relative to the working directory when it is inside it."""
    p = Path(path)
    cwd = Path.cwd()
    try:  # as named first: a link is shown as itself, not as where it leads
        return Path(os.path.normpath(p.absolute())).relative_to(cwd).as_posix()
    except ValueError:
        pass
    try:  # then with links resolved (RuntimeError: a link that loops, before Python 3.13)
        return p.resolve().relative_to(cwd.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return p.as_posix()


@dataclass
class Collector:
    """Gathers problems across many files, so one run reports all of them."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def add(self, path: Path | str, line: int, message: str) -> None:
        """Record an error at path:line (line 0 when no line applies)."""
        self.problems.append(Problem(display_path(path), line, message))

    def warn(self, path: Path | str, line: int, message: str) -> None:
        """Record a warning at path:line."""
        self.warnings.append(Problem(display_path(path), line, message))

    def extend(self, error: SiteError) -> None:
        """Record every problem of an error raised elsewhere."""
        self.problems.extend(error.problems)

    def raise_if_any(self) -> None:
        """Raise one SiteError holding everything gathered so far."""
        if self.problems:
            raise SiteError(self.problems)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 article', '2 articles', '0 companies' (plural: the plural form when adding 's' does not make it)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
