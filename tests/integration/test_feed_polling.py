"""Feed poller against a real HTTP server and real Kafka: one record per feed version."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from services.ingest.config import FeedSource
from services.ingest.feeds import FeedPoller
from shared.envelope import from_record
from shared.events import RawArticle
from shared.runtime import RAW_TOPIC_CONFIG, ensure_topics
from shared.topics import Topics
from tests.conftest import SHARED, Infra
from tests.helpers import serve_feed

pytestmark = pytest.mark.integration

SAMPLE = next(p for p in sorted((SHARED / "data" / "wires").rglob("*"))
              if p.is_file() and b"<rss" in p.read_bytes()[:2048])


async def _records_from(bootstrap: str, topic: str, source: str, want: int
                        ) -> list[RawArticle]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                group_id=f"feed-test-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest")
    await consumer.start()
    found: list[RawArticle] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < want:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    for record in records:
                        raw = from_record(record.value or b"", dict(record.headers), record.key)
                        if raw.source == source:
                            found.append(raw)
        # Anything published by mistake would have arrived with the records we waited for.
        await asyncio.sleep(1)
        for records in (await consumer.getmany(timeout_ms=2000)).values():
            found += [r for r in (from_record(x.value or b"", dict(x.headers), x.key)
                                  for x in records) if r.source == source]
    finally:
        await consumer.stop()
    return found


async def test_a_polled_feed_reaches_news_raw_once(infra: Infra) -> None:
    raw = Topics(f"t{uuid.uuid4().hex[:12]}.").raw
    await ensure_topics(infra.bootstrap, [raw], 3, {raw: RAW_TOPIC_CONFIG})
    source = f"feedtest-{uuid.uuid4().hex[:8]}"
    broker = KafkaBroker(infra.bootstrap, acks="all", enable_idempotence=True)
    with serve_feed(SAMPLE.read_bytes(), etag='"sample-1"') as server:
        feed = FeedSource(url=server.url, source=source)
        async with broker, httpx.AsyncClient(timeout=10) as client:
            await broker.start()
            poller = FeedPoller(broker, [feed], max_bytes=5 << 20, client=client, topic=raw)
            outcomes = [await poller.poll(feed), await poller.poll(feed)]
    assert outcomes == ["published", "not_modified"]
    assert server.asked == [None, '"sample-1"']
    records = await _records_from(infra.bootstrap, raw, source, want=1)
    assert len(records) == 1
    assert records[0].payload == SAMPLE.read_bytes()
    assert records[0].content_type == "application/rss+xml"
