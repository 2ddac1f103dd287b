"""MongoDB adapter for articles: batched guarded upserts, history, indexes, ping."""

from __future__ import annotations

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

    async def ping(self) -> bool: ...


class MongoArticleRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], articles: str, versions: str) -> None:
        self.db = db
        self.articles = db[articles]
        self.versions = db[versions]

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
        await self._insert_ignoring_duplicates(self.versions, [history_document(d) for d in docs])
        inserted = updated = 0
        pending = _newest_per_id(docs)
        stale = len(docs) - len(pending)
        # A race with another replica (an insert that meets a duplicate key) sends the losers
        # round again, when they are found stored and take the guarded-update path.
        for _ in range(3):
            if not pending:
                break
            stored = await self._stored_keys(list(pending))
            new = [d for d in pending.values() if d["_id"] not in stored]
            newer = [d for d in pending.values()
                     if d["_id"] in stored and stored[d["_id"]] <= d["order_key"]]
            stale += len(pending) - len(new) - len(newer)
            if newer:
                # Batched guarded UpdateOne: one round trip per Kafka poll, and ordered=False so
                # one lost race does not stop the rest of the batch.
                result = await self.articles.bulk_write([guarded_update(d) for d in newer],
                                                        ordered=False)
                updated += result.matched_count
                stale += len(newer) - result.matched_count
            # New ids are inserted, not upserted: an upsert whose filter has more than _id
            # makes FerretDB scan the collection, and a plain insert is what it is anyway.
            lost = await self._insert_ignoring_duplicates(self.articles, new)
            inserted += len(new) - len(lost)
            pending = {d["_id"]: d for d in new if d["_id"] in lost}
        if pending:
            raise RuntimeError(f"{len(pending)} articles kept losing insert races; retry batch")
        return WriteResult(inserted, updated, stale)

    async def _stored_keys(self, ids: list[Any]) -> dict[Any, str]:
        cursor = self.articles.find({"_id": {"$in": ids}}, {"order_key": 1})
        return {d["_id"]: d.get("order_key", "") async for d in cursor}

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
