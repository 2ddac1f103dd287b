"""Service wiring with FastStream's in-memory Kafka broker: topics, keys, DLQ, story events."""

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
from services.enrichment.store import MemoryStoryStore
from services.enrichment.topics import TopicEnricher
from shared import topics
from shared.dlq import H_REASON
from shared.events import CanonicalArticle, EnrichedArticle, Entity, StoryUpdate
from shared.runtime import raw_body

pytestmark = pytest.mark.unit


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
    _, broker = build_app(EnrichmentSettings(), store=MemoryStoryStore(), annotator=_annotator())
    seen: dict[str, list[tuple[bytes | None, bytes, dict[str, Any]]]] = {}

    def spy_for(topic: str) -> Any:
        async def spy(msg: KafkaMessage) -> None:
            raw = msg.raw_message
            assert not isinstance(raw, tuple)  # one record per message, not a batch
            seen.setdefault(topic, []).append((raw.key, bytes(msg.body), dict(msg.headers)))
        return spy

    for topic in (topics.ENRICHED, topics.STORY, topics.DLQ, *stream_topics()):
        broker.subscriber(topic, group_id=f"spy-{topic}", decoder=raw_body)(spy_for(topic))
    return broker, seen


async def test_article_is_enriched_published_per_topic_and_opens_a_story(
        seed_article: CanonicalArticle) -> None:
    broker, seen = _build()
    async with TestKafkaBroker(broker) as br:
        await br.publish(seed_article.model_dump_json().encode(), topics.CANONICAL,
                         key=seed_article.id.encode())
    key, body, _ = seen[topics.ENRICHED][0]
    enriched = EnrichedArticle.model_validate_json(body)
    assert key == seed_article.id.encode()
    assert enriched.enrichment.language is not None
    assert enriched.enrichment.language.code == "de"
    assert "news.enriched.politics" in seen
    story_key, story_body, _ = seen[topics.STORY][0]
    story = StoryUpdate.model_validate_json(story_body)
    assert story_key == story.story_id.encode() == (enriched.enrichment.story_id or "").encode()
    assert story.size == 1
    assert topics.DLQ not in seen


async def test_second_version_keeps_story_and_emits_no_new_story_event(
        seed_article: CanonicalArticle) -> None:
    broker, seen = _build()
    v2 = seed_article.model_copy(update={"version": 2, "headline": seed_article.headline + "!"})
    async with TestKafkaBroker(broker) as br:
        for art in (seed_article, v2):
            await br.publish(art.model_dump_json().encode(), topics.CANONICAL,
                             key=art.id.encode())
    ids = {EnrichedArticle.model_validate_json(b).enrichment.story_id
           for _, b, _ in seen[topics.ENRICHED]}
    assert len(ids) == 1
    assert len(seen[topics.STORY]) == 1


@pytest.mark.parametrize(("payload", "reason"), [
    (b"{not json", "invalid_article"),
    (json.dumps({"id": "x"}).encode(), "invalid_article"),
])
async def test_bad_records_go_to_the_dlq_and_nothing_is_published(payload: bytes,
                                                                    reason: str) -> None:
    broker, seen = _build()
    async with TestKafkaBroker(broker) as br:
        await br.publish(payload, topics.CANONICAL, key=b"k1")
    key, body, headers = seen[topics.DLQ][0]
    assert (key, body, headers[H_REASON]) == (b"k1", payload, reason)
    assert topics.ENRICHED not in seen


async def test_enricher_crash_is_dead_lettered(seed_article: CanonicalArticle) -> None:
    broker, seen = _build()
    bad = seed_article.model_copy(update={"headline": "CRASH"})
    async with TestKafkaBroker(broker) as br:
        await br.publish(bad.model_dump_json().encode(), topics.CANONICAL, key=b"k2")
    assert seen[topics.DLQ][0][2][H_REASON] == "enricher_crash"
    assert topics.ENRICHED not in seen


def test_asyncapi_documents_every_stream() -> None:
    app, _ = build_app(EnrichmentSettings(), store=MemoryStoryStore(), annotator=_annotator())
    spec = json.dumps(app.schema.to_specification().to_jsonable())
    for name in (topics.CANONICAL, topics.ENRICHED, topics.STORY, topics.DLQ, *stream_topics()):
        assert f'"{name}"' in spec
    assert "EnrichedArticle" in spec
    assert "StoryUpdate" in spec
    assert len(stream_topics()) == 17
