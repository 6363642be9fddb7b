"""The command line: build, check, serve, new, import. The only place that prints or sets the exit code."""
from __future__ import annotations

import argparse
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__
from .engine.build import Builder
from .core.chars import url_problem
from .core.config import load_config
from .core.errors import SiteError, display_path


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", type=Path, default=Path("seeds"), help="the archive folder (default: seeds)")
    p.add_argument("--debug", action="store_true", help="show a traceback for every error")


def _site_options(p: argparse.ArgumentParser, output: bool = True) -> None:
    _common(p)
    p.add_argument("--templates", type=Path, default=Path("templates"), help="templates folder (default: templates)")
    p.add_argument("--base-url", help="absolute URL the site is served from, e.g. https://user.github.io/archive/")
    if output:
        p.add_argument("--output", type=Path, default=Path("output"), help="where the site goes (default: output)")


def _executor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", metavar="URL", help="convert the Markdown bodies on a dask cluster: "
                   "dask://HOST:PORT, its scheduler (needs site-builder[dask]; default: this machine's cores)")


def parser() -> argparse.ArgumentParser:
    """The argument parser (README's CLI section is checked against it)."""
    top = argparse.ArgumentParser(prog="site-builder", description=__doc__)
    top.add_argument("--version", action="version", version=f"site-builder {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("build", help="validate the archive and write the site into output/")
    _site_options(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _executor_option(p)
    p = sub.add_parser("check", help="validate and render the archive without writing anything")
    _site_options(p, output=False)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _executor_option(p)
    p = sub.add_parser("serve", help="build, serve output/ on 127.0.0.1 and rebuild on changes")
    _site_options(p)
    p.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1, 0 to 65535; 0: any free port "
                                                          "(default: 8000)")
    p = sub.add_parser("new", help="create a new article file with front matter filled in")
    _common(p)
    p.add_argument("title", help="the article's title")
    p.add_argument("--publication", help="the source publication (default: the publication setting)")
    p = sub.add_parser("import", help="import a publisher's raw text file as an article")
    _common(p)
    p.add_argument("raw", type=Path, help="the raw text file")
    p.add_argument("--url", type=_url, help="the article's original address: an absolute http(s) URL")
    p.add_argument("--publication", help="the source publication (default: the publication setting)")
    p.add_argument("--force", action="store_true", help="overwrite an existing article")
    p.add_argument("--retrieved", type=_moment, metavar="DATETIME",
                   help="when the raw file was fetched, with its UTC offset, e.g. 2026-01-16T09:30:00+08:00 "
                        "(default: the raw file's Retrieved: line, else what the article being replaced records, else none)")
    return top


def _port(text: str) -> int:
    """A TCP port number, for --port."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is out of range: a port is 0 to 65535")
    return value


def _moment(text: str) -> datetime:
    """A date and time with a UTC offset, for --retrieved."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (write e.g. 2026-01-16T09:30:00+08:00)")
    return value


def _url(text: str) -> str:
    """An article's original address, for --url: an absolute http(s) URL without spaces or control characters."""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise argparse.ArgumentTypeError(f"{text!r} contains a space or a control character")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a valid URL: {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not text.startswith(f"{parts.scheme}://"):
        raise argparse.ArgumentTypeError(f"expected an absolute http(s) URL, got {text!r}")
    return text


def _overrides(args: argparse.Namespace) -> dict:
    return {"base_url": getattr(args, "base_url", None)}


def _progress_bar(total: int | None):
    """A progress bar on the terminal for builds that take more than a moment (article bodies converted)."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: this process forks its workers (never safe with threads running)
    return tqdm(total=total, unit=" articles", file=sys.stderr, delay=0.5, leave=False, dynamic_ncols=True)


def cmd_build(args: argparse.Namespace) -> int:
    output = getattr(args, "output", None) if args.command == "build" else None
    with _executor(args.executor) as executor:
        summary = Builder(args.source, output, args.templates, _overrides(args), strict=args.strict,
                          progress=_progress_bar if sys.stderr.isatty() else None, executor=executor).build()
    for note in summary.notes:
        print(f"warning: {note}", file=sys.stderr)
    for warning in summary.warnings:
        print(warning.as_warning(), file=sys.stderr)
    for held in summary.held_back:
        print(f"held back until its date: {held}")
    verb = f"built {display_path(output)}/" if output else "checked"
    done = f" ({summary.written} written, {summary.unchanged} unchanged)" if output else ""
    print(f"{verb}: {summary.articles} articles, {summary.companies} companies, {summary.files} files "
          f"in {summary.seconds:.2f} s{done}")
    return 0


def _executor(url: str | None):
    """The executor --executor names (a context manager giving None without one)."""
    if url is None:
        from contextlib import nullcontext

        return nullcontext(None)
    from .engine.executors import open_executor

    return open_executor(url)


def cmd_serve(args: argparse.Namespace) -> int:
    from .commands.serve import serve

    return serve(args.source, args.output, args.templates, args.port, args.base_url)


def _source_exists(source: Path) -> None:
    """Every command needs an archive folder that exists: a mistyped --source must not start a new archive."""
    if not source.is_dir():
        message = "source folder not found" if not source.exists() else "the source must be a folder"
        raise SiteError.single(display_path(source), message)


def cmd_new(args: argparse.Namespace) -> int:
    from .commands.new import new_article

    config = load_config(args.source)
    path = new_article(args.source, args.title, args.publication or config.publication, datetime.now(config.zone))
    print(f"created {display_path(path)} (draft: true; remove that line to publish)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .content.importer import import_raw

    config = load_config(args.source)
    path, raw = import_raw(args.raw, args.source, config.zone, args.publication, args.url, args.force,
                           args.retrieved, config.publication)
    print(f"imported {display_path(args.raw)} -> {display_path(path)}")
    if raw.name != args.raw.name:
        print(f"another original already has the name {args.raw.name}: this one is kept as {display_path(raw)}")
    return 0


COMMANDS = {"build": cmd_build, "check": cmd_build, "serve": cmd_serve, "new": cmd_new, "import": cmd_import}


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit 0 on success, 1 on bad content, 2 on bad usage."""
    args = parser().parse_args(argv)
    if (base_url := getattr(args, "base_url", None)) is not None and (msg := url_problem(base_url, base=True)):
        print(f"site-builder: error: argument --base-url: {msg}", file=sys.stderr)  # bad usage: one line
        return 2
    from .engine.executors import ExecutorError, check as check_executor

    try:
        if getattr(args, "executor", None) is not None:
            check_executor(args.executor)  # a bad URL, or no dask installed: before anything is read
        _source_exists(args.source)
        return COMMANDS[args.command](args)
    except ExecutorError as exc:
        print(f"site-builder: error: argument --executor: {exc}", file=sys.stderr)
        return 2
    except SiteError as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} error(s); nothing was written", file=sys.stderr)
        return getattr(exc, "exit_code", 1)  # 2: a bad command-line value (an --output no build may write)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
