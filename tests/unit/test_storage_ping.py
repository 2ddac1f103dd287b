"""Storage's readiness ping ends by pymongo's own deadline, before the readiness check would
cancel it: a cancelled server selection broke pymongo's topology lock in the chaos run."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from services.storage.repository import PING_SECONDS, MongoArticleRepository

pytestmark = pytest.mark.unit


async def test_ping_of_an_absent_database_gives_up_by_itself_within_the_check() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    # The client's own server selection would wait 30 s: longer than any readiness check.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{port}", serverSelectionTimeoutMS=30_000)
    repo = MongoArticleRepository(client["db"], "articles", "versions")
    start = time.monotonic()
    try:
        with pytest.raises(PyMongoError):
            await repo.ping()
    finally:
        await client.close()
    assert time.monotonic() - start < PING_SECONDS + 0.9  # the readiness check cancels at 3 s
