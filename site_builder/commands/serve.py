"""`site-builder serve`: build into its own folder (.site-builder-serve/, never the deployable output/), serve it
on 127.0.0.1, rebuild when the archive or templates change. Its pages use the server's own address as their base
URL (unless --base-url is given), which is why they never go into output/.

Pages are served with one extra external script (CSP allows only the site's own files), which polls the server
and reloads the page after each rebuild. When a rebuild fails the previous site stays in place and every page
shows the errors at its top, as the terminal does.
"""

from __future__ import annotations

import functools
import gc
import html
import http.server
import json
import os
import sys
import threading
import traceback
from pathlib import Path

from ..core.errors import SiteError
from ..engine.build import Builder
from ..engine.write import check_output
from ..outputs.theme import PROJECT_TEMPLATES

LIVE = "/__site-builder/"  # the live-reload endpoints: LIVE + "status" and LIVE + "live.js"
LIVE_SCRIPT = f'<script src="{LIVE}live.js" defer></script>'
POLL_MS = 500

LIVE_JS = """/* site-builder serve: reload after each rebuild; show build errors. Not part of a built site. */
(function () {
  "use strict";
  var seen = null;
  function show(error) {
    var box = document.getElementById("site-builder-error");
    if (!error) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "site-builder-error";
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = "";
    var title = document.createElement("strong");
    title.textContent = "Build failed; this is the previous site. Fix the file and save to rebuild.";
    var pre = document.createElement("pre");
    pre.textContent = error;
    box.appendChild(title);
    box.appendChild(pre);
    var s = box.style;
    s.position = "sticky"; s.top = "0"; s.zIndex = "1000"; s.margin = "0"; s.padding = "0.75rem 1rem";
    s.background = "#7a1010"; s.color = "#fff"; s.font = "14px/1.4 ui-monospace, monospace";
    pre.style.whiteSpace = "pre-wrap"; pre.style.margin = "0.5rem 0 0";
  }
  function poll() {
    fetch("/__site-builder/status", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (st) {
      if (seen !== null && st.generation !== seen) { window.location.reload(); return; }
      seen = st.generation;
      show(st.error);
    }).catch(function () { /* the server is restarting or stopped: keep trying */ }).then(function () {
      setTimeout(poll, POLL_MS);
    });
  }
  poll();
})();
""".replace("POLL_MS", str(POLL_MS))  # not a format string: every brace of the JavaScript would need doubling


class LiveState:
    """The outcome of the latest build, shared between the watcher and the request handlers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0  # counts successful builds; a change tells open pages to reload
        self.error: str | None = None

    def succeeded(self) -> None:
        """Record a successful build."""
        with self.lock:
            self.generation += 1
            self.error = None

    def failed(self, message: str) -> None:
        """Record a failed build's message."""
        with self.lock:
            self.error = message

    def snapshot(self) -> dict:
        """The state as the status endpoint sends it."""
        with self.lock:
            return {"generation": self.generation, "error": self.error}


def _rebuild(builder: Builder, state: LiveState) -> None:
    """Build once; report the result in the terminal and to open pages, and never raise."""
    try:
        _build_and_report(builder, state)
    finally:  # builds run with the cycle collector off: collect the cycles they left while nothing waits
        gc.collect()


def _build_and_report(builder: Builder, state: LiveState) -> None:
    try:
        summary = builder.build()
    except SiteError as exc:
        message = str(exc)
        print(message, file=sys.stderr, flush=True)
        print("build failed; still serving the previous site", file=sys.stderr, flush=True)
        state.failed(message)
        return
    except Exception as exc:  # an unexpected failure must not end the preview: show it and keep serving
        message = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        print("build failed; still serving the previous site", file=sys.stderr, flush=True)
        state.failed(message)
        return
    for warning in summary.warnings:
        print(warning.as_warning(), file=sys.stderr, flush=True)
    print(f"rebuilt: {summary.articles} articles, {summary.files} files in {summary.seconds:.2f} s", flush=True)
    state.succeeded()
    # the cache file is for the next process: written once the pages are live, not before
    for note in builder.save():
        print(f"warning: {note}", file=sys.stderr, flush=True)


