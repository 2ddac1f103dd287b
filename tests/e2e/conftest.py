"""The four services as real processes on real Kafka and a real Mongo-wire DB."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from deploy.launcher import Stack
from tests.conftest import Infra


@pytest.fixture(scope="module")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    run = uuid.uuid4().hex[:8]
    logs: Path = tmp_path_factory.mktemp(f"stack-{run}")
    stack = Stack(infra.bootstrap, infra.mongo_url, namespace=f"e2e{run}.",
                  mongo_db=f"e2e_{run}", log_dir=logs)
    try:
        stack.start(timeout=180)
    except Exception:
        stack.stop()
        raise
    yield stack
    stack.stop()


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    yield client[stack.mongo_db]
    await client.close()
