"""Write a {path: bytes} map into the output folder atomically: build beside it, then swap it in."""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .errors import Problem, SiteError, display_path

MARKER = ".site-builder-output"  # marks a folder as ours, so we never replace a folder a user wrote
_RENAME_EXCHANGE = 2


_MARKER_TEXT = b"This folder is written by site-builder and replaced whole on each build.\n"


def _place(target: Path, data: bytes, previous: Path) -> int:
    """Put data at target: a hard link to the previous site's file when its bytes are the same (so its mtime
    and inode stay and rsync or a CI cache see no change), else a new file. 1 when linked, 0 when written."""
    try:
        st = os.lstat(previous)
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data) and previous.read_bytes() == data:
            os.link(previous, target, follow_symlinks=False)
            return 1
    except OSError:  # no previous file, or links not possible here: write it
        pass
    target.write_bytes(data)
    return 0


_LARGE = 500  # files: a previous site this large is removed in the background when a trash folder is given
_REMOVE = "import shutil, sys; [shutil.rmtree(p, ignore_errors=True) for p in sys.argv[1:]]"


def _discard(old: Path, trash: Path | None, files: int) -> None:
    """Remove the previous site, now swapped out of place. A large one is moved into trash (a folder on the same
    disk, e.g. in the build cache) and removed by a detached process: on some disks removing thousands of
    folders takes seconds, and the new site is already in place."""
    if trash is not None and files > _LARGE:
        try:
            trash.mkdir(parents=True, exist_ok=True)
            old.rename(trash / old.name)
            # sh starts the remover in the background and exits at once: nothing of it is left to wait for
            subprocess.run(["/bin/sh", "-c", '"$@" &', "sh", sys.executable, "-c", _REMOVE,
                            *(str(p) for p in trash.iterdir())], start_new_session=True, check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return
        except (OSError, subprocess.CalledProcessError):
            pass
    if old.exists():
        shutil.rmtree(old)


def path_problem(rel: str) -> str | None:
    """Why rel cannot be an output path (absolute, '..', backslash, NUL, empty part), or None."""
    p = PurePosixPath(rel)
    if not rel or "\\" in rel or "\x00" in rel or p.is_absolute() or any(part in ("", ".", "..") for part in rel.split("/")):
        return f"refused output path {rel!r}: it would leave the output folder"
    return None


def _fail(path: Path | str, message: str) -> SiteError:
    return SiteError([Problem(display_path(path), 0, message)])


def _check_target(output: Path, source: Path | None) -> None:
    if output.exists() and not output.is_dir():
        raise _fail(output, "output exists and is not a folder")
    if source is not None:
        src, out = source.resolve(), output.resolve()
        if out == src or out.is_relative_to(src) or src.is_relative_to(out):
            raise _fail(output, "the output folder must not contain, or be inside, the source folder")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).exists():
        raise _fail(output, f"refusing to replace a folder that site-builder did not write (no {MARKER} in it)")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(a))


def clean_leftovers(output: Path) -> None:
    """Remove staging folders an interrupted build left beside the output folder."""
    prefix = f".{output.name}."
    for stale in output.parent.iterdir():
        if stale.name.startswith(prefix) and stale.name.endswith(".tmp") and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def _locked(output: Path):
    """Hold an exclusive lock beside output, so two builds never write one site at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    lock_path = output.parent / f".{output.name}.lock"
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _fail(output, "another build is writing this output folder; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def output_lock(output: Path):
    """The lock a build holds while it writes output: a context manager; SiteError when another build holds it."""
    return _locked(output.absolute())


def write_site(files: dict[str, bytes], output: Path, source: Path | None = None, stats: dict | None = None,
               trash: Path | None = None) -> int:
    """Write every file into a fresh staging folder, then swap it in place of output; return the count."""
    problems = [Problem(rel, 0, msg) for rel in files if (msg := path_problem(rel)) is not None]
    if problems:
        raise SiteError(problems)
    output = output.absolute()
    _check_target(output, source)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with _locked(output):
            return _write_locked(files, output, stats, trash)
    except OSError as exc:  # read-only or full disk, before the staging folder exists
        raise _fail(output, f"cannot write the site: {exc.strerror or exc}") from None


def _write_locked(files: dict[str, bytes], output: Path, stats: dict | None = None, trash: Path | None = None) -> int:
    clean_leftovers(output)
    staging = output.parent / f".{output.name}.{os.getpid()}.tmp"
    try:
        staging.mkdir()
        unchanged = 0
        root = staging.resolve()
        folders: dict[Path, Path] = {}  # each folder made so far -> its resolved path (one resolve per folder)
        for rel in sorted(files):
            target = staging / rel
            if (resolved := folders.get(target.parent)) is None:
                resolved = target.parent.resolve()
            if not (resolved / target.name).is_relative_to(root):
                raise _fail(rel, "refused output path: it would leave the output folder")
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders[target.parent] = resolved
            unchanged += _place(target, files[rel], output / rel)
        _place(staging / MARKER, _MARKER_TEXT, output / MARKER)
        if not output.exists():
            staging.rename(output)
        elif _exchange(staging, output):
            _discard(staging, trash, len(files))
        else:
            old = output.parent / f".{output.name}.{os.getpid()}.old.tmp"
            output.rename(old)
            try:
                staging.rename(output)
            except OSError:
                old.rename(output)  # put the previous site back
                raise
            _discard(old, trash, len(files))
    except OSError as exc:
        raise _fail(output, f"cannot write the site: {exc.strerror or exc}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    if stats is not None:
        stats.update(written=len(files) - unchanged, unchanged=unchanged)
    return len(files)
