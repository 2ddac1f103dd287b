"""Storage wiring on the in-memory broker with an in-memory fake of the repository port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.storage.config import StorageSettings
from services.storage.handlers import StorageHandler
from services.storage.main import build_app
from services.storage.repository import WriteResult
from shared.dlq import H_REASON, DeadLetters, Origin
from shared.events import (
    CanonicalArticle,
    EnrichedArticle,
    Enrichment,
    LinkUpdate,
    RelatedLink,
    ResolvedLink,
    StoryUpdate,
)
from shared.metrics import ServiceMetrics
from shared.runtime import raw_body
from shared.settings import CommonSettings
from shared.topics import Topics, TopicSettings
from tests.helpers import sample, scrape

pytestmark = pytest.mark.unit


class FakeRepo:
    """Keeps the newest version per id, like the Mongo adapter's guard, and applies recorded
    link resolutions to every version written, like the adapter's resolutions collection."""

    def __init__(self) -> None:
        self.docs: dict[str, EnrichedArticle] = {}
        self.fail_next = False
        self.merges: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        self.resolutions: dict[str, dict[str, str]] = {}

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
            self.docs[item.id] = self._resolved(item)
        return WriteResult(inserted, updated, stale)

    async def resolve_links(self, source_id: str, links: Sequence[ResolvedLink]) -> int:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("db down")
        self.resolutions.setdefault(source_id, {}).update(
            {link.headline: link.resolved_id for link in links})
        stored = self.docs.get(source_id)
        if stored is None:
            return 0
        self.docs[source_id] = self._resolved(stored)
        before = {r.resolved_id for r in stored.article.related}
        return sum(r.resolved_id not in before for r in self.docs[source_id].article.related)

    def _resolved(self, item: EnrichedArticle) -> EnrichedArticle:
        known = self.resolutions.get(item.id, {})
        related = tuple(r.model_copy(update={"resolved_id": known.get(r.headline, r.resolved_id)})
                        for r in item.article.related)
        return item.model_copy(update={"article": item.article.model_copy(
            update={"related": related})})

    async def merge_stories(self, root: str, merged: Sequence[str],
                            moved: Sequence[str] = ()) -> int:
        self.merges.append((root, tuple(merged), tuple(moved)))
        return len(merged)

    async def current_story(self, story_id: str) -> str:
        return next((root for root, merged, _ in self.merges if story_id in merged), story_id)

    async def ping(self) -> bool:
        return True


def enriched(article_id: str, version: int, related: tuple[str, ...] = ()) -> bytes:
    article = CanonicalArticle(id=article_id, uri=article_id, version=version, source="s",
                               format="f", headline=f"{article_id} v{version}",
                               related=tuple(RelatedLink(headline=h) for h in related))
    return EnrichedArticle(article=article, enrichment=Enrichment(enricher="t")).model_dump_json(
    ).encode()


def _app(uid: str, repo: FakeRepo) -> tuple[Any, KafkaBroker, Topics, list[dict[str, Any]]]:
    """The real app and its subscribers on topics of the test's own, with a DLQ spy."""
    names = Topics(f"t{uid}.")
    app, broker = build_app(StorageSettings(common=CommonSettings(
        topics=TopicSettings(namespace=names.namespace)), retry_backoff_s=0), repo=repo)
    dead: list[dict[str, Any]] = []

    @broker.subscriber(names.dlq, decoder=raw_body)
    async def on_dlq(msg: KafkaMessage) -> None:
        dead.append(dict(msg.headers))

    return app, broker, names, dead


def _handler(repo: FakeRepo) -> StorageHandler:
    return StorageHandler(repo, DeadLetters(KafkaBroker(), ServiceMetrics("storage"),
                                            "news.dlq"), retry_backoff_s=0)


async def test_batch_written_bad_record_dead_lettered_older_version_ignored(uid: str) -> None:
    repo = FakeRepo()
    app, broker, names, dead = _app(uid, repo)
    async with TestKafkaBroker(broker) as br:
        await br.publish_batch(enriched("a", 2), b"{not json", enriched("b", 1),
                               topic=names.enriched)
        await br.publish_batch(enriched("a", 1), topic=names.enriched)

    assert repo.docs["a"].version == 2
    assert set(repo.docs) == {"a", "b"}
    assert [h[H_REASON] for h in dead] == ["invalid_event"]
    seen = await scrape(app)
    assert sample(seen, "newswire_articles_stored_total", result="inserted") == 2.0
    assert sample(seen, "newswire_articles_stored_total", result="stale") == 1.0
    assert sample(seen, "newswire_articles_stored_total", result="updated") == 0.0


async def test_database_failure_raises_so_the_batch_is_not_committed() -> None:
    repo = FakeRepo()
    repo.fail_next = True
    handler = _handler(repo)

    class Record:
        topic, partition, offset, key, headers = "t", 0, 0, None, ()
        value = enriched("a", 1)

    with pytest.raises(ConnectionError):
        await handler.handle([Record()])
    assert await handler.handle([Record()]) == 1


