"""Write the site's outputs into the output folder atomically: build beside it, then swap it in."""

from __future__ import annotations

import functools
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ..core.errors import Problem, SiteError, display_path
from ..core.platform import CAN_LOCK, exchange, hard_link, home_folder, open_fd, start_detached, try_lock
from ..outputs.base import Output, by_path, ready
from .workers import can_fork, process_pool

CACHE_DIR = ".site-builder-cache"  # beside the output folder (cache.py); git-ignored
MARKER = ".site-builder-output"  # marks a folder as ours, so we never replace a folder a user wrote


_MARKER_TEXT = b"This folder is written by site-builder and replaced whole on each build.\n"


def _place(target: str, data: bytes, previous: str | None) -> tuple[int, os.stat_result]:
    """Put data at target: a hard link to the previous site's file when its bytes are the same (so its mtime
    and inode stay and rsync or a CI cache see no change), else a new file. Returns 1 when linked, 0 when
    written, and the file's status (from the open file: no second look-up of the path)."""
    if previous is not None:
        try:
            st = os.lstat(previous)
            if stat.S_ISREG(st.st_mode) and st.st_size == len(data) and _read(previous) == data:
                if hard_link(previous, target):
                    return 1, st  # the same inode, size and mtime as the previous file
        except OSError:  # no previous file, or links not possible here: write it
            pass
    fd = open_fd(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return 0, os.fstat(fd)
    finally:
        os.close(fd)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


_LARGE = 500  # files: a previous site this large is removed in the background when a trash folder is given
_REMOVE = "import shutil, sys; [shutil.rmtree(p, ignore_errors=True) for p in sys.argv[1:]]"


def _discard(old: Path, trash: Path | None, files: int) -> None:
    """Remove the previous site, now swapped out of place. A large one is moved into trash (a folder on the same
    disk, e.g. in the build cache) and removed by a detached process: on some disks removing thousands of
    folders takes seconds, and the new site is already in place."""
    if trash is not None and files > _LARGE:
        import subprocess

        try:
            trash.mkdir(parents=True, exist_ok=True)
            old.rename(trash / old.name)
            old = trash / old.name
            start_detached([sys.executable, "-c", _REMOVE, *(str(p) for p in trash.iterdir())])
            return
        except (OSError, subprocess.CalledProcessError):
            pass
    if old.exists():
        shutil.rmtree(old)


@functools.lru_cache(maxsize=1 << 16)  # every build checks every output path; most are the last build's
def path_problem(rel: str) -> str | None:
    """Why rel cannot be an output path (absolute, '..', backslash, NUL, empty part), or None."""
    if (
        not rel
        or "\\" in rel
        or "\x00" in rel
        or rel.startswith("/")
        or any(part in ("", ".", "..") for part in rel.split("/"))
    ):
        return f"refused output path {rel!r}: it would leave the output folder"
    return None


def _fail(path: Path | str, message: str) -> SiteError:
    return SiteError([Problem(display_path(path), 0, message)])


def _check_target(output: Path, source: Path | None) -> None:
    if output.exists() and not output.is_dir():
        raise _fail(output, "output exists and is not a folder")
    check_output(output, source)
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).exists():
        raise _fail(output, f"refusing to replace a folder that site-builder did not write (no {MARKER} in it)")


class OutputRefused(SiteError):
    """An --output that no build may write: a bad command-line value (exit 2)."""

    exit_code = 2
    argument = "--output"


def _refuse(output: Path, message: str) -> OutputRefused:
    return OutputRefused([Problem(display_path(output), 0, message)])


def real_output(output: Path) -> Path:
    """The folder a build writes for output: absolute, and where a symbolic link leads when output is one (the
    link stays, and the site is replaced behind it)."""
    output = output.absolute()
    return output.resolve() if output.is_symlink() else output


