"""`site-builder serve`: build, serve output/ on 127.0.0.1, rebuild when the archive or templates change."""
from __future__ import annotations

import functools
import http.server
import sys
import threading
import time
from pathlib import Path

from .build import build
from .errors import SiteError


def _snapshot(folders: list[Path]) -> dict[str, tuple[float, int]]:
    """The mtime and size of every file under folders: a change in it means rebuild."""
    state = {}
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                st = path.stat()
            except OSError:
                continue
            state[str(path)] = (st.st_mtime, st.st_size)
    return state


def _rebuild(source: Path, output: Path, templates: Path, base_url: str) -> None:
    try:
        summary = build(source, output, templates, {"base_url": base_url})
        print(f"rebuilt: {summary.articles} articles, {summary.files} files in {summary.seconds:.2f} s", flush=True)
    except SiteError as exc:
        print(exc, file=sys.stderr, flush=True)
        print("build failed; still serving the previous site", file=sys.stderr, flush=True)


def serve(source: Path, output: Path, templates: Path, port: int, base_url: str | None, poll: float = 0.5) -> int:
    """Serve until Ctrl-C; return the exit code."""
    handler = functools.partial(_QuietHandler, directory=str(output.absolute()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)  # port 0: any free port
    base = base_url or f"http://127.0.0.1:{server.server_port}/"
    _rebuild(source, output, templates, base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving {output}/ at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
    watched = [source, templates]
    state = _snapshot(watched)
    try:
        while True:
            time.sleep(poll)
            now = _snapshot(watched)
            if now != state:
                state = now
                _rebuild(source, output, templates, base)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.shutdown()
        server.server_close()
    return 0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class names it so
        pass
