"""Story store against a real Mongo-wire database: versions, merges, links, two replicas."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.enrichment.doc import Doc
from services.enrichment.mongo_store import MongoStoryStore
from services.enrichment.store import MemoryStoryStore, StoredArticle
from services.enrichment.stories import StoryLinker
from shared.events import BodyBlock, CanonicalArticle, Entity, RelatedLink

pytestmark = pytest.mark.integration
T0 = datetime(2026, 1, 21, 8, 0, tzinfo=UTC)


def mongo_url() -> str:
    url = os.environ.get("NEWSWIRE_MONGO_URL")
    if not url:
        pytest.fail("NEWSWIRE_MONGO_URL is not set: start deploy/local/infra.sh and eval its env")
    return url


@pytest.fixture
async def db_name() -> AsyncIterator[str]:
    name = f"nw_enrich_test_{uuid.uuid4().hex[:8]}"
    yield name
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url())
    await client.drop_database(name)
    await client.close()


async def open_store(db_name: str) -> tuple[AsyncMongoClient[dict[str, Any]], MongoStoryStore]:
    """One client per replica, as two processes would have."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url(), tz_aware=True)
    store = MongoStoryStore(client[db_name])
    await store.ensure_indexes()
    return client, store


def doc(aid: str, people: list[str], hours: float, headline: str = "",
        related: tuple[str, ...] = ()) -> Doc:
    art = CanonicalArticle(
        id=aid, uri=aid, source="t", format="t", headline=headline or f"Artikel {aid}",
        body=(BodyBlock(kind="paragraph", text=f"Text {aid} " + " ".join(people)),),
        first_created=T0 + timedelta(hours=hours),
        related=tuple(RelatedLink(headline=h) for h in related))
    ents = [Entity(canonical=p, type="PER", mentions=1) for p in people]
    return Doc(article=art, text=art.body_text, entities=ents)


STORIES = [
    *(doc(f"ukr-{i}", ["Wladimir Putin", "Steve Witkoff", "Jared Kushner"], i) for i in range(6)),
    *(doc(f"bvb-{i}", ["Niko Kovac", "Serhou Guirassy", "Karim Adeyemi"], i) for i in range(6)),
    *(doc(f"eu-{i}", ["Ursula von der Leyen", "Kaja Kallas", "Antonio Costa"], i)
      for i in range(6)),
]


async def clusters(store: MongoStoryStore) -> list[set[str]]:
    by_root: dict[str, set[str]] = {}
    for d in STORIES:
        rec = await store.get(d.article.id)
        assert rec is not None
        by_root.setdefault(await store.find(rec.node), set()).add(d.article.id)
    return sorted(by_root.values(), key=min)


async def test_stale_version_is_refused_and_update_keeps_its_node(db_name: str) -> None:
    client, store = await open_store(db_name)
    rec = StoredArticle(id="a", version=2, node="st-1", published=T0, keys=("p:x",),
                        sketch=(1, 2), headline_key="h", headline="H")
    assert await store.put(rec)
    assert not await store.put(StoredArticle(**{**rec.__dict__, "version": 1}))
    got = await store.get("a")
    assert got is not None
    assert (got.version, got.node, got.published) == (2, "st-1", T0)
    await client.close()


async def test_concurrent_unions_converge_on_the_smallest_node(db_name: str) -> None:
    client, store = await open_store(db_name)
    nodes = [f"st-{i:03d}" for i in range(20)]
    for n in nodes:
        await store.make_set(n)
    pairs = [(nodes[i], nodes[i + 1]) for i in range(19)]
    random.Random(1).shuffle(pairs)  # noqa: S311
    await asyncio.gather(*(store.union(a, b) for a, b in pairs))
    assert {await store.find(n) for n in nodes} == {"st-000"}
    # Sizes are counters beside the parents; racing merges may undercount, never overcount.
    assert 1 < await store.size("st-000") <= 20
    await client.close()


async def test_two_replicas_give_the_same_clusters_as_one(db_name: str) -> None:
    c1, single = await open_store(db_name + "_one")
    linker = StoryLinker(single)
    for d in STORIES:
        await linker.link(d)
    expected = await clusters(single)
    assert [len(c) for c in expected] == [6, 6, 6]
    await c1.drop_database(db_name + "_one")
    await c1.close()

    ca, store_a = await open_store(db_name)
    cb, store_b = await open_store(db_name)
    replicas = [StoryLinker(store_a), StoryLinker(store_b)]
    order = STORIES[:]
    random.Random(7).shuffle(order)  # noqa: S311
    await asyncio.gather(*(replicas[i % 2].link(d) for i, d in enumerate(order)))
    assert await clusters(store_a) == expected
    await ca.close()
    await cb.close()