def _changes(folders: list[Path]):
    """Yield each batch of changed paths under folders (an empty batch now and then); watching starts at once."""
    from watchfiles import watch

    existing = [str(f) for f in folders if f.exists()]
    watcher = watch(*existing, debounce=200, step=50, rust_timeout=500, yield_on_timeout=True, raise_interrupt=True)
    next(watcher)  # creates the watcher now, so edits made during the first build are seen too
    yield []
    for changes in watcher:
        yield sorted({os.path.relpath(path) for _, path in changes})


def serve(source: Path, output: Path, templates: Path | None, port: int, base_url: str | None) -> int:
    """Serve until Ctrl-C; return the exit code."""
    templates = templates or PROJECT_TEMPLATES  # the project's templates folder, there or not (yet)
    check_output(output, source, templates)  # a folder no build may replace: refused before anything starts
    state = LiveState()
    changes = _changes([source, templates])
    next(changes)  # watching from here on
    handler = functools.partial(LiveHandler, directory=str(output.absolute()), state=state)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)  # port 0: any free port
    except OSError as exc:  # in use, or not ours to take
        print(
            f"127.0.0.1:{port}: cannot serve there ({exc.strerror or exc}); choose another --port",
            file=sys.stderr,
            flush=True,
        )
        return 1
    server.daemon_threads = True
    base = base_url or f"http://127.0.0.1:{server.server_port}/"
    # One Builder for the whole session: it keeps its cache in memory, so a rebuild redoes only what changed.
    rebuild = functools.partial(
        _rebuild, Builder(source, output, templates, {"base_url": base}, in_place=True, defer_save=True), state
    )
    rebuild()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving {output}/ at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
    try:
        for names in changes:
            if names:
                print(f"changed: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}", flush=True)
                rebuild()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    print("stopped", flush=True)
    return 0


class LiveHandler(http.server.SimpleHTTPRequestHandler):
    """Serves output/ quietly, adds the live-reload script to HTML pages and shows a failed build's errors."""

    def __init__(self, *args, state: LiveState, **kwargs) -> None:
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args) -> None:  # "format": the base class names it so
        pass

    def do_GET(self) -> None:  # the base class names it so
        """Live endpoints, HTML pages with the script added, everything else as files."""
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == LIVE + "status":
            return self._send(200, "application/json", json.dumps(self.state.snapshot()).encode("utf-8"))
        if path == LIVE + "live.js":
            return self._send(200, "text/javascript; charset=utf-8", LIVE_JS.encode("utf-8"))
        file = Path(self.translate_path(path))
        if file.is_dir() and path.endswith("/"):
            file = file / "index.html"
        if file.suffix == ".html" and file.is_file():
            return self._send(200, "text/html; charset=utf-8", self._live(file.read_bytes()))
        if not file.exists() and not file.is_dir():
            return self._not_found()
        return super().do_GET()

    def _not_found(self) -> None:
        page = Path(self.directory) / "404.html"
        if page.is_file():
            body = page.read_bytes()
        else:  # no site yet: the first build failed
            body = b"<!doctype html><html lang=en><title>No site yet</title><body><h1>No site yet</h1></body></html>"
        self._send(404, "text/html; charset=utf-8", self._live(body))

    def _live(self, page: bytes) -> bytes:
        """The page with the live-reload script, and the current build error at the top of its body."""
        text = page.decode("utf-8", errors="replace")
        error = self.state.snapshot()["error"]
        if error:
            box = (
                f'<div id="site-builder-error" role="alert"><strong>Build failed; this is the previous site.'
                f"</strong><pre>{html.escape(error)}</pre></div>"
            )
            at = text.find(">", text.find("<body")) + 1 if "<body" in text else 0
            text = text[:at] + box + text[at:]
        at = text.rfind("</body>")
        text = text[:at] + LIVE_SCRIPT + text[at:] if at >= 0 else text + LIVE_SCRIPT
        return text.encode("utf-8")

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
