"""Story state in MongoDB (or a Mongo-wire DB): every write is a single-document atomic op."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .store import POSTINGS_MAX, StoredArticle

_MAX_CAS = 32


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


async def _upsert(collection: AsyncCollection[dict[str, Any]], doc_id: str,
                  change: dict[str, Any]) -> None:
    """update_one by _id with upsert, safe when two first upserts of one document race."""
    try:
        await collection.update_one({"_id": doc_id}, change, upsert=True)
    except DuplicateKeyError:
        # The other upsert created the document; a plain update lands now.
        await collection.update_one({"_id": doc_id}, change)


def _link_id(source_id: str, key: str) -> str:
    return hashlib.blake2b(f"{source_id}\x00{key}".encode(), digest_size=16).hexdigest()


class MongoStoryStore:
    """Union-find over story nodes with compare-and-set parent updates.

    A node's parent only ever moves to a smaller key, so there are no cycles, and the root of
    a merged story is the smallest (earliest) node whichever replica merged it.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], prefix: str = "enrich_") -> None:
        self.db = db
        self.articles = db[f"{prefix}articles"]
        self.nodes = db[f"{prefix}stories"]
        self.links = db[f"{prefix}links"]
        self.pending = db[f"{prefix}pending"]
        # Sizes live apart from parents: a Mongo-wire DB that rewrites whole documents
        # (FerretDB) would otherwise let a size increment undo a concurrent parent CAS.
        self.sizes = db[f"{prefix}sizes"]
        self.headlines = db[f"{prefix}headlines"]
        # headline key -> the sources whose link with that headline was unresolved.
        self.waiting = db[f"{prefix}waiting"]

    async def ensure_indexes(self) -> None:
        await self.articles.create_index([("keys", ASCENDING)])
        await self.articles.create_index([("published", ASCENDING)])
        # Links are looked up by _id only; these serve prune().
        await self.links.create_index([("created", ASCENDING)])
        await self.waiting.create_index([("touched", ASCENDING)])

    @staticmethod
    def _rec(doc: dict[str, Any]) -> StoredArticle:
        return StoredArticle(id=doc["_id"], version=doc["version"], node=doc["node"],
                             published=_aware(doc["published"]), keys=tuple(doc["keys"]),
                             sketch=tuple(doc["sketch"]), headline_key=doc["headline_key"],
                             headline=doc["headline"], duplicate_of=doc.get("duplicate_of"))

    async def get(self, article_id: str) -> StoredArticle | None:
        doc = await self.articles.find_one({"_id": article_id})
        return self._rec(doc) if doc else None

    async def put(self, rec: StoredArticle) -> bool:
        body = {"version": rec.version, "node": rec.node, "published": rec.published,
                "keys": list(rec.keys), "sketch": list(rec.sketch),
                "headline_key": rec.headline_key, "headline": rec.headline,
                "duplicate_of": rec.duplicate_of}
        await self._index_headline(rec)
        # Insert first: the common case is a new article, and an upsert whose filter has more
        # than _id makes FerretDB scan the collection.
        try:
            await self.articles.insert_one({"_id": rec.id, **body})
        except DuplicateKeyError:
            # Matches only an older or equal version, so a stale replay changes nothing.
            res = await self.articles.update_one(
                {"_id": rec.id, "version": {"$lte": rec.version}}, {"$set": body})
            return res.matched_count == 1
        return True

    async def _index_headline(self, rec: StoredArticle) -> None:
        """headline key -> earliest article, looked up by _id (cheap on every Mongo-wire DB)."""
        entry = {"node": rec.node, "article": rec.id, "published": rec.published}
        try:
            await self.headlines.insert_one({"_id": rec.headline_key, **entry})
        except DuplicateKeyError:
            # The earliest node wins, whichever replica or order the articles came in.
            await self.headlines.update_one(
                {"_id": rec.headline_key, "node": {"$gt": rec.node}}, {"$set": entry})

    async def candidates(self, keys: tuple[str, ...], since: datetime, until: datetime,
                         limit: int, exclude: str) -> list[StoredArticle]:
        if not keys:
            return []
        wanted = set(keys)
        # Ranked as the memory store ranks them: most shared keys first, then the earliest
        # node. A busy key ("berlin") matches far more than `limit` articles in a window, and
        # the newest `limit` of those would crowd out an older article sharing many keys: the
        # story sibling. The pool, newest first, is capped like a key's postings. It is read
        # whole in one query: a second query for the winners' records by `_id: {$in}` would be
        # a second collection scan on FerretDB, which pushes only _id equality down to SQLite.
        cursor = self.articles.find(
            {"keys": {"$in": sorted(wanted)}, "published": {"$gte": since, "$lte": until},
             "_id": {"$ne": exclude}},
        ).sort("node", DESCENDING).limit(POSTINGS_MAX)
        pool = {d["_id"]: d async for d in cursor}
        ranked = sorted((-len(wanted.intersection(d["keys"])), d["node"], aid)
                        for aid, d in pool.items())
        return [self._rec(pool[aid]) for _, _, aid in ranked[:limit]]

    async def make_set(self, node: str) -> None:
        # Another replica creating it at the same moment writes the same content.
        with contextlib.suppress(DuplicateKeyError):
            await self.nodes.insert_one({"_id": node, "parent": node})

    async def find(self, node: str) -> str:
        path, cur = [], node
        for _ in range(1000):
            doc = await self.nodes.find_one({"_id": cur}, {"parent": 1})
            parent = doc["parent"] if doc else cur
            if parent == cur:
                break
            path.append((cur, parent))
            cur = parent
        for child, parent in path[:-1]:
            # Conditional, so compression never overwrites a concurrent union.
            await self.nodes.update_one({"_id": child, "parent": parent},
                                        {"$set": {"parent": cur}})
        return cur

    async def roots(self, nodes: list[str]) -> dict[str, str]:
        """Roots of many nodes, one batch of lookups per tree level instead of a walk per node."""
        where = {n: n for n in nodes}
        frontier = set(nodes)
        for _ in range(64):
            if not frontier:
                break
            # One _id lookup per node, sent together: `_id: {$in}` is one round trip on MongoDB
            # but a scan of the whole collection on FerretDB (linear in the stories kept).
            docs = await asyncio.gather(*(self.nodes.find_one({"_id": n}, {"parent": 1})
                                          for n in sorted(frontier)))
            parents = {d["_id"]: d["parent"] for d in docs if d is not None}
            moved = {n: parents[n] for n in frontier if parents.get(n, n) != n}
            for start, at in where.items():
                if at in moved:
                    where[start] = moved[at]
            frontier = set(moved.values())
        return where

    async def union(self, a: str, b: str) -> str:
        for _ in range(_MAX_CAS):
            ra, rb = await self.find(a), await self.find(b)
            if ra == rb:
                return ra
            lo, hi = sorted((ra, rb))
            res = await self.nodes.update_one({"_id": hi, "parent": hi}, {"$set": {"parent": lo}})
            if res.modified_count == 1:
                await self._grow(lo, await self.size(hi))
                return lo
        raise RuntimeError(f"union of {a} and {b} kept losing races")

    async def _grow(self, root: str, by: int) -> None:
        await _upsert(self.sizes, root, {"$inc": {"size": by}})

    async def size(self, root: str) -> int:
        # Members beyond the root itself; approximate on a DB without atomic $inc.
        doc = await self.sizes.find_one({"_id": root})
        return 1 + int(doc["size"]) if doc else 1

    async def by_headline(self, key: str) -> StoredArticle | None:
        entry = await self.headlines.find_one({"_id": key})
        return await self.get(entry["article"]) if entry else None

    # Every link lookup goes by _id: a link's _id derives from its source and headline key,
    # and the sources waiting on a key are listed in one document under that key. Queries on
    # other fields scan the whole collection on FerretDB (~50 µs per link, twice per article).

    async def add_links(self, source_id: str, resolved: dict[str, str | None]) -> None:
        now = datetime.now(UTC)
        for key, target in resolved.items():
            lid = _link_id(source_id, key)
            with contextlib.suppress(DuplicateKeyError):
                await self.links.update_one(
                    {"_id": lid}, {"$setOnInsert": {"source": source_id, "key": key,
                                                    "target": None, "created": now}},
                    upsert=True)
            if target is not None:
                await self.links.update_one({"_id": lid, "target": None},
                                            {"$set": {"target": target}})
            else:
                # Listed on every call, not only on the link's insert: a redelivery after a
                # crash between the two writes must still list it. A source whose link was
                # resolved meanwhile stays listed; claim_links' compare-and-set skips it.
                await self._wait_on(key, source_id, now)

    async def _wait_on(self, key: str, source_id: str, now: datetime) -> None:
        await _upsert(self.waiting, key, {"$addToSet": {"sources": source_id},
                                          "$set": {"touched": now}})

    async def claim_links(self, key: str, article_id: str) -> list[str]:
        doc = await self.waiting.find_one({"_id": key})
        seen = [source for source in (doc["sources"] if doc else ()) if source != article_id]
        claimed = []
        for source in seen:
            res = await self.links.update_one({"_id": _link_id(source, key), "target": None},
                                              {"$set": {"target": article_id}})
            if res.modified_count == 1:
                claimed.append(source)
        if seen:
            # Whether claimed here, resolved meanwhile or pruned, none of them waits any more.
            # $pullAll, not $pull with $in, which FerretDB 1.24 silently ignores.
            await self.waiting.update_one({"_id": key}, {"$pullAll": {"sources": seen}})
        return sorted(claimed)

    async def links_of(self, source_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        docs = await asyncio.gather(*(self.links.find_one({"_id": _link_id(source_id, key)})
                                      for key in dict.fromkeys(keys)))
        return {d["key"]: d.get("target") for d in docs if d is not None}

    async def save_enriched(self, article_id: str, payload: str) -> None:
        await self.pending.update_one({"_id": article_id}, {"$set": {
            "payload": payload, "created": datetime.now(UTC)}}, upsert=True)

    async def load_enriched(self, article_id: str) -> str | None:
        doc = await self.pending.find_one({"_id": article_id})
        return str(doc["payload"]) if doc else None

    async def prune(self, before: datetime) -> int:
        res = await self.articles.delete_many({"published": {"$lt": before}})
        await self.headlines.delete_many({"published": {"$lt": before}})
        old_nodes = {"_id": {"$lt": f"st-{before.strftime('%Y%m%dT%H%M%S')}"}}
        await self.nodes.delete_many(old_nodes)
        await self.sizes.delete_many(old_nodes)
        expired = {"created": {"$lt": before}}
        # A headline that never arrives (a promo link on every page) keeps its waiting list
        # touched forever: the sources of expired links leave it here, so it stays bounded.
        unheard: dict[str, list[str]] = {}
        async for link in self.links.find({**expired, "target": None}, {"key": 1, "source": 1}):
            unheard.setdefault(link["key"], []).append(link["source"])
        for key, sources in unheard.items():
            await self.waiting.update_one({"_id": key}, {"$pullAll": {"sources": sources}})
        await self.links.delete_many(expired)
        await self.waiting.delete_many({"touched": {"$lt": before}})
        await self.pending.delete_many({"created": {"$lt": before}})
        return int(res.deleted_count)

    async def ping(self) -> bool:
        await self.db.command("ping")
        return True
