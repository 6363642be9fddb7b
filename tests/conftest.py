"""Shared fixtures: a scratch copy of the real archive, and a way to run the CLI in-process."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from site_builder.cli import main
from site_builder.outputs.theme import PACKAGE_THEME

# `pytest --hypothesis-profile=long tests/test_stateful.py`: a long run of the incremental-build state machine
# (stop it when you like: each example is a fresh project; a failure is shrunk and reported)
settings.register_profile("long", max_examples=100_000, stateful_step_count=40, deadline=None)

REPO = Path(__file__).resolve().parents[1]
SEED_RAW = REPO / "seeds" / "raw" / "000_ff62e51a18514715.txt"
SEED_SLUG = "gt-voice-synergy-between-mainland-ai-companies-hk-market-fosters-new-tech-financing-hub"
SEED_ARTICLE = REPO / "seeds" / "articles" / f"{SEED_SLUG}.md"
# the scratch projects' address: the seeds set none (a deployment passes its own), the tests' projects set this one
BASE = "https://archive.example/"
COMPANY_IDS = [
    "gigadevice-semiconductor",
    "knowledge-atlas-technology",
    "minimax",
    "shanghai-biren-technology",
    "shanghai-iluvatar-corex-semiconductor",
]


# ----------------------------------------------------------------------------------------- other systems
# The suite runs on Linux, macOS and Windows (.github/workflows/pages.yml); what cannot apply on a system is skipped
# with the reason.

if os.linesep != "\n":
    # The tests write their archives' text with Path.write_text and compare what a build makes with bytes they
    # expect; Windows' text mode would turn each "\n" into "\r\n". They write "\n" everywhere, as on the other
    # systems (tests/test_portability.py builds an archive with Windows line ends on purpose).
    _write_text = Path.write_text

    def _write_text_lf(
        self: Path, data: str, encoding: str | None = None, errors: str | None = None, newline: str | None = "\n"
    ) -> int:
        return _write_text(self, data, encoding, errors, newline)

    Path.write_text = _write_text_lf  # type: ignore[method-assign]


@functools.cache
def can_symlink() -> bool:
    """Whether this process may make symbolic links (Windows needs a privilege or Developer Mode)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        try:
            os.symlink("target", os.path.join(folder, "link"))
        except (OSError, NotImplementedError, AttributeError):
            return False
    return True


needs_symlinks = pytest.mark.skipif(
    not can_symlink(), reason="no symbolic links here (Windows: they need a privilege or Developer Mode)"
)
# Popen.send_signal(SIGINT) is refused on Windows (only CTRL_C_EVENT to a whole console process group)
needs_sigint = pytest.mark.skipif(sys.platform == "win32", reason="no SIGINT for one child process on Windows")
# a stand-in for a program, written as a shell script (Windows runs no '#!' file)
needs_sh = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in program is a /bin/sh script")


@dataclass
class Result:
    """What a CLI run returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch project: a copy of the real seeds/ with base_url set to BASE (the package's theme, no templates
    folder of its own), with tmp_path as the working folder."""
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    with (tmp_path / "seeds" / "site.toml").open("a", encoding="utf-8") as f:
        f.write(f'base_url = "{BASE}"\n')
    return tmp_path


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """run(project, *args): the CLI run in-process from the project folder, as a Result."""

    def _run(cwd: Path, *args: str) -> Result:
        monkeypatch.chdir(cwd)
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


def own_template(root: Path, name: str) -> Path:
    """root/templates/<name>: the project's own copy of the package theme's file, to edit (an override)."""
    path = root / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(PACKAGE_THEME / name, path)
    return path


def write_article(root: Path, name: str, front: str, body: str = "Body text.\n") -> Path:
    """Write seeds/articles/<name> with the given front matter text (without the '---' lines)."""
    path = root / "seeds" / "articles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front.strip()}\n---\n\n{body}", encoding="utf-8")
    return path


def write_notes(root: Path, zone: str | None = None) -> None:
    """Six short articles, note-0 to note-5, sharing the seed's companies two by two (so pages have neighbours and
    company lists), dated 1 to 6 February 2026 at 10:00 in zone (default: +00:00, +01:00, +02:00 in turn)."""
    for i in range(6):
        companies = "[" + ", ".join(COMPANY_IDS[i % 5 : i % 5 + 2]) + "]"
        write_article(
            root,
            f"note-{i}.md",
            minimal_front(f"Note {i}", f"2026-02-0{i + 1}T10:00:00{zone or f'+0{i % 3}:00'}", companies),
            f"MiniMax in note {i}.\n",
        )


def minimal_front(
    title: str = "A test article", published: str = "2026-02-01T10:00:00+08:00", companies: str = "[]", extra: str = ""
) -> str:
    """Front matter with every required key, plus any extra lines."""
    return (f"title: {title!r}\npublished: {published}\nsource: Test Source\ncompanies: {companies}\n" + extra).strip()


def tree_digest(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under folder (empty if it does not exist)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


_HOLD_LOCK = """
import os, sys
from site_builder.core.platform import try_lock
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_APPEND)
print("locked" if try_lock(fd) else "busy", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def holding_lock(path: Path):
    """The output lock at path held, as a running build holds it, by another process until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate("")


def fill_the_disk(monkeypatch: pytest.MonkeyPatch, after: int = 0, here=lambda: True) -> None:
    """Creating a file in a staged site fails as on a full disk, after the first `after` such files (and only
    where here() holds: in a forked writer, say). The site's files are created with os.open."""
    real_open, created = os.open, [0]

    def full(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and ".output." in str(path) and here():
            created[0] += 1
            if created[0] > after:
                raise OSError(28, "No space left on device")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full)


def forking(test):
    """For a test of forked workers: a process with threads never forks them (see engine/workers.can_fork), and the
    browser tests leave their HTTP servers' threads running in the suite's process; there, the test runs alone in a
    process of its own, and passes when it passes there."""

    @functools.wraps(test)
    def run_forking(*args, **kwargs):
        from site_builder.engine import workers

        if (
            workers.can_fork()
            or os.environ.get("SITE_BUILDER_FORKING_TEST")
            or "fork" not in __import__("multiprocessing").get_all_start_methods()
        ):
            return test(*args, **kwargs)
        nodeid = os.environ["PYTEST_CURRENT_TEST"].rpartition(" ")[0]
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", nodeid],
            cwd=REPO,
            env={**os.environ, "SITE_BUILDER_FORKING_TEST": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("1 passed"), (
            done.stdout[-4000:] + done.stderr[-2000:]
        )

    return run_forking
