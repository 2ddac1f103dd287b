"""Annotation service wiring on FastStream's in-memory broker: the linker's stream, keys, DLQ."""

from __future__ import annotations

import json
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.enrichment.config import EnrichmentSettings
from services.enrichment.doc import Doc
from services.enrichment.keyphrases import KeyphraseEnricher
from services.enrichment.language import LanguageEnricher
from services.enrichment.main import build_app, stream_topics
from services.enrichment.pipeline import Annotator
from services.enrichment.topics import TopicEnricher
from shared.dlq import H_CONNECTOR, H_OFFSET, H_REASON, H_STAGE, H_TOPIC
from shared.events import CanonicalArticle, EnrichedArticle, Entity
from shared.runtime import raw_body
from shared.settings import CommonSettings
from shared.topics import TopicSettings

pytestmark = pytest.mark.unit
partitions: dict[str, list[int]] = {}
# The app names its topics from its settings when it is built: a namespace of the test's own.
SETTINGS = EnrichmentSettings(common=CommonSettings(topics=TopicSettings(namespace="enr.")))
topics = SETTINGS.common.topics.names()


class FakeEntities:
    """Stands in for the CRF so wiring tests do not depend on the trained model."""

    name = "entities"

    def enrich(self, doc: Doc) -> None:
        names = [w for w in ("Putin", "Witkoff", "Kushner") if w in doc.text]
        doc.entities = [Entity(canonical=n, type="PER", mentions=1) for n in names]


class Crash:
    name = "crash"

    def enrich(self, doc: Doc) -> None:
        if "CRASH" in doc.article.headline:
            raise RuntimeError("enricher bug")


def _annotator() -> Annotator:
    return Annotator([LanguageEnricher(), TopicEnricher(), KeyphraseEnricher(), FakeEntities(),
                      Crash()])


def _build() -> tuple[Any, dict[str, list[tuple[bytes | None, bytes, dict[str, Any]]]]]:
    _, broker = build_app(SETTINGS, annotator=_annotator())
    seen: dict[str, list[tuple[bytes | None, bytes, dict[str, Any]]]] = {}
    partitions.clear()

    def spy_for(topic: str) -> Any:
        async def spy(msg: KafkaMessage) -> None:
            raw = msg.raw_message
            assert not isinstance(raw, tuple)  # one record per message, not a batch
            seen.setdefault(topic, []).append((raw.key, bytes(msg.body), dict(msg.headers)))
            partitions.setdefault(topic, []).append(raw.partition)
        return spy

    for topic in (topics.annotated, topics.enriched, topics.story, topics.dlq,
                  *stream_topics(topics)):
        broker.subscriber(topic, group_id=f"spy-{topic}", decoder=raw_body)(spy_for(topic))
    return broker, seen


async def test_article_is_annotated_and_sent_unlinked_to_the_linkers_one_partition(
        seed_article: CanonicalArticle) -> None:
    broker, seen = _build()
    async with TestKafkaBroker(broker) as br:
        await br.publish(seed_article.model_dump_json().encode(), topics.canonical,
                         key=seed_article.id.encode())
    key, body, _ = seen[topics.annotated][0]
    item = EnrichedArticle.model_validate_json(body)
    assert key == seed_article.id.encode()
    assert partitions[topics.annotated] == [0]
    assert item.enrichment.language is not None
    assert item.enrichment.language.code == "de"
    assert {e.canonical for e in item.enrichment.entities} >= {"Putin", "Witkoff"}
    assert item.enrichment.story_id is None  # linking is the linker's
    # Nothing reaches consumers before it is linked.
    assert topics.enriched not in seen
    assert topics.story not in seen
    assert topics.dlq not in seen


async def test_versions_are_sent_in_the_order_they_were_read(
        seed_article: CanonicalArticle) -> None:
    broker, seen = _build()
    versions = [seed_article.model_copy(update={"version": v}) for v in (1, 2, 3)]
    async with TestKafkaBroker(broker) as br:
        for art in versions:
            await br.publish(art.model_dump_json().encode(), topics.canonical,
                             key=art.id.encode())
    assert [EnrichedArticle.model_validate_json(b).version
            for _, b, _ in seen[topics.annotated]] == [1, 2, 3]


@pytest.mark.parametrize(("payload", "reason"), [
    (b"{not json", "invalid_article"),
    (json.dumps({"id": "x"}).encode(), "invalid_article"),
])
async def test_bad_records_go_to_the_dlq_and_nothing_is_published(payload: bytes,
                                                                    reason: str) -> None:
    broker, seen = _build()
    async with TestKafkaBroker(broker) as br:
        await br.publish(payload, topics.canonical, key=b"k1")
    key, body, headers = seen[topics.dlq][0]
    assert (key, body, headers[H_REASON]) == (b"k1", payload, reason)
    # Connect-style context, the service named by its composition root.
    assert (headers[H_TOPIC], headers[H_CONNECTOR], headers[H_STAGE]) == (
        "enr.news.canonical", "enrichment", "annotate")
    assert int(headers[H_OFFSET]) >= 0
    assert topics.annotated not in seen


async def test_enricher_crash_is_dead_lettered(seed_article: CanonicalArticle) -> None:
    broker, seen = _build()
    bad = seed_article.model_copy(update={"headline": "CRASH"})
    async with TestKafkaBroker(broker) as br:
        await br.publish(bad.model_dump_json().encode(), topics.canonical, key=b"k2")
    assert seen[topics.dlq][0][2][H_REASON] == "enricher_crash"
    assert topics.annotated not in seen


def test_asyncapi_documents_every_stream() -> None:
    app, _ = build_app(SETTINGS, annotator=_annotator())
    spec = json.dumps(app.schema.to_specification().to_jsonable())
    for name in (topics.canonical, topics.annotated, topics.enriched, topics.story,
                 topics.links, topics.dlq, *stream_topics(topics)):
        assert f'"{name}"' in spec
    assert "EnrichedArticle" in spec
    assert "StoryUpdate" in spec
    assert "LinkUpdate" in spec
    assert len(stream_topics(topics)) == 17
