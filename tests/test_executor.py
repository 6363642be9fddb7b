"""The Markdown conversion runs on any concurrent.futures.Executor: a process pool of ours by default (forked only
where forking is safe), or a dask cluster's with --executor dask://HOST:PORT; every one writes the same site."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import COMPANY_IDS, minimal_front, tree_digest, write_article
from site_builder.engine import store as cache_module, workers
from site_builder.engine.build import Builder

COUNT = workers.MIN_PARALLEL + 4  # enough articles for a pool


@pytest.fixture
def archive(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed archive plus generated articles that name companies (so bodies link them)."""
    monkeypatch.setenv("SITE_BUILDER_PAGEFIND", "")
    for i in range(COUNT):
        companies = "[" + ", ".join(COMPANY_IDS[i % 5 : i % 5 + 2]) + "]"
        body = (
            f"Paragraph {i} names MiniMax and Zhipu, with *emphasis* and `code`.\n\n## Part {i}\n\n"
            f"- one\n- [a link](../note-0/)\n\n> Quote {i % 7}.\n"
        )
        write_article(
            project,
            f"note-{i:03}.md",
            minimal_front(f"Note {i}", f"2025-{i % 12 + 1:02}-0{i % 9 + 1}T10:00:00+08:00", companies),
            body,
        )
    return project


def _single(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The site one process builds (no pool at all)."""
    with monkeypatch.context() as m:
        m.setattr(cache_module, "cpu_count", lambda: 1)
        m.setattr("site_builder.engine.build.cpu_count", lambda: 1)
        out = root / "single" / "output"
        Builder(root / "seeds", out, root / "templates", cache=False).build()
    return tree_digest(out)


def test_any_executor_converts_the_bodies_and_the_site_is_the_same(archive, monkeypatch):
    converted_on = set()
    real = workers._convert_batch

    def spy(setup, texts):
        converted_on.add(threading.current_thread().name)
        return real(setup, texts)

    monkeypatch.setattr(workers, "_convert_batch", spy)
    with ThreadPoolExecutor(2, thread_name_prefix="given") as executor:
        builder = Builder(archive / "seeds", archive / "output", archive / "templates", executor=executor)
        builder.build()
    assert converted_on and all(name.startswith("given") for name in converted_on)
    assert builder.last is not None and builder.last.converted == COUNT + 1
    assert tree_digest(archive / "output") == _single(archive, monkeypatch)


def test_a_process_with_threads_never_forks_its_workers(archive, monkeypatch):
    """serve runs threads (its watcher, its HTTP server): a fork would copy a lock another thread holds (Python
    3.12+ warns, and the suite makes warnings errors). The pool then starts its workers another way, and the site
    is the same."""
    monkeypatch.setattr(cache_module, "cpu_count", lambda: 2)
    monkeypatch.setattr("site_builder.engine.build.cpu_count", lambda: 2)
    methods = []
    real_pool = workers.process_pool
    monkeypatch.setattr(
        workers,
        "process_pool",
        lambda *a, **kw: methods.append(kw.get("method") or workers.start_method()) or real_pool(*a, **kw),
    )
    if workers.can_fork():  # a single-threaded process on Linux: the pool forks
        Builder(archive / "seeds", archive / "output", archive / "templates", cache=False).build()
        assert methods == ["fork"]
        methods.clear()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not workers.can_fork()
        assert workers.start_method() in ("forkserver", "spawn")
        out = archive / "threaded" / "output"
        Builder(archive / "seeds", out, archive / "templates", cache=False).build()
    finally:
        stop.set()
        thread.join()
    assert len(methods) == 1 and methods[0] in ("forkserver", "spawn")
    assert tree_digest(out) == _single(archive, monkeypatch)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(
    "url",
    [
        "tcp://127.0.0.1:8786",
        "dask://127.0.0.1",
        "dask://:8786",
        "dask://host:99999",
        "dask://host:8786/path",
        "dask://user@host:8786",
        "dask://host:0",
        "dask:host:8786",
    ],
)
def test_a_bad_executor_url_is_one_line_and_exit_2(archive, run, url):
    result = run(archive, "build", "--executor", url)
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("site-builder: error: argument --executor: ")
    assert "dask://HOST:PORT" in result.err or "not a valid URL" in result.err
    assert not (archive / "output").exists()


@pytest.mark.parametrize("command", ["build", "check"])
def test_without_dask_installed_the_executor_names_the_extra_to_install(archive, run, monkeypatch, command):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    result = run(archive, command, "--executor", "dask://127.0.0.1:8786")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "pip install 'site-builder[dask]'" in result.err, result.err
    assert not (archive / "output").exists()


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        if os.environ.get("SITE_BUILDER_REQUIRE_DASK") == "1":
            raise
        pytest.skip(
            "dask's distributed is not installed (pip install -e '.[test]'); "
            "SITE_BUILDER_REQUIRE_DASK=1 makes this a failure"
        )


# In a process of its own: a dask cluster and client leave threads running in the process that started them, and
# a process with threads never forks (the rest of the suite tests forked workers).
_ON_A_CLUSTER = """
import json, sys
import distributed
from site_builder.cli import main

with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
                              protocol="tcp", host="127.0.0.1") as cluster:
    code = main([sys.argv[1], "--executor", cluster.scheduler_address.replace("tcp://", "dask://")])
    prefixes = sorted(cluster.scheduler.task_prefixes)
print(json.dumps({"code": code, "prefixes": prefixes}))
"""


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_build_on_a_dask_cluster_writes_what_a_normal_build_writes(archive, monkeypatch, command):
    _require_distributed()
    done = subprocess.run(
        [sys.executable, "-c", _ON_A_CLUSTER, command],
        cwd=archive,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SITE_BUILDER_PAGEFIND": ""},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0, done.stderr
    assert "convert_batch" in result["prefixes"]  # the bodies were converted on the cluster
    if command == "build":
        assert tree_digest(archive / "output") == _single(archive, monkeypatch)