async def test_source_link_resolves_when_the_target_arrives_later(db_name: str) -> None:
    client, store = await open_store(db_name)
    linker = StoryLinker(store)
    target = "Witkoff kündigt neue Ukraine-Gespräche für kommende Woche an"
    first = await linker.link(doc("seed", ["Putin", "Witkoff"], 0, related=(target,)))
    assert [lk.resolved_id for lk in first.source_links] == [None]
    later = await linker.link(doc("later", ["Putin", "Witkoff"], 5, headline=target))
    assert later.resolved_sources == ("seed",)
    key = "witkoff kundigt neue ukraine gesprache fur kommende woche an"
    assert await store.links_of("seed", [key, "no such headline"]) == {key: "later"}
    await client.close()


async def test_candidates_rank_as_the_memory_store_ranks(db_name: str) -> None:
    # A busy key in every article and rare keys shared by a few: with a limit below the busy
    # key's count, both stores must pick the articles sharing the most keys, oldest node first.
    rng = random.Random(11)  # noqa: S311 - a fixed sample, not a secret
    client, mongo = await open_store(db_name)
    memory = MemoryStoryStore()
    rare = [f"k:rare{i}" for i in range(12)]
    for i in range(80):
        keys = ("l:berlin", *rng.sample(rare, k=rng.randrange(0, 5)))
        rec = StoredArticle(id=f"a{i:03d}", version=1, node=f"st-{i:03d}",
                            published=T0 + timedelta(hours=i), keys=keys, sketch=(1, 2),
                            headline_key=f"h{i}", headline=f"H{i}")
        for store in (mongo, memory):
            assert await store.put(rec)
    checked = 0
    for n in range(25):
        query = ("l:berlin", *rng.sample(rare, k=rng.randrange(1, 6)))
        since = T0 + timedelta(hours=rng.randrange(40))
        until = since + timedelta(hours=rng.randrange(10, 60))
        limit, exclude = rng.randrange(1, 12), f"a{rng.randrange(80):03d}"
        got = [a.id for a in await mongo.candidates(query, since, until, limit, exclude)]
        want = [a.id for a in await memory.candidates(query, since, until, limit, exclude)]
        assert got == want, (n, query)
        # The newest articles alone (the old ranking) would give another answer here.
        in_window = [i for i in range(80) if since <= T0 + timedelta(hours=i) <= until
                     and f"a{i:03d}" != exclude]
        newest = [f"a{i:03d}" for i in sorted(in_window, reverse=True)[:limit]]
        checked += got != newest
    assert checked >= 10
    await client.close()


async def test_links_wait_and_resolve_as_in_the_memory_store(db_name: str) -> None:
    # Several sources wait on one headline; one is redelivered, one names its target at once.
    client, mongo = await open_store(db_name)
    memory = MemoryStoryStore()
    seen = []
    for store in (mongo, memory):
        await store.add_links("s1", {"k:gipfel": None, "k:wahl": None})
        await store.add_links("s2", {"k:gipfel": None})
        await store.add_links("s2", {"k:gipfel": None})  # a redelivery changes nothing
        await store.add_links("s3", {"k:gipfel": "known"})
        first = await store.claim_links("k:gipfel", "s1")  # its own link is not its target
        again = await store.claim_links("k:gipfel", "t2")
        seen.append((first, again, await store.links_of("s1", ["k:gipfel", "k:wahl"]),
                     await store.links_of("s2", ["k:gipfel"]),
                     await store.links_of("s3", ["k:gipfel", "k:other"]),
                     await store.claim_links("k:wahl", "t3")))
    assert seen[0] == seen[1]
    assert seen[0] == (["s2"], ["s1"], {"k:gipfel": "t2", "k:wahl": None}, {"k:gipfel": "s1"},
                       {"k:gipfel": "known"}, ["s1"])
    await client.close()


async def test_waiting_lists_shrink_on_claim_and_prune(db_name: str) -> None:
    # A promo headline that never arrives would otherwise collect every source forever.
    client, store = await open_store(db_name)
    await store.add_links("old", {"k:promo": None, "k:story": None})
    middle = datetime.now(UTC)
    await asyncio.sleep(0.05)
    await store.add_links("new", {"k:promo": None, "k:story": None})
    await store.add_links("done", {"k:story": "somewhere"})
    await store.prune(middle)
    promo = await store.waiting.find_one({"_id": "k:promo"})
    assert promo is not None and promo["sources"] == ["new"]
    assert await store.links_of("old", ["k:promo"]) == {}
    assert await store.claim_links("k:story", "arrived") == ["new"]
    story = await store.waiting.find_one({"_id": "k:story"})
    assert story is not None and story["sources"] == []
    assert await store.claim_links("k:story", "again") == []
    await client.close()
