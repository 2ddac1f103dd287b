"""Composition root of the enrichment service: settings, store, broker, subscriber, ASGI app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.specification import AsyncAPI
from pymongo import AsyncMongoClient

from shared import topics
from shared.events import EnrichedArticle, StoryUpdate
from shared.lag import LagMonitor
from shared.logs import configure
from shared.metrics import ServiceMetrics
from shared.runtime import (
    broker_check,
    ensure_topics,
    kafka_security,
    make_broker,
    ops_routes,
    origin_of,
    raw_body,
)

from .config import EnrichmentSettings
from .handlers import EnrichmentHandler
from .mongo_store import MongoStoryStore
from .pipeline import Annotator, EnrichmentPipeline
from .store import StoryStore
from .stories import LinkPolicy, StoryLinker
from .vocab import shared_vocabulary

SERVICE = "enrichment"


def stream_topics() -> list[str]:
    """Every per-top-level stream, e.g. news.enriched.politics, from the vocabulary."""
    vocab = shared_vocabulary()
    return [topics.enriched_for_topic(vocab.concepts[q].labels["en"]) for q in vocab.top_levels]


def _document_streams(broker: KafkaBroker) -> None:
    """Declared publishers put every output stream and its payload into the AsyncAPI spec."""
    broker.publisher(topics.ENRICHED, schema=EnrichedArticle, title="news.enriched",
                     description="Every enriched article; key = article id.")
    for name in stream_topics():
        broker.publisher(name, schema=EnrichedArticle, title=name,
                         description="Enriched articles with this top-level IPTC Media Topic.")
    broker.publisher(topics.STORY, schema=StoryUpdate, title="news.story",
                     description="A story gained an article; key = story id.")
    broker.publisher(topics.DLQ, schema=bytes, title="news.dlq",
                     description="Records that could not be enriched, with error headers.")


def build_app(settings: EnrichmentSettings | None = None, store: StoryStore | None = None,
              annotator: Annotator | None = None) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or EnrichmentSettings()
    configure(SERVICE, settings.common.log_level, json_lines=settings.common.log_json)
    metrics = ServiceMetrics(SERVICE)
    broker = make_broker(settings.common, SERVICE, metrics)
    checks: dict[str, Any] = {"kafka": broker_check(broker)}
    client: AsyncMongoClient[dict[str, Any]] | None = None
    if store is None:
        client = AsyncMongoClient(settings.common.mongo_url.get_secret_value(), tz_aware=True)
        store = MongoStoryStore(client[settings.common.mongo_db], settings.collection_prefix)
    checks["mongo"] = store.ping
    policy = LinkPolicy(link=settings.link_threshold, window=timedelta(days=settings.window_days),
                        retention=timedelta(days=settings.retention_days),
                        prune_every=settings.prune_every)
    pipeline = EnrichmentPipeline(annotator or Annotator.default(settings.model_dir),
                                  StoryLinker(store, policy))
    handler = EnrichmentHandler(broker, metrics, pipeline)

    # NACK_ON_ERROR: only an infrastructure failure (DLQ publish or store down) raises, and
    # then the record is re-read; bad articles are dead-lettered and acked.
    @broker.subscriber(
        topics.CANONICAL, group_id=settings.group_id, auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR, decoder=raw_body, title="news.canonical",
        description="CanonicalArticle JSON; key = article id.",
    )
    async def on_canonical(msg: KafkaMessage) -> None:
        await handler.handle(bytes(msg.body), origin_of(msg))

    _document_streams(broker)

    async def startup() -> None:
        await ensure_topics(settings.common.kafka_bootstrap,
                            [topics.CANONICAL, topics.ENRICHED, topics.STORY, topics.DLQ,
                             *stream_topics()], settings.common.topic_partitions,
                            security=kafka_security(settings.common))
        if isinstance(store, MongoStoryStore):
            await store.ensure_indexes()

    async def shutdown() -> None:
        if client is not None:
            await client.close()

    lag = LagMonitor(settings.common.kafka_bootstrap, metrics,
                     {settings.group_id: [topics.CANONICAL]}, settings.common.lag_interval_seconds,
                     kafka_security(settings.common))
    app = AsgiFastStream(
        broker, asgi_routes=ops_routes(SERVICE, metrics, checks),
        on_startup=[startup], after_startup=[lag.start], on_shutdown=[lag.stop, shutdown],
        asyncapi_path="/asyncapi",
        specification=AsyncAPI(broker, title="newswire enrichment", version="0.1.0",
                               description="Language, IPTC Media Topics, entities, stories."),
    )
    return app, broker
