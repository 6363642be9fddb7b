"""Every call that differs between operating systems, each with a portable fallback. The rest of site-builder
calls these and nothing OS-specific (no fcntl, msvcrt, ctypes, signal timers, fork checks or O_* flags of its own).

| what                        | native (where it exists)                   | portable fallback                            |
|-----------------------------|--------------------------------------------|----------------------------------------------|
| output lock                 | fcntl.flock (Linux, macOS)                 | a lock on one byte far past the records      |
|                             |                                            | (msvcrt.locking on Windows, fcntl.lockf)     |
| swap two folders atomically | renameat2(RENAME_EXCHANGE) (Linux)         | two renames (the first undone if the second  |
|                             |                                            | fails)                                       |
| children die with the build | prctl(PR_SET_PDEATHSIG) (Linux)            | none: a child exits when its pipe closes     |
| open without following a    | O_NOFOLLOW                                 | lstat, open, then the same file (device and  |
| link, or blocking on a FIFO | O_NONBLOCK                                 | inode) or refused; not a regular file: never |
|                             |                                            | opened                                       |
| hard links                  | os.link (every system; kept in portable    | False where the file system refuses: the     |
|                             | mode)                                      | caller writes the file instead               |
| worker processes            | fork                                       | none: the work is done in this process       |
| time limit of one body      | setitimer + SIGALRM (main thread)          | a timer thread interrupting the main thread  |
| the C library               | ctypes.CDLL(None) (Linux only)             | None                                         |
| library versions            | names of .dist-info folders on sys.path    | importlib.metadata                           |
| a detached remover process  | /bin/sh "$@" & in a new session            | Popen, not waited for (a new process group   |
|                             |                                            | on Windows)                                  |

SITE_BUILDER_PORTABLE=1 (read once, on import) makes every function take its portable path, so the fallbacks
run, and are tested, on Linux too.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PORTABLE = os.environ.get("SITE_BUILDER_PORTABLE", "") not in ("", "0")
LINUX = sys.platform.startswith("linux")
WINDOWS = sys.platform == "win32"

# Open flags: 0 where the system has none (and, in portable mode, where a fallback does their work).
O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
O_CLOEXEC = 0 if PORTABLE else getattr(os, "O_CLOEXEC", 0)  # Python's descriptors are non-inheritable anyway
O_NOFOLLOW = 0 if PORTABLE else getattr(os, "O_NOFOLLOW", 0)
O_NONBLOCK = 0 if PORTABLE else getattr(os, "O_NONBLOCK", 0)


# ---------------------------------------------------------------------------------------------------------
# Opening files.


class NotRegularFile(OSError):
    """Raised by open_fd(follow=False) where it cannot open a FIFO or device without blocking: it does not open
    it. st: what is at the path."""

    def __init__(self, path: str | os.PathLike[str], st: os.stat_result):
        super().__init__(errno.ENXIO, "not a regular file", str(path))
        self.st = st


def open_fd(path: str | os.PathLike[str], flags: int, mode: int = 0o666, *, follow: bool = True) -> int:
    """os.open with O_BINARY and O_CLOEXEC added. follow=False: a link at path is refused (OSError ELOOP), and a
    FIFO or device is never waited on: opened without blocking (O_NONBLOCK), or, where the system cannot, not
    opened (NotRegularFile)."""
    flags |= O_BINARY | O_CLOEXEC
    if follow:
        return os.open(path, flags, mode)
    if O_NOFOLLOW and O_NONBLOCK:
        return os.open(path, flags | O_NOFOLLOW | (O_NONBLOCK if not flags & os.O_CREAT else 0), mode)
    return _open_nofollow_portable(path, flags, mode)


def _open_nofollow_portable(path: str | os.PathLike[str], flags: int, mode: int) -> int:
    """The fallback of open_fd(follow=False): look first, open, then check that what was opened is what was looked at."""
    if flags & os.O_CREAT and flags & os.O_EXCL:
        return os.open(path, flags, mode)  # fails on anything at path, a link included: nothing is followed
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        if flags & os.O_CREAT:
            return os.open(path, flags | os.O_EXCL, mode)
        raise
    if stat.S_ISLNK(before.st_mode):
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    if not stat.S_ISREG(before.st_mode):  # never opened: a FIFO would block
        raise NotRegularFile(path, before)
    fd = os.open(path, flags, mode)
    after = os.fstat(fd)
    if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):  # swapped since: a link now, say
        os.close(fd)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    return fd


# ---------------------------------------------------------------------------------------------------------
# The output lock.

try:
    import fcntl as _fcntl
except ImportError:  # Windows
    _fcntl = None  # type: ignore[assignment]
try:
    import msvcrt as _msvcrt
except ImportError:  # POSIX
    _msvcrt = None  # type: ignore[assignment]

CAN_LOCK = _fcntl is not None or _msvcrt is not None  # neither: no lock is taken (and no records are kept)
_LOCK_BYTE = 1 << 30  # the byte-range lock: a byte far past the records, so writing them is never blocked


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file fd, released when fd is closed (or the process ends); False when
    another process holds it. True without locking where the system has no locks (CAN_LOCK false)."""
    try:
        if _fcntl is not None and not PORTABLE:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        else:
            _lock_byte(fd)
    except OSError:
        return False
    return True


