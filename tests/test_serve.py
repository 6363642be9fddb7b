"""`site-builder serve`: serves the built site on 127.0.0.1, rebuilds on change, survives a bad edit, stops on Ctrl-C."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import SEED_ARTICLE, SEED_SLUG


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


def test_serve_rebuilds_on_change_and_stops_cleanly(project: Path):
    proc = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--port", "0"], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _wait_for(proc.stdout.readline)
        while "serving" not in line:
            line = _wait_for(proc.stdout.readline)
        port = re.search(r"127\.0\.0\.1:(\d+)/", line).group(1)
        page = f"http://127.0.0.1:{port}/articles/{SEED_SLUG}/index.html"
        assert "Synergy between mainland AI companies" in _fetch(page)

        article = project / "seeds" / "articles" / SEED_ARTICLE.name
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("title: 'GT Voice: Synergy", "title: 'GT Voice: Edited synergy"), encoding="utf-8")
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
