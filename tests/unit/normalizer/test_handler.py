"""Normalizer wiring: the same test body on FastStream's in-memory broker and on real Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.normalizer.config import NormalizerSettings
from services.normalizer.main import build_app
from shared.dlq import H_CONNECTOR, H_EXC_CLASS, H_OFFSET, H_REASON, H_TOPIC
from shared.envelope import to_headers
from shared.events import CanonicalArticle, RawArticle, utcnow
from shared.runtime import ensure_topics, raw_body
from shared.settings import CommonSettings
from shared.topics import Topics, TopicSettings
from tests.helpers import eventually, sample, scrape

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
    # The real app and its real subscriber, on topics and a group of the test's own.
    names = Topics(f"t{uid}.")
    settings = NormalizerSettings(
        common=CommonSettings(kafka_bootstrap=bootstrap or "localhost",
                              topics=TopicSettings(namespace=names.namespace)),
        group_id=f"n-{uid}", max_payload_bytes=200_000)
    app, broker = build_app(settings)
    articles: list[CanonicalArticle] = []
    dead: list[tuple[bytes, dict[str, Any]]] = []

    @broker.subscriber(names.canonical, group_id=f"o-{uid}", auto_offset_reset="earliest",
                       decoder=raw_body)
    async def on_out(msg: KafkaMessage) -> None:
        articles.append(CanonicalArticle.model_validate_json(msg.body))

    @broker.subscriber(names.dlq, group_id=f"d-{uid}", auto_offset_reset="earliest",
                       decoder=raw_body)
    async def on_dlq(msg: KafkaMessage) -> None:
        dead.append((bytes(msg.body), dict(msg.headers)))

    if bootstrap:
        await ensure_topics(bootstrap, [names.raw, names.canonical, names.dlq], partitions=1)
    garbage = b"\x00\x01not a document\xff" * 3
    async with TestKafkaBroker(broker, with_real=bootstrap is not None) as br:
        good = raw(seed_bytes)
        await br.publish(good.payload, names.raw, key=b"k1", headers=to_headers(good))
        bad = raw(garbage, "application/octet-stream")
        await br.publish(bad.payload, names.raw, key=b"k2", headers=to_headers(bad))
        await eventually(lambda: len(articles) == 1 and len(dead) == 1)

    assert articles[0].kicker == "Ukraine-Krieg"
    assert articles[0].format == "pagetext"
    value, headers = dead[0]
    assert value == garbage  # the original bytes, untouched
    assert headers[H_TOPIC] == names.raw
    assert headers[H_REASON] == "unsupported_format"
    assert headers[H_CONNECTOR] == "normalizer"
    assert headers[H_EXC_CLASS].endswith("UnsupportedFormat")
    assert int(headers[H_OFFSET]) >= 0
    seen = await scrape(app)
    assert sample(seen, "newswire_dlq_messages_total", service="normalizer",
                  reason="unsupported_format") == 1.0
    assert sample(seen, "newswire_messages_total", service="normalizer", stage="normalize",
                  outcome="ok") == 1.0