def check_output(output: Path, source: Path | None = None, templates: Path | None = None) -> None:
    """Raise OutputRefused when output is no place for a site: a build replaces that folder whole, so it must
    not be, contain or lie inside the source or templates folder, a build cache, the filesystem's root, the
    home folder or the current folder."""
    out = real_output(output).resolve()
    for name, folder in (("source", source), ("templates", templates)):
        if folder is not None:
            inside = folder.resolve()
            if out == inside or out.is_relative_to(inside) or inside.is_relative_to(out):
                raise _refuse(
                    output,
                    f"the output folder must not contain, or be inside, the {name} folder ({display_path(folder)})",
                )
    if CACHE_DIR in out.parts:
        raise _refuse(output, f"the output folder must not be inside a build cache ({CACHE_DIR})")
    home = home_folder()
    for what, folder in (("the current folder", Path.cwd().resolve()), ("the home folder", home)):
        if folder is not None and folder.is_relative_to(out):
            raise _refuse(output, f"the output folder must not be, or contain, {what}")
    if out == Path(out.anchor):
        raise _refuse(output, "the output folder must not be the filesystem's root")


# A build's records: the lock file beside the output folder names, before they are made, the scratch paths the
# build holding it makes (staging folders, the replaced site, temporary files of the site and of the cache). The
# lock is only held by a live build, so what an earlier holder's records name, and is still there, was left by a
# build that died: the next build to hold the lock removes it. Nothing else is ever removed as a leftover.
_SCRATCH = ".tmp"  # every recorded path ends so, and is a hidden name under the output folder's parent


class Lock:
    """The lock a build holds while it writes an output folder, and its records."""

    def __init__(self, output: Path, fd: int | None):
        self.output, self.fd = output, fd

    def claim(self, path: Path | str) -> None:
        """Record path, before it is made, as this build's scratch (removed by the next build if this one dies)."""
        if self.fd is not None:
            os.write(self.fd, os.fsencode(str(path)) + b"\0")  # one write: whole, whoever else writes (O_APPEND)

    def sweep(self) -> None:
        """Remove what the records name and is still there, then clear the records (the lock must be held)."""
        if self.fd is None:
            return
        os.lseek(self.fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self.fd, 1 << 16):
            chunks.append(chunk)
        if not chunks:
            return
        parent = self.output.parent
        for raw in b"".join(chunks).split(b"\0"):
            path = Path(os.fsdecode(raw)) if raw else None
            if (
                path is not None
                and path.is_absolute()
                and path.name.startswith(".")
                and path.name.endswith(_SCRATCH)
                and ".." not in path.parts
                and path.is_relative_to(parent)
                and path != self.output
            ):
                _remove_quietly(path)
        os.ftruncate(self.fd, 0)


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


