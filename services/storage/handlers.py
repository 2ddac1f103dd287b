"""Storage batch handling: validate each record, dead-letter bad ones, write the rest at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TypeVar

from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ValidationError

from shared import topics
from shared.dlq import Origin, dead_letter
from shared.events import EnrichedArticle, LinkUpdate, StoryUpdate, utcnow
from shared.metrics import ServiceMetrics
from shared.runtime import Timer, publish_dead_letter, record_origin

from .repository import ArticleRepository

log = logging.getLogger("newswire.storage")
STAGE = "store"
E = TypeVar("E", bound=BaseModel)


class StorageHandler:
    def __init__(self, broker: KafkaBroker, repo: ArticleRepository, metrics: ServiceMetrics,
                 retry_backoff_s: float = 1.0, *, dlq_topic: str = topics.DLQ) -> None:
        self.broker, self.repo, self.metrics = broker, repo, metrics
        self.dlq_topic = dlq_topic
        self.retry_backoff_s = retry_backoff_s

    async def handle(self, records: Sequence[object]) -> int:
        """Returns how many articles were written; raises only when the database fails."""
        with Timer(self.metrics, STAGE):
            valid = [item for item in await asyncio.gather(*map(self._validate, records)) if item]
            try:
                result = await self.repo.upsert_many(valid)
            except Exception:
                # Not acknowledged: back off, then let the nack rewind the batch for a retry.
                log.exception("database write failed; batch will be redelivered")
                await asyncio.sleep(self.retry_backoff_s)
                raise
        for label, n in (("inserted", result.inserted), ("updated", result.updated),
                         ("stale", result.stale)):
            self.metrics.articles_stored.labels(label).inc(n)
        self.metrics.ok(STAGE, len(valid))
        now = utcnow()
        for item in valid:
            if item.article.received_at is not None:
                age = (now - item.article.received_at).total_seconds()
                self.metrics.end_to_end.labels(self.metrics.service, STAGE).observe(max(age, 0))
        return len(valid)

    async def handle_story(self, value: bytes, origin: Origin) -> int:
        """A story absorbed others: record the aliases (news.story)."""
        update = await self._event(StoryUpdate, value, origin, "story")
        if update is None or not update.merged_from:
            return 0
        moved = await self.repo.merge_stories(update.story_id, update.merged_from, update.moved)
        self.metrics.ok("story")
        return moved

    async def handle_links(self, value: bytes, origin: Origin) -> int:
        """Later articles resolved a source's related headlines: set them on it (news.links)."""
        update = await self._event(LinkUpdate, value, origin, "links")
        if update is None:
            return 0
        changed = await self.repo.resolve_links(update.source_id, update.links)
        self.metrics.ok("links")
        return changed

    async def _event(self, model: type[E], value: bytes, origin: Origin, stage: str) -> E | None:
        """The event, or None once an invalid one is dead-lettered."""
        try:
            return model.model_validate_json(value)
        except ValidationError as exc:
            letter = dead_letter(value=value, origin=origin, service="storage", stage=stage,
                                 handler=type(self).__qualname__, reason="invalid_event", exc=exc)
            await publish_dead_letter(self.broker, letter, self.metrics, stage, self.dlq_topic)
            return None

    async def _validate(self, record: object) -> EnrichedArticle | None:
        value: bytes = getattr(record, "value", b"") or b""
        try:
            return EnrichedArticle.model_validate_json(value)
        except ValidationError as exc:
            origin = record_origin(record)
            letter = dead_letter(value=value, origin=origin, service="storage", stage=STAGE,
                                 handler=type(self).__qualname__, reason="invalid_event", exc=exc)
            await publish_dead_letter(self.broker, letter, self.metrics, STAGE, self.dlq_topic)
            return None
