"""core/platform.py: each OS-specific call and its portable fallback give the same observable result. Every test
runs twice: the system's own path (native) and the fallback SITE_BUILDER_PORTABLE=1 forces (portable)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import needs_symlinks
from site_builder.core import platform, safefs
from site_builder.core.platform import exchange, hard_link, installed_versions, open_fd, time_limit, try_lock
from site_builder.engine.store import _LIBRARIES
from site_builder.engine.write import _place, write_site

ROOT = Path(__file__).resolve().parent.parent
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@pytest.fixture(params=["native", "portable"])
def mode(request, monkeypatch):
    """Which path every function of core/platform.py takes (the flags are read once, at import: set them too)."""
    portable = request.param == "portable"
    monkeypatch.setattr(platform, "PORTABLE", portable)
    for name in ("O_CLOEXEC", "O_NOFOLLOW", "O_NONBLOCK"):
        monkeypatch.setattr(platform, name, 0 if portable else getattr(os, name, 0))
    return request.param


def _env(mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SITE_BUILDER_PORTABLE"}
    if mode == "portable":
        env["SITE_BUILDER_PORTABLE"] = "1"
    return env


# ------------------------------------------------------------------------------------------ the output lock

_HOLD = """
import os, sys
from site_builder.core.platform import try_lock
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_APPEND)
print("locked" if try_lock(fd) else "busy", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not platform.CAN_LOCK, reason="no file locks on this system")
def test_the_lock_excludes_another_process_until_it_ends(mode, tmp_path):
    lock = tmp_path / ".output.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(mode),
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        fd = os.open(lock, os.O_RDWR | os.O_APPEND)
        try:
            assert not try_lock(fd)  # held by the other process
        finally:
            os.close(fd)
    finally:
        holder.communicate("")
    fd = os.open(lock, os.O_RDWR | os.O_APPEND)
    try:
        assert try_lock(fd)  # it ended: the lock is free
        os.write(fd, b"records\0")  # the records are writable while it is held
        assert lock.read_bytes() == b"records\0"
    finally:
        os.close(fd)


def test_a_build_refuses_an_output_another_process_is_writing(mode, tmp_path):
    out = tmp_path / "site"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path / ".site.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(mode),
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(Exception, match="another build is writing this output folder"):
            write_site({"index.html": b"x"}, out)
        assert not out.exists()
    finally:
        holder.communicate("")
    write_site({"index.html": b"x"}, out)
    assert (out / "index.html").read_bytes() == b"x"


# ------------------------------------------------------------------------------------- folders and links


def test_exchange_puts_the_new_folder_in_place_and_returns_the_old_one(mode, tmp_path):
    new, old, aside = tmp_path / "new", tmp_path / "site", tmp_path / "aside"
    new.mkdir(), old.mkdir()
    (new / "page").write_text("new"), (old / "page").write_text("old")
    where = exchange(new, old, aside)
    assert (old / "page").read_text() == "new"
    assert (where / "page").read_text() == "old"
    assert where == (new if mode == "native" and sys.platform.startswith("linux") else aside)


def test_a_failed_exchange_leaves_the_old_folder_in_place(mode, tmp_path):
    old, aside = tmp_path / "site", tmp_path / "aside"
    old.mkdir()
    (old / "page").write_text("old")
    with pytest.raises(OSError):
        exchange(tmp_path / "missing", old, aside)
    assert (old / "page").read_text() == "old"
    assert not aside.exists()


def _refuse_links(monkeypatch):
    """A file system without hard links (FAT, some network shares): os.link fails as there."""

    def refuse(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)


def test_a_hard_link_or_the_callers_fallback_gives_the_same_bytes(mode, tmp_path, monkeypatch):
    if mode == "portable":
        _refuse_links(monkeypatch)
    source = tmp_path / "a"
    source.write_bytes(b"page")
    linked = hard_link(source, tmp_path / "b")
    assert linked == (mode == "native")
    if linked:
        assert os.stat(tmp_path / "b").st_ino == os.stat(source).st_ino
    else:
        assert not (tmp_path / "b").exists()
    placed, _st = _place(str(tmp_path / "c"), b"page", str(source))  # the writer: a link, else a new file
    assert (tmp_path / "c").read_bytes() == b"page" and placed == int(mode == "native")
    safefs.write_new(tmp_path / "d", b"new")  # the archive's writer: a link, else an exclusive create
    assert (tmp_path / "d").read_bytes() == b"new"
    with pytest.raises(FileExistsError):
        safefs.write_new(tmp_path / "d", b"again")
    assert (tmp_path / "d").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["a", "b", "c", "d"] if linked else ["a", "c", "d"])


@needs_symlinks
def test_opening_without_following_refuses_a_link(mode, tmp_path):
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        open_fd(tmp_path / "link", os.O_RDONLY, follow=False)
    with pytest.raises(FileExistsError):  # an exclusive create never writes through a link
        open_fd(tmp_path / "link", os.O_WRONLY | os.O_CREAT | os.O_EXCL, follow=False)
    assert (tmp_path / "real").read_bytes() == b"x"
    fd = open_fd(tmp_path / "real", os.O_RDONLY, follow=False)
    try:
        assert os.read(fd, 10) == b"x"
    finally:
        os.close(fd)


