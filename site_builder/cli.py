"""The command line: build, check, serve, new, import. The only place that prints or sets the exit code."""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__
from .commands import SERVE_DIR
from .core.chars import char_problem, url_problem
from .core.config import load_config
from .core.errors import SiteError, counted, display_path
from .core.urls import slugify
from .engine.build import Builder

PROG = "site-builder"
EXIT_CODES = "exit codes: 0 done, 1 bad content (every problem is listed, nothing is written), 2 bad usage."


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, `site-builder: error: ...`, exit 2 (no
    usage dump before it: --help shows that)."""

    def error(self, message: str):
        self.exit(2, f"{PROG}: error: {_one_line(message)}\n")


def _one_line(text: str) -> str:
    """text with every line break and control character written as an escape, so a message stays one line."""
    return "".join(ascii(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") else ch for ch in text)


def _usage_error(argument: str, message: str) -> int:
    """Report a bad command-line value found after parsing, as the parser reports one; the exit code (2)."""
    print(f"{PROG}: error: argument {argument}: {_one_line(message)}", file=sys.stderr)
    return 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source", type=_path, default=Path("seeds"), metavar="FOLDER", help="the archive folder (default: seeds)"
    )
    p.add_argument("--debug", action="store_true", help="also show a traceback with each error")


def _site_options(p: argparse.ArgumentParser, output: str | None = "output") -> None:
    _common(p)
    p.add_argument(
        "--templates",
        type=_path,
        default=None,
        metavar="FOLDER",
        help="your templates, each overriding the built-in theme's file of the same name "
        "(default: templates, when there is such a folder)",
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="the absolute URL the site is served from, e.g. "
        "https://user.github.io/archive/ (default: the base_url setting)",
    )
    if output:
        p.add_argument(
            "--output",
            type=_path,
            default=Path(output),
            metavar="FOLDER",
            help=f"where the site is written (default: {output})",
        )


def _command(sub, name: str, summary: str) -> argparse.ArgumentParser:
    """A command's parser: its one-line summary is both its line in `site-builder --help` and its own --help."""
    return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.", epilog=EXIT_CODES)