async def test_story_merge_event_relabels_and_bad_event_is_dead_lettered() -> None:
    repo = FakeRepo()
    handler = _handler(repo)
    merge = StoryUpdate(story_id="st-1", article_id="a", article_version=1, headline="h",
                        size=3, merged_from=("st-2", "st-3"), moved=("x", "y"))
    plain = StoryUpdate(story_id="st-1", article_id="b", article_version=1, headline="h", size=4)
    origin = Origin(topic="news.story")
    assert await handler.handle_story(merge.model_dump_json().encode(), origin) == 2
    assert await handler.handle_story(plain.model_dump_json().encode(), origin) == 0
    assert repo.merges == [("st-1", ("st-2", "st-3"), ("x", "y"))]


def link_update(source: str, **links: str) -> bytes:
    return LinkUpdate(source_id=source, links=tuple(
        ResolvedLink(headline=h, resolved_id=r) for h, r in links.items())).model_dump_json(
    ).encode()


async def test_link_updates_before_and_after_the_article_bad_one_dead_lettered(uid: str) -> None:
    repo = FakeRepo()
    app, broker, names, dead = _app(uid, repo)
    async with TestKafkaBroker(broker) as br:
        # Resolved before the source is stored, then the source arrives, then one more.
        await br.publish(link_update("src", first="a"), topic=names.links, key=b"src")
        await br.publish_batch(enriched("src", 1, ("first", "second")), topic=names.enriched)
        await br.publish(link_update("src", second="b"), topic=names.links, key=b"src")
        await br.publish(b'{"source_id": "src", "links": []}', topic=names.links)
        await br.publish(b"\xff not json", topic=names.links)
        # A newer version keeps both resolutions.
        await br.publish_batch(enriched("src", 2, ("second", "first", "third")),
                               topic=names.enriched)

    related = {r.headline: r.resolved_id for r in repo.docs["src"].article.related}
    assert related == {"first": "a", "second": "b", "third": None}
    assert [h[H_REASON] for h in dead] == ["invalid_event", "invalid_event"]
    assert sample(await scrape(app), "newswire_messages_total", service="storage",
                  stage="links", outcome="ok") == 2


async def test_link_update_database_failure_raises_so_the_event_is_read_again() -> None:
    repo = FakeRepo()
    handler = _handler(repo)
    await repo.upsert_many([EnrichedArticle.model_validate_json(enriched("src", 1, ("h",)))])
    repo.fail_next = True
    with pytest.raises(ConnectionError):
        await handler.handle_links(link_update("src", h="x"), Origin(topic="news.links"))
    assert await handler.handle_links(link_update("src", h="x"), Origin(topic="news.links")) == 1
    assert await handler.handle_links(link_update("src", h="x"), Origin(topic="news.links")) == 0


def test_composition_root_wires_links_with_its_own_group_and_nack_on_error() -> None:
    _app, broker = build_app(StorageSettings(common=CommonSettings(
        topics=TopicSettings(namespace="w."))), repo=FakeRepo())
    subscribers: list[Any] = list(broker.subscribers)
    wired = {(t.name, s.group_id, s.ack_policy) for s in subscribers for t in s.topics}
    assert ("w.news.links", "newswire-storage-links", AckPolicy.NACK_ON_ERROR) in wired
    assert {name for name, _, _ in wired} == {"w.news.enriched", "w.news.story", "w.news.links"}


async def test_a_poll_of_story_events_records_its_merges_in_order_and_skips_the_rest() -> None:
    repo, broker = FakeRepo(), KafkaBroker()
    letters: list[bytes] = []

    @broker.subscriber("news.dlq", group_id="spy", decoder=raw_body)
    async def spy(msg: KafkaMessage) -> None:
        letters.append(bytes(msg.body))

    handler = StorageHandler(repo, DeadLetters(broker, ServiceMetrics("storage"), "news.dlq"))

    class Record:
        topic, partition, key, headers = "news.story", 0, None, ()

        def __init__(self, offset: int, value: bytes) -> None:
            self.offset, self.value = offset, value

    def event(story: str, article: str, *merged: str) -> bytes:
        return StoryUpdate(story_id=story, article_id=article, article_version=1, headline="h",
                           size=2, merged_from=merged).model_dump_json().encode()

    poll = [event("st-1", "a"), event("st-1", "b", "st-2"), b"\xff not json",
            event("st-3", "c"), event("st-3", "d", "st-1")]
    async with TestKafkaBroker(broker):
        moved = await handler.handle_events([Record(i, v) for i, v in enumerate(poll)], "story")
    assert moved == 2
    assert [(root, merged) for root, merged, _ in repo.merges] == [("st-1", ("st-2",)),
                                                                  ("st-3", ("st-1",))]
    assert letters == [b"\xff not json"]


def test_story_and_link_events_are_consumed_a_poll_at_a_time() -> None:
    _app, broker = build_app(StorageSettings(common=CommonSettings(
        topics=TopicSettings(namespace="w."))), repo=FakeRepo())
    subscribers: list[Any] = list(broker.subscribers)
    batched = {t.name for s in subscribers for t in s.topics if "Batch" in type(s).__name__}
    assert batched == {"w.news.enriched", "w.news.story", "w.news.links"}
    # The events' fetches wait longer than the articles' (quiet topics, no reader waiting).
    waits = {t.name: s._connection_args["fetch_max_wait_ms"] for s in subscribers
             for t in s.topics}
    assert waits == {"w.news.enriched": 50, "w.news.story": 500, "w.news.links": 500}
