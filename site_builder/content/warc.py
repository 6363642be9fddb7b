"""A WARC file (.warc, .warc.gz) into articles: each HTML response record is a saved page (content/webpage.py),
its address from WARC-Target-URI and its retrieval time from WARC-Date. Used only by `import`; warcio is
imported here, when a WARC file is imported."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from ..core.chars import url_problem
from ..core.errors import Collector, Problem, SiteError
from .record import RawArticle
from .webpage import MAX_PAGE_BYTES, parse_page

_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Page:
    """One HTML response of a WARC file: its article, and the page's bytes (the original kept under raw/)."""

    raw: RawArticle
    data: bytes
    number: int  # the record's place in the file, from 1


def _content_type(record) -> tuple[str, str | None]:
    """(media type, charset or None) of a response's HTTP Content-Type."""
    value = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip().strip("\"'"):
            charset = val.strip().strip("\"'")
    return media.strip().lower(), charset


def parse_warc(data: bytes, path: str, published: datetime | None = None, language: str | None = None) -> list[Page]:
    """Each HTML response record's page, in file order; raise one SiteError with every record's problem (each
    named 'record N (URL)'), and one for a file that is not a WARC or is cut short. Other records (requests,
    metadata, images, redirects) are passed over."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    errors = Collector()
    pages: list[Page] = []
    number = complete = 0  # records seen, records read to their end
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            complete, number = number, number + 1
            if record.format != "warc":
                raise ValueError(f"record {number} is not a WARC record")
            media, charset = _content_type(record) if record.rec_type == "response" else ("", None)
            status = record.http_headers.get_statuscode() if record.http_headers else None
            if record.rec_type != "response" or media not in _HTML_TYPES or status != "200":
                _read_whole(record)
                complete = number
                continue
            uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
            where = f"record {number} ({uri or 'no WARC-Target-URI'})"
            body = record.content_stream().read(MAX_PAGE_BYTES + 1)
            _read_whole(record)
            complete = number
            if url_problem(uri) is not None:
                errors.add(path, 0, f"{where}: WARC-Target-URI is not an absolute http(s) URL")
                continue
            date = (record.rec_headers.get_header("WARC-Date") or "").strip()
            try:
                retrieved = datetime.fromisoformat(date)
                if retrieved.tzinfo is None:
                    raise ValueError
            except ValueError:
                errors.add(path, 0, f"{where}: WARC-Date {date!r} is not a date and time with its UTC offset")
                continue
            try:
                raw = parse_page(
                    body, f"{path}: {where}", charset=charset, url=uri, published=published, language=language
                )
            except SiteError as exc:
                errors.extend(exc)
                continue
            pages.append(Page(_with_retrieved(raw, retrieved), body, number))
    except (ArchiveLoadFailed, EOFError, OSError, ValueError, IndexError) as exc:
        errors.add(
            path,
            0,
            f"not a WARC file, or cut short after {complete} record{'s' if complete != 1 else ''}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'end of data'}",
        )
    except Exception as exc:
        errors.add(path, 0, f"cannot read the WARC file after {complete} records: {type(exc).__name__}: {exc}")
    errors.raise_if_any()
    if not pages:
        raise SiteError([Problem(path, 0, f"no HTML response records among its {number} records")])
    return pages


def _read_whole(record) -> None:
    """Read the rest of a record's block; ValueError when the file ends before the length its header gives."""
    while record.raw_stream.read(65536):
        pass
    reader = record.raw_stream
    while reader is not None and not hasattr(reader, "limit"):
        reader = getattr(reader, "stream", None)
    if reader is not None and reader.limit > 0:
        raise ValueError(f"the file ends {reader.limit} bytes before its last record does")


def _with_retrieved(raw: RawArticle, retrieved: datetime) -> RawArticle:
    from dataclasses import replace

    return replace(raw, retrieved=retrieved)
