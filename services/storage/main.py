"""Composition root of storage: settings, Mongo repository, broker, batch subscriber, ASGI app."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo import AsyncMongoClient

from shared.dlq import DeadLetters
from shared.lag import LagMonitor
from shared.logs import configure
from shared.metrics import ServiceMetrics
from shared.runtime import (
    Readiness,
    batch_records,
    broker_check,
    ensure_topics,
    fetch_options,
    kafka_security,
    make_broker,
    ops_routes,
)

from .config import StorageSettings
from .handlers import StorageHandler
from .repository import ArticleRepository, MongoArticleRepository

SERVICE = "storage"


def build_app(settings: StorageSettings | None = None, repo: ArticleRepository | None = None
              ) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or StorageSettings()
    common = settings.common
    configure(SERVICE, common.log_level, json_lines=common.log_json)
    metrics = ServiceMetrics(SERVICE)
    broker = make_broker(common, SERVICE, metrics)
    names = common.topics.names()
    # A repository given by a test is its own; the Mongo one is built, indexed and closed here.
    mongo: MongoArticleRepository | None = None
    client: AsyncMongoClient[dict[str, Any]] | None = None
    if repo is None:
        mongo, client = MongoArticleRepository.connect(
            common.mongo_url.get_secret_value(), common.mongo_db,
            settings.articles_collection, settings.versions_collection,
            settings.db_concurrency,
        )
        repo = mongo
    handler = StorageHandler(repo, DeadLetters(broker, metrics, names.dlq),
                             settings.retry_backoff_s)

    # Offsets are committed only after bulk_write is acknowledged (ack after the handler
    # returns); a database error raises, and NACK_ON_ERROR rewinds the batch for a retry.
    @broker.subscriber(
        names.enriched, group_id=settings.group_id, auto_offset_reset="earliest", batch=True,
        max_records=settings.batch_max_records, batch_timeout_ms=settings.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR, decoder=batch_records,
        **fetch_options(common),
    )
    async def on_enriched(msg: KafkaMessage) -> None:
        await handler.handle(await batch_records(msg))

    # Merges re-label stored articles; a database error nacks and the poll is re-read (a
    # merge applied twice changes nothing).
    @broker.subscriber(
        names.story, group_id=f"{settings.group_id}-stories", auto_offset_reset="earliest",
        batch=True, max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms, ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=batch_records, fetch_min_bytes=common.kafka_fetch_min_bytes,
        fetch_max_wait_ms=settings.events_fetch_max_wait_ms,
    )
    async def on_story(msg: KafkaMessage) -> None:
        await handler.handle_events(await batch_records(msg), "story")

    # Resolved source links: recorded, then set on the stored article; a database error nacks.
    @broker.subscriber(
        names.links, group_id=f"{settings.group_id}-links", auto_offset_reset="earliest",
        batch=True, max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms, ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=batch_records, fetch_min_bytes=common.kafka_fetch_min_bytes,
        fetch_max_wait_ms=settings.events_fetch_max_wait_ms,
    )
    async def on_links(msg: KafkaMessage) -> None:
        await handler.handle_events(await batch_records(msg), "links")

    async def startup() -> None:
        await ensure_topics(common.kafka_bootstrap,
                            [names.enriched, names.story, names.links, names.dlq],
                            common.topic_partitions, security=kafka_security(common))
        if mongo is not None:
            await mongo.ensure_indexes()

    async def shutdown() -> None:
        if client is not None:
            await client.close()

    async def mongo_ready() -> bool:
        return await repo.ping()

    readiness = Readiness(metrics, {"kafka": broker_check(broker), "mongo": mongo_ready},
                          common.ready_interval_seconds)
    lag = LagMonitor(common.kafka_bootstrap, metrics,
                     {settings.group_id: [names.enriched],
                      f"{settings.group_id}-stories": [names.story],
                      f"{settings.group_id}-links": [names.links]},
                     common.lag_interval_seconds, kafka_security(common))
    app = AsgiFastStream(broker, asgi_routes=ops_routes(metrics, readiness),
                         on_startup=[startup], after_startup=[lag.start, readiness.start],
                         on_shutdown=[readiness.stop, lag.stop], after_shutdown=[shutdown])
    return app, broker
