"""Enrichment message handling: validate, call the pure pipeline, publish or dead-letter."""

from __future__ import annotations

import asyncio
import logging

from faststream.kafka import KafkaBroker
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from shared import topics
from shared.dlq import Origin, dead_letter
from shared.events import CanonicalArticle, EnrichedArticle, utcnow
from shared.metrics import ServiceMetrics
from shared.runtime import Timer, publish_dead_letter

from .pipeline import EnrichmentPipeline, Result, topic_streams

log = logging.getLogger("newswire.enrichment")
STAGE = "enrich"
HEADERS = {"content-type": "application/json"}


class EnrichmentHandler:
    def __init__(self, broker: KafkaBroker, metrics: ServiceMetrics,
                 pipeline: EnrichmentPipeline) -> None:
        self.broker, self.metrics, self.pipeline = broker, metrics, pipeline

    async def handle(self, value: bytes, origin: Origin) -> Result | None:
        with Timer(self.metrics, STAGE):
            try:
                article = CanonicalArticle.model_validate_json(value)
                result = await self.pipeline.enrich(article)
            except ValidationError as exc:
                await self._dead_letter(value, origin, exc, "invalid_article")
                return None
            except PyMongoError:
                raise  # the store is down: nack and re-read, never drop the article
            except Exception as exc:
                log.exception("enricher crashed", extra={"offset": origin.offset})
                await self._dead_letter(value, origin, exc, "enricher_crash")
                return None
            await self.emit(result)
        self.metrics.ok(STAGE)
        return result

    async def emit(self, result: Result) -> None:
        """Enriched article to news.enriched and its topic streams, then the story event."""
        # Sent concurrently and all awaited: the offset is committed only after every stream
        # acknowledged, and no two sends share a topic and key, so no ordering is at stake.
        sends = [self._publish_article(enriched)
                 for enriched in (result.enriched, *result.republish)]
        if result.story is not None:
            sends.append(self.broker.publish(result.story.model_dump_json().encode(),
                                             topics.STORY, key=result.story.story_id.encode(),
                                             headers=HEADERS))
        await asyncio.gather(*sends)
        received = result.enriched.article.received_at
        if received is not None:
            age = max((utcnow() - received).total_seconds(), 0.0)
            self.metrics.end_to_end.labels(self.metrics.service, STAGE).observe(age)

    async def _publish_article(self, enriched: EnrichedArticle) -> None:
        body, key = enriched.model_dump_json().encode(), enriched.id.encode()
        await asyncio.gather(*(self.broker.publish(body, topic, key=key, headers=HEADERS)
                               for topic in (topics.ENRICHED, *topic_streams(enriched))))

    async def _dead_letter(self, value: bytes, origin: Origin, exc: Exception,
                           reason: str) -> None:
        letter = dead_letter(value=value, origin=origin, service="enrichment", stage=STAGE,
                             handler=type(self).__qualname__, reason=reason, exc=exc)
        await publish_dead_letter(self.broker, letter, self.metrics, STAGE)
