"""Normalizer wiring: the same test body on FastStream's in-memory broker and on real Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.normalizer.handlers import NormalizerHandler
from shared.dlq import H_EXC_CLASS, H_OFFSET, H_REASON, H_TOPIC
from shared.envelope import to_headers
from shared.events import CanonicalArticle, RawArticle, utcnow
from shared.metrics import ServiceMetrics
from shared.runtime import batch_records, ensure_topics, raw_body
from tests.helpers import eventually

MODES = [pytest.param("memory", marks=pytest.mark.unit),
         pytest.param("real", marks=pytest.mark.integration)]


@pytest.fixture(params=MODES)
async def bootstrap(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    if request.param == "memory":
        yield None
    else:
        yield request.getfixturevalue("infra").bootstrap


def raw(payload: bytes, content_type: str = "text/plain") -> RawArticle:
    return RawArticle(id="r1", source="test", received_at=utcnow(), content_type=content_type,
                      payload=payload, trace_id="t1")


async def test_good_to_canonical_bad_to_dlq_with_context(
    bootstrap: str | None, uid: str, seed_bytes: bytes
) -> None:
    topic_in, topic_out, topic_dlq = f"raw-{uid}", f"canonical-{uid}", f"dlq-{uid}"
    broker = KafkaBroker(bootstrap or "localhost")
    metrics = ServiceMetrics("normalizer")
    handler = NormalizerHandler(broker, metrics, max_bytes=200_000, out_topic=topic_out,
                                dlq_topic=topic_dlq)
    articles: list[CanonicalArticle] = []
    dead: list[tuple[bytes, dict[str, Any]]] = []

    # Wired as the service wires it: polls of records.
    @broker.subscriber(topic_in, group_id=f"n-{uid}", auto_offset_reset="earliest", batch=True,
                       ack_policy=AckPolicy.NACK_ON_ERROR, decoder=batch_records)
    async def on_raw(msg: KafkaMessage) -> None:
        await handler.handle_batch(await batch_records(msg))

    @broker.subscriber(topic_out, group_id=f"o-{uid}", auto_offset_reset="earliest",
                       decoder=raw_body)
    async def on_out(msg: KafkaMessage) -> None:
        articles.append(CanonicalArticle.model_validate_json(msg.body))

    @broker.subscriber(topic_dlq, group_id=f"d-{uid}", auto_offset_reset="earliest",
                       decoder=raw_body)
    async def on_dlq(msg: KafkaMessage) -> None:
        dead.append((bytes(msg.body), dict(msg.headers)))

    if bootstrap:
        await ensure_topics(bootstrap, [topic_in, topic_out, topic_dlq], partitions=1)
    garbage = b"\x00\x01not a document\xff" * 3
    async with TestKafkaBroker(broker, with_real=bootstrap is not None) as br:
        good = raw(seed_bytes)
        await br.publish(good.payload, topic_in, key=b"k1", headers=to_headers(good))
        bad = raw(garbage, "application/octet-stream")
        await br.publish(bad.payload, topic_in, key=b"k2", headers=to_headers(bad))
        await eventually(lambda: len(articles) == 1 and len(dead) == 1)

    assert articles[0].kicker == "Ukraine-Krieg"
    assert articles[0].format == "pagetext"
    value, headers = dead[0]
    assert value == garbage  # the original bytes, untouched
    assert headers[H_TOPIC] == topic_in
    assert headers[H_REASON] == "unsupported_format"
    assert headers[H_EXC_CLASS].endswith("UnsupportedFormat")
    assert int(headers[H_OFFSET]) >= 0
    text = metrics.registry.get_sample_value(
        "newswire_dlq_messages_total", {"service": "normalizer", "reason": "unsupported_format"})
    assert text == 1.0
