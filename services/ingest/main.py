"""Composition root of ingest: settings, broker, HTTP push endpoint, ASGI app."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker

from shared import topics
from shared.logs import configure
from shared.metrics import ServiceMetrics
from shared.runtime import RAW_TOPIC_CONFIG, broker_check, ensure_topics, make_broker, ops_routes

from .config import IngestSettings
from .http import articles_endpoint

SERVICE = "ingest"


def build_app(settings: IngestSettings | None = None) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or IngestSettings()
    configure(SERVICE, settings.common.log_level, json_lines=settings.common.log_json)
    metrics = ServiceMetrics(SERVICE)
    # Large wires must fit one request; the broker's own limit (1 MiB default) is raised to match.
    broker = make_broker(settings.common, SERVICE, metrics,
                         max_request_size=settings.max_payload_bytes + 64 * 1024)
    broker.publisher(topics.RAW, title="news.raw",
                     description="Raw envelopes: original bytes, metadata in nw-* headers")

    async def create_topics() -> None:
        await ensure_topics(settings.common.kafka_bootstrap, [topics.RAW, topics.DLQ],
                            settings.common.topic_partitions,
                            {topics.RAW: RAW_TOPIC_CONFIG})

    routes = [("/v1/articles", articles_endpoint(broker, settings, metrics)),
              *ops_routes(SERVICE, metrics, {"kafka": broker_check(broker)})]
    return AsgiFastStream(broker, asgi_routes=routes, on_startup=[create_topics]), broker
