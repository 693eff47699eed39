"""tipg's app for the map benchmark, reaching the embedded cluster through its Unix socket.

tipg's settings take a host name only; the embedded cluster listens on a socket. asyncpg gets the socket folder as
``host`` (keyword arguments override the DSN's). Run by ``bench.bench_map`` with uvicorn; not part of jingwang.
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg

_create_pool = asyncpg.create_pool


def _create_pool_on_socket(dsn: str, **kwargs: Any) -> Any:
    return _create_pool(dsn, host=os.environ["BENCH_PG_SOCKET_DIR"], **kwargs)


asyncpg.create_pool = _create_pool_on_socket

from tipg.main import app  # noqa: E402  (after the patch: tipg reads asyncpg.create_pool at call time)

__all__ = ["app"]
