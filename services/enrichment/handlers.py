"""Annotation batch handling: validate, annotate (pure), publish to the linker's stream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from shared.dlq import DeadLetters
from shared.events import CanonicalArticle, EnrichedArticle
from shared.runtime import Timer, record_origin

from .pipeline import Annotator, annotated

log = logging.getLogger("newswire.enrichment")
STAGE = "annotate"
REASONS = ("invalid_article", "enricher_crash")
HEADERS = {"content-type": "application/json"}


class AnnotationHandler:
    def __init__(self, broker: KafkaBroker, dead_letters: DeadLetters, annotator: Annotator, *,
                 out_topic: str, chunk: int = 8) -> None:
        self.broker, self.metrics, self.annotator = broker, dead_letters.metrics, annotator
        self.out_topic, self.chunk = out_topic, chunk
        self.dlq = dead_letters.stage(STAGE, self, REASONS)

    def annotate(self, value: bytes) -> EnrichedArticle:
        return annotated(self.annotator.annotate(CanonicalArticle.model_validate_json(value)))

    async def handle(self, records: Sequence[object]) -> list[EnrichedArticle]:
        """Annotates a poll's records and sends them in order to the one-partition stream;
        raises only when Kafka fails (then the batch is nacked and read again)."""
        out: list[EnrichedArticle] = []
        sent: list[asyncio.Task[object]] = []
        with Timer(self.metrics, STAGE):
            for at in range(0, len(records), self.chunk):
                # Annotation is CPU work: in a worker thread, so the consumer's heartbeats
                # keep going while a poll is annotated (a blocked loop lets the session
                # expire, and the group hands the poll to another replica).
                part, failed = await asyncio.to_thread(self._annotate_all,
                                                       records[at:at + self.chunk])
                for record, value, exc, reason in failed:
                    await self.dlq.publish(value, record_origin(record), exc, reason)
                # All to partition 0: the linker reads one totally ordered stream. Queued in
                # this order while the next part is annotated; all awaited before the commit.
                sent += [asyncio.ensure_future(self.broker.publish(
                    item.model_dump_json().encode(), self.out_topic, key=item.id.encode(),
                    partition=0, headers=HEADERS)) for item in part]
                out += part
            await asyncio.gather(*sent)
        self.metrics.ok(STAGE, len(out))
        return out

    def _annotate_all(self, records: Sequence[object]) -> tuple[
            list[EnrichedArticle], list[tuple[object, bytes, Exception, str]]]:
        out: list[EnrichedArticle] = []
        failed: list[tuple[object, bytes, Exception, str]] = []
        for record in records:
            value: bytes = getattr(record, "value", b"") or b""
            try:
                out.append(self.annotate(value))
            except ValidationError as exc:
                failed.append((record, value, exc, "invalid_article"))
            except Exception as exc:
                log.exception("annotator crashed", extra={"offset": getattr(record, "offset", -1)})
                failed.append((record, value, exc, "enricher_crash"))
        return out, failed
