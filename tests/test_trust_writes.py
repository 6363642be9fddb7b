"""Trust: a build deletes only what it owns, refuses folders no build may replace, survives a full disk while
saving its cache, serve's bad ports, and a killed build leaves no process and no scratch file behind."""

from __future__ import annotations

import builtins
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import holding_lock, needs_sh, needs_symlinks, tree_digest
from site_builder.core.platform import dies_with_this_process
from site_builder.engine.search import ENV_BINARY
from site_builder.engine.store import CACHE_DIR
from site_builder.engine.write import MARKER
from test_hardening import _synthetic  # the same synthetic archive the older kill tests build

NOTHING = "nothing was written"


def _digest_all(folder: Path) -> dict[str, str]:
    """Every file under folder, hidden ones and links included (as tree_digest, plus the links' targets)."""
    out = tree_digest(folder)
    out.update({p.relative_to(folder).as_posix(): f"-> {os.readlink(p)}" for p in folder.rglob("*") if p.is_symlink()})
    return out


def _scratch(folder: Path) -> list[str]:
    """Hidden '.tmp' files and folders anywhere under folder (staging folders, temporary files)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(".*") if p.name.endswith(".tmp"))


# -------------------------------------------------------------------------------------- only what it owns


def test_a_build_leaves_the_staging_folder_of_a_live_build_of_a_sibling_output_alone(project, run):
    """`--output out` and `--output out.x` at once: out's build must not take out.x's staging folder for its own
    leftover (its name starts with '.out.')."""
    staging = project / ".out.x.4242-0badcafe.tmp"
    with holding_lock(project / ".out.x.lock"), open(project / ".out.x.lock", "ab") as lock:  # a build of out.x, now
        lock.write(str(staging).encode() + b"\0")  # its records
        lock.flush()
        (staging / "articles").mkdir(parents=True)
        (staging / "articles" / "page.html").write_text("being written", encoding="utf-8")
        result = run(project, "build", "--output", "out")
        assert result.code == 0, result.err
        assert (staging / "articles" / "page.html").read_text(encoding="utf-8") == "being written"
    assert run(project, "build", "--output", "out.x").code == 0  # the next build of out.x: that one was its own
    assert not staging.exists()


def test_a_folder_the_user_named_like_a_staging_folder_is_never_removed(project, run, tmp_path_factory):
    notes = project / ".output.notes.tmp"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine\n", encoding="utf-8")
    assert run(project, "build").code == 0
    # records naming anything but a hidden '.tmp' path beside the output are not the build's: never removed
    elsewhere = tmp_path_factory.mktemp("elsewhere") / ".precious.tmp"
    elsewhere.write_text("not the build's\n", encoding="utf-8")
    visible = project / "notes.tmp"
    visible.write_text("mine\n", encoding="utf-8")
    (project / ".output.lock").write_bytes(f"{elsewhere}\0{visible}\0{project / 'seeds'}\0".encode())
    assert run(project, "build").code == 0
    assert (notes / "todo.txt").read_text(encoding="utf-8") == "mine\n"
    assert elsewhere.read_text(encoding="utf-8") == "not the build's\n"
    assert visible.read_text(encoding="utf-8") == "mine\n"
    assert (project / "seeds" / "site.toml").is_file()


def test_the_next_build_removes_what_a_dead_build_recorded_even_when_nothing_changed(project, run):
    assert run(project, "build").code == 0
    cache = project / CACHE_DIR / "output"
    stale_tmp = cache / ".cache.pickle.999-deadbeef.tmp"  # a cache file half saved when the build was killed
    stale_tmp.write_bytes(b"half")
    stale_dir = project / ".output.999-deadbeef.tmp"
    (stale_dir / "a").mkdir(parents=True)
    unrecorded = project / ".output.1000-cafecafe.tmp"  # its kind, but no build's records name it
    unrecorded.mkdir()
    (project / ".output.lock").write_bytes(f"{stale_tmp}\0{stale_dir}\0".encode())  # the dead build's records
    result = run(project, "build")
    assert result.code == 0 and "(0 written" in result.out  # nothing changed: no site written, yet it sweeps
    assert not stale_tmp.exists() and not stale_dir.exists()
    assert unrecorded.is_dir()


@needs_symlinks
def test_a_symlinked_output_is_followed_and_stays_a_link(project, run, tmp_path_factory):
    target = tmp_path_factory.mktemp("elsewhere") / "site"
    (project / "output").symlink_to(target, target_is_directory=True)
    assert run(project, "build", "--output", "fresh").code == 0
    expected = tree_digest(project / "fresh")
    for _ in range(3):  # each build replaces the site behind the link, and the link stays
        config = project / "seeds" / "site.toml"
        config.write_text(config.read_text() + "\n")  # a change: the site is written again
        result = run(project, "build")
        assert result.code == 0, result.err
        assert (project / "output").is_symlink() and os.readlink(project / "output") == str(target)
        assert target.is_dir() and not target.is_symlink() and (target / MARKER).is_file()
        assert tree_digest(target) == expected
    assert _scratch(project) == [] and _scratch(target.parent) == []


REFUSED = {
    "inside the templates folder": "templates/site",
    "the templates folder": "templates",
    "around the templates folder": "..",
    "inside a build cache": f"{CACHE_DIR}/site",
    "the current folder": ".",
    "the filesystem's root": "/",
    "the home folder": "home",
}


@pytest.mark.parametrize("output", REFUSED.values(), ids=REFUSED.keys())
def test_an_output_no_build_may_replace_is_refused_in_one_line_with_exit_2(project, run, monkeypatch, output):
    (project / "home").mkdir()
    monkeypatch.setenv("HOME", str(project / "home"))
    before = _digest_all(project)
    result = run(project, "build", "--output", output)
    assert result.code == 2
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"site-builder: error: argument --output: {output}: ")
    assert "Traceback" not in result.err
    assert _digest_all(project) == before


def test_an_output_inside_the_templates_folder_no_longer_grows_build_after_build(project, run):
    for _ in range(2):
        assert run(project, "build", "--output", "templates/site").code == 2
    assert not (project / "templates" / "site").exists()


def test_serve_refuses_an_output_no_build_may_replace(project, run):
    result = run(project, "serve", "--output", "templates/site", "--port", "0")
    assert result.code == 2
    assert not (project / "templates" / "site").exists()


# -------------------------------------------------------------------------------------- crash paths


def test_a_full_disk_while_saving_the_cache_is_a_warning_and_the_next_build_is_right(project, run, monkeypatch):
    assert run(project, "build").code == 0
    config = project / "seeds" / "site.toml"
    config.write_text(config.read_text().replace('title = "Source Archive"', 'title = "Another Archive"'))
    real_open = builtins.open

    def full(file, mode="r", *args, **kwargs):  # the site is written with os.open; the cache with open
        if CACHE_DIR in str(file) and "w" in mode:
            raise OSError(28, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(builtins, "open", full)
        result = run(project, "build")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    warning = [line for line in result.err.splitlines() if "cache" in line]
    assert len(warning) == 1 and warning[0].startswith(f"warning: {CACHE_DIR}/output: ")
    assert run(project, "build", "--output", "fresh").code == 0
    assert tree_digest(project / "output") == tree_digest(project / "fresh")  # the new site is in place
    assert _scratch(project) == []
    config.write_text(config.read_text().replace('title = "Another Archive"', 'title = "Third Archive"'))
    assert run(project, "build").code == 0  # the next build, without the cache it could not save, is right
    assert run(project, "build", "--output", "fresh").code == 0
    assert tree_digest(project / "output") == tree_digest(project / "fresh")


def test_serve_on_a_port_in_use_says_so_in_one_line_and_exits_1(project, run):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(project, "serve", "--port", str(port))
    assert result.code == 1
    assert len(result.err.splitlines()) == 1 and result.err.startswith(f"127.0.0.1:{port}: ")
    assert not (project / "output").exists()  # refused before the first build


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_serve_with_a_port_out_of_range_is_a_usage_error(project, run, port):
    result = run(project, "serve", f"--port={port}")
    assert result.code == 2
    assert result.err.splitlines()[-1].startswith("site-builder: error: argument --port: ")
    assert "Traceback" not in result.err
    assert not (project / "output").exists()


# -------------------------------------------------------------------------------------- killed builds

needs_proc = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds processes through /proc")


def _tagged(tag: str) -> list[tuple[int, str]]:
    """Live processes (not zombies) whose environment carries tag: (pid, command)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if tag.encode() not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z":
            found.append((int(entry.name), command))
    return found


