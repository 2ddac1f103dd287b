"""The five services as real processes on real Kafka and a real Mongo-wire DB."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from deploy.launcher import Stack
from tests.conftest import Infra


@contextmanager
def running_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory, prefix: str = "e2e",
                  extra_env: dict[str, str] | None = None,
                  replicas: dict[str, int] | None = None) -> Iterator[Stack]:
    """The five services in a namespace and database of their own, stopped afterwards."""
    run = uuid.uuid4().hex[:8]
    logs: Path = tmp_path_factory.mktemp(f"stack-{prefix}-{run}")
    stack = Stack(infra.bootstrap, infra.mongo_url, namespace=f"{prefix}{run}.",
                  mongo_db=f"{prefix}_{run}", log_dir=logs, extra_env=extra_env or {},
                  replicas=replicas or {})
    try:
        stack.start(timeout=180)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(infra, tmp_path_factory) as running:
        yield running


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
    yield client[stack.mongo_db]
    await client.close()
