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

from .documents import article_document, guarded_upsert, history_insert

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
        if not items:
            return WriteResult(0, 0, 0)
        now = utcnow()
        docs = [article_document(item, now) for item in items]
        await self.versions.bulk_write([history_insert(d) for d in docs], ordered=False)
        fresh = await self._drop_stale(docs)
        stale = len(docs) - len(fresh)
        if not fresh:
            return WriteResult(0, 0, stale)
        # Batched UpdateOne(upsert=True) instead of one round trip per article: one poll of
        # Kafka becomes one bulk_write, and ordered=False lets a write that loses a race with
        # another replica fail alone without stopping the rest of the batch.
        try:
            result = await self.articles.bulk_write([guarded_upsert(d) for d in fresh],
                                                    ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return WriteResult(exc.details.get("nUpserted", 0), exc.details.get("nModified", 0),
                               stale + len(errors))
        return WriteResult(result.upserted_count, result.modified_count, stale)

    async def _drop_stale(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Skip documents older than what is stored, and all but the newest of one id in a batch.

        The guarded filter alone would be enough on MongoDB; reading first keeps the expected
        case free of duplicate-key errors, which FerretDB 1.24 reports incompletely.
        """
        newest: dict[Any, dict[str, Any]] = {}
        for doc in docs:
            seen = newest.get(doc["_id"])
            if seen is None or _order(doc) >= _order(seen):
                newest[doc["_id"]] = doc
        cursor = self.articles.find({"_id": {"$in": list(newest)}},
                                    {"version": 1, "enriched_at": 1})
        async for stored in cursor:
            doc = newest[stored["_id"]]
            if _order(stored) > _order(doc):
                del newest[stored["_id"]]
        return list(newest.values())


def _order(doc: dict[str, Any]) -> tuple[int, Any]:
    return (int(doc.get("version", 0)), doc.get("enriched_at"))
