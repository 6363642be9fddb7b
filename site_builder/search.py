"""Client-side search: run Pagefind over the rendered HTML pages and return its bundle as {output path: bytes}.

Pagefind reads files, so the pages go into a scratch folder (never the output folder) and the bundle comes back
into the in-memory map: the write step stays atomic and the search index is part of the one swap.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

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


def index_search(files: dict[str, bytes], binary: Path | None = None) -> SearchIndex:
    """Index the HTML pages among files with Pagefind; without the binary, return no files and the reason."""
    import subprocess  # here: only a build that indexes runs Pagefind
    import tempfile

    binary = binary or find_pagefind()
    if binary is None:
        return SearchIndex(problem=f"binary not found ({INSTALL_HINT}): {_WITHOUT}")
    with tempfile.TemporaryDirectory(prefix="site-builder-search-") as scratch:
        site = Path(scratch) / "site"
        for rel in sorted(files):
            if rel.endswith(".html"):
                target = site / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(files[rel])
        try:
            done = subprocess.run([str(binary), "--site", str(site), "--output-subdir", BUNDLE, "--silent"],
                                  capture_output=True, text=True, timeout=300, check=False)
        except OSError as exc:
            return SearchIndex(problem=f"cannot run {binary} ({exc.strerror or exc}): {_WITHOUT}")
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            reason = f"exited {done.returncode}" + (f", saying {detail[-1]!r}" if detail else "")
            return SearchIndex(problem=f"{reason}: {_WITHOUT}")
        bundle = site / BUNDLE
        out = {f"{BUNDLE}/{p.relative_to(bundle).as_posix()}": p.read_bytes()
               for p in sorted(bundle.rglob("*")) if p.is_file() and not p.name.startswith(_UNUSED)}
    return SearchIndex(out)