@contextmanager
def _locked(output: Path, sweep: bool = True):
    """Hold an exclusive lock beside output, so two builds never write one site at once; yield its Lock. With
    sweep, first remove what a dead build's records name; a build that ends removes what its own name."""
    lock_path = output.parent / f".{output.name}.lock"
    fd = open_fd(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    try:
        if not try_lock(fd):
            raise _fail(output, "another build is writing this output folder; try again when it ends")
        lock = Lock(output, fd if CAN_LOCK else None)  # without a lock, records prove nothing: none are kept
        if sweep:
            lock.sweep()
        try:
            yield lock
        finally:
            try:
                lock.sweep()  # what this build's own cleanup missed
            except OSError:
                pass
    finally:
        os.close(fd)  # releases the lock


def output_lock(output: Path, sweep: bool = True):
    """The lock a build holds while it writes output: a context manager giving a Lock; SiteError when another build
    holds it. sweep: remove first what a dead build left (see Lock)."""
    return _locked(real_output(output), sweep)


Record = tuple[bytes, int, int, int]  # what a build wrote at a path: (output key, size, mtime in ns, inode)
MIN_PARALLEL = 64  # fewer outputs to make than this are made in this process: forking would cost more
_CHUNK = 8  # outputs a writing process claims at a time


def write_site(
    outputs: Iterable[Output] | dict[str, bytes],
    output: Path,
    source: Path | None = None,
    stats: dict | None = None,
    trash: Path | None = None,
    previous: dict[str, Record] | None = None,
    explain: Callable[[Exception], SiteError | None] | None = None,
    in_place: bool = False,
    workers: int = 1,
    spare: Path | None = None,
    spare_records: dict[str, Record] | None = None,
    lock: Lock | None = None,
    after: Callable[[Lock, dict[str, Record]], None] | None = None,
) -> dict[str, Record]:
    """Write every output, then return what is at each path.

    An output whose key is the one `previous` recorded for its path, while that file is still as written, is
    kept without being made. The others are made (in `workers` processes when there are many) and written,
    except that a file whose bytes are unchanged is kept too, so its mtime and inode stay. By default the new
    site goes into a fresh staging folder that then swaps with output in one step: a build stopped at any
    moment leaves the previous site whole. With in_place (serve, after a first build), changed files replace
    their previous versions one by one, each atomically, and files no longer built are removed.
    explain turns an exception raised while making an output into a SiteError (None: raise it as it is).
    spare: a folder on the same disk where the replaced site is kept (stats['spared'] says whether it was);
    the next build turns it into the new site, with spare_records (the records it was written with), instead
    of making every folder and link anew. Without it, the replaced site is removed (in trash, when given).
    lock: the output's lock, when the caller holds it (else it is taken here). A symbolic link output is followed:
    the site is replaced in the folder it leads to, and the link stays. after(lock, records): called once the new site is
    in place, with the lock still held (it must raise no OSError: the site is written).
    """
    if isinstance(outputs, dict):
        outputs = [ready(path, data) for path, data in outputs.items()]
    outputs = list(by_path(outputs).values())
    problems = [Problem(o.path, 0, msg) for o in outputs if (msg := path_problem(o.path)) is not None]
    if problems:
        raise SiteError(problems)
    output = real_output(output)
    _check_target(output, source)
    job = _Job(outputs, output, previous or {}, explain, workers)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with _locked(output) if lock is None else nullcontext(lock) as held:
            job.lock = held
            if in_place and previous and output.is_dir() and (output / MARKER).exists():
                records = job.in_place()
            else:
                records = job.staged(trash, spare, spare_records or {})
            if stats is not None:  # before after(): it records whether the replaced site became the spare
                stats.update(
                    written=job.written,
                    unchanged=len(outputs) - job.written,
                    made=job.made,
                    spared=job.spared,
                    in_place=job.updated_in_place,
                )
            if after is not None:
                after(held, records)
    except OSError as exc:  # read-only or full disk
        raise _fail(output, f"cannot write the site: {exc.strerror or exc}") from None
    return records


def _record(key: bytes, st: os.stat_result) -> Record:
    return key, st.st_size, st.st_mtime_ns, st.st_ino


class _Job:
    """One write of the site: which outputs to keep, which to make, and where."""

    def __init__(
        self,
        outputs: list[Output],
        output: Path,
        previous: dict[str, Record],
        explain: Callable[[Exception], SiteError | None] | None,
        workers: int,
    ):
        self.outputs, self.output, self.previous = outputs, output, previous
        self.root = str(output)
        self.explain, self.workers = explain, workers
        self.written = 0  # files written anew
        self.made = 0  # outputs made (the rest kept by key)
        self.updated_in_place = False
        self.spared = False  # the replaced site was kept as the spare, for the next build to bring up to date
        self.had_site = True  # whether the output folder existed: without it there is no previous file to link
        self._folders: set[str] = set()  # folders made in staging by this process
        self.lock = Lock(output, None)  # records the scratch paths this build makes

    def _folder(self, staging: Path, path: str) -> None:
        """Make the folder of output path in staging, unless this process has (another may have: no matter)."""
        folder = path.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(f"{staging}/{folder}", exist_ok=True)
            self._folders.add(folder)

    def _kept(self, o: Output) -> Record | None:
        """The previous record of o when its key is unchanged and its file is still as that build wrote it."""
        prev = self.previous.get(o.path)
        if prev is None or prev[0] != o.key:
            return None
        try:
            st = os.stat(f"{self.root}/{o.path}")
        except OSError:
            return None
        return prev if (st.st_size, st.st_mtime_ns, st.st_ino) == prev[1:] else None

    def staged(self, trash: Path | None, spare: Path | None, spare_records: dict[str, Record]) -> dict[str, Record]:
        output = self.output
        token = f"{os.getpid()}-{os.urandom(4).hex()}"  # this build's own: no other build, live or dead, has it
        staging = output.parent / f".{output.name}.{token}{_SCRATCH}"
        self.lock.claim(staging)
        try:
            reuse = spare is not None and _usable_spare(spare, output)
            if reuse:  # the site before last: bring it up to date rather than make every folder and link anew
                assert spare is not None
                spare.rename(staging)  # from here on, an interrupted build's leftovers are removed as any are
                _prune(str(staging), {o.path for o in self.outputs})
            else:
                staging.mkdir()
                spare_records = {}
            # each folder is made before the first file in it (by whichever process writes that file): we make
            # every folder in staging, so none is a link, and a path without '..' stays inside
            self._folders = {""}
            records: dict[str, Record] = {}
            todo = []
            exists = self.had_site = output.exists()
            for o in self.outputs:
                if reuse:
                    target = f"{staging}/{o.path}"
                    prev, live = spare_records.get(o.path), self.previous.get(o.path)
                    if (
                        prev is not None
                        and live is not None
                        and prev[0] == live[0] == o.key
                        and prev[3] == live[3]
                        and _lstat(target) == prev[1:]
                    ):
                        records[o.path] = prev  # the very file the live site has (one inode): keep it
                        continue
                    _remove(target)  # never write through a file the live site may share (a hard link)
                kept = self._kept(o) if exists else None
                if kept is not None:
                    try:
                        self._folder(staging, o.path)
                        if hard_link(f"{self.root}/{o.path}", f"{staging}/{o.path}"):
                            records[o.path] = kept
                            continue
                    except OSError:
                        pass
                todo.append(o)
            records.update(self._make(todo, staging))
            _remove(str(staging / MARKER))
            _place(f"{staging}/{MARKER}", _MARKER_TEXT, f"{output}/{MARKER}")
            if not output.exists():
                staging.rename(output)
            else:
                old = output.parent / f".{output.name}.{token}.old{_SCRATCH}"  # where a two-rename swap puts it
                self.lock.claim(old)
                self.spared = _keep_spare(exchange(staging, output, old), spare, trash, len(self.outputs))
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return dict(sorted(records.items()))

    def in_place(self) -> dict[str, Record]:
        self.updated_in_place = True
        output = self.output
        records: dict[str, Record] = {}
        todo = []
        for o in self.outputs:
            kept = self._kept(o)
            if kept is not None:
                records[o.path] = kept
            else:
                todo.append(o)
        root = output.resolve()
        for o in todo:
            folder = (output / o.path).parent
            if not folder.resolve().is_relative_to(root):
                raise _fail(o.path, "refused output path: it would leave the output folder")
            folder.mkdir(parents=True, exist_ok=True)
        records.update(self._make(todo, None))
        for rel in sorted(set(self.previous) - set(records), reverse=True):  # no longer built
            gone = output / rel
            gone.unlink(missing_ok=True)
            for folder in gone.parents:
                if folder == output or any(folder.iterdir()):
                    break
                folder.rmdir()
        return dict(sorted(records.items()))

    def _make(self, todo: list[Output], staging: Path | None) -> dict[str, Record]:
        """Make and write todo: into staging (linking unchanged bytes to the previous file), or in place. With
        several workers, and where this process may fork (see workers.can_fork), a pool of forked processes makes
        it in chunks: each worker takes the next chunk as it finishes one, so every process stays busy to the end
        however unevenly the outputs cost (one page may list every article). Forked, because the workers inherit
        the outputs (functions over the whole model) rather than receive them pickled. The failure reported is the
        one at the lowest index of todo, whichever process met it: chunks are handed out in order, so every chunk
        before a failed one has been taken and is waited for, and the same input fails the same way every time."""
        if self.workers < 2 or len(todo) < MIN_PARALLEL or not can_fork():
            return self._make_here(todo, staging)
        from concurrent.futures import BrokenExecutor  # here: a build with nothing to do never needs it

        global _JOB
        _JOB = (self, todo, staging)  # what the forked workers make: inherited, never pickled
        records: dict[str, Record] = {}
        failure: Exception | None = None
        pool = process_pool(self.workers, method="fork")
        try:
            chunks = [pool.submit(_make_chunk, start) for start in range(0, len(todo), _CHUNK)]
            for future in chunks:
                if failure is not None:
                    future.cancel()  # not started: nothing after the failure is needed
                    continue
                try:
                    message = future.result()
                except BrokenExecutor as exc:  # a worker died: its chunk was left unfinished
                    failure = RuntimeError(f"a worker process died ({exc})")
                    continue
                if message[0] == "ok":
                    _, made, written = message
                    records.update(made)
                    self.made += len(made)
                    self.written += written
                else:
                    _, kind, value = message
                    failure = (
                        SiteError(value)
                        if kind == "error"
                        else OSError(*value)
                        if kind == "oserror"
                        else RuntimeError(value)
                    )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # no worker goes on writing once this returns
            _JOB = None
        if failure is not None:
            raise failure
        return records

    def _make_here(self, todo: list[Output], staging: Path | None) -> dict[str, Record]:
        records = {}
        for o in todo:
            try:
                data = o.make()
            except SiteError:
                raise
            except Exception as exc:
                explained = self.explain(exc) if self.explain else None
                if explained is None:
                    raise
                raise explained from None
            if staging is not None:
                self._folder(staging, o.path)
                linked, st = _place(f"{staging}/{o.path}", data, f"{self.root}/{o.path}" if self.had_site else None)
                self.written += 1 - linked
            else:
                target = self.output / o.path
                self.written += 1 - _replace(target, data, self.lock)
                st = os.stat(target)
            records[o.path] = _record(o.key, st)
            self.made += 1
        return records


_JOB: tuple[_Job, list[Output], Path | None] | None = None  # the write a pool's forked workers do


def _make_chunk(start: int) -> tuple:
    """In a forked worker: make the chunk of the write's outputs from index start. Returns ("ok", records, files
    written), or at the first failure ("failed", kind, value) with what the parent needs to raise it again."""
    import traceback

    assert _JOB is not None
    job, todo, staging = _JOB
    job.written, job.made = 0, 0
    records: dict[str, Record] = {}
    for i in range(start, min(start + _CHUNK, len(todo))):
        try:
            records.update(job._make_here([todo[i]], staging))
        except SiteError as exc:
            return "failed", "error", exc.problems
        except OSError as exc:
            return "failed", "oserror", (exc.errno, exc.strerror)
        except Exception as exc:  # any error: reported by the parent
            return "failed", "crash", "".join(traceback.format_exception(exc))
    return "ok", records, job.written


def _lstat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _remove(path: str) -> None:
    """Remove whatever is at path (a file, a link or a folder), if anything."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except (IsADirectoryError, PermissionError):
        shutil.rmtree(path)


def _usable_spare(spare: Path, output: Path) -> bool:
    """Whether spare is a site we wrote, on the disk of output (so it can be swapped in)."""
    try:
        return (spare / MARKER).is_file() and os.stat(spare).st_dev == os.stat(output.parent).st_dev
    except OSError:
        return False


def _prune(root: str, wanted: set[str]) -> None:
    """Remove from the folder root every file and folder that is not one of the wanted paths or on the way to one
    (the marker stays)."""
    folders = set()
    for path in wanted:
        while "/" in path:
            path = path.rpartition("/")[0]
            if path in folders:
                break
            folders.add(path)
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(f"{root}/{rel}" if rel else root) as entries:
            for entry in entries:
                path = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if path in folders:
                        stack.append(path)
                    else:
                        shutil.rmtree(entry.path)
                elif path not in wanted and path != MARKER:
                    os.unlink(entry.path)


def _keep_spare(old: Path, spare: Path | None, trash: Path | None, files: int) -> bool:
    """Keep the replaced site as the spare for the next build (True), or remove it when there is no spare."""
    if spare is not None:
        try:
            if spare.exists():
                shutil.rmtree(spare)
            spare.parent.mkdir(parents=True, exist_ok=True)
            old.rename(spare)
            return True
        except OSError:
            pass
    _discard(old, trash, files)
    return False


def _replace(target: Path, data: bytes, lock: Lock) -> int:
    """Put data at target in place, atomically (a temporary file, then a rename); 1 when it already held data."""
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return 1
    except OSError:
        pass
    tmp = target.parent / f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}{_SCRATCH}"
    lock.claim(tmp)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return 0