def _until(predicate, proc: subprocess.Popen, limit: float = 60) -> bool:
    """Poll predicate until it holds or the build ends (bounded); whether it held."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.001)
    return False


@needs_proc
def test_a_killed_build_leaves_no_process_and_the_next_build_leaves_no_scratch(project, run, tmp_path_factory):
    _synthetic(project, 120, "First")
    assert run(project, "build").code == 0
    scratch_tmp = tmp_path_factory.mktemp("tmpdir")  # the builds' TMPDIR: anything left there is a leftover
    tag = f"TRUST_KILL_TAG={uuid.uuid4().hex}"
    env = {**os.environ, "TMPDIR": str(scratch_tmp), tag.partition("=")[0]: tag.partition("=")[2]}
    cache = project / CACHE_DIR / "output"

    def indexing() -> bool:
        return any("--service" in command or "pagefind" in command.split(" ")[0] for _, command in _tagged(tag))

    moments = {
        "while the search indexer runs": indexing,
        "while the site is staged": lambda: any(p.name.startswith(".output.") for p in project.glob(".*.tmp")),
        "while the cache is saved": lambda: any(cache.rglob(".*.tmp")),
    }
    caught = []
    for round_, (moment, predicate) in enumerate(moments.items()):
        _synthetic(project, 120, f"Edit {round_}")  # every page changes: a whole build to kill
        proc = subprocess.Popen(
            [sys.executable, "-m", "site_builder", "build"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _until(predicate, proc) and proc.poll() is None:
            proc.kill()
            caught.append(moment)
        proc.wait()
        deadline = time.monotonic() + 10  # the kernel kills the indexer and workers as the build dies
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _tagged(tag) == [], f"processes left by a build killed {moment}"
        assert list(scratch_tmp.iterdir()) == [], f"scratch files left in TMPDIR by a build killed {moment}"
    assert "while the search indexer runs" in caught and "while the site is staged" in caught
    result = subprocess.run(
        [sys.executable, "-m", "site_builder", "build"], cwd=project, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert _scratch(project) == [] and list(scratch_tmp.iterdir()) == []
    assert run(project, "build", "--output", "fresh").code == 0
    assert tree_digest(project / "output") == tree_digest(project / "fresh")


@needs_sh
@needs_proc
@pytest.mark.skipif(
    dies_with_this_process() is None,
    reason="no parent-death signal here (portable mode): Pagefind "
    "exits when its input pipe closes, which this never-answering stand-in does not do",
)
def test_the_search_indexer_dies_with_a_killed_build(project, run, tmp_path_factory):
    """An indexer that takes its time (here: one that never answers) is killed with the build, not left running."""
    assert run(project, "build").code == 0
    slow = tmp_path_factory.mktemp("bin") / "pagefind"
    slow.write_text("#!/bin/sh\nexec sleep 120\n")
    slow.chmod(0o755)
    tag = f"TRUST_KILL_TAG={uuid.uuid4().hex}"
    env = {**os.environ, ENV_BINARY: str(slow), tag.partition("=")[0]: tag.partition("=")[2]}
    config = project / "seeds" / "site.toml"
    config.write_text(config.read_text() + "\n")  # a change: the pages are indexed again
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "build"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _until(lambda: any("sleep" in command for _, command in _tagged(tag)), proc)
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10  # far less than the indexer would run on its own
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _tagged(tag) == []
    finally:
        for pid, _ in _tagged(tag):  # the processes this test started, should they outlive the build
            os.kill(pid, signal.SIGKILL)
