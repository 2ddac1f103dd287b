"""Composition root of the annotation service (services.enrichment): broker, subscriber, app."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.specification import AsyncAPI

from shared.dlq import DeadLetters
from shared.events import EnrichedArticle, LinkUpdate, StoryUpdate
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
from shared.topics import Topics

from .config import EnrichmentSettings
from .handlers import AnnotationHandler
from .pipeline import Annotator
from .vocab import shared_vocabulary

SERVICE = "enrichment"


def stream_topics(names: Topics) -> list[str]:
    """Every per-top-level stream, e.g. news.enriched.politics, from the vocabulary."""
    vocab = shared_vocabulary()
    return [names.enriched_for(vocab.concepts[q].labels["en"]) for q in vocab.top_levels]


def _document_streams(broker: KafkaBroker, names: Topics) -> None:
    """Declared publishers put every output stream and its payload into the AsyncAPI spec."""
    broker.publisher(names.enriched, schema=EnrichedArticle, title="news.enriched",
                     description="Every enriched article; key = article id.")
    for name in stream_topics(names):
        broker.publisher(name, schema=EnrichedArticle, title=name,
                         description="Enriched articles with this top-level IPTC Media Topic.")
    broker.publisher(names.annotated, schema=EnrichedArticle, title="news.annotated",
                     description="Internal: annotated articles, not yet linked, on one "
                                 "partition (the linker's input); key = article id.")
    broker.publisher(names.story, schema=StoryUpdate, title="news.story",
                     description="A story gained an article or absorbed others (merged_from); "
                                 "key = story id. Published by the linker.")
    broker.publisher(names.links, schema=LinkUpdate, title="news.links",
                     description="A later article resolved a source's related headlines; "
                                 "key = source article id. Published by the linker.")
    broker.publisher(names.dlq, schema=bytes, title="news.dlq",
                     description="Records that could not be enriched, with error headers.")


def build_app(settings: EnrichmentSettings | None = None,
              annotator: Annotator | None = None) -> tuple[AsgiFastStream, KafkaBroker]:
    settings = settings or EnrichmentSettings()
    common = settings.common
    configure(SERVICE, common.log_level, json_lines=common.log_json)
    metrics = ServiceMetrics(SERVICE)
    broker = make_broker(common, SERVICE, metrics)
    names = common.topics.names()
    handler = AnnotationHandler(broker, DeadLetters(broker, metrics, names.dlq),
                                annotator or Annotator.default(settings.model_dir),
                                out_topic=names.annotated, chunk=settings.chunk_records)

    # Stateless: any number of replicas share the group. NACK_ON_ERROR: only an
    # infrastructure failure (Kafka) raises, and then the batch is read again; bad articles
    # are dead-lettered and acked.
    @broker.subscriber(
        names.canonical, group_id=settings.group_id, auto_offset_reset="earliest", batch=True,
        max_records=settings.batch_max_records, batch_timeout_ms=settings.batch_timeout_ms,
        ack_policy=AckPolicy.NACK_ON_ERROR, decoder=batch_records,
        **fetch_options(common), title="news.canonical",
        description="CanonicalArticle JSON; key = article id.",
    )
    async def on_canonical(msg: KafkaMessage) -> None:
        await handler.handle(await batch_records(msg))

    _document_streams(broker, names)

    async def startup() -> None:
        await ensure_annotated_topic(common, names)
        await ensure_topics(common.kafka_bootstrap, [names.canonical, names.dlq],
                            common.topic_partitions, security=kafka_security(common))

    lag = LagMonitor(common.kafka_bootstrap, metrics, {settings.group_id: [names.canonical]},
                     common.lag_interval_seconds, kafka_security(common))
    readiness = Readiness(metrics, {"kafka": broker_check(broker)}, common.ready_interval_seconds)
    app = AsgiFastStream(
        broker, asgi_routes=ops_routes(metrics, readiness), on_startup=[startup],
        after_startup=[lag.start, readiness.start], on_shutdown=[readiness.stop, lag.stop],
        asyncapi_path="/asyncapi",
        specification=AsyncAPI(broker, title="newswire enrichment", version="0.2.0",
                               description="Annotation (language, IPTC Media Topics, "
                                           "keyphrases, entities) and the linker's streams."),
    )
    return app, broker
