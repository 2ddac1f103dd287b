"""Storage repository on a real Mongo-wire database: resolved links, story merges, _id writes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from services.storage.repository import MongoArticleRepository, WriteResult
from shared.events import (
    CanonicalArticle,
    EnrichedArticle,
    Enrichment,
    RelatedLink,
    ResolvedLink,
)

pytestmark = pytest.mark.integration
T0 = datetime(2026, 1, 21, 8, 0, tzinfo=UTC)


class Filters(CommandListener):
    """Records (command, collection, filter) of every read and write filter a client sends."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event: CommandStartedEvent) -> None:
        cmd, name = event.command, event.command_name
        if name == "find":
            self.seen.append((name, cmd["find"], dict(cmd.get("filter", {}))))
        elif name == "update":
            self.seen += [(name, cmd["update"], dict(u["q"])) for u in cmd["updates"]]
        elif name == "delete":
            self.seen += [(name, cmd["delete"], dict(d["q"])) for d in cmd["deletes"]]
        elif name == "findAndModify":
            self.seen.append((name, cmd["findAndModify"], dict(cmd.get("query", {}))))
        elif name in ("aggregate", "count", "distinct"):
            self.seen.append((name, str(cmd[name]), {"pipeline-or-query": True}))

    def succeeded(self, _event: CommandSucceededEvent) -> None:
        return

    def failed(self, _event: CommandFailedEvent) -> None:
        return

    def scanning(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Filters FerretDB cannot push down: anything but exactly {_id: <plain value>}."""
        return [s for s in self.seen
                if set(s[2]) != {"_id"} or isinstance(s[2]["_id"], dict)]


def mongo_url() -> str:
    url = os.environ.get("NEWSWIRE_MONGO_URL")
    if not url:
        pytest.fail("NEWSWIRE_MONGO_URL is not set: start deploy/local/infra.sh and eval its env")
    return url


@pytest.fixture
async def repo() -> AsyncIterator[tuple[MongoArticleRepository, Filters]]:
    name = f"nw_storage_test_{uuid.uuid4().hex[:8]}"
    filters = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url(), tz_aware=True, event_listeners=[filters])
    repository = MongoArticleRepository(client[name], "articles", "article_versions")
    await repository.ensure_indexes()
    yield repository, filters
    await client.drop_database(name)
    await client.close()


def item(aid: str, version: int = 1, story: str | None = None, related: tuple[str, ...] = (),
         minutes: int = 0) -> EnrichedArticle:
    article = CanonicalArticle(id=aid, uri=aid, version=version, source="t", format="t",
                               headline=f"{aid} v{version}",
                               related=tuple(RelatedLink(headline=h) for h in related))
    return EnrichedArticle(article=article, enrichment=Enrichment(
        enricher="t", story_id=story, enriched_at=T0 + timedelta(minutes=minutes)))


async def related_of(repo: MongoArticleRepository, aid: str) -> dict[str, str | None]:
    doc = await repo.articles.find_one({"_id": aid})
    assert doc is not None
    return {r["headline"]: r["resolved_id"] for r in doc["article"]["related"]}


async def story_of(repo: MongoArticleRepository, *ids: str) -> dict[str, str]:
    return {i: (await repo.articles.find_one({"_id": i}) or {}).get("story_id", "") for i in ids}


HEADS = ("Bahn streikt. Wieder $1", "Zoo eröffnet", "Dritter Link")


async def test_link_update_before_the_article_is_stored(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    assert await r.resolve_links("src", [ResolvedLink(headline=HEADS[0], resolved_id="x")]) == 0
    await r.upsert_many([item("src", related=HEADS)])
    assert await related_of(r, "src") == {HEADS[0]: "x", HEADS[1]: None, HEADS[2]: None}


async def test_link_update_after_the_article_is_stored_and_redelivered(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    await r.upsert_many([item("src", related=HEADS)])
    first = [ResolvedLink(headline=HEADS[1], resolved_id="y")]
    assert await r.resolve_links("src", first) == 1
    assert await r.resolve_links("src", first) == 0  # redelivery changes nothing
    assert await r.resolve_links("src", [ResolvedLink(headline=HEADS[0], resolved_id="x")]) == 1
    assert await r.resolve_links("src", first) == 0
    assert await related_of(r, "src") == {HEADS[0]: "x", HEADS[1]: "y", HEADS[2]: None}
    assert await r.resolve_links("src", [ResolvedLink(headline="not listed", resolved_id="z")]) == 0


async def test_newer_version_keeps_resolutions_even_with_links_reordered(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    await r.upsert_many([item("src", related=HEADS)])
    await r.resolve_links("src", [ResolvedLink(headline=HEADS[2], resolved_id="z")])
    reordered = (HEADS[2], "Neu dazu", HEADS[0])
    await r.upsert_many([item("src", version=2, related=reordered, minutes=1)])
    assert await related_of(r, "src") == {HEADS[2]: "z", "Neu dazu": None, HEADS[0]: None}
    # The older version redelivered loses to the stored one, which keeps its resolution.
    result = await r.upsert_many([item("src", version=1, related=HEADS)])
    assert result.stale == 1
    doc = await r.articles.find_one({"_id": "src"})
    assert doc is not None and doc["version"] == 2
    assert [x["resolved_id"] for x in doc["article"]["related"]] == ["z", None, None]


async def current(r: MongoArticleRepository, *ids: str) -> dict[str, str]:
    """Each article's story now: its stored story_id through the merge aliases."""
    stored = await story_of(r, *ids)
    return {i: await r.current_story(s) for i, s in stored.items()}


async def test_merge_chain_puts_every_article_in_the_root_without_rewriting_articles(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, filters = repo
    await r.upsert_many([item("a1", story="A"), item("a2", story="A"), item("b1", story="B"),
                         item("c1", story="C"), item("x1", story="X")])
    filters.seen.clear()
    assert await r.merge_stories("B", ["A"], ["a1", "a2"]) == 1
    assert await current(r, "a1", "a2", "b1") == {"a1": "B", "a2": "B", "b1": "B"}
    assert await r.merge_stories("C", ["B"], ["a1", "a2", "b1"]) == 2
    assert await current(r, "a1", "a2", "b1", "c1", "x1") == {
        "a1": "C", "a2": "C", "b1": "C", "c1": "C", "x1": "X"}
    assert await r.merge_stories("C", ["B"], ["a1", "a2", "b1"]) == 2  # redelivered: same
    # No merge wrote to the articles: they keep the story they were linked into.
    assert not [s for s in filters.seen if s[1] == "articles" and s[0] != "find"]
    assert await story_of(r, "a1", "b1") == {"a1": "A", "b1": "B"}
    # Written after both merges, enriched before them: they are in the root story too.
    await r.upsert_many([item("a3", story="A"), item("b2", story="B"),
                         item("a1", version=2, story="A", minutes=1)])
    assert await current(r, "a1", "a3", "b2") == {"a1": "C", "a3": "C", "b2": "C"}
    assert await r.merge_stories("X", ["C"]) == 3
    assert set((await current(r, "a1", "a2", "a3", "b1", "b2", "c1")).values()) == {"X"}
    # A reader finds the whole story by its ids, one indexed query.
    ids = await r.story_ids("A")
    assert ids == ["X", "A", "B", "C"]
    found = await r.articles.find({"story_id": {"$in": ids}}, {"_id": 1}).to_list(None)
    assert {d["_id"] for d in found} == {"a1", "a2", "a3", "b1", "b2", "c1", "x1"}


async def test_merges_handled_out_of_order_still_reach_the_root(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    await r.upsert_many([item("a1", story="A"), item("b1", story="B"), item("c1", story="C")])
    # news.story is keyed by story id: "C took B" may be read before "B took A".
    assert await r.merge_stories("C", ["B"]) == 1
    assert await r.merge_stories("B", ["A"]) == 2  # B is C now: A and B point at C
    assert await current(r, "a1", "b1", "c1") == {"a1": "C", "b1": "C", "c1": "C"}
    await r.upsert_many([item("a2", story="A")])
    assert await current(r, "a2") == {"a2": "C"}
    assert await r.story_ids("B") == ["C", "A", "B"]


async def test_merges_and_links_send_only_id_filters_among_many_articles(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    """A filter of exactly {_id: value} is one index lookup on MongoDB and the only one FerretDB
    pushes down. The one other filter is a merge's root lookup, `_id: {$in}` over the alias
    collection (one document per absorbed story, far fewer than articles). Writing articles
    reads nothing but the resolutions of open links."""
    r, filters = repo
    await r.upsert_many([item(f"n{i}", story=f"S{i % 50}") for i in range(400)])
    await r.upsert_many([item("a1", story="A", related=HEADS), item("b1", story="B")])
    filters.seen.clear()
    await r.merge_stories("B", ["A"], ["a1"])
    await r.merge_stories("C", ["B"], ["a1", "b1"])
    await r.resolve_links("a1", [ResolvedLink(headline=HEADS[0], resolved_id="n1")])
    await r.resolve_links("zz", [ResolvedLink(headline=HEADS[0], resolved_id="n1")])
    merges_and_links = filters.scanning()
    filters.seen.clear()
    await r.upsert_many([item("a2", story="A"), item("zz", related=HEADS),
                         *(item(f"n{i}", story=f"S{i % 50}") for i in range(400, 700))])
    assert filters.seen, "the listener saw no command"
    assert filters.scanning() == []
    assert [s[1] for s in filters.seen if s[0] == "find"] == [r.links.name]
    assert all(s[0] == "find" and s[1] == r.stories.name and list(s[2]) == ["_id"]
               for s in merges_and_links)
    assert await current(r, "a1", "a2", "b1") == {"a1": "C", "a2": "C", "b1": "C"}
    assert (await related_of(r, "zz"))[HEADS[0]] == "n1"


async def test_articles_without_open_links_cost_no_read_of_the_resolutions(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, filters = repo
    await r.upsert_many([item("a", story="S"), item("b")])
    assert not [s for s in filters.seen if s[1] == r.links.name]
    await r.upsert_many([item("c", related=HEADS)])
    assert [s[:2] for s in filters.seen if s[1] == r.links.name] == [("find", r.links.name)]


async def test_stored_ids_are_updated_without_a_scanning_filter(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, filters = repo
    await r.upsert_many([item("a", story="S"), item("b", story="S")])
    filters.seen.clear()
    result = await r.upsert_many([item("a", version=2, story="S", minutes=1),
                                  item("b", story="S")])
    # FerretDB serves anything but {_id: value} by decoding every stored article: a guarded
    # {_id, order_key} update cost it seconds of CPU per article in the chaos run.
    assert filters.scanning() == []
    assert result == WriteResult(inserted=0, updated=1, stale=1)
    filters.seen.clear()
    redelivered = await r.upsert_many([item("a", version=2, story="S", minutes=1),
                                       item("b", story="S")])
    assert filters.scanning() == []
    assert redelivered == WriteResult(inserted=0, updated=0, stale=2)
    assert [v["version"] for v in await r.history("a")] == [1, 2]
    assert (await r.articles.find_one({"_id": "a"}) or {})["version"] == 2


class ReadThenInterleave:
    """The real collection, but the first find_one whose projection is `when` runs `hook`
    (another writer) after reading: the other writer lands right after that read."""

    def __init__(self, collection: Any, hook: Any, when: dict[str, int] | None = None) -> None:
        self.collection, self.hook, self.when = collection, hook, when

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        found = await self.collection.find_one(*args, **kwargs)
        projection = args[1] if len(args) > 1 else kwargs.get("projection")
        if self.hook is not None and (self.when is None or projection == self.when):
            hook, self.hook = self.hook, None
            await hook()
        return found


async def test_version_landing_during_a_link_patch_is_repaired(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    await r.upsert_many([item("src", related=HEADS)])
    await r.resolve_links("src", [ResolvedLink(headline=HEADS[0], resolved_id="x")])
    reordered = (HEADS[2], "Neu dazu", HEADS[0])

    # Another storage replica (its own database slots) writes meanwhile.
    replica = MongoArticleRepository(r.db, "articles", "article_versions")

    async def newer_version() -> None:
        await replica.upsert_many([item("src", version=2, related=reordered, minutes=1)])

    real = r.articles
    r.articles = ReadThenInterleave(real, newer_version)  # type: ignore[assignment]
    # Index 1 was HEADS[1] when read; in version 2 it is another link, which must stay open.
    await r.resolve_links("src", [ResolvedLink(headline=HEADS[1], resolved_id="y")])
    r.articles = real
    doc = await real.find_one({"_id": "src"})
    assert doc is not None and doc["version"] == 2
    assert [(x["headline"], x["resolved_id"]) for x in doc["article"]["related"]] == [
        (HEADS[2], None), ("Neu dazu", None), (HEADS[0], "x")]


async def test_history_keeps_every_version_whole_and_in_order(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    await r.upsert_many([item("h", version=1, minutes=0)])
    await r.upsert_many([item("h", version=2, related=HEADS[:1], minutes=1)])
    await r.upsert_many([item("h", version=1, minutes=0)])  # a late redelivery adds nothing
    versions = await r.history("h")
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["article"]["headline"] for v in versions] == ["h v1", "h v2"]
    assert versions[1]["article"]["related"][0]["headline"] == HEADS[0]
    assert versions[1]["enrichment"]["enriched_at"] == T0 + timedelta(minutes=1)
    assert versions[1] == await r.articles.find_one({"_id": "h"})


async def test_an_older_copy_written_after_a_newer_one_is_put_back_by_its_writer(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    # A zombie replica: it read the stored copy (v1) and recorded its key, then a newer writer
    # stored v3 and finished, and only then does the zombie's write of v2 land.
    r, filters = repo
    await r.upsert_many([item("z", version=1, related=HEADS)])
    await r.resolve_links("z", [ResolvedLink(headline=HEADS[0], resolved_id="x")])

    # The newer writer is another replica, with database slots of its own.
    replica = MongoArticleRepository(r.db, "articles", "article_versions")

    async def newer_writer() -> None:
        assert await replica.upsert_many([item("z", version=3, related=HEADS, minutes=3)]) == \
            WriteResult(inserted=0, updated=1, stale=0)

    real = r.order
    r.order = ReadThenInterleave(real, newer_writer)  # type: ignore[assignment]
    filters.seen.clear()
    zombie = await r.upsert_many([item("z", version=2, related=HEADS, minutes=2)])
    r.order = real
    assert filters.scanning() == []
    assert zombie == WriteResult(inserted=0, updated=0, stale=1)
    doc = await r.articles.find_one({"_id": "z"})
    assert doc is not None and doc["version"] == 3
    assert doc == (await r.history("z"))[-1] | {"article": doc["article"]}
    # The copy put back from the history gets the recorded resolution again.
    assert await related_of(r, "z") == {HEADS[0]: "x", HEADS[1]: None, HEADS[2]: None}


async def test_a_poll_redelivered_after_its_writer_died_mid_update_puts_the_newest_back(
        repo: tuple[MongoArticleRepository, Filters]) -> None:
    r, _ = repo
    await r.upsert_many([item("k", version=1)])
    await r.upsert_many([item("k", version=3, minutes=3)])
    # An older writer recorded its key too late and died after its write, before checking.
    old = await r.articles.find_one({"_id": "k"})
    assert old is not None and old["version"] == 3
    v2 = (await r.history("k"))[0] | {"version": 2, "order_key": "000000000002|late"}
    await r.articles.update_one({"_id": "k"}, {"$set": v2})
    # Its poll is redelivered: the stored copy is its own, and the newest comes back anyway.
    redelivered = await r.upsert_many([item("k", version=1)])
    assert redelivered == WriteResult(inserted=0, updated=0, stale=1)
    doc = await r.articles.find_one({"_id": "k"})
    assert doc is not None and doc["version"] == 3


class InFlight(CommandListener):
    """The most commands a client had in flight at once."""

    def __init__(self) -> None:
        self.now = self.most = 0

    def started(self, _event: CommandStartedEvent) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def succeeded(self, _event: CommandSucceededEvent) -> None:
        self.now -= 1

    def failed(self, _event: CommandFailedEvent) -> None:
        self.now -= 1


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_handlers_together_keep_to_the_database_concurrency(concurrency: int) -> None:
    # FerretDB on SQLite answers concurrent writers with lock retries (README), so the three
    # handlers' calls and a batch's reads share `concurrency` slots.
    name = f"nw_storage_test_{uuid.uuid4().hex[:8]}"
    flight = InFlight()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url(), tz_aware=True, event_listeners=[flight])
    r = MongoArticleRepository(client[name], "articles", "article_versions", concurrency)
    try:
        await r.upsert_many([item(f"a{i}", related=HEADS) for i in range(12)])
        flight.most = 0
        # Twelve stored ids in new versions (a read per id), a merge and link updates at once.
        await asyncio.gather(
            r.upsert_many([item(f"a{i}", version=2, related=HEADS) for i in range(12)]),
            r.merge_stories("st-a", ["st-b", "st-c"]),
            *(r.resolve_links(f"a{i}", [ResolvedLink(headline=HEADS[1], resolved_id="z")])
              for i in range(4)))
        assert 1 <= flight.most <= concurrency
        if concurrency > 1:
            assert flight.most > 1  # the handlers did not wait for each other
        stored = await r.articles.find_one({"_id": "a3"})
        assert stored is not None and stored["version"] == 2
        assert (await related_of(r, "a3"))[HEADS[1]] == "z"
    finally:
        await client.drop_database(name)
        await client.close()