def _executor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--executor",
        metavar="URL",
        help="convert the Markdown bodies on a dask cluster: "
        "dask://HOST:PORT, its scheduler (needs site-builder[dask]; default: this machine's cores)",
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser (README's CLI section is checked against it)."""
    top = _Parser(
        prog=PROG,
        description="Build a static website from an archive of news articles.",
        epilog=f"'{PROG} COMMAND --help' describes a command and its options.\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}", help="show the version and exit")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    p = _command(sub, "build", "validate the archive and write the site into the output folder")
    _site_options(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors: exit 1, write nothing")
    _executor_option(p)
    p = _command(sub, "check", "validate and render the archive without writing anything")
    _site_options(p, output=None)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors: exit 1")
    _executor_option(p)
    p = _command(
        sub,
        "serve",
        "build into its own folder, serve it on 127.0.0.1 and rebuild on changes (output/ is left alone; Ctrl-C stops)",
    )
    _site_options(p, output=SERVE_DIR)
    p.add_argument(
        "--port", type=_port, default=8000, help="the port on 127.0.0.1, 0 to 65535; 0: any free port (default: 8000)"
    )
    p = _command(sub, "init", "start a new archive: FOLDER/seeds/ with its settings, registry and folders")
    p.add_argument(
        "folder", nargs="?", type=_path, default=Path("."), metavar="FOLDER", help="where (default: the current folder)"
    )
    p.add_argument("--debug", action="store_true", help="also show a traceback with each error")
    p = _command(sub, "new", "create a draft article file with its front matter filled in")
    _common(p)
    p.add_argument("title", type=_title, metavar="TITLE", help="the article's title (it gives the file name)")
    p.add_argument(
        "--publication", type=_text, metavar="NAME", help="the source publication (default: the publication setting)"
    )
    p = _command(
        sub,
        "import",
        "import publishers' raw text files, saved web pages and WARC files as articles "
        "(all of them, or none if one is bad)",
    )
    _common(p)
    p.add_argument(
        "raw",
        type=_raw_file,
        nargs="+",
        metavar="RAW",
        help="a raw text file, a saved page (.html, .htm) or a WARC file (.warc, .warc.gz: each HTML "
        "response an article) to import; several may be given",
    )
    p.add_argument(
        "--url", type=_url, help="the article's original address, an absolute http(s) URL (one RAW file only)"
    )
    p.add_argument(
        "--publication", type=_text, metavar="NAME", help="the source publication (default: the publication setting)"
    )
    p.add_argument("--force", action="store_true", help="replace an existing article with the same title")
    p.add_argument(
        "--retrieved",
        type=_moment,
        metavar="DATETIME",
        help="when the raw file was fetched, with its UTC offset, e.g. 2026-01-16T09:30:00+08:00 "
        "(default: the raw file's Retrieved: line, else what the article being replaced records, else none)",
    )
    p.add_argument(
        "--published",
        type=_moment,
        metavar="DATETIME",
        help="the publication date and time, with its UTC offset, of saved pages that do not state it "
        "(a page's own date wins), e.g. 2026-01-15T23:42:00+08:00",
    )
    p.add_argument(
        "--language",
        type=_language,
        metavar="TAG",
        help="the language of saved pages that do not state it (a page's own wins), e.g. en or zh-CN",
    )
    p = _command(sub, "companies", "work with the company registry")
    actions = p.add_subparsers(
        dest="action", required=True, metavar="ACTION", title="actions", help="what to do: suggest"
    )
    p = actions.add_parser(
        "suggest",
        help="list names in the bodies that look like companies and are not in the registry (nothing is added)",
        description="List names in the articles' bodies that look like companies (capitalised "
        "words ending in Co, Corp, Group, Technology, Semiconductor, Inc, Ltd, "
        "Holdings, ...) and are not in the registry, most frequent first, with the "
        "articles they occur in. Nothing is added.",
        epilog=EXIT_CODES,
    )
    _common(p)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    return top


def _unprintable(text: str) -> str | None:
    """Why text cannot be a one-line command-line value (a line break, a control character, bytes that are not
    UTF-8), or None."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return f"{_one_line(repr(text))} contains a line break or a control character (U+{ord(ch):04X})"
    if char_problem(text):
        return f"{_one_line(repr(text))} {char_problem(text)} (a name that is not valid UTF-8?)"
    return None


def _text(text: str) -> str:
    """A name given on the command line (--publication): not empty, one line, no control character."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if msg := _unprintable(text):
        raise argparse.ArgumentTypeError(msg)
    return text


def _title(text: str) -> str:
    """A new article's title: a _text with at least one letter or digit (its slug names the file)."""
    text = _text(text)
    if not slugify(text):
        raise argparse.ArgumentTypeError(f"{text!r} gives an empty file name; use letters or digits")
    return text


def _path(text: str) -> Path:
    """A folder or file named on the command line: not empty (that would be the current folder), one line."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty (write . for the current folder)")
    if msg := _unprintable(text):
        raise argparse.ArgumentTypeError(msg)
    return Path(text)


def _raw_file(text: str) -> Path:
    """A raw text file to import: a _path that exists and is not a folder."""
    path = _path(text)
    if not os.path.lexists(path):
        raise argparse.ArgumentTypeError(f"file not found: {text!r}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a raw text file")
    return path


def _port(text: str) -> int:
    """A TCP port number, for --port: ASCII digits, 0 to 65535."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"invalid int value: {_one_line(repr(text))}")
    value = int(text, 10)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is out of range: a port is 0 to 65535")
    return value


def _moment(text: str) -> datetime:
    """A date and time with a UTC offset, for --retrieved."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {_one_line(repr(text))}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (write e.g. 2026-01-16T09:30:00+08:00)")
    return value


def _language(text: str) -> str:
    """A language tag, for --language."""
    from .core.chars import LANG_RE

    if not LANG_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expected a language tag such as 'en' or 'zh-CN', got {_one_line(repr(text))}"
        )
    return text


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
        summary = Builder(
            args.source,
            output,
            args.templates,
            _overrides(args),
            strict=args.strict,
            progress=_progress_bar if sys.stderr.isatty() else None,
            executor=executor,
        ).build()
    for note in summary.notes:
        print(f"warning: {note}", file=sys.stderr)
    for warning in summary.warnings:
        print(warning.as_warning(), file=sys.stderr)
    for held in summary.held_back:
        print(f"held back until its date: {held}")
    verb = f"built {display_path(output)}/" if output else "checked"
    done = f" ({summary.written} written, {summary.unchanged} unchanged)" if output else ""
    print(
        f"{verb}: {counted(summary.articles, 'article')}, {counted(summary.companies, 'company', 'companies')}, "
        f"{counted(summary.files, 'file')} in {summary.seconds:.2f} s{done}"
    )
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


def _source_problem(source: Path) -> str | None:
    """Every command needs an archive folder that exists: a mistyped --source must not start a new archive (an
    error in the archive, exit 1, as docs/guarantees.md says, not a usage error)."""
    if not source.is_dir():
        return f"{display_path(source)}: " + (
            "source folder not found (`site-builder init` starts a new archive)"
            if not source.exists()
            else "not a folder"
        )
    return None


def cmd_init(args: argparse.Namespace) -> int:
    from .commands.init import init_archive

    for path in init_archive(args.folder):
        print(f"created {display_path(path)}{'/' if path.is_dir() else ''}")
    print("next: add articles (site-builder new, site-builder import), then site-builder build")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .commands.new import new_article

    config = load_config(args.source)
    path = new_article(args.source, args.title, args.publication or config.publication, datetime.now(config.zone))
    print(f"created {display_path(path)} (draft: true; remove that line to publish)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import every file named, or none: each is checked first, and one bad file stops them all (exit 1)."""
    from .content.importer import ImportOptions, import_all, write_import

    if args.url is not None and len(args.raw) > 1:
        return _usage_error("--url", f"is one article's address, but {counted(len(args.raw), 'file')} were given")
    if args.url is not None and args.raw[0].name.lower().endswith((".warc", ".warc.gz")):
        return _usage_error("--url", "is one article's address; a WARC file gives each page's (WARC-Target-URI)")
    seen: set[str] = set()
    for raw in args.raw:
        if (key := os.path.normcase(os.path.abspath(raw))) in seen:
            return _usage_error("RAW", f"{display_path(raw)} is given twice")
        seen.add(key)
    config = load_config(args.source)
    options = ImportOptions(
        args.source,
        config.zone,
        args.publication,
        args.url,
        args.force,
        args.retrieved,
        config.publication,
        args.published,
        args.language,
    )
    plans = import_all(args.raw, options)
    for done, plan in enumerate(plans):
        try:
            write_import(plan)
        except SiteError as exc:  # the disk, not the files: those written stay (each is whole), the rest are not
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            print(
                f"{counted(len(exc.problems), 'error')}; {counted(done, 'file')} of {len(plans)} imported, "
                f"the rest not",
                file=sys.stderr,
            )
            return 1
        print(plan.note or f"imported {display_path(plan.raw_file)} -> {display_path(plan.article)}")
        if plan.raw_shown.name != (plan.original_name or plan.raw_file.name) and not plan.unchanged:
            print(
                f"another original already has the name {plan.original_name or plan.raw_file.name}: this one is kept as "
                f"{display_path(plan.raw_shown)}"
            )
    return 0


def cmd_companies(args: argparse.Namespace) -> int:
    """`companies suggest`: company-like names the registry lacks, printed safely (no terminal escapes)."""
    import json

    from .commands.suggest import safe, suggest

    suggestions, skipped = suggest(args.source)
    for path in skipped:
        print(f"warning: {safe(path)}: not read (it has errors; see site-builder check)", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {
                    "suggestions": [
                        {"name": s.name, "count": s.count, "articles": list(s.articles)} for s in suggestions
                    ]
                },
                ensure_ascii=True,
                indent=2,
            )
        )
        return 0
    for s in suggestions:
        print(f"{s.count:>5}  {safe(s.name)}  ({', '.join(safe(a) for a in s.articles)})")
    print(f"{counted(len(suggestions), 'name')} not in the registry; nothing was added", file=sys.stderr)
    return 0


COMMANDS = {
    "build": cmd_build,
    "check": cmd_build,
    "serve": cmd_serve,
    "init": cmd_init,
    "new": cmd_new,
    "import": cmd_import,
    "companies": cmd_companies,
}


def _never_fail_to_print() -> None:
    """Print what the output's encoding cannot hold as \\u escapes (as Python does on stderr) rather than fail with
    a traceback after the work is done: Windows writes a redirected stdout in its ANSI code page (cp1252, say),
    which has no Chinese title or file name."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit 0 on success, 1 on bad content, 2 on bad usage."""
    _never_fail_to_print()
    args = parser().parse_args(argv)
    if (base_url := getattr(args, "base_url", None)) is not None and (msg := url_problem(base_url, base=True)):
        print(f"site-builder: error: argument --base-url: {msg}", file=sys.stderr)  # bad usage: one line
        return 2
    if args.command != "init" and (msg := _source_problem(args.source)):  # init makes the source folder
        print(f"{msg}\n{counted(1, 'error')}; nothing was written", file=sys.stderr)
        return 1
    if (templates := getattr(args, "templates", None)) is not None and not templates.is_dir():
        return _usage_error(
            "--templates",
            f"{'folder not found' if not templates.exists() else 'not a folder'}: {display_path(templates)}",
        )
    from .engine.executors import ExecutorError, check as check_executor

    try:
        if getattr(args, "executor", None) is not None:
            check_executor(args.executor)  # a bad URL, or no dask installed: before anything is read
        return COMMANDS[args.command](args)
    except ExecutorError as exc:
        print(f"site-builder: error: argument --executor: {exc}", file=sys.stderr)
        return 2
    except SiteError as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        if getattr(exc, "exit_code", 1) == 2:  # a bad command-line value (an --output no build may write): one line
            for problem in exc.problems:
                print(
                    f"{PROG}: error: argument {getattr(exc, 'argument', '')}: {_one_line(str(problem))}",
                    file=sys.stderr,
                )
            return 2
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{counted(len(exc.problems), 'error')}; nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