@needs_fifo
def test_a_fifo_swapped_in_after_the_check_is_refused_without_blocking(mode, tmp_path):
    regular, fifo = tmp_path / "file.md", tmp_path / "pipe.md"
    regular.write_bytes(b"x")
    os.mkfifo(fifo)
    with pytest.raises(safefs.Refused, match=r"refused: not a regular file \(a FIFO\)"):
        safefs.read_regular(fifo, st=os.stat(regular))  # as if the file had been swapped since it was looked at


def test_the_flags_are_zero_in_portable_mode():
    code = "from site_builder.core import platform as p; print(p.PORTABLE, p.O_CLOEXEC, p.O_NOFOLLOW, p.O_NONBLOCK)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env("portable"), cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "0", "0", "0"]
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env("native"), cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [
        "False",
        str(getattr(os, "O_CLOEXEC", 0)),
        str(getattr(os, "O_NOFOLLOW", 0)),
        str(getattr(os, "O_NONBLOCK", 0)),
    ]


@pytest.mark.parametrize("links", ["links", "no links"])
def test_rebuilds_without_hard_links_give_the_site_a_clean_build_gives(links, tmp_path, monkeypatch):
    if links == "no links":
        _refuse_links(monkeypatch)
    first = {f"p/{i}.html": f"page {i}".encode() for i in range(10)}
    second = {**first, "p/3.html": b"changed", "p/new.html": b"new"}
    del second["p/5.html"]
    records = write_site(first, tmp_path / "site")
    records = write_site(second, tmp_path / "site", previous=records)
    write_site(second, tmp_path / "site", previous=records)  # nothing changed: every file kept
    assert {
        p.relative_to(tmp_path / "site").as_posix(): p.read_bytes() for p in (tmp_path / "site").rglob("*.html")
    } == second


# ------------------------------------------------------------------------------------------------- processes


def test_forked_writers_or_none_write_the_same_site(mode, tmp_path):
    pages = {f"p/{i}.html": f"page {i}".encode() for i in range(200)}
    assert platform.can_fork() == (mode == "native" and "fork" in __import__("multiprocessing").get_all_start_methods())
    write_site(pages, tmp_path / "site", workers=2)
    assert {
        p.relative_to(tmp_path / "site").as_posix(): p.read_bytes() for p in (tmp_path / "site").rglob("*.html")
    } == pages


def test_the_c_library_is_only_reached_on_linux_natively(mode):
    fn = platform.libc_function("prctl")
    assert (fn is not None) == (mode == "native" and sys.platform.startswith("linux"))
    assert (platform.dies_with_this_process() is None) == (fn is None)
    assert platform.cpu_count() >= 1


_PARENT = """
import subprocess, sys
from site_builder.core.platform import dies_with_this_process
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdin=subprocess.PIPE, preexec_fn=dies_with_this_process())
print(child.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process ids")
def test_a_child_ends_when_the_build_that_started_it_is_killed(mode):
    """Native (Linux): the kernel kills it (it ignores its input); portable: it exits when its input pipe closes."""
    child_code = (
        "import time; time.sleep(120)"
        if platform.dies_with_this_process() is not None
        else "import sys; sys.stdin.read()"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, child_code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(mode),
        cwd=ROOT,
    )
    child = int(parent.stdout.readline())
    parent.kill()
    parent.communicate()
    for _ in range(600):  # up to a minute on a busy machine
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if _zombie(child):
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the child outlived the build")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


def test_a_detached_process_runs_on_its_own(mode, tmp_path):
    mark = tmp_path / "done"
    platform.start_detached([sys.executable, "-c", f"open({str(mark)!r}, 'w').write('ran')"])
    for _ in range(600):
        if mark.exists() and mark.read_text() == "ran":
            break
        time.sleep(0.1)
    assert mark.read_text() == "ran"


# ------------------------------------------------------------------------------------------------ time limit


class _Slow(BaseException):
    pass


def test_the_time_limit_interrupts_a_block_that_takes_too_long(mode):
    deadline = time.monotonic() + 60
    with pytest.raises(_Slow):
        with time_limit(0.05, _Slow):
            while time.monotonic() < deadline:  # never reached: the limit interrupts it first
                pass
    with time_limit(30, _Slow):  # a block within its limit ends as it would without one
        total = sum(range(1000))
    assert total == 499500


def test_the_time_limit_refuses_a_slow_body_in_either_mode(mode, monkeypatch):
    from site_builder.content import limits, markdown as markup
    from site_builder.core.models import Company

    converter = markup.Converter([Company("acme", "Acme", (), "")], lambda cid: f"/c/{cid}/")
    monkeypatch.setattr(markup, "TIME_LIMIT", 0.001)
    refused = converter.convert("\n\n".join(f"Paragraph {i} with [a link](x)." for i in range(20000)))
    assert isinstance(refused, limits.Refused) and refused.message.startswith("body too slow to convert (")


# ------------------------------------------------------------------------------------------ library versions


def test_library_versions_from_the_folder_scan_agree_with_importlib_metadata(mode):
    from importlib.metadata import version

    expected = {dist: version(dist) for dist in _LIBRARIES}
    assert {d: v for d, v in platform._scan_versions().items() if d in _LIBRARIES} == expected
    assert installed_versions(_LIBRARIES) == expected
    assert installed_versions(["no_such_library_here"]) == {}
