"""Client-side search: run Pagefind over the rendered HTML pages and return its bundle as {output path: bytes}.

Pagefind runs as a service over pipes: the pages go to it and its bundle comes back into the in-memory map, with no
scratch copy on disk; the write step stays atomic and the search index is part of the one swap.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..core.platform import dies_with_this_process

BUNDLE = "pagefind"  # the output folder of the search bundle
ENV_BINARY = "SITE_BUILDER_PAGEFIND"  # a path to a pagefind binary; empty turns search indexing off
INSTALL_HINT = "pip install 'pagefind[bin]'"
_WITHOUT = "the site is built without its search index; its search page lists every article and company instead"
# Files of Pagefind's bundle the site's own search script does not load: its ready-made UIs and highlighter.
_UNUSED = ("pagefind-ui.", "pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")


@dataclass(frozen=True)
class SearchIndex:
    """The search bundle's files, or none with the reason why."""

    files: dict[str, bytes] = field(default_factory=dict)
    problem: str | None = None


def find_pagefind() -> Path | None:
    """The pagefind binary: $SITE_BUILDER_PAGEFIND, the one the pagefind[bin] package ships, or one on PATH."""
    if ENV_BINARY in os.environ:
        chosen = os.environ[ENV_BINARY]
        return Path(chosen) if chosen and Path(chosen).is_file() else None
    try:
        from pagefind_bin import get_executable  # the binary wheel of PyPI's pagefind[bin]

        return get_executable()
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("pagefind") or shutil.which("pagefind_extended")
    return Path(found) if found else None


def why_missing() -> str:
    """Why find_pagefind() found no binary: turned off on purpose ($SITE_BUILDER_PAGEFIND empty), or not found."""
    if ENV_BINARY in os.environ:
        chosen = os.environ[ENV_BINARY]
        if not chosen:
            return f"search index turned off ({ENV_BINARY} is empty)"
        return f"binary not found at {chosen!r} ({ENV_BINARY})"
    return f"binary not found ({INSTALL_HINT})"


def index_search(files: dict[str, bytes], binary: Path | None = None) -> SearchIndex:
    """Index the HTML pages among files with Pagefind; without the binary, return no files and the reason.

    Pagefind runs as a service (`pagefind --service`): the pages go to it over a pipe, in path order, and the
    bundle comes back over the other, so nothing is written to disk. The indexer dies with the build: on Linux the
    kernel kills it when the build dies (PR_SET_PDEATHSIG); everywhere, it exits when its input pipe closes, which
    a dead build's does."""
    import base64
    import json
    import subprocess  # here: only a build that indexes runs Pagefind
    import threading

    binary = binary or find_pagefind()
    if binary is None:
        return SearchIndex(problem=f"{why_missing()}: {_WITHOUT}")
    pages = sorted(rel for rel in files if rel.endswith(".html"))
    requests = [{"type": "NewIndex", "config": None}]
    requests += [
        {
            "type": "AddFile",
            "index_id": 0,
            "file_path": rel,
            "url": None,
            "file_contents": files[rel].decode("utf-8", "replace"),
        }
        for rel in pages
    ]
    requests.append({"type": "GetFiles", "index_id": 0})
    last = len(requests)
    stream = b"".join(
        base64.b64encode(json.dumps({"message_id": i, "payload": payload}).encode()) + b","
        for i, payload in enumerate(requests, 1)
    )
    try:
        proc = subprocess.Popen(
            [str(binary), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=dies_with_this_process(),
        )
    except OSError as exc:
        return SearchIndex(problem=f"cannot run {binary} ({exc.strerror or exc}): {_WITHOUT}")
    errors: list[bytes] = []
    timer = threading.Timer(_TIMEOUT, proc.kill)
    threads = [
        threading.Thread(target=_feed, args=(proc.stdin, stream), daemon=True),
        threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True),
    ]
    try:
        timer.start()
        for thread in threads:
            thread.start()
        answer, problem = _answer(proc.stdout, last)
    finally:
        timer.cancel()
        try:
            proc.stdin.close()  # the service's signal to exit
        except OSError:
            pass
        if proc.poll() is None:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for thread in threads:
            thread.join()
        proc.stdout.close()
        proc.stderr.close()
    if answer is None:
        detail = b"".join(errors).decode("utf-8", "replace").strip().splitlines()
        if problem is None:
            problem = f"exited {proc.returncode}" + (f", saying {detail[-1]!r}" if detail else "")
        return SearchIndex(problem=f"{problem}: {_WITHOUT}")
    out = {
        f"{BUNDLE}/{entry['path']}": base64.b64decode(entry["content"])
        for entry in sorted(answer, key=lambda e: e["path"])
        if not entry["path"].rpartition("/")[2].startswith(_UNUSED)
    }
    return SearchIndex(out)


_TIMEOUT = 300  # seconds Pagefind may take before it is stopped


def _feed(pipe, data: bytes) -> None:
    """Write every request to the service (in a thread: it answers while it reads, and its answers must be read)."""
    try:
        pipe.write(data)
        pipe.flush()
    except (OSError, ValueError):  # it exited (the reader reports why), or the pipe was closed
        pass


def _answer(pipe, last: int) -> tuple[list | None, str | None]:
    """Read the service's answers until the one to request `last` (the bundle's files): (files, None); (None, why)
    when it reports an error, (None, None) when it exits first."""
    import base64
    import json

    buffer = b""
    while chunk := pipe.read1(1 << 20):
        buffer += chunk
        *messages, buffer = buffer.split(b",")
        for message in messages:
            try:
                answer = json.loads(base64.b64decode(message))
                payload = answer["payload"]
            except (ValueError, KeyError, TypeError):
                return None, "answered with something that is not Pagefind's service protocol"
            if payload.get("type") == "Error":
                return None, f"reported {str(payload.get('message', '')).strip()!r}"
            if answer.get("message_id") == last:
                return payload.get("files", []), None
    return None, None
