"""The linker's adapters on real infrastructure: chunked snapshots by _id, ranged replay."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient, monitoring

from services.linker.replay import KafkaReplay
from services.linker.snapshots import CHUNK, CorruptSnapshot, MongoSnapshotStore, Snapshot
from shared.runtime import ensure_topics
from tests.conftest import Infra

pytestmark = pytest.mark.integration


class Filters(monitoring.CommandListener):
    """Records the filter of every find, update, replace and delete a client sends."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        cmd = event.command
        if event.command_name == "find":
            self.filters.append(dict(cmd["filter"]))
        for key in ("updates", "deletes"):
            self.filters += [dict(op["q"]) for op in cmd.get(key, [])]

    def succeeded(self, _event: monitoring.CommandSucceededEvent) -> None:
        return

    def failed(self, _event: monitoring.CommandFailedEvent) -> None:
        return


async def test_snapshots_round_trip_in_chunks_by_id_and_replace_the_old_one(infra: Infra) -> None:
    listener = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infra.mongo_url, event_listeners=[listener])
    name = f"it_snap_{uuid.uuid4().hex[:8]}"
    try:
        store = MongoSnapshotStore(client[name]["linker_snapshots"], "news.annotated")
        assert await store.load() is None
        first = Snapshot(offset=40, blob=os.urandom(CHUNK + 1000))  # two chunks
        await store.save(first)
        assert await store.load() == first
        second = Snapshot(offset=90, blob=b"newer state")
        await store.save(second)
        assert await store.load() == second
        # The first generation's chunks are gone: head plus one chunk left.
        assert await client[name]["linker_snapshots"].count_documents({}) == 2
        # Every read and write names exactly one _id: nothing scans on FerretDB.
        assert listener.filters
        assert all(list(f) == ["_id"] and isinstance(f["_id"], str)
                   for f in listener.filters), listener.filters
        # A head pointing at a lost chunk is reported, not restored as a half state.
        await client[name]["linker_snapshots"].delete_one({"_id": "news.annotated:2:0"})
        with pytest.raises(CorruptSnapshot):
            await store.load()
    finally:
        await client.drop_database(name)
        await client.close()


async def test_replay_reads_exactly_the_asked_range(infra: Infra) -> None:
    topic = f"it-replay-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [topic], 1)
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(30):
            await producer.send_and_wait(topic, f"r{n}".encode(), partition=0)
    finally:
        await producer.stop()
    replay = KafkaReplay(infra.bootstrap, topic)
    got = [(o, v) async for o, v in replay.read(7, 19)]
    assert got == [(n, f"r{n}".encode()) for n in range(7, 19)]
    # Past the end it stops at the end instead of waiting for records that never come.
    assert [o async for o, _ in replay.read(25, 40)] == [25, 26, 27, 28, 29]
