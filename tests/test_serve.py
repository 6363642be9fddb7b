"""`site-builder serve`: serves the built site on 127.0.0.1, rebuilds on change, survives a bad edit, stops on Ctrl-C."""

from __future__ import annotations

import gc
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path

import pytest

from conftest import SEED_ARTICLE, SEED_SLUG, needs_sigint
from site_builder.commands import SERVE_DIR
from site_builder.commands.serve import LiveState, _rebuild
from site_builder.engine import pipeline
from site_builder.engine.build import Builder


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


@needs_sigint
def test_serve_rebuilds_on_change_and_stops_cleanly(project: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "serve", "--port", "0"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _wait_for(proc.stdout.readline)
        while "serving" not in line:
            line = _wait_for(proc.stdout.readline)
        port = re.search(r"127\.0\.0\.1:(\d+)/", line).group(1)
        page = f"http://127.0.0.1:{port}/articles/{SEED_SLUG}/index.html"
        assert "Synergy between mainland AI companies" in _fetch(page)

        article = project / "seeds" / "articles" / SEED_ARTICLE.name
        text = article.read_text(encoding="utf-8")
        article.write_text(
            text.replace("title: 'GT Voice: Synergy", "title: 'GT Voice: Edited synergy"), encoding="utf-8"
        )
        _wait_for(lambda: "Edited synergy" in _fetch(page))

        article.write_text(text.replace("source: Global Times", "source: [broken"), encoding="utf-8")
        err = _wait_for(proc.stderr.readline)
        assert err.startswith(f"seeds/articles/{SEED_ARTICLE.name}:")
        assert "Edited synergy" in _fetch(page)  # the previous site is still served
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "stopped" in out


def _start(project: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "serve", "--port", "0"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = _wait_for(proc.stdout.readline)
    while "serving" not in line:
        line = _wait_for(proc.stdout.readline)
    port = re.search(r"127\.0\.0\.1:(\d+)/", line).group(1)
    return proc, f"http://127.0.0.1:{port}/"


def _status(base: str) -> dict:
    return json.loads(_fetch(base + "__site-builder/status"))


@needs_sigint
def test_serve_reloads_open_pages_and_shows_build_errors_in_them(project: Path):
    proc, base = _start(project)
    try:
        assert _status(base) == {"generation": 1, "error": None}
        home = _fetch(base)
        assert home.endswith('<script src="/__site-builder/live.js" defer></script></body>\n</html>\n')
        assert "window.location.reload()" in _fetch(base + "__site-builder/live.js")
        assert "__site-builder" not in (project / SERVE_DIR / "index.html").read_text(encoding="utf-8")
        with pytest.raises(urllib.error.HTTPError) as missing:
            _fetch(base + "no/such/page/")
        assert missing.value.code == 404 and b"Page not found" in missing.value.read()

        registry = project / "seeds" / "companies.yaml"
        text = registry.read_text(encoding="utf-8")
        registry.write_text(text + "\n- id: [broken\n", encoding="utf-8")
        status = _wait_for(lambda: (s := _status(base))["error"] and s)
        assert status["generation"] == 1 and status["error"].startswith("seeds/companies.yaml:")
        page = _fetch(base + f"articles/{SEED_SLUG}/")
        assert '<div id="site-builder-error" role="alert"><strong>Build failed; this is the previous site.' in page
        assert "Synergy between mainland AI companies" in page  # the previous site, under the error

        registry.write_text(text, encoding="utf-8")
        _wait_for(lambda: _status(base) == {"generation": 2, "error": None})
        assert "site-builder-error" not in _fetch(base + f"articles/{SEED_SLUG}/")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.rstrip().endswith("stopped")


class _Cyclic:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self):
        self.me = self


def test_a_build_runs_with_the_cycle_collector_off_and_serve_collects_after_it(project: Path, monkeypatch):
    seen, cycles = [], []
    real = pipeline.generate

    def generate(*args, **kwargs):
        seen.append(gc.isenabled())
        cycle = _Cyclic()
        cycles.append(weakref.ref(cycle))
        gc.collect()  # still referenced, it survives a full collection: the oldest generation holds it now
        del cycle  # garbage from here on, which only a full collection finds
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "generate", generate)
    builder = Builder(project / "seeds", project / "output", project / "templates")
    assert gc.isenabled()
    _rebuild(builder, LiveState())
    assert seen == [False] and gc.isenabled()  # off during the build, on again after it
    assert cycles[0]() is None  # serve collected the cycle the build left

    def broken(*args, **kwargs):
        seen.append(gc.isenabled())
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "generate", broken)
    (project / "seeds/articles" / SEED_ARTICLE.name).touch()  # a change, so the build runs the pipeline
    _rebuild(builder, LiveState())  # reported, not raised
    assert seen == [False, False] and gc.isenabled()  # on again after a failed build too
