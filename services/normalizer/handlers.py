"""Normalizer handling: validate the envelope, call the pure pipeline, emit or dead-letter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from shared.dlq import DeadLetters, Origin
from shared.envelope import EnvelopeError, from_record
from shared.events import CanonicalArticle
from shared.runtime import Timer, record_origin

from .parsers.base import ParseError
from .pipeline import normalize

log = logging.getLogger("newswire.normalizer")
STAGE = "normalize"


def parse_reasons() -> list[str]:
    """Every ParseError kind's reason (the parsers are imported with the pipeline)."""
    reasons, kinds = [], [ParseError]
    while kinds:
        kind = kinds.pop()
        reasons.append(kind.reason)
        kinds += kind.__subclasses__()
    return sorted(set(reasons))


REASONS = ("bad_envelope", "parser_crash", *parse_reasons())


class NormalizerHandler:
    def __init__(self, broker: KafkaBroker, dead_letters: DeadLetters, max_bytes: int, *,
                 out_topic: str) -> None:
        self.broker, self.metrics, self.max_bytes = broker, dead_letters.metrics, max_bytes
        self.out_topic = out_topic
        self.dlq = dead_letters.stage(STAGE, self, REASONS, aged=True)

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
                await self.dlq.publish(value, origin, exc, getattr(exc, "reason", "bad_envelope"))
                return []
            except Exception as exc:
                log.exception("parser crashed", extra={"offset": origin.offset})
                await self.dlq.publish(value, origin, exc, "parser_crash")
                return []
            await asyncio.gather(*(self._emit(a) for a in articles))
        self.metrics.ok(STAGE, len(articles))
        log.info("normalized", extra={"parser": parser, "ids": [a.id for a in articles]})
        return articles

    async def _emit(self, article: CanonicalArticle) -> None:
        self.metrics.observe_age(STAGE, article.received_at)
        await self.broker.publish(
            article.model_dump_json().encode(), self.out_topic, key=article.id.encode(),
            headers={"content-type": "application/json", "nw-trace-id": article.trace_id or ""},
        )
