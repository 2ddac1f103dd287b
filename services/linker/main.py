"""Composition root of the linker: settings, snapshot store, replay, broker, subscriber, app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo import AsyncMongoClient

from services.enrichment.main import stream_topics
from services.enrichment.stories import LinkPolicy
from shared.dlq import DeadLetters
from shared.lag import LagMonitor
from shared.logs import configure
from shared.metrics import ServiceMetrics
from shared.runtime import (
    Readiness,
    batch_records,
    broker_check,
    ensure_annotated_topic,
    ensure_topics,
    fetch_options,
    kafka_security,
    make_broker,
    ops_routes,
)

from .config import LinkerSettings
from .handlers import LinkerHandler
from .replay import KafkaReplay, Replay
from .snapshots import MongoSnapshotStore, SnapshotStore
from .stage import LinkerStage, SnapshotPolicy

SERVICE = "linker"


def build_app(settings: LinkerSettings | None = None, snapshots: SnapshotStore | None = None,
              replay: Replay | None = None) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or LinkerSettings()
    common = settings.common
    configure(SERVICE, common.log_level, json_lines=common.log_json)
    metrics = ServiceMetrics(SERVICE)
    broker = make_broker(common, SERVICE, metrics)
    names = common.topics.names()
    client: AsyncMongoClient[dict[str, Any]] | None = None
    if snapshots is None:
        client = AsyncMongoClient(common.mongo_url.get_secret_value(), tz_aware=True)
        collection = client[settings.snapshot_database()][settings.snapshot_collection]
        # One snapshot per input stream: namespaced topics never share a state.
        snapshots = MongoSnapshotStore(collection, name=names.annotated)
    replay = replay or KafkaReplay(common.kafka_bootstrap, names.annotated,
                                   kafka_security(common))
    policy = LinkPolicy(link=settings.link_threshold, window=timedelta(days=settings.window_days),
                        retention=timedelta(days=settings.retention_days),
                        prune_every=settings.prune_every)
    stage = LinkerStage(snapshots, replay, policy,
                        SnapshotPolicy(settings.snapshot_every, settings.snapshot_seconds))
    handler = LinkerHandler(broker, DeadLetters(broker, metrics, names.dlq), stage, names,
                            chunk=settings.chunk_records)

    # One partition, one active consumer in the group (others stand by). Offsets are
    # committed after every output of the batch is acknowledged; a Kafka failure nacks and
    # the batch is read again, its outputs re-sent from the handler's unsent list.
    @broker.subscriber(
        names.annotated, group_id=settings.group_id, auto_offset_reset="earliest", batch=True,
        max_records=settings.batch_max_records, batch_timeout_ms=settings.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR, decoder=batch_records,
        **fetch_options(common), title="news.annotated",
        description="Annotated articles on one partition; key = article id.",
    )
    async def on_annotated(msg: KafkaMessage) -> None:
        await handler.handle(await batch_records(msg))

    async def startup() -> None:
        await ensure_annotated_topic(common, names)
        await ensure_topics(common.kafka_bootstrap,
                            [names.enriched, names.story, names.links, names.dlq,
                             *stream_topics(names)], common.topic_partitions,
                            security=kafka_security(common))
        # A standby starts warm from the newest snapshot; a takeover replays from there.
        await stage.restore()

    async def shutdown() -> None:
        await stage.drain()
        if client is not None:
            await client.close()

    lag = LagMonitor(common.kafka_bootstrap, metrics, {settings.group_id: [names.annotated]},
                     common.lag_interval_seconds, kafka_security(common))
    readiness = Readiness(metrics, {"kafka": broker_check(broker), "snapshots": snapshots.ping},
                          common.ready_interval_seconds)
    app = AsgiFastStream(broker, asgi_routes=ops_routes(metrics, readiness),
                         on_startup=[startup], after_startup=[lag.start, readiness.start],
                         on_shutdown=[readiness.stop, lag.stop], after_shutdown=[shutdown])
    return app, broker