def _lock_byte(fd: int) -> None:
    """The portable lock: one byte far past the file's data (a range lock, as Windows locks files)."""
    if _msvcrt is not None:
        position = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
        try:
            _msvcrt.locking(fd, _msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows only
        finally:
            os.lseek(fd, position, os.SEEK_SET)
    elif _fcntl is not None:
        _fcntl.lockf(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB, 1, _LOCK_BYTE, os.SEEK_SET)


# ---------------------------------------------------------------------------------------------------------
# Folders and links.


def exchange(new: Path, old: Path, aside: Path) -> Path:
    """Put the folder new at old's place, and old's folder elsewhere; return where old's folder now is. In one
    step where the system can (Linux: new's path then holds the old folder); else old is renamed to aside and
    new to old (if that fails, old is put back and the error raised): between the two renames old's path is
    missing for a moment."""
    if _exchange_native(new, old):
        return new
    os.rename(old, aside)
    try:
        os.rename(new, old)
    except OSError:
        os.rename(aside, old)
        raise
    return aside


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange_native(a: Path, b: Path) -> bool:
    """Swap a and b in one step (Linux renameat2); False where the system cannot."""
    fn = libc_function("renameat2")
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a))


_NO_LINKS = {
    errno.EPERM,
    errno.EACCES,
    errno.EXDEV,
    errno.EMLINK,
    getattr(errno, "ENOTSUP", -1),
    getattr(errno, "EOPNOTSUPP", -1),
    getattr(errno, "ENOSYS", -1),
    None,
}


