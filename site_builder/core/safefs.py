"""The one rule for files of the archive (seeds/), used by every reader and writer of it.

A path named by content or configuration (relative to the source folder) is inside the archive only if each of
its components, resolved one link at a time, stays inside the source folder: a link from inside to elsewhere
inside is fine; a link to a place outside, a link that leads nowhere, and '..' above the source folder are
refused. Only regular files are read: a FIFO, device, socket or folder is refused without blocking on it. Files
are written to a temporary file beside their destination, then renamed into place (never written through a link),
and the temporary file is removed on failure.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path, PurePath

from .platform import NotRegularFile, hard_link, open_fd

MAX_LINKS = 40  # links followed for one component before giving up (as the OS does for a loop)
_JUNCTION = getattr(stat, "IO_REPARSE_TAG_MOUNT_POINT", None)  # Windows' folder links


class Refused(Exception):
    """A path of the archive that may not be read or written: where (as the user named it) and why."""

    def __init__(self, path: Path | str, message: str):
        self.path, self.message = Path(path), message
        super().__init__(f"{path}: {message}")


def _is_link(st: os.stat_result) -> bool:
    return stat.S_ISLNK(st.st_mode) or (_JUNCTION is not None and getattr(st, "st_reparse_tag", None) == _JUNCTION)


def kind(st: os.stat_result) -> str:
    """What a file that is not a regular file is, in words."""
    mode = st.st_mode
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


class Within:
    """Paths inside one source folder (which may itself be a link: it is the archive the user named)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.real = os.path.realpath(self.root)
        self._key = os.path.normcase(self.real)
        self._prefix = self._key if self._key.endswith(os.sep) else self._key + os.sep

    def contains(self, real: str) -> bool:
        """Whether a resolved path is the source folder or inside it."""
        key = os.path.normcase(real)
        return key == self._key or key.startswith(self._prefix)

    def locate(self, rel: str | PurePath) -> tuple[Path, os.stat_result | None]:
        """The real path of root/rel with every link resolved, and its (l)stat, or None if it does not exist.

        Raises Refused, naming the component at fault as the user would write it (e.g. seeds/raw), when a
        component is a link that leads out of the source folder or nowhere, or '..' climbs above it.
        """
        parts = PurePath(rel).parts
        if PurePath(rel).anchor:
            raise Refused(self.root / rel, "refused: not a path relative to the source folder")
        current, shown, st = self.real, self.root, None
        for i, part in enumerate(parts):
            shown = shown / part
            if part in ("", "."):
                continue
            if part == "..":
                if os.path.normcase(current) == self._key:
                    raise Refused(shown, "refused: leads out of the source folder")
                current, st = os.path.dirname(current), None
                continue
            candidate = os.path.join(current, part)
            try:
                st = os.lstat(candidate)
            except (FileNotFoundError, NotADirectoryError):  # what follows does not exist: no link can be in it
                rest = os.path.normpath(os.path.join(candidate, *parts[i + 1 :]))
                if not self.contains(rest):
                    raise Refused(shown, "refused: leads out of the source folder") from None
                return Path(rest), None
            if _is_link(st):
                candidate, st = self._follow(candidate, shown, last=i == len(parts) - 1)
            current = candidate
        if st is None:
            st = os.lstat(current)
        return Path(current), st

    def _follow(self, link: str, shown: Path, last: bool) -> tuple[str, os.stat_result]:
        """Where a link inside the source folder leads, one link at a time, each step inside it."""
        what = "file" if last else "folder"
        for _ in range(MAX_LINKS):
            try:
                target = os.readlink(link)
            except OSError as exc:
                raise Refused(shown, f"refused: cannot read this link: {exc.strerror or exc}") from None
            joined = os.path.join(os.path.dirname(link), target)  # an absolute target replaces the folder
            head, tail = os.path.split(joined)
            hop = (
                os.path.realpath(joined)
                if tail in ("", ".", "..")
                else os.path.join(os.path.realpath(head or os.curdir), tail)
            )
            if not self.contains(hop):
                raise Refused(shown, f"refused: this {what} is a link to a place outside the source folder")
            try:
                st = os.lstat(hop)
            except OSError:
                raise Refused(
                    shown, f"refused: this {what} is a link that leads nowhere (its target does not exist)"
                ) from None
            if not _is_link(st):
                return hop, st
            link = hop
        raise Refused(shown, "refused: too many levels of links")


def read_regular(
    path: Path, shown: Path | str | None = None, st: os.stat_result | None = None, limit: int | None = None
) -> bytes:
    """The bytes of a regular file, without ever blocking on a FIFO or a device (refused: Refused naming shown,
    default path). st: its stat, if known. limit: a larger file is refused unread. OSError if it cannot be read."""
    shown = path if shown is None else shown
    st = os.stat(path) if st is None else st
    if not stat.S_ISREG(st.st_mode):
        raise Refused(shown, f"refused: not a regular file ({kind(st)})")
    if limit is not None and st.st_size > limit:
        raise Refused(shown, f"file too large: {st.st_size} bytes (the limit is {limit} bytes)")
    try:  # resolved already: a link now is a swap, refused; a FIFO: never waited on
        fd = open_fd(path, os.O_RDONLY, follow=False)
    except NotRegularFile as exc:
        raise Refused(shown, f"refused: not a regular file ({kind(exc.st)})") from None
    with open(fd, "rb") as handle:
        st = os.fstat(fd)  # what was opened, should the file have been swapped since
        if not stat.S_ISREG(st.st_mode):
            raise Refused(shown, f"refused: not a regular file ({kind(st)})")
        if limit is not None and st.st_size > limit:
            raise Refused(shown, f"file too large: {st.st_size} bytes (the limit is {limit} bytes)")
        return handle.read()


def _temporary(path: Path, data: bytes) -> str:
    """Write data to a new temporary file beside path (with the permissions a new file gets); return its name."""
    temp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    _write_exclusive(temp, data)
    return temp


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_replacing(path: Path, data: bytes) -> None:
    """Write path whole, in one step: a temporary file renamed over it (an existing file is replaced, not
    written into: a link at path would be replaced, never followed)."""
    temp = _temporary(path, data)
    try:
        os.replace(temp, path)
    except BaseException:
        _remove(temp)
        raise


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet, whole and in one step; FileExistsError if it does.

    The temporary file is hard-linked to path (which fails if path exists); where the file system has no hard
    links, path is created exclusively (O_EXCL) and written, and removed again if writing fails.
    """
    temp = _temporary(path, data)
    try:
        if hard_link(temp, path):  # the temporary file is a regular file we made: nothing to follow
            return
    finally:
        _remove(temp)
    _write_exclusive(path, data)


def _write_exclusive(path: Path | str, data: bytes) -> None:
    """Create path (which must not exist, and is never followed if a link) and write data to disk; a failed
    write leaves no file."""
    fd = open_fd(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, follow=False)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _remove(str(path))
        raise
