"""Storage wiring on the in-memory broker with an in-memory fake of the repository port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.storage.handlers import StorageHandler
from services.storage.main import _records
from services.storage.repository import WriteResult
from shared.dlq import H_REASON, Origin
from shared.events import CanonicalArticle, EnrichedArticle, Enrichment, StoryUpdate
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body

pytestmark = pytest.mark.unit


class FakeRepo:
    """Keeps the newest version per id, like the Mongo adapter's guard."""

    def __init__(self) -> None:
        self.docs: dict[str, EnrichedArticle] = {}
        self.fail_next = False
        self.merges: list[tuple[str, tuple[str, ...]]] = []

    async def upsert_many(self, items: Sequence[EnrichedArticle]) -> WriteResult:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("db down")
        inserted = updated = stale = 0
        for item in items:
            old = self.docs.get(item.id)
            if old is None:
                inserted += 1
            elif old.version > item.version:
                stale += 1
                continue
            else:
                updated += 1
            self.docs[item.id] = item
        return WriteResult(inserted, updated, stale)

    async def merge_stories(self, root: str, merged: Sequence[str]) -> int:
        self.merges.append((root, tuple(merged)))
        return len(merged)

    async def ping(self) -> bool:
        return True


def enriched(article_id: str, version: int) -> bytes:
    article = CanonicalArticle(id=article_id, uri=article_id, version=version, source="s",
                               format="f", headline=f"{article_id} v{version}")
    return EnrichedArticle(article=article, enrichment=Enrichment(enricher="t")).model_dump_json(
    ).encode()


async def test_batch_written_bad_record_dead_lettered_older_version_ignored(uid: str) -> None:
    broker = KafkaBroker()
    repo = FakeRepo()
    metrics = ServiceMetrics("storage")
    handler = StorageHandler(broker, repo, metrics, retry_backoff_s=0, dlq_topic=f"dlq-{uid}")
    dead: list[dict[str, Any]] = []

    @broker.subscriber(f"enriched-{uid}", batch=True, ack_policy=AckPolicy.NACK_ON_ERROR,
                       decoder=_records)
    async def on_enriched(msg: KafkaMessage) -> None:
        await handler.handle(await _records(msg))

    @broker.subscriber(f"dlq-{uid}", decoder=raw_body)
    async def on_dlq(msg: KafkaMessage) -> None:
        dead.append(dict(msg.headers))

    async with TestKafkaBroker(broker) as br:
        await br.publish_batch(enriched("a", 2), b"{not json", enriched("b", 1),
                               topic=f"enriched-{uid}")
        await br.publish_batch(enriched("a", 1), topic=f"enriched-{uid}")

    assert repo.docs["a"].version == 2
    assert set(repo.docs) == {"a", "b"}
    assert [h[H_REASON] for h in dead] == ["invalid_event"]
    stored = metrics.registry.get_sample_value("newswire_articles_stored_total",
                                               {"result": "inserted"})
    assert stored == 2.0
    assert metrics.registry.get_sample_value("newswire_articles_stored_total",
                                             {"result": "stale"}) == 1.0


async def test_database_failure_raises_so_the_batch_is_not_committed() -> None:
    repo = FakeRepo()
    repo.fail_next = True
    handler = StorageHandler(KafkaBroker(), repo, ServiceMetrics("storage"), retry_backoff_s=0)

    class Record:
        topic, partition, offset, key, headers = "t", 0, 0, None, ()
        value = enriched("a", 1)

    with pytest.raises(ConnectionError):
        await handler.handle([Record()])
    assert await handler.handle([Record()]) == 1


async def test_story_merge_event_relabels_and_bad_event_is_dead_lettered() -> None:
    repo = FakeRepo()
    handler = StorageHandler(KafkaBroker(), repo, ServiceMetrics("storage"), retry_backoff_s=0)
    merge = StoryUpdate(story_id="st-1", article_id="a", article_version=1, headline="h",
                        size=3, merged_from=("st-2", "st-3"))
    plain = StoryUpdate(story_id="st-1", article_id="b", article_version=1, headline="h", size=4)
    origin = Origin(topic="news.story")
    assert await handler.handle_story(merge.model_dump_json().encode(), origin) == 2
    assert await handler.handle_story(plain.model_dump_json().encode(), origin) == 0
    assert repo.merges == [("st-1", ("st-2", "st-3"))]