def hard_link(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> bool:
    """Make target a hard link to source (a link at source is not followed); False where the file system or
    the system refuses links (the caller then writes or copies the file). FileExistsError if target exists;
    another OSError (no source, say) as os.link raises it. Windows, macOS and Linux all have links: the fallback is
    for file systems without them (FAT, some network shares), so portable mode keeps this one."""
    try:
        os.link(source, target, follow_symlinks=False)
    except (NotImplementedError, AttributeError):
        return False
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno in _NO_LINKS:
            return False
        raise
    return True


def home_folder() -> Path | None:
    """The user's home folder, or None where none is set (no HOME on POSIX)."""
    if "HOME" in os.environ or WINDOWS:
        try:
            return Path.home().resolve()
        except (RuntimeError, OSError):
            return None
    return None


# ---------------------------------------------------------------------------------------------------------
# Processes.


def cpu_count() -> int:
    """The cores this process may use."""
    if not PORTABLE and hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    count = getattr(os, "process_cpu_count", os.cpu_count)()  # Python 3.13: the cores it may use
    return count or 1


def can_fork() -> bool:
    """Whether worker processes can be forked from this one (they inherit its state, nothing is pickled)."""
    if PORTABLE:
        return False
    import multiprocessing  # here: a build with nothing to do never needs it

    return "fork" in multiprocessing.get_all_start_methods()


def fork_is_safe() -> bool:
    """can_fork, where forking is also safe: not on macOS, whose system libraries break in a forked child."""
    return can_fork() and sys.platform != "darwin"


def other_start_method() -> str:
    """How to start pool workers where fork is not safe: forkserver (POSIX but macOS), else spawn."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods and sys.platform != "darwin" and not PORTABLE else "spawn"


def thread_count() -> int:
    """The threads this process runs: the system's count where it tells (Linux: native threads too, such as
    watchfiles' watcher), else Python's."""
    if not PORTABLE:
        try:
            with open("/proc/self/stat", "rb") as f:
                return int(f.read().rpartition(b")")[2].split()[17])
        except (OSError, ValueError, IndexError):
            pass
    import threading

    return threading.active_count()


def libc_function(name: str) -> Any:
    """A function of the C library this process already has (Linux only: no library search, which would run
    ldconfig), or None."""
    if PORTABLE or not LINUX:
        return None
    import ctypes  # here: a build with nothing to do never needs it

    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name, None)
    except OSError:
        return None


_PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """In a child process: have the kernel kill it when its parent dies (Linux); exit now if it already has.
    Elsewhere a child notices its parent is gone when the pipe to it closes."""
    prctl = libc_function("prctl")
    if prctl is not None:
        import signal

        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def dies_with_this_process() -> Callable[[], None] | None:
    """A preexec_fn for subprocess: the child is killed when this process dies (Linux); None elsewhere (the
    child must then exit when its input pipe closes)."""
    if libc_function("prctl") is None:
        return None
    parent = os.getpid()
    return lambda: die_with(parent)


def start_detached(argv: list[str]) -> None:
    """Start argv in the background, detached from this process (it may outlive it; nothing waits for it).
    OSError (or subprocess.CalledProcessError) if it cannot start."""
    import subprocess

    quiet: dict[str, Any] = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not PORTABLE and not WINDOWS and os.path.exists("/bin/sh"):
        # sh starts it in the background and exits at once: nothing of it is left to wait for
        subprocess.run(["/bin/sh", "-c", '"$@" &', "sh", *argv], start_new_session=True, check=True, **quiet)
        return
    if WINDOWS:
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
        process = subprocess.Popen(argv, creationflags=flags, close_fds=True, **quiet)
    else:
        process = subprocess.Popen(argv, start_new_session=True, close_fds=True, **quiet)
    _DETACHED[:] = [p for p in _DETACHED if p.poll() is None] + [process]  # kept, not waited for: an exit never waits


_DETACHED: list[Any] = []  # the processes start_detached started and that were running when last looked at


# ---------------------------------------------------------------------------------------------------------
# The time limit of one body.


class TimeLimitExpired(Exception):
    """Raised in the block of time_limit when its time is up."""


@contextmanager
def time_limit(seconds: float, expired: Callable[[], BaseException] = TimeLimitExpired) -> Iterator[None]:
    """Raise expired() in this thread if the block takes longer than seconds. A real-time timer signal where the
    system has one (Linux, macOS), else a timer thread that interrupts the main thread (Windows). Only the main
    thread can be interrupted (it is where a pool worker converts): in another thread, or while a caller's own
    timer signal is set, the block runs without a time limit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    import signal

    if hasattr(signal, "setitimer") and not PORTABLE:
        if signal.getitimer(signal.ITIMER_REAL)[0]:  # someone else's timer: leave it be
            yield
            return

        def handler(signum: int, frame: object) -> None:
            raise expired()

        previous = signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    with _timer_thread(seconds, expired):
        yield


@contextmanager
def _timer_thread(seconds: float, expired: Callable[[], BaseException]) -> Iterator[None]:
    """The fallback of time_limit: a timer thread interrupts the main thread (KeyboardInterrupt, as Ctrl-C would),
    and the interrupt is turned into expired() wherever it arrives: before the block starts, in it, or after it
    ends (an interrupt the timer sent is always waited for, so none is left to arrive later)."""
    import _thread
    import time

    lock, state = threading.Lock(), {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _thread.interrupt_main()

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    arrived = False
    try:
        try:
            timer.start()  # inside the try: the interrupt may come before start() returns
            yield
        except KeyboardInterrupt:
            arrived = True
            raise
        finally:
            with lock:
                state["done"] = True
            timer.cancel()
            if state["fired"] and not arrived:  # sent, not arrived yet: it does at the next check, in this wait
                for _ in range(10_000):
                    time.sleep(0.001)
    except KeyboardInterrupt:
        if state["fired"]:
            raise expired() from None
        raise


# ---------------------------------------------------------------------------------------------------------
# Installed libraries.


def installed_versions(names: Iterable[str]) -> dict[str, str]:
    """{distribution: version} of the installed distributions among names (PEP 503 names, '_' for '-' and '.',
    lower case). Read from the names of the .dist-info (or .egg-info) folders of the first sys.path entry
    that has each, as importlib.metadata would (importing it costs more than a build with nothing changed);
    importlib.metadata for any that scan does not find (installed some other way)."""
    names = list(names)
    found = {} if PORTABLE else _scan_versions()
    missing = [n for n in names if n not in found]
    if missing:
        found.update(_metadata_versions(missing))
    return {n: found[n] for n in names if n in found}


def _scan_versions() -> dict[str, str]:
    import re

    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info"):
                dist, _, version = stem.partition("-")
                found.setdefault(re.sub(r"[-_.]+", "_", dist).lower(), version)
    return found


def _metadata_versions(names: Iterable[str]) -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out
