"""MongoDB adapter for articles: batched guarded upserts, history, indexes, ping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.events import EnrichedArticle, utcnow

from .documents import article_document, guarded_update, history_document

log = logging.getLogger("newswire.storage")
DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    updated: int
    stale: int


class ArticleRepository(Protocol):
    async def upsert_many(self, items: Sequence[EnrichedArticle]) -> WriteResult: ...

    async def merge_stories(self, root: str, merged: Sequence[str]) -> int: ...

    async def ping(self) -> bool: ...


class MongoArticleRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], articles: str, versions: str) -> None:
        self.db = db
        self.articles = db[articles]
        self.versions = db[versions]
        # Merged story id -> the story it now belongs to, so a write that arrives after the
        # merge event (another topic, no ordering between them) still gets the current id.
        self.story_aliases = db[f"{articles}_story_aliases"]

    @classmethod
    def connect(cls, url: str, db_name: str, articles: str, versions: str
                ) -> tuple[MongoArticleRepository, AsyncMongoClient[dict[str, Any]]]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        return cls(client[db_name], articles, versions), client

    async def ensure_indexes(self) -> None:
        """The queries consumers make: by story, by subject, by entity, by time."""
        await self.articles.create_index([("story_id", ASCENDING), ("version_created", DESCENDING)])
        await self.articles.create_index([("subjects", ASCENDING), ("version_created", DESCENDING)])
        await self.articles.create_index([("entities", ASCENDING)])
        await self.articles.create_index([("version_created", DESCENDING)])
        await self.articles.create_index([("received_at", DESCENDING)])
        await self.versions.create_index([("article_id", ASCENDING), ("version", DESCENDING)])

    async def ping(self) -> bool:
        reply = await self.db.command("ping")
        return bool(reply.get("ok"))

    async def upsert_many(self, items: Sequence[EnrichedArticle]) -> WriteResult:
        """Write a batch idempotently; the newest version of each id wins."""
        if not items:
            return WriteResult(0, 0, 0)
        now = utcnow()
        docs = [article_document(item, now) for item in items]
        await self._apply_aliases(docs)
        await self._insert_ignoring_duplicates(self.versions, [history_document(d) for d in docs])
        pending = _newest_per_id(docs)
        stale = len(docs) - len(pending)
        # New ids are inserted, not upserted: most articles are new, an insert needs no read,
        # and an upsert whose filter has more than _id makes FerretDB scan the collection.
        existing = await self._insert_ignoring_duplicates(self.articles, list(pending.values()))
        inserted, updated = len(pending) - len(existing), 0
        if existing:
            # Batched guarded UpdateOne for ids already stored: one round trip per Kafka poll,
            # ordered=False so one stale document does not stop the rest; the guard turns an
            # older version into a no-op instead of an overwrite.
            result = await self.articles.bulk_write(
                [guarded_update(pending[i]) for i in sorted(existing)], ordered=False)
            updated = result.matched_count
            stale += len(existing) - result.matched_count
        # A merge may have landed between the alias lookup above and these writes; its alias
        # is written before it re-labels, so checking again after writing closes that gap.
        await self._relabel_merged(list(pending.values()))
        return WriteResult(inserted, updated, stale)

    async def merge_stories(self, root: str, merged: Sequence[str]) -> int:
        """Re-label articles (and earlier aliases) of absorbed stories; returns articles moved."""
        old = [m for m in merged if m != root]
        if not old:
            return 0
        for story in old:
            await self.story_aliases.replace_one({"_id": story}, {"root": root}, upsert=True)
        await self.story_aliases.update_many({"root": {"$in": old}}, {"$set": {"root": root}})
        result = await self.articles.update_many({"story_id": {"$in": old}},
                                                 {"$set": {"story_id": root}})
        return int(result.modified_count)

    async def _aliases(self, docs: list[dict[str, Any]]) -> dict[str, str]:
        stories = {d["story_id"] for d in docs if d.get("story_id")}
        if not stories:
            return {}
        # One find by _id per story: the cheap lookup on every Mongo-wire database.
        found = await asyncio.gather(*(self.story_aliases.find_one({"_id": s}) for s in stories))
        return {f["_id"]: f["root"] for f in found if f}

    async def _apply_aliases(self, docs: list[dict[str, Any]]) -> None:
        roots = await self._aliases(docs)
        for doc in docs:
            doc["story_id"] = roots.get(doc["story_id"], doc["story_id"])

    async def _relabel_merged(self, docs: list[dict[str, Any]]) -> None:
        for old, root in (await self._aliases(docs)).items():
            ids = [d["_id"] for d in docs if d["story_id"] == old]
            await self.articles.update_many({"_id": {"$in": ids}, "story_id": old},
                                            {"$set": {"story_id": root}})

    @staticmethod
    async def _insert_ignoring_duplicates(collection: Any, docs: list[dict[str, Any]]
                                          ) -> set[Any]:
        """insert_many(ordered=False); returns the ids that already existed."""
        if not docs:
            return set()
        try:
            await collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return {docs[e["index"]]["_id"] for e in errors}
        return set()


def _newest_per_id(docs: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """All but the newest document of one id in a batch are stale already."""
    newest: dict[Any, dict[str, Any]] = {}
    for doc in docs:
        seen = newest.get(doc["_id"])
        if seen is None or doc["order_key"] >= seen["order_key"]:
            newest[doc["_id"]] = doc
    return newest
