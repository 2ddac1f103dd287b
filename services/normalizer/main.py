"""Composition root of the normalizer: settings, broker, subscriber, ASGI app."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.dlq import DeadLetters
from shared.lag import LagMonitor
from shared.logs import configure
from shared.metrics import ServiceMetrics
from shared.runtime import (
    RAW_TOPIC_CONFIG,
    Readiness,
    batch_records,
    broker_check,
    ensure_topics,
    fetch_options,
    kafka_security,
    make_broker,
    ops_routes,
)

from .config import NormalizerSettings
from .handlers import NormalizerHandler

SERVICE = "normalizer"


def build_app(settings: NormalizerSettings | None = None) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or NormalizerSettings()
    configure(SERVICE, settings.common.log_level, json_lines=settings.common.log_json)
    metrics = ServiceMetrics(SERVICE)
    broker = make_broker(settings.common, SERVICE, metrics)
    names = settings.common.topics.names()
    handler = NormalizerHandler(broker, DeadLetters(broker, metrics, names.dlq),
                                settings.max_payload_bytes, out_topic=names.canonical)

    # NACK_ON_ERROR: only an infrastructure failure (DLQ publish failed) raises, and then the
    # record is re-read rather than committed; parse failures are dead-lettered and acked.
    # In polls: every record's sends are in flight together and the poll is committed once
    # (a send and a commit per record capped the stage at a few dozen records per second).
    @broker.subscriber(
        names.raw, group_id=settings.group_id, auto_offset_reset="earliest", batch=True,
        max_records=settings.batch_max_records, batch_timeout_ms=settings.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR, decoder=batch_records,
        **fetch_options(settings.common),
    )
    async def on_raw(msg: KafkaMessage) -> None:
        await handler.handle_batch(await batch_records(msg))

    async def create_topics() -> None:
        await ensure_topics(settings.common.kafka_bootstrap, [names.raw, names.canonical,
                            names.dlq], settings.common.topic_partitions,
                            {names.raw: RAW_TOPIC_CONFIG}, kafka_security(settings.common))

    lag = LagMonitor(settings.common.kafka_bootstrap, metrics, {settings.group_id: [names.raw]},
                     settings.common.lag_interval_seconds, kafka_security(settings.common))
    readiness = Readiness(metrics, {"kafka": broker_check(broker)},
                          settings.common.ready_interval_seconds)
    app = AsgiFastStream(
        broker, asgi_routes=ops_routes(metrics, readiness), on_startup=[create_topics],
        after_startup=[lag.start, readiness.start], on_shutdown=[readiness.stop, lag.stop],
    )
    return app, broker
