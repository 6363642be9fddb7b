"""Executors named on the command line. `--executor dask://HOST:PORT` converts the Markdown bodies on a dask
cluster (the optional extra site-builder[dask]): its scheduler's client gives a concurrent.futures.Executor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from concurrent.futures import Executor

CONNECT_TIMEOUT = 10  # seconds to reach the scheduler


class ExecutorError(Exception):
    """An --executor that cannot be used: a bad command-line value (exit 2)."""


def dask_address(url: str) -> str:
    """The scheduler address of a dask://HOST:PORT executor URL (tcp://HOST:PORT); ExecutorError when it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ExecutorError(f"not a valid URL: {url!r} ({exc})") from None
    if (
        parts.scheme != "dask"
        or not parts.hostname
        or port is None
        or not url.startswith("dask://")
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
        or port == 0
        or any(ch.isspace() for ch in url)
    ):
        raise ExecutorError(f"expected dask://HOST:PORT (a dask scheduler), got {url!r}")
    return f"tcp://{parts.netloc}"


def check(url: str) -> None:
    """Raise ExecutorError unless url names an executor this installation can use."""
    dask_address(url)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ExecutorError(
            "the dask executor needs dask's distributed package: pip install 'site-builder[dask]'"
        ) from None


@contextmanager
def open_executor(url: str) -> Iterator[Executor]:
    """The executor url names, for the length of the with block (the client is closed after it)."""
    check(url)
    import distributed

    address = dask_address(url)
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(f"cannot reach the dask scheduler at {address}: {exc}") from None
    try:
        yield client.get_executor()
    finally:
        client.close()
