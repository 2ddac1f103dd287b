"""Pure mapping from an enriched article to MongoDB documents and guarded upserts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import UpdateOne

from shared.events import EnrichedArticle


def article_document(item: EnrichedArticle, stored_at: datetime) -> dict[str, Any]:
    """The stored shape: query fields at the top (indexed), the full events below."""
    article, enrichment = item.article, item.enrichment
    subjects = {s.qcode for s in (*article.subjects, *enrichment.subjects)}
    return {
        "_id": article.id,
        "version": article.version,
        "order_key": order_key(article.version, enrichment.enriched_at),
        "enriched_at": enrichment.enriched_at,
        "pubstatus": article.pubstatus,
        "source": article.source,
        "language": enrichment.language.code if enrichment.language else article.language,
        "headline": article.headline,
        "story_id": enrichment.story_id,
        "duplicate_of": enrichment.duplicate_of,
        "subjects": sorted(subjects),
        "entities": sorted({e.canonical for e in enrichment.entities}),
        "first_created": article.first_created,
        "version_created": article.version_created,
        "received_at": article.received_at,
        "stored_at": stored_at,
        "article": article.model_dump(mode="python"),
        "enrichment": enrichment.model_dump(mode="python"),
    }


def order_key(version: int, enriched_at: datetime) -> str:
    """One sortable string for (version, enrichment time), so the guard is a single range test.

    A single `$lte` on one field is cheaper than an `$or` of two conditions on every
    Mongo-wire backend (FerretDB cannot push an `$or` down to SQLite at all).
    """
    return f"{version:012d}|{enriched_at.astimezone(UTC).isoformat(timespec='microseconds')}"


def guarded_update(doc: dict[str, Any]) -> UpdateOne:
    """Update by id that only lands if the stored copy is not newer (no upsert: it exists).

    When another replica stored a newer copy since we read, the filter misses and nothing
    changes; the repository counts that as 'stale'.
    """
    guard = {"_id": doc["_id"], "order_key": {"$lte": doc["order_key"]}}
    return UpdateOne(guard, {"$set": doc})


def history_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Every version is kept once, keyed by id and version; a redelivery is a duplicate key."""
    version_doc = {k: v for k, v in doc.items() if k != "_id"}
    version_doc["article_id"] = doc["_id"]
    version_doc["_id"] = f"{doc['_id']}#v{doc['version']}"
    return version_doc
