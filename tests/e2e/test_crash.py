"""SIGKILL of storage mid-stream: after a restart all N articles are stored exactly once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from deploy.launcher import Stack
from deploy.samples import page_text
from shared.envelope import to_headers
from shared.events import RawArticle, utcnow

pytestmark = pytest.mark.e2e
N = 150


async def test_storage_sigkill_loses_and_duplicates_nothing(
    stack: Stack, db: AsyncDatabase[dict[str, Any]]
) -> None:
    tag = stack.namespace.rstrip(".")
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        for i in range(N):
            raw = RawArticle(id=f"crash-{tag}-{i}", source="crash", received_at=utcnow(),
                             content_type="text/plain", payload=page_text(i, tag=tag).encode(),
                             trace_id=f"t{i}")
            headers = [(k, v.encode()) for k, v in to_headers(raw).items()]
            await producer.send(f"{stack.namespace}news.raw", raw.payload, key=raw.id.encode(),
                                headers=headers)
        await producer.flush()
    finally:
        await producer.stop()

    # Kill storage once part of the stream is stored, while the rest is still flowing.
    deadline = time.monotonic() + 120
    while await db["articles"].count_documents({}) < N // 5:
        assert time.monotonic() < deadline, "storage never started writing"
        await asyncio.sleep(0.05)
    stack["storage"].kill()
    killed_at = await db["articles"].count_documents({})
    assert killed_at < N, "the stream finished before the kill; the test proves nothing"
    stack["storage"].start()
    stack["storage"].wait_ready(120)

    deadline = time.monotonic() + 180
    while (count := await db["articles"].count_documents({})) < N:
        assert time.monotonic() < deadline, f"only {count}/{N} stored after restart"
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # let any redelivered batch land, so a duplicate would show up
    ids = [d["_id"] for d in await db["articles"].find({}, {"_id": 1}).to_list(None)]
    assert len(ids) == N == len(set(ids))
    assert await db["article_versions"].count_documents({}) == N
    headlines = {d["headline"] for d in await db["articles"].find({}).to_list(None)}
    assert len(headlines) == N
