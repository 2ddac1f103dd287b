"""Ingest HTTP endpoint on the in-memory broker: 202 with the id after publish, 4xx on bad input."""

from __future__ import annotations

import httpx
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.ingest.config import IngestSettings
from services.ingest.http import articles_endpoint
from shared import topics
from shared.envelope import from_record
from shared.events import RawArticle
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body

pytestmark = pytest.mark.unit


async def test_push_answers_202_with_the_id_of_what_kafka_got() -> None:
    broker = KafkaBroker()
    got: list[RawArticle] = []

    @broker.subscriber(topics.RAW, decoder=raw_body)
    async def on_raw(msg: KafkaMessage) -> None:
        got.append(from_record(bytes(msg.body), dict(msg.headers), msg.raw_message.key))

    settings = IngestSettings(max_payload_bytes=2048)
    app = articles_endpoint(broker, settings, ServiceMetrics("ingest"))
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ok = await client.post("/v1/articles?source=dpa", content=b"Kicker\nTitel\n",
                                   headers={"content-type": "text/plain; charset=utf-8",
                                            "x-newswire-id": "urn:x:1"})
            too_big = await client.post("/v1/articles?source=dpa", content=b"x" * 4096)
            no_source = await client.post("/v1/articles", content=b"abc")
            empty = await client.post("/v1/articles?source=dpa", content=b"  ")
            wrong = await client.get("/v1/articles")
    assert ok.status_code == 202
    assert ok.json()["id"] == "urn:x:1"
    assert [r.id for r in got] == ["urn:x:1"]
    assert got[0].payload == b"Kicker\nTitel\n"
    assert got[0].content_type == "text/plain; charset=utf-8"
    assert got[0].source == "dpa"
    assert too_big.status_code == 413
    assert no_source.status_code == 400 and "source" in no_source.json()["error"]
    assert empty.status_code == 400
    assert wrong.status_code == 405


async def test_bearer_token_enforced() -> None:
    settings = IngestSettings(api_token="s3cret")  # type: ignore[arg-type]
    app = articles_endpoint(KafkaBroker(), settings, ServiceMetrics("ingest"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        denied = await client.post("/v1/articles?source=a", content=b"x")
    assert denied.status_code == 401
