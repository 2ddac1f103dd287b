"""Normalizer handling: validate the envelope, call the pure pipeline, emit or dead-letter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from shared import topics
from shared.dlq import Origin, dead_letter
from shared.envelope import EnvelopeError, from_record
from shared.events import CanonicalArticle, utcnow
from shared.metrics import ServiceMetrics
from shared.runtime import Timer, publish_dead_letter, record_origin

from .parsers.base import ParseError
from .pipeline import normalize

log = logging.getLogger("newswire.normalizer")
STAGE = "normalize"


class NormalizerHandler:
    def __init__(self, broker: KafkaBroker, metrics: ServiceMetrics, max_bytes: int, *,
                 out_topic: str = topics.CANONICAL, dlq_topic: str = topics.DLQ) -> None:
        self.broker, self.metrics, self.max_bytes = broker, metrics, max_bytes
        self.out_topic, self.dlq_topic = out_topic, dlq_topic

    async def handle_batch(self, records: Sequence[object]) -> int:
        """A poll's records, each parsed and sent; every send is in flight at once and all are
        awaited before the poll is committed. Returns the articles sent."""
        done = await asyncio.gather(*(self.handle(getattr(r, "value", b"") or b"",
                                                  record_origin(r)) for r in records))
        return sum(map(len, done))

    async def handle(self, value: bytes, origin: Origin) -> list[CanonicalArticle]:
        with Timer(self.metrics, STAGE):
            try:
                raw = from_record(value, origin.headers, origin.key)
                parser, articles = normalize(raw, max_bytes=self.max_bytes)
            except (EnvelopeError, ParseError) as exc:
                await self._dead_letter(value, origin, exc, getattr(exc, "reason", "bad_envelope"))
                return []
            except Exception as exc:
                log.exception("parser crashed", extra={"offset": origin.offset})
                await self._dead_letter(value, origin, exc, "parser_crash")
                return []
            await asyncio.gather(*(self._emit(a) for a in articles))
        self.metrics.ok(STAGE, len(articles))
        log.info("normalized", extra={"parser": parser, "ids": [a.id for a in articles]})
        return articles

    async def _emit(self, article: CanonicalArticle) -> None:
        if article.received_at is not None:
            age = (utcnow() - article.received_at).total_seconds()
            self.metrics.end_to_end.labels(self.metrics.service, STAGE).observe(max(age, 0.0))
        await self.broker.publish(
            article.model_dump_json().encode(), self.out_topic, key=article.id.encode(),
            headers={"content-type": "application/json", "nw-trace-id": article.trace_id or ""},
        )

    async def _dead_letter(self, value: bytes, origin: Origin, exc: Exception, reason: str) -> None:
        letter = dead_letter(value=value, origin=origin, service="normalizer", stage=STAGE,
                             handler=type(self).__qualname__, reason=reason, exc=exc)
        await publish_dead_letter(self.broker, letter, self.metrics, STAGE, self.dlq_topic)
