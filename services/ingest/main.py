"""Composition root of ingest: settings, broker, HTTP push endpoint, feed poller, ASGI app."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker

from shared.logs import configure
from shared.metrics import ServiceMetrics
from shared.runtime import (
    RAW_TOPIC_CONFIG,
    Readiness,
    broker_check,
    ensure_topics,
    kafka_security,
    make_broker,
    ops_routes,
)

from .config import IngestSettings
from .feeds import FeedPoller
from .http import articles_endpoint

SERVICE = "ingest"


def build_app(settings: IngestSettings | None = None) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or IngestSettings()
    configure(SERVICE, settings.common.log_level, json_lines=settings.common.log_json)
    metrics = ServiceMetrics(SERVICE)
    # Pushes refused before Kafka are answered 4xx and counted by outcome, not as dead letters.
    metrics.declare("ingest_http")
    names = settings.common.topics.names()
    # Large wires must fit one request; the broker's own limit (1 MiB default) is raised to match.
    broker = make_broker(settings.common, SERVICE, metrics,
                         max_request_size=settings.max_payload_bytes + 64 * 1024)
    broker.publisher(names.raw, title="news.raw",
                     description="Raw envelopes: original bytes, metadata in nw-* headers")

    async def create_topics() -> None:
        await ensure_topics(settings.common.kafka_bootstrap, [names.raw, names.dlq],
                            settings.common.topic_partitions,
                            {names.raw: RAW_TOPIC_CONFIG}, kafka_security(settings.common))

    client = httpx.AsyncClient(timeout=settings.feed_timeout_seconds, follow_redirects=True)
    poller = FeedPoller(broker, settings.feeds, max_bytes=settings.max_payload_bytes,
                        client=client, topic=names.raw, metrics=metrics)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start_polling() -> None:
        # After startup: the broker is connected, so the first poll can publish at once.
        if settings.feeds:
            tasks.append(asyncio.create_task(poller.run(settings.feed_interval_seconds, stop)))

    async def stop_polling() -> None:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=settings.feed_timeout_seconds + 5)
        await client.aclose()

    readiness = Readiness(metrics, {"kafka": broker_check(broker)},
                          settings.common.ready_interval_seconds)
    routes = [("/v1/articles", articles_endpoint(broker, settings, metrics)),
              *ops_routes(metrics, readiness)]
    app = AsgiFastStream(broker, asgi_routes=routes, on_startup=[create_topics],
                         after_startup=[start_polling, readiness.start],
                         on_shutdown=[readiness.stop, stop_polling])
    return app, broker
