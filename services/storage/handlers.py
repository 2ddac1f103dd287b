"""Storage batch handling: validate each record, dead-letter bad ones, write the rest at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from shared.dlq import DeadLetters, Origin, StageLetters
from shared.events import EnrichedArticle, LinkUpdate, StoryUpdate, utcnow
from shared.runtime import Timer, record_origin

from .repository import ArticleRepository

log = logging.getLogger("newswire.storage")
STAGE = "store"
REASONS = ("invalid_event",)
E = TypeVar("E", bound=BaseModel)


class StorageHandler:
    def __init__(self, repo: ArticleRepository, dead_letters: DeadLetters,
                 retry_backoff_s: float = 1.0) -> None:
        self.repo, self.metrics = repo, dead_letters.metrics
        self.retry_backoff_s = retry_backoff_s
        self.dlq = dead_letters.stage(STAGE, self, REASONS, aged=True)
        # news.story and news.links events: one at a time, untimed, with no article age.
        self.events = {stage: dead_letters.stage(stage, self, REASONS, timed=False)
                       for stage in ("story", "links")}
        self.metrics.declare_stored()

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
            self.metrics.observe_age(STAGE, item.article.received_at, now)
        return len(valid)

    async def handle_events(self, records: Sequence[object], stage: str) -> int:
        """A poll of news.story or news.links, in order; one offset commit for all of it.
        Most story events only announce that a story gained an article: they are skipped
        without a database call, and a commit per event cost a broker round trip each."""
        handle = self.handle_story if stage == "story" else self.handle_links
        done = 0
        for record in records:
            done += await handle(getattr(record, "value", b"") or b"", record_origin(record))
        return done

    async def handle_story(self, value: bytes, origin: Origin) -> int:
        """A story absorbed others: record the aliases (news.story)."""
        update = await self._event(StoryUpdate, value, origin, self.events["story"])
        if update is None or not update.merged_from:
            return 0
        moved = await self.repo.merge_stories(update.story_id, update.merged_from, update.moved)
        self.metrics.ok("story")
        return moved

    async def handle_links(self, value: bytes, origin: Origin) -> int:
        """Later articles resolved a source's related headlines: set them on it (news.links)."""
        update = await self._event(LinkUpdate, value, origin, self.events["links"])
        if update is None:
            return 0
        changed = await self.repo.resolve_links(update.source_id, update.links)
        self.metrics.ok("links")
        return changed

    @staticmethod
    async def _event(model: type[E], value: bytes, origin: Origin, dlq: StageLetters
                     ) -> E | None:
        """The event, or None once an invalid one is dead-lettered."""
        try:
            return model.model_validate_json(value)
        except ValidationError as exc:
            await dlq.publish(value, origin, exc, "invalid_event")
            return None

    async def _validate(self, record: object) -> EnrichedArticle | None:
        value: bytes = getattr(record, "value", b"") or b""
        try:
            return EnrichedArticle.model_validate_json(value)
        except ValidationError as exc:
            await self.dlq.publish(value, record_origin(record), exc, "invalid_event")
            return None
